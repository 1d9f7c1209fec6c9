// End to end: events POSTed to the real daemon reach real HTTP(S) sinks,
// signed, retried, dead-lettered or paused as SPEC section 4 says.
#include "core/errors.hpp"
#include "tests/integration/delivery_fixture.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <map>
#include <set>
#include <thread>

namespace hookd::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kSecret1 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSecret2 = "whsec_c2Vjb25kLXNlY3JldC1mb3ItaG9va2QtdGVzdHM=";
constexpr const char* kFastRetry = "retry = { attempts = 5, base = \"100ms\", cap = \"200ms\" }\n";

std::string first_id(const HttpResult& r) {
  return std::string(json::parse(r.body).at("ids").at(0).as_string());
}

class DeliveryTest : public DaemonTest {};

TEST_F(DeliveryTest, MinioAndOpteryxSamplesArriveByteForByteAndSigned) {
  SinkServer objects, catalog;
  start_with(delivery_config(
      db_path(),
      sink_sub("objects", http_url(objects), "\"s3:ObjectCreated:*\"",
               "secret = [\"" + std::string(kSecret1) + "\", \"" + kSecret2 + "\"]\n") +
          sink_sub("datasets", http_url(catalog, "/catalog?team=data"), "\"dataset.*\"",
                   "secret = \"" + std::string(kSecret2) + "\"\nheaders = { \"X-Team\" = \"data\" }\n")));
  HttpClient c(daemon_.port());
  std::string minio = test_data("minio/01-put-small.json");
  std::string opteryx = test_data("opteryx/01-dataset-create.json");
  auto r1 = post_minio(c, minio);
  auto r2 = c.post("/event", opteryx);
  ASSERT_TRUE(r1 && r2);
  ASSERT_EQ(r1->status, 200) << r1->body;
  ASSERT_TRUE(objects.wait_for_requests(1, 10s));
  ASSERT_TRUE(catalog.wait_for_requests(1, 10s));

  auto m = objects.requests().at(0);
  EXPECT_EQ(m.method, "POST");
  EXPECT_EQ(m.target, "/hook");
  EXPECT_EQ(m.body, minio);
  EXPECT_EQ(m.header("content-type"), "application/json");
  EXPECT_EQ(m.header("webhook-id"), first_id(*r1) + ".0");
  EXPECT_EQ(m.header("hookd-event-type"), "s3:ObjectCreated:Put");
  EXPECT_EQ(m.header("hookd-source"), "minio");
  EXPECT_EQ(m.header("hookd-attempt"), "1");
  EXPECT_EQ(m.header("user-agent").rfind("hookd/", 0), 0u);
  std::string ts = m.header("webhook-timestamp");
  EXPECT_NEAR(std::stoll(ts), std::time(nullptr), 30);
  std::string sig = m.header("webhook-signature");
  EXPECT_EQ(sig, expected_signature(kSecret1, m.header("webhook-id"), ts, m.body) + " " +
                     expected_signature(kSecret2, m.header("webhook-id"), ts, m.body));

  auto o = catalog.requests().at(0);
  EXPECT_EQ(o.target, "/catalog?team=data");
  EXPECT_EQ(o.body, opteryx);
  EXPECT_EQ(o.header("x-team"), "data");
  EXPECT_EQ(o.header("hookd-event-type"), "dataset.create");
  EXPECT_EQ(o.header("webhook-signature"),
            expected_signature(kSecret2, o.header("webhook-id"), o.header("webhook-timestamp"), o.body));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(objects.request_count(), 1u) << "delivered once, not again";
}

TEST_F(DeliveryTest, CloudEventsInEachContentModeArriveWithTheirAttributes) {
  SinkServer sink;
  start_with(delivery_config(db_path(), "\n[[source]]\nname = \"ce\"\nformat = \"cloudevents\"\n" +
                                            sink_sub("ce", http_url(sink), "\"ce.*\"")));
  HttpClient c(daemon_.port());
  const std::string batch =
      R"([{"specversion":"1.0","id":"b-1","source":"/s","type":"ce.one","data":{"n":1}},)"
      R"({"specversion":"1.0","id":"b-2","source":"/s","type":"ce.two"}])";
  auto b = c.request("POST", "/event", batch,
                     {{"Content-Type", "application/cloudevents-batch+json"}});
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_EQ(json::parse(b->body).at("accepted"), 2);
  auto bin = c.request("POST", "/event", R"({"n":3})",
                       {{"Content-Type", "application/json"},
                        {"ce-specversion", "1.0"},
                        {"ce-id", "bin-1"},
                        {"ce-source", "/s"},
                        {"ce-type", "ce.three"},
                        {"ce-subject", "caf%C3%A9"}});
  auto empty = c.request("POST", "/event", "",
                         {{"ce-specversion", "1.0"},
                          {"ce-id", "bin-2"},
                          {"ce-source", "/s"},
                          {"ce-type", "ce.four"}});
  auto text = c.request("POST", "/event", "plain words",
                        {{"Content-Type", "text/plain"},
                         {"ce-specversion", "1.0"},
                         {"ce-id", "bin-3"},
                         {"ce-source", "/s"},
                         {"ce-type", "ce.five"}});
  ASSERT_TRUE(bin && empty && text);
  ASSERT_EQ(bin->status, 200) << bin->body;
  ASSERT_EQ(empty->status, 200) << empty->body;
  ASSERT_EQ(text->status, 200) << text->body;
  // Without data only a CloudEvents source takes an empty body.
  auto not_ce = c.request("POST", "/event/app", "",
                          {{"ce-specversion", "1.0"}, {"ce-id", "x"}, {"ce-source", "/s"},
                           {"ce-type", "ce.x"}});
  ASSERT_TRUE(not_ce);
  EXPECT_EQ(not_ce->status, 400) << not_ce->body;
  auto old = c.request("POST", "/event", R"({"specversion":"0.3","id":"o","source":"/s","type":"ce.x"})",
                       {{"Content-Type", "application/cloudevents+json"}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 400) << old->body;

  ASSERT_TRUE(sink.wait_for_requests(5, 10s));
  std::map<std::string, json::object> by_id;
  for (const auto& r : sink.requests()) {
    EXPECT_EQ(r.header("content-type"), "application/cloudevents+json");
    json::object o = json::parse(r.body).as_object();
    by_id[std::string(o.at("id").as_string())] = o;
  }
  ASSERT_EQ(by_id.size(), 5u);
  EXPECT_EQ(by_id["b-1"].at("data").at("n"), 1);
  EXPECT_EQ(by_id["b-2"].at("type"), "ce.two");
  EXPECT_EQ(by_id["bin-1"].at("subject"), "caf\u00e9");
  EXPECT_EQ(by_id["bin-1"].at("data").at("n"), 3);
  EXPECT_EQ(by_id["bin-1"].at("datacontenttype"), "application/json");
  EXPECT_FALSE(by_id["bin-2"].contains("data"));
  EXPECT_EQ(by_id["bin-3"].at("data"), "plain words");
  EXPECT_EQ(by_id["bin-3"].at("datacontenttype"), "text/plain");
}

TEST_F(DeliveryTest, FailingSinkIsRetriedWithTheSameIdAndAttemptsAreRecorded) {
  SinkServer sink;
  sink.push(SinkAction::reply(500, {}, "boom"));
  sink.push(SinkAction::reply(502));
  start_with(delivery_config(db_path(), sink_sub("s", http_url(sink), "\"app.*\"", kFastRetry)));
  HttpClient c(daemon_.port());
  auto r = c.post("/event/app", R"({"id":"r1"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  ASSERT_TRUE(sink.wait_for_requests(3, 10s));
  std::this_thread::sleep_for(300ms);
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(reqs[i].header("webhook-id"), first_id(*r) + ".0");
    EXPECT_EQ(reqs[i].header("hookd-attempt"), std::to_string(i + 1));
  }
  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  auto store = open_store(db_path());
  ASSERT_TRUE(store);
  auto d = store->get_delivery(first_id(*r) + ".0");
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->state, DeliveryState::delivered);
  EXPECT_EQ((*d)->attempts, 3u);
  auto attempts = store->attempts_of((*d)->id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 3u);
  EXPECT_EQ((*attempts)[0].status, 500);
  EXPECT_EQ((*attempts)[0].response_excerpt, "boom");
  EXPECT_EQ((*attempts)[1].status, 502);
  EXPECT_EQ((*attempts)[2].status, 204);
}

TEST_F(DeliveryTest, RetryAfterIsHonoured) {
  SinkServer sink;
  sink.push(SinkAction::reply(503, {{"Retry-After", "2"}}));
  // Backoff alone would retry within 100 ms; Retry-After (up to cap) says 2 s.
  start_with(delivery_config(
      db_path(), sink_sub("s", http_url(sink), "\"app.*\"",
                          "retry = { attempts = 5, base = \"100ms\", cap = \"5s\" }\n")));
  HttpClient c(daemon_.port());
  ASSERT_TRUE(c.post("/event/app", R"({"id":"ra"})", {{"X-Event-Type", "app.x"}}));
  ASSERT_TRUE(sink.wait_for_requests(2, 10s));
  auto reqs = sink.requests();
  EXPECT_GE(reqs[1].received - reqs[0].received, 1900ms);
}

TEST_F(DeliveryTest, RetriesBeyondTenSecondsWaitOnTheCoarseWheel) {
  SinkServer sink;
  sink.push(SinkAction::reply(429, {{"Retry-After", "12"}}));
  start_with(delivery_config(
      db_path(), sink_sub("s", http_url(sink), "\"app.*\"",
                          "retry = { attempts = 5, base = \"100ms\", cap = \"1m\" }\n")));
  HttpClient c(daemon_.port());
  ASSERT_TRUE(c.post("/event/app", R"({"id":"far"})", {{"X-Event-Type", "app.x"}}));
  ASSERT_TRUE(sink.wait_for_requests(2, 20s));
  auto reqs = sink.requests();
  auto gap = reqs[1].received - reqs[0].received;
  EXPECT_GE(gap, 11900ms);
  EXPECT_LE(gap, 14s) << "at most one coarse tick late";
}

TEST_F(DeliveryTest, DeadLetteredAfterAttemptsAreSpent) {
  SinkServer sink;
  sink.set_default(SinkAction::reply(500));
  start_with(delivery_config(
      db_path(), sink_sub("s", http_url(sink), "\"app.*\"",
                          "retry = { attempts = 3, base = \"50ms\", cap = \"100ms\" }\n")));
  HttpClient c(daemon_.port());
  auto r = c.post("/event/app", R"({"id":"dead"})", {{"X-Event-Type", "app.x"}});
  ASSERT_TRUE(sink.wait_for_requests(3, 10s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.request_count(), 3u);
  EXPECT_NE(daemon_.log().find("delivery.dead"), std::string::npos);
  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  auto store = open_store(db_path());
  auto d = store->get_delivery(first_id(*r) + ".0");
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->state, DeliveryState::dead);
  auto dead = store->list_deliveries("s", DeliveryState::dead, "", 10);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->size(), 1u);
}

TEST_F(DeliveryTest, GonePausesTheSubscriptionAcrossRestarts) {
  SinkServer sink, other;
  sink.push(SinkAction::reply(410));
  std::string cfg = delivery_config(db_path(), sink_sub("s", http_url(sink), "\"app.*\"", kFastRetry) +
                                                   sink_sub("o", http_url(other), "\"app.*\""));
  start_with(cfg);
  HttpClient c(daemon_.port());
  ASSERT_TRUE(c.post("/event/app", R"({"id":"g1"})", {{"X-Event-Type", "app.x"}}));
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  // The pause takes effect once the 410 is recorded; wait for it.
  for (int i = 0; i < 200 && daemon_.log().find("subscription.paused") == std::string::npos; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(c.post("/event/app", R"({"id":"g2"})", {{"X-Event-Type", "app.x"}}));
  ASSERT_TRUE(other.wait_for_requests(2, 10s)) << "the other subscription keeps receiving";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.request_count(), 1u);
  daemon_.kill9();
  start_with(cfg);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.request_count(), 1u) << "still paused after a restart";
}

TEST_F(DeliveryTest, UntrustedCertificateIsAFailedAttemptWithAClearError) {
  TempDir sink_dir, other_ca_dir;
  auto certs = make_test_certs(sink_dir.path());
  auto other = make_test_certs(other_ca_dir.path());
  SinkServer sink({certs.server_cert, certs.server_key});
  start_with(delivery_config(
      db_path(), sink_sub("s", https_url(sink), "\"app.*\"",
                          "retry = { attempts = 1, base = \"50ms\", cap = \"50ms\" }\n"
                          "tls = { ca = \"" + other.ca_cert + "\" }\n")));
  HttpClient c(daemon_.port());
  auto r = c.post("/event/app", R"({"id":"tls1"})", {{"X-Event-Type", "app.x"}});
  ASSERT_TRUE(r);
  for (int i = 0; i < 100 && daemon_.log().find("delivery.dead") == std::string::npos; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.request_count(), 0u);
  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  auto store = open_store(db_path());
  auto attempts = store->attempts_of(first_id(*r) + ".0");
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].status, 0);
  // The stored text names the code; what follows is OpenSSL's, for people.
  EXPECT_TRUE((*attempts)[0].error.starts_with(
      std::string(to_string(delivery_errc::tls_verify_failed)) + ": "))
      << (*attempts)[0].error;
}

TEST_F(DeliveryTest, CustomCaAndClientCertificate) {
  TempDir dir;
  auto certs = make_test_certs(dir.path());
  SinkServer sink({certs.server_cert, certs.server_key, certs.ca_cert});
  start_with(delivery_config(
      db_path(), sink_sub("s", https_url(sink), "\"app.*\"",
                          "tls = { ca = \"" + certs.ca_cert + "\", cert = \"" + certs.client_cert +
                              "\", key = \"" + certs.client_key + "\" }\n")));
  HttpClient c(daemon_.port());
  ASSERT_TRUE(c.post("/event/app", R"({"id":"mtls"})", {{"X-Event-Type", "app.x"}}));
  ASSERT_TRUE(sink.wait_for_requests(1, 10s));
  EXPECT_EQ(sink.requests()[0].body, R"({"id":"mtls"})");
}

TEST_F(DeliveryTest, ThousandDeliveriesReuseAtMostThePoolsConnections) {
  SinkServer sink;
  start_with(delivery_config(db_path(), sink_sub("s", http_url(sink), "\"app.*\""),
                             "connections_per_origin = 4"));
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&, t] {
      HttpClient c(daemon_.port());
      for (int i = 0; i < 250; ++i)
        c.post("/event/app", R"({"id":"k)" + std::to_string(t) + "-" + std::to_string(i) + "\"}",
               {{"X-Event-Type", "app.x"}});
    });
  for (auto& s : senders) s.join();
  ASSERT_TRUE(sink.wait_for_requests(1000, 30s)) << sink.request_count();
  EXPECT_LE(sink.connections_accepted(), 4u);
}

TEST_F(DeliveryTest, HangingSubscriberDoesNotDelayAnother) {
  SinkServer hang, fine;
  hang.set_default(SinkAction::hang_up());
  start_with(delivery_config(
      db_path(), sink_sub("hang", http_url(hang), "\"app.*\"", "timeout = \"5s\"\nmax_in_flight = 4\n") +
                     sink_sub("fine", http_url(fine), "\"app.*\"")));
  HttpClient c(daemon_.port());
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(c.post("/event/app", R"({"id":"h)" + std::to_string(i) + "\"}",
                       {{"X-Event-Type", "app.x"}}));
  ASSERT_TRUE(fine.wait_for_requests(40, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_LE(hang.request_count(), 4u) << "at most max_in_flight hang at once";
}

TEST_F(DeliveryTest, FailingOriginIsProbedOneAtATimeThenDrains) {
  SinkServer sink;
  SinkAction fail = SinkAction::reply(500);
  fail.delay = 50ms;
  sink.set_default(fail);
  start_with(delivery_config(
      db_path(), sink_sub("s", http_url(sink), "\"app.*\"",
                          "retry = { attempts = 100, base = \"100ms\", cap = \"300ms\" }\n"
                          "max_in_flight = 8\n")));
  std::set<std::string> ids;
  {
    HttpClient c(daemon_.port());
    for (int i = 0; i < 30; ++i) {
      auto r = c.post("/event/app", R"({"id":"o)" + std::to_string(i) + "\"}",
                      {{"X-Event-Type", "app.x"}});
      ASSERT_TRUE(r && r->status == 200);
      ids.insert(first_id(*r) + ".0");
    }
  }
  std::this_thread::sleep_for(2s);
  // Unprobed, 30 deliveries retrying every 100-300 ms would make ~200 requests
  // in 2 s; probing sends one at a time, each waiting for the last to fail.
  auto reqs = sink.requests();
  EXPECT_LT(reqs.size(), 60u);
  std::size_t overlapping = 0;
  for (std::size_t i = 12; i + 1 < reqs.size(); ++i)
    if (reqs[i + 1].received - reqs[i].received < 40ms) ++overlapping;
  EXPECT_LE(overlapping, 1u) << "probes overlap";
  EXPECT_NE(daemon_.log().find("origin.failing"), std::string::npos);

  const std::size_t before = sink.request_count();
  sink.set_default(SinkAction::reply(204));
  auto started = std::chrono::steady_clock::now();
  std::set<std::string> delivered;
  while (delivered.size() < ids.size() && std::chrono::steady_clock::now() - started < 10s) {
    auto now = sink.requests();
    for (std::size_t i = before; i < now.size(); ++i) delivered.insert(now[i].header("webhook-id"));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(delivered, ids);
  EXPECT_NE(daemon_.log().find("origin.recovered"), std::string::npos);
}

TEST_F(DeliveryTest, DeliveriesHeldByAFailingOriginAreNotStrandedWhenItsProbeDies) {
  SinkServer sink;
  sink.set_default(SinkAction::reply(500));
  start_with(delivery_config(
      db_path(), sink_sub("s", http_url(sink), "\"app.*\"",
                          "retry = { attempts = 2, base = \"50ms\", cap = \"100ms\" }\n"
                          "max_in_flight = 1\n")));
  HttpClient c(daemon_.port());
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(c.post("/event/app", R"({"id":"s)" + std::to_string(i) + "\"}",
                       {{"X-Event-Type", "app.x"}}));
  // Every delivery gets its two attempts and dies; none waits forever.
  auto deadline = std::chrono::steady_clock::now() + 15s;
  auto dead = [&] {
    std::size_t n = 0;
    for (auto at = daemon_.log().find("delivery.dead"); at != std::string::npos;
         at = daemon_.log().find("delivery.dead", at + 1))
      ++n;
    return n;
  };
  while (dead() < 6 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(dead(), 6u) << daemon_.log();
}

TEST_F(DeliveryTest, Kill9WithPendingDeliveriesLosesNone) {
  SinkServer sink;
  // 400 rather than 5xx: every delivery gets its own attempt and retry timer
  // (a failing origin would hold most of them back unattempted instead).
  sink.set_default(SinkAction::reply(400));
  std::string cfg = delivery_config(
      db_path(), sink_sub("s", http_url(sink), "\"app.*\"",
                          "retry = { attempts = 50, base = \"200ms\", cap = \"1s\" }\n"));
  start_with(cfg);
  std::set<std::string> expected;
  {
    HttpClient c(daemon_.port());
    for (int i = 0; i < 60; ++i) {
      auto r = c.post("/event/app", R"({"id":"p)" + std::to_string(i) + "\"}",
                      {{"X-Event-Type", "app.x"}});
      ASSERT_TRUE(r && r->status == 200);
      expected.insert(first_id(*r) + ".0");
    }
  }
  ASSERT_TRUE(sink.wait_for_requests(60, 10s));  // attempted, retries now scheduled
  daemon_.kill9();
  sink.set_default(SinkAction::reply(204));
  const std::size_t before = sink.request_count();  // everything after this got a 204
  start_with(cfg);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::set<std::string> delivered;
  while (std::chrono::steady_clock::now() < deadline && delivered.size() < expected.size()) {
    auto reqs = sink.requests();
    for (std::size_t i = before; i < reqs.size(); ++i) delivered.insert(reqs[i].header("webhook-id"));
    std::this_thread::sleep_for(100ms);
  }
  for (const auto& id : expected) EXPECT_TRUE(delivered.count(id)) << id << " never retried";
  // Those answered 204 after the restart are delivered and not sent again.
  ASSERT_EQ(daemon_.stop(SIGTERM), 0);
  auto store = open_store(db_path());
  for (const auto& id : expected) {
    auto d = store->get_delivery(id);
    ASSERT_TRUE(d && *d);
    EXPECT_EQ((*d)->state, DeliveryState::delivered) << id;
  }
}

}  // namespace
}  // namespace hookd::test
