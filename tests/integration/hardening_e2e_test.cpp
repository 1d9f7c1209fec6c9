// Hostile senders against the real hookd binary on loopback: CR/LF in every
// field that could reach a subscriber's header block (seen as raw bytes by a
// TCP sink), refusal on the request head before any body byte, connection
// caps, key and record bounds, and metric families whose labels partition.
#include "tests/integration/daemon_fixture.hpp"
#include "tests/support/sink_server.hpp"

#include "core/text.hpp"

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace hookd::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Accepts connections on 127.0.0.1:0 and keeps every byte received, raw;
// answers 204 to each complete request (head + Content-Length bytes).
class RawSink {
 public:
  RawSink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~RawSink() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) ::close(c);
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::string bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  std::size_t requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (requests() >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return requests() >= n;
  }

 private:
  void run() {
    std::map<int, std::string> pending;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : clients_) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) clients_.push_back(c);
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buf[8192];
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) continue;
        std::string& p = pending[fds[i].fd];
        p.append(buf, static_cast<std::size_t>(n));
        {
          std::lock_guard lock(mu_);
          bytes_.append(buf, static_cast<std::size_t>(n));
        }
        answer_complete(fds[i].fd, p);
      }
    }
  }
  void answer_complete(int fd, std::string& p) {
    for (;;) {
      auto end = p.find("\r\n\r\n");
      if (end == std::string::npos) return;
      std::size_t length = 0;
      auto cl = p.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) length = std::stoul(p.substr(cl + 16));
      if (p.size() < end + 4 + length) return;
      p.erase(0, end + 4 + length);
      {
        std::lock_guard lock(mu_);
        ++requests_;
      }
      static constexpr char kAnswer[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
      [[maybe_unused]] auto w = ::write(fd, kAnswer, sizeof kAnswer - 1);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;
  mutable std::mutex mu_;
  std::string bytes_;
  std::size_t requests_ = 0;
  std::thread thread_;
};

// The sum of a metric family's samples in Prometheus text, over the samples
// whose labels contain `label` ("" for all).
std::uint64_t metric_sum(const std::string& text, std::string_view family,
                         std::string_view label = "") {
  std::uint64_t total = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(std::string(family) + "{")) continue;
    if (line.find(label) == std::string::npos) continue;
    total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

// Every source of the base config routes to the raw sink.
std::string sink_config(const std::string& db, std::uint16_t sink_port,
                        const std::string& extra_server = "") {
  std::string cfg = base_config(db, extra_server);
  cfg += R"(
[[subscription]]
name = "raw"
url = "http://127.0.0.1:)" + std::to_string(sink_port) + R"(/hook"
)";
  return cfg;
}

class HardeningTest : public DaemonTest {};

TEST_F(HardeningTest, CrLfInAnyFieldIsRefusedAndNeverReachesTheSubscriber) {
  RawSink sink;
  start_with(sink_config(db_path(), sink.port()));
  HttpClient c(daemon_.port());
  const std::string crlf = "\\r\\nX-Injected: 1";
  const std::pair<std::string, std::string> auth{"Authorization",
                                                 std::string("Bearer ") + kMinioToken};
  struct Case {
    std::string name;
    std::string target;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<Case> cases = {
      {"minio eventName", "/event/minio",
       R"({"Records":[{"eventName":"s3:ObjectCreated:Put)" + crlf +
           R"(","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]})",
       {auth}},
      {"opteryx action", "/event/catalog",
       R"({"event":{"action":"create)" + crlf +
           R"(","resource_type":"dataset","workspace":"w"},"data":{}})",
       {}},
      {"opteryx resource_type", "/event/catalog",
       R"({"event":{"action":"create","resource_type":"dataset)" + crlf +
           R"(","workspace":"w"},"data":{}})",
       {}},
      {"cloudevents type", "/event/ce",
       R"({"specversion":"1.0","id":"1","source":"/s","type":"t)" + crlf + R"("})", {}},
      {"cloudevents id", "/event/ce",
       R"({"specversion":"1.0","id":"1)" + crlf + R"(","source":"/s","type":"t"})", {}},
      {"cloudevents source", "/event/ce",
       R"({"specversion":"1.0","id":"1","source":"/s)" + crlf + R"(","type":"t"})", {}},
  };
  // Header values cannot carry CR/LF on the wire, but NUL, DEL and bytes
  // that are not UTF-8 can.
  for (const std::string header : {"X-Event-Type", "Idempotency-Key", "webhook-id",
                                   "X-CloudTasks-TaskName", "ce-type"}) {
    cases.push_back({header + " NUL", "/event/app", R"({"id":"h1"})",
                     {{header, std::string("a\0b", 3)}}});
    cases.push_back({header + " DEL", "/event/app", R"({"id":"h2"})", {{header, "a\x7f" "b"}}});
    cases.push_back({header + " 0xFF", "/event/app", R"({"id":"h3"})", {{header, "a\xff" "b"}}});
  }
  for (const Case& k : cases) {
    auto r = c.post(k.target, k.body, k.headers);
    ASSERT_TRUE(r) << k.name << ": " << c.error();
    EXPECT_EQ(r->status, 400) << k.name << ": " << r->body;
    c.close();
  }
  // An obsolete line folding (CRLF + space) is unfolded by the HTTP parser
  // into one line: accepted, and still one header line at the subscriber.
  std::string folded = raw_exchange(
      daemon_.port(),
      "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "X-Event-Type: folded\r\n X-Injected: 1\r\nContent-Length: 13\r\nConnection: close\r\n"
      "\r\n{\"id\":\"fold\"}",
      5s);
  EXPECT_TRUE(folded.starts_with("HTTP/1.1 200") || folded.starts_with("HTTP/1.1 400")) << folded;
  const std::size_t expected = folded.starts_with("HTTP/1.1 200") ? 2 : 1;
  // A valid event after them all, and its bytes hold no injected header line.
  auto ok = c.post("/event/app", R"({"id":"fine"})", {{"X-Event-Type", "order.created"}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  ASSERT_TRUE(sink.wait_for_requests(expected, 10s));
  std::this_thread::sleep_for(300ms);  // anything else in flight would arrive by now
  EXPECT_EQ(sink.requests(), expected);
  const std::string raw = sink.bytes();
  EXPECT_EQ(raw.find("\nX-Injected"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("\rX-Injected"), std::string::npos) << raw;
  EXPECT_NE(raw.find("hookd-event-type: order.created\r\n"), std::string::npos) << raw;
}

TEST_F(HardeningTest, TokenlessAnnouncementOfAMegabyteIsRefusedBeforeItsBody) {
  std::string cfg = base_config(db_path());
  const std::string small = "max_body = \"64KiB\"";
  cfg.replace(cfg.find(small), small.size(), "max_body = \"2MiB\"");
  start_with(cfg);
  for (bool expect_continue : {true, false}) {
    std::string head =
        "POST /event/minio HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1048576\r\n";
    if (expect_continue) head += "Expect: 100-continue\r\n";
    head += "\r\n";
    // No body byte is sent: the answer must come from the head alone.
    auto started = std::chrono::steady_clock::now();
    std::string answer = raw_exchange(daemon_.port(), head, 5s);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer;
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1900ms);  // not read_timeout (2 s)
  }
  // A wrong content type and a disallowed address are refused on the head too.
  std::string answer = raw_exchange(
      daemon_.port(),
      "POST /event/remote HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n", 5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 403")) << answer;
  answer = raw_exchange(daemon_.port(),
                        "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        "Content-Length: 1048576\r\nExpect: 100-continue\r\n\r\n",
                        5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 415")) << answer;
  // A tokenless source's request still gets its 100 Continue.
  answer = raw_exchange(daemon_.port(),
                        "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 12\r\nExpect: 100-continue\r\n\r\n",
                        500ms);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 100 Continue")) << answer;
}

// Chunked bodies: trailer fields never override the head (the event below
// keeps the key of its body, so its re-send is a duplicate), the connection
// goes on after them, and chunk lines and trailer sections are bounded
// (parsed only once whole, they would otherwise grow the read buffer).
TEST_F(HardeningTest, ChunkedTrailersAreIgnoredAndChunkLinesAreBounded) {
  start_with(base_config(db_path()));
  const std::string body = R"({"specversion":"1.0","id":"tr-1","source":"/x","type":"dataset.made"})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const std::string chunked_head =
      "POST /event/ce HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string answer = raw_exchange(
      daemon_.port(),
      chunked_head + size + "\r\n" + body +
          "\r\n0\r\nce-specversion: 1.0\r\nce-id: trailer-id\r\nce-source: /t\r\n"
          "ce-type: trailer.type\r\nIdempotency-Key: trailer-key\r\n\r\n"
          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      5s);
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(answer.find("\"accepted\":1"), std::string::npos) << answer;
  EXPECT_NE(answer.find("HTTP/1.1 200", 12), std::string::npos) << answer;  // /healthz after it
  HttpClient c(daemon_.port());
  auto again =
      c.request("POST", "/event/ce", body, {{"Content-Type", "application/cloudevents+json"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->body).at("duplicates").as_int64(), 1) << again->body;

  // A chunk extension, and a trailer section, of 100 KiB: 400 with a close.
  for (const std::string& tail :
       {"10;ext=" + std::string(100 * 1024, 'a'),
        "0\r\n" + [] {
          std::string fields;
          while (fields.size() < 100 * 1024) fields += "X-Pad: " + std::string(100, 'p') + "\r\n";
          return fields;
        }()}) {
    answer = raw_exchange(daemon_.port(), chunked_head + tail, 5s);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer.substr(0, 200);
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer.substr(0, 200);
    EXPECT_NE(answer.find("chunk line or trailer section"), std::string::npos)
        << answer.substr(0, 200);
  }
  // A Content-Length over max_body: the head's own refusal comes first.
  answer = raw_exchange(daemon_.port(),
                        "POST /event/nosuch HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n", 5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer;
  answer = raw_exchange(daemon_.port(),
                        "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 999999\r\n\r\n",
                        5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  auto health = c.request("GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HardeningTest, HttpLayerFollowsTheRfcsOnFramingAndExpectations) {
  start_with(base_config(db_path()));
  const std::string ce_body = R"({"specversion":"1.0","id":"rfc-1","source":"/x","type":"t.a"})";
  auto post = [&](const std::string& head_lines, const std::string& body) {
    return raw_exchange(daemon_.port(),
                        head_lines + "Content-Length: " + std::to_string(body.size()) +
                            "\r\nConnection: close\r\n\r\n" + body,
                        5s);
  };
  // Empty lines before a request line are ignored; a flood of them is not.
  std::string answer = raw_exchange(
      daemon_.port(), "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  answer = raw_exchange(daemon_.port(),
                        std::string(64, '\n') + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;

  answer = post("POST /event/ce HTTP/1.1\r\nHost: a\r\nHost: b\r\n", ce_body);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("Host"), std::string::npos) << answer;

  answer = raw_exchange(daemon_.port(),
                        "POST /event/ce HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n"
                        "\r\n5\r\nabcde\r\n0\r\n\r\n",
                        5s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 501")) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;

  answer = post("POST /event/ce HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n", ce_body);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 417")) << answer;

  // HTTP/1.0 has no 100 Continue: the body is read and answered once.
  answer = post("POST /event/ce HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\n"
                "Content-Type: application/cloudevents+json\r\n",
                ce_body);
  EXPECT_TRUE(answer.starts_with("HTTP/1.0 200")) << answer;
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;

  answer = post("POST /event/ce HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
                "Content-Type: application/cloudevents+json\r\n",
                ce_body);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 415")) << answer;
  EXPECT_NE(answer.find("Content-Encoding"), std::string::npos) << answer;

  // A trailing slash and percent-encoded segments name the same source.
  for (const char* target : {"/event/ce/", "/event/c%65", "/event/ce/event/"}) {
    answer = post(std::string("POST ") + target +
                      " HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n",
                  ce_body);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << target << ": " << answer;
    EXPECT_NE(answer.find("\"duplicates\":1"), std::string::npos) << target << ": " << answer;
  }
}

TEST_F(HardeningTest, HttpLayerRefusalsCountAsRejectedRequests) {
  std::string cfg = base_config(db_path());
  cfg += "\n[admin]\nlisten = \"127.0.0.1:0\"\n";
  start_with(cfg);
  HttpClient admin(daemon_.admin_port());
  auto rejected = [&] {
    auto m = admin.request("GET", "/metrics", "", {});
    EXPECT_TRUE(m && m->status == 200);
    return metric_sum(m ? m->body : "", "hookd_ingest_requests_total", "result=\"rejected\"");
  };
  const std::uint64_t before = rejected();
  const char* refused[] = {
      "GARBAGE\r\n\r\n",
      "POST /event/app HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n",
      "POST /event/app HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\nContent-Length: 0\r\n\r\n",
      "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
  };
  for (const char* bytes : refused) {
    std::string answer = raw_exchange(daemon_.port(), bytes, 5s);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 4")) << answer;
  }
  EXPECT_EQ(rejected(), before + std::size(refused));
}

TEST_F(HardeningTest, ConnectionCapsRefuseNewcomersWhileServingTheRest) {
  const std::string caps =
      "max_connections = 4\nmax_connections_per_ip = 3\nheader_timeout = \"5s\"\n";
  std::string cfg = base_config(db_path(), caps);
  cfg += "\n[admin]\nlisten = \"127.0.0.1:0\"\nmax_connections = 8\nmax_connections_per_ip = 8\n";
  start_with(cfg);
  HttpClient served(daemon_.port());
  auto first = served.request("GET", "/healthz", "", {});
  ASSERT_TRUE(first && first->status == 200);
  std::vector<int> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(raw_connect(daemon_.port()));
  // 3 from 127.0.0.1 now: the next is over the per-address cap.
  std::string refused = raw_exchange(daemon_.port(), "GET /healthz HTTP/1.1\r\n\r\n", 2s);
  EXPECT_TRUE(refused.empty() || refused.starts_with("HTTP/1.1 503")) << refused;
  // The connection already served is still served, at once.
  for (int i = 0; i < 3; ++i) {
    auto again = served.request("GET", "/healthz", "", {}, 2s);
    ASSERT_TRUE(again) << served.error();
    EXPECT_EQ(again->status, 200);
  }
  EXPECT_EQ(served.connects(), 1);
  for (int fd : idle) ::close(fd);
  // Freed slots admit new connections again.
  bool admitted = false;
  for (int i = 0; i < 100 && !admitted; ++i) {
    admitted = raw_exchange(daemon_.port(), "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
                            2s)
                   .starts_with("HTTP/1.1 200");
    if (!admitted) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(admitted);
  HttpClient admin(daemon_.admin_port());
  auto m = admin.request("GET", "/metrics", "", {});
  ASSERT_TRUE(m && m->status == 200);
  EXPECT_NE(m->body.find(
                R"(hookd_connections_total{listener="ingest",result="refused_max_connections_per_ip"} 1)"),
            std::string::npos)
      << m->body;
}

TEST_F(HardeningTest, SilentConnectionIsClosedAfterHeaderTimeout) {
  start_with(base_config(db_path(), "header_timeout = \"300ms\"\n"));
  auto started = std::chrono::steady_clock::now();
  std::string answer = raw_exchange(daemon_.port(), "", 5s);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(answer, "");
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);  // not idle_timeout (3 s)
}

// A head that starts but never ends is answered 408 at header_timeout (not
// read_timeout, 2 s here), although its first bytes arrived at once.
TEST_F(HardeningTest, UnfinishedHeadGets408AtHeaderTimeout) {
  start_with(base_config(db_path(), "header_timeout = \"300ms\"\n"));
  auto started = std::chrono::steady_clock::now();
  std::string answer =
      raw_exchange(daemon_.port(), "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: app", 5s);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(answer.find("HTTP/1.1 408"), std::string::npos) << answer;
  EXPECT_NE(answer.find("header_timeout"), std::string::npos) << answer;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms);
}

TEST_F(HardeningTest, KeysAndRecordsAreBounded) {
  start_with(base_config(db_path(), "max_records = 3\n"));
  HttpClient c(daemon_.port());
  // A key over 255 bytes is hashed: accepted, and still dedups.
  std::string long_key(4000, 'k');
  auto r = c.post("/event/app", R"({"id":"x1"})", {{"Idempotency-Key", long_key}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  r = c.post("/event/app", R"({"id":"x2"})", {{"Idempotency-Key", long_key}});
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("duplicates").as_int64(), 1) << r->body;
  // A key a body carries (id_pointer, CloudEvents id) over 255 bytes is 400.
  r = c.post("/event/app", R"({"id":")" + std::string(256, 'i') + R"("})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("/id (id_pointer)"), std::string::npos) << r->body;
  r = c.post("/event/ce", R"({"specversion":"1.0","id":")" + std::string(256, 'i') +
                              R"(","source":"/s","type":"t"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  // An event type over 256 bytes is refused, naming the field.
  r = c.post("/event/app", R"({"id":"x3"})", {{"X-Event-Type", std::string(257, 't')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("X-Event-Type"), std::string::npos) << r->body;
  // More records than max_records: 400, and nothing stored.
  std::string record =
      R"({"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k)";
  std::string body = R"({"Records":[)";
  for (int i = 0; i < 4; ++i) body += (i ? "," : "") + record + std::to_string(i) + R"("}}})";
  body += "]}";
  r = post_minio(c, body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("max_records"), std::string::npos) << r->body;
}

TEST_F(HardeningTest, MetricLabelsPartitionTheirCounters) {
  std::string cfg = base_config(db_path());
  cfg += "\n[admin]\nlisten = \"127.0.0.1:0\"\n";
  start_with(cfg);
  HttpClient c(daemon_.port());
  std::size_t events_in_ok = 0, requests = 0;
  auto send = [&](const std::string& target, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers) {
    auto r = c.post(target, body, std::move(headers));
    ASSERT_TRUE(r) << c.error();
    ++requests;
    if (r->status == 200) {
      auto o = json::parse(r->body).as_object();
      events_in_ok += static_cast<std::size_t>(o.at("accepted").as_int64() +
                                               o.at("duplicates").as_int64());
    }
    c.close();
  };
  const std::pair<std::string, std::string> auth{"Authorization",
                                                 std::string("Bearer ") + kMinioToken};
  send("/event/minio", test_data("minio/01-put-small.json"), {auth});   // routed
  send("/event/minio", test_data("minio/01-put-small.json"), {auth});   // duplicate
  send("/event/app", R"({"id":"u1"})", {});                             // unrouted
  send("/event/app", R"({"id":"u1"})", {});                             // duplicate
  send("/event/app", "not json", {});                                   // rejected
  send("/event/nope", "{}", {});                                        // rejected, no source
  send("/event/minio", "{}", {});                                       // rejected, no token
  HttpClient admin(daemon_.admin_port());
  auto m = admin.request("GET", "/metrics", "", {});
  ASSERT_TRUE(m && m->status == 200);
  EXPECT_EQ(metric_sum(m->body, "hookd_events_received_total"), events_in_ok) << m->body;
  EXPECT_EQ(metric_sum(m->body, "hookd_ingest_requests_total"), requests) << m->body;
  EXPECT_NE(m->body.find(R"(hookd_events_received_total{source="minio",result="routed"} 1)"),
            std::string::npos);
  EXPECT_NE(m->body.find(R"(hookd_events_received_total{source="app",result="unrouted"} 1)"),
            std::string::npos);
}

TEST_F(HardeningTest, AdminApiNeverEmitsInvalidUtf8) {
  SinkServer sink;
  sink.set_default(SinkAction::reply(500, {}, std::string(1023, 'x') + "\xC3\xA9 and \xFF"));
  std::string cfg = base_config(db_path());
  cfg += "\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"admin-token-123456\"\n";
  cfg += "\n[[subscription]]\nname = \"bytes\"\nurl = \"http://127.0.0.1:" +
         std::to_string(sink.port()) + "/\"\nsources = [\"app\"]\nretry = { attempts = 1 }\n";
  start_with(cfg);
  HttpClient c(daemon_.port());
  auto r = c.post("/event/app", R"({"id":"utf8"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string id(json::parse(r->body).at("ids").at(0).as_string());
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  HttpClient admin(daemon_.admin_port());
  const std::vector<std::pair<std::string, std::string>> auth{
      {"Authorization", "Bearer admin-token-123456"}};
  std::string body;
  for (int i = 0; i < 250; ++i) {
    auto got = admin.request("GET", "/v1/deliveries/" + id + ".0", "", auth);
    ASSERT_TRUE(got);
    body = got->body;
    if (got->status == 200 && body.find("\"dead\"") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(body.find("\"dead\""), std::string::npos) << body;
  EXPECT_TRUE(is_valid_utf8(body));
  // The excerpt (1 KiB) ends before the 2-byte character it would have split.
  auto v = json::parse(body);
  const auto& attempts = v.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].at("response_excerpt").as_string(), std::string(1023, 'x'));
  // hookctl, which refuses invalid UTF-8, reads it.
  write_file(dir_.file("token"), "admin-token-123456");
  auto out = run_command({HOOKCTL_BINARY, "--admin",
                          "http://127.0.0.1:" + std::to_string(daemon_.admin_port()),
                          "--token-file", dir_.file("token"), "delivery", id + ".0"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
}

}  // namespace
}  // namespace hookd::test
