#include "daemon/app.hpp"

#include "core/clock.hpp"
#include "daemon/admin/admin_handler.hpp"
#include "daemon/admin/subscription_registry.hpp"
#include "daemon/delivery/conn_pool.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/http/io_loop.hpp"
#include "daemon/http/task_group.hpp"
#include "daemon/ingest/ingest_handler.hpp"
#include "daemon/log.hpp"
#include "daemon/storage_reader.hpp"
#include "storage/crc32c.hpp"
#include "storage/store.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <pthread.h>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace hookd::daemon {

namespace {
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// After drain_timeout, how long cancelled tasks get to end before the loop stops.
constexpr auto kCancelGrace = std::chrono::seconds(2);
constexpr auto kExpiryInterval = std::chrono::seconds(60);

HttpServerOptions server_options(const ServerConfig& c) {
  HttpServerOptions opts;
  opts.max_body = c.max_body;
  opts.read_timeout = c.read_timeout;
  opts.idle_timeout = c.idle_timeout;
  opts.header_timeout = c.header_timeout;
  opts.max_connections = c.max_connections;
  opts.max_connections_per_ip = c.max_connections_per_ip;
  return opts;
}

// Admin requests are small JSON; the body, timeouts and caps stay tight.
constexpr std::uint64_t kMaxAdminBody = 64 * 1024;

HttpServerOptions admin_options(const AdminConfig& c) {
  HttpServerOptions opts;
  opts.max_body = kMaxAdminBody;
  opts.max_connections = c.max_connections;
  opts.max_connections_per_ip = c.max_connections_per_ip;
  return opts;
}

// What a reload reads from files, on the reader pool.
struct ReloadFiles {
  ConfigLoad loaded;
  std::shared_ptr<net::ssl::context> tls;  // when the new config has [server.tls]
  std::string tls_error;                   // why it could not be loaded
};

result<std::shared_ptr<ReloadFiles>> read_reload_files(const std::string& file) {
  auto out = std::make_shared<ReloadFiles>();
  out->loaded = load_config(file);
  if (out->loaded.config && out->loaded.config->server.tls) {
    out->tls = make_server_tls(*out->loaded.config->server.tls, out->tls_error);
    if (!out->tls && out->tls_error.empty()) out->tls_error = "cannot load";
  }
  return out;
}

std::string shown_endpoint(const tcp::endpoint& ep) {
  std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  return host + ":" + std::to_string(ep.port());
}

// Settings read once at start; a reload that changes them only warns.
void warn_restart_required(const Config& old, const Config& next) {
  auto check = [](bool changed, const char* key) {
    if (changed) log::warn("config.restart_required", {{"key", key}});
  };
  check(old.server.threads != next.server.threads, "server.threads");
  check(old.server.busy_poll_us != next.server.busy_poll_us, "server.busy_poll_us");
  check(old.server.sched_batch != next.server.sched_batch, "server.sched_batch");
  check(old.storage.path != next.storage.path, "storage.path");
  check(old.storage.sync != next.storage.sync, "storage.sync");
  check(old.storage.dedup_window != next.storage.dedup_window, "storage.dedup_window");
  check(old.storage.retention != next.storage.retention, "storage.retention");
  check(old.storage.max_write_queue != next.storage.max_write_queue, "storage.max_write_queue");
  check(old.storage.event_types != next.storage.event_types, "storage.event_types");
  check(old.storage.max_event_types != next.storage.max_event_types, "storage.max_event_types");
  check(old.delivery.connections_per_origin != next.delivery.connections_per_origin,
        "delivery.connections_per_origin");
  check(old.delivery.deny_destinations != next.delivery.deny_destinations,
        "delivery.deny_destinations");
  check(old.admin.allow_destinations != next.admin.allow_destinations,
        "admin.allow_destinations");
  auto admin_addr = [](const Config& c) {
    return c.admin.listen ? c.admin.listen->to_string() : std::string();
  };
  check(admin_addr(old) != admin_addr(next), "admin.listen");
}
}  // namespace

struct App::Impl {
  std::shared_ptr<const Config> config;
  TaskGroup tasks;  // sessions and delivery attempts; outlives ioc (task_group.hpp)
  IoLoop main_loop;        // outlives ioc (io_loop.hpp)
  net::io_context ioc{1};  // the main io thread: also signals, reload, scheduler, admin
  // The other io threads (server.threads - 1), each running its own context.
  struct Worker {
    IoLoop loop;  // outlives ioc
    net::io_context ioc{1};
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::thread thread;
    std::atomic<std::int64_t> last_turn_ms{0};  // steady ms of its last watchdog turn
  };
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<storage::Store> store;
  // Admin scans and listings; joined after the io loop, before the store closes.
  std::unique_ptr<StorageReader> reader;
  // Attempts' point reads (delivery and event); joined with `reader`.
  std::unique_ptr<StorageReader> attempt_reader;
  std::unique_ptr<ConnPool> pool;
  std::unique_ptr<DeliveryScheduler> scheduler;
  std::unique_ptr<IngestHandler> ingest;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<AdminHandler> admin;
  std::unique_ptr<HttpServer> admin_server;
  // API subscriptions; `config` is its effective config (the file's plus
  // theirs). Destroyed first: it holds a timer of ioc and uses the store.
  std::unique_ptr<SubscriptionRegistry> registry;
  bool ready = false;  // /readyz: storage open, config loaded, listeners bound, not stopping
  net::signal_set signals{ioc, SIGTERM, SIGINT, SIGHUP};
  bool stopping = false;

  std::mutex maint_mu;
  std::condition_variable maint_cv;
  bool maint_stop = false;
  std::thread maintenance;

  void start_workers();
  void stop_workers();
  std::vector<net::any_io_executor> io_executors();  // main first
  bool open_store();
  bool open_listeners();
  bool open_admin();
  bool open_listener(const ListenAddress& address, bool tls);
  bool start_delivery();
  void wait_signal();
  void reload();
  net::awaitable<void> reload_once();
  bool apply_server(const Config& next, std::shared_ptr<net::ssl::context> tls);
  bool reloading = false;      // a reload is reading files or applying
  bool reload_again = false;   // a SIGHUP arrived meanwhile
  net::awaitable<void> watchdog(std::chrono::microseconds period);
  net::awaitable<void> drain();
  void run_maintenance();
};

App::App(std::shared_ptr<const Config> config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

App::~App() = default;

void App::Impl::start_workers() {
  std::uint32_t threads = config->server.threads;
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  for (std::uint32_t i = 1; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->work.emplace(w->ioc.get_executor());
    w->last_turn_ms = steady_ms();
    Worker* raw = w.get();
    const std::chrono::microseconds busy_poll(config->server.busy_poll_us);
    w->thread = std::thread([raw, busy_poll] { raw->loop.run(raw->ioc, busy_poll); });
    // Named for `top -H` and /proc: hookd-io1, hookd-io2, ...
    const std::string name = "hookd-io" + std::to_string(i);
    pthread_setname_np(w->thread.native_handle(), name.c_str());
    workers.push_back(std::move(w));
  }
  log::info("daemon.threads", {{"io_threads", threads}, {"busy_poll_us", config->server.busy_poll_us}});
}

void App::Impl::stop_workers() {
  for (auto& w : workers) {
    w->work.reset();
    w->ioc.stop();
  }
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
}

std::vector<net::any_io_executor> App::Impl::io_executors() {
  std::vector<net::any_io_executor> out{ioc.get_executor()};
  for (auto& w : workers) out.push_back(w->ioc.get_executor());
  return out;
}

bool App::Impl::open_store() {
  storage::StoreOptions opts;
  opts.path = config->storage.path;
  opts.sync = config->storage.sync;
  opts.dedup_window = config->storage.dedup_window;
  opts.retention = config->storage.retention;
  opts.max_write_queue = config->storage.max_write_queue;
  opts.event_types = config->storage.event_types;
  opts.max_event_types = config->storage.max_event_types;
  opts.busy_poll = std::chrono::microseconds(config->server.busy_poll_us);
  opts.outcome_delay = std::chrono::microseconds(config->storage.outcome_delay_us);
  // Test-only fault hook (StoreOptions::fail_writes_file_for_test); unset in
  // production, and announced loudly when set.
  if (const char* file = std::getenv("HOOKD_TEST_FAIL_WRITES_FILE"); file && *file) {
    opts.fail_writes_file_for_test = file;
    log::warn("storage.test_fault_hook", {{"file", file}});
  }
  std::string why;
  auto opened = storage::Store::open(opts, &why);
  if (!opened) {
    log::error("storage.open_failed", {{"path", opts.path}, {"error", why}});
    return false;
  }
  store = std::move(*opened);
  log::info("storage.opened",
            {{"path", opts.path},
             {"sync", config->storage.sync == SyncMode::group ? "group" : "none"},
             {"crc32c", storage::crc32c_in_hardware() ? "hardware" : "software"}});
  return true;
}

bool App::Impl::open_listeners() {
  std::shared_ptr<net::ssl::context> tls;
  if (config->server.tls) {
    std::string why;
    tls = make_server_tls(*config->server.tls, why);
    if (!tls) {
      log::error("server.tls_failed", {{"cert", config->server.tls->cert_file},
                                       {"key", config->server.tls->key_file},
                                       {"error", why}});
      return false;
    }
  }
  IngestHandler* handler = ingest.get();
  server = std::make_unique<HttpServer>(
      ioc, server_options(config->server),
      [handler](Request& req, const ClientInfo& c, std::any& head_state) {
        return handler->handle(req, c, head_state);
      },
      tls);
  server->set_task_group(&tasks);
  server->set_session_executors(io_executors());
  server->set_head_check(
      [handler](const http::request_header<>& head, const ClientInfo& c, std::any& head_state) {
        return handler->check_head(head, c, head_state);
      });
  server->set_refusal_hook([handler](http::status status, std::string_view reason,
                                     const ClientInfo& c) { handler->http_refusal(status, reason, c); });
  for (const auto& addr : config->server.listen)
    if (!open_listener(addr, tls != nullptr)) return false;
  server->start();
  return true;
}

bool App::Impl::open_listener(const ListenAddress& address, bool tls) {
  std::string why;
  auto ep = server->listen(address, why);
  if (!ep) {
    log::error("server.listen_failed", {{"address", address.to_string()}, {"error", why}});
    return false;
  }
  log::info("server.listening", {{"address", shown_endpoint(*ep)}, {"tls", tls ? "on" : "off"}});
  return true;
}

bool App::Impl::start_delivery() {
  PoolOptions popts;
  popts.connections_per_origin = config->delivery.connections_per_origin;
  // Config-file subscriptions are the operator's own: private targets are
  // fine, only [delivery] deny_destinations is refused.
  popts.destinations.deny = config->delivery.deny_destinations;
  // API subscriptions reach public addresses only, and these ranges.
  popts.destinations.allow = config->admin.allow_destinations;
  // Outbound connections run on every io thread, by origin, the main one
  // (which runs the scheduler) first: the first origin's exchanges then need
  // no hop between threads (ConnPool's placement).
  pool = std::make_unique<ConnPool>(io_executors(), popts);
  scheduler = std::make_unique<DeliveryScheduler>(ioc, *store, *pool, config);
  scheduler->set_task_group(&tasks);
  scheduler->set_reader(reader.get());
  scheduler->set_attempt_reader(attempt_reader.get());
  if (auto ec = scheduler->start()) {
    log::error("delivery.load_failed", {{"error", ec.message()}});
    return false;
  }
  DeliveryScheduler* s = scheduler.get();
  // Ingest completes on any io thread; the scheduler lives on the main one.
  ingest->on_committed([s](const std::vector<Delivery>& d) { s->enqueue_from_any_thread(d); });
  return true;
}

void App::Impl::wait_signal() {
  signals.async_wait([this](beast::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      if (!stopping) reload();  // listeners are closing; nothing to apply to
      wait_signal();
      return;
    }
    if (stopping) {
      log::warn("daemon.stop_now", {{"signal", sig}});
      std::_Exit(1);
    }
    stopping = true;
    log::info("daemon.stopping", {{"signal", sig}});
    sd_notify(0, "STOPPING=1");
    net::co_spawn(ioc, drain(), log_if_exception);
    wait_signal();
  });
}

void App::Impl::reload() {
  if (reloading) {
    reload_again = true;  // applied once the current reload is done
    return;
  }
  reloading = true;
  net::co_spawn(ioc, reload_once(), log_if_exception);
}

net::awaitable<void> App::Impl::reload_once() {
  co_await net::this_coro::throw_if_cancelled(false);
  do {
    reload_again = false;
    // MONOTONIC_USEC lets systemd 253+ match this reload to its request.
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                   static_cast<unsigned long long>(now.tv_nsec) / 1000ULL);
    // The config file, its secret files and the TLS files are read on the
    // reader pool, not on the io thread.
    auto read = [file = config->file] { return read_reload_files(file); };
    auto files = co_await reader->run(std::move(read));
    if (stopping) break;  // listeners are closing; nothing to apply to
    if (!files) {
      log::warn("config.reload_rejected", {{"file", config->file}, {"error", files.error().message()}});
      sd_notify(0, "READY=1\nSTATUS=reload rejected: could not read the config; old config running");
      continue;
    }
    ReloadFiles& f = **files;
    if (!f.loaded.config) {
      for (const auto& e : f.loaded.errors) log::error("config.invalid", {{"error", e.to_string()}});
      log::warn("config.reload_rejected", {{"file", config->file}, {"errors", f.loaded.errors.size()}});
      sd_notifyf(0, "READY=1\nSTATUS=reload rejected: %zu config errors; old config running",
                 f.loaded.errors.size());
      continue;
    }
    if (!f.tls_error.empty()) {
      log::error("server.tls_failed", {{"cert", f.loaded.config->server.tls->cert_file},
                                       {"key", f.loaded.config->server.tls->key_file},
                                       {"error", f.tls_error}});
    }
    // The destination lists are read at start only (the pool checks every
    // connect against them): API subscriptions' create-time check keeps
    // using the running ones.
    auto next = std::make_shared<Config>(*f.loaded.config);
    next->admin.allow_destinations = config->admin.allow_destinations;
    next->delivery.deny_destinations = config->delivery.deny_destinations;
    if (auto clashes = registry->conflicts(*next); !clashes.empty()) {
      for (const auto& c : clashes) log::error("config.invalid", {{"error", c}});
      log::warn("config.reload_rejected", {{"file", config->file}, {"errors", clashes.size()}});
      sd_notifyf(0, "READY=1\nSTATUS=reload rejected: %zu conflicts with API subscriptions; old config running",
                 clashes.size());
      continue;
    }
    if (!f.tls_error.empty() || !apply_server(*f.loaded.config, f.tls)) {
      log::warn("config.reload_rejected", {{"file", config->file}});
      sd_notify(0, "READY=1\nSTATUS=reload rejected: listener or TLS failed; old config running");
      continue;
    }
    warn_restart_required(*config, *f.loaded.config);
    registry->set_file_config(std::move(next));  // applies the new effective config
    log::info("config.reloaded",
              {{"file", config->file}, {"subscriptions", config->subscriptions.size()}});
    sd_notify(0, "READY=1\nSTATUS=running");
  } while (reload_again && !stopping);
  reloading = false;
}

// `tls`: the new TLS context (read again: certificate rotation), null for
// plain listeners.
bool App::Impl::apply_server(const Config& next, std::shared_ptr<net::ssl::context> tls) {
  std::set<std::string> wanted;
  std::vector<ListenAddress> opened;
  for (const auto& addr : next.server.listen) {
    wanted.insert(addr.to_string());
    if (server->is_listening(addr)) continue;
    if (!open_listener(addr, tls != nullptr)) {
      for (const auto& a : opened) server->close_listener(a);
      return false;
    }
    opened.push_back(addr);
  }
  for (const auto& addr : config->server.listen) {
    if (wanted.contains(addr.to_string()) || !server->close_listener(addr)) continue;
    log::info("server.closed", {{"address", addr.to_string()}});
  }
  server->set_options(server_options(next.server));
  server->set_tls(std::move(tls));
  return true;
}

net::awaitable<void> App::Impl::watchdog(std::chrono::microseconds period) {
  co_await net::this_coro::throw_if_cancelled(false);
  // Pinged from the main io thread itself, and only while every other io
  // thread turned within two periods: a loop that stops turning stops the
  // pings, and systemd restarts the service.
  net::steady_timer timer(ioc);
  const auto stale_ms = 2 * std::chrono::duration_cast<std::chrono::milliseconds>(period).count();
  for (;;) {
    const std::int64_t now = steady_ms();
    bool all_turning = true;
    for (auto& w : workers) {
      if (now - w->last_turn_ms.load() > stale_ms) all_turning = false;
      Worker* raw = w.get();
      net::post(w->ioc, [raw] { raw->last_turn_ms = steady_ms(); });
    }
    if (all_turning)
      sd_notify(0, "WATCHDOG=1");
    else
      log::error("daemon.io_thread_stalled", {{"threads", workers.size() + 1}});
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
  }
}

net::awaitable<void> App::Impl::drain() {
  co_await net::this_coro::throw_if_cancelled(false);
  ready = false;
  server->stop();  // closes the listeners and every idle connection
  if (admin_server) admin_server->stop();
  scheduler->stop();  // no new attempts; pending deliveries stay durable in storage
  if (admin) admin->stop_jobs();  // replays end after their current chunk
  net::steady_timer tick(ioc);
  // Busy sessions finish their request and in-flight attempts their POST and
  // outcome write, within drain_timeout.
  const auto deadline = std::chrono::steady_clock::now() + config->server.drain_timeout;
  bool drained = co_await tasks.wait(deadline);
  while (ingest->writes_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(10));
    co_await tick.async_wait(use_tuple);
  }
  if (!drained) {
    // The rest is cancelled: their sockets close, an attempt cut short
    // stays pending in storage and is sent again after the next start.
    log::warn("daemon.drain_expired", {{"tasks", tasks.size()}});
    tasks.emit(net::cancellation_type::terminal);
    server->close_all();
    if (admin_server) admin_server->close_all();
    // Cancelled tasks end at their next await; one waiting for the storage
    // writer ends when its write completes (the writer is bounded by fsync).
    if (!co_await tasks.wait(std::chrono::steady_clock::now() + kCancelGrace))
      log::warn("daemon.tasks_abandoned", {{"tasks", tasks.size()}});
  }
  beast::error_code ignored;
  signals.cancel(ignored);
  ioc.stop();
}

void App::Impl::run_maintenance() {
  std::unique_lock lock(maint_mu);
  while (!maint_cv.wait_for(lock, kExpiryInterval, [this] { return maint_stop; })) {
    lock.unlock();
    auto stats = store->expire(unix_ms());
    if (!stats)
      log::warn("storage.expire_failed", {{"error", stats.error().message()}});
    else if (stats->events_deleted || stats->keys_deleted || stats->event_types_deleted)
      log::info("storage.expired", {{"events", stats->events_deleted},
                                    {"deliveries", stats->deliveries_deleted},
                                    {"keys", stats->keys_deleted},
                                    {"event_types", stats->event_types_deleted}});
    lock.lock();
  }
}

bool App::Impl::open_admin() {
  if (!config->admin.listen) return true;
  admin = std::make_unique<AdminHandler>(*store, *reader, *scheduler, *ingest, *pool, config,
                                         [this] { return ready; }, registry.get());
  AdminHandler* handler = admin.get();
  admin_server = std::make_unique<HttpServer>(
      ioc, admin_options(config->admin),
      [handler](Request& req, const ClientInfo& c, std::any&) { return handler->handle(req, c); },
      nullptr);
  admin_server->set_task_group(&tasks);
  admin_server->set_head_check(
      [handler](const http::request_header<>& head, const ClientInfo& c, std::any&) {
        return handler->check_head(head, c);
      });
  admin->watch_connections("ingest", server->counters());
  admin->watch_connections("admin", admin_server->counters());
  std::string why;
  auto ep = admin_server->listen(*config->admin.listen, why);
  if (!ep) {
    log::error("admin.listen_failed", {{"address", config->admin.listen->to_string()}, {"error", why}});
    return false;
  }
  log::info("admin.listening", {{"address", shown_endpoint(*ep)},
                                {"v1", config->admin.token.empty() ? "disabled" : "enabled"}});
  admin_server->start();
  return true;
}

int App::run() {
  Impl& m = *impl_;
  if (!m.open_store()) return 1;
  m.reader = std::make_unique<StorageReader>("hookd-reader");
  // Attempts in flight are bounded by delivery.max_in_flight, and so are
  // their reads; one thread: point reads, mostly from the memtable.
  m.attempt_reader =
      std::make_unique<StorageReader>("hookd-attempt", 1, std::size_t{m.config->delivery.max_in_flight} + 1024);
  m.start_workers();
  // Every way out of run() stops and joins the other io threads first.
  struct JoinWorkers {
    Impl& m;
    ~JoinWorkers() { m.stop_workers(); }
  } join_workers{m};
  m.registry = std::make_unique<SubscriptionRegistry>(m.ioc.get_executor(), *m.store, *m.reader,
                                                      m.config);
  if (auto ec = m.registry->load()) {
    log::error("subscription.load_failed", {{"error", ec.message()}});
    return 1;
  }
  m.config = m.registry->effective();
  m.ingest = std::make_unique<IngestHandler>(*m.store, m.config);
  if (!m.start_delivery()) return 1;
  if (!m.open_listeners()) return 1;
  if (!m.open_admin()) return 1;
  // From now on each change of the API subscriptions (or a reload) takes
  // effect everywhere at once.
  m.registry->set_apply([&m](std::shared_ptr<const Config> next) {
    m.config = next;
    m.ingest->set_config(next);
    m.scheduler->set_config(next);
    if (m.admin) m.admin->set_config(next);
  });
  m.registry->set_on_removed([&m](const std::string& name) { m.scheduler->forget_subscription(name); });
  m.registry->resume_deletes();
  m.ready = true;
  m.maintenance = std::thread([&m] {
    pthread_setname_np(pthread_self(), "hookd-maint");
    m.run_maintenance();
  });
  m.wait_signal();
  sd_notify(0, "READY=1\nSTATUS=running");
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
    net::co_spawn(m.ioc, m.watchdog(std::chrono::microseconds(watchdog_usec / 2)),
                  log_if_exception);
    log::info("daemon.watchdog", {{"interval_ms", watchdog_usec / 2000}});
  }
  log::info("daemon.ready", {{"sources", m.config->sources.size()},
                             {"subscriptions", m.config->subscriptions.size()}});
  m.main_loop.run(m.ioc, std::chrono::microseconds(m.config->server.busy_poll_us));
  m.stop_workers();
  {
    std::lock_guard lock(m.maint_mu);
    m.maint_stop = true;
  }
  m.maint_cv.notify_all();
  m.maintenance.join();
  m.scheduler->wait_loader();  // it reads the store
  m.reader->join();            // so do the reads still queued
  m.attempt_reader->join();
  m.store.reset();  // drains the writer and flushes
  log::info("daemon.stopped");
  return 0;
}

}  // namespace hookd::daemon
