#include "daemon/http/request_rules.hpp"

namespace hookd::daemon {

std::size_t consume_leading_newlines(beast::flat_buffer& buffer) {
  const auto* p = static_cast<const char*>(buffer.data().data());
  std::size_t n = 0;
  while (n < buffer.size() && (p[n] == '\r' || p[n] == '\n')) ++n;
  buffer.consume(n);
  return n;
}

std::optional<std::pair<http::status, std::string_view>> protocol_problem(
    const http::request_header<>& head) {
  if (head.count(http::field::host) > 1) {
    return std::pair{http::status::bad_request, std::string_view("more than one Host header")};
  }
  if (head.count(http::field::transfer_encoding) > 0) {
    const auto te = head[http::field::transfer_encoding];
    std::string_view v(te.data(), te.size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (head.count(http::field::transfer_encoding) > 1 || !beast::iequals(v, "chunked")) {
      return std::pair{http::status::not_implemented,
                       std::string_view("only the chunked transfer coding is supported")};
    }
  }
  if (head.count(http::field::expect) > 0 &&
      (head.count(http::field::expect) > 1 ||
       !beast::iequals(head[http::field::expect], "100-continue"))) {
    return std::pair{http::status::expectation_failed,
                     std::string_view("only Expect: 100-continue is supported")};
  }
  return std::nullopt;
}

}  // namespace hookd::daemon
