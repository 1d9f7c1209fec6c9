#pragma once
// Checks and repairs of text that a sender controls, applied where it enters
// hookd (ingest) and where it leaves (outgoing headers, the admin API, logs).
// One implementation of each rule; pure functions, no I/O.
//
// The rules (docs/hardening.md):
//   - a "field" (event type, attribute) is valid UTF-8 with no control
//     character: no C0 (0x00-0x1F), no DEL (0x7F), no C1 (U+0080-U+009F);
//   - an "identifier" (id, idempotency key, CloudEvents source) is printable
//     ASCII, 0x20-0x7E;
//   - a header value hookd writes has no CR, LF or NUL.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

// Bounds on what a sender may put into fields that reach headers, keys and
// the admin API.
inline constexpr std::size_t kMaxEventTypeBytes = 256;
inline constexpr std::size_t kMaxIdBytes = 255;
inline constexpr std::size_t kMaxAttributeBytes = 1024;

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most
// U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` that does not end inside a
// UTF-8 sequence (the sequence that would be split is dropped whole).
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) noexcept;

// True when `a` and `b` are equal ignoring ASCII case.
bool iequals_ascii(std::string_view a, std::string_view b) noexcept;

// The media type of a Content-Type value, "type/subtype" as written,
// without parameters or surrounding blanks ("Application/JSON; charset=x"
// gives "Application/JSON"); compare it with iequals_ascii.
std::string_view media_type(std::string_view content_type) noexcept;

// True when a Content-Type value names JSON: type/json or type/...+json.
bool is_json_media_type(std::string_view content_type) noexcept;

// Standard base64 (with padding) of `bytes` (OpenSSL).
std::string base64_encode(std::string_view bytes);

// Why `value` is not a valid field of at most `max_bytes` ("contains a
// control character", "longer than 256 bytes", "is not valid UTF-8"), or
// nullopt when it is. Empty values are valid here; callers that require a
// value check that themselves.
std::optional<std::string> field_problem(std::string_view value, std::size_t max_bytes);

// The same for an identifier: printable ASCII, at most `max_bytes`.
std::optional<std::string> identifier_problem(std::string_view value,
                                              std::size_t max_bytes = kMaxIdBytes);

// True when `value` may be written as an HTTP header value: no CR, LF or NUL.
bool is_safe_header_value(std::string_view value) noexcept;

// Constant-time comparison of a presented secret with the expected one: both
// sides are hashed first, so neither the secret's length nor a matching
// prefix shows in the timing. The one compare for every token hookd checks.
bool secret_equals(std::string_view given, std::string_view expected) noexcept;

// The token of an Authorization value "Bearer TOKEN" (scheme in any case,
// spaces around the token ignored); nullopt for another scheme or no token.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

}  // namespace hookd
