#include "daemon/http/http_exchange.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "core/text.hpp"

namespace hookd::daemon {

namespace {

constexpr std::uint32_t kHeaderLimit = 16 * 1024;

bool is_timeout(const beast::error_code& ec, Clock::time_point deadline) {
  return ec == beast::error::timeout || Clock::now() >= deadline;
}

bool is_closed(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated || ec == http::error::partial_message;
}

struct Failure {
  error_code error;
  std::string detail;
};

// What a failed connect, write or read was. Timeout first: a deadline that
// passed shows up as whatever error the interrupted operation saw.
Failure classify(delivery_errc phase, const beast::error_code& ec, Clock::time_point deadline,
                 bool got_bytes = false) {
  if (is_timeout(ec, deadline)) return {delivery_errc::timeout, {}};
  if (ec == net::error::operation_aborted) return {delivery_errc::cancelled, {}};
  if (phase == delivery_errc::read_failed) {
    if (is_closed(ec))
      return {delivery_errc::connection_closed,
              got_bytes ? "closed mid-response" : "closed without a response"};
    if (ec == http::error::header_limit) return {delivery_errc::response_too_large, ec.message()};
    if (ec.category() == make_error_code(http::error::header_limit).category())  // not HTTP/1.1
      return {delivery_errc::bad_response, ec.message()};
  }
  return {phase, error_reason(ec)};
}

struct Resolved {
  std::vector<tcp::endpoint> endpoints;
  error_code error;
  std::string detail;
};

// What the resolver's completion handler shares with the waiting coroutine,
// which may have given up (deadline) before the lookup ends.
struct ResolveState {
  explicit ResolveState(const net::any_io_executor& ex) : resolver(ex), timer(ex) {}
  tcp::resolver resolver;
  net::steady_timer timer;
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  bool done = false;
};

net::awaitable<Resolved> resolve(net::any_io_executor ex, const std::string& host,
                                 std::uint16_t port, Clock::time_point deadline) {
  beast::error_code ec;
  auto ip = net::ip::make_address(host, ec);
  if (!ec) co_return Resolved{{tcp::endpoint(ip, port)}, {}, {}};
  // getaddrinfo runs on Asio's resolver thread and cannot be interrupted, so
  // the deadline bounds our wait for it rather than the lookup itself.
  auto state = std::make_shared<ResolveState>(ex);
  state->resolver.async_resolve(
      host, std::to_string(port),
      [state](beast::error_code rec, const tcp::resolver::results_type& results) {
        state->done = true;
        state->ec = rec;
        for (const auto& entry : results) state->endpoints.push_back(entry.endpoint());
        state->timer.cancel();
      });
  state->timer.expires_at(deadline);
  co_await state->timer.async_wait(use_tuple);
  if (!state->done) {
    co_return Resolved{
        {}, Clock::now() >= deadline ? delivery_errc::timeout : delivery_errc::cancelled, {}};
  }
  if (state->ec) co_return Resolved{{}, delivery_errc::resolve_failed, state->ec.message()};
  if (state->endpoints.empty())
    co_return Resolved{{}, delivery_errc::resolve_failed, "no addresses for " + host};
  co_return Resolved{std::move(state->endpoints), {}, {}};
}

template <class Stream>
net::awaitable<ExchangeResult> exchange_on(Stream& stream, Connection& conn, std::string_view wire,
                                           Clock::time_point deadline) {
  ExchangeResult r;
  auto fail = [&](delivery_errc phase, const beast::error_code& ec) {
    r.status = 0;
    r.keep_alive = false;
    auto [error, detail] = classify(phase, ec, deadline, r.got_response_bytes);
    r.error = error;
    r.detail = std::move(detail);
  };
  auto& lowest = conn.lowest();
  lowest.expires_at(deadline);
  auto [wec, written] = co_await net::async_write(stream, net::buffer(wire), use_tuple);
  if (wec) {
    fail(delivery_errc::write_failed, wec);
    co_return r;
  }
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(boost::none);  // enforced below, where a large body is not an error
  auto& buffer = conn.buffer();
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  r.got_response_bytes = parser.got_some() || buffer.size() > 0;
  if (hec) {
    fail(delivery_errc::read_failed, hec);
    co_return r;
  }
  auto& res = parser.get();
  std::uint64_t total = 0;
  char chunk[8192];
  while (!parser.is_done() && total <= kMaxResponseBody) {
    res.body().data = chunk;
    res.body().size = sizeof chunk;
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      fail(delivery_errc::read_failed, ec);
      co_return r;
    }
    std::size_t got = sizeof chunk - res.body().size;
    // A few bytes past the excerpt, so that its cut can fall on a character boundary.
    const std::size_t want = kBodyExcerpt + 3;
    std::size_t room = want - std::min(want, r.body_excerpt.size());
    r.body_excerpt.append(chunk, std::min(got, room));
    total += got;
  }
  lowest.expires_never();
  r.body_excerpt.resize(utf8_prefix(r.body_excerpt, kBodyExcerpt).size());
  r.status = static_cast<int>(res.result_int());
  r.retry_after = std::string(res[http::field::retry_after]);
  r.keep_alive = parser.is_done() && res.keep_alive();
  co_return r;
}

}  // namespace

Connection::Connection(net::any_io_executor ex, ssl::context* tls) {
  if (tls)
    tls_ = std::make_unique<TlsStream>(ex, *tls);
  else
    plain_ = std::make_unique<beast::tcp_stream>(ex);
}

Connection::~Connection() { close(); }

beast::tcp_stream& Connection::lowest() noexcept {
  return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

bool Connection::peer_closed() {
  if (buffer_.size() > 0) return true;
  if (tls_ && SSL_pending(tls_->native_handle()) > 0) return true;
  auto& socket = lowest().socket();
  if (!socket.is_open()) return true;
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;  // EOF, or bytes nobody asked for
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

void Connection::close() noexcept {
  beast::error_code ignored;
  auto& socket = lowest().socket();
  if (!socket.is_open()) return;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

net::awaitable<OpenResult> open_connection(net::any_io_executor ex, const TargetUrl& url,
                                           ssl::context* tls, Clock::time_point deadline,
                                           const DestinationPolicy* policy) {
  auto resolved = co_await resolve(ex, url.host, url.port, deadline);
  if (resolved.error) co_return OpenResult{nullptr, resolved.error, std::move(resolved.detail)};
  if (policy) {
    std::string first_refusal;
    std::erase_if(resolved.endpoints, [&](const tcp::endpoint& ep) {
      std::optional<std::string> why;
      if (ep.address().is_v4()) {
        auto b = ep.address().to_v4().to_bytes();
        why = destination_refusal(*policy, b.data(), false);
      } else {
        auto b = ep.address().to_v6().to_bytes();
        why = destination_refusal(*policy, b.data(), true);
      }
      if (why && first_refusal.empty()) first_refusal = std::move(*why);
      return why.has_value();
    });
    if (resolved.endpoints.empty())
      co_return OpenResult{nullptr, delivery_errc::destination_not_allowed, std::move(first_refusal)};
  }
  auto conn = std::make_unique<Connection>(ex, tls);
  auto& lowest = conn->lowest();
  lowest.expires_at(deadline);
  auto [ec, endpoint] = co_await lowest.async_connect(resolved.endpoints, use_tuple);
  if (ec) {
    auto [error, detail] = classify(delivery_errc::connect_failed, ec, deadline);
    co_return OpenResult{nullptr, error, std::move(detail)};
  }
  beast::error_code ignored;
  lowest.socket().set_option(tcp::no_delay(true), ignored);
  if (conn->is_tls()) {
    std::string detail;
    if (!prepare_client_stream(conn->tls(), url.host, detail))
      co_return OpenResult{nullptr, delivery_errc::tls_handshake_failed, std::move(detail)};
    auto [hec] = co_await conn->tls().async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      if (is_timeout(hec, deadline)) co_return OpenResult{nullptr, delivery_errc::timeout, {}};
      auto failure = classify_handshake_error(hec, conn->tls());
      co_return OpenResult{nullptr, failure.error, std::move(failure.detail)};
    }
  }
  lowest.expires_never();
  co_return OpenResult{std::move(conn), {}, {}};
}

net::awaitable<ExchangeResult> exchange(Connection& conn, std::string_view wire,
                                        Clock::time_point deadline) {
  if (conn.is_tls()) return exchange_on(conn.tls(), conn, wire, deadline);
  return exchange_on(conn.plain(), conn, wire, deadline);
}

std::string make_request(const OutgoingRequest& out) {
  // Beast writes the header (it checks names and values); the body is
  // appended after it, so it is copied once, into the wire buffer.
  http::request<http::empty_body> req{http::verb::post, out.target.empty() ? "/" : out.target,
                                      11};
  req.set(http::field::host, out.host_header);
  for (const auto& [name, value] : out.headers) req.insert(name, value);
  req.keep_alive(true);
  req.content_length(out.body.size());
  std::string wire;
  wire.reserve(out.body.size() + 64 * (out.headers.size() + 2));
  http::request_serializer<http::empty_body> sr(req);
  sr.split(true);
  beast::error_code ec;
  while (!ec && !sr.is_header_done()) {
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        wire.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  }
  // A header of checked fields cannot fail to serialize; were it ever to,
  // nothing is sent.
  if (ec) throw std::length_error("request not serialized: " + ec.message());
  wire.append(out.body);
  return wire;
}

}  // namespace hookd::daemon
