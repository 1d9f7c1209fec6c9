#include "daemon/http/tls_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace hookd::daemon {

namespace {

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

ClientContext failure(std::string what, const std::string& file, const beast::error_code& ec) {
  return {nullptr, "cannot load " + what + " " + file + ": " + error_reason(ec)};
}

}  // namespace

std::string error_reason(const beast::error_code& ec) {
  if (ec.category() == net::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value())))
      return reason;
  }
  return ec.message();
}

ClientContext make_client_context(const TlsClientConfig* tls, const std::string& ca_path) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (tls && !tls->ca_file.empty()) {
    ctx->load_verify_file(tls->ca_file, ec);
    if (ec) return failure("ca_file", tls->ca_file, ec);
  } else if (!ca_path.empty()) {
    ctx->add_verify_path(ca_path, ec);
    if (ec) return failure("ca_path", ca_path, ec);
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) return failure("the system trust store", "", ec);
  }
  if (tls && !tls->cert_file.empty()) {
    ctx->use_certificate_chain_file(tls->cert_file, ec);
    if (ec) return failure("cert_file", tls->cert_file, ec);
    ctx->use_private_key_file(tls->key_file.empty() ? tls->cert_file : tls->key_file,
                              ssl::context::pem, ec);
    if (ec) return failure("key_file", tls->key_file, ec);
  }
  return {std::move(ctx), {}};
}

bool prepare_client_stream(TlsStream& stream, const std::string& host, std::string& error) {
  bool ip = is_ip_literal(host);
  // SNI carries DNS names only (RFC 6066 section 3).
  if (!ip && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
    error = "cannot set SNI for " + host;
    return false;
  }
  // Asio's check fails the leaf without saying why; record the reason so that
  // the handshake error names it instead of a bare "certificate verify failed".
  stream.set_verify_callback(
      [check = ssl::host_name_verification(host), ip](bool preverified, ssl::verify_context& vc) {
        bool ok = check(preverified, vc);
        if (preverified && !ok)
          X509_STORE_CTX_set_error(vc.native_handle(), ip ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                                          : X509_V_ERR_HOSTNAME_MISMATCH);
        return ok;
      });
  return true;
}

HandshakeFailure classify_handshake_error(const beast::error_code& ec, TlsStream& stream) {
  long verify = SSL_get_verify_result(stream.native_handle());
  if (ec.category() == net::error::get_ssl_category() && verify != X509_V_OK)
    return {delivery_errc::tls_verify_failed, X509_verify_cert_error_string(verify)};
  return {delivery_errc::tls_handshake_failed, error_reason(ec)};
}

}  // namespace hookd::daemon
