// `hookctl listen` (issue 13): the real binary as a child process on a
// loopback port. It verifies a good signature (from the real daemon),
// rejects a tampered body and a stale timestamp, answers the chosen
// statuses (and hookd's retries follow them), escapes what it prints, and
// prints a summary on SIGINT.
#include "tests/integration/admin_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// hookctl listen with stdout and stderr to files; stopped with SIGINT.
class Listen {
 public:
  Listen(const TempDir& dir, std::vector<std::string> flags, bool json_lines = true)
      : out_(dir.file("listen.out")), err_(dir.file("listen.err")) {
    std::vector<std::string> argv{HOOKCTL_BINARY, "listen", "--port", "0"};
    if (json_lines) argv.push_back("--json");
    argv.insert(argv.end(), flags.begin(), flags.end());
    pid_ = fork();
    if (pid_ == 0) {
      int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    std::regex re("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string err = slurp(err_);
      if (std::regex_search(err, m, re)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  ~Listen() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::uint16_t port() const { return port_; }
  // Lines of --json output so far, parsed.
  std::vector<json::object> lines() const {
    std::vector<json::object> out;
    std::istringstream in(slurp(out_));
    for (std::string line; std::getline(in, line);) {
      boost::system::error_code ec;
      auto v = json::parse(line, ec);
      if (!ec && v.is_object()) out.push_back(v.as_object());
    }
    return out;
  }
  bool wait_lines(std::size_t n) const {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (lines().size() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    return lines().size() >= n;
  }
  // SIGINT; the exit code (or -1) and stderr.
  std::pair<int, std::string> interrupt() {
    ::kill(pid_, SIGINT);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return {-1, slurp(err_)};
      std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(err_)};
  }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

class HookctlListenTest : public AdminTest {};

TEST_F(HookctlListenTest, VerifiesHookdsSignatureAndAnswersTheChosenStatuses) {
  Listen listen(dir_, {"--secret", kSecret, "--fail-first", "2", "--status", "200"});
  ASSERT_NE(listen.port(), 0) << slurp(dir_.file("listen.err"));
  std::string url = "http://127.0.0.1:" + std::to_string(listen.port()) + "/hook";
  start_admin(sink_sub("dev", url, "\"order.*\"",
                       std::string("secret = \"") + kSecret + "\"\n" +
                           "retry = { attempts = 5, base = \"50ms\", cap = \"100ms\" }\n"));
  std::string id = post_app("o1", "order.created");
  // Two 500s, then 200: hookd's retries follow.
  ASSERT_TRUE(listen.wait_lines(3));
  auto lines = listen.lines();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(lines[i].at("signature").as_string(), "valid") << json::serialize(lines[i]);
    EXPECT_EQ(lines[i].at("attempt").as_string(), std::to_string(i + 1));
    EXPECT_EQ(lines[i].at("type").as_string(), "order.created");
    EXPECT_EQ(lines[i].at("source").as_string(), "app");
    EXPECT_EQ(lines[i].at("webhook_id").as_string(), id + ".0");
    EXPECT_EQ(lines[i].at("body").at("id").as_string(), "o1");
  }
  EXPECT_EQ(lines[0].at("status").as_int64(), 500);
  EXPECT_EQ(lines[1].at("status").as_int64(), 500);
  EXPECT_EQ(lines[2].at("status").as_int64(), 200);
  ASSERT_TRUE(eventually([&] { return delivery_state(id + ".0") == "delivered"; }));
  auto [code, err] = listen.interrupt();
  EXPECT_EQ(code, 0) << err;
  EXPECT_NE(err.find("3 deliveries, 3 valid; answered 200x1 500x2"), std::string::npos) << err;
}

TEST_F(HookctlListenTest, RejectsATamperedBodyAndAStaleTimestamp) {
  Listen listen(dir_, {"--secret", kSecret, "--status", "204"});
  ASSERT_NE(listen.port(), 0);
  HttpClient c(listen.port());
  const auto now_s = wall_now_ms() / 1000;
  auto send = [&](const std::string& body, std::int64_t ts, const std::string& signed_body) {
    std::string t = std::to_string(ts);
    return c.post("/hook", body,
                  {{"webhook-id", "msg_1"},
                   {"webhook-timestamp", t},
                   {"webhook-signature", "v1,bogus " + expected_signature(kSecret, "msg_1", t, signed_body)},
                   {"Content-Type", "application/json"}});
  };
  auto good = send(R"({"a":1})", now_s, R"({"a":1})");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 204);
  send(R"({"a":2})", now_s, R"({"a":1})");       // tampered body
  send(R"({"a":1})", now_s - 600, R"({"a":1})");  // 10 minutes old
  auto none = c.post("/hook", "{}", {{"Content-Type", "application/json"}});
  ASSERT_TRUE(listen.wait_lines(4));
  auto lines = listen.lines();
  EXPECT_EQ(lines[0].at("signature").as_string(), "valid");
  EXPECT_EQ(lines[1].at("signature").as_string(), "invalid");
  EXPECT_EQ(lines[2].at("signature").as_string(), "stale");
  EXPECT_EQ(lines[3].at("signature").as_string(), "missing");
  EXPECT_EQ(lines[0].at("status").as_int64(), 204);
}

TEST_F(HookctlListenTest, EscapesControlCharactersInWhatItPrints) {
  Listen listen(dir_, {}, false);
  ASSERT_NE(listen.port(), 0);
  HttpClient c(listen.port());
  auto r = c.post("/hook", "a\x1b[2Jb", {{"Content-Type", "text/plain"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto [code, err] = listen.interrupt();
  EXPECT_EQ(code, 0) << err;
  std::string out = slurp(dir_.file("listen.out"));
  EXPECT_NE(out.find("a\\x1b[2Jb"), std::string::npos) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_NE(out.find("signature=unchecked"), std::string::npos) << out;
}

TEST_F(HookctlListenTest, RefusesBadFlags) {
  auto r = run_command({HOOKCTL_BINARY, "listen", "--status", "99"});
  EXPECT_EQ(r.exit_code, 64) << r.output;
  EXPECT_NE(r.output.find("--status must be a number from 200 to 599"), std::string::npos);
  auto s = run_command({HOOKCTL_BINARY, "listen", "--secret", "nope"});
  EXPECT_EQ(s.exit_code, 64);
  EXPECT_NE(s.output.find("whsec_"), std::string::npos);
}

}  // namespace
}  // namespace hookd::test
