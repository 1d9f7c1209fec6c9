#include "tests/support/http_client.hpp"

#include "daemon/http/net.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace hookd::test {

using namespace hookd::daemon;
namespace ssl = boost::asio::ssl;

struct HttpClient::Impl {
  net::io_context ioc;
  std::uint16_t port;
  std::string host;
  std::optional<ssl::context> ctx;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool connected() const { return plain || tls; }
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

HttpClient::HttpClient(std::uint16_t port, std::string ca_file, std::string host)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->host = std::move(host);
  if (!ca_file.empty()) {
    impl_->ctx.emplace(ssl::context::tls_client);
    impl_->ctx->load_verify_file(ca_file);
    impl_->ctx->set_verify_mode(ssl::verify_peer);
  }
}

HttpClient::~HttpClient() = default;

void HttpClient::close() {
  impl_->plain.reset();
  impl_->tls.reset();
  impl_->buffer.clear();
}

std::optional<HttpResult> HttpClient::request(
    const std::string& method, const std::string& target, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout) {
  Impl& m = *impl_;
  std::optional<HttpResult> out;
  auto run = [&]() -> net::awaitable<void> {
    co_await net::this_coro::throw_if_cancelled(false);
    beast::error_code ec;
    if (!m.connected()) {
      tcp::endpoint ep{net::ip::make_address(m.host), m.port};
      if (m.ctx) {
        m.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(m.ioc, *m.ctx);
        SSL_set_tlsext_host_name(m.tls->native_handle(), "localhost");
        m.tls->set_verify_callback(ssl::host_name_verification(m.host));
      } else {
        m.plain = std::make_unique<beast::tcp_stream>(m.ioc);
      }
      m.lowest().expires_after(timeout);
      std::tie(ec) = co_await m.lowest().async_connect(ep, use_tuple);
      if (!ec && m.tls) std::tie(ec) = co_await m.tls->async_handshake(ssl::stream_base::client, use_tuple);
      if (ec) {
        error_ = "connect: " + ec.message();
        close();
        co_return;
      }
      ++connects_;
    }
    Request req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, m.host);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    m.lowest().expires_after(timeout);
    std::size_t n = 0;
    if (m.tls) std::tie(ec, n) = co_await http::async_write(*m.tls, req, use_tuple);
    else std::tie(ec, n) = co_await http::async_write(*m.plain, req, use_tuple);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (method == "HEAD") parser.skip(true);
    if (!ec) {
      if (m.tls) std::tie(ec, n) = co_await http::async_read(*m.tls, m.buffer, parser, use_tuple);
      else std::tie(ec, n) = co_await http::async_read(*m.plain, m.buffer, parser, use_tuple);
    }
    if (ec) {
      error_ = "exchange: " + ec.message();
      close();
      co_return;
    }
    auto res = parser.release();
    HttpResult r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    r.keep_alive = res.keep_alive();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    if (!r.keep_alive) close();
    out = std::move(r);
  };
  std::exception_ptr failure;
  net::co_spawn(m.ioc, run(), [&](std::exception_ptr e) { failure = e; });
  m.ioc.restart();
  m.ioc.run();
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace hookd::test
