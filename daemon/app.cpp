#include "daemon/app.hpp"

#include "daemon/conn_pool.hpp"
#include "daemon/delivery_scheduler.hpp"
#include "daemon/http_server.hpp"
#include "daemon/ingest_handler.hpp"
#include "daemon/log.hpp"
#include "storage/store.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

namespace hookd::daemon {

namespace {
constexpr auto kGracePeriod = std::chrono::seconds(10);
constexpr auto kExpiryInterval = std::chrono::seconds(60);

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

struct App::Impl {
  std::shared_ptr<const Config> config;
  net::io_context ioc{1};
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<ConnPool> pool;
  std::unique_ptr<DeliveryScheduler> scheduler;
  std::unique_ptr<IngestHandler> ingest;
  std::unique_ptr<HttpServer> server;
  net::signal_set signals{ioc, SIGTERM, SIGINT, SIGHUP};
  bool stopping = false;

  std::mutex maint_mu;
  std::condition_variable maint_cv;
  bool maint_stop = false;
  std::thread maintenance;

  bool open_store();
  bool open_listeners();
  bool start_delivery();
  void wait_signal();
  void reload();
  net::awaitable<void> drain();
  void run_maintenance();
};

App::App(std::shared_ptr<const Config> config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

App::~App() = default;

bool App::Impl::open_store() {
  storage::StoreOptions opts;
  opts.path = config->storage.path;
  opts.sync = config->storage.sync;
  opts.dedup_window = config->storage.dedup_window;
  opts.retention = config->storage.retention;
  opts.max_write_queue = config->storage.max_write_queue;
  std::string why;
  auto opened = storage::Store::open(opts, &why);
  if (!opened) {
    log::error("storage.open_failed", {{"path", opts.path}, {"error", why}});
    return false;
  }
  store = std::move(*opened);
  log::info("storage.opened", {{"path", opts.path},
                               {"sync", config->storage.sync == SyncMode::group ? "group" : "none"}});
  return true;
}

bool App::Impl::open_listeners() {
  std::shared_ptr<net::ssl::context> tls;
  if (config->server.tls) {
    tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls->use_certificate_chain_file(config->server.tls->cert_file, ec);
    if (!ec) tls->use_private_key_file(config->server.tls->key_file, net::ssl::context::pem, ec);
    if (ec) {
      log::error("server.tls_failed", {{"cert", config->server.tls->cert_file},
                                       {"key", config->server.tls->key_file},
                                       {"error", ec.message()}});
      return false;
    }
  }
  HttpServerOptions opts;
  opts.max_body = config->server.max_body;
  opts.read_timeout = config->server.read_timeout;
  opts.idle_timeout = config->server.idle_timeout;
  IngestHandler* handler = ingest.get();
  server = std::make_unique<HttpServer>(
      ioc, opts, [handler](Request& req, const ClientInfo& c) { return handler->handle(req, c); },
      tls);
  for (const auto& addr : config->server.listen) {
    std::string why;
    auto ep = server->listen(addr, why);
    if (!ep) {
      log::error("server.listen_failed", {{"address", addr.to_string()}, {"error", why}});
      return false;
    }
    std::string shown = ep->address().is_v6() ? "[" + ep->address().to_string() + "]"
                                              : ep->address().to_string();
    log::info("server.listening", {{"address", shown + ":" + std::to_string(ep->port())},
                                   {"tls", tls ? "on" : "off"}});
  }
  server->start();
  return true;
}

bool App::Impl::start_delivery() {
  PoolOptions popts;
  popts.connections_per_origin = config->delivery.connections_per_origin;
  pool = std::make_unique<ConnPool>(ioc, popts);
  scheduler = std::make_unique<DeliveryScheduler>(ioc, *store, *pool, config);
  auto started = std::chrono::steady_clock::now();
  auto loaded = scheduler->start();
  if (!loaded) {
    log::error("delivery.load_failed", {{"error", loaded.error().message()}});
    return false;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started).count();
  log::info("delivery.loaded", {{"pending", *loaded}, {"ms", ms}});
  DeliveryScheduler* s = scheduler.get();
  ingest->on_committed([s](const std::vector<Delivery>& d) { s->enqueue(d); });
  return true;
}

void App::Impl::wait_signal() {
  signals.async_wait([this](beast::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
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
  sd_notify(0, "RELOADING=1");
  auto loaded = load_config(config->file);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log::error("config.invalid", {{"error", e.to_string()}});
    log::warn("config.reload_rejected", {{"file", config->file}});
  } else {
    config = loaded.config;
    ingest->set_config(config);
    scheduler->set_config(config);
    log::info("config.reloaded", {{"file", config->file},
                                  {"subscriptions", config->subscriptions.size()}});
  }
  sd_notify(0, "READY=1");
}

net::awaitable<void> App::Impl::drain() {
  co_await net::this_coro::throw_if_cancelled(false);
  server->stop();
  scheduler->stop();  // pending deliveries stay durable in storage
  net::steady_timer tick(ioc);
  auto deadline = std::chrono::steady_clock::now() + kGracePeriod;
  while ((server->active_sessions() > 0 || ingest->writes_in_flight() > 0 ||
          scheduler->in_flight() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(10));
    co_await tick.async_wait(use_tuple);
  }
  if (server->active_sessions() > 0) {
    log::warn("daemon.grace_expired", {{"sessions", server->active_sessions()}});
    server->close_all();
    // Closed sockets end their sessions at the next await; a session waiting
    // for the store ends when the write completes.
    while (server->active_sessions() > 0 || ingest->writes_in_flight() > 0 ||
           scheduler->in_flight() > 0) {
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(use_tuple);
    }
  }
  beast::error_code ignored;
  signals.cancel(ignored);
  ioc.stop();
}

void App::Impl::run_maintenance() {
  std::unique_lock lock(maint_mu);
  while (!maint_cv.wait_for(lock, kExpiryInterval, [this] { return maint_stop; })) {
    lock.unlock();
    auto stats = store->expire(wall_ms());
    if (!stats)
      log::warn("storage.expire_failed", {{"error", stats.error().message()}});
    else if (stats->events_deleted || stats->keys_deleted)
      log::info("storage.expired", {{"events", stats->events_deleted},
                                    {"deliveries", stats->deliveries_deleted},
                                    {"keys", stats->keys_deleted}});
    lock.lock();
  }
}

int App::run() {
  Impl& m = *impl_;
  if (!m.open_store()) return 1;
  m.ingest = std::make_unique<IngestHandler>(m.ioc, *m.store, m.config);
  if (!m.start_delivery()) return 1;
  if (!m.open_listeners()) return 1;
  m.maintenance = std::thread([&m] { m.run_maintenance(); });
  m.wait_signal();
  sd_notify(0, "READY=1");
  log::info("daemon.ready", {{"sources", m.config->sources.size()},
                             {"subscriptions", m.config->subscriptions.size()}});
  m.ioc.run();
  {
    std::lock_guard lock(m.maint_mu);
    m.maint_stop = true;
  }
  m.maint_cv.notify_all();
  m.maintenance.join();
  m.store.reset();  // drains the writer and flushes
  log::info("daemon.stopped");
  return 0;
}

}  // namespace hookd::daemon
