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
  std::vector<std::string_view> repeatable = {};  // options that may be given again
};

// The commands that are a group and a subcommand ("subscription create").
constexpr std::string_view kGroups[] = {"subscription"};

// A subscription's fields as options of create, update and replace
// (hookctl_subscription.hpp turns them into the request body).
const std::vector<std::string_view> kFieldOptions = {
    "url",       "secret-file",     "basic-auth-user", "basic-auth-password-file",
    "body",      "attempt-timeout", "retry-attempts",  "retry-base",
    "retry-cap", "max-in-flight",   "enabled",         "tls-ca",
    "file"};
const std::vector<std::string_view> kFieldLists = {"event", "source", "header",
                                                   "label", "filter", "extra"};
// The repeatable options whose values are KEY=VALUE.
constexpr std::string_view kPairOptions[] = {"header", "label", "filter", "extra"};

std::vector<std::string_view> joined(std::vector<std::string_view> a,
                                     const std::vector<std::string_view>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

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
      {"subscription list", "", {"origin", "label"}},
      {"subscription show", "NAME", {}},
      {"subscription create", "", joined({"name"}, kFieldOptions), kFieldLists},
      {"subscription update", "NAME", kFieldOptions, joined({"unset"}, kFieldLists)},
      {"subscription replace", "NAME", kFieldOptions, kFieldLists},
      {"subscription delete", "NAME", {}},
      {"subscription enable", "NAME", {}},
      {"subscription disable", "NAME", {}},
      {"subscription rotate-secret", "NAME", {"grace", "secret-file"}},
      {"subscription test", "NAME", {}},
  };
  return specs;
}

const CommandSpec* find_command(std::string_view name) {
  for (const auto& spec : commands())
    if (spec.name == name) return &spec;
  return nullptr;
}

bool is_group(std::string_view word) {
  return std::find(std::begin(kGroups), std::end(kGroups), word) != std::end(kGroups);
}

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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
  for (auto name : kPairOptions) {
    for (const auto& value : inv.list(name))
      if (!split_pair(value))
        return "--" + std::string(name) + " must be KEY=VALUE, not '" + value + "'";
  }
  if (auto label = inv.option("label"); label && !split_pair(*label))
    return "--label must be KEY=VALUE, not '" + std::string(*label) + "'";
  for (std::string name : {"retry-attempts", "max-in-flight"}) {
    auto value = inv.option(name);
    if (!value) continue;
    long long n = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || end != value->data() + value->size())
      return "--" + name + " must be a whole number, not '" + std::string(*value) + "'";
  }
  if (auto enabled = inv.option("enabled"); enabled && *enabled != "true" && *enabled != "false")
    return "--enabled must be true or false, not '" + std::string(*enabled) + "'";
  for (const auto& path : inv.list("unset"))
    if (path.empty() || path.front() == '.' || path.back() == '.')
      return "--unset must name a field (headers, retry.base, labels.KEY), not '" + path + "'";
  if (auto state = inv.option("state")) {
    if (*state != "pending" && *state != "delivered" && *state != "dead" && *state != "cancelled")
      return "--state must be pending, delivered, dead or cancelled, not '" + std::string(*state) + "'";
  }
  if (inv.command == "subscription update" && inv.options.empty() && inv.lists.empty())
    return "subscription update: nothing to change; give a field (--url, --header, --file, ...)";
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

const std::vector<std::string>& Invocation::list(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = lists.find(name);
  return it == lists.end() ? kNone : it->second;
}

std::optional<std::pair<std::string, std::string>> split_pair(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  return std::pair<std::string, std::string>(text.substr(0, eq), text.substr(eq + 1));
}

ParsedArgs parse_args(const std::vector<std::string>& args, std::int64_t now_ms) {
  Invocation inv;
  const CommandSpec* spec = nullptr;
  std::string group;  // "subscription", until its subcommand is read
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
      if (!spec && group.empty() && is_group(arg)) {
        group = arg;
      } else if (!spec) {
        std::string name = group.empty() ? arg : group + " " + arg;
        spec = find_command(name);
        if (!spec && group.empty()) return usage_error("unknown command '" + arg + "'");
        if (!spec) return usage_error(group + ": unknown subcommand '" + arg + "'");
        inv.command = std::move(name);
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
  if (!spec && !group.empty())
    return usage_error(group + ": missing subcommand (list, show, create, update, replace, " +
                       "delete, enable, disable, rotate-secret, test)");
  if (!spec) return usage_error("no command given");
  for (auto& [name, value] : command_options) {
    if (contains(spec->repeatable, name)) {
      inv.lists[name].push_back(std::move(value));
      continue;
    }
    if (!contains(spec->options, name))
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
  deliveries [--subscription S] [--state pending|delivered|dead|cancelled] [--limit N] [--after ID]
  delivery ID                  one delivery with every attempt
  retry ID                     attempt a delivery now (a dead one gets a fresh budget)
  pause NAME                   stop attempting a subscription's deliveries
  resume NAME                  attempt them again
  replay NAME --since WHEN [--until WHEN]
                               deliver again every stored event in [since, until);
                               WHEN is a duration before now (2h, 1h30m) or RFC 3339
  redeliver-dead NAME          make every dead delivery of NAME pending again
  event-types [--source S]     every event type received, with count, first and last seen
  listen [--port 9901] [--host 127.0.0.1] [--secret-file F] [--status 200]
         [--fail-first N] [--delay D] [--json]
                               a local receiver: prints each delivery with its
                               signature verdict, then answers (hookctl listen --help)

subscriptions over the admin API (config-file ones are read-only there):
  subscription list [--origin api|config] [--label KEY=VALUE]
  subscription show NAME       every field, state and counters
  subscription create [--name NAME] --url URL [FIELDS]
                               prints the generated secret once (without --secret-file)
  subscription update NAME [FIELDS] [--unset FIELD[.KEY]]...
                               changes only the fields given (JSON merge patch)
  subscription replace NAME [FIELDS]
                               the whole subscription; its secrets are kept
                               unless --secret-file is given
  subscription delete NAME     its pending deliveries are cancelled
  subscription enable NAME / subscription disable NAME
  subscription rotate-secret NAME [--grace D] [--secret-file F]
                               a new secret; the old ones sign beside it for
                               --grace (default 24h; 0s: stop at once)
  subscription test NAME       deliver a hookd.test event; prints the delivery id

FIELDS (repeatable ones marked ...):
  --url URL  --event PATTERN...  --source NAME...  --header NAME=VALUE...
  --label KEY=VALUE...  --filter KEY=VALUE... (bucket, prefix, suffix,
  workspace, collection, resource_type)  --extra KEY=VALUE... (string values)
  --secret-file F (a whsec_ secret)  --basic-auth-user U
  --basic-auth-password-file F  --body original|cloudevents
  --attempt-timeout D  --retry-attempts N  --retry-base D  --retry-cap D
  --max-in-flight N  --enabled true|false  --tls-ca PATH (on the daemon's host)
  --file F.json  a JSON object of fields (- for stdin); the flags above win
  Secrets and passwords are read from files (trailing newlines trimmed), never
  taken on the command line.

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
