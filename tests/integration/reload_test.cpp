// SIGHUP reload (SPEC section 7): a valid config is swapped in (subscriptions
// added, changed and removed; listeners opened and closed), an invalid one
// is logged with file:line and the old one keeps running.
#include "tests/integration/delivery_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

// A socket bound to a free loopback port; listening when `listen` is set.
// Closed on destruction (or by release()), after which the port is free again.
class PortHolder {
 public:
  explicit PortHolder(bool listen = false) {
    // CLOEXEC: a daemon forked while this is open must not inherit the port.
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listen) ::listen(fd_, 4);
  }
  ~PortHolder() { release(); }
  void release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::uint16_t port() const { return port_; }
  std::string address() const { return "\"127.0.0.1:" + std::to_string(port_) + "\""; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::string app_sub(const std::string& name, const SinkServer& sink,
                    const std::string& extra = "") {
  return sink_sub(name, http_url(sink), "\"order.*\"", "sources = [\"app\"]\n" + extra);
}

class ReloadTest : public DaemonTest {
 protected:
  std::string config(const std::string& subs, const std::string& listen = "\"127.0.0.1:0\"") {
    return "[server]\nlisten = [" + listen + "]\n[storage]\npath = \"" + db_path() + "\"\n" +
           sources_toml() + subs;
  }
  // Rewrites the config, sends SIGHUP and waits for the daemon to log `outcome`
  // ("config.reloaded" or "config.reload_rejected") for this reload.
  void reload(const std::string& text, const std::string& outcome = "config.reloaded") {
    auto count = [&] {
      std::string log = daemon_.log();
      std::size_t n = 0;
      for (auto at = log.find(outcome); at != std::string::npos; at = log.find(outcome, at + 1))
        ++n;
      return n;
    };
    const std::size_t before = count();
    write_file(dir_.file("hookd.toml"), text);
    ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (count() == before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    ASSERT_GT(count(), before) << "no " << outcome << " after SIGHUP:\n" << daemon_.log();
  }
  std::optional<HttpResult> post_order(std::uint16_t port, const std::string& id) {
    HttpClient c(port);
    return c.post("/event/app", R"({"id":")" + id + R"("})", {{"X-Event-Type", "order.created"}});
  }
  void expect_exit_clean() {
    EXPECT_EQ(daemon_.stop(SIGTERM), 0);
    EXPECT_EQ(daemon_.log().find("bug.exception"), std::string::npos) << daemon_.log();
  }
};

TEST_F(ReloadTest, RemovedSubscriptionStopsAndAddedOneStartsReceiving) {
  SinkServer sink1, sink2;
  start_with(config(app_sub("a", sink1)));
  auto r1 = post_order(daemon_.port(), "e1");
  ASSERT_TRUE(r1);
  ASSERT_EQ(r1->status, 200) << r1->body;
  ASSERT_TRUE(sink1.wait_for_requests(1, 10s));

  reload(config(app_sub("b", sink2)));
  auto r2 = post_order(daemon_.port(), "e2");
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->status, 200) << r2->body;
  ASSERT_TRUE(sink2.wait_for_requests(1, 10s));
  EXPECT_EQ(sink2.requests().at(0).body, R"({"id":"e2"})");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink1.request_count(), 1u) << "a removed subscription receives nothing new";
  EXPECT_EQ(sink2.request_count(), 1u) << "an added one receives only events after the reload";
  expect_exit_clean();
}

TEST_F(ReloadTest, ChangedSubscriptionAppliesToLaterDeliveries) {
  SinkServer sink;
  start_with(config(app_sub("a", sink, "headers = { \"X-Version\" = \"1\" }\n")));
  ASSERT_TRUE(post_order(daemon_.port(), "e1"));
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));

  reload(config(app_sub("a", sink, "headers = { \"X-Version\" = \"2\" }\n")));
  ASSERT_TRUE(post_order(daemon_.port(), "e2"));
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  auto got = sink.requests();
  EXPECT_EQ(got.at(0).header("x-version"), "1");
  EXPECT_EQ(got.at(1).header("x-version"), "2");
  expect_exit_clean();
}

TEST_F(ReloadTest, InvalidConfigIsLoggedWithLineAndTheOldOneKeepsRunning) {
  SinkServer sink1, sink2;
  start_with(config(app_sub("a", sink1)));
  // Line 2 is an unknown key; the subscription to sink2 must not take effect.
  std::string bad = config(app_sub("b", sink2));
  bad.insert(bad.find('\n') + 1, "bogus_key = true\n");
  reload(bad, "config.reload_rejected");
  EXPECT_NE(daemon_.log().find(dir_.file("hookd.toml") + ":2:"), std::string::npos)
      << daemon_.log();

  auto r = post_order(daemon_.port(), "e1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(sink1.wait_for_requests(1, 10s)) << "the old subscription still delivers";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink2.request_count(), 0u);
  // A later valid config is still taken.
  reload(config(app_sub("b", sink2)));
  ASSERT_TRUE(post_order(daemon_.port(), "e2"));
  EXPECT_TRUE(sink2.wait_for_requests(1, 10s));
  expect_exit_clean();
}

TEST_F(ReloadTest, AddedListenerAcceptsAndRemovedOneRefuses) {
  SinkServer sink;
  PortHolder p1, p2, p3;
  p1.release();
  p2.release();
  start_with(config(app_sub("a", sink), p1.address() + ", " + p2.address()));
  HttpClient kept(p2.port());  // a keep-alive connection made before the reload
  auto before = kept.request("GET", "/healthz");
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 200);

  p3.release();
  reload(config(app_sub("a", sink), p1.address() + ", " + p3.address()));
  EXPECT_NE(daemon_.log().find("server.closed address=127.0.0.1:" + std::to_string(p2.port())),
            std::string::npos)
      << daemon_.log();
  int fd = raw_connect(p2.port());
  EXPECT_LT(fd, 0) << "the removed listener must refuse new connections";
  if (fd >= 0) close(fd);
  auto on_kept = kept.request("GET", "/healthz");
  ASSERT_TRUE(on_kept) << "a connection accepted before the reload carries on";
  EXPECT_EQ(on_kept->status, 200);

  auto on_new = post_order(p3.port(), "e1");
  ASSERT_TRUE(on_new) << "the added listener accepts";
  EXPECT_EQ(on_new->status, 200) << on_new->body;
  auto on_old = post_order(p1.port(), "e2");
  ASSERT_TRUE(on_old) << "an unchanged listener keeps accepting";
  EXPECT_EQ(on_old->status, 200);
  EXPECT_TRUE(sink.wait_for_requests(2, 10s));
  expect_exit_clean();
}

TEST_F(ReloadTest, ListenerThatCannotBindRejectsTheWholeReload) {
  SinkServer sink1, sink2;
  PortHolder p1, p2;
  PortHolder taken(/*listen=*/true);
  p1.release();
  p2.release();
  start_with(config(app_sub("a", sink1), p1.address()));
  // p2 can be bound but `taken` cannot: nothing of this config may apply.
  reload(config(app_sub("b", sink2), p1.address() + ", " + p2.address() + ", " + taken.address()),
         "config.reload_rejected");
  EXPECT_NE(daemon_.log().find("server.listen_failed"), std::string::npos) << daemon_.log();
  int fd = raw_connect(p2.port());
  EXPECT_LT(fd, 0) << "a listener opened for the rejected config is closed";
  if (fd >= 0) close(fd);

  ASSERT_TRUE(post_order(p1.port(), "e1"));
  ASSERT_TRUE(sink1.wait_for_requests(1, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink2.request_count(), 0u);
  expect_exit_clean();
}

}  // namespace
}  // namespace hookd::test

namespace hookd::test {
namespace {

// A burst of SIGHUPs while a reload is reading files (on the reader pool) is
// coalesced: the last config written is the one that runs.
TEST_F(ReloadTest, BurstOfReloadsEndsWithTheLastConfig) {
  SinkServer sink1, sink2;
  start_with(config(app_sub("a", sink1)));
  write_file(dir_.file("hookd.toml"), config(app_sub("a", sink1)));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  reload(config(app_sub("b", sink2)));
  // The reload that read the last file may still be behind the one logged.
  bool routed_to_b = false;
  for (int i = 0; i < 100 && !routed_to_b; ++i) {
    auto r = post_order(daemon_.port(), "burst-" + std::to_string(i));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    routed_to_b = sink2.wait_for_requests(1, 100ms);
  }
  EXPECT_TRUE(routed_to_b) << daemon_.log();
  expect_exit_clean();
}

// A request is judged by the config its head came under: a reload while its
// body is on the way (the head's token valid before it, not after) does not
// turn a head the check let in into a refusal, and the next request meets
// the new config. The 100 Continue is the barrier: it is sent only once the
// head check has passed.
TEST_F(ReloadTest, ARequestIsJudgedByTheConfigItsHeadCameUnder) {
  auto with_token = [&](const std::string& token) {
    return "[server]\nlisten = [\"127.0.0.1:0\"]\n[storage]\npath = \"" + db_path() +
           "\"\n[[source]]\nname = \"app\"\nformat = \"generic\"\nid_pointer = \"/id\"\n"
           "token = \"" + token + "\"\n";
  };
  const std::string old_token = "reload-token-one-0123456789abcdef";
  const std::string new_token = "reload-token-two-0123456789abcdef";
  start_with(with_token(old_token));

  const std::string body = R"({"id":"judged-once"})";
  int fd = raw_connect(daemon_.port());
  ASSERT_GE(fd, 0);
  auto send_all = [&](const std::string& bytes) {
    return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  };
  // Reads until `until` has arrived, the peer closes, or 10 s pass.
  std::string got;
  auto read_until = [&](const std::string& until) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    char buf[4096];
    while (got.find(until) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got.find(until) != std::string::npos;
  };
  ASSERT_TRUE(send_all("POST /event/app HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer " + old_token + "\r\n"
                       "Content-Type: application/json\r\nX-Event-Type: order.created\r\n"
                       "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\n\r\n"));
  ASSERT_TRUE(read_until("100 Continue\r\n\r\n")) << got;

  reload(with_token(new_token));
  got.clear();
  ASSERT_TRUE(send_all(body));
  ASSERT_TRUE(read_until("\r\n\r\n")) << got;
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;

  HttpClient c(daemon_.port());
  auto stale = c.post("/event/app", R"({"id":"after"})",
                      {{"X-Event-Type", "order.created"}, {"Authorization", "Bearer " + old_token}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 401) << stale->body;
  auto fresh = c.post("/event/app", R"({"id":"after"})",
                      {{"X-Event-Type", "order.created"}, {"Authorization", "Bearer " + new_token}});
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  expect_exit_clean();
}

}  // namespace
}  // namespace hookd::test
