#include "core/delivery/outgoing.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace hookd {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

// The published Standard Webhooks example.
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSecondSecret = "whsec_c2Vjb25kLWtleS0wMTIzNDU2Nzg5";

Event sample_event() {
  Event ev;
  ev.id = "01HQ";
  ev.source = "minio";
  ev.format = Format::minio;
  ev.type = "s3:ObjectCreated:Put";
  ev.time_ms = 1741598062324;  // 2025-03-10T09:14:22.324Z
  ev.body = R"({"Records":[1]})";
  return ev;
}

Delivery sample_delivery() {
  Delivery d;
  d.id = "01HQ.0";
  d.event_id = "01HQ";
  d.subscription = "thumbs";
  return d;
}

SubscriptionConfig sample_sub() {
  SubscriptionConfig s;
  s.name = "thumbs";
  s.url = "https://thumbs.example.test/hooks?x=1";
  return s;
}

TargetUrl url_of(std::string_view s) {
  auto u = parse_target_url(s);
  EXPECT_TRUE(u) << s;
  return u.value_or(TargetUrl{});
}

const std::string* header(const OutgoingRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

TEST(OutgoingSignTest, StandardWebhooksPublishedVector) {
  auto sig = sign_standard_webhooks(kSpecSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                    R"({"test": 2432232314})");
  ASSERT_TRUE(sig);
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(OutgoingSignTest, UndecodableSecretsAreRejected) {
  EXPECT_FALSE(sign_standard_webhooks("whsec_", "id", 1, "{}"));
  EXPECT_FALSE(sign_standard_webhooks("whsec_!!!!", "id", 1, "{}"));
  EXPECT_FALSE(sign_standard_webhooks("whsec_ab=c", "id", 1, "{}"));
  EXPECT_FALSE(sign_standard_webhooks("whsec_====", "id", 1, "{}"));
}

TEST(OutgoingSignTest, UnpaddedSecretSignsLikeThePaddedOne) {
  // base64("testsecret1") is "dGVzdHNlY3JldDE=".
  EXPECT_EQ(sign_standard_webhooks("whsec_dGVzdHNlY3JldDE", "id", 1, "{}"),
            sign_standard_webhooks("whsec_dGVzdHNlY3JldDE=", "id", 1, "{}"));
}

TEST(OutgoingUrlTest, HttpsWithDefaultPortAndQuery) {
  TargetUrl u = url_of("https://Thumbs.Example.test/hooks/minio?a=1&b=%20x#frag");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "Thumbs.Example.test");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/hooks/minio?a=1&b=%20x");
  EXPECT_EQ(host_header(u), "Thumbs.Example.test");
}

TEST(OutgoingUrlTest, HttpDefaultsAndEmptyPath) {
  TargetUrl u = url_of("http://example.test");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(url_of("http://example.test?q=1").target, "/?q=1");
  EXPECT_EQ(url_of("http://example.test:/p").port, 80);  // empty port: the default
}

TEST(OutgoingUrlTest, ExplicitPortsAndHostHeader) {
  TargetUrl u = url_of("http://127.0.0.1:8080/hook");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(host_header(u), "127.0.0.1:8080");
  EXPECT_EQ(host_header(url_of("https://h.test:443/")), "h.test");
  EXPECT_EQ(host_header(url_of("http://h.test:443/")), "h.test:443");
  EXPECT_EQ(host_header(url_of("https://h.test:80/")), "h.test:80");
}

TEST(OutgoingUrlTest, Ipv6LiteralsHaveNoBracketsExceptInHost) {
  TargetUrl u = url_of("https://[::1]:8443/a%2Fb");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.target, "/a%2Fb");
  EXPECT_EQ(host_header(u), "[::1]:8443");
  TargetUrl d = url_of("http://[2001:db8::7]/");
  EXPECT_EQ(d.host, "2001:db8::7");
  EXPECT_EQ(host_header(d), "[2001:db8::7]");
}

TEST(OutgoingUrlTest, RejectsWhatIsNotAnHttpTarget) {
  for (std::string_view bad :
       {"", "example.test/hook", "ftp://example.test/", "https:///path", "https://u:p@h.test/",
        "https://h.test:0/", "https://h.test:65536/", "https://h.test:99999999999/",
        "https://h .test/", "mailto:a@b.test"}) {
    EXPECT_FALSE(parse_target_url(bad)) << bad;
  }
}

TEST(OutgoingTimeTest, Rfc3339WithMillis) {
  EXPECT_EQ(format_rfc3339_ms(1741598062324), "2025-03-10T09:14:22.324Z");
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(951782400005), "2000-02-29T00:00:00.005Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(OutgoingBodyTest, OriginalWithoutExtraIsTheExactBytes) {
  Event ev = sample_event();
  ev.body = "{ \"b\" : 1.50,\n  \"a\":\"\\u00e9\" }";
  EXPECT_EQ(build_body(ev, BodyMode::original, {}), ev.body);
}

TEST(OutgoingBodyTest, ExtraMergesIntoAnObjectAndWins) {
  Event ev = sample_event();
  ev.body = R"({"a":1,"env":"dev"})";
  json::object extra{{"env", "prod"}, {"team", "media"}};
  json::value got = json::parse(build_body(ev, BodyMode::original, extra));
  EXPECT_EQ(got, json::parse(R"({"a":1,"env":"prod","team":"media"})"));
}

TEST(OutgoingBodyTest, ExtraLeavesANonObjectBodyAlone) {
  Event ev = sample_event();
  ev.body = "[1, 2]";
  json::object extra{{"env", "prod"}};
  EXPECT_EQ(build_body(ev, BodyMode::original, extra), "[1, 2]");
}

TEST(OutgoingBodyTest, CloudEventsEnvelopeCarriesTheOriginalVerbatim) {
  Event ev = sample_event();
  ev.body = "{\"n\": 1.50}";
  std::string body = build_body(ev, BodyMode::cloudevents, {});
  EXPECT_NE(body.find("\"data\":{\"n\": 1.50}"), std::string::npos) << body;
  json::value v = json::parse(body);
  const json::object& o = v.as_object();
  EXPECT_EQ(o.at("specversion"), "1.0");
  EXPECT_EQ(o.at("id"), "01HQ");
  EXPECT_EQ(o.at("source"), "/hookd/sources/minio");
  EXPECT_EQ(o.at("type"), "s3:ObjectCreated:Put");
  EXPECT_EQ(o.at("time"), "2025-03-10T09:14:22.324Z");
  EXPECT_EQ(o.at("datacontenttype"), "application/json");
  EXPECT_EQ(o.at("data"), json::parse("{\"n\": 1.50}"));
}

TEST(OutgoingBodyTest, CloudEventsExtraBecomesTopLevelAttributes) {
  Event ev = sample_event();
  json::object extra{{"env", "prod"}};
  json::value v = json::parse(build_body(ev, BodyMode::cloudevents, extra));
  EXPECT_EQ(v.as_object().at("env"), "prod");
  EXPECT_EQ(v.as_object().at("data"), json::parse(ev.body));
  // Extra wins even over the envelope's own members, data included.
  json::object override{{"data", 7}};
  json::value w = json::parse(build_body(ev, BodyMode::cloudevents, override));
  EXPECT_EQ(w.as_object().at("data"), 7);
}

TEST(OutgoingBodyTest, CloudEventsNonJsonOriginalIsAString) {
  Event ev = sample_event();
  ev.body = "not json";
  ev.content_type = "text/plain";
  json::value v = json::parse(build_body(ev, BodyMode::cloudevents, {}));
  EXPECT_EQ(v.as_object().at("data"), "not json");
  EXPECT_EQ(v.as_object().at("datacontenttype"), "text/plain");
}

TEST(OutgoingBodyTest, StoredEnvelopeAroundDataOfTheFullDepthIsStillJson) {
  // A binary-mode CloudEvent's stored envelope is one level deeper than the
  // data a sender may send (64 levels).
  Event ev = sample_event();
  ev.body = R"({"specversion":"1.0","id":"x","data":)" + std::string(64, '[') +
            std::string(64, ']') + "}";
  json::parse_options deep;
  deep.max_depth = 128;
  json::value v = json::parse(build_body(ev, BodyMode::cloudevents, {}), {}, deep);
  EXPECT_TRUE(v.as_object().at("data").is_object());
  json::object extra{{"env", "prod"}};
  json::value w = json::parse(build_body(ev, BodyMode::original, extra), {}, deep);
  EXPECT_EQ(w.as_object().at("env"), "prod");
}

TEST(OutgoingRequestTest, HeadersInOrderWithOneSignature) {
  SubscriptionConfig sub = sample_sub();
  sub.secrets = {std::string(kSpecSecret)};
  sub.headers = {{"X-Team", "media"}, {"X-Env", "prod"}};
  OutgoingRequest req = build_delivery_request(sample_event(), sample_delivery(), 3, sub,
                                               url_of(sub.url), "hookd/0.1.0", 1700000000);
  EXPECT_EQ(req.target, "/hooks?x=1");
  EXPECT_EQ(req.host_header, "thumbs.example.test");
  EXPECT_EQ(req.body, R"({"Records":[1]})");
  Headers want{{"Content-Type", "application/json"},
               {"User-Agent", "hookd/0.1.0"},
               {"webhook-id", "01HQ.0"},
               {"webhook-timestamp", "1700000000"},
               {"webhook-signature", "v1,nhAtLGdRU3Dmxsmdk8xXP/GMkfxoMCg6dUa6P+AvOas="},
               {"hookd-event-type", "s3:ObjectCreated:Put"},
               {"hookd-source", "minio"},
               {"hookd-attempt", "3"},
               {"Idempotency-Key", "01HQ.0"},
               {"X-Team", "media"},
               {"X-Env", "prod"}};
  EXPECT_EQ(req.headers, want);
}

TEST(OutgoingRequestTest, TwoSecretsSignTwiceSpaceSeparated) {
  SubscriptionConfig sub = sample_sub();
  sub.secrets = {std::string(kSpecSecret), std::string(kSecondSecret)};
  OutgoingRequest req = build_delivery_request(sample_event(), sample_delivery(), 1, sub,
                                               url_of(sub.url), "hookd", 1700000000);
  const std::string* sig = header(req, "webhook-signature");
  ASSERT_TRUE(sig);
  EXPECT_EQ(*sig,
            "v1,nhAtLGdRU3Dmxsmdk8xXP/GMkfxoMCg6dUa6P+AvOas= "
            "v1,RGwluP4PKTidr4uhfTEk6ceMUMp27TliII3l3QqKxX8=");
}

TEST(OutgoingRequestTest, NoSecretNoSignatureHeader) {
  SubscriptionConfig sub = sample_sub();
  OutgoingRequest req = build_delivery_request(sample_event(), sample_delivery(), 1, sub,
                                               url_of(sub.url), "hookd", 1700000000);
  EXPECT_FALSE(header(req, "webhook-signature"));
  EXPECT_EQ(req.headers.size(), 8u);
}

TEST(OutgoingRequestTest, SignatureCoversTheBodyActuallySent) {
  SubscriptionConfig sub = sample_sub();
  sub.secrets = {std::string(kSpecSecret)};
  sub.body = BodyMode::cloudevents;
  sub.extra = json::object{{"env", "prod"}};
  OutgoingRequest req = build_delivery_request(sample_event(), sample_delivery(), 2, sub,
                                               url_of(sub.url), "hookd", 1700000001);
  EXPECT_EQ(*header(req, "Content-Type"), "application/cloudevents+json");
  EXPECT_EQ(*header(req, "webhook-signature"),
            *sign_standard_webhooks(kSpecSecret, "01HQ.0", 1700000001, req.body));
  EXPECT_EQ(json::parse(req.body).as_object().at("env"), "prod");
}

TEST(OutgoingRequestTest, WebhookIdIsStableAcrossAttempts) {
  SubscriptionConfig sub = sample_sub();
  auto first = build_delivery_request(sample_event(), sample_delivery(), 1, sub, url_of(sub.url),
                                      "hookd", 1700000000);
  auto later = build_delivery_request(sample_event(), sample_delivery(), 5, sub, url_of(sub.url),
                                      "hookd", 1700000900);
  EXPECT_EQ(*header(first, "webhook-id"), *header(later, "webhook-id"));
  EXPECT_EQ(*header(first, "Idempotency-Key"), *header(later, "Idempotency-Key"));
  EXPECT_EQ(*header(later, "hookd-attempt"), "5");
  EXPECT_EQ(*header(later, "webhook-timestamp"), "1700000900");
}

TEST(OutgoingRequestTest, BasicAuthComesLast) {
  SubscriptionConfig sub = sample_sub();
  sub.headers = {{"X-Team", "media"}};
  sub.basic_auth = BasicAuth{"alice", "s3cr:et"};
  OutgoingRequest req = build_delivery_request(sample_event(), sample_delivery(), 1, sub,
                                               url_of("http://[::1]:8080/h"), "hookd", 1);
  EXPECT_EQ(req.host_header, "[::1]:8080");
  ASSERT_GE(req.headers.size(), 2u);
  EXPECT_EQ(req.headers[req.headers.size() - 2],
            (std::pair<std::string, std::string>{"X-Team", "media"}));
  EXPECT_EQ(req.headers.back(),
            (std::pair<std::string, std::string>{"Authorization", "Basic YWxpY2U6czNjcjpldA=="}));
}

TEST(OutgoingRequestTest, OriginalKeepsTheSourcesContentType) {
  SubscriptionConfig sub = sample_sub();
  Event ev = sample_event();
  ev.content_type = "application/cloudevents+json";
  OutgoingRequest req =
      build_delivery_request(ev, sample_delivery(), 1, sub, url_of(sub.url), "hookd", 1);
  EXPECT_EQ(*header(req, "Content-Type"), "application/cloudevents+json");
}

}  // namespace
}  // namespace hookd
