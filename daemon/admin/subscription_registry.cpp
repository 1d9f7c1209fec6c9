#include "daemon/admin/subscription_registry.hpp"

#include "core/clock.hpp"
#include "core/config/api_subscription.hpp"
#include "daemon/http/http_server.hpp"  // log_if_exception
#include "daemon/log.hpp"
#include "daemon/store_async.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace hookd::daemon {

namespace json = boost::json;

namespace {

constexpr std::string_view kCancelReason = "subscription deleted";
constexpr auto kCancelRetry = std::chrono::milliseconds(200);

std::string encode(const SubscriptionRegistry::Entry& e) {
  json::array secrets;
  for (const auto& s : e.secrets)
    secrets.push_back(json::object{{"value", s.value}, {"until_ms", s.until_ms}});
  return json::serialize(json::object{{"spec", e.spec},
                                      {"secrets", std::move(secrets)},
                                      {"created_ms", e.created_ms},
                                      {"updated_ms", e.updated_ms},
                                      {"deleting", e.deleting}});
}

std::optional<SubscriptionRegistry::Entry> decode(std::string_view doc) {
  boost::system::error_code ec;
  json::value v = json::parse(doc, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  SubscriptionRegistry::Entry e;
  const json::value* spec = o.if_contains("spec");
  const json::value* secrets = o.if_contains("secrets");
  if (spec == nullptr || !spec->is_object() || secrets == nullptr || !secrets->is_array())
    return std::nullopt;
  e.spec = spec->get_object();
  for (const auto& s : secrets->get_array()) {
    const json::object* so = s.if_object();
    if (so == nullptr || !so->contains("value") || !so->at("value").is_string()) return std::nullopt;
    SubscriptionRegistry::Secret secret;
    secret.value = std::string(so->at("value").get_string());
    if (auto* u = so->if_contains("until_ms"); u && u->is_int64()) secret.until_ms = u->get_int64();
    e.secrets.push_back(std::move(secret));
  }
  auto int_of = [&](const char* key) -> std::int64_t {
    auto* x = o.if_contains(key);
    return x && x->is_int64() ? x->get_int64() : 0;
  };
  e.created_ms = int_of("created_ms");
  e.updated_ms = int_of("updated_ms");
  if (auto* d = o.if_contains("deleting"); d && d->is_bool()) e.deleting = d->get_bool();
  return e;
}

// Every stored secret's value, newest first (validation reads them all).
std::vector<std::string> secret_values(const SubscriptionRegistry::Entry& e) {
  std::vector<std::string> out;
  for (const auto& s : e.secrets) out.push_back(s.value);
  return out;
}

// Secrets that still sign at `now_ms`.
std::vector<std::string> live_secrets(const SubscriptionRegistry::Entry& e, std::int64_t now_ms) {
  std::vector<std::string> out;
  for (const auto& s : e.secrets)
    if (s.until_ms == 0 || s.until_ms > now_ms) out.push_back(s.value);
  return out;
}

SubscriptionRegistry::Error error(int status, std::string message) {
  return SubscriptionRegistry::Error{status, std::move(message), {}};
}

SubscriptionRegistry::Error invalid(std::vector<std::string> details) {
  SubscriptionRegistry::Error e{400, details.empty() ? "invalid subscription" : details.front(), {}};
  e.details = std::move(details);
  return e;
}

std::string taken_by_file(std::string_view name, const Config& file) {
  return "subscription \"" + std::string(name) + "\" is defined in " + file.file +
         " and is read-only over the API; change it there and reload";
}

}  // namespace

SubscriptionRegistry::SubscriptionRegistry(net::any_io_executor ex, storage::EventStore& store,
                                           StorageReader& reader,
                                           std::shared_ptr<const Config> file_config)
    : ex_(std::move(ex)),
      store_(store),
      reader_(reader),
      file_(std::move(file_config)),
      effective_(file_),
      expiry_(std::make_unique<net::steady_timer>(ex_)) {}

SubscriptionRegistry::~SubscriptionRegistry() = default;

error_code SubscriptionRegistry::load() {
  auto docs = store_.load_api_subscriptions();
  if (!docs) return docs.error();
  for (auto& [name, doc] : *docs) {
    auto entry = decode(doc);
    if (!entry) {
      log::error("subscription.unreadable", {{"sub", name}});
      continue;
    }
    validate(name, *entry);
    if (!entry->config && !entry->deleting)
      log::error("subscription.invalid", {{"sub", name}, {"error", entry->invalid}});
    entries_.insert_or_assign(name, std::move(*entry));
  }
  rebuild();
  return {};
}

void SubscriptionRegistry::resume_deletes() {
  for (const auto& [name, e] : entries_) {
    if (!e.deleting) continue;
    log::info("subscription.delete_resumed", {{"sub", name}});
    auto run = [](SubscriptionRegistry* self, std::string n) -> net::awaitable<void> {
      co_await net::this_coro::throw_if_cancelled(false);
      co_await self->finish_delete(std::move(n));
    };
    net::co_spawn(ex_, run(this, name), log_if_exception);
  }
}

void SubscriptionRegistry::validate(const std::string& name, Entry& e) const {
  e.config.reset();
  e.invalid.clear();
  if (file_subscription(name) != nullptr) {
    e.invalid = "the config file " + file_->file + " defines a subscription of the same name";
    return;
  }
  const std::vector<std::string> secrets = secret_values(e);
  auto check = read_api_subscription(e.spec, *file_, &secrets);
  if (!check.sub) {
    e.invalid = check.errors.empty() ? "invalid" : check.errors.front();
    return;
  }
  check.sub->created_ms = e.created_ms;
  check.sub->updated_ms = e.updated_ms;
  e.config = std::move(*check.sub);
}

void SubscriptionRegistry::rebuild() {
  auto next = std::make_shared<Config>(*file_);
  const std::int64_t now = unix_ms();
  for (const auto& [name, e] : entries_) {
    if (e.deleting || !e.config) continue;
    SubscriptionConfig sub = *e.config;
    sub.secrets = live_secrets(e, now);
    next->subscriptions.push_back(std::move(sub));
  }
  effective_ = std::move(next);
  arm_secret_expiry(now);
  if (apply_) apply_(effective_);
}

void SubscriptionRegistry::arm_secret_expiry(std::int64_t now_ms) {
  std::int64_t next = 0;
  for (const auto& [name, e] : entries_)
    for (const auto& s : e.secrets)
      if (s.until_ms > now_ms && (next == 0 || s.until_ms < next)) next = s.until_ms;
  if (next == expiry_at_ms_) return;
  expiry_at_ms_ = next;
  expiry_->cancel();
  if (next == 0) return;
  expiry_->expires_after(std::chrono::milliseconds(next - now_ms + 1));
  expiry_->async_wait([this, next](const boost::system::error_code& ec) {
    if (ec || expiry_at_ms_ != next) return;
    expiry_at_ms_ = 0;
    log::info("subscription.secret_grace_ended");
    rebuild();
  });
}

std::vector<std::string> SubscriptionRegistry::conflicts(const Config& file) const {
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) {
    for (const auto& sub : file.subscriptions) {
      if (sub.name == name)
        out.push_back("subscription \"" + name +
                      "\": the name is held by an API subscription; delete that first");
    }
    if (e.deleting || !e.config) continue;
    const std::vector<std::string> secrets = secret_values(e);
    auto check = read_api_subscription(e.spec, file, &secrets);
    for (const auto& problem : check.errors)
      out.push_back("API subscription \"" + name + "\" would become invalid: " + problem);
  }
  return out;
}

void SubscriptionRegistry::set_file_config(std::shared_ptr<const Config> file) {
  file_ = std::move(file);
  for (auto& [name, e] : entries_) validate(name, e);
  rebuild();
}

const SubscriptionRegistry::Entry* SubscriptionRegistry::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

const SubscriptionConfig* SubscriptionRegistry::file_subscription(std::string_view name) const {
  for (const auto& s : file_->subscriptions)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<SubscriptionRegistry::Error> SubscriptionRegistry::check_changeable(
    std::string_view name) const {
  const Entry* e = find(name);
  if (e == nullptr) {
    if (file_subscription(name) != nullptr) return error(409, taken_by_file(name, *file_));
    return error(404, "no such subscription");
  }
  if (busy_.contains(name)) return error(409, "the subscription is being changed; retry");
  if (e->deleting) return error(409, "the subscription is being deleted");
  return std::nullopt;
}

net::awaitable<std::optional<SubscriptionRegistry::Error>> SubscriptionRegistry::store_entry(
    std::string name, Entry entry) {
  busy_.insert(name);
  std::string doc = encode(entry);
  auto [ec] = co_await async_store_write(
      [&](storage::EventStore::Done done) {
        return store_.put_api_subscription(name, std::move(doc), std::move(done));
      },
      use_tuple);
  busy_.erase(name);
  if (ec) {
    log::error("subscription.store_failed", {{"sub", name}, {"error", ec.message()}});
    co_return error(503, ec == storage_errc::busy ? "storage busy; retry later"
                                                  : "storage unavailable; retry later");
  }
  validate(name, entry);
  entries_.insert_or_assign(name, std::move(entry));
  rebuild();
  co_return std::nullopt;
}

net::awaitable<SubscriptionRegistry::Change> SubscriptionRegistry::create(json::object spec) {
  co_await net::this_coro::throw_if_cancelled(false);
  Change out;
  if (!spec.contains("name")) spec["name"] = generate_subscription_name();
  if (const json::string* n = spec.at("name").if_string()) {
    out.name = std::string(*n);
    if (file_subscription(out.name) != nullptr) {
      out.error = error(409, "name: \"" + out.name + "\" is taken by a subscription of " +
                                 file_->file);
      co_return out;
    }
    if (find(out.name) != nullptr || busy_.contains(out.name)) {
      out.error = error(409, "name: a subscription \"" + out.name + "\" exists");
      co_return out;
    }
  }
  std::size_t creating = 0;  // names reserved that are not stored yet
  for (const auto& n : busy_) creating += entries_.contains(n) ? 0 : 1;
  if (entries_.size() + creating >= file_->admin.max_subscriptions) {
    out.error = error(409, "at most " + std::to_string(file_->admin.max_subscriptions) +
                               " API subscriptions ([admin] max_subscriptions)");
    co_return out;
  }
  std::vector<std::string> generated;
  if (!spec.contains("secret")) {
    out.secret = generate_whsec();
    generated.push_back(out.secret);
  }
  auto check = read_api_subscription(spec, *file_, generated.empty() ? nullptr : &generated);
  if (!check.sub) {
    out.secret.clear();
    out.error = invalid(std::move(check.errors));
    co_return out;
  }
  Entry e;
  spec.erase("secret");
  e.spec = std::move(spec);
  for (auto& s : check.sub->secrets) e.secrets.push_back(Secret{std::move(s), 0});
  e.created_ms = e.updated_ms = unix_ms();
  if (auto err = co_await store_entry(out.name, std::move(e))) {
    out.secret.clear();
    out.error = std::move(err);
    co_return out;
  }
  log::info("subscription.created", {{"sub", out.name}});
  co_return out;
}

net::awaitable<SubscriptionRegistry::Change> SubscriptionRegistry::update(std::string name,
                                                                          json::object spec,
                                                                          bool replace) {
  co_await net::this_coro::throw_if_cancelled(false);
  Change out;
  out.name = name;
  if (auto refused = check_changeable(name)) {
    out.error = std::move(refused);
    co_return out;
  }
  if (const json::value* n = spec.if_contains("name");
      n && !(n->is_string() && n->get_string() == name)) {
    out.error = error(400, "name: cannot be changed; create a new subscription and delete this one");
    co_return out;
  }
  Entry e = *find(name);
  json::object next = replace ? spec : e.spec;
  if (!replace) merge_patch(next, spec);
  next["name"] = name;
  const bool new_secret = next.contains("secret");
  const std::vector<std::string> kept = secret_values(e);
  auto check = read_api_subscription(next, *file_, new_secret ? nullptr : &kept);
  if (!check.sub) {
    out.error = invalid(std::move(check.errors));
    co_return out;
  }
  if (new_secret) {
    e.secrets.clear();
    for (auto& s : check.sub->secrets) e.secrets.push_back(Secret{std::move(s), 0});
    next.erase("secret");
  }
  e.spec = std::move(next);
  e.updated_ms = unix_ms();
  if (auto err = co_await store_entry(name, std::move(e))) {
    out.error = std::move(err);
    co_return out;
  }
  log::info("subscription.updated", {{"sub", name}, {"replace", replace}});
  co_return out;
}

net::awaitable<SubscriptionRegistry::Change> SubscriptionRegistry::set_enabled(std::string name,
                                                                               bool enabled) {
  co_await net::this_coro::throw_if_cancelled(false);
  json::object patch;
  patch["enabled"] = enabled;
  co_return co_await update(std::move(name), std::move(patch), false);
}

net::awaitable<SubscriptionRegistry::Change> SubscriptionRegistry::rotate_secret(
    std::string name, Duration grace, std::optional<std::string> secret) {
  co_await net::this_coro::throw_if_cancelled(false);
  Change out;
  out.name = name;
  if (auto refused = check_changeable(name)) {
    out.error = std::move(refused);
    co_return out;
  }
  Entry e = *find(name);
  std::string fresh;
  if (secret) {
    // The config file's whsec check, through the same reader.
    json::object probe = e.spec;
    probe["secret"] = *secret;
    auto check = read_api_subscription(probe, *file_);
    if (!check.sub) {
      out.error = invalid(std::move(check.errors));
      co_return out;
    }
    fresh = *secret;
  } else {
    fresh = generate_whsec();
    out.secret = fresh;
  }
  const std::int64_t now = unix_ms();
  std::vector<Secret> secrets{Secret{fresh, 0}};
  for (auto& s : e.secrets) {
    if (s.until_ms != 0 && s.until_ms <= now) continue;  // its grace is over
    std::int64_t until = now + grace.count();
    if (s.until_ms != 0) until = std::min(until, s.until_ms);
    // Each one signs every delivery: a burst of rotations keeps the newest.
    if (until > now && secrets.size() < kMaxApiSecrets)
      secrets.push_back(Secret{std::move(s.value), until});
  }
  e.secrets = std::move(secrets);
  e.updated_ms = now;
  if (auto err = co_await store_entry(name, std::move(e))) {
    out.secret.clear();
    out.error = std::move(err);
    co_return out;
  }
  log::info("subscription.secret_rotated", {{"sub", name}, {"grace_ms", grace.count()}});
  co_return out;
}

net::awaitable<SubscriptionRegistry::Change> SubscriptionRegistry::remove(std::string name) {
  co_await net::this_coro::throw_if_cancelled(false);
  Change out;
  out.name = name;
  if (auto refused = check_changeable(name)) {
    out.error = std::move(refused);
    co_return out;
  }
  Entry e = *find(name);
  e.deleting = true;
  if (auto err = co_await store_entry(name, std::move(e))) {
    out.error = std::move(err);
    co_return out;
  }
  out.cancelled = co_await finish_delete(name);
  log::info("subscription.deleted", {{"sub", name}, {"cancelled", out.cancelled}});
  co_return out;
}

// The subscription is out of the effective config: nothing routes to it any
// more. Its pending deliveries are cancelled until none is left (a replay
// that was running may still add some), then the document is erased.
net::awaitable<std::uint64_t> SubscriptionRegistry::finish_delete(std::string name) {
  busy_.insert(name);
  std::uint64_t cancelled = 0;
  net::steady_timer backoff(ex_);
  // A stored one the config file took the name of (edited while hookd was
  // down) never had deliveries of its own: the file's are left alone.
  const bool shadowed = file_subscription(name) != nullptr;
  while (!shadowed) {
    storage::EventStore* store = &store_;
    auto list = [store, name] {
      return store->list_deliveries(name, DeliveryState::pending, "", kCancelChunk);
    };
    auto page = co_await reader_.run(std::move(list));
    error_code ec;
    if (!page) {
      ec = page.error();
    } else if (page->empty()) {
      break;
    } else {
      std::vector<std::string> ids;
      ids.reserve(page->size());
      for (auto& d : *page) ids.push_back(std::move(d.id));
      const std::size_t n = ids.size();
      auto [wec] = co_await async_store_write(
          [&](storage::EventStore::Done done) {
            return store_.cancel(std::move(ids), unix_ms(), std::string(kCancelReason),
                                 std::move(done));
          },
          use_tuple);
      ec = wec;
      if (!ec) cancelled += n;
    }
    if (ec == storage_errc::closed) {
      busy_.erase(name);
      co_return cancelled;  // shutting down: the next start resumes
    }
    if (ec) {
      log::warn("subscription.cancel_retry", {{"sub", name}, {"error", ec.message()}});
      backoff.expires_after(kCancelRetry);
      auto [tec] = co_await backoff.async_wait(use_tuple);
      if (tec) {
        busy_.erase(name);
        co_return cancelled;
      }
    }
  }
  for (;;) {
    auto [ec] = co_await async_store_write(
        [&](storage::EventStore::Done done) {
          return store_.erase_api_subscription(name, std::move(done));
        },
        use_tuple);
    if (!ec) break;
    if (ec == storage_errc::closed) {
      busy_.erase(name);
      co_return cancelled;
    }
    backoff.expires_after(kCancelRetry);
    auto [tec] = co_await backoff.async_wait(use_tuple);
    if (tec) {
      busy_.erase(name);
      co_return cancelled;
    }
  }
  busy_.erase(name);
  entries_.erase(name);
  if (on_removed_ && !shadowed) on_removed_(name);
  rebuild();
  co_return cancelled;
}

}  // namespace hookd::daemon
