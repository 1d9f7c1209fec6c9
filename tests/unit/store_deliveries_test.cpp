#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>

namespace hookd::storage {
namespace {

using namespace store_test;

// Attempt records, the by_state index behind list/count, subscription states.
class StoreDeliveriesTest : public StoreTest {};

using Counts = std::map<std::pair<std::string, DeliveryState>, std::uint64_t>;
constexpr auto kPending = DeliveryState::pending;
constexpr auto kDelivered = DeliveryState::delivered;
constexpr auto kDead = DeliveryState::dead;

Counts counts(Store& store) {
  auto c = store.count_deliveries();
  EXPECT_TRUE(c) << c.error().message();
  return c ? *c : Counts();
}

std::vector<std::string> listed(Store& store, std::string_view subscription,
                                std::optional<DeliveryState> state,
                                std::string_view after = "",
                                std::size_t limit = 100) {
  auto ds = store.list_deliveries(subscription, state, after, limit);
  EXPECT_TRUE(ds) << ds.error().message();
  return ds ? ids_of(*ds) : std::vector<std::string>();
}

TEST_F(StoreDeliveriesTest, AttemptsAreRecordedWithTheUpdateInNumericOrder) {
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 11);
  ASSERT_FALSE(submit_and_wait(*store, {r}));
  Delivery d = r.deliveries[1];
  // 300 > 255 checks that numbers sort as numbers, not as varint bytes.
  for (std::uint32_t n : {2u, 300u, 1u}) {
    d.attempts = n;
    d.next_attempt_ms = kNow + n;
    ASSERT_FALSE(record_and_wait(*store, {{d, make_attempt(n)}}));
  }
  auto attempts = store->attempts_of(d.id);
  ASSERT_TRUE(attempts);
  EXPECT_EQ(numbers_of(*attempts), (std::vector<std::uint32_t>{1, 2, 300}));
  const Attempt& a = (*attempts)[2];
  EXPECT_EQ(a.started_ms, kNow + 300);
  EXPECT_EQ(a.latency_us, 300'000);
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(a.response_excerpt, "oops 300");
  EXPECT_EQ((*store->get_delivery(d.id))->attempts, 1u);  // the last update

  // "E.1" and "E.10" are different deliveries; "E.1\0" covers only one.
  const std::string ten = r.deliveries[10].id;
  EXPECT_TRUE(store->attempts_of(ten)->empty());
  ASSERT_FALSE(record_and_wait(*store, {{r.deliveries[10], make_attempt(1)}}));
  EXPECT_EQ(store->attempts_of(ten)->size(), 1u);
  EXPECT_EQ(store->attempts_of(d.id)->size(), 3u);
  EXPECT_TRUE(store->attempts_of("nope")->empty());
  // An update without an attempt records none.
  ASSERT_FALSE(update_and_wait(*store, {r.deliveries[2]}));
  EXPECT_TRUE(store->attempts_of(r.deliveries[2].id)->empty());
}

TEST_F(StoreDeliveriesTest, AttemptAndStateChangeAreAllOrNothing) {
  auto fail = std::make_shared<std::atomic<bool>>(false);
  options_.fail_writes_for_test = fail;
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 1);
  ASSERT_FALSE(submit_and_wait(*store, {r}));
  Delivery dead = r.deliveries[0];
  dead.state = kDead;
  dead.attempts = 1;

  fail->store(true);
  EXPECT_EQ(record_and_wait(*store, {{dead, make_attempt(1)}}),
            storage_errc::io_error);
  fail->store(false);
  EXPECT_TRUE(store->attempts_of(dead.id)->empty());
  EXPECT_EQ((*store->get_delivery(dead.id))->state, kPending);
  EXPECT_EQ(counts(*store), (Counts{{{"sub0", kPending}, 1}}));

  // A request with an unknown delivery is refused whole, attempts included.
  Delivery ghost = make_delivery("01NOPE", 0, kNow);
  EXPECT_EQ(record_and_wait(
                *store, {{dead, make_attempt(1)}, {ghost, make_attempt(1)}}),
            storage_errc::not_found);
  EXPECT_TRUE(store->attempts_of(dead.id)->empty());
  EXPECT_TRUE(store->attempts_of(ghost.id)->empty());
  EXPECT_TRUE(listed(*store, "", kDead).empty());

  ASSERT_FALSE(record_and_wait(*store, {{dead, make_attempt(1)}}));
  EXPECT_EQ(store->attempts_of(dead.id)->size(), 1u);
  EXPECT_EQ(listed(*store, "sub0", kDead), std::vector<std::string>{dead.id});
}

TEST_F(StoreDeliveriesTest, StateIndexFollowsSubmitUpdatesAndRetry) {
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 2);
  IngestRecord done = make_record(ulids_.next(kNow), kNow, 1, kDelivered);
  ASSERT_FALSE(submit_and_wait(*store, {r, done}));
  EXPECT_EQ(counts(*store), (Counts{{{"sub0", kPending}, 1},
                                    {{"sub0", kDelivered}, 1},
                                    {{"sub1", kPending}, 1}}));
  EXPECT_EQ(listed(*store, "sub0", kDelivered),
            std::vector<std::string>{done.deliveries[0].id});

  Delivery d = r.deliveries[0];
  d.next_attempt_ms = kNow + 5000;  // a retry: state and index key unchanged
  d.attempts = 1;
  ASSERT_FALSE(update_and_wait(*store, {d}));
  d.state = kDead;
  d.attempts = 2;
  ASSERT_FALSE(update_and_wait(*store, {d}));
  EXPECT_EQ(listed(*store, "sub0", kDead), std::vector<std::string>{d.id});
  EXPECT_TRUE(listed(*store, "sub0", kPending).empty());
  EXPECT_EQ(counts(*store), (Counts{{{"sub0", kDead}, 1},
                                    {{"sub0", kDelivered}, 1},
                                    {{"sub1", kPending}, 1}}));
  auto listed_dead = store->list_deliveries("sub0", kDead, "", 10);
  ASSERT_TRUE(listed_dead);
  EXPECT_EQ((*listed_dead)[0].attempts, 2u);

  // An operator retry takes it back to pending.
  d.state = kPending;
  ASSERT_FALSE(update_and_wait(*store, {d}));
  EXPECT_TRUE(listed(*store, "", kDead).empty());
  EXPECT_EQ(counts(*store), (Counts{{{"sub0", kPending}, 1},
                                    {{"sub0", kDelivered}, 1},
                                    {{"sub1", kPending}, 1}}));
}

TEST_F(StoreDeliveriesTest, ListingPagesInIdOrderWithAfterAndLimit) {
  auto store = open();
  // Three events, each with deliveries .0 .1 .2 to sub0 sub1 sub2, and one
  // to "sub", a prefix of the others' names.
  std::vector<IngestRecord> records;
  for (int i = 0; i < 3; ++i)
    records.push_back(make_record(ulids_.next(kNow + i), kNow + i, 3));
  records[0].deliveries.push_back(make_delivery(records[0].event.id, 3, kNow));
  records[0].deliveries[3].subscription = "sub";
  ASSERT_FALSE(submit_and_wait(*store, records));
  auto id = [&](int event, int ordinal) {
    return records[event].event.id + "." + std::to_string(ordinal);
  };
  std::vector<Delivery> dead;
  for (auto [e, o] :
       {std::pair{0, 1}, {1, 0}, {1, 1}, {2, 1}, {2, 2}, {0, 3}}) {
    Delivery d = records[e].deliveries[o];
    d.state = kDead;
    dead.push_back(d);
  }
  ASSERT_FALSE(update_and_wait(*store, dead));

  // One subscription and state.
  EXPECT_EQ(listed(*store, "sub1", kDead, "", 2),
            (std::vector<std::string>{id(0, 1), id(1, 1)}));
  EXPECT_EQ(listed(*store, "sub1", kDead, id(1, 1), 2),
            std::vector<std::string>{id(2, 1)});
  EXPECT_TRUE(listed(*store, "sub1", kDead, id(2, 1), 2).empty());
  EXPECT_EQ(listed(*store, "sub", kDead), std::vector<std::string>{id(0, 3)});

  // One state, every subscription: merged in id order.
  EXPECT_EQ(listed(*store, "", kDead, "", 3),
            (std::vector<std::string>{id(0, 1), id(0, 3), id(1, 0)}));
  EXPECT_EQ(listed(*store, "", kDead, id(1, 0), 3),
            (std::vector<std::string>{id(1, 1), id(2, 1), id(2, 2)}));
  EXPECT_TRUE(listed(*store, "", kDead, id(2, 2), 3).empty());
  // `after` need not be in the list (id(0, 2) is pending).
  EXPECT_EQ(listed(*store, "", kDead, id(0, 2), 2),
            (std::vector<std::string>{id(0, 3), id(1, 0)}));

  // One subscription, every state.
  EXPECT_EQ(listed(*store, "sub0", std::nullopt),
            (std::vector<std::string>{id(0, 0), id(1, 0), id(2, 0)}));
  EXPECT_EQ(listed(*store, "sub0", std::nullopt, id(0, 0), 1),
            std::vector<std::string>{id(1, 0)});
  // Everything.
  EXPECT_EQ(listed(*store, "", std::nullopt, id(1, 2)),
            (std::vector<std::string>{id(2, 0), id(2, 1), id(2, 2)}));
  EXPECT_EQ(listed(*store, "", std::nullopt).size(), 10u);

  EXPECT_TRUE(listed(*store, "", kDead, "", 0).empty());
  EXPECT_TRUE(listed(*store, "nobody", kDead).empty());
  EXPECT_TRUE(listed(*store, "", kDelivered).empty());

  Counts c = counts(*store);
  EXPECT_EQ(c.size(), 6u);  // sub0 and sub2: pending and dead; sub1, sub
  EXPECT_EQ((c[{"sub1", kDead}]), 3u);
  EXPECT_EQ((c[{"sub0", kPending}]), 2u);
}

TEST_F(StoreDeliveriesTest, SubscriptionStatesAreReplacedAndSurviveReopen) {
  {
    auto store = open();
    EXPECT_TRUE(store->load_subscription_states()->empty());
    ASSERT_FALSE(put_state_and_wait(*store, "thumbs",
                                    {true, "paused by operator", kNow}));
    ASSERT_FALSE(put_state_and_wait(*store, "orders",
                                    {true, "410 Gone from subscriber", kNow}));
    ASSERT_FALSE(put_state_and_wait(*store, "orders", {false, "", kNow + 1}));
  }
  auto store = open();
  auto states = store->load_subscription_states();
  ASSERT_TRUE(states);
  ASSERT_EQ(states->size(), 2u);
  EXPECT_EQ((*states)[0].first, "orders");
  EXPECT_FALSE((*states)[0].second.paused);
  EXPECT_EQ((*states)[0].second.since_ms, kNow + 1);
  EXPECT_EQ((*states)[1].first, "thumbs");
  EXPECT_TRUE((*states)[1].second.paused);
  EXPECT_EQ((*states)[1].second.reason, "paused by operator");
}

TEST_F(StoreDeliveriesTest, AttemptsAndIndexSurviveReopen) {
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 2);
  Delivery dead = r.deliveries[1];
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, {r}));
    dead.state = kDead;
    dead.attempts = 2;
    ASSERT_FALSE(record_and_wait(
        *store, {{dead, make_attempt(1)}, {dead, make_attempt(2)}}));
  }
  auto store = open();
  EXPECT_EQ(numbers_of(*store->attempts_of(dead.id)),
            (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(listed(*store, "sub1", kDead), std::vector<std::string>{dead.id});
  EXPECT_EQ(counts(*store),
            (Counts{{{"sub0", kPending}, 1}, {{"sub1", kDead}, 1}}));
  EXPECT_EQ(ids_of(*store->load_pending()),
            std::vector<std::string>{r.deliveries[0].id});
}

}  // namespace
}  // namespace hookd::storage
