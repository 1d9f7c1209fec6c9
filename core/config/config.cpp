// Loading the config file: TOML syntax, the [server], [admin], [storage]
// and [delivery] tables, and the checks that span tables. [[source]] and
// [[subscription]] tables are read in core/config_schema.cpp.

#include "core/config/config.hpp"

#include <algorithm>

#include "core/config/config_reader.hpp"
#include "core/delivery/destination_guard.hpp"

#ifndef HOOKD_VERSION
#define HOOKD_VERSION "0.1.0"
#endif

namespace hookd {
namespace {

constexpr std::size_t kMaxConfigFile = 16 << 20;

std::optional<ListenAddress> read_listen(ConfigContext& ctx, int line,
                                         const std::string& path,
                                         const std::string& text) {
  std::optional<ListenAddress> addr = parse_listen(text);
  if (!addr) {
    ctx.error(line, path + ": invalid address \"" + text +
                        "\"; use IP:PORT, e.g. \"127.0.0.1:8080\" or "
                        "\"[::1]:8080\"");
  }
  return addr;
}

constexpr std::uint64_t kMaxBody = 64ULL << 20;
constexpr Duration kMaxRequestTimeout{3600 * 1000};
constexpr Duration kMaxHeaderTimeout{300 * 1000};
constexpr Duration kMaxDrainTimeout{300 * 1000};
constexpr std::uint32_t kMaxRecords = 100'000;
constexpr std::uint32_t kMaxConnections = 1'000'000;
constexpr std::uint32_t kMaxQueue = 1U << 24;
// Each pair costs memory (up to ~300 bytes) and a row of /v1/event-types.
constexpr std::uint32_t kMaxEventTypes = 1'000'000;
constexpr std::uint32_t kMaxInFlight = 1'000'000;
constexpr std::uint32_t kMaxConnectionsPerOrigin = 10'000;
constexpr std::uint32_t kMaxThreads = 256;
constexpr std::uint32_t kMaxBusyPollUs = 10'000;
constexpr std::uint32_t kMaxOutcomeDelayUs = 100'000;
constexpr std::uint32_t kMaxApiSubscriptions = 100000;

// max_connections and max_connections_per_ip of [server] or [admin].
void read_connection_caps(TableReader& r, std::uint32_t& total, std::uint32_t& per_ip) {
  if (auto n = r.positive_u32("max_connections", kMaxConnections)) total = *n;
  if (auto n = r.positive_u32("max_connections_per_ip", kMaxConnections)) per_ip = *n;
  if (per_ip > total && r.has("max_connections_per_ip"))
    r.error("max_connections_per_ip", "must not exceed max_connections (" +
                                          std::to_string(total) + ")");
}

void read_server(TableReader& root, ServerConfig& server) {
  ConfigContext& ctx = root.context();
  const toml::table* table = root.table("server");
  if (table == nullptr) {
    if (!root.has("server")) ctx.error(0, "server.listen: required");
    return;
  }
  TableReader r(ctx, *table, "server",
                {"listen", "tls", "max_body", "read_timeout", "idle_timeout", "header_timeout",
                 "max_connections", "max_connections_per_ip", "max_records", "drain_timeout",
                 "threads", "busy_poll_us", "sched_batch"});
  std::optional<std::vector<std::string>> listen = r.string_array("listen");
  if (!r.has("listen") || (listen && listen->empty())) {
    r.error("listen", "at least one address required");
  }
  for (std::size_t i = 0; listen && i < listen->size(); ++i) {
    std::string path = r.path_of("listen") + "[" + std::to_string(i) + "]";
    auto addr =
        read_listen(ctx, r.element_line("listen", i), path, (*listen)[i]);
    if (!addr) continue;
    bool duplicate =
        addr->port != 0 &&
        std::any_of(server.listen.begin(), server.listen.end(),
                    [&](const ListenAddress& a) {
                      return a.host == addr->host && a.port == addr->port;
                    });
    if (duplicate) {
      ctx.error(r.element_line("listen", i), path + ": listed twice");
      continue;
    }
    server.listen.push_back(*addr);
  }
  if (const toml::table* tls = r.table("tls")) {
    TableReader t(ctx, *tls, "server.tls", {"cert", "key"});
    std::optional<std::string> cert = t.nonempty_string("cert");
    std::optional<std::string> key = t.nonempty_string("key");
    if (t.has("cert") != t.has("key")) {
      t.error_here("cert and key must be given together");
    } else if (cert && key) {
      server.tls = TlsServerConfig{*cert, *key};
    }
  }
  // Each body is held in memory while it is read: max_connections of them.
  if (auto size = r.size("max_body", kMaxBody)) server.max_body = *size;
  if (auto d = r.duration("read_timeout", kMaxRequestTimeout)) server.read_timeout = *d;
  if (auto d = r.duration("idle_timeout", kMaxRequestTimeout)) server.idle_timeout = *d;
  if (auto d = r.duration("header_timeout", kMaxHeaderTimeout)) server.header_timeout = *d;
  read_connection_caps(r, server.max_connections, server.max_connections_per_ip);
  if (auto n = r.positive_u32("max_records", kMaxRecords)) server.max_records = *n;
  if (auto d = r.duration("drain_timeout", kMaxDrainTimeout)) server.drain_timeout = *d;
  if (auto n = r.positive_u32("threads", kMaxThreads)) server.threads = *n;
  if (auto n = r.u32_between("busy_poll_us", 0, kMaxBusyPollUs)) server.busy_poll_us = *n;
  if (auto on = r.boolean("sched_batch")) server.sched_batch = *on;
}

void read_admin(TableReader& root, AdminConfig& admin,
                const ServerConfig& server) {
  const toml::table* table = root.table("admin");
  if (table == nullptr) return;
  TableReader r(root.context(), *table, "admin",
                {"listen", "token", "read_token", "max_connections", "max_connections_per_ip",
                 "max_subscriptions", "allow_destinations"});
  read_connection_caps(r, admin.max_connections, admin.max_connections_per_ip);
  if (auto n = r.positive_u32("max_subscriptions", kMaxApiSubscriptions))
    admin.max_subscriptions = *n;
  if (auto cidrs = r.cidr_array("allow_destinations")) admin.allow_destinations = std::move(*cidrs);
  if (auto text = r.string("listen")) {
    admin.listen = read_listen(root.context(), r.line_of("listen"),
                               r.path_of("listen"), *text);
    if (admin.listen && admin.listen->port != 0) {
      for (const ListenAddress& a : server.listen) {
        if (a.host == admin.listen->host && a.port == admin.listen->port) {
          r.error("listen", "already used by server.listen");
        }
      }
    }
  }
  admin.token = r.secret("token").value_or("");
  admin.read_token = r.secret("read_token").value_or("");
  if (!admin.read_token.empty() && admin.read_token == admin.token)
    r.error("read_token", "must differ from token");
  if (!admin.read_token.empty() && admin.token.empty() && !r.context().has_errors())
    r.error("read_token", "needs token: without it the admin API is disabled");
}

void read_storage(TableReader& root, StorageConfig& storage) {
  const toml::table* table = root.table("storage");
  if (table == nullptr) return;
  TableReader r(
      root.context(), *table, "storage",
      {"path", "sync", "dedup_window", "retention", "max_write_queue", "event_types",
       "max_event_types", "outcome_delay_us"});
  if (auto path = r.nonempty_string("path")) storage.path = *path;
  if (auto sync = r.string("sync")) {
    if (*sync == "group") {
      storage.sync = SyncMode::group;
    } else if (*sync == "none") {
      storage.sync = SyncMode::none;
    } else {
      r.error("sync", "unknown mode \"" + *sync + "\"; expected group or none");
    }
  }
  if (auto d = r.duration("dedup_window")) storage.dedup_window = *d;
  if (auto d = r.duration("retention")) storage.retention = *d;
  if (auto n = r.positive_u32("max_write_queue", kMaxQueue)) storage.max_write_queue = *n;
  if (auto on = r.boolean("event_types")) storage.event_types = *on;
  if (auto n = r.positive_u32("max_event_types", kMaxEventTypes)) storage.max_event_types = *n;
  if (auto n = r.u32_between("outcome_delay_us", 0, kMaxOutcomeDelayUs))
    storage.outcome_delay_us = *n;
}

void read_delivery(TableReader& root, DeliveryConfig& delivery) {
  delivery.user_agent = "hookd/" HOOKD_VERSION;
  delivery.deny_destinations = default_denied_destinations();
  const toml::table* table = root.table("delivery");
  if (table == nullptr) return;
  TableReader r(root.context(), *table, "delivery",
                {"max_in_flight", "connections_per_origin", "user_agent", "deny_destinations"});
  if (auto cidrs = r.cidr_array("deny_destinations")) delivery.deny_destinations = std::move(*cidrs);
  if (auto n = r.positive_u32("max_in_flight", kMaxInFlight)) delivery.max_in_flight = *n;
  if (auto n = r.positive_u32("connections_per_origin", kMaxConnectionsPerOrigin)) {
    delivery.connections_per_origin = *n;
  }
  if (auto ua = r.nonempty_string("user_agent")) {
    bool printable = std::all_of(ua->begin(), ua->end(), [](unsigned char c) {
      return c >= 0x20 && c != 0x7f;
    });
    if (printable) {
      delivery.user_agent = *ua;
    } else {
      r.error("user_agent", "must not contain control characters");
    }
  }
}

// One table of an array of tables and its index in that array.
struct Element {
  std::size_t index;
  const toml::table* table;
};

// The tables of an array of tables ([[source]]), reporting other shapes.
std::vector<Element> tables_of(TableReader& root, std::string_view key) {
  std::vector<Element> out;
  const toml::node* node = root.get(key);
  if (node == nullptr) return out;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    root.error(key, "expected [[" + std::string(key) + "]] tables, got " +
                        type_name(*node));
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (const toml::table* t = (*arr)[i].as_table()) {
      out.push_back(Element{i, t});
      continue;
    }
    root.context().error(line_of((*arr)[i]), std::string(key) + "[" +
                                                 std::to_string(i) +
                                                 "]: expected a table, got " +
                                                 type_name((*arr)[i]));
  }
  return out;
}

int key_line(const Element& e, std::string_view key) {
  const toml::node* node = e.table->get(key);
  return node ? line_of(*node) : line_of(*e.table);
}

void check_sources(ConfigContext& ctx, const std::vector<SourceConfig>& sources,
                   const std::vector<Element>& elements) {
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const SourceConfig& s = sources[i];
    std::string path =
        element_path("source", elements[i].index, *elements[i].table);
    for (std::size_t j = 0; j < i; ++j) {
      if (!s.name.empty() && sources[j].name == s.name) {
        ctx.error(key_line(elements[i], "name"),
                  path + ": duplicate name; first defined on line " +
                      std::to_string(sources[j].line));
        break;
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (!s.token.empty() && sources[j].token == s.token) {
        ctx.error(key_line(elements[i], "token"),
                  path + ".token: the same token as the source on line " +
                      std::to_string(sources[j].line) +
                      "; tokens must tell sources apart");
        break;
      }
    }
  }
}

void check_subscriptions(ConfigContext& ctx,
                         const std::vector<SubscriptionConfig>& subs,
                         const std::vector<Element>& elements,
                         const std::vector<SourceConfig>& sources) {
  std::vector<std::string_view> source_names;
  for (const SourceConfig& s : sources) source_names.push_back(s.name);
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const SubscriptionConfig& sub = subs[i];
    std::string path =
        element_path("subscription", elements[i].index, *elements[i].table);
    for (std::size_t j = 0; j < i; ++j) {
      if (!sub.name.empty() && subs[j].name == sub.name) {
        ctx.error(key_line(elements[i], "name"),
                  path + ": duplicate name; first defined on line " +
                      std::to_string(subs[j].line));
        break;
      }
    }
    const toml::node* node = elements[i].table->get("sources");
    for (std::size_t k = 0; k < sub.sources.size(); ++k) {
      const std::string& name = sub.sources[k];
      if (std::find(source_names.begin(), source_names.end(), name) !=
          source_names.end()) {
        continue;
      }
      ctx.error(line_of((*node->as_array())[k]),
                path + ".sources[" + std::to_string(k) + "]: " +
                    unknown_source_message(name, source_names));
    }
  }
}

}  // namespace

std::string unknown_source_message(std::string_view name,
                                   std::span<const std::string_view> known) {
  std::string message = "unknown source \"" + std::string(name) + "\"";
  std::string_view suggestion = closest_key(name, known);
  if (!suggestion.empty()) message += "; did you mean '" + std::string(suggestion) + "'?";
  return message;
}

const SourceConfig* Config::find_source(std::string_view name) const noexcept {
  for (const SourceConfig& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ConfigError::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

ConfigLoad load_config(const std::string& path) {
  std::string reason;
  std::optional<std::string> text = read_file(path, kMaxConfigFile, reason);
  if (!text) {
    return ConfigLoad{
        nullptr, {ConfigError{path, 0, "cannot read config file: " + reason}}};
  }
  return load_config_text(*text, path);
}

ConfigLoad load_config_text(std::string_view text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    int line = static_cast<int>(e.source().begin.line);
    return ConfigLoad{
        nullptr,
        {ConfigError{file, line,
                     "invalid TOML: " + std::string(e.description())}}};
  }
  ConfigContext ctx(file);
  auto config = std::make_shared<Config>();
  config->file = file;
  TableReader r(
      ctx, root, "",
      {"server", "admin", "storage", "delivery", "source", "subscription"});
  read_server(r, config->server);
  read_admin(r, config->admin, config->server);
  read_storage(r, config->storage);
  read_delivery(r, config->delivery);

  std::vector<Element> sources = tables_of(r, "source");
  for (const Element& e : sources) {
    config->sources.push_back(read_source(ctx, *e.table, e.index));
  }
  check_sources(ctx, config->sources, sources);
  std::vector<Element> subs = tables_of(r, "subscription");
  for (const Element& e : subs) {
    config->subscriptions.push_back(read_subscription(ctx, *e.table, e.index));
  }
  check_subscriptions(ctx, config->subscriptions, subs, config->sources);

  if (ctx.has_errors()) {
    std::vector<ConfigError> errors = ctx.take_errors();
    std::stable_sort(errors.begin(), errors.end(),
                     [](const ConfigError& a, const ConfigError& b) {
                       return a.line < b.line;
                     });
    return ConfigLoad{nullptr, std::move(errors)};
  }
  return ConfigLoad{std::move(config), {}};
}

}  // namespace hookd
