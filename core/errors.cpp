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
    }
    return "unknown delivery error";
  }
};

}  // namespace

const boost::system::error_category& delivery_category() noexcept {
  static const DeliveryCategory c;
  return c;
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
