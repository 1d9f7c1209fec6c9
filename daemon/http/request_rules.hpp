#pragma once
// What the HTTP layer itself refuses or skips in a request, whatever the
// listener (RFC 9110 and 9112): empty lines before a request line, a
// repeated Host, transfer codings and expectations hookd does not
// implement. HttpServer applies them (docs/hardening.md).

#include "daemon/http/net.hpp"

#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace hookd::daemon {

// Empty lines a client may send before a request line (RFC 9112 section
// 2.2 says to ignore at least one); more is a 400.
inline constexpr std::size_t kMaxLeadingNewlines = 8;

// Consumes the CR and LF bytes at the front of `buffer`; how many.
std::size_t consume_leading_newlines(beast::flat_buffer& buffer);

// The status and reason for a parsed head the HTTP layer refuses: a
// repeated Host (400, RFC 9112 section 3.2), a transfer coding other than
// chunked (501, RFC 9112 section 6.1), an expectation other than
// 100-continue (417, RFC 9110 section 10.1.1); nullopt when none applies.
std::optional<std::pair<http::status, std::string_view>> protocol_problem(
    const http::request_header<>& head);

}  // namespace hookd::daemon
