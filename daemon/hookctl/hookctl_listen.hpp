#pragma once
// `hookctl listen`: a local receiver for development. It listens on a
// loopback port (127.0.0.1:9901 by default, where the default config's
// subscriptions deliver), prints each delivery as it arrives (time,
// webhook-id, event type, source, attempt, a signature verdict against the
// given secret, and the body pretty-printed and trimmed), then answers the
// chosen status, so that retries and dead letters can be watched. Ctrl-C
// prints a one-line summary.
//
// Signature verdicts follow the Standard Webhooks rules: the signature is
// HMAC-SHA256 over "id.timestamp.body" with the base64-decoded secret
// (core/delivery/outgoing.hpp signs, this checks with the same function and
// a constant-time compare), any one of the space-separated "v1," entries
// may match, and a timestamp more than 5 minutes from now is refused.
//
// Everything printed that a sender controls is escaped first: control
// characters would otherwise drive the terminal.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd::hookctl {

inline constexpr std::int64_t kSignatureTolerance_s = 5 * 60;

enum class SignatureVerdict { unchecked, valid, invalid, stale, missing, bad_timestamp };
const char* to_string(SignatureVerdict v) noexcept;

// The verdict for one request's webhook-id, webhook-timestamp and
// webhook-signature header values (nullopt when absent) at `now_s`.
// `secret` empty: unchecked.
SignatureVerdict verify_signature(std::string_view secret, std::optional<std::string_view> id,
                                  std::optional<std::string_view> timestamp,
                                  std::optional<std::string_view> signature,
                                  std::string_view body, std::int64_t now_s);

// `args` are the words after "listen"; returns the exit code.
int run_listen(const std::vector<std::string>& args);

}  // namespace hookd::hookctl
