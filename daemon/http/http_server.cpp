#include "daemon/http/http_server.hpp"
#include "daemon/http/request_rules.hpp"
#include "daemon/http/session_deadlines.hpp"

#include "core/text.hpp"
#include "daemon/http/task_group.hpp"
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

#include <array>
#include <optional>
#include <utility>

namespace hookd::daemon {

// One live connection. Its fields are used on its own executor only; the
// shared_ptr lets a posted close find out that the session already ended.
struct HttpServer::Session {
  explicit Session(net::any_io_executor e) : ex(std::move(e)) {}
  net::any_io_executor ex;
  bool alive = true;
  bool idle = true;
  std::function<void()> close;
};

class HttpServer::Slot {
 public:
  Slot(HttpServer& server, std::string key) : server_(&server), key_(std::move(key)) {}
  Slot(Slot&& o) noexcept : server_(std::exchange(o.server_, nullptr)), key_(std::move(o.key_)) {}
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  Slot& operator=(Slot&&) = delete;
  ~Slot() {
    if (!server_) return;
    std::lock_guard lock(server_->mu_);
    --server_->counters_.open;
    auto it = server_->per_ip_.find(key_);
    if (it != server_->per_ip_.end() && --it->second == 0) server_->per_ip_.erase(it);
  }

 private:
  HttpServer* server_;
  std::string key_;
};

class HttpServer::SessionGuard {
 public:
  SessionGuard(HttpServer& server, std::shared_ptr<Session> s) : server_(server), self_(s) {
    std::lock_guard lock(server_.mu_);
    it_ = server_.sessions_.insert(server_.sessions_.end(), std::move(s));
  }
  ~SessionGuard() {
    self_->alive = false;
    std::lock_guard lock(server_.mu_);
    server_.sessions_.erase(it_);
  }

 private:
  HttpServer& server_;
  std::shared_ptr<Session> self_;
  std::list<std::shared_ptr<Session>>::iterator it_;
};

namespace {

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

// How long a refused request's unread body is drained before closing.
constexpr std::chrono::milliseconds kLingerTime{1000};

// Room in a connection's read buffer beyond header_limit: the longest chunk
// line (size and extensions) or trailer section a request may send.
constexpr std::size_t kChunkLineLimit = 64 * 1024;

// An answer after which the connection closes, saying so.
Response closing(Response res) {
  res.keep_alive(false);
  return res;
}

// A refused connection's whole answer, written once without waiting.
constexpr std::string_view kTooManyBody = R"({"error":"too many connections; retry later"})";
const std::string kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    "Connection: close\r\nContent-Length: " +
    std::to_string(kTooManyBody.size()) + "\r\n\r\n" + std::string(kTooManyBody);

// After answering a request whose body was not read: stop sending, then read
// and drop what the client still sends (up to `max_bytes`, for at most
// `budget`), so that closing with unread bytes does not reset the connection
// before the client has read the answer.
net::awaitable<void> linger_close(beast::tcp_stream& stream, std::uint64_t max_bytes,
                                  std::chrono::milliseconds budget) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(budget);
  std::array<char, 8192> sink;
  std::uint64_t dropped = 0;
  while (!ec && dropped < max_bytes) {
    auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
    ec = rec;
    dropped += n;
  }
}

}  // namespace

Response error_response(http::status status, std::string_view message, unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  boost::json::object body;
  // Messages may quote what a sender sent; the answer stays valid UTF-8.
  body["error"] = to_valid_utf8(message);
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
    : ioc_(ioc), handler_(std::move(handler)), tls_(std::move(tls)), options_(options) {}

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
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_)
    net::post(s->ex, [s] {
      if (s->alive && s->idle && s->close) s->close();
    });
}

void HttpServer::close_all() {
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_)
    net::post(s->ex, [s] {
      if (s->alive && s->close) s->close();
    });
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
    if (!admit(socket)) continue;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    net::any_io_executor ex = ioc_.get_executor();
    if (!session_executors_.empty())
      ex = session_executors_[next_executor_++ % session_executors_.size()];
    if (ex == ioc_.get_executor()) {
      spawn_session(std::move(socket), ex);
      continue;
    }
    // The descriptor moves to the session's io_context.
    tcp::socket moved(ex);
    const auto peer = client_address(socket);
    const auto protocol = socket.local_endpoint(ignored).protocol();
    if (!ignored) moved.assign(protocol, socket.release(ignored), ignored);
    if (ignored) {
      log::warn("server.accept_failed", {{"error", ignored.message()}});
      Slot give_back(*this, ip_key(peer));  // the share admit() took
      continue;
    }
    spawn_session(std::move(moved), ex);
  }
}

void HttpServer::spawn_session(tcp::socket socket, const net::any_io_executor& ex) {
  if (tasks_ && tls_)
    net::co_spawn(ex, run_tls(std::move(socket), tls_), tasks_->adapt(ex));
  else if (tasks_)
    net::co_spawn(ex, run_plain(std::move(socket)), tasks_->adapt(ex));
  else if (tls_)
    net::co_spawn(ex, run_tls(std::move(socket), tls_), log_if_exception);
  else
    net::co_spawn(ex, run_plain(std::move(socket)), log_if_exception);
}

std::string HttpServer::ip_key(const net::ip::address& address) {
  if (!address.is_v6()) return address.to_string();
  // One host of IPv6 usually has a whole /64.
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return net::ip::make_address_v6(bytes).to_string() + "/64";
}

bool HttpServer::admit(tcp::socket& socket) {
  const std::string key = ip_key(client_address(socket));
  std::unique_lock lock(mu_);
  auto it = per_ip_.find(key);
  const std::uint32_t from_ip = it == per_ip_.end() ? 0 : it->second;
  const bool over_total = counters_.open >= options_.max_connections;
  const bool over_ip = from_ip >= options_.max_connections_per_ip;
  if (over_total || over_ip) {
    lock.unlock();
    ++(over_total ? counters_.refused_max : counters_.refused_per_ip);
    log::debug("server.connection_refused",
               {{"client", key}, {"reason", over_total ? "max_connections" : "max_connections_per_ip"}});
    beast::error_code ignored;
    if (!tls_) {
      socket.non_blocking(true, ignored);
      socket.write_some(net::buffer(kTooManyConnections), ignored);  // once; never waits
    }
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    return false;
  }
  ++counters_.open;
  ++counters_.accepted;
  ++per_ip_[key];
  return true;
}

net::awaitable<void> HttpServer::run_plain(tcp::socket socket) {
  co_await net::this_coro::throw_if_cancelled(false);
  ClientInfo client{client_address(socket), false};
  Slot slot(*this, ip_key(client.address));
  // Sync reads and writes on it never wait: serve() tries them first.
  beast::error_code nb;
  socket.non_blocking(true, nb);
  if (nb) co_return;
  beast::tcp_stream stream(std::move(socket));
  auto self = std::make_shared<Session>(co_await net::this_coro::executor);
  self->close = [&stream] {
    beast::error_code ignored;
    stream.socket().close(ignored);
  };
  SessionGuard guard(*this, self);
  co_await serve(stream, client, *self);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> HttpServer::run_tls(tcp::socket socket,
                                         std::shared_ptr<net::ssl::context> tls) {
  co_await net::this_coro::throw_if_cancelled(false);
  ClientInfo client{client_address(socket), true};
  Slot slot(*this, ip_key(client.address));
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
  auto self = std::make_shared<Session>(co_await net::this_coro::executor);
  self->close = [&stream] {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  };
  SessionGuard guard(*this, self);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options().header_timeout);
  auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
  if (ec) {
    // A bare TCP connect (liveness check) or a client that distrusts us.
    if (!is_quiet_close(ec)) log::debug("server.tls_handshake_failed", {{"error", ec.message()}});
    co_return;
  }
  co_await serve(stream, client, *self);
  lowest.expires_after(std::chrono::seconds(1));
  // The peer may close without close_notify; that is not an error here.
  co_await stream.async_shutdown(use_tuple);
}

template <class Stream>
net::awaitable<void> HttpServer::serve(Stream& stream, ClientInfo client, Session& self) {
  HttpServerOptions opts = options();
  // Bounded: body bytes move into the request as they are parsed, but a
  // chunk line (with its extensions) and the trailer section are parsed
  // only once whole in the buffer; past this the read fails with
  // buffer_overflow instead of growing.
  const std::size_t buffer_limit = opts.header_limit + kChunkLineLimit;
  beast::flat_buffer buffer(buffer_limit);
  auto& lowest = beast::get_lowest_layer(stream);
  // Plain TCP: what the socket takes now is written without a wait (an
  // answer is small and almost always fits); only the rest is awaited.
  constexpr bool kPlain = std::is_same_v<Stream, beast::tcp_stream>;
  auto send = [&](Response res) -> net::awaitable<beast::error_code> {
    http::response_serializer<http::string_body> sr{res};
    if constexpr (kPlain) {
      beast::error_code ec;
      http::write(lowest.socket(), sr, ec);
      if (ec != net::error::would_block) co_return ec;
    }
    lowest.expires_after(opts.read_timeout);
    auto [ec, n] = co_await http::async_write(stream, sr, use_tuple);
    co_return ec;
  };
  // Plain TCP: parses what has arrived without a wait. False when the
  // request (its head, or all of it with `whole`) needs more bytes; `ec`
  // is then clear and the caller awaits the rest.
  auto parse_arrived = [&](auto& parser, bool whole, beast::error_code& ec) {
    if constexpr (!kPlain) {
      return false;
    } else {
      if (whole)
        http::read(lowest.socket(), buffer, parser, ec);
      else
        http::read_header(lowest.socket(), buffer, parser, ec);
      if (ec != net::error::would_block) return true;
      ec = {};
      return false;
    }
  };
  std::optional<IdleWatch> idle;  // plain TCP only; TLS waits on the stream's timer
  if constexpr (kPlain) idle.emplace(lowest.socket());
  // An answer the HTTP layer gives itself (not the handler's): counted by
  // the refusal hook, then the connection closes.
  auto refuse = [&](http::status status, std::string_view reason) {
    if (refusal_hook_) refusal_hook_(status, reason, client);
    return send(closing(error_response(status, reason)));
  };
  auto too_large = [&] {
    return refuse(http::status::payload_too_large,
                  "body larger than max_body (" + std::to_string(opts.max_body) + " bytes)");
  };
  bool first = true;
  std::size_t leading_newlines = 0;
  while (!stopping_) {
    opts = options();  // a reload applies from the next request
    if (buffer.size() == 0) {
      self.idle = true;
      // A new connection gets header_timeout for its first byte; a kept-alive
      // one idle_timeout between requests.
      const auto wait = first ? opts.header_timeout : opts.idle_timeout;
      beast::error_code ec;
      std::size_t n = 0;
      if constexpr (kPlain) {
        idle->start(std::chrono::steady_clock::now() + wait);
        std::tie(ec, n) = co_await lowest.socket().async_read_some(buffer.prepare(8192), use_tuple);
        if (idle->stop()) ec = beast::error::timeout;
      } else {
        lowest.expires_after(wait);
        std::tie(ec, n) = co_await stream.async_read_some(buffer.prepare(8192), use_tuple);
      }
      // EOF before a byte is MinIO's liveness check; idle timeout is keep-alive ending.
      if (ec) {
        if (first && ec == beast::error::timeout) ++counters_.header_timeouts;
        co_return;
      }
      buffer.commit(n);
    }
    if (std::size_t skipped = consume_leading_newlines(buffer)) {
      leading_newlines += skipped;
      if (leading_newlines > kMaxLeadingNewlines) {
        co_await refuse(http::status::bad_request, "empty lines instead of a request");
        co_return;
      }
      if (buffer.size() == 0) continue;  // still waiting for a request line
    }
    first = false;
    self.idle = false;
    lowest.expires_never();
    // The head must arrive within header_timeout and the whole request within
    // read_timeout; on expiry the read is cancelled (not the socket closed)
    // so that a 408 can still be sent.
    const auto started = std::chrono::steady_clock::now();
    bool head_done = false;
    // Armed only when a wait is needed: a request that has arrived whole
    // is parsed without one.
    ReadDeadline deadline(lowest.socket());
    http::request_parser<http::string_body> parser;
    std::any head_state;  // the head check's, for this request's handler
    parser.header_limit(opts.header_limit);
    // max_body is applied once the head is checked, so that a refusal on the
    // head (401, 404) comes before a 413 for its Content-Length.
    parser.body_limit(boost::none);
    std::size_t head_fields = 0;  // chunked: fields after these are trailers
    beast::error_code ec;
    std::size_t n = 0;
    if (!parse_arrived(parser, false, ec)) {
      deadline.arm(started + std::min(opts.header_timeout, opts.read_timeout));
      std::tie(ec, n) = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    }
    if (!ec) {
      head_done = true;
      leading_newlines = 0;
      if (parser.chunked())
        head_fields = static_cast<std::size_t>(std::distance(parser.get().begin(), parser.get().end()));
      std::optional<Response> refusal;
      const auto problem = protocol_problem(parser.get());
      if (problem) {
        if (refusal_hook_) refusal_hook_(problem->first, problem->second, client);
        refusal = error_response(problem->first, problem->second);
      } else if (head_check_) {
        refusal = head_check_(parser.get(), client, head_state);
      }
      if (refusal) {
        deadline.disarm();
        // With a body still unread the connection cannot go on: answer, then close.
        const bool bodyless = parser.is_done();
        const bool keep = bodyless && parser.get().keep_alive() && !stopping_ && !problem;
        refusal->version(parser.get().version());
        refusal->keep_alive(keep);
        refusal->prepare_payload();
        if (parser.get().method() == http::verb::head) {
          auto length = refusal->body().size();
          refusal->body().clear();
          refusal->content_length(length);
        }
        auto wec = co_await send(std::move(*refusal));
        if (!wec && keep) continue;
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
          // A protocol refusal may leave body bytes its framing did not announce.
          if (!wec && (!bodyless || problem)) co_await linger_close(stream, opts.max_body, kLingerTime);
        }
        co_return;
      }
      if (auto length = parser.content_length(); length && *length > opts.max_body) {
        deadline.disarm();
        auto wec = co_await too_large();
        if constexpr (kPlain) {
          if (!wec) co_await linger_close(stream, opts.max_body, kLingerTime);
        }
        co_return;
      }
      parser.body_limit(opts.max_body);  // chunked: checked chunk by chunk
      // HTTP/1.0 has no 100 Continue: its expectation is ignored.
      const bool expects_continue = !parser.is_done() && parser.get().version() >= 11 &&
                                    parser.get().count(http::field::expect) > 0;
      // A client that waits for 100 Continue sends no body before it.
      if (!parser.is_done() && (expects_continue || !parse_arrived(parser, true, ec))) {
        deadline.arm(started + opts.read_timeout);
        if (expects_continue) {
          http::response<http::empty_body> cont{http::status::continue_, 11};
          auto [cec, cn] = co_await http::async_write(stream, cont, use_tuple);
          ec = cec;
        }
        if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
      }
    }
    const bool timed_out = deadline.fired();
    deadline.disarm();
    if (ec) {
      // Refused for its size with bytes still coming: read a bounded amount
      // on before closing, so that the client reads the answer, not a reset.
      bool drain = false;
      if (timed_out) {
        if (!head_done) ++counters_.header_timeouts;
        log::debug("server.read_timeout", {{"client", client.address.to_string()},
                                           {"phase", head_done ? "body" : "header"}});
        co_await refuse(http::status::request_timeout,
                        head_done ? "request not received within read_timeout"
                                  : "request head not received within header_timeout");
      } else if (ec == http::error::body_limit) {
        auto wec = co_await too_large();
        drain = !wec;
      } else if (ec == http::error::header_limit || (!head_done && ec == http::error::buffer_overflow)) {
        co_await refuse(http::status::request_header_fields_too_large, "request header too large");
      } else if (ec == http::error::buffer_overflow) {
        const std::string reason =
            "chunk line or trailer section over " + std::to_string(kChunkLineLimit) + " bytes";
        auto wec = co_await refuse(http::status::bad_request, reason);
        drain = !wec;
      } else if (!is_quiet_close(ec) && ec.category() == make_error_code(http::error::bad_target).category()) {
        const std::string reason = "malformed HTTP request: " + ec.message();
        co_await refuse(http::status::bad_request, reason);
      }
      if constexpr (kPlain) {
        if (drain) co_await linger_close(stream, opts.max_body, kLingerTime);
      }
      co_return;
    }
    Request req = parser.release();
    // Trailer fields are dropped: every decision (source, authentication,
    // type, idempotency key) is made on the head alone.
    if (head_fields > 0) {
      std::size_t field = 0;
      for (auto it = req.begin(); it != req.end();)
        it = field++ < head_fields ? std::next(it) : req.erase(it);
    }
    bool keep_alive = req.keep_alive();
    Response res = co_await handler_(req, client, head_state);
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
