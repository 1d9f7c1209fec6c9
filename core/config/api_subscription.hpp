#pragma once
// Subscriptions as the admin API receives them: a JSON object with the keys
// of a [[subscription]] table (docs/config.md), plus `labels`. They are read
// by the config file's own code (read_subscription_at), so the checks and
// the messages are the same; messages name the JSON field path
// ("retry.base: invalid duration \"soon\"") instead of a file line.
//
// What differs from the config file, and why:
// - secret-like values (secret, header values, basic_auth.password) are
//   literal: an "env:" or "file:" reference would let an API client copy
//   the daemon's environment or files into a request it receives;
// - `tls` takes `ca` only: client certificate and key files are the
//   operator's to name;
// - a URL whose host is an IP literal must be a destination the API may
//   reach (destination_guard.hpp), checked here and again on every connect;
// - `labels`: a small string map for owners and tenants.
//
// Pure functions; no I/O except OpenSSL's random generator.

#include "core/config/config.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hookd {

inline constexpr std::size_t kMaxLabels = 32;
// Secrets an API subscription signs with at once (one "v1," entry each):
// given at create or update, or kept through rotations' grace periods.
inline constexpr std::size_t kMaxApiSecrets = 8;
inline constexpr std::size_t kMaxLabelKey = 64;
inline constexpr std::size_t kMaxLabelValue = 256;

struct ApiSubscriptionCheck {
  std::optional<SubscriptionConfig> sub;  // set when errors is empty
  // "field.path: message": label problems first, then the config reader's
  // (keys in name order), then source references and the destination.
  std::vector<std::string> errors;
};

// Validates `spec` (which must hold `name`) against `config` (its sources,
// [admin] allow_destinations and [delivery] deny_destinations). `secrets`,
// when given, replaces any `secret` in spec: the stored secrets of an
// existing subscription.
ApiSubscriptionCheck read_api_subscription(const boost::json::object& spec, const Config& config,
                                           const std::vector<std::string>* secrets = nullptr);

// RFC 7396 JSON Merge Patch: members of `patch` replace those of `target`,
// objects merge recursively, null removes the member.
void merge_patch(boost::json::object& target, const boost::json::object& patch);

// A fresh Standard Webhooks secret: "whsec_" + base64 of 24 random bytes.
std::string generate_whsec();
// A fresh subscription name: "sub-" + 16 hex digits.
std::string generate_subscription_name();

// Why a name cannot name a subscription, or empty (1 to 64 of A-Z a-z 0-9 . _ -).
std::string check_subscription_name(std::string_view name);

}  // namespace hookd
