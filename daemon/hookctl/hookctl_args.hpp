#pragma once
// hookctl's command line (SPEC section 6): global options, the command, its
// positional argument and its options, all checked before any request is
// made, so that every mistake is a usage error (exit 64) and nothing else is.
// Pure functions; the current time is passed in for relative durations.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::hookctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;

inline constexpr std::string_view kDefaultAdminUrl = "http://127.0.0.1:9090";

struct Invocation {
  std::string admin_url{kDefaultAdminUrl};
  std::string token_file;  // empty: HOOKCTL_TOKEN, then $CREDENTIALS_DIRECTORY/admin.token
  std::string ca_file;     // empty: the system trust store
  std::chrono::milliseconds timeout{10'000};  // each network phase
  bool json = false;
  std::string command;   // "status", "deliveries", "subscription create", ...
  std::string argument;  // the ID or NAME of commands that take one
  // Command options by name without dashes ("state" -> "dead"). Replay's
  // "since" and "until" are already RFC 3339 UTC with milliseconds.
  std::map<std::string, std::string, std::less<>> options;
  // Repeatable options ("header", "event", ...), in command-line order.
  std::map<std::string, std::vector<std::string>, std::less<>> lists;

  std::optional<std::string_view> option(std::string_view name) const;
  // The values of a repeatable option; empty when it was not given.
  const std::vector<std::string>& list(std::string_view name) const;
};

struct ParsedArgs {
  std::optional<Invocation> invocation;  // set when the command line is valid
  std::string error;                     // "unknown command 'x'" (without "hookctl: ")
  bool help = false;                     // --help: print usage, exit 0
  bool version = false;                  // --version
};

// Parses argv[1..]. A command is one word ("status") or a group and a
// subcommand ("subscription create"). Global options may appear anywhere; `--name value` and
// `--name=value` are both accepted, and `--` ends the options. `now_ms` (unix
// milliseconds) anchors replay's relative --since/--until.
ParsedArgs parse_args(const std::vector<std::string>& args, std::int64_t now_ms);

// "KEY=VALUE" split at its first '='; nullopt without one or with an empty
// KEY (the value may be empty).
std::optional<std::pair<std::string, std::string>> split_pair(std::string_view text);

// The usage text, ending with a newline.
std::string usage_text();

// A point in time given as a duration before `now_ms` ("2h", "1h30m", "90s")
// or as an RFC 3339 timestamp; nullopt for anything else.
std::optional<std::int64_t> resolve_time(std::string_view text, std::int64_t now_ms);

}  // namespace hookd::hookctl
