#include "core/errors.hpp"

#include <string>

namespace hookd {
namespace {

class IngestCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hookd.ingest"; }
  std::string message(int ev) const override {
    switch (static_cast<ingest_errc>(ev)) {
      case ingest_errc::ok: return "ok";
      case ingest_errc::malformed_json: return "malformed JSON";
      case ingest_errc::unknown_format: return "no source format fits the body";
      case ingest_errc::missing_field: return "a record lacks a required field";
      case ingest_errc::unauthorized: return "missing or wrong token";
      case ingest_errc::unknown_source: return "unknown source";
      case ingest_errc::forbidden: return "client address not allowed";
      case ingest_errc::unsupported_media_type: return "content type must be JSON";
      case ingest_errc::body_too_large: return "body too large";
      case ingest_errc::invalid_field: return "a field breaks hookd's rules for sender text";
      case ingest_errc::too_many_records: return "more records than server.max_records";
    }
    return "unknown ingest error";
  }
};

class StorageCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hookd.storage"; }
  std::string message(int ev) const override {
    switch (static_cast<storage_errc>(ev)) {
      case storage_errc::ok: return "ok";
      case storage_errc::io_error: return "storage I/O error";
      case storage_errc::corruption: return "storage corruption";
      case storage_errc::not_found: return "not found";
      case storage_errc::busy: return "storage backlog full";
      case storage_errc::closed: return "storage closed";
      case storage_errc::invalid_record: return "stored record does not decode";
      case storage_errc::invalid_transition: return "transition not allowed from the stored state";
      case storage_errc::attempt_mismatch: return "attempt number does not follow the stored count";
    }
    return "unknown storage error";
  }
};

class ConfigCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hookd.config"; }
  std::string message(int ev) const override {
    switch (static_cast<config_errc>(ev)) {
      case config_errc::ok: return "ok";
      case config_errc::invalid: return "invalid configuration";
      case config_errc::unreadable: return "configuration file unreadable";
    }
    return "unknown config error";
  }
};

class DeliveryCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hookd.delivery"; }
  std::string message(int ev) const override {
    switch (static_cast<delivery_errc>(ev)) {
      case delivery_errc::ok: return "ok";
      case delivery_errc::already_delivered: return "already delivered";
      case delivery_errc::unknown_subscription: return "no such subscription";
      case delivery_errc::resolve_failed: return "host name did not resolve";
      case delivery_errc::connect_failed: return "connect failed";
      case delivery_errc::tls_config: return "TLS files cannot be loaded";
      case delivery_errc::tls_handshake_failed: return "TLS handshake failed";
      case delivery_errc::tls_verify_failed: return "TLS certificate verify failed";
      case delivery_errc::timeout: return "timed out";
      case delivery_errc::cancelled: return "cancelled";
      case delivery_errc::write_failed: return "writing the request failed";
      case delivery_errc::read_failed: return "reading the response failed";
      case delivery_errc::connection_closed: return "connection closed before a complete response";
      case delivery_errc::bad_response: return "malformed HTTP response";
      case delivery_errc::response_too_large: return "response header too large";
      case delivery_errc::invalid_request: return "request cannot be encoded";
      case delivery_errc::unsafe_header: return "header value has CR, LF or NUL";
      case delivery_errc::event_missing: return "event missing from storage";
      case delivery_errc::destination_not_allowed: return "destination not allowed";
    }
    return "unknown delivery error";
  }
};

}  // namespace

const boost::system::error_category& delivery_category() noexcept {
  static const DeliveryCategory c;
  return c;
}

const char* to_string(delivery_errc e) noexcept {
  switch (e) {
    case delivery_errc::ok: return "ok";
    case delivery_errc::already_delivered: return "already_delivered";
    case delivery_errc::unknown_subscription: return "unknown_subscription";
    case delivery_errc::resolve_failed: return "resolve_failed";
    case delivery_errc::connect_failed: return "connect_failed";
    case delivery_errc::tls_config: return "tls_config";
    case delivery_errc::tls_handshake_failed: return "tls_handshake_failed";
    case delivery_errc::tls_verify_failed: return "tls_verify_failed";
    case delivery_errc::timeout: return "timeout";
    case delivery_errc::cancelled: return "cancelled";
    case delivery_errc::write_failed: return "write_failed";
    case delivery_errc::read_failed: return "read_failed";
    case delivery_errc::connection_closed: return "connection_closed";
    case delivery_errc::bad_response: return "bad_response";
    case delivery_errc::response_too_large: return "response_too_large";
    case delivery_errc::invalid_request: return "invalid_request";
    case delivery_errc::unsafe_header: return "unsafe_header";
    case delivery_errc::event_missing: return "event_missing";
    case delivery_errc::destination_not_allowed: return "destination_not_allowed";
  }
  return "unknown";
}

std::string delivery_error_text(const error_code& ec, std::string_view detail) {
  std::string out = ec.category() == delivery_category()
                        ? std::string(to_string(static_cast<delivery_errc>(ec.value())))
                        : ec.message();
  if (!detail.empty()) out.append(": ").append(detail);
  return out;
}

const boost::system::error_category& ingest_category() noexcept {
  static const IngestCategory c;
  return c;
}
const boost::system::error_category& storage_category() noexcept {
  static const StorageCategory c;
  return c;
}
const boost::system::error_category& config_category() noexcept {
  static const ConfigCategory c;
  return c;
}

}  // namespace hookd
