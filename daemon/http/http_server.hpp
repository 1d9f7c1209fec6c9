#pragma once
// HttpServer: HTTP/1.1 listeners (plain or TLS, IPv4 or IPv6) on coroutines.
// Each connection is one session coroutine. A new connection must bring its
// first request head (TLS handshake included) within header_timeout; between
// keep-alive requests it may wait idle_timeout for the next first byte, then
// header_timeout for that head. The whole request must arrive within
// read_timeout of its first byte. Once the head is read, the head check may
// answer at once (401, 403, 415, ...) without reading a body byte; only then
// is `100 Continue` sent and the body read (up to max_body), the handler
// called and its response written, keeping the connection alive while both
// sides want to.
//
// Connections are capped: beyond max_connections in all, or
// max_connections_per_ip from one address (IPv6: one /64), a new connection
// is accepted and closed at once (a plain listener first writes a short 503),
// so the connections already served are not slowed. ConnectionCounters says
// how many were refused.
//
// Listeners are keyed by their configured address ("127.0.0.1:0" stays one
// key however the port was picked), so a reload can open and close them one
// by one while the rest keep accepting. Options and the TLS context may be
// replaced at run time: options apply to requests read from then on, the TLS
// context to connections accepted from then on (each connection keeps the
// context it was accepted with).
//
// Threads: listeners accept on the server's io_context. Each accepted
// connection is dealt, round-robin, to one of the session executors (one
// io_context per io thread; by default only the server's own) and lives
// there to its end, so a session's reads, writes, timers and handler call
// stay on one thread. The handler and head check must therefore be safe to
// call from every session executor. The caps, the session list and the
// options are shared under a mutex; counters are atomic. stop() and
// close_all() post each session's close to that session's executor.
// Lifetime: the server must outlive every session executor's run(); the
// handler is called with references valid only until its coroutine's first
// co_return.

#include "core/config/config.hpp"
#include "core/errors.hpp"
#include "daemon/http/net.hpp"

#include <boost/asio/ip/address.hpp>

#include <any>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace hookd::daemon {

class TaskGroup;  // daemon/http/task_group.hpp

struct ClientInfo {
  net::ip::address address;
  bool tls = false;
};

// `head_state` is what the head check left for this request (empty if
// none): the handler goes on from it instead of judging the head again.
using Handler =
    std::function<net::awaitable<Response>(Request&, const ClientInfo&, std::any& head_state)>;
// Called once a request head is read, before any body byte: a response to
// send instead of reading the body (the connection then closes), or nullopt;
// it may leave state for the handler in `head_state` (fresh per request).
using HeadCheck = std::function<std::optional<Response>(const http::request_header<>&,
                                                        const ClientInfo&, std::any& head_state)>;
// Called for each answer the HTTP layer gives itself rather than the handler
// or the head check (400 malformed request, 408, 413, 417, 431, 501): the
// status and a reason written by hookd, never a sender's bytes.
using RefusalHook = std::function<void(http::status, std::string_view, const ClientInfo&)>;

struct HttpServerOptions {
  std::uint64_t max_body = 1024 * 1024;
  Duration read_timeout{10'000};
  Duration idle_timeout{75'000};
  Duration header_timeout{10'000};
  std::uint32_t header_limit = 16 * 1024;
  std::uint32_t max_connections = 1024;
  std::uint32_t max_connections_per_ip = 256;
};

// What a server's connections did; updated from every session executor.
struct ConnectionCounters {
  std::atomic<std::uint64_t> open{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused_max{0};     // over max_connections
  std::atomic<std::uint64_t> refused_per_ip{0};  // over max_connections_per_ip
  std::atomic<std::uint64_t> header_timeouts{0}; // no request head within header_timeout
};

// A JSON {"error": message} response.
Response error_response(http::status status, std::string_view message, unsigned version = 11);

// A TLS 1.2+ server context with the certificate chain and key of `tls`, read
// now. Null with the reason in `why` when they cannot be loaded.
std::shared_ptr<net::ssl::context> make_server_tls(const TlsServerConfig& tls, std::string& why);

class HttpServer {
 public:
  HttpServer(net::io_context& ioc, HttpServerOptions options, Handler handler,
             std::shared_ptr<net::ssl::context> tls);
  ~HttpServer();

  // Binds and listens; the bound endpoint (port 0 picks one). `why` says what
  // failed. After start() the new listener accepts at once. An address that
  // already has a listener is an error.
  result<tcp::endpoint> listen(const ListenAddress& address, std::string& why);
  // Closes the listener of `address` (new connections are refused); its
  // connections carry on. False when there is none.
  bool close_listener(const ListenAddress& address);
  bool is_listening(const ListenAddress& address) const;
  // Starts accepting on every listening socket.
  void start();
  void set_options(const HttpServerOptions& options) {
    std::lock_guard lock(mu_);
    options_ = options;
  }
  // Where accepted connections run, dealt round-robin; empty: the server's
  // own io_context. Set before start().
  void set_session_executors(std::vector<net::any_io_executor> executors) {
    session_executors_ = std::move(executors);
  }
  void set_head_check(HeadCheck check) { head_check_ = std::move(check); }
  void set_refusal_hook(RefusalHook hook) { refusal_hook_ = std::move(hook); }
  // Sessions are spawned into `tasks` (shutdown cancels and waits for them);
  // it outlives the server's sessions. Null: spawned on their own.
  void set_task_group(TaskGroup* tasks) { tasks_ = tasks; }
  const ConnectionCounters& counters() const noexcept { return counters_; }
  // Null: plain HTTP for connections accepted from now on.
  void set_tls(std::shared_ptr<net::ssl::context> tls) { tls_ = std::move(tls); }
  // Closes the listening sockets and every idle connection; busy connections
  // finish their current request and then close.
  void stop();
  // Closes every connection, busy or not (after the grace period).
  void close_all();
  std::size_t active_sessions() const {
    std::lock_guard lock(mu_);
    return sessions_.size();
  }
  HttpServerOptions options() const {
    std::lock_guard lock(mu_);
    return options_;
  }

  struct Session;  // one live connection, registered while its coroutine runs

 private:
  net::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor);
  template <class Stream>
  net::awaitable<void> serve(Stream& stream, ClientInfo client, Session& self);
  // Registers `self` for stop() and close_all() until the session ends.
  class SessionGuard;
  // Runs a new connection's session on `ex` (the socket's own executor).
  void spawn_session(tcp::socket socket, const net::any_io_executor& ex);
  net::awaitable<void> run_plain(tcp::socket socket);
  net::awaitable<void> run_tls(tcp::socket socket, std::shared_ptr<net::ssl::context> tls);
  // Admits a new connection under the caps, or refuses (and closes) it.
  bool admit(tcp::socket& socket);
  // The per-address key: the address, or its /64 for IPv6.
  static std::string ip_key(const net::ip::address& address);

  class Slot;  // a connection's share of the caps, released when it ends

  net::io_context& ioc_;
  Handler handler_;
  HeadCheck head_check_;
  RefusalHook refusal_hook_;
  TaskGroup* tasks_ = nullptr;
  std::shared_ptr<net::ssl::context> tls_;  // server's io_context only
  std::vector<net::any_io_executor> session_executors_;
  std::size_t next_executor_ = 0;
  ConnectionCounters counters_;
  mutable std::mutex mu_;  // guards options_, per_ip_ and sessions_
  HttpServerOptions options_;
  std::unordered_map<std::string, std::uint32_t> per_ip_;  // at most max_connections keys
  std::list<std::shared_ptr<Session>> sessions_;
  // By ListenAddress::to_string(); an accept loop shares ownership of its
  // acceptor so that closing a listener never frees it under the loop.
  std::map<std::string, std::shared_ptr<tcp::acceptor>> acceptors_;  // server's io_context only
  bool started_ = false;
  std::atomic<bool> stopping_{false};
};

// Completion handler for co_spawn: an exception escaping a coroutine is a bug;
// it is logged, never swallowed silently.
void log_if_exception(std::exception_ptr e);

}  // namespace hookd::daemon
