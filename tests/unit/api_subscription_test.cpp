// core/config/api_subscription: the admin API's subscriptions read by the
// config file's own reader, with JSON field paths in the messages.
#include "core/config/api_subscription.hpp"
#include "core/delivery/destination_guard.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace hookd {
namespace {

namespace json = boost::json;

Config base_config() {
  Config c;
  c.file = "/etc/hookd/hookd.toml";
  SourceConfig app;
  app.name = "app";
  c.sources.push_back(app);
  c.delivery.deny_destinations = default_denied_destinations();
  return c;
}

ApiSubscriptionCheck read(const std::string& text, const Config& c = base_config()) {
  return read_api_subscription(json::parse(text).as_object(), c);
}

bool has(const ApiSubscriptionCheck& r, const std::string& message) {
  return std::any_of(r.errors.begin(), r.errors.end(),
                     [&](const std::string& e) { return e == message; });
}

TEST(ApiSubscriptionTest, ReadsEveryConfigKeyAndLabels) {
  auto r = read(R"({"name":"s1","url":"https://hooks.example.com/x?t=1","events":["order.*"],
    "sources":["app"],"filter":{"bucket":"b"},"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "headers":{"X-A":"1"},"basic_auth":{"user":"u","password":"p"},"body":"cloudevents",
    "extra":{"k":[1,2,{"z":true}]},"timeout":"5s","retry":{"attempts":3,"base":"1s","cap":"1m"},
    "max_in_flight":4,"enabled":false,"tls":{"ca":"/etc/ssl/ca.pem"},"labels":{"user_id":"1"}})");
  ASSERT_TRUE(r.sub) << (r.errors.empty() ? "" : r.errors[0]);
  const SubscriptionConfig& s = *r.sub;
  EXPECT_EQ(s.origin, SubscriptionOrigin::api);
  EXPECT_EQ(s.name, "s1");
  EXPECT_EQ(s.events, std::vector<std::string>{"order.*"});
  EXPECT_EQ(s.filter.bucket, "b");
  EXPECT_EQ(s.secrets.size(), 1U);
  EXPECT_EQ(s.basic_auth->user, "u");
  EXPECT_EQ(s.body, BodyMode::cloudevents);
  EXPECT_EQ(s.extra.at("k").as_array().size(), 3U);
  EXPECT_EQ(s.timeout, Duration{5000});
  EXPECT_EQ(s.retry.attempts, 3U);
  EXPECT_EQ(s.retry.cap, Duration{60000});
  EXPECT_EQ(s.max_in_flight, 4U);
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.tls->ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(s.labels.at("user_id"), "1");
}

TEST(ApiSubscriptionTest, MessagesNameTheJsonFieldPath) {
  auto r = read(R"({"name":"s","url":"https://x.example/","retry":{"base":"soon"},
    "events":["a.*b"],"sources":["ap"],"headers":{"Host":"h"},"colourful":1})");
  EXPECT_FALSE(r.sub);
  EXPECT_TRUE(has(r, R"(retry.base: invalid duration "soon"; use a number with ms, s, m, h or d, e.g. "10s" or "1h30m")"))
      << r.errors[0];
  EXPECT_TRUE(has(r, "sources[0]: unknown source \"ap\"; did you mean 'app'?"));
  EXPECT_TRUE(has(r, "headers.\"Host\": hookd sets this header itself"));
  EXPECT_TRUE(has(r, "unknown key 'colourful'"));
  EXPECT_TRUE(std::any_of(r.errors.begin(), r.errors.end(),
                          [](const std::string& e) { return e.starts_with("events[0]: "); }));
}

TEST(ApiSubscriptionTest, SecretReferencesAndClientCertificatesAreTheConfigFilesOnly) {
  auto r = read(R"({"name":"s","url":"https://x.example/","secret":"file:/etc/shadow",
    "headers":{"X-K":"env:HOME"},"basic_auth":{"user":"u","password":"file:/etc/passwd"},
    "tls":{"cert":"/c","key":"/k"}})");
  EXPECT_FALSE(r.sub);
  const std::string ref = ": \"env:\" and \"file:\" references are read only from the config file";
  EXPECT_TRUE(has(r, "secret" + ref));
  EXPECT_TRUE(has(r, "headers.\"X-K\"" + ref));
  EXPECT_TRUE(has(r, "basic_auth.password" + ref));
  EXPECT_TRUE(has(r, "tls.cert: client certificates are set only in the config file"));
}

TEST(ApiSubscriptionTest, IpLiteralDestinationsAreGuarded) {
  for (const char* url : {"http://127.0.0.1/", "http://10.1.2.3:8080/", "http://169.254.169.254/",
                          "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/",
                          "http://100.64.0.1/", "http://0.0.0.0/"}) {
    auto r = read(std::string(R"({"name":"s","url":")") + url + "\"}");
    EXPECT_FALSE(r.sub) << url;
    ASSERT_FALSE(r.errors.empty()) << url;
    EXPECT_TRUE(r.errors[0].starts_with("url: destination not allowed: ")) << r.errors[0];
  }
  EXPECT_TRUE(read(R"({"name":"s","url":"http://93.184.216.34/"})").sub);
  // The operator opens a range; the deny list still wins.
  Config c = base_config();
  c.admin.allow_destinations = {*parse_cidr("10.20.0.0/16"), *parse_cidr("169.254.0.0/16")};
  EXPECT_TRUE(read(R"({"name":"s","url":"http://10.20.1.1/"})", c).sub);
  EXPECT_FALSE(read(R"({"name":"s","url":"http://10.21.1.1/"})", c).sub);
  EXPECT_FALSE(read(R"({"name":"s","url":"http://169.254.169.254/"})", c).sub);
}

TEST(ApiSubscriptionTest, LabelsAreBounded) {
  EXPECT_FALSE(read(R"({"name":"s","url":"https://x.example/","labels":{"k":1}})").sub);
  EXPECT_FALSE(read(R"({"name":"s","url":"https://x.example/","labels":{"bad key":"v"}})").sub);
  EXPECT_FALSE(read(R"({"name":"s","url":"https://x.example/","labels":{"k":"a\nb"}})").sub);
  std::string many = R"({"name":"s","url":"https://x.example/","labels":{)";
  for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  EXPECT_FALSE(read(many + "}}").sub);
}

TEST(ApiSubscriptionTest, SecretsAreBounded) {
  std::string list;
  for (std::size_t i = 0; i <= kMaxApiSecrets; ++i)
    list += std::string(i ? "," : "") + "\"" + generate_whsec() + "\"";
  auto r = read(R"({"name":"s","url":"https://x.example/","secret":[)" + list + "]}");
  EXPECT_FALSE(r.sub);
  EXPECT_TRUE(has(r, "secret: at most 8 secrets"));
}

TEST(ApiSubscriptionTest, GivenSecretsReplaceTheSpecs) {
  std::vector<std::string> kept{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  auto r = read_api_subscription(
      json::parse(R"({"name":"s","url":"https://x.example/","secret":"bad"})").as_object(),
      base_config(), &kept);
  ASSERT_TRUE(r.sub);
  EXPECT_EQ(r.sub->secrets, kept);
}

TEST(ApiSubscriptionTest, MergePatchReplacesMergesAndRemoves) {
  json::object target = json::parse(R"({"a":1,"h":{"x":"1","y":"2"},"l":[1]})").as_object();
  merge_patch(target, json::parse(R"({"a":null,"h":{"y":null,"z":"3"},"l":[2],"n":"new"})").as_object());
  EXPECT_EQ(json::value(target), json::parse(R"({"h":{"x":"1","z":"3"},"l":[2],"n":"new"})"));
}

TEST(ApiSubscriptionTest, GeneratedSecretsAndNamesAreValidAndFresh) {
  std::string a = generate_whsec(), b = generate_whsec();
  EXPECT_NE(a, b);
  auto r = read(R"({"name":"s","url":"https://x.example/","secret":")" + a + "\"}");
  EXPECT_TRUE(r.sub);
  std::string n = generate_subscription_name();
  EXPECT_TRUE(check_subscription_name(n).empty()) << n;
  EXPECT_NE(n, generate_subscription_name());
}

}  // namespace
}  // namespace hookd
