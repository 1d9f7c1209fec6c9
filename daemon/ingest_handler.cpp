#include "daemon/ingest_handler.hpp"

#include "core/clock.hpp"
#include "core/parsers.hpp"
#include "daemon/log.hpp"
#include "daemon/store_async.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/crypto.h>

#include <chrono>

namespace hookd::daemon {

struct IngestHandler::InFlight {
  explicit InFlight(net::io_context& ioc) : done(ioc) {
    done.expires_at(net::steady_timer::time_point::max());
  }
  std::optional<error_code> outcome;  // set once the write finished
  net::steady_timer done;             // cancelled when outcome is set
};

struct IngestHandler::Attribution {
  const SourceConfig* source = nullptr;
  http::status status = http::status::ok;
  std::string message;
};

namespace {

bool token_matches(std::string_view header, const std::string& token) {
  // MinIO sends "Bearer TOKEN" for a one-word token and a two-word token
  // ("Basic xyz") verbatim; accept either form.
  auto eq = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  };
  bool verbatim = eq(header, token);
  bool bearer = header.size() > 7 && (header.substr(0, 7) == "Bearer " ||
                                      header.substr(0, 7) == "bearer ") &&
                eq(header.substr(7), token);
  return verbatim || bearer;
}

bool allowed(const SourceConfig& source, const net::ip::address& addr) {
  if (source.allow_from.empty()) return true;
  if (addr.is_v4()) {
    auto b = addr.to_v4().to_bytes();
    for (const auto& c : source.allow_from)
      if (c.contains(b.data(), false)) return true;
  } else {
    auto b = addr.to_v6().to_bytes();
    for (const auto& c : source.allow_from)
      if (c.contains(b.data(), true)) return true;
  }
  return false;
}

bool is_json_content_type(std::string_view ct) {
  auto semi = ct.find(';');
  if (semi != std::string_view::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  auto slash = ct.find('/');
  if (slash == std::string_view::npos) return false;
  auto sub = ct.substr(slash + 1);
  auto lower_eq = [](std::string_view a, std::string_view b) { return beast::iequals(a, b); };
  return lower_eq(sub, "json") || (sub.size() > 5 && lower_eq(sub.substr(sub.size() - 5), "+json"));
}

std::optional<std::string> header(const Request& req, std::string_view name) {
  auto it = req.find(name);
  // An empty value is no value (a sender's template with nothing filled in).
  if (it == req.end() || it->value().empty()) return std::nullopt;
  return std::string(it->value());
}

http::status status_of(ingest_errc e) {
  switch (e) {
    case ingest_errc::unauthorized:
    case ingest_errc::unknown_source: return http::status::unauthorized;
    case ingest_errc::forbidden: return http::status::forbidden;
    case ingest_errc::unsupported_media_type: return http::status::unsupported_media_type;
    case ingest_errc::body_too_large: return http::status::payload_too_large;
    default: return http::status::bad_request;
  }
}

Response ok_response(std::size_t accepted, std::size_t duplicates,
                     const std::vector<std::string>& ids) {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  boost::json::object body;
  body["accepted"] = accepted;
  body["duplicates"] = duplicates;
  boost::json::array arr;
  arr.reserve(ids.size());
  for (const auto& id : ids) arr.emplace_back(id);
  body["ids"] = std::move(arr);
  res.body() = boost::json::serialize(body);
  return res;
}

Response plain_ok() {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = R"({"status":"ok"})";
  return res;
}

}  // namespace

std::optional<std::string> event_path_source(std::string_view target) {
  auto q = target.find('?');
  if (q != std::string_view::npos) target = target.substr(0, q);
  if (target == "/event" || target == "/event/") return std::string();
  constexpr std::string_view kPrefix = "/event/";
  if (target.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto rest = target.substr(kPrefix.size());
  // Opteryx posts to https://DOMAIN/event; a domain "host/event/NAME" thus
  // yields /event/NAME/event.
  if (rest.size() > 6 && rest.substr(rest.size() - 6) == "/event") rest.remove_suffix(6);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(rest);
}

IngestHandler::IngestHandler(net::io_context& ioc, storage::Store& store,
                             std::shared_ptr<const Config> config)
    : ioc_(ioc), store_(store) {
  set_config(std::move(config));
}

void IngestHandler::set_config(std::shared_ptr<const Config> config) {
  auto routing = std::make_shared<Routing>(Routing{config, Router(config->subscriptions)});
  routing_ = std::move(routing);
}

IngestHandler::Attribution IngestHandler::attribute(const Request& req,
                                                    std::string_view path_source,
                                                    const ClientInfo& client,
                                                    const boost::json::value* body,
                                                    const RequestMeta& meta) const {
  const Config& cfg = *routing_->config;
  auto auth = header(req, "Authorization");
  auto check = [&](const SourceConfig& s) -> Attribution {
    if (!allowed(s, client.address))
      return {nullptr, http::status::forbidden,
              "client address not allowed for source '" + s.name + "'"};
    if (!s.token.empty() && !(auth && token_matches(*auth, s.token)))
      return {nullptr, http::status::unauthorized,
              auth ? "wrong token for source '" + s.name + "'"
                   : "source '" + s.name + "' requires a token"};
    return {&s, http::status::ok, {}};
  };
  if (!path_source.empty()) {
    const SourceConfig* s = cfg.find_source(path_source);
    if (!s) return {nullptr, http::status::unauthorized, "unknown source '" + std::string(path_source) + "'"};
    return check(*s);
  }
  if (auth) {
    for (const auto& s : cfg.sources)
      if (!s.token.empty() && token_matches(*auth, s.token)) return check(s);
  }
  if (!body) return {nullptr, http::status::ok, {}};  // decide once the body is parsed
  Format format = detect_format(*body, meta);
  const SourceConfig* match = nullptr;
  int tokenless = 0;
  bool tokened = false;
  for (const auto& s : cfg.sources) {
    if (s.format != format) continue;
    if (s.token.empty()) {
      ++tokenless;
      match = &s;
    } else {
      tokened = true;
    }
  }
  if (tokenless == 1) return check(*match);
  if (tokenless > 1)
    return {nullptr, http::status::unauthorized,
            std::string("several sources accept ") + to_string(format) +
                " events; name one in the path (/event/NAME) or send its token"};
  if (tokened || auth)
    return {nullptr, http::status::unauthorized,
            auth ? "token matches no source" : "a token is required"};
  return {nullptr, http::status::bad_request,
          std::string("no source accepts ") + to_string(format) + " events"};
}

net::awaitable<Response> IngestHandler::handle(Request& req, const ClientInfo& client) {
  auto routing = routing_;  // a reload during this request does not affect it
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz" && (req.method() == http::verb::get || req.method() == http::verb::head))
    co_return plain_ok();
  auto path_source = event_path_source(target);
  if (!path_source) {
    if (path == "/" && req.method() == http::verb::head) co_return plain_ok();
    co_return error_response(http::status::not_found, "no such path; events go to POST /event");
  }
  if (req.method() == http::verb::head) co_return plain_ok();
  if (req.method() != http::verb::post) {
    auto res = error_response(http::status::method_not_allowed, "use POST");
    res.set(http::field::allow, "POST, HEAD");
    co_return res;
  }

  RequestMeta meta;
  meta.received_ms = unix_ms();
  meta.idempotency_key = header(req, "Idempotency-Key");
  if (!meta.idempotency_key) meta.idempotency_key = header(req, "webhook-id");
  meta.cloud_tasks_name = header(req, "X-CloudTasks-TaskName");
  meta.event_type = header(req, "X-Event-Type");
  meta.content_type = header(req, "Content-Type");
  for (const auto& f : req) {
    std::string_view name(f.name_string().data(), f.name_string().size());
    if (name.size() > 3 && beast::iequals(name.substr(0, 3), "ce-")) {
      std::string key(name.substr(3));
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      meta.ce_headers.emplace_back(std::move(key), std::string(f.value()));
    }
  }

  auto reject = [&](http::status status, std::string_view message,
                    const std::string& source) -> Response {
    if (!source.empty()) ++counters_[source].rejected;
    log::info("ingest.rejected", {{"source", source.empty() ? "-" : source},
                                  {"status", static_cast<int>(status)},
                                  {"client", client.address.to_string()},
                                  {"reason", message}});
    return error_response(status, message);
  };

  // Path- and token-attributed requests are authenticated before the body is read.
  Attribution who = attribute(req, *path_source, client, nullptr, meta);
  if (who.status != http::status::ok) co_return reject(who.status, who.message, "");
  if (meta.content_type && !is_json_content_type(*meta.content_type))
    co_return reject(http::status::unsupported_media_type,
                     "content type must be JSON, not '" + *meta.content_type + "'",
                     who.source ? who.source->name : "");
  std::string message;
  auto body = parse_json(req.body(), message);
  if (!body)
    co_return reject(http::status::bad_request, "malformed JSON: " + message,
                     who.source ? who.source->name : "");
  if (!who.source) {
    who = attribute(req, *path_source, client, &*body, meta);
    if (who.status != http::status::ok) co_return reject(who.status, who.message, "");
  }
  const SourceConfig& source = *who.source;
  ParseOutcome parsed = parse_events(source, *body, req.body(), meta);
  if (!parsed.ok()) co_return reject(status_of(parsed.error), parsed.message, source.name);
  co_return co_await ingest(source, *routing, std::move(parsed.events));
}

net::awaitable<Response> IngestHandler::ingest(const SourceConfig& source,
                                               const Routing& routing,
                                               std::vector<Event> events) {
  std::string source_name = source.name;  // `source` may go with a reload
  auto& counters = counters_[source_name];
  std::vector<std::string> ids(events.size());
  std::vector<std::shared_ptr<InFlight>> waits;  // other requests' writes we depend on
  std::vector<storage::IngestRecord> records;
  std::vector<std::string> reserved;
  std::vector<Delivery> deliveries;
  std::size_t duplicates = 0;
  auto flight = std::make_shared<InFlight>(ioc_);

  for (std::size_t i = 0; i < events.size(); ++i) {
    Event& ev = events[i];
    std::string scoped = source_name + '\0' + ev.idempotency_key;
    if (auto it = in_flight_.find(scoped); it != in_flight_.end()) {
      // Being written: by this very request (a repeated record) or another one.
      ++duplicates;
      ids[i] = it->second.event_id;
      if (it->second.flight != flight) waits.push_back(it->second.flight);
      continue;
    }
    auto found = store_.find_idempotency(source_name, ev.idempotency_key, ev.received_ms);
    if (!found) {
      ++counters.unavailable;
      log::error("ingest.storage_read_failed", {{"error", found.error().message()}});
      auto res = error_response(http::status::service_unavailable, "storage unavailable");
      res.set(http::field::retry_after, "1");
      for (auto& k : reserved) in_flight_.erase(k);
      co_return res;
    }
    if (*found) {
      ++duplicates;
      ids[i] = **found;
      continue;
    }
    ev.id = ids_.next(ev.received_ms);
    ids[i] = ev.id;
    storage::IngestRecord rec;
    auto matches = routing.router.match(ev);
    if (matches.empty()) {
      ++counters.unrouted;
      log::debug("ingest.unrouted", {{"source", source_name}, {"type", ev.type}});
    }
    for (std::size_t k = 0; k < matches.size(); ++k) {
      Delivery d;
      d.id = ev.id + "." + std::to_string(k);
      d.event_id = ev.id;
      d.subscription = routing.config->subscriptions[matches[k]].name;
      d.created_ms = d.updated_ms = d.next_attempt_ms = ev.received_ms;
      rec.deliveries.push_back(d);
      deliveries.push_back(std::move(d));
    }
    rec.event = std::move(ev);
    in_flight_.emplace(scoped, InFlightEntry{flight, rec.event.id});
    reserved.push_back(std::move(scoped));
    records.push_back(std::move(rec));
  }

  const std::size_t accepted = records.size();
  if (!records.empty()) {
    auto [ec] = co_await async_store_write(
        [&](storage::Store::Done done) { return store_.submit(std::move(records), std::move(done)); },
        use_tuple);
    flight->outcome = ec;
    flight->done.cancel();
    for (auto& k : reserved) in_flight_.erase(k);
    if (ec) {
      ++counters.unavailable;
      log::error("ingest.store_failed", {{"source", source_name}, {"error", ec.message()}});
      auto res = error_response(http::status::service_unavailable,
                                ec == storage_errc::busy ? "backlog full; retry later"
                                                         : "storage unavailable; retry later");
      res.set(http::field::retry_after, "1");
      co_return res;
    }
    counters.accepted += accepted;
    if (on_committed_ && !deliveries.empty()) on_committed_(deliveries);
  }
  for (auto& other : waits) {
    while (!other->outcome) co_await other->done.async_wait(use_tuple);
    if (*other->outcome) {
      ++counters.unavailable;
      auto res = error_response(http::status::service_unavailable,
                                "storage unavailable; retry later");
      res.set(http::field::retry_after, "1");
      co_return res;
    }
  }
  counters.duplicates += duplicates;
  log::debug("ingest.accepted", {{"source", source_name},
                                 {"accepted", accepted},
                                 {"duplicates", duplicates}});
  co_return ok_response(accepted, duplicates, ids);
}

}  // namespace hookd::daemon
