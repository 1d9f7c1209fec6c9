#pragma once
// hookctl's commands: each turns a parsed Invocation into admin API requests
// (docs/admin-api.md), then the answer into text, or a failure into one
// "hookctl: ..." line and exit code 1 (daemon unreachable, token refused,
// no such object, the API's own error message). The token is never part of
// any output.

#include "daemon/hookctl/hookctl_args.hpp"
#include "daemon/hookctl/hookctl_http.hpp"

#include <string>
#include <string_view>

namespace hookd::hookctl {

struct Output {
  std::string out;  // for stdout
  std::string err;  // for stderr
  int exit_code = kExitOk;
};

// Runs `inv` through `client`; `admin_url` names the daemon in messages.
Output run_command(const Invocation& inv, const AdminClient& client, std::string_view admin_url);

// `s` percent-encoded for a path segment or a query value: everything but
// RFC 3986 unreserved characters becomes %XX.
std::string encode_component(std::string_view s);

}  // namespace hookd::hookctl
