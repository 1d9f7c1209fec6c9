#pragma once
// SubscriptionRegistry: the subscriptions created over the admin API
// (docs/admin-api.md), beside the config file's.
//
// It owns the API subscriptions: each as the document stored in the
// database (its fields as the API took them, its secrets, its times) and,
// when that is valid against the current config file, the SubscriptionConfig
// read from it by the config file's own code (core/config/api_subscription).
// The effective config is the file's with every valid API subscription
// appended in name order; the registry hands each new one to `apply`, which
// gives it to ingest, delivery and admin at once, as a reload does, so that
// a change takes effect atomically for new events.
//
// Every change is durable before it takes effect and before it is answered.
// A name being changed is reserved until its write completes; a second
// change of it meanwhile is refused (409). Deleting first stores the
// subscription as being deleted (it leaves the effective config), then
// cancels its pending deliveries in chunks, then erases it; a restart in
// between resumes the cancelling.
//
// A rotated secret keeps signing beside the new one until its grace ends;
// the registry rebuilds the effective config when that time comes.
//
// Threads: the main io thread only. Lifetime: the store and the reader are
// owned by App and outlive the registry and every change in progress.

#include "core/config/config.hpp"
#include "daemon/http/net.hpp"
#include "daemon/storage_reader.hpp"
#include "storage/event_store.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hookd::daemon {

class SubscriptionRegistry {
 public:
  using Apply = std::function<void(std::shared_ptr<const Config>)>;

  struct Secret {
    std::string value;
    std::int64_t until_ms = 0;  // signs until then; 0: no end
  };
  struct Entry {
    boost::json::object spec;     // the API's fields as stored, without the secrets
    std::vector<Secret> secrets;  // newest first
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    bool deleting = false;
    // Read from spec against the current config file; nullopt when invalid.
    std::optional<SubscriptionConfig> config;
    std::string invalid;  // why config is nullopt ("sources[0]: unknown source ...")
  };

  // A refused change: the HTTP status the admin API answers and why.
  struct Error {
    int status = 400;
    std::string message;
    std::vector<std::string> details;  // every validation problem
  };
  struct Change {
    std::optional<Error> error;
    std::string name;
    std::string secret;  // a secret hookd generated or rotated to: shown once
    std::uint64_t cancelled = 0;  // delete: deliveries cancelled
  };

  SubscriptionRegistry(net::any_io_executor ex, storage::EventStore& store, StorageReader& reader,
                       std::shared_ptr<const Config> file_config);
  ~SubscriptionRegistry();

  // Reads the stored API subscriptions (at start, before the io loop runs).
  error_code load();
  // Called with every new effective config, from then on.
  void set_apply(Apply apply) { apply_ = std::move(apply); }
  // Called once a deleted subscription is gone (its pending deliveries
  // cancelled, its document erased), before the config without it applies.
  void set_on_removed(std::function<void(const std::string&)> fn) { on_removed_ = std::move(fn); }
  std::shared_ptr<const Config> effective() const { return effective_; }
  // Resumes deletes a restart interrupted (spawned on the executor).
  void resume_deletes();

  // Why `file` cannot replace the current config file: names that API
  // subscriptions hold, sources they use. Empty: it can.
  std::vector<std::string> conflicts(const Config& file) const;
  // A new config file (reload, after conflicts() found none).
  void set_file_config(std::shared_ptr<const Config> file);

  const Entry* find(std::string_view name) const;
  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }
  // The config file a config-file subscription `name` is in, or nullptr.
  const SubscriptionConfig* file_subscription(std::string_view name) const;
  const Config& file_config() const { return *file_; }

  // The admin API's changes; `spec` is the request's JSON object.
  net::awaitable<Change> create(boost::json::object spec);
  // PATCH (merge `spec` into the stored fields) or PUT (`replace`: `spec`
  // is the whole subscription; secrets kept unless it gives `secret`).
  net::awaitable<Change> update(std::string name, boost::json::object spec, bool replace);
  net::awaitable<Change> set_enabled(std::string name, bool enabled);
  // A new secret (generated unless `secret` is given); the previous ones
  // keep signing for `grace`.
  net::awaitable<Change> rotate_secret(std::string name, Duration grace,
                                       std::optional<std::string> secret);
  net::awaitable<Change> remove(std::string name);

  // Pending deliveries cancelled per write while deleting.
  static constexpr std::size_t kCancelChunk = 1000;

 private:
  std::optional<Error> check_changeable(std::string_view name) const;
  // Stores `entry` under `name` (durably), then makes it effective.
  net::awaitable<std::optional<Error>> store_entry(std::string name, Entry entry);
  net::awaitable<std::uint64_t> finish_delete(std::string name);
  void validate(const std::string& name, Entry& entry) const;
  void rebuild();
  void arm_secret_expiry(std::int64_t now_ms);

  net::any_io_executor ex_;
  storage::EventStore& store_;
  StorageReader& reader_;
  std::shared_ptr<const Config> file_;
  std::shared_ptr<const Config> effective_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::set<std::string, std::less<>> busy_;  // names with a change being written
  Apply apply_;
  std::function<void(const std::string&)> on_removed_;
  std::unique_ptr<net::steady_timer> expiry_;  // next end of a secret's grace
  std::int64_t expiry_at_ms_ = 0;
};

}  // namespace hookd::daemon
