#include "daemon/hookctl/hookctl_args.hpp"

#include "core/config/config.hpp"
#include "core/delivery/outgoing.hpp"
#include "core/formats/parsers.hpp"

#include <algorithm>
#include <charconv>

namespace hookd::hookctl {

namespace {

struct CommandSpec {
  std::string_view name;
  std::string_view argument;  // "ID", "NAME" or "" for none
  std::vector<std::string_view> options;
};

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> specs = {
      {"status", "", {}},
      {"subscriptions", "", {}},
      {"events", "", {"source", "type", "limit", "after"}},
      {"event", "ID", {}},
      {"deliveries", "", {"subscription", "state", "limit", "after"}},
      {"delivery", "ID", {}},
      {"retry", "ID", {}},
      {"pause", "NAME", {}},
      {"resume", "NAME", {}},
      {"replay", "NAME", {"since", "until"}},
      {"redeliver-dead", "NAME", {}},
      {"event-types", "", {"source"}},
  };
  return specs;
}

const CommandSpec* find_command(std::string_view name) {
  for (const auto& spec : commands())
    if (spec.name == name) return &spec;
  return nullptr;
}

bool is_global_option(std::string_view name) {
  return name == "admin" || name == "token-file" || name == "ca" || name == "timeout" ||
         name == "json" || name == "help" || name == "version";
}

bool takes_value(std::string_view name) {
  return name != "json" && name != "help" && name != "version";
}

ParsedArgs usage_error(std::string message) {
  ParsedArgs out;
  out.error = std::move(message);
  return out;
}

// The checks that need the whole command line: required options and values.
std::string check_command(Invocation& inv, const CommandSpec& spec, std::int64_t now_ms) {
  if (!spec.argument.empty() && inv.argument.empty())
    return inv.command + ": missing " + std::string(spec.argument);
  if (auto limit = inv.option("limit")) {
    unsigned long n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n == 0)
      return "--limit must be a positive number, not '" + std::string(*limit) + "'";
  }
  if (auto state = inv.option("state")) {
    if (*state != "pending" && *state != "delivered" && *state != "dead" && *state != "cancelled")
      return "--state must be pending, delivered, dead or cancelled, not '" + std::string(*state) + "'";
  }
  if (inv.command == "replay") {
    if (!inv.option("since")) return "replay: --since is required (e.g. --since 2h)";
    std::optional<std::int64_t> until_ms;
    for (std::string name : {"since", "until"}) {
      auto text = inv.option(name);
      if (!text) continue;
      auto ms = resolve_time(*text, now_ms);
      if (!ms)
        return "--" + name + " must be a duration (2h, 30m, 1h30m) or an RFC 3339 time, not '" +
               std::string(*text) + "'";
      if (name == "until") until_ms = ms;
      inv.options[name] = format_rfc3339_ms(*ms);
    }
    auto since_ms = parse_rfc3339_ms(inv.options["since"]);
    if (*since_ms >= until_ms.value_or(now_ms))
      return "--since must be earlier than " + std::string(until_ms ? "--until" : "now");
  }
  return {};
}

}  // namespace

std::optional<std::string_view> Invocation::option(std::string_view name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return std::string_view(it->second);
}

ParsedArgs parse_args(const std::vector<std::string>& args, std::int64_t now_ms) {
  Invocation inv;
  const CommandSpec* spec = nullptr;
  std::vector<std::pair<std::string, std::string>> command_options;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg == "-h") return ParsedArgs{{}, {}, true, false};
    if (options_done || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      if (arg.size() > 1 && arg[0] == '-' && !options_done)
        return usage_error("unknown option '" + arg + "'");
      if (!spec) {
        spec = find_command(arg);
        if (!spec) return usage_error("unknown command '" + arg + "'");
        inv.command = arg;
      } else if (!spec->argument.empty() && inv.argument.empty()) {
        inv.argument = arg;
      } else {
        return usage_error(inv.command + ": unexpected argument '" + arg + "'");
      }
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    bool global = is_global_option(name);
    if (global && !takes_value(name)) {
      if (value) return usage_error("--" + name + " takes no value");
      if (name == "help") return ParsedArgs{{}, {}, true, false};
      if (name == "version") return ParsedArgs{{}, {}, false, true};
      inv.json = true;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage_error("--" + name + " needs a value");
      value = args[++i];
    }
    if (!global) {
      command_options.emplace_back(std::move(name), std::move(*value));
    } else if (name == "admin") {
      inv.admin_url = *value;
    } else if (name == "token-file") {
      inv.token_file = *value;
    } else if (name == "ca") {
      inv.ca_file = *value;
    } else {
      auto timeout = parse_duration(*value);
      if (!timeout || timeout->count() <= 0)
        return usage_error("--timeout must be a duration such as 10s, not '" + *value + "'");
      inv.timeout = *timeout;
    }
  }
  if (!spec) return usage_error("no command given");
  for (auto& [name, value] : command_options) {
    if (std::find(spec->options.begin(), spec->options.end(), name) == spec->options.end())
      return usage_error(inv.command + ": unknown option '--" + name + "'");
    if (inv.options.count(name)) return usage_error("--" + name + " given twice");
    inv.options.emplace(name, std::move(value));
  }
  if (auto error = check_command(inv, *spec, now_ms); !error.empty())
    return usage_error(std::move(error));
  ParsedArgs out;
  out.invocation = std::move(inv);
  return out;
}

std::optional<std::int64_t> resolve_time(std::string_view text, std::int64_t now_ms) {
  if (auto ms = parse_rfc3339_ms(text)) return ms;
  if (auto ago = parse_duration(text)) return now_ms - ago->count();
  return std::nullopt;
}

std::string usage_text() {
  return R"(usage: hookctl [--admin URL] [--token-file FILE] [--json] COMMAND [ARGS]

commands:
  status                       health, readiness and a subscriptions summary
  subscriptions                every subscription with its state and counters
  events [--source S] [--type T] [--limit N] [--after ID]
  event ID                     one event, its deliveries and its body
  deliveries [--subscription S] [--state pending|delivered|dead] [--limit N] [--after ID]
  delivery ID                  one delivery with every attempt
  retry ID                     attempt a delivery now (a dead one gets a fresh budget)
  pause NAME                   stop attempting a subscription's deliveries
  resume NAME                  attempt them again
  replay NAME --since WHEN [--until WHEN]
                               deliver again every stored event in [since, until);
                               WHEN is a duration before now (2h, 1h30m) or RFC 3339
  redeliver-dead NAME          make every dead delivery of NAME pending again
  event-types [--source S]     every event type received, with count, first and last seen

options:
  --admin URL        admin API (default http://127.0.0.1:9090; https verified)
  --token-file FILE  bearer token (default: $HOOKCTL_TOKEN, then
                     $CREDENTIALS_DIRECTORY/admin.token)
  --ca FILE          CA certificates for an https admin URL (default: system store)
  --timeout D        limit for each network step (default 10s)
  --json             print the API's JSON instead of tables
  --help, --version

exit codes: 0 ok, 1 failure (daemon unreachable, token refused, API error), 64 bad usage
)";
}

}  // namespace hookd::hookctl
