// End to end: [delivery] deny_destinations is checked on the resolved
// address before connecting; a refused delivery is never sent, goes dead at
// once (no later attempt could do better) and says why in its history.
#include "tests/integration/delivery_fixture.hpp"

#include <boost/json/parse.hpp>

#include <thread>

namespace hookd::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class DestinationGuardTest : public DaemonTest {};

TEST_F(DestinationGuardTest, DeniedRangeIsNeverConnectedToAndTheDeliveryGoesDead) {
  SinkServer sink;
  start_with(delivery_config(db_path(),
                             sink_sub("s", http_url(sink), "\"app.*\"",
                                      "retry = { attempts = 5, base = \"50ms\", cap = \"100ms\" }\n"),
                             "deny_destinations = [\"127.0.0.0/8\"]"));
  HttpClient c(daemon_.port());
  auto r = c.post("/event/app", R"({"id":"g1"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string delivery = std::string(json::parse(r->body).at("ids").at(0).as_string()) + ".0";
  for (int i = 0; i < 200 && daemon_.log().find("delivery.dead") == std::string::npos; ++i)
    std::this_thread::sleep_for(25ms);
  ASSERT_NE(daemon_.log().find("delivery.dead"), std::string::npos) << daemon_.log();
  EXPECT_EQ(sink.connections_accepted(), 0u) << "nothing was sent";
  ASSERT_TRUE(daemon_.stop(SIGTERM));

  auto store = open_store(db_path());
  auto d = store->get_delivery(delivery);
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->state, DeliveryState::dead);
  EXPECT_EQ((*d)->attempts, 1u) << "not retried";
  auto attempts = store->attempts_of(delivery);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ(attempts->at(0).error, "destination_not_allowed: 127.0.0.1 is in a denied range");
}

TEST_F(DestinationGuardTest, ConfigSubscriptionsMayTargetLoopbackByDefault) {
  SinkServer sink;
  start_with(delivery_config(db_path(), sink_sub("s", http_url(sink), "\"app.*\"")));
  HttpClient c(daemon_.port());
  auto r = c.post("/event/app", R"({"id":"g2"})", {{"X-Event-Type", "app.created"}});
  ASSERT_TRUE(r);
  EXPECT_TRUE(sink.wait_for_requests(1, 10s)) << "the operator's own private target";
}

}  // namespace
}  // namespace hookd::test
