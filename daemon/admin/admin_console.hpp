#pragma once
// The console's files at /ui/ on the admin listener (docs/admin-api.md,
// Console). They hold no data, so they need no token; every data call the
// console makes is to /v1 with the token. Every answer, errors included,
// carries the console's Content-Security-Policy (no inline script or style,
// no other host) and nosniff, no-referrer and no-cache.

#include "daemon/http/http_server.hpp"

#include <optional>
#include <string_view>

namespace hookd::daemon {

inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// The answer for `path` (without the query) when it is /ui or under /ui/,
// else nullopt. GET and HEAD only.
std::optional<Response> console_response(std::string_view path, http::verb method);

}  // namespace hookd::daemon
