#include "daemon/hookctl/hookctl_http.hpp"

#include "daemon/http/http_exchange.hpp"
#include "daemon/http/tls_client.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <exception>
#include <type_traits>

#ifndef HOOKD_VERSION
#define HOOKD_VERSION "0.1.0"
#endif

namespace hookd::hookctl {

struct AdminClient::Tls {
  std::shared_ptr<daemon::ssl::context> context;
};

namespace {

namespace net = daemon::net;
namespace beast = daemon::beast;
namespace http = daemon::http;
using daemon::use_tuple;
using std::chrono::milliseconds;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::uint64_t kBodyLimit = 64 * 1024 * 1024;
constexpr milliseconds kShutdownBudget{2000};

std::string timed_out(milliseconds timeout) {
  auto ms = timeout.count();
  return "timed out after " +
         (ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms");
}

std::string describe(const beast::error_code& ec, milliseconds timeout) {
  if (ec == beast::error::timeout) return timed_out(timeout);
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == http::error::partial_message || ec == net::ssl::error::stream_truncated)
    return "connection closed before a complete answer";
  return daemon::error_reason(ec);
}

// open_connection's errors, as the end of "cannot reach ... at URL: ".
std::string describe_open_error(const daemon::OpenResult& opened, milliseconds timeout) {
  const error_code& ec = opened.error;
  if (ec == delivery_errc::timeout) return timed_out(timeout);
  if (ec == delivery_errc::connect_failed) return opened.detail;
  if (ec == delivery_errc::resolve_failed) return "resolve: " + opened.detail;
  if (ec == delivery_errc::tls_verify_failed)
    return "tls: certificate verify failed: " + opened.detail;
  if (ec == delivery_errc::tls_handshake_failed) return "tls: " + opened.detail;
  return delivery_error_text(ec, opened.detail);
}

template <class Stream>
net::awaitable<HttpReply> exchange(Stream& stream, daemon::Connection& conn,
                                   const daemon::Request& req, milliseconds timeout) {
  HttpReply out;
  auto& lowest = conn.lowest();
  lowest.expires_after(timeout);
  auto [wec, written] = co_await http::async_write(stream, req, use_tuple);
  if (wec) {
    out.error = describe(wec, timeout);
    co_return out;
  }
  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
  lowest.expires_after(timeout);
  auto [rec, read] = co_await http::async_read(stream, conn.buffer(), parser, use_tuple);
  if (rec) {
    out.error = describe(rec, timeout);
    co_return out;
  }
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    // The answer is complete; a peer that never returns close_notify only
    // costs this short wait, and its errors change nothing.
    lowest.expires_after(std::min(timeout, kShutdownBudget));
    co_await stream.async_shutdown(use_tuple);
  }
  co_return out;
}

net::awaitable<HttpReply> run_request(net::any_io_executor ex, TargetUrl origin,
                                      daemon::ssl::context* tls, daemon::Request req,
                                      milliseconds timeout) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto opened = co_await daemon::open_connection(ex, origin, tls, daemon::Clock::now() + timeout);
  if (!opened.connection) {
    HttpReply out;
    out.error = describe_open_error(opened, timeout);
    co_return out;
  }
  auto& conn = *opened.connection;
  if (conn.is_tls()) co_return co_await exchange(conn.tls(), conn, req, timeout);
  co_return co_await exchange(conn.plain(), conn, req, timeout);
}

}  // namespace

AdminClient::AdminClient(TargetUrl base, std::string token, milliseconds timeout)
    : base_(std::move(base)), token_(std::move(token)), timeout_(timeout) {}

AdminClient::~AdminClient() = default;

ClientResult AdminClient::create(TargetUrl base, std::string token, const std::string& ca_file,
                                 milliseconds timeout) {
  bool tls = base.tls;
  std::unique_ptr<AdminClient> client(new AdminClient(std::move(base), std::move(token), timeout));
  if (tls) {
    TlsClientConfig config;
    config.ca_file = ca_file;
    auto made = daemon::make_client_context(&config, "");
    if (!made.context) return {nullptr, "tls: " + made.error};
    client->tls_ = std::make_unique<Tls>(Tls{std::move(made.context)});
  }
  return {std::move(client), {}};
}

HttpReply AdminClient::request(std::string_view method, std::string_view target,
                               std::string_view json_body) const {
  std::string full = base_.target;
  while (!full.empty() && full.back() == '/') full.pop_back();
  full += target;
  daemon::Request req{http::string_to_verb(method), full, 11};
  req.set(http::field::host, host_header(base_));
  req.set(http::field::user_agent, "hookctl/" HOOKD_VERSION);
  req.set(http::field::accept, "application/json");
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  if (!json_body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(json_body);
  }
  req.keep_alive(false);
  req.prepare_payload();

  net::io_context ioc{1};
  HttpReply reply;
  net::co_spawn(ioc,
                run_request(ioc.get_executor(), base_, tls_ ? tls_->context.get() : nullptr,
                            std::move(req), timeout_),
                [&reply](std::exception_ptr e, HttpReply r) {
                  if (!e) {
                    reply = std::move(r);
                    return;
                  }
                  try {
                    std::rethrow_exception(e);
                  } catch (const std::exception& x) {
                    reply.error = std::string("internal error: ") + x.what();
                  } catch (...) {
                    reply.error = "internal error";
                  }
                });
  ioc.run();
  return reply;
}

}  // namespace hookd::hookctl
