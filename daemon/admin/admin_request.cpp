#include "daemon/admin/admin_request.hpp"

#include "daemon/http/http_server.hpp"
#include "daemon/log.hpp"

#include <charconv>

namespace hookd::daemon {

std::optional<std::string_view> Query::get(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return std::string_view(it->second);
}

Query read_query(boost::urls::params_view params, std::initializer_list<std::string_view> allowed) {
  Query q;
  for (auto p : params) {
    bool known = false;
    for (auto a : allowed) known = known || a == p.key;
    if (!known) {
      q.error = "unknown parameter '" + p.key + "'";
      return q;
    }
    if (!p.has_value) {
      q.error = "parameter '" + p.key + "' needs a value";
      return q;
    }
    if (!q.values.emplace(p.key, p.value).second) {
      q.error = "parameter '" + p.key + "' given twice";
      return q;
    }
  }
  return q;
}

std::optional<Page> read_page(const Query& query, std::string& error) {
  Page page;
  if (auto after = query.get("after")) page.after = *after;
  auto it = query.values.find("limit");
  if (it == query.values.end()) return page;
  const std::string& s = it->second;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n == 0 || n > kMaxLimit) {
    error = "limit must be a number from 1 to " + std::to_string(kMaxLimit);
    return std::nullopt;
  }
  page.limit = n;
  return page;
}

Response method_not_allowed(std::string_view allow) {
  auto res = error_response(http::status::method_not_allowed,
                            "method not allowed; use " + std::string(allow));
  res.set(http::field::allow, allow);
  return res;
}

Response storage_failure(error_code ec) {
  log::error("admin.storage_failed", {{"error", ec.message()}});
  auto res = error_response(http::status::service_unavailable,
                            ec == storage_errc::busy ? "storage busy; retry later"
                                                     : "storage unavailable: " + ec.message());
  res.set(http::field::retry_after, "1");
  return res;
}

Response action_error(error_code ec, std::string_view what) {
  if (ec == storage_errc::not_found || ec == delivery_errc::unknown_subscription)
    return error_response(http::status::not_found, "no such " + std::string(what));
  if (ec == delivery_errc::already_delivered)
    return error_response(http::status::conflict, "the delivery was already delivered");
  return storage_failure(ec);
}

}  // namespace hookd::daemon
