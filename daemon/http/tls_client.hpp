#pragma once
// Client-side TLS for outbound deliveries: building an ssl::context from a
// subscription's TLS settings, preparing a stream for one host (SNI and the
// host name check), and turning OpenSSL failures into a delivery_errc plus
// short readable detail.
//
// Threads: contexts are built and streams prepared on the io thread; a built
// context is immutable and shared by every connection with the same settings.

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <string>

#include "core/config/config.hpp"
#include "core/errors.hpp"
#include "daemon/http/net.hpp"

namespace hookd::daemon {

namespace ssl = boost::asio::ssl;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct ClientContext {
  std::shared_ptr<ssl::context> context;  // null on failure
  std::string error;                      // "cannot load ca_file ...: No such file"
};

// A TLS 1.2+ client context that verifies the peer against `tls->ca_file`, or
// else against `ca_path` (a hashed directory) or OpenSSL's default trust
// store, and presents `tls->cert_file`/`key_file` when both are set.
// `tls` may be null (system trust store, no client certificate).
ClientContext make_client_context(const TlsClientConfig* tls, const std::string& ca_path);

// Sets SNI (for names, not IP literals) and the host name check on `stream`.
// False with `error` ("cannot set SNI for host") when SNI cannot be set.
bool prepare_client_stream(TlsStream& stream, const std::string& host, std::string& error);

struct HandshakeFailure {
  error_code error;    // delivery_errc::tls_verify_failed or tls_handshake_failed
  std::string detail;  // "hostname mismatch", "self-signed certificate", an OpenSSL reason
};

// What an error from the TLS handshake on `stream` was.
HandshakeFailure classify_handshake_error(const beast::error_code& ec, TlsStream& stream);

// OpenSSL's reason text for an ssl-category error (without the library
// suffix Asio's message() adds), else ec.message().
std::string error_reason(const beast::error_code& ec);

}  // namespace hookd::daemon
