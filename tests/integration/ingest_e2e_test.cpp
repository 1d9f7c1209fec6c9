// End to end: the real hookd binary on loopback, driven over HTTP.
#include "tests/integration/daemon_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hookd::test {
namespace {

namespace json = boost::json;

json::object parse_object(const std::string& body) { return json::parse(body).as_object(); }

TEST_F(DaemonTest, AcceptsEveryMinioSampleAndAnswersDuplicateOnResend) {
  start();
  HttpClient client(daemon_.port());
  for (const auto& file : test_data_files("minio")) {
    std::string body = test_data(file);
    auto first = post_minio(client, body);
    ASSERT_TRUE(first) << client.error();
    ASSERT_EQ(first->status, 200) << file << ": " << first->body;
    auto a = parse_object(first->body);
    EXPECT_EQ(a.at("accepted").as_int64(), 1) << file;
    EXPECT_EQ(a.at("duplicates").as_int64(), 0) << file;
    auto again = post_minio(client, body);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->status, 200);
    auto b = parse_object(again->body);
    EXPECT_EQ(b.at("accepted").as_int64(), 0) << file;
    EXPECT_EQ(b.at("duplicates").as_int64(), 1) << file;
    EXPECT_EQ(a.at("ids"), b.at("ids")) << file;
  }
  EXPECT_EQ(client.connects(), 1) << "keep-alive must hold across requests";
}

TEST_F(DaemonTest, AcceptsEveryOpteryxSampleAttributedByFormat) {
  start();
  HttpClient client(daemon_.port());
  for (const auto& file : test_data_files("opteryx")) {
    std::string body = test_data(file);
    auto first = client.post("/event", body);
    ASSERT_TRUE(first) << client.error();
    ASSERT_EQ(first->status, 200) << file << ": " << first->body;
    EXPECT_EQ(parse_object(first->body).at("accepted").as_int64(), 1) << file;
    auto again = client.post("/event", body);
    ASSERT_TRUE(again);
    EXPECT_EQ(parse_object(again->body).at("duplicates").as_int64(), 1) << file;
  }
}

TEST_F(DaemonTest, OpteryxPathPrefixFormNamesTheSource) {
  start();
  HttpClient client(daemon_.port());
  auto r = client.post("/event/catalog/event", test_data("opteryx/02-view-create.json"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // The same bytes with a Cloud Tasks name are a different task.
  auto t = client.post("/event/catalog", test_data("opteryx/02-view-create.json"),
                       {{"X-CloudTasks-TaskName", "task-1"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(parse_object(t->body).at("accepted").as_int64(), 1);
  auto t2 = client.post("/event/catalog", test_data("opteryx/02-view-create.json"),
                        {{"X-CloudTasks-TaskName", "task-1"}});
  EXPECT_EQ(parse_object(t2->body).at("duplicates").as_int64(), 1);
}

TEST_F(DaemonTest, MinioTokenAcceptedVerbatimToo) {
  start();
  HttpClient client(daemon_.port());
  auto r = client.post("/event", test_data("minio/01-put-small.json"),
                       {{"Authorization", kMinioToken}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(DaemonTest, MultiRecordBodyIsSeveralEvents) {
  start();
  auto doc = json::parse(test_data("minio/01-put-small.json")).as_object();
  auto rec = doc["Records"].as_array()[0];
  auto rec2 = rec;
  rec2.as_object()["eventName"] = "s3:ObjectAccessed:Get";
  doc["Records"] = json::array{rec, rec2};
  HttpClient client(daemon_.port());
  auto r = post_minio(client, json::serialize(doc));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto o = parse_object(r->body);
  EXPECT_EQ(o.at("accepted").as_int64(), 2);
  EXPECT_EQ(o.at("ids").as_array().size(), 2u);
  EXPECT_NE(o.at("ids").as_array()[0], o.at("ids").as_array()[1]);
}

TEST_F(DaemonTest, CloudEventsStructuredAndBinary) {
  start();
  HttpClient client(daemon_.port());
  std::string structured =
      R"({"specversion":"1.0","id":"e-1","source":"/billing","type":"invoice.paid","data":{"n":1}})";
  auto r = client.request("POST", "/event", structured,
                          {{"Content-Type", "application/cloudevents+json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto b = client.request("POST", "/event", R"({"n":2})",
                          {{"Content-Type", "application/json"},
                           {"ce-specversion", "1.0"},
                           {"ce-id", "e-2"},
                           {"ce-source", "/billing"},
                           {"ce-type", "invoice.paid"}});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(parse_object(b->body).at("accepted").as_int64(), 1);
}

TEST_F(DaemonTest, GenericSourceUsesIdPointerForDedup) {
  start();
  HttpClient client(daemon_.port());
  auto a = client.post("/event/app", R"({"id":"x1","v":1})", {{"X-Event-Type", "app.created"}});
  auto b = client.post("/event/app", R"({"id":"x1","v":2})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(parse_object(a->body).at("accepted").as_int64(), 1);
  EXPECT_EQ(parse_object(b->body).at("duplicates").as_int64(), 1);
}

TEST_F(DaemonTest, EveryStatusOfTheTableFromARealRequest) {
  start();
  HttpClient c(daemon_.port());
  auto minio = test_data("minio/01-put-small.json");
  auto expect = [&](std::optional<HttpResult> r, int status, const char* what) {
    ASSERT_TRUE(r) << what << ": " << c.error();
    EXPECT_EQ(r->status, status) << what << ": " << r->body;
    if (status >= 400) {
      auto doc = json::parse(r->body);
      EXPECT_TRUE(doc.as_object().contains("error")) << what;
    }
  };
  expect(post_minio(c, "{\"Records\": [ }"), 400, "malformed JSON");
  expect(c.post("/event/catalog", "{\"event\": NaN}"), 400, "NaN is not JSON");
  expect(c.post("/event/minio", test_data("opteryx/01-dataset-create.json"),
                {{"Authorization", std::string("Bearer ") + kMinioToken}}),
         400, "shape the source format does not fit");
  expect(c.post("/event/catalog", R"({"event":{"workspace":"w"},"data":{}})"), 400,
         "record missing its type");
  expect(c.post("/event", minio, {{"Authorization", "Bearer wrong"}}), 401, "wrong token");
  expect(c.post("/event/minio", minio), 401, "missing token");
  expect(c.post("/event/nosuch", minio), 401, "unknown source");
  expect(c.post("/event/remote", R"({"a":1})"), 403, "outside allow_from");
  expect(c.request("GET", "/event"), 405, "GET /event");
  expect(c.request("PUT", "/event", "{}"), 405, "PUT /event");
  expect(c.request("GET", "/nope"), 404, "unknown path");
  expect(c.request("HEAD", "/event", "", {}), 200, "HEAD /event");
  expect(c.request("HEAD", "/", "", {}), 200, "HEAD /");
  expect(c.request("GET", "/healthz", "", {}), 200, "GET /healthz");
  expect(c.post("/event", std::string(70 * 1024, ' ') + minio,
                {{"Authorization", std::string("Bearer ") + kMinioToken}}),
         413, "over max_body");
  c.close();
  expect(c.request("POST", "/event/minio", minio,
                   {{"Content-Type", "text/plain"},
                    {"Authorization", std::string("Bearer ") + kMinioToken}}),
         415, "text/plain");
  // Nothing above was stored: the sample is still new.
  auto r = post_minio(c, minio);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse_object(r->body).at("accepted").as_int64(), 1);
}

TEST_F(DaemonTest, UnroutedEventIsStoredAndAcknowledged) {
  start();
  HttpClient c(daemon_.port());
  auto first = post_minio(c, test_data("minio/06-delete.json"));  // no subscription takes deletes
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(parse_object(first->body).at("accepted").as_int64(), 1);
  auto again = post_minio(c, test_data("minio/06-delete.json"));
  EXPECT_EQ(parse_object(again->body).at("duplicates").as_int64(), 1);
}

TEST_F(DaemonTest, BareConnectionsAreNotErrors) {
  start();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(raw_exchange(daemon_.port(), "", std::chrono::milliseconds(200), true), "");
  HttpClient c(daemon_.port());
  ASSERT_TRUE(c.request("GET", "/healthz", "", {}));
  EXPECT_EQ(daemon_.log().find("<3>"), std::string::npos) << daemon_.log();
  EXPECT_EQ(daemon_.log().find("<4>"), std::string::npos) << daemon_.log();
}

TEST_F(DaemonTest, SlowRequestGets408AfterReadTimeout) {
  start();
  auto started = std::chrono::steady_clock::now();
  std::string partial = "POST /event/catalog HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 100\r\n\r\n{\"event\":";
  std::string answer = raw_exchange(daemon_.port(), partial, std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(answer.find("408"), std::string::npos) << answer;
  EXPECT_GE(took, std::chrono::milliseconds(1500));
}

// Several requests in one segment: each is parsed from what has arrived,
// and each gets its own answer, in order, on the one connection.
TEST_F(DaemonTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  auto post = [](const std::string& id) {
    std::string body = R"({"id":")" + id + R"(","type":"pipe.test"})";
    return "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  std::string bytes = post("pipe-1") + post("pipe-2") + post("pipe-1") +
                      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string answer = raw_exchange(daemon_.port(), bytes, std::chrono::seconds(10));
  // Three ingest answers (the third a duplicate of the first), then healthz.
  std::vector<std::size_t> at;
  for (auto pos = answer.find("HTTP/1.1 200"); pos != std::string::npos;
       pos = answer.find("HTTP/1.1 200", pos + 1))
    at.push_back(pos);
  ASSERT_EQ(at.size(), 4u) << answer;
  EXPECT_NE(answer.substr(at[0], at[1] - at[0]).find(R"("accepted":1,"duplicates":0)"), std::string::npos)
      << answer;
  EXPECT_NE(answer.substr(at[1], at[2] - at[1]).find(R"("accepted":1,"duplicates":0)"), std::string::npos)
      << answer;
  EXPECT_NE(answer.substr(at[2], at[3] - at[2]).find(R"("accepted":0,"duplicates":1)"), std::string::npos)
      << answer;
  EXPECT_NE(answer.substr(at[3]).find(R"("status":"ok")"), std::string::npos) << answer;
}

// A head and a body that arrive in pieces are waited for, not refused.
TEST_F(DaemonTest, RequestArrivingInPiecesIsRead) {
  start();
  std::string body = R"({"id":"pieces-1","type":"pieces.test","pad":")" + std::string(3000, 'x') + "\"}";
  std::string head = "POST /event/app HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  int fd = raw_connect(daemon_.port());
  ASSERT_GE(fd, 0);
  const std::string pieces[] = {head.substr(0, 20), head.substr(20), body.substr(0, 1000),
                                body.substr(1000)};
  for (const auto& piece : pieces) {
    ASSERT_EQ(::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(piece.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // each its own segment
  }
  std::string answer;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"("accepted":1)"), std::string::npos) << answer;
}

// The idle deadline moves with each request: a connection whose gaps are
// each shorter than idle_timeout (3 s) stays open past it in total, then
// closes once a gap is longer.
TEST_F(DaemonTest, KeepAliveDeadlineRestartsWithEachRequest) {
  start();
  int fd = raw_connect(daemon_.port());
  ASSERT_GE(fd, 0);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto answered = [&](std::chrono::milliseconds within) {
    std::string got;
    char buf[1024];
    auto deadline = std::chrono::steady_clock::now() + within;
    while (got.find(R"("status":"ok")") == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  };
  const auto opened = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    ASSERT_TRUE(answered(std::chrono::seconds(2))) << "request " << i;
    if (i < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - opened, std::chrono::milliseconds(4500));
  // Now silent: closed after about idle_timeout.
  const auto quiet = std::chrono::steady_clock::now();
  char b;
  pollfd p{fd, POLLIN, 0};
  ASSERT_GT(::poll(&p, 1, 9000), 0);
  EXPECT_EQ(::recv(fd, &b, 1, 0), 0);
  const auto closed_after = std::chrono::steady_clock::now() - quiet;
  EXPECT_GE(closed_after, std::chrono::milliseconds(2500));
  EXPECT_LT(closed_after, std::chrono::milliseconds(6000));
  ::close(fd);
}

TEST_F(DaemonTest, MalformedHttpGets400) {
  start();
  std::string answer = raw_exchange(daemon_.port(), "BLAH\r\n\r\n", std::chrono::seconds(5));
  EXPECT_NE(answer.find("400"), std::string::npos) << answer;
}

TEST_F(DaemonTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  start();
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto started = std::chrono::steady_clock::now();
  std::string answer = raw_exchange(daemon_.port(), req, std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(answer.find("200 OK"), std::string::npos);
  EXPECT_GE(took, std::chrono::milliseconds(2500));  // idle_timeout is 3 s
  EXPECT_LT(took, std::chrono::milliseconds(9000));
}

TEST_F(DaemonTest, ManyConcurrentClientsAllStoredOnce) {
  start();
  constexpr int kThreads = 16, kPerThread = 40;
  std::atomic<int> ok{0}, dup{0};
  auto body = [](int t, int i) {
    return R"({"id":"c-)" + std::to_string(t) + "-" + std::to_string(i) + R"("})";
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      HttpClient c(daemon_.port());
      for (int i = 0; i < kPerThread; ++i) {
        // Two clients send each event, concurrently: one stores it, one sees a duplicate.
        auto r = c.post("/event/app", body(t / 2, i), {{"X-Event-Type", "t"}});
        if (!r || r->status != 200) continue;
        auto o = parse_object(r->body);
        ok += static_cast<int>(o.at("accepted").as_int64());
        dup += static_cast<int>(o.at("duplicates").as_int64());
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads / 2 * kPerThread);
  EXPECT_EQ(dup.load(), kThreads / 2 * kPerThread);
}

TEST_F(DaemonTest, TlsIngestWithGeneratedCertificate) {
  auto certs = make_test_certs(dir_.path());
  start_with(base_config(db_path(), "tls = { cert = \"" + certs.server_cert + "\", key = \"" +
                                        certs.server_key + "\" }\n"));
  HttpClient c(daemon_.port(), certs.ca_cert);
  auto r = c.post("/event", test_data("opteryx/01-dataset-create.json"));
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200) << r->body;
  auto again = c.post("/event", test_data("opteryx/01-dataset-create.json"));
  ASSERT_TRUE(again) << c.error();
  EXPECT_EQ(parse_object(again->body).at("duplicates").as_int64(), 1);
  EXPECT_EQ(c.connects(), 1);
  // A plain-text client to the TLS port gets no answer, and the daemon lives on.
  raw_exchange(daemon_.port(), "GET /healthz HTTP/1.1\r\n\r\n", std::chrono::milliseconds(500));
  HttpClient c2(daemon_.port(), certs.ca_cert);
  EXPECT_TRUE(c2.request("GET", "/healthz", "", {}));
}

TEST_F(DaemonTest, ListensOnIpv6Loopback) {
  start_with(base_config(db_path(), "", R"("127.0.0.1:0", "[::1]:0")"));
  ASSERT_EQ(daemon_.ports().size(), 2u);
  HttpClient c(daemon_.ports()[1], "", "::1");
  auto r = c.post("/event", test_data("opteryx/04-dataset-delete.json"));
  ASSERT_TRUE(r) << c.error();
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(DaemonTest, SigtermExitsZeroAndKeepsWhatWasAcknowledged) {
  start();
  HttpClient c(daemon_.port());
  ASSERT_EQ(post_minio(c, test_data("minio/02-put-user-metadata.json"))->status, 200);
  EXPECT_EQ(daemon_.stop(SIGTERM), 0) << daemon_.log();
  start();
  HttpClient c2(daemon_.port());
  auto r = post_minio(c2, test_data("minio/02-put-user-metadata.json"));
  ASSERT_TRUE(r);
  EXPECT_EQ(parse_object(r->body).at("duplicates").as_int64(), 1);
}

}  // namespace
}  // namespace hookd::test
