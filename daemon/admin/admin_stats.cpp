// GET /v1/stats/series of AdminHandler (docs/admin-api.md, Stats series):
// the last hour per minute, from the rings the scheduler and ingest keep in
// memory (core/stats_series.hpp). Cheap (at most 60 slots per configured
// source and subscription), so it runs on the io thread.

#include "core/clock.hpp"
#include "core/delivery/outgoing.hpp"
#include "daemon/admin/admin_handler.hpp"
#include "daemon/admin/admin_json.hpp"

#include <cmath>

namespace hookd::daemon {

namespace json = boost::json;

namespace {

template <class Minute, class Field>
json::array column(const std::array<Minute, kSeriesMinutes>* w, Field field) {
  json::array a;
  a.reserve(kSeriesMinutes);
  for (std::size_t i = 0; i < kSeriesMinutes; ++i)
    a.push_back(w == nullptr ? std::uint64_t{0} : std::uint64_t{(*w)[i].*field});
  return a;
}

json::array latency_column(const std::array<SubscriptionMinute, kSeriesMinutes>* w, double q) {
  json::array a;
  a.reserve(kSeriesMinutes);
  for (std::size_t i = 0; i < kSeriesMinutes; ++i) {
    std::optional<double> s;
    if (w != nullptr) s = histogram_quantile(q, kLatencyBounds, (*w)[i].latency);
    // Whole microseconds: Boost.JSON would print a double in exponent form.
    if (s)
      a.push_back(static_cast<std::int64_t>(std::llround(*s * 1e6)));
    else
      a.push_back(nullptr);
  }
  return a;
}

}  // namespace

Response AdminHandler::stats_series() const {
  const std::int64_t now = unix_minute(unix_ms());
  const std::int64_t first = now - static_cast<std::int64_t>(kSeriesMinutes) + 1;
  json::object out;
  out["step_seconds"] = 60;
  out["minutes"] = kSeriesMinutes;
  out["start"] = format_rfc3339_ms(first * 60000);
  out["end"] = format_rfc3339_ms((now + 1) * 60000);

  const auto sources = ingest_.series(now);
  json::array src;
  for (const auto& sc : config_->sources) {
    auto it = sources.find(sc.name);
    const auto* w = it == sources.end() ? nullptr : &it->second;
    json::object o;
    o["source"] = sc.name;
    o["routed"] = column(w, &SourceMinute::routed);
    o["unrouted"] = column(w, &SourceMinute::unrouted);
    o["duplicate"] = column(w, &SourceMinute::duplicate);
    o["rejected"] = column(w, &SourceMinute::rejected);
    o["unavailable"] = column(w, &SourceMinute::unavailable);
    src.push_back(std::move(o));
  }
  out["sources"] = std::move(src);

  const auto subs = scheduler_.series().windows(now);
  json::array sub;
  for (const auto& sc : config_->subscriptions) {
    auto it = subs.find(sc.name);
    const auto* w = it == subs.end() ? nullptr : &it->second;
    json::object o;
    o["subscription"] = sc.name;
    o["delivered"] = column(w, &SubscriptionMinute::delivered);
    o["failed"] = column(w, &SubscriptionMinute::failed);
    o["dead"] = column(w, &SubscriptionMinute::dead);
    o["latency_p50_us"] = latency_column(w, 0.5);
    o["latency_p99_us"] = latency_column(w, 0.99);
    sub.push_back(std::move(o));
  }
  out["subscriptions"] = std::move(sub);
  return json_response(http::status::ok, out);
}

}  // namespace hookd::daemon
