// ConnPool over TLS: a custom CA, untrusted and mismatched certificates,
// and client certificates (mTLS). Certificates are made at test time.
#include "tests/integration/conn_pool_fixture.hpp"

#include <filesystem>
#include <thread>

namespace hookd::test {
namespace {

class ConnPoolTlsTest : public ConnPoolFixture {
 protected:
  TestCerts certs_in(const std::string& name, const std::string& alt_names = "") {
    std::string dir = dir_.file(name);
    std::filesystem::create_directories(dir);
    return alt_names.empty() ? make_test_certs(dir) : make_test_certs(dir, alt_names);
  }
  static SinkOptions serving(const TestCerts& certs, bool require_client_cert = false) {
    SinkOptions o;
    o.cert_file = certs.server_cert;
    o.key_file = certs.server_key;
    if (require_client_cert) o.client_ca_file = certs.ca_cert;
    return o;
  }
  PostResult post_tls(const SinkServer& sink, std::string host, TlsClientConfig tls) {
    auto url = url_for(sink, true, std::move(host));
    return post(url, request_for(url), 2s, std::move(tls));
  }
};

TEST_F(ConnPoolTlsTest, HttpsWithCustomCaDeliversAndKeepsTheConnection) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs));
  TlsClientConfig tls{certs.ca_cert, "", ""};
  auto r = post_tls(sink, "127.0.0.1", tls);
  EXPECT_EQ(r.status, 204) << why(r);
  auto again = post_tls(sink, "127.0.0.1", tls);
  EXPECT_EQ(again.status, 204) << why(again);
  EXPECT_TRUE(again.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 1u);
  ASSERT_TRUE(sink.wait_for_requests(2, 2s));
  EXPECT_EQ(sink.requests()[0].body, R"({"n":1})");
  auto per_origin = pool().open_per_origin();
  ASSERT_EQ(per_origin.size(), 1u);
  EXPECT_EQ(per_origin[0].first, "https://127.0.0.1:" + std::to_string(sink.port()));
}

TEST_F(ConnPoolTlsTest, HttpsByHostNameResolvesAndVerifiesTheName) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs));
  auto r = post_tls(sink, "localhost", TlsClientConfig{certs.ca_cert, "", ""});
  EXPECT_EQ(r.status, 204) << why(r);
}

TEST_F(ConnPoolTlsTest, CertificateFromAnotherCaIsRejected) {
  auto served = certs_in("served");
  auto other = certs_in("other");
  SinkServer sink(serving(served));
  auto r = post_tls(sink, "127.0.0.1", TlsClientConfig{other.ca_cert, "", ""});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::tls_verify_failed) << why(r);
  EXPECT_EQ(sink.request_count(), 0u);
  EXPECT_EQ(pool().stats().connections_open, 0u);
}

TEST_F(ConnPoolTlsTest, TestCaIsNotInTheSystemTrustStore) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs));
  auto url = url_for(sink, true);
  auto r = post(url, request_for(url));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::tls_verify_failed) << why(r);
}

TEST_F(ConnPoolTlsTest, CertificateForAnotherNameIsRejected) {
  auto certs = certs_in("other-name", "DNS:other.example");
  SinkServer sink(serving(certs));
  TlsClientConfig tls{certs.ca_cert, "", ""};
  auto by_ip = post_tls(sink, "127.0.0.1", tls);
  EXPECT_EQ(by_ip.status, 0);
  EXPECT_EQ(by_ip.error, delivery_errc::tls_verify_failed) << why(by_ip);
  auto by_name = post_tls(sink, "localhost", tls);
  EXPECT_EQ(by_name.status, 0);
  EXPECT_EQ(by_name.error, delivery_errc::tls_verify_failed) << why(by_name);
  EXPECT_EQ(sink.request_count(), 0u);
}

TEST_F(ConnPoolTlsTest, MutualTlsWithClientCertificateDelivers) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs, true));
  auto r = post_tls(sink, "127.0.0.1",
                    TlsClientConfig{certs.ca_cert, certs.client_cert, certs.client_key});
  EXPECT_EQ(r.status, 204) << why(r);
  EXPECT_EQ(sink.request_count(), 1u);
}

TEST_F(ConnPoolTlsTest, MutualTlsSinkRejectsAClientWithoutCertificate) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs, true));
  auto r = post_tls(sink, "127.0.0.1", TlsClientConfig{certs.ca_cert, "", ""});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error) << "a TLS alert, or the sink closing: not a response";
  EXPECT_EQ(sink.request_count(), 0u);
}

TEST_F(ConnPoolTlsTest, DistinctClientCertificatesAreDistinctOrigins) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs, true));
  auto with_cert = TlsClientConfig{certs.ca_cert, certs.client_cert, certs.client_key};
  EXPECT_EQ(post_tls(sink, "127.0.0.1", with_cert).status, 204);
  EXPECT_EQ(post_tls(sink, "127.0.0.1", TlsClientConfig{certs.ca_cert, "", ""}).status, 0);
  auto again = post_tls(sink, "127.0.0.1", with_cert);
  EXPECT_EQ(again.status, 204) << why(again);
  EXPECT_TRUE(again.reused_connection) << "the failure closed only its own origin's connection";
}

TEST_F(ConnPoolTlsTest, TlsConnectionTheSinkClosedWhileIdleIsReplaced) {
  auto certs = certs_in("ca");
  auto options = serving(certs);
  options.idle_close = 100ms;
  SinkServer sink(options);
  TlsClientConfig tls{certs.ca_cert, "", ""};
  EXPECT_EQ(post_tls(sink, "127.0.0.1", tls).status, 204);
  std::this_thread::sleep_for(300ms);
  auto r = post_tls(sink, "127.0.0.1", tls);
  EXPECT_EQ(r.status, 204) << why(r);
  EXPECT_FALSE(r.reused_connection);
  EXPECT_EQ(sink.connections_accepted(), 2u);
}

TEST_F(ConnPoolTlsTest, ReusedTlsConnectionClosedBeforeAnsweringIsRetriedOnceFresh) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs));
  TlsClientConfig tls{certs.ca_cert, "", ""};
  sink.push(SinkAction::reply(204));
  sink.push(SinkAction::drop());
  EXPECT_EQ(post_tls(sink, "127.0.0.1", tls).status, 204);
  auto r = post_tls(sink, "127.0.0.1", tls);
  EXPECT_EQ(r.status, 204) << why(r);
  EXPECT_EQ(pool().stats().retries, 1u);
  EXPECT_EQ(sink.connections_accepted(), 2u);
}

TEST_F(ConnPoolTlsTest, HangingTlsServerTimesOut) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs));
  sink.push(SinkAction::hang_up());
  auto url = url_for(sink, true);
  auto r = post(url, request_for(url), 300ms, TlsClientConfig{certs.ca_cert, "", ""});
  EXPECT_EQ(r.error, delivery_errc::timeout);
  EXPECT_LT(r.latency, std::chrono::microseconds(1'500'000));
}

TEST_F(ConnPoolTlsTest, MissingCaFileIsReportedWithoutConnecting) {
  auto certs = certs_in("ca");
  SinkServer sink(serving(certs));
  auto r = post_tls(sink, "127.0.0.1", TlsClientConfig{dir_.file("missing.pem"), "", ""});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, delivery_errc::tls_config) << why(r);
  EXPECT_EQ(sink.connections_accepted(), 0u);
}

}  // namespace
}  // namespace hookd::test
