#pragma once
// Request parsing and error answers shared by the admin endpoints: query
// parameters (Boost.URL, percent-decoded), pagination, and the mapping of
// storage and delivery errors to HTTP statuses (docs/admin-api.md).

#include "core/errors.hpp"
#include "daemon/http/net.hpp"

#include <boost/url/params_view.hpp>

#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hookd::daemon {

inline constexpr std::size_t kDefaultLimit = 100;
inline constexpr std::size_t kMaxLimit = 1000;

// A request's query parameters by name. `error` is set for a parameter not
// in the allowed list, a repeated one, or one without "=value".
struct Query {
  std::map<std::string, std::string, std::less<>> values;
  std::string error;

  // The value of `name`; nullopt when absent or empty.
  std::optional<std::string_view> get(std::string_view name) const;
};
Query read_query(boost::urls::params_view params, std::initializer_list<std::string_view> allowed);

// limit (1 to kMaxLimit, default kDefaultLimit) and after (exclusive id).
struct Page {
  std::size_t limit = kDefaultLimit;
  std::string after;
};
// nullopt with `error` set for a limit that is not a number in range.
std::optional<Page> read_page(const Query& query, std::string& error);

// 405 with the Allow header.
Response method_not_allowed(std::string_view allow);
// 503 for a failed storage read or write (logged; Retry-After: 1).
Response storage_failure(error_code ec);
// The answer for an admin action's error: 404 (unknown `what`), 409
// (already delivered), 503 (storage).
Response action_error(error_code ec, std::string_view what);

}  // namespace hookd::daemon
