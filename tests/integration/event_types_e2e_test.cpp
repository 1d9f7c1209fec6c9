// GET /v1/event-types and hookctl event-types against the real daemon: what
// is counted (accepted events, not duplicates, refusals or replays), the
// source filter, durability across kill -9 and SIGTERM, the cap and the
// switch (docs/admin-api.md, Event types).
#include "tests/integration/admin_fixture.hpp"

#include "core/formats/parsers.hpp"

#include <chrono>
#include <map>

namespace hookd::test {
namespace {

using namespace std::chrono_literals;

class EventTypesE2eTest : public AdminTest {
 protected:
  std::string config(const std::string& storage_lines = "") {
    std::string text =
        delivery_config(db_path(), sink_sub("s", http_url(sink_), "\"app.created\"")) +
        admin_table();
    text.replace(text.find("[storage]\n"), 10, "[storage]\n" + storage_lines);
    return text;
  }
  void start_catalog(const std::string& storage_lines = "") {
    start_with(config(storage_lines));
    ASSERT_NE(daemon_.admin_port(), 0) << daemon_.log();
  }
  // After a stop: the next start has other ports.
  void restart(const std::string& storage_lines = "") {
    admin_client_.reset();
    ingest_client_.reset();
    start_catalog(storage_lines);
  }

  // count by "source/type" from GET /v1/event-types[query].
  std::map<std::string, std::int64_t> counts(const std::string& query = "") {
    std::map<std::string, std::int64_t> out;
    auto v = get("/v1/event-types" + query);
    if (!v.is_object()) return out;
    for (const auto& e : v.at("event_types").as_array()) {
      const auto& o = e.as_object();
      out[std::string(o.at("source").as_string()) + "/" + std::string(o.at("type").as_string())] =
          o.at("count").as_int64();
    }
    return out;
  }

  std::optional<HttpResult> post_minio_body(const std::string& body) {
    if (!ingest_client_) ingest_client_ = std::make_unique<HttpClient>(daemon_.port());
    return post_minio(*ingest_client_, body);
  }

  SinkServer sink_;
};

TEST_F(EventTypesE2eTest, CountsAcceptedEventsPerSourceAndTypeAndFiltersBySource) {
  start_catalog();
  const std::int64_t before = wall_now_ms();
  post_app("1", "app.created");
  post_app("2", "app.created");
  post_app("3", "app.deleted");  // matches no subscription: unrouted, still received
  auto minio = post_minio_body(minio_records("k", 2));
  ASSERT_TRUE(minio);
  ASSERT_EQ(minio->status, 200) << minio->body;

  // Not counted: duplicates, and requests refused before anything is stored.
  post_app("1", "app.created");
  auto again = post_minio_body(minio_records("k", 2));
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->body).at("duplicates").as_int64(), 2);
  HttpClient raw(daemon_.port());
  auto bad = raw.post("/event/app", "{not json", {{"X-Event-Type", "app.bad"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto unauthorized = raw.post("/event/minio", minio_records("u", 1), {});
  ASSERT_TRUE(unauthorized);
  EXPECT_EQ(unauthorized->status, 401);

  auto all = get("/v1/event-types");
  ASSERT_TRUE(all.is_object());
  EXPECT_EQ(all.at("dropped").as_int64(), 0);
  const auto& list = all.at("event_types").as_array();
  ASSERT_EQ(list.size(), 3u) << json::serialize(all);
  // Sorted by source, then type.
  EXPECT_EQ(list[0].at("type").as_string(), "app.created");
  EXPECT_EQ(list[1].at("type").as_string(), "app.deleted");
  EXPECT_EQ(list[2].at("source").as_string(), "minio");
  EXPECT_EQ(list[2].at("type").as_string(), "s3:ObjectCreated:Put");
  EXPECT_EQ(list[2].at("count").as_int64(), 2);
  const std::int64_t after = wall_now_ms();
  for (const auto& e : list) {
    auto first = parse_rfc3339_ms(e.at("first_seen").as_string());
    auto last = parse_rfc3339_ms(e.at("last_seen").as_string());
    ASSERT_TRUE(first && last) << json::serialize(e);
    EXPECT_LE(before, *first);
    EXPECT_LE(*first, *last);
    EXPECT_LE(*last, after);
  }
  EXPECT_EQ(counts(), (std::map<std::string, std::int64_t>{{"app/app.created", 2},
                                                           {"app/app.deleted", 1},
                                                           {"minio/s3:ObjectCreated:Put", 2}}));
  EXPECT_EQ(counts("?source=minio"),
            (std::map<std::string, std::int64_t>{{"minio/s3:ObjectCreated:Put", 2}}));
  EXPECT_TRUE(counts("?source=nope").empty());

  // A replay re-delivers stored events: it receives nothing new.
  ASSERT_TRUE(sink_.wait_for_requests(2, 10s));
  auto replayed = post("/v1/subscriptions/s/replay", 200,
                       R"({"since":")" + format_rfc3339_ms(before - 1000) + R"("})");
  EXPECT_EQ(replayed.at("replayed").as_int64(), 2);
  EXPECT_EQ(counts()["app/app.created"], 2);

  auto unknown = admin("GET", "/v1/event-types?type=x");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(json::parse(unknown->body).at("error").as_string(), "unknown parameter 'type'");
  auto method = admin("POST", "/v1/event-types");
  ASSERT_TRUE(method);
  EXPECT_EQ(method->status, 405);
  auto no_token = admin("GET", "/v1/event-types", "", "");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 401);
}

TEST_F(EventTypesE2eTest, ANewTypeAckedJustBeforeKill9IsListedAfterRestart) {
  start_catalog();
  post_app("a1", "before.crash");
  post_app("a2", "before.crash");
  // The ack of this event is the last thing before the kill: its new type
  // must have been written with it.
  post_app("c1", "new.at.crash");
  daemon_.kill9();

  restart();
  auto c = counts();
  ASSERT_TRUE(c.count("app/new.at.crash")) << daemon_.log();
  // Counts may lag by the flush interval: at least the introducing event.
  EXPECT_GE(c["app/new.at.crash"], 1);
  EXPECT_GE(c["app/before.crash"], 1);
  EXPECT_LE(c["app/before.crash"], 2);
  // And counting goes on from there.
  const std::int64_t was = c["app/new.at.crash"];
  post_app("c2", "new.at.crash");
  EXPECT_EQ(counts()["app/new.at.crash"], was + 1);
}

TEST_F(EventTypesE2eTest, CountsAreExactAfterSigtermAndRestart) {
  start_catalog();
  for (int i = 0; i < 5; ++i) post_app("t" + std::to_string(i), "term.a");
  post_app("u", "term.b");
  const auto before = get("/v1/event-types");
  ASSERT_EQ(daemon_.stop(SIGTERM), 0) << daemon_.log();

  restart();
  EXPECT_EQ(get("/v1/event-types"), before);  // counts and times, exactly
  EXPECT_EQ(counts(), (std::map<std::string, std::int64_t>{{"app/term.a", 5}, {"app/term.b", 1}}));
  post_app("t0", "term.a");  // a duplicate across the restart
  post_app("t9", "term.a");
  EXPECT_EQ(counts()["app/term.a"], 6);
}

TEST_F(EventTypesE2eTest, TheCapDropsNewPairsAndCountsThemInMetrics) {
  start_catalog("max_event_types = 2\n");
  post_app("1", "cap.one");
  post_app("2", "cap.two");
  post_app("3", "cap.three");  // accepted and stored, but not catalogued
  post_app("4", "cap.one");
  auto v = get("/v1/event-types");
  EXPECT_EQ(v.at("event_types").as_array().size(), 2u);
  EXPECT_EQ(v.at("dropped").as_int64(), 1);
  auto m = admin("GET", "/metrics", "", "");
  ASSERT_TRUE(m);
  EXPECT_TRUE(contains(m->body, "\nhookd_event_types 2\n")) << m->body;
  EXPECT_TRUE(contains(m->body, "\nhookd_event_types_dropped_total 1\n")) << m->body;

  auto table = hookctl({"event-types"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(contains(table.output, "1 events since start not catalogued")) << table.output;
}

TEST_F(EventTypesE2eTest, SwitchedOffTheEndpointAnswers404) {
  start_catalog("event_types = false\n");
  post_app("1", "off.type");
  auto r = admin("GET", "/v1/event-types");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body).at("error").as_string(),
            "the event-type catalog is off ([storage] event_types = false)");
  auto m = admin("GET", "/metrics", "", "");
  ASSERT_TRUE(m);
  EXPECT_TRUE(contains(m->body, "\nhookd_event_types 0\n")) << m->body;
  auto cli = hookctl({"event-types"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_TRUE(contains(cli.output, "the event-type catalog is off")) << cli.output;
}

TEST_F(EventTypesE2eTest, HookctlPrintsTheTableAndTheJson) {
  start_catalog();
  post_app("1", "cli.created");
  post_app("2", "cli.created");
  auto minio = post_minio_body(minio_records("k", 1));
  ASSERT_TRUE(minio);
  ASSERT_EQ(minio->status, 200);

  auto table = hookctl({"event-types"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.rfind("SOURCE  TYPE                  COUNT  FIRST SEEN", 0), 0u)
      << table.output;
  EXPECT_TRUE(contains(table.output, "app     cli.created               2  ")) << table.output;
  EXPECT_TRUE(contains(table.output, "minio   s3:ObjectCreated:Put      1  ")) << table.output;

  auto filtered = hookctl({"event-types", "--source", "minio"});
  EXPECT_EQ(filtered.exit_code, 0) << filtered.output;
  EXPECT_FALSE(contains(filtered.output, "cli.created")) << filtered.output;
  EXPECT_TRUE(contains(filtered.output, "s3:ObjectCreated:Put")) << filtered.output;

  auto none = hookctl({"event-types", "--source", "nope"});
  EXPECT_EQ(none.output, "no event types\n");

  auto as_json = hookctl({"--json", "event-types"});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.output;
  auto v = json::parse(as_json.output);
  EXPECT_EQ(v, get("/v1/event-types"));
  EXPECT_EQ(v.at("event_types").as_array().size(), 2u);
}

}  // namespace
}  // namespace hookd::test
