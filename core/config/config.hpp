#pragma once
// The configuration: plain structs filled by load_config() from a TOML file
// (SPEC section 2), with every problem collected as "file:line: message".
// Secrets ("env:NAME", "file:PATH") are resolved while loading; the resolved
// values live only in these structs and are never logged.

#include "core/event.hpp"
#include "core/event_types.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hookd {

using Duration = std::chrono::milliseconds;

// An address range from allow_from, IPv4 or IPv6 ("10.0.0.0/8", "::1/128").
// IPv4-mapped IPv6 client addresses match IPv4 ranges.
struct Cidr {
  bool v6 = false;
  std::uint8_t bytes[16] = {};
  int prefix = 0;
  // `addr` is 4 bytes (v4) or 16 bytes (v6).
  bool contains(const std::uint8_t* addr, bool addr_v6) const noexcept;
  std::string to_string() const;
  bool operator==(const Cidr&) const = default;
};

// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80".
struct ListenAddress {
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string to_string() const;
};

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
};

struct ServerConfig {
  std::vector<ListenAddress> listen;
  std::optional<TlsServerConfig> tls;
  std::uint64_t max_body = 1024 * 1024;
  Duration read_timeout{10'000};
  Duration idle_timeout{75'000};
  Duration header_timeout{10'000};  // a new connection's first request head
  std::uint32_t max_connections = 1024;
  std::uint32_t max_connections_per_ip = 256;  // IPv6: per /64
  std::uint32_t max_records = 100;  // records in one request (MinIO sends 1)
  Duration drain_timeout{10'000};   // SIGTERM: how long requests and attempts may finish
  std::uint32_t threads = 0;        // io threads; 0 (unset): one per core
  // How long an io thread polls instead of sleeping while a light load
  // awaits a storage write (daemon/http/io_loop.hpp), and the storage writer
  // after each group (StoreOptions::busy_poll); 0: both sleep at once.
  std::uint32_t busy_poll_us = 500;
  // Run every thread under SCHED_BATCH (daemon/main.cpp): a woken thread
  // waits for the running one's slice instead of preempting it.
  bool sched_batch = true;
};

struct AdminConfig {
  std::optional<ListenAddress> listen;
  std::string token;  // resolved secret; empty: admin /v1 disabled
  std::string read_token;  // resolved secret; empty: none. GET and HEAD only
  std::uint32_t max_connections = 64;
  std::uint32_t max_connections_per_ip = 32;
  // Subscriptions created over the API, at most (config-file ones do not count).
  std::uint32_t max_subscriptions = 1000;
  // Ranges API subscriptions may deliver to despite being non-public
  // (core/delivery/destination_guard.hpp); [delivery] deny_destinations
  // still wins.
  std::vector<Cidr> allow_destinations;
};

enum class SyncMode { group, none };

struct StorageConfig {
  std::string path = "/var/lib/hookd";
  SyncMode sync = SyncMode::group;
  Duration dedup_window{24LL * 3600 * 1000};
  Duration retention{7LL * 24 * 3600 * 1000};
  // Units waiting for the writer (an event and each of its deliveries count
  // one each; a delivery update one); beyond: 503.
  std::uint32_t max_write_queue = 65536;
  // The event-type catalog (GET /v1/event-types): kept at all, and at most
  // this many (source, type) pairs.
  bool event_types = true;
  std::uint32_t max_event_types = kDefaultMaxEventTypes;
  // How long the storage writer gathers delivery outcomes into one group
  // before writing it (StoreOptions::outcome_delay); 0: no gathering.
  std::uint32_t outcome_delay_us = 1000;
};

struct DeliveryConfig {
  std::uint32_t max_in_flight = 1024;
  std::uint32_t connections_per_origin = 16;
  std::string user_agent;  // default "hookd/VERSION"
  // Refused to every subscription at connect time (default: link-local,
  // where the cloud metadata services answer; set by load_config).
  std::vector<Cidr> deny_destinations;
};

struct SourceConfig {
  std::string name;
  Format format = Format::generic;
  std::string token;  // resolved; empty: no token required
  std::vector<Cidr> allow_from;  // empty: any address
  std::string type_pointer;      // generic: JSON pointer to the event type
  std::string id_pointer;        // generic: JSON pointer to the event id
  int line = 0;
};

struct SubscriptionFilter {
  std::optional<std::string> bucket;
  std::optional<std::string> prefix;
  std::optional<std::string> suffix;
  std::optional<std::string> workspace;
  std::optional<std::string> collection;
  std::optional<std::string> resource_type;
};

struct RetryConfig {
  std::uint32_t attempts = 10;
  Duration base{1000};
  Duration cap{3600 * 1000};
};

struct BasicAuth {
  std::string user;
  std::string password;  // resolved secret
};

struct TlsClientConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

enum class BodyMode { original, cloudevents };

// Where a subscription comes from: the config file (the operator's own, may
// reach private addresses) or the admin API (stored in the database, public
// destinations only unless [admin] allow_destinations opens a range).
enum class SubscriptionOrigin { config, api };

struct SubscriptionConfig {
  std::string name;
  std::string url;
  std::vector<std::string> events;   // patterns; empty: every event
  std::vector<std::string> sources;  // empty: every source
  SubscriptionFilter filter;
  std::vector<std::string> secrets;  // resolved "whsec_..." values
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<BasicAuth> basic_auth;
  BodyMode body = BodyMode::original;
  boost::json::object extra;
  Duration timeout{10'000};
  RetryConfig retry;
  std::uint32_t max_in_flight = 16;
  bool enabled = true;
  std::optional<TlsClientConfig> tls;
  int line = 0;
  SubscriptionOrigin origin = SubscriptionOrigin::config;
  // API subscriptions only: owner and tenant tags, and when they were
  // created and last changed (Unix ms).
  std::map<std::string, std::string> labels;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct Config {
  std::string file;  // path it was loaded from
  ServerConfig server;
  AdminConfig admin;
  StorageConfig storage;
  DeliveryConfig delivery;
  std::vector<SourceConfig> sources;
  std::vector<SubscriptionConfig> subscriptions;

  const SourceConfig* find_source(std::string_view name) const noexcept;
};

// One problem found in a config file.
struct ConfigError {
  std::string file;
  int line = 0;  // 0 when the problem has no position
  std::string message;  // "subscription[2].url: https or http URL required"
  std::string to_string() const;  // "file:line: message"
};

struct ConfigLoad {
  std::shared_ptr<const Config> config;  // null when errors is not empty
  std::vector<ConfigError> errors;
};

// Reads, parses, resolves secrets and validates. Never throws for bad input.
ConfigLoad load_config(const std::string& path);
// The same from text already in memory; `file` names it in messages.
ConfigLoad load_config_text(std::string_view text, const std::string& file);

// Parsers of the value forms, exposed for tests and the admin API.
std::optional<Duration> parse_duration(std::string_view s);  // "250ms", "10s", "5m", "2h", "7d", "1h30m"
std::optional<std::uint64_t> parse_size(std::string_view s);  // "1MiB", "512KiB", "1GB", "100"
std::optional<Cidr> parse_cidr(std::string_view s);           // "10.0.0.0/8", "::1/128", "127.0.0.1"
std::optional<ListenAddress> parse_listen(std::string_view s);
// Why `secret` is not a Standard Webhooks secret ("whsec_" + padded base64
// of at least one byte), or empty. Never quotes the secret.
std::string check_whsec(std::string_view secret);
// "10s", "1h", "3650d": the largest unit that writes `d` exactly.
std::string format_duration(Duration d);
// "64MiB", "512KiB", "100B".
std::string format_size(std::uint64_t bytes);

}  // namespace hookd
