// systemd integration (SPEC section 7): the sd_notify protocol as systemd
// sees it (READY, RELOADING, WATCHDOG, STOPPING on a notify socket the test
// owns), the unit file (verify and security exposure), the example config,
// and a SIGTERM under load that loses no acknowledged event.
#include "tests/integration/daemon_fixture.hpp"

#include <boost/json/parse.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// The AF_UNIX datagram socket systemd would listen on ($NOTIFY_SOCKET).
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      ADD_FAILURE() << "cannot bind " << path_;
  }
  ~NotifySocket() { close(fd_); }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }

  // The next datagram, or nullopt after `timeout`.
  std::optional<std::string> next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // Reads until a datagram starting with `what` arrives (true) or `timeout`
  // passes; every datagram read is appended to `seen`.
  bool wait_for(const std::string& what, std::vector<std::string>& seen,
                std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto msg = next(std::max(left, 1ms));
      if (!msg) continue;
      seen.push_back(*msg);
      if (msg->rfind(what, 0) == 0) return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::size_t count_prefix(const std::vector<std::string>& seen, const std::string& what) {
  std::size_t n = 0;
  for (const auto& m : seen) n += m.rfind(what, 0) == 0;
  return n;
}

// The datagrams other than watchdog pings, by their first line.
std::vector<std::string> state_changes(const std::vector<std::string>& seen) {
  std::vector<std::string> out;
  for (const auto& m : seen)
    if (m.rfind("WATCHDOG=1", 0) != 0) out.push_back(m.substr(0, m.find('\n')));
  return out;
}

class SystemdTest : public DaemonTest {};

TEST_F(SystemdTest, NotifiesReadyReloadingWatchdogAndStoppingInOrder) {
  NotifySocket notify(dir_.file("notify.sock"));
  // Without WATCHDOG_PID, sd_watchdog_enabled() accepts WATCHDOG_USEC for any pid.
  start_with(base_config(db_path()), {notify.env(), "WATCHDOG_USEC=200000"});
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.wait_for("READY=1", seen)) << daemon_.log();
  EXPECT_EQ(state_changes(seen), std::vector<std::string>{"READY=1"})
      << "nothing but READY=1 (and pings) before the daemon is ready";

  // Pings every WATCHDOG_USEC/2 = 100 ms from the event loop.
  std::vector<std::string> pings;
  auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until)
    if (auto m = notify.next(100ms)) pings.push_back(*m);
  EXPECT_GE(count_prefix(pings, "WATCHDOG=1"), 5u);
  EXPECT_LE(count_prefix(pings, "WATCHDOG=1"), 15u);
  seen.insert(seen.end(), pings.begin(), pings.end());

  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(notify.wait_for("RELOADING=1", seen));
  ASSERT_TRUE(notify.wait_for("READY=1", seen));
  // The loop keeps pinging after a reload.
  std::size_t before = count_prefix(seen, "WATCHDOG=1");
  ASSERT_TRUE(notify.wait_for("WATCHDOG=1", seen, 2s));
  EXPECT_GT(count_prefix(seen, "WATCHDOG=1"), before);

  EXPECT_EQ(daemon_.stop(SIGTERM), 0);
  ASSERT_TRUE(notify.wait_for("STOPPING=1", seen, 2s));
  EXPECT_EQ(state_changes(seen),
            (std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1", "STOPPING=1"}));
}

TEST_F(SystemdTest, NoWatchdogPingsUnlessSystemdAsksForThem) {
  NotifySocket notify(dir_.file("notify.sock"));
  start_with(base_config(db_path()), {notify.env()});
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.wait_for("READY=1", seen));
  std::this_thread::sleep_for(500ms);
  while (auto m = notify.next(10ms)) seen.push_back(*m);
  EXPECT_EQ(count_prefix(seen, "WATCHDOG=1"), 0u);
  EXPECT_EQ(daemon_.stop(SIGTERM), 0);
}

TEST_F(SystemdTest, UnitPassesSystemdAnalyzeVerifyAndSecurity) {
  auto r = run_command({"/bin/bash", std::string(HOOKD_SOURCE_DIR) + "/scripts/check-unit.sh",
                        HOOKD_UNIT_FILE, HOOKD_BINARY},
                       60s);
  if (r.exit_code == 77)
    GTEST_SKIP() << "systemd-analyze is not installed (apt-get install systemd): " << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string unit = read_file(HOOKD_UNIT_FILE);
  for (const char* line :
       {"Type=notify", "WatchdogSec=", "ExecReload=kill -HUP $MAINPID", "StateDirectory=hookd",
        "ConfigurationDirectory=hookd", "LoadCredential=", "Restart=on-failure"})
    EXPECT_NE(unit.find(std::string("\n") + line), std::string::npos) << line;
}

TEST_F(SystemdTest, ExampleConfigIsValidWithItsCredentials) {
  const std::string example = std::string(HOOKD_SOURCE_DIR) + "/systemd/hookd.example.toml";
  const std::string creds = dir_.file("credentials");
  std::filesystem::create_directory(creds);
  write_file(creds + "/hookd-admin-token", "admin-token-value\n");
  write_file(creds + "/hookd-minio-token", "minio-token-value\n");
  write_file(creds + "/hookd-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  auto ok = run_command({"/usr/bin/env", "CREDENTIALS_DIRECTORY=" + creds, HOOKD_BINARY,
                         "--check-config", "--config", example});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  std::filesystem::remove(creds + "/hookd-minio-token");
  auto missing = run_command({"/usr/bin/env", "CREDENTIALS_DIRECTORY=" + creds, HOOKD_BINARY,
                              "--check-config", "--config", example});
  EXPECT_EQ(missing.exit_code, 78) << missing.output;
  EXPECT_NE(missing.output.find("hookd-minio-token"), std::string::npos) << missing.output;
}

// Many clients post unique events while SIGTERM arrives: the daemon exits 0,
// and every event it answered 200 is stored (a duplicate after the restart).
TEST_F(SystemdTest, SigtermUnderLoadExitsCleanlyAndKeepsEveryAcknowledgedEvent) {
  start();
  constexpr int kClients = 16;
  std::mutex mu;
  std::vector<std::string> acked;
  std::vector<std::string> unexpected;
  std::atomic<bool> done{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t, port = daemon_.port()] {
      HttpClient c(port);
      for (int n = 0; !done; ++n) {
        std::string body = R"({"id":"c)" + std::to_string(t) + "-" + std::to_string(n) + R"("})";
        auto r = c.request("POST", "/event/app", body, {{"Content-Type", "application/json"}}, 5s);
        if (!r) return;  // stopped listening: expected once SIGTERM arrived
        std::lock_guard lock(mu);
        if (r->status == 200)
          acked.push_back(body);
        else
          unexpected.push_back(std::to_string(r->status) + " " + r->body);
        if (!r->keep_alive) return;
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (acked.size() >= 500 || std::chrono::steady_clock::now() > deadline) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(daemon_.stop(SIGTERM), 0) << daemon_.log();
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  ASSERT_GE(acked.size(), 500u);
  EXPECT_EQ(daemon_.log().find("bug.exception"), std::string::npos) << daemon_.log();

  ASSERT_TRUE(daemon_.start(dir_.file("hookd.toml"), dir_.file("hookd2.log"))) << daemon_.error();
  HttpClient c(daemon_.port());
  std::size_t lost = 0;
  for (const auto& body : acked) {
    auto r = c.post("/event/app", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto v = json::parse(r->body).as_object();
    if (v.at("duplicates").as_int64() != 1) ++lost;
  }
  EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged events";
  EXPECT_EQ(daemon_.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hookd::test
