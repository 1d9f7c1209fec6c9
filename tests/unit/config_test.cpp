// Loading and validating the config file (core/config*.cpp, SPEC section 2).
// Secrets are covered in config_secrets_test.cpp, value forms (durations,
// sizes, CIDRs, listen addresses) in config_values_test.cpp.

#include "core/config/config.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "tests/unit/config_test_support.hpp"

#ifndef HOOKD_SOURCE_DIR
#error "HOOKD_SOURCE_DIR must name the project root"
#endif

namespace hookd {
namespace {

using namespace config_test;

TEST(ConfigTest, FullConfigLoadsEveryKey) {
  TempDir dir;
  dir.write("admin.token", "admin-token\n");
  dir.write("thumbs.secret", std::string(kSecret) + "\n");
  ScopedEnv creds("CREDENTIALS_DIRECTORY", std::nullopt);
  ScopedEnv token("HOOKD_TEST_MINIO_TOKEN", "minio-token");
  ScopedEnv password("HOOKD_TEST_PASSWORD", "pa55");
  std::string path = dir.write("hookd.toml", R"toml([server]
listen = ["127.0.0.1:0", "[::1]:8081"]
tls = { cert = "/etc/hookd/cert.pem", key = "/etc/hookd/key.pem" }
max_body = "2MiB"
read_timeout = "15s"
idle_timeout = "90s"
[admin]
listen = "127.0.0.1:9091"
token = "file:admin.token"
[storage]
path = "/tmp/hookd-data"
sync = "none"
dedup_window = "12h"
retention = "3d"
max_write_queue = 1000
[delivery]
max_in_flight = 100
connections_per_origin = 4
user_agent = "hookd-test/1"
[[source]]
name = "minio"
format = "minio"
token = "env:HOOKD_TEST_MINIO_TOKEN"
allow_from = ["10.0.0.0/8", "::1"]
[[source]]
name = "catalog"
format = "opteryx"
[[source]]
name = "app"
format = "generic"
type_pointer = "/type"
id_pointer = "/meta/id"
[[subscription]]
name = "thumbnails"
url = "https://thumbs.example.internal/hooks/minio?x=1"
events = ["s3:ObjectCreated:*", "dataset.create"]
sources = ["minio", "catalog"]
filter = { bucket = "photos", prefix = "uploads/", suffix = ".jpg", workspace = "w", collection = "c", resource_type = "dataset" }
secret = ["file:thumbs.secret", "whsec_c2Vjb25kIHNlY3JldA=="]
headers = { "X-Team" = "media", "X-Key" = "env:HOOKD_TEST_PASSWORD" }
basic_auth = { user = "hookd", password = "env:HOOKD_TEST_PASSWORD" }
body = "cloudevents"
extra = { env = "prod", n = 3, ratio = 0.5, on = true, tags = ["a", 1], nested = { k = "v" }, day = 2024-05-01 }
timeout = "3s"
retry = { attempts = 4, base = "250ms", cap = "1m" }
max_in_flight = 2
enabled = false
tls = { ca = "/etc/ca.pem", cert = "/etc/c.pem", key = "/etc/k.pem" }
[[subscription]]
name = "everything"
url = "http://127.0.0.1:9901/"
)toml");
  ConfigLoad l = load_config(path);
  ASSERT_TRUE(l.errors.empty()) << all_errors(l);
  ASSERT_TRUE(l.config);
  const Config& c = *l.config;
  EXPECT_EQ(c.file, path);
  ASSERT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.listen[0].to_string(), "127.0.0.1:0");
  EXPECT_EQ(c.server.listen[1].to_string(), "[::1]:8081");
  ASSERT_TRUE(c.server.tls);
  EXPECT_EQ(c.server.tls->cert_file, "/etc/hookd/cert.pem");
  EXPECT_EQ(c.server.tls->key_file, "/etc/hookd/key.pem");
  EXPECT_EQ(c.server.max_body, 2u << 20);
  EXPECT_EQ(c.server.read_timeout, Duration(15'000));
  EXPECT_EQ(c.server.idle_timeout, Duration(90'000));
  EXPECT_EQ(c.admin.listen->to_string(), "127.0.0.1:9091");
  EXPECT_EQ(c.admin.token, "admin-token");
  EXPECT_EQ(c.storage.path, "/tmp/hookd-data");
  EXPECT_EQ(c.storage.sync, SyncMode::none);
  EXPECT_EQ(c.storage.dedup_window, Duration(12 * 3600'000));
  EXPECT_EQ(c.storage.retention, Duration(3 * 24 * 3600'000));
  EXPECT_EQ(c.storage.max_write_queue, 1000u);
  EXPECT_EQ(c.delivery.max_in_flight, 100u);
  EXPECT_EQ(c.delivery.connections_per_origin, 4u);
  EXPECT_EQ(c.delivery.user_agent, "hookd-test/1");

  ASSERT_EQ(c.sources.size(), 3u);
  const SourceConfig& minio = c.sources[0];
  EXPECT_EQ(minio.name, "minio");
  EXPECT_EQ(minio.format, Format::minio);
  EXPECT_EQ(minio.token, "minio-token");
  ASSERT_EQ(minio.allow_from.size(), 2u);
  EXPECT_EQ(minio.allow_from[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(minio.allow_from[1].to_string(), "::1/128");
  EXPECT_EQ(minio.line, 20);
  EXPECT_EQ(c.sources[1].format, Format::opteryx);
  EXPECT_TRUE(c.sources[1].token.empty());
  EXPECT_TRUE(c.sources[1].allow_from.empty());
  EXPECT_EQ(c.sources[2].type_pointer, "/type");
  EXPECT_EQ(c.sources[2].id_pointer, "/meta/id");
  EXPECT_EQ(c.find_source("catalog"), &c.sources[1]);
  EXPECT_EQ(c.find_source("nope"), nullptr);

  ASSERT_EQ(c.subscriptions.size(), 2u);
  const SubscriptionConfig& s = c.subscriptions[0];
  EXPECT_EQ(s.name, "thumbnails");
  EXPECT_EQ(s.line, 33);
  EXPECT_EQ(s.url, "https://thumbs.example.internal/hooks/minio?x=1");
  EXPECT_EQ(s.events,
            (std::vector<std::string>{"s3:ObjectCreated:*", "dataset.create"}));
  EXPECT_EQ(s.sources, (std::vector<std::string>{"minio", "catalog"}));
  EXPECT_EQ(s.filter.bucket, "photos");
  EXPECT_EQ(s.filter.prefix, "uploads/");
  EXPECT_EQ(s.filter.suffix, ".jpg");
  EXPECT_EQ(s.filter.workspace, "w");
  EXPECT_EQ(s.filter.collection, "c");
  EXPECT_EQ(s.filter.resource_type, "dataset");
  EXPECT_EQ(s.secrets, (std::vector<std::string>{kSecret, kSecret2}));
  ASSERT_EQ(s.headers.size(), 2u);
  // toml++ keeps a table's keys sorted, so headers come in name order.
  EXPECT_EQ(s.headers[0],
            std::make_pair(std::string("X-Key"), std::string("pa55")));
  EXPECT_EQ(s.headers[1],
            std::make_pair(std::string("X-Team"), std::string("media")));
  ASSERT_TRUE(s.basic_auth);
  EXPECT_EQ(s.basic_auth->user, "hookd");
  EXPECT_EQ(s.basic_auth->password, "pa55");
  EXPECT_EQ(s.body, BodyMode::cloudevents);
  EXPECT_EQ(boost::json::serialize(s.extra),
            R"({"day":"2024-05-01","env":"prod","n":3,"nested":{"k":"v"},)"
            R"("on":true,"ratio":5E-1,"tags":["a",1]})");
  EXPECT_EQ(s.timeout, Duration(3000));
  EXPECT_EQ(s.retry.attempts, 4u);
  EXPECT_EQ(s.retry.base, Duration(250));
  EXPECT_EQ(s.retry.cap, Duration(60'000));
  EXPECT_EQ(s.max_in_flight, 2u);
  EXPECT_FALSE(s.enabled);
  ASSERT_TRUE(s.tls);
  EXPECT_EQ(s.tls->ca_file, "/etc/ca.pem");
  EXPECT_EQ(s.tls->cert_file, "/etc/c.pem");
  EXPECT_EQ(s.tls->key_file, "/etc/k.pem");
  const SubscriptionConfig& all = c.subscriptions[1];
  EXPECT_TRUE(all.events.empty());
  EXPECT_TRUE(all.sources.empty());
  EXPECT_TRUE(all.secrets.empty());
  EXPECT_TRUE(all.enabled);
  EXPECT_EQ(all.body, BodyMode::original);
}

TEST(ConfigTest, MinimalConfigTakesDefaults) {
  ConfigLoad l = load(kServer);
  ASSERT_TRUE(l.config) << all_errors(l);
  const Config& c = *l.config;
  EXPECT_FALSE(c.server.tls);
  EXPECT_EQ(c.server.max_body, 1u << 20);
  EXPECT_FALSE(c.admin.listen);
  EXPECT_TRUE(c.admin.token.empty());
  EXPECT_EQ(c.storage.path, "/var/lib/hookd");
  EXPECT_EQ(c.storage.sync, SyncMode::group);
  EXPECT_EQ(c.delivery.user_agent.rfind("hookd/", 0), 0u);
  EXPECT_GT(c.delivery.user_agent.size(), 6u);
  EXPECT_TRUE(c.sources.empty());
  EXPECT_TRUE(c.subscriptions.empty());
}

TEST(ConfigTest, UnknownKeySuggestsClosest) {
  ConfigLoad l = load(R"toml(sever = 1
[server]
listne = ["127.0.0.1:0"]
frobnicate = true
[[subscription]]
name = "a"
url = "http://h/"
retry = { atempts = 3 }
)toml");
  EXPECT_FALSE(l.config);
  EXPECT_TRUE(has_error(l, 1, "unknown key 'sever'; did you mean 'server'?"));
  EXPECT_TRUE(
      has_error(l, 3, "server: unknown key 'listne'; did you mean 'listen'?"));
  EXPECT_TRUE(has_error(l, 4, "server: unknown key 'frobnicate'"));
  EXPECT_TRUE(has_error(l, 8,
                        "subscription \"a\".retry: unknown key 'atempts'; "
                        "did you mean 'attempts'?"));
  for (const ConfigError& e : l.errors) {
    if (e.line == 4) {
      EXPECT_EQ(e.message.find("did you mean"), std::string::npos);
    }
  }
}

TEST(ConfigTest, WrongTypesAreReportedAtTheirLines) {
  ConfigLoad l = load(R"toml([server]
listen = "127.0.0.1:0"
max_body = 1024
[storage]
max_write_queue = "many"
[[subscription]]
name = "a"
url = "http://h/"
enabled = "yes"
events = ["x", 3]
headers = { "X-N" = 1 }
secret = 42
)toml");
  EXPECT_TRUE(has_error(
      l, 2, "server.listen: expected an array of strings, got string"));
  EXPECT_TRUE(
      has_error(l, 3, "server.max_body: expected a string, got integer"));
  EXPECT_TRUE(has_error(
      l, 5, "storage.max_write_queue: expected an integer, got string"));
  EXPECT_TRUE(
      has_error(l, 9, "subscription \"a\".enabled: expected a boolean"));
  EXPECT_TRUE(has_error(
      l, 10, "subscription \"a\".events[1]: expected a string, got integer"));
  EXPECT_TRUE(has_error(
      l, 11, "subscription \"a\".headers.\"X-N\": expected a string"));
  EXPECT_TRUE(has_error(
      l, 12, "subscription \"a\".secret: expected a string or an array"));
}

TEST(ConfigTest, CollectsEveryErrorInLineOrder) {
  ConfigLoad l = load(R"toml([server]
listen = ["127.0.0.1:0"]
read_timeout = "10"
[storage]
sync = "always"
[delivery]
connections_per_origin = 0
[[subscription]]
name = "a"
url = "ftp://h/"
events = ["s3::Put"]
)toml");
  EXPECT_FALSE(l.config);
  ASSERT_EQ(l.errors.size(), 5u) << all_errors(l);
  EXPECT_EQ(l.errors[0].to_string(),
            "test.toml:3: server.read_timeout: invalid duration \"10\"; use a "
            "number with ms, s, m, h or d, e.g. \"10s\" or \"1h30m\"");
  EXPECT_TRUE(has_error(l, 5, "storage.sync: unknown mode \"always\""));
  EXPECT_TRUE(has_error(
      l, 7, "delivery.connections_per_origin: must be between 1 and"));
  EXPECT_TRUE(
      has_error(l, 10, "subscription \"a\".url: https or http URL required"));
  EXPECT_TRUE(has_error(
      l, 11, "subscription \"a\".events[0]: \"s3::Put\" has an empty segment"));
}

TEST(ConfigTest, TomlSyntaxErrorReportsItsLine) {
  ConfigLoad l = load("[server]\nlisten = [\"127.0.0.1:0\"]\nmax_body = \n");
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].line, 3);
  EXPECT_EQ(l.errors[0].message.rfind("invalid TOML: ", 0), 0u);
}

TEST(ConfigTest, MissingFileIsOneErrorWithoutLine) {
  ConfigLoad l = load_config("/nonexistent/hookd.toml");
  EXPECT_FALSE(l.config);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].line, 0);
  EXPECT_EQ(l.errors[0].to_string(),
            "/nonexistent/hookd.toml: cannot read config file: No such file or "
            "directory");
}

TEST(ConfigTest, ServerListenIsRequired) {
  EXPECT_TRUE(has_error(load("[storage]\npath = \"x\"\n"), 0,
                        "server.listen: required"));
  EXPECT_TRUE(has_error(load("[server]\nlisten = []\n"), 2,
                        "server.listen: at least one address required"));
  ConfigLoad l = load(
      "[server]\nlisten = [\"127.0.0.1:80\", \"localhost:80\", "
      "\"127.0.0.1:80\"]\n");
  EXPECT_TRUE(
      has_error(l, 2, "server.listen[1]: invalid address \"localhost:80\""));
  EXPECT_TRUE(has_error(l, 2, "server.listen[2]: listed twice"));
  EXPECT_TRUE(has_error(
      load(std::string(kServer) + "[admin]\nlisten = \"127.0.0.1\"\n"), 4,
      "admin.listen: invalid address"));
  EXPECT_TRUE(
      has_error(load("[server]\nlisten = [\"127.0.0.1:80\"]\n[admin]\nlisten = "
                     "\"127.0.0.1:80\"\n"),
                4, "admin.listen: already used by server.listen"));
  EXPECT_TRUE(has_error(load(std::string(kServer) + "[storage]\npath = \"\"\n"),
                        4, "storage.path: must not be empty"));
}

TEST(ConfigTest, DuplicateNamesAreErrors) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[source]]
name = "minio"
[[source]]
name = "minio"
[[subscription]]
name = "s"
url = "http://h/"
[[subscription]]
name = "s"
url = "http://h/"
)toml");
  EXPECT_TRUE(has_error(
      l, 6, "source \"minio\": duplicate name; first defined on line 3"));
  EXPECT_TRUE(has_error(
      l, 11, "subscription \"s\": duplicate name; first defined on line 7"));
}

TEST(ConfigTest, NamesAreRequiredAndUrlSafe) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[source]]
format = "minio"
[[source]]
name = "my source"
[[subscription]]
url = "http://h/"
)toml");
  EXPECT_TRUE(has_error(l, 3, "source[0].name: required"));
  EXPECT_TRUE(has_error(l, 6, "source[1].name: must be 1 to 64 characters"));
  EXPECT_TRUE(has_error(l, 7, "subscription[0].name: required"));
}

TEST(ConfigTest, SubscriptionSourcesMustExist) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[source]]
name = "minio"
[[subscription]]
name = "s"
url = "http://h/"
sources = ["minio",
  "mino", "elsewhere"]
)toml");
  EXPECT_TRUE(
      has_error(l, 9,
                "subscription \"s\".sources[1]: unknown source \"mino\"; "
                "did you mean 'minio'?"));
  EXPECT_TRUE(has_error(
      l, 9, "subscription \"s\".sources[2]: unknown source \"elsewhere\""));
  EXPECT_EQ(l.errors.size(), 2u) << all_errors(l);
}

TEST(ConfigTest, UrlMustBeHttpOrHttpsWithHostAndNoCredentials) {
  auto url_error = [](const std::string& url) {
    ConfigLoad l =
        load(std::string(kServer) + "[[subscription]]\nname = \"s\"\nurl = \"" +
             url + "\"\n");
    EXPECT_EQ(l.errors.size(), 1u) << url << "\n" << all_errors(l);
    return l.errors.empty() ? std::string() : l.errors[0].to_string();
  };
  EXPECT_EQ(url_error("ftp://h/x"),
            "test.toml:5: subscription \"s\".url: https or http URL required");
  EXPECT_EQ(url_error("not a url"),
            "test.toml:5: subscription \"s\".url: https or http URL required "
            "(not a valid URL)");
  EXPECT_EQ(url_error("https:///path"),
            "test.toml:5: subscription \"s\".url: the URL has no host");
  EXPECT_EQ(
      url_error("https://h:99999/"),
      "test.toml:5: subscription \"s\".url: the URL's port must be 1 to 65535");
  EXPECT_EQ(
      url_error("https://h/#x"),
      "test.toml:5: subscription \"s\".url: the URL must not have a fragment");
  std::string creds = url_error("https://user:hunter2@h/x");
  EXPECT_NE(creds.find("use basic_auth"), std::string::npos);
  EXPECT_EQ(creds.find("hunter2"), std::string::npos);
  EXPECT_TRUE(
      has_error(load(std::string(kServer) + "[[subscription]]\nname = \"s\"\n"),
                3, "subscription \"s\".url: required"));
}

TEST(ConfigTest, EventPatternsNeedNonEmptyWholeSegments) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[subscription]]
name = "s"
url = "http://h/"
events = ["", "s3::Put", "dataset.", "s3:Object*", ":x", "*", "*.create", "s3:ObjectCreated:*"]
)toml");
  EXPECT_TRUE(has_error(l, 6, "events[0]: must not be empty"));
  EXPECT_TRUE(has_error(l, 6, "events[1]: \"s3::Put\" has an empty segment"));
  EXPECT_TRUE(has_error(l, 6, "events[2]: \"dataset.\" has an empty segment"));
  EXPECT_TRUE(has_error(
      l, 6, "events[3]: \"s3:Object*\": '*' must be a whole segment"));
  EXPECT_TRUE(has_error(l, 6, "events[4]: \":x\" has an empty segment"));
  EXPECT_EQ(l.errors.size(), 5u) << all_errors(l);
}

TEST(ConfigTest, PointersOnlyForGenericSourcesAndMustBeJsonPointers) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[source]]
name = "m"
format = "minio"
type_pointer = "/type"
[[source]]
name = "g"
type_pointer = "type"
id_pointer = "/a~2b"
[[source]]
name = "ok"
format = "generic"
type_pointer = ""
id_pointer = "/a~1b/~0c"
[[source]]
name = "x"
format = "webhook"
)toml");
  EXPECT_TRUE(has_error(
      l, 6, "source \"m\".type_pointer: only valid for format \"generic\""));
  EXPECT_TRUE(has_error(l, 9, "source \"g\".type_pointer: not a JSON pointer"));
  EXPECT_TRUE(has_error(l, 10, "source \"g\".id_pointer: not a JSON pointer"));
  EXPECT_TRUE(
      has_error(l, 18, "source \"x\".format: unknown format \"webhook\""));
  EXPECT_EQ(l.errors.size(), 4u) << all_errors(l);
}

TEST(ConfigTest, TlsNeedsCertAndKeyTogether) {
  ConfigLoad l = load(R"toml([server]
listen = ["127.0.0.1:0"]
tls = { cert = "/c.pem" }
[[subscription]]
name = "a"
url = "https://h/"
tls = { key = "/k.pem" }
[[subscription]]
name = "b"
url = "http://h/"
tls = { ca = "/ca.pem" }
)toml");
  EXPECT_TRUE(
      has_error(l, 3, "server.tls: cert and key must be given together"));
  EXPECT_TRUE(has_error(
      l, 7, "subscription \"a\".tls: cert and key must be given together"));
  EXPECT_TRUE(has_error(
      l, 11, "subscription \"b\".tls: tls applies only to https URLs"));
  EXPECT_EQ(l.errors.size(), 3u) << all_errors(l);
}

TEST(ConfigTest, BodyAndSubscriptionShapesAreChecked) {
  ConfigLoad l = load(R"toml(source = { name = "x" }
[server]
listen = ["127.0.0.1:0"]
[[subscription]]
name = "a"
url = "http://h/"
body = "raw"
filter = { bucket = "", bukcet = "b" }
extra = { bad = nan }
)toml");
  EXPECT_TRUE(has_error(l, 1, "source: expected [[source]] tables, got table"));
  EXPECT_TRUE(has_error(l, 7, "subscription \"a\".body: unknown body \"raw\""));
  EXPECT_TRUE(
      has_error(l, 8, "subscription \"a\".filter.bucket: must not be empty"));
  EXPECT_TRUE(has_error(l, 8, "unknown key 'bukcet'; did you mean 'bucket'?"));
  EXPECT_TRUE(
      has_error(l, 9, "subscription \"a\".extra.bad: NaN and infinity"));
}

TEST(ConfigTest, HeadersRejectReservedInvalidAndConflictingNames) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[subscription]]
name = "a"
url = "http://h/"
headers = { "Content-Type" = "text/plain", "Bad Name" = "x", "webhook-signature" = "v1,x", "Authorization" = "Bearer t" }
basic_auth = { user = "u:v", password = "p" }
)toml");
  EXPECT_TRUE(has_error(
      l, 6, "headers.\"Content-Type\": hookd sets this header itself"));
  EXPECT_TRUE(has_error(l, 6, "headers.\"Bad Name\": not a valid header name"));
  EXPECT_TRUE(has_error(
      l, 6, "headers.\"webhook-signature\": hookd sets this header itself"));
  EXPECT_TRUE(has_error(l, 7, "basic_auth.user: must not contain ':'"));
  ConfigLoad conflict = load(std::string(kServer) + R"toml([[subscription]]
name = "a"
url = "http://h/"
headers = { "authorization" = "Bearer t" }
basic_auth = { user = "u", password = "p" }
)toml");
  EXPECT_TRUE(has_error(conflict, 7,
                        "basic_auth: conflicts with the Authorization header"));
  EXPECT_TRUE(
      has_error(load(std::string(kServer) +
                     "[[subscription]]\nname = \"a\"\n"
                     "url = \"http://h/\"\nbasic_auth = { user = \"u\" }\n"),
                6, "basic_auth.password: required"));
}

TEST(ConfigTest, ConfigErrorPrintsFileAndLine) {
  EXPECT_EQ(
      (ConfigError{"hookd.toml", 42, "subscription[2].url: bad"}).to_string(),
      "hookd.toml:42: subscription[2].url: bad");
  EXPECT_EQ(
      (ConfigError{"hookd.toml", 0, "server.listen: required"}).to_string(),
      "hookd.toml: server.listen: required");
}

TEST(ConfigTest, ShippedConfigsLoad) {
  const std::string root = HOOKD_SOURCE_DIR;
  ConfigLoad dev = load_config(root + "/config/hookd.toml");
  ASSERT_TRUE(dev.config) << all_errors(dev);
  EXPECT_EQ(dev.config->server.listen.size(), 2u);
  EXPECT_EQ(dev.config->sources.size(), 2u);
  EXPECT_EQ(dev.config->subscriptions.size(), 2u);
  EXPECT_TRUE(dev.config->admin.token.empty());

  {
    ScopedEnv admin("HOOKD_ADMIN_TOKEN", "admin");
    ScopedEnv minio("HOOKD_MINIO_TOKEN", "minio");
    ScopedEnv thumbs("HOOKD_THUMBNAILS_SECRET", kSecret);
    ScopedEnv audit("HOOKD_AUDIT_PASSWORD", "audit");
    ConfigLoad m = load_config(root + "/config/minio.toml");
    ASSERT_TRUE(m.config) << all_errors(m);
    EXPECT_EQ(m.config->sources[0].token, "minio");
    EXPECT_EQ(m.config->subscriptions[0].secrets,
              std::vector<std::string>{kSecret});
  }
  TempDir creds_dir;
  creds_dir.write("admin.token", "admin\n");
  ScopedEnv creds("CREDENTIALS_DIRECTORY", creds_dir.path().string());
  ConfigLoad o = load_config(root + "/config/opteryx.toml");
  ASSERT_TRUE(o.config) << all_errors(o);
  EXPECT_TRUE(o.config->server.tls);
  EXPECT_EQ(o.config->admin.token, "admin");
}

}  // namespace
}  // namespace hookd

namespace hookd::config_test {

TEST(ConfigTest, DenyDestinationsDefaultToLinkLocalAndAreReplacedByTheConfig) {
  ConfigLoad d = load(kServer);
  ASSERT_TRUE(d.config) << all_errors(d);
  std::vector<std::string> ranges;
  for (const auto& c : d.config->delivery.deny_destinations) ranges.push_back(c.to_string());
  EXPECT_EQ(ranges, (std::vector<std::string>{"169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"}));

  ConfigLoad l = load(std::string(kServer) +
                      "[delivery]\ndeny_destinations = [\"127.0.0.0/8\", \"10.0.0.0/8\"]\n");
  ASSERT_TRUE(l.config) << all_errors(l);
  ASSERT_EQ(l.config->delivery.deny_destinations.size(), 2u);
  EXPECT_EQ(l.config->delivery.deny_destinations[0].to_string(), "127.0.0.0/8");

  ConfigLoad none = load(std::string(kServer) + "[delivery]\ndeny_destinations = []\n");
  ASSERT_TRUE(none.config) << all_errors(none);
  EXPECT_TRUE(none.config->delivery.deny_destinations.empty()) << "the operator may clear it";
}

TEST(ConfigTest, InvalidDenyDestinationIsNamedByItsIndex) {
  ConfigLoad l = load(std::string(kServer) +
                      "[delivery]\ndeny_destinations = [\"10.0.0.0/8\", \"metadata\"]\n");
  EXPECT_FALSE(l.config);
  EXPECT_TRUE(has_error(l, 4, "delivery.deny_destinations[1]: invalid CIDR \"metadata\""));
}

}  // namespace hookd::config_test
