#pragma once
// Error codes of hookd. Every fallible call returns result<T>; `co_return ec;`
// and `return ec;` convert implicitly. Each enum has its own category so that
// logs and tests can tell where an error came from.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace hookd {

template <class T>
using result = boost::system::result<T>;
using boost::system::error_code;

// Failures of an ingest request; each maps to one HTTP status (SPEC section 3).
enum class ingest_errc {
  ok = 0,
  malformed_json = 1,        // 400
  unknown_format,            // 400: no source format fits the body
  missing_field,             // 400: a record lacks what its format requires
  unauthorized,              // 401: missing or wrong token
  unknown_source,            // 401: unknown source in the path
  forbidden,                 // 403: client address outside allow_from
  unsupported_media_type,    // 415
  body_too_large,            // 413
  invalid_field,             // 400: a field a sender controls breaks a rule of core/text.hpp
  too_many_records,          // 400: more records than server.max_records
};

// Failures of a store (storage/event_store.hpp), whatever its backend.
enum class storage_errc {
  ok = 0,
  io_error = 1,     // the write or read failed; nothing was stored
  corruption,       // the database is damaged
  not_found,
  busy,             // the write queue is full (backlog bound): retry later
  closed,           // the store is shut down
  invalid_record,   // a stored value does not decode
  // A delivery transition refused for the stored record it would change
  // (storage/transition.hpp); nothing of that request was written.
  invalid_transition,  // the stored state does not allow it (e.g. delivered again)
  attempt_mismatch,    // the attempt's number does not follow the stored attempts count
};

// Delivery and admin operations refused for the state they find, and the
// ways one outbound POST fails without a response. The text that came with a
// failure (an OS or OpenSSL reason) travels beside the code as `detail`, for
// people only: code decides, detail explains.
enum class delivery_errc {
  ok = 0,
  already_delivered = 1,  // 409: nothing to retry
  unknown_subscription,   // 404
  // Outbound POST failures (PostResult::error).
  resolve_failed,        // the host name did not resolve
  connect_failed,        // TCP connect failed (refused, unreachable)
  tls_config,            // a ca/cert/key file or the trust store cannot be loaded
  tls_handshake_failed,  // the handshake failed, not over the peer's certificate
  tls_verify_failed,     // the peer's certificate is untrusted or names another host
  timeout,               // the deadline passed (acquire, connect, handshake, write, read)
  cancelled,             // the attempt was cancelled (shutdown)
  write_failed,          // writing the request failed
  read_failed,           // reading the response failed (socket or TLS error)
  connection_closed,     // the peer closed before the response was complete
  bad_response,          // the response does not parse as HTTP/1.1
  response_too_large,    // the response header is over the limit
  invalid_request,       // the request cannot be encoded (e.g. an oversized header): never sent
  unsafe_header,         // a header value has CR, LF or NUL: never sent
  event_missing,         // the delivery's event is not in storage: nothing to send
  destination_not_allowed,  // every resolved address is refused (destination guard): never sent
};

// Configuration problems (the details go into ConfigError messages).
enum class config_errc {
  ok = 0,
  invalid = 1,
  unreadable,
};

const boost::system::error_category& ingest_category() noexcept;
const boost::system::error_category& storage_category() noexcept;
const boost::system::error_category& config_category() noexcept;
const boost::system::error_category& delivery_category() noexcept;

// The code's stable name ("connect_failed"), for logs and stored attempt text.
const char* to_string(delivery_errc e) noexcept;

// The one human-readable form of an outbound failure, as stored in
// Attempt::error and Delivery::last_error: "connect_failed: Connection
// refused", or the bare name when there is no detail. A code of another
// category gives its message() in place of the name.
std::string delivery_error_text(const error_code& ec, std::string_view detail);

inline error_code make_error_code(ingest_errc e) noexcept {
  return {static_cast<int>(e), ingest_category()};
}
inline error_code make_error_code(storage_errc e) noexcept {
  return {static_cast<int>(e), storage_category()};
}
inline error_code make_error_code(delivery_errc e) noexcept {
  return {static_cast<int>(e), delivery_category()};
}
inline error_code make_error_code(config_errc e) noexcept {
  return {static_cast<int>(e), config_category()};
}

}  // namespace hookd

namespace boost::system {
template <>
struct is_error_code_enum<hookd::ingest_errc> : std::true_type {};
template <>
struct is_error_code_enum<hookd::storage_errc> : std::true_type {};
template <>
struct is_error_code_enum<hookd::config_errc> : std::true_type {};
template <>
struct is_error_code_enum<hookd::delivery_errc> : std::true_type {};
}  // namespace boost::system
