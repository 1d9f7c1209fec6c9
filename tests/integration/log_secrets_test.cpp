// No token, secret or Authorization value ever reaches the log (STYLE.md
// "Logging"): the daemon runs at debug level with secrets inline, from the
// environment and from files, is sent right and wrong credentials, delivers
// through retries, is reloaded with an invalid config full of secrets, and
// the whole log (and --check-config's output) is searched for them.
#include "tests/integration/delivery_fixture.hpp"

#include <signal.h>

#include <thread>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

// Every secret value below contains "SeCrEt", which nothing else in the
// config, the requests or the paths does, so any fragment of one is caught.
constexpr const char* kMarker = "SeCrEt";
constexpr const char* kSourceToken = "src-SeCrEt-token-1111";
constexpr const char* kEnvToken = "env-SeCrEt-token-2222";
constexpr const char* kAdminToken = "admin-SeCrEt-3333";
constexpr const char* kSigningSecret = "whsec_SeCrEtSubscriptionKey0SeCrEt1234";
constexpr const char* kPassword = "basic-SeCrEt-pass-4444";
constexpr const char* kHeaderValue = "hdr-SeCrEt-5555";
constexpr const char* kQueryToken = "query-SeCrEt-6666";
constexpr const char* kWrongToken = "wrong-SeCrEt-7777";

class LogSecretsTest : public DaemonTest {
 protected:
  std::string config(const SinkServer& sink, const std::string& extra_sub = "") {
    write_file(dir_.file("signing.key"), std::string(kSigningSecret) + "\n");
    write_file(dir_.file("admin.token"), std::string(kAdminToken) + "\n");
    return R"([server]
listen = ["127.0.0.1:0"]
[admin]
token = "file:admin.token"
[storage]
path = ")" +
           db_path() + R"("

[[source]]
name = "minio"
format = "minio"
token = ")" +
           kSourceToken + R"("

[[source]]
name = "app"
format = "generic"
id_pointer = "/id"
token = "env:HOOKD_TEST_APP_TOKEN"

[[subscription]]
name = "s"
url = ")" + http_url(sink, std::string("/hook?sig=") + kQueryToken) +
           R"("
sources = ["minio", "app"]
secret = "file:signing.key"
headers = { "X-Api-Key" = ")" +
           kHeaderValue + R"(" }
basic_auth = { user = "hookd", password = "env:HOOKD_TEST_PASSWORD" }
retry = { attempts = 3, base = "50ms", cap = "100ms" }
)" + extra_sub;
  }
  // Every line of `text` that contains a secret marker.
  static std::string leaks(const std::string& text) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      if (line.find(kMarker) != std::string::npos) out += line + "\n";
      start = end + 1;
    }
    return out;
  }
};

TEST_F(LogSecretsTest, NoSecretEverAppearsInTheLog) {
  SinkServer sink;
  sink.push(SinkAction::reply(500, {}, "no"));
  sink.push(SinkAction::drop());
  std::vector<std::string> env = {std::string("HOOKD_TEST_APP_TOKEN=") + kEnvToken,
                                  std::string("HOOKD_TEST_PASSWORD=") + kPassword};
  write_file(dir_.file("hookd.toml"), config(sink));
  ASSERT_TRUE(
      daemon_.start(dir_.file("hookd.toml"), dir_.file("hookd.log"), {"--log-level", "debug"}, env))
      << daemon_.error();

  HttpClient c(daemon_.port());
  const std::string minio = test_data("minio/01-put-small.json");
  const std::string bearer = std::string("Bearer ") + kSourceToken;
  auto ok = c.post("/event", minio, {{"Authorization", bearer}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto app = c.post("/event/app", R"({"id":"a1"})",
                    {{"Authorization", std::string("Bearer ") + kEnvToken}});
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 200) << app->body;
  // Wrong credentials, in every form a sender might use.
  for (const std::string& auth :
       {std::string("Bearer ") + kWrongToken, std::string(kWrongToken),
        std::string("Basic ") + kWrongToken, bearer + "x", std::string("Bearer ") + kEnvToken}) {
    HttpClient w(daemon_.port());
    auto r = w.post("/event/minio", minio, {{"Authorization", auth}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << auth;
  }
  HttpClient q(daemon_.port());
  auto with_query = q.post(std::string("/event/minio?token=") + kQueryToken, minio,
                           {{"Authorization", std::string("Bearer ") + kWrongToken}});
  ASSERT_TRUE(with_query);
  EXPECT_NE(with_query->status, 200);
  HttpClient u(daemon_.port());
  // (A path names a source, not a credential: an unknown name is logged.)
  auto unknown = u.post("/event/nosuchsource", minio, {{"Authorization", bearer}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  // Delivery: a 500, a dropped connection, then success (signed, basic auth).
  ASSERT_TRUE(sink.wait_for_requests(4, 10s));
  EXPECT_EQ(sink.requests().at(0).header("x-api-key"), kHeaderValue);

  // A reload rejected for errors next to secret values, then a valid one.
  std::string bad = config(sink, std::string(R"(
[[subscription]]
name = "broken"
url = "ftp://127.0.0.1/?key=)") + kQueryToken +
                                     R"("
secret = "not-a-whsec-)" + kMarker + R"("
basic_auth = { user = "u", password = 42 }
tokn = ")" + kWrongToken + R"("
headers = { "X-Key" = 5 }
)");
  write_file(dir_.file("hookd.toml"), bad);
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (daemon_.log().find("config.reload_rejected") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_NE(daemon_.log().find("config.reload_rejected"), std::string::npos) << daemon_.log();
  auto checked = run_command({"/usr/bin/env", std::string("HOOKD_TEST_APP_TOKEN=") + kEnvToken,
                              std::string("HOOKD_TEST_PASSWORD=") + kPassword, HOOKD_BINARY,
                              "--check-config", "--config", dir_.file("hookd.toml")});
  EXPECT_EQ(checked.exit_code, 78) << checked.output;
  EXPECT_EQ(leaks(checked.output), "") << "--check-config printed a secret";
  write_file(dir_.file("hookd.toml"), config(sink));
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  deadline = std::chrono::steady_clock::now() + 10s;
  while (daemon_.log().find("config.reloaded") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);

  EXPECT_EQ(daemon_.stop(SIGTERM), 0);
  const std::string log = daemon_.log();
  ASSERT_NE(log.find("config.reloaded"), std::string::npos) << log;
  ASSERT_NE(log.find("delivery.retry"), std::string::npos) << "the retries were logged:\n" << log;
  EXPECT_EQ(leaks(log), "") << "the log carries secrets";
  for (const char* s : {kSourceToken, kEnvToken, kAdminToken, kSigningSecret, kPassword,
                        kHeaderValue, kQueryToken, kWrongToken})
    EXPECT_EQ(log.find(s), std::string::npos) << s;
}

}  // namespace
}  // namespace hookd::test
