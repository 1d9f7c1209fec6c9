#include "tests/support/sink_server.hpp"

#include "daemon/http/http_server.hpp"
#include "daemon/http/net.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <functional>
#include <future>
#include <list>
#include <optional>
#include <stdexcept>

namespace hookd::test {

using namespace hookd::daemon;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

std::string ReceivedRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

struct SinkServer::Impl {
  // One live connection; close() ends its coroutine from stop().
  struct Session {
    std::function<void()> close;
  };
  class Registration {
   public:
    Registration(std::list<Session*>& list, Session* s)
        : list_(list), it_(list.insert(list.end(), s)) {}
    ~Registration() { list_.erase(it_); }

   private:
    std::list<Session*>& list_;
    std::list<Session*>::iterator it_;
  };

  Impl(SinkServer& o, SinkOptions opts) : owner(o), options(std::move(opts)) {}

  net::awaitable<void> accept_loop();
  net::awaitable<void> run_session(tcp::socket socket, std::uint64_t id);
  template <class Stream>
  net::awaitable<void> serve(Stream& stream, beast::tcp_stream& lowest, net::steady_timer& timer,
                             std::uint64_t id);
  void stop();

  SinkServer& owner;
  SinkOptions options;
  // Declared before ioc: coroutine frames still pending when ioc is
  // destroyed unregister themselves from `sessions` and use `tls`.
  std::list<Session*> sessions;
  std::optional<ssl::context> tls;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  bool stopping = false;
  std::promise<void> finished;
};

net::awaitable<void> SinkServer::Impl::accept_loop() {
  co_await net::this_coro::throw_if_cancelled(false);
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(owner.mutex_);
      id = ++owner.connections_;
    }
    owner.changed_.notify_all();
    net::co_spawn(ioc, run_session(std::move(socket), id), log_if_exception);
  }
}

net::awaitable<void> SinkServer::Impl::run_session(tcp::socket socket, std::uint64_t id) {
  co_await net::this_coro::throw_if_cancelled(false);
  net::steady_timer timer(ioc);
  Session self;
  if (tls) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
    auto& lowest = beast::get_lowest_layer(stream);
    self.close = [&lowest, &timer] {
      beast::error_code ignored;
      lowest.socket().close(ignored);
      timer.cancel();
    };
    Registration registration(sessions, &self);
    if (stopping) co_return;
    lowest.expires_after(5s);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (!ec) co_await serve(stream, lowest, timer, id);
    self.close();
  } else {
    beast::tcp_stream stream(std::move(socket));
    self.close = [&stream, &timer] {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.socket().close(ignored);
      timer.cancel();
    };
    Registration registration(sessions, &self);
    if (stopping) co_return;
    co_await serve(stream, stream, timer, id);
    self.close();
  }
}

template <class Stream>
net::awaitable<void> SinkServer::Impl::serve(Stream& stream, beast::tcp_stream& lowest,
                                             net::steady_timer& timer, std::uint64_t id) {
  beast::flat_buffer buffer;
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (options.idle_close.count() > 0)
      lowest.expires_after(options.idle_close);
    else
      lowest.expires_never();
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) co_return;
    Request req = parser.release();
    ReceivedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& field : req) r.headers.emplace_back(field.name_string(), field.value());
    r.body = std::move(req.body());
    r.received = std::chrono::steady_clock::now();
    r.connection = id;
    owner.record(std::move(r));
    SinkAction action = owner.next_action();
    lowest.expires_never();
    if (action.close_without_answer) co_return;
    if (action.hang) {
      // Reads (and drops) until the client gives up or stop() closes us.
      char scratch[512];
      for (;;) {
        auto [rec, rn] = co_await lowest.async_read_some(net::buffer(scratch), use_tuple);
        if (rec) co_return;
      }
    }
    if (action.delay.count() > 0) {
      timer.expires_after(action.delay);
      co_await timer.async_wait(use_tuple);
      if (stopping) co_return;
    }
    Response res;
    res.version(req.version());
    res.result(static_cast<unsigned>(action.status));
    for (const auto& [k, v] : action.headers) res.insert(k, v);
    res.body() = action.body;
    bool keep = req.keep_alive() && !action.close_after;
    res.keep_alive(keep);
    res.prepare_payload();
    lowest.expires_after(5s);
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !keep) co_return;
  }
}

void SinkServer::Impl::stop() {
  net::post(ioc, [this] {
    stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    for (Session* s : sessions) s->close();
  });
}

SinkServer::SinkServer(SinkOptions options) : impl_(std::make_unique<Impl>(*this, options)) {
  Impl& m = *impl_;
  if (!options.cert_file.empty()) {
    m.tls.emplace(ssl::context::tls_server);
    m.tls->use_certificate_chain_file(options.cert_file);
    m.tls->use_private_key_file(options.key_file, ssl::context::pem);
    if (!options.client_ca_file.empty()) {
      m.tls->load_verify_file(options.client_ca_file);
      m.tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), 0};
  m.acceptor.open(ep.protocol());
  m.acceptor.set_option(net::socket_base::reuse_address(true));
  m.acceptor.bind(ep);
  m.acceptor.listen();
  port_ = m.acceptor.local_endpoint().port();
  net::co_spawn(m.ioc, m.accept_loop(), log_if_exception);
  thread_ = std::thread([&m] {
    m.ioc.run();
    m.finished.set_value();
  });
}

SinkServer::~SinkServer() {
  impl_->stop();
  if (impl_->finished.get_future().wait_for(5s) != std::future_status::ready) impl_->ioc.stop();
  thread_.join();
}

void SinkServer::push(SinkAction action) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(action));
}

void SinkServer::set_default(SinkAction action) {
  std::lock_guard lock(mutex_);
  default_action_ = std::move(action);
}

SinkAction SinkServer::next_action() {
  std::lock_guard lock(mutex_);
  if (script_.empty()) return default_action_;
  SinkAction a = std::move(script_.front());
  script_.pop_front();
  return a;
}

void SinkServer::record(ReceivedRequest request) {
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
  }
  changed_.notify_all();
}

std::vector<ReceivedRequest> SinkServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t SinkServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool SinkServer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

std::size_t SinkServer::connections_accepted() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

}  // namespace hookd::test
