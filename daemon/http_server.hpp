#pragma once
// HttpServer: HTTP/1.1 listeners (plain or TLS, IPv4 or IPv6) on coroutines.
// Each connection is one session coroutine: it waits up to idle_timeout for a
// request's first byte, then gives the whole request read_timeout, enforces
// max_body, calls the handler and writes its response, keeping the connection
// alive while both sides want to.
//
// Threads: everything runs on the io_context's single thread; no locks.
// Lifetime: the server must outlive its io_context's run(); the handler is
// called with references valid only until its coroutine's first co_return.

#include "core/config.hpp"
#include "core/errors.hpp"
#include "daemon/net.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace hookd::daemon {

struct ClientInfo {
  net::ip::address address;
  bool tls = false;
};

using Handler = std::function<net::awaitable<Response>(Request&, const ClientInfo&)>;

struct HttpServerOptions {
  std::uint64_t max_body = 1024 * 1024;
  Duration read_timeout{10'000};
  Duration idle_timeout{75'000};
  std::uint32_t header_limit = 16 * 1024;
};

// A JSON {"error": message} response.
Response error_response(http::status status, std::string_view message, unsigned version = 11);

class HttpServer {
 public:
  HttpServer(net::io_context& ioc, HttpServerOptions options, Handler handler,
             std::shared_ptr<net::ssl::context> tls);
  ~HttpServer();

  // Binds and listens; the bound endpoint (port 0 picks one). `why` says what failed.
  result<tcp::endpoint> listen(const ListenAddress& address, std::string& why);
  // Starts accepting on every listening socket.
  void start();
  // Closes the listening sockets and every idle connection; busy connections
  // finish their current request and then close.
  void stop();
  // Closes every connection, busy or not (after the grace period).
  void close_all();
  std::size_t active_sessions() const noexcept { return sessions_.size(); }
  const HttpServerOptions& options() const noexcept { return options_; }

  struct Session;  // one live connection, registered while its coroutine runs

 private:
  net::awaitable<void> accept_loop(tcp::acceptor& acceptor);
  template <class Stream>
  net::awaitable<void> serve(Stream& stream, ClientInfo client, Session& self);
  net::awaitable<void> run_plain(tcp::socket socket);
  net::awaitable<void> run_tls(tcp::socket socket);

  net::io_context& ioc_;
  HttpServerOptions options_;
  Handler handler_;
  std::shared_ptr<net::ssl::context> tls_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::list<Session*> sessions_;
  bool stopping_ = false;
};

// Completion handler for co_spawn: an exception escaping a coroutine is a bug;
// it is logged, never swallowed silently.
void log_if_exception(std::exception_ptr e);

}  // namespace hookd::daemon
