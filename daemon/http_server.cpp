#include "daemon/http_server.hpp"

#include "daemon/log.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace hookd::daemon {

struct HttpServer::Session {
  bool idle = true;
  std::function<void()> close;
};

namespace {

// Registers a session for stop() while its coroutine runs.
class SessionGuard {
 public:
  SessionGuard(std::list<HttpServer::Session*>& list, HttpServer::Session* s)
      : list_(list), it_(list.insert(list.end(), s)) {}
  ~SessionGuard() { list_.erase(it_); }

 private:
  std::list<HttpServer::Session*>& list_;
  std::list<HttpServer::Session*>::iterator it_;
};

net::ip::address client_address(const tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return {};
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6());
  return addr;
}

bool is_quiet_close(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::operation_aborted ||
         ec == net::error::broken_pipe || ec == beast::error::timeout ||
         ec == net::ssl::error::stream_truncated;
}

}  // namespace

Response error_response(http::status status, std::string_view message, unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  boost::json::object body;
  body["error"] = message;
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  return res;
}

void log_if_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    log::error("bug.exception", {{"what", x.what()}});
  } catch (...) {
    log::error("bug.exception", {{"what", "unknown"}});
  }
}

HttpServer::HttpServer(net::io_context& ioc, HttpServerOptions options, Handler handler,
                       std::shared_ptr<net::ssl::context> tls)
    : ioc_(ioc), options_(options), handler_(std::move(handler)), tls_(std::move(tls)) {}

HttpServer::~HttpServer() = default;

std::shared_ptr<net::ssl::context> make_server_tls(const TlsServerConfig& tls, std::string& why) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  ctx->use_certificate_chain_file(tls.cert_file, ec);
  if (!ec) ctx->use_private_key_file(tls.key_file, net::ssl::context::pem, ec);
  if (ec) {
    why = ec.message();
    return nullptr;
  }
  return ctx;
}

result<tcp::endpoint> HttpServer::listen(const ListenAddress& address, std::string& why) {
  beast::error_code ec;
  const std::string key = address.to_string();
  if (acceptors_.contains(key)) {
    why = "already listening on " + key;
    return make_error_code(net::error::already_open);
  }
  auto ip = net::ip::make_address(address.host, ec);
  if (ec) {
    why = "invalid address " + address.host;
    return ec;
  }
  tcp::endpoint ep{ip, address.port};
  auto acceptor = std::make_shared<tcp::acceptor>(ioc_);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec && ep.protocol() == tcp::v6()) acceptor->set_option(net::ip::v6_only(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    why = "cannot listen on " + key + ": " + ec.message();
    return ec;
  }
  auto bound = acceptor->local_endpoint(ec);
  if (started_ && !stopping_) net::co_spawn(ioc_, accept_loop(acceptor), log_if_exception);
  acceptors_.emplace(key, std::move(acceptor));
  return bound;
}

bool HttpServer::close_listener(const ListenAddress& address) {
  auto it = acceptors_.find(address.to_string());
  if (it == acceptors_.end()) return false;
  beast::error_code ignored;
  it->second->close(ignored);
  acceptors_.erase(it);
  return true;
}

bool HttpServer::is_listening(const ListenAddress& address) const {
  return acceptors_.contains(address.to_string());
}

void HttpServer::start() {
  started_ = true;
  for (auto& [key, a] : acceptors_) net::co_spawn(ioc_, accept_loop(a), log_if_exception);
}

void HttpServer::stop() {
  stopping_ = true;
  for (auto& [key, a] : acceptors_) {
    beast::error_code ec;
    a->close(ec);
  }
  for (Session* s : sessions_)
    if (s->idle && s->close) s->close();
}

void HttpServer::close_all() {
  for (Session* s : sessions_)
    if (s->close) s->close();
}

net::awaitable<void> HttpServer::accept_loop(std::shared_ptr<tcp::acceptor> acceptor) {
  co_await net::this_coro::throw_if_cancelled(false);
  net::steady_timer backoff(ioc_);
  while (!stopping_ && acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
    if (ec) {
      if (stopping_ || !acceptor->is_open()) co_return;
      // Out of descriptors and the like: say so, and do not spin.
      log::warn("server.accept_failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls_)
      net::co_spawn(ioc_, run_tls(std::move(socket), tls_), log_if_exception);
    else
      net::co_spawn(ioc_, run_plain(std::move(socket)), log_if_exception);
  }
}

net::awaitable<void> HttpServer::run_plain(tcp::socket socket) {
  co_await net::this_coro::throw_if_cancelled(false);
  ClientInfo client{client_address(socket), false};
  beast::tcp_stream stream(std::move(socket));
  Session self;
  self.close = [&stream] {
    beast::error_code ignored;
    stream.socket().close(ignored);
  };
  SessionGuard guard(sessions_, &self);
  co_await serve(stream, client, self);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> HttpServer::run_tls(tcp::socket socket,
                                         std::shared_ptr<net::ssl::context> tls) {
  co_await net::this_coro::throw_if_cancelled(false);
  ClientInfo client{client_address(socket), true};
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
  Session self;
  self.close = [&stream] {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  };
  SessionGuard guard(sessions_, &self);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options_.read_timeout);
  auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
  if (ec) {
    // A bare TCP connect (liveness check) or a client that distrusts us.
    if (!is_quiet_close(ec)) log::debug("server.tls_handshake_failed", {{"error", ec.message()}});
    co_return;
  }
  co_await serve(stream, client, self);
  lowest.expires_after(std::chrono::seconds(1));
  // The peer may close without close_notify; that is not an error here.
  co_await stream.async_shutdown(use_tuple);
}

template <class Stream>
net::awaitable<void> HttpServer::serve(Stream& stream, ClientInfo client, Session& self) {
  beast::flat_buffer buffer;
  auto& lowest = beast::get_lowest_layer(stream);
  auto send = [&](Response res) -> net::awaitable<beast::error_code> {
    lowest.expires_after(options_.read_timeout);
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    co_return ec;
  };
  while (!stopping_) {
    if (buffer.size() == 0) {
      self.idle = true;
      lowest.expires_after(options_.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), use_tuple);
      // EOF before a byte is MinIO's liveness check; idle timeout is keep-alive ending.
      if (ec) co_return;
      buffer.commit(n);
    }
    self.idle = false;
    lowest.expires_never();
    // The whole request must arrive within read_timeout; on expiry the read is
    // cancelled (not the socket closed) so that a 408 can still be sent.
    bool timed_out = false;
    net::steady_timer deadline(ioc_);
    deadline.expires_after(options_.read_timeout);
    deadline.async_wait([&lowest, &timed_out](beast::error_code ec) {
      if (ec) return;
      timed_out = true;
      beast::error_code ignored;
      lowest.socket().cancel(ignored);
    });
    http::request_parser<http::string_body> parser;
    parser.header_limit(options_.header_limit);
    parser.body_limit(options_.max_body);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (!ec && !parser.is_done()) {
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, 11};
        auto [cec, cn] = co_await http::async_write(stream, cont, use_tuple);
        ec = cec;
      }
      if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
    }
    deadline.cancel();
    if (ec) {
      if (timed_out) {
        log::debug("server.read_timeout", {{"client", client.address.to_string()}});
        co_await send(error_response(http::status::request_timeout,
                                     "request not received within read_timeout"));
      } else if (ec == http::error::body_limit) {
        co_await send(error_response(http::status::payload_too_large,
                                     "body larger than max_body (" +
                                         std::to_string(options_.max_body) + " bytes)"));
      } else if (ec == http::error::header_limit) {
        co_await send(error_response(http::status::request_header_fields_too_large,
                                     "request header too large"));
      } else if (!is_quiet_close(ec) && ec.category() == make_error_code(http::error::bad_target).category()) {
        co_await send(error_response(http::status::bad_request,
                                     "malformed HTTP request: " + ec.message()));
      }
      co_return;
    }
    Request req = parser.release();
    bool keep_alive = req.keep_alive();
    Response res = co_await handler_(req, client);
    res.version(req.version());
    res.keep_alive(keep_alive && !stopping_);
    res.prepare_payload();
    if (req.method() == http::verb::head) {
      // Same headers as a GET would get, and no body.
      auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    if (auto wec = co_await send(std::move(res)); wec || !keep_alive || stopping_) co_return;
  }
}

}  // namespace hookd::daemon
