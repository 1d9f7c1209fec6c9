// EventStore's delivery transitions on the RocksDB Store: the record after
// each verb, the attempt in the same write, the pending and by_state
// listings, reopening, and every refusal by its code.
#include "storage/event_store.hpp"
#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hookd::storage {
namespace {

using namespace store_test;

constexpr auto kPending = DeliveryState::pending;
constexpr auto kDelivered = DeliveryState::delivered;
constexpr auto kDead = DeliveryState::dead;

// Queues one write through `queue(done)` and waits for its `done`.
template <class Queue>
error_code wait_for(Queue queue) {
  std::promise<error_code> p;
  error_code ec = queue([&](error_code e) { p.set_value(e); });
  if (ec) return ec;
  return p.get_future().get();
}

class StoreTransitionsTest : public StoreTest {
 protected:
  // One event with one pending delivery (sub0, due kNow), stored; the tests
  // go through the interface only.
  void SetUp() override {
    StoreTest::SetUp();
    store_ = open();
    ASSERT_TRUE(store_);
    IngestRecord r = make_record(ulids_.next(kNow), kNow, 1);
    id_ = r.deliveries[0].id;
    ASSERT_FALSE(submit_and_wait(*store_, {r}));
  }

  EventStore& es() { return *store_; }

  void reopen() {
    store_.reset();
    store_ = open();
    ASSERT_TRUE(store_);
  }

  error_code delivered(std::uint32_t n, std::int64_t at = kNow + 100) {
    return wait_for([&](auto done) { return es().mark_delivered(id_, at, make_attempt(n), done); });
  }
  error_code retry(std::uint32_t n, std::int64_t next, std::string why = "HTTP 503") {
    return wait_for([&](auto done) {
      return es().schedule_retry(id_, kNow + n, next, why, make_attempt(n), done);
    });
  }
  error_code dead(std::uint32_t n, std::string why = "HTTP 400") {
    return wait_for(
        [&](auto done) { return es().mark_dead(id_, kNow + n, why, make_attempt(n), done); });
  }
  error_code requeue(std::int64_t now, std::vector<std::string> ids = {}) {
    if (ids.empty()) ids = {id_};
    return wait_for([&](auto done) { return es().requeue(ids, now, done); });
  }

  Delivery stored() {
    auto d = es().get_delivery(id_);
    EXPECT_TRUE(d && *d);
    return d && *d ? **d : Delivery();
  }
  std::vector<std::uint32_t> attempt_numbers() {
    auto as = es().attempts_of(id_);
    EXPECT_TRUE(as);
    return as ? numbers_of(*as) : std::vector<std::uint32_t>();
  }
  std::vector<std::string> listed(DeliveryState state) {
    auto ds = es().list_deliveries("sub0", state, "", 100);
    EXPECT_TRUE(ds) << ds.error().message();
    return ds ? ids_of(*ds) : std::vector<std::string>();
  }
  // The pending index, as the scheduler loads it: (id, due) in due order.
  std::vector<std::pair<std::string, std::int64_t>> pending_index() {
    auto ds = store_->load_pending();
    EXPECT_TRUE(ds);
    std::vector<std::pair<std::string, std::int64_t>> out;
    if (ds)
      for (const Delivery& d : *ds) out.emplace_back(d.id, d.next_attempt_ms);
    return out;
  }
  // Only in `state`, in the by_state listings.
  void expect_listed_only_as(DeliveryState state) {
    for (DeliveryState s : {kPending, kDelivered, kDead})
      EXPECT_EQ(listed(s), s == state ? std::vector<std::string>{id_} : std::vector<std::string>{})
          << to_string(s);
  }

  std::unique_ptr<Store> store_;
  std::string id_;
};

using Pending = std::vector<std::pair<std::string, std::int64_t>>;

TEST_F(StoreTransitionsTest, MarkDeliveredRecordsTheAttemptAndLeavesThePendingIndex) {
  ASSERT_FALSE(retry(1, kNow + 500));
  ASSERT_FALSE(delivered(2, kNow + 900));
  for (int pass = 0; pass < 2; ++pass) {
    Delivery d = stored();
    EXPECT_EQ(d.state, kDelivered);
    EXPECT_EQ(d.attempts, 2u);
    EXPECT_EQ(d.updated_ms, kNow + 900);
    EXPECT_EQ(d.last_error, "");  // cleared
    EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ((*es().attempts_of(id_))[1].response_excerpt, "oops 2");
    EXPECT_EQ(pending_index(), Pending{});
    expect_listed_only_as(kDelivered);
    reopen();
  }
}

TEST_F(StoreTransitionsTest, ScheduleRetryMovesTheDueTimeInThePendingIndex) {
  ASSERT_FALSE(retry(1, kNow + 500));
  ASSERT_FALSE(retry(2, kNow + 2000, "connect_failed: Connection refused"));
  for (int pass = 0; pass < 2; ++pass) {
    Delivery d = stored();
    EXPECT_EQ(d.state, kPending);
    EXPECT_EQ(d.attempts, 2u);
    EXPECT_EQ(d.next_attempt_ms, kNow + 2000);
    EXPECT_EQ(d.updated_ms, kNow + 2);
    EXPECT_EQ(d.last_error, "connect_failed: Connection refused");
    EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(pending_index(), (Pending{{id_, kNow + 2000}}));  // the old key is gone
    expect_listed_only_as(kPending);
    reopen();
  }
}

TEST_F(StoreTransitionsTest, ScheduleRetryDueNowHoldsA410sDeliveryPending) {
  ASSERT_FALSE(retry(1, kNow + 1, "HTTP 410"));
  Delivery d = stored();
  EXPECT_EQ(d.state, kPending);
  EXPECT_EQ(d.next_attempt_ms, d.updated_ms);
  EXPECT_EQ(pending_index(), (Pending{{id_, kNow + 1}}));
}

TEST_F(StoreTransitionsTest, MarkDeadRecordsTheErrorAndLeavesThePendingIndex) {
  ASSERT_FALSE(dead(1, "HTTP 400"));
  for (int pass = 0; pass < 2; ++pass) {
    Delivery d = stored();
    EXPECT_EQ(d.state, kDead);
    EXPECT_EQ(d.attempts, 1u);
    EXPECT_EQ(d.last_error, "HTTP 400");
    EXPECT_EQ(d.updated_ms, kNow + 1);
    EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(pending_index(), Pending{});
    expect_listed_only_as(kDead);
    reopen();
  }
}

TEST_F(StoreTransitionsTest, RequeueRevivesADeadDeliveryDueNowWithAFreshBudget) {
  ASSERT_FALSE(retry(1, kNow + 10));
  ASSERT_FALSE(retry(2, kNow + 20));
  ASSERT_FALSE(dead(3, "HTTP 500"));
  ASSERT_FALSE(requeue(kNow + 5000));
  for (int pass = 0; pass < 2; ++pass) {
    Delivery d = stored();
    EXPECT_EQ(d.state, kPending);
    EXPECT_EQ(d.attempts, 3u);
    EXPECT_EQ(d.attempt_base, 3u);  // the policy's budget starts again
    EXPECT_EQ(d.next_attempt_ms, kNow + 5000);
    EXPECT_EQ(d.updated_ms, kNow + 5000);
    EXPECT_EQ(d.last_error, "HTTP 500");  // kept for the operator
    EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1, 2, 3}));  // none added
    EXPECT_EQ(pending_index(), (Pending{{id_, kNow + 5000}}));
    expect_listed_only_as(kPending);
    reopen();
  }
  // The count goes on: the next attempt is the fourth.
  ASSERT_FALSE(delivered(4));
  EXPECT_EQ(stored().attempts, 4u);
}

TEST_F(StoreTransitionsTest, RequeueMakesAPendingDeliveryDueNow) {
  ASSERT_FALSE(retry(1, kNow + 60'000));
  ASSERT_FALSE(requeue(kNow + 7));
  Delivery d = stored();
  EXPECT_EQ(d.state, kPending);
  EXPECT_EQ(d.attempt_base, 1u);
  EXPECT_EQ(pending_index(), (Pending{{id_, kNow + 7}}));
}

TEST_F(StoreTransitionsTest, NothingLeavesDelivered) {
  ASSERT_FALSE(delivered(1));
  const Delivery before = stored();
  EXPECT_EQ(delivered(2), storage_errc::invalid_transition);
  EXPECT_EQ(retry(2, kNow + 10), storage_errc::invalid_transition);
  EXPECT_EQ(dead(2), storage_errc::invalid_transition);
  EXPECT_EQ(requeue(kNow + 10), storage_errc::invalid_transition);
  // Nothing of a refused request was written.
  EXPECT_EQ(stored().attempts, before.attempts);
  EXPECT_EQ(stored().updated_ms, before.updated_ms);
  EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(pending_index(), Pending{});
  expect_listed_only_as(kDelivered);
}

TEST_F(StoreTransitionsTest, OnlyRequeueLeavesDead) {
  ASSERT_FALSE(dead(1));
  EXPECT_EQ(delivered(2), storage_errc::invalid_transition);
  EXPECT_EQ(retry(2, kNow + 10), storage_errc::invalid_transition);
  EXPECT_EQ(dead(2), storage_errc::invalid_transition);
  EXPECT_EQ(stored().state, kDead);
  EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(pending_index(), Pending{});
  expect_listed_only_as(kDead);
}

TEST_F(StoreTransitionsTest, AnAttemptNumberMustFollowTheStoredCount) {
  ASSERT_FALSE(retry(1, kNow + 10));
  EXPECT_EQ(retry(1, kNow + 20), storage_errc::attempt_mismatch);  // the same attempt again
  EXPECT_EQ(retry(3, kNow + 20), storage_errc::attempt_mismatch);  // one skipped
  EXPECT_EQ(delivered(5), storage_errc::attempt_mismatch);
  EXPECT_EQ(dead(0), storage_errc::attempt_mismatch);
  Delivery d = stored();
  EXPECT_EQ(d.attempts, 1u);
  EXPECT_EQ(d.next_attempt_ms, kNow + 10);
  EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(pending_index(), (Pending{{id_, kNow + 10}}));
  // Without a record, the attempt still counts.
  ASSERT_FALSE(wait_for(
      [&](auto done) { return es().schedule_retry(id_, kNow, kNow + 30, "x", std::nullopt, done); }));
  EXPECT_EQ(stored().attempts, 2u);
  EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1}));
}

TEST_F(StoreTransitionsTest, AnUnknownDeliveryIsNotFound) {
  const std::string nope = id_ + "9";
  EXPECT_EQ(wait_for([&](auto done) { return es().mark_delivered(nope, kNow, make_attempt(1), done); }),
            storage_errc::not_found);
  EXPECT_EQ(wait_for([&](auto done) {
              return es().schedule_retry(nope, kNow, kNow, "", make_attempt(1), done);
            }),
            storage_errc::not_found);
  EXPECT_EQ(wait_for([&](auto done) { return es().mark_dead(nope, kNow, "", make_attempt(1), done); }),
            storage_errc::not_found);
  EXPECT_EQ(requeue(kNow, {nope}), storage_errc::not_found);
  EXPECT_FALSE(*es().get_delivery(nope));
  EXPECT_TRUE(es().attempts_of(nope)->empty());
}

TEST_F(StoreTransitionsTest, ARequeueRequestIsAllOrNothing) {
  IngestRecord r = make_record(ulids_.next(kNow + 1), kNow + 1, 2);
  ASSERT_FALSE(submit_and_wait(*store_, {r}));
  const std::string other = r.deliveries[0].id;  // sub0 as well
  ASSERT_FALSE(wait_for(
      [&](auto done) { return es().mark_dead(other, kNow, "HTTP 400", make_attempt(1), done); }));
  ASSERT_FALSE(delivered(1));
  EXPECT_EQ(requeue(kNow + 50, {other, id_}), storage_errc::invalid_transition);
  EXPECT_EQ((*es().get_delivery(other))->state, kDead);
  EXPECT_EQ(listed(kDead), std::vector<std::string>{other});
  ASSERT_FALSE(requeue(kNow + 50, {other}));
  EXPECT_EQ((*es().get_delivery(other))->state, kPending);
}

// Two transitions of one delivery in one group commit: the second is checked
// against the first's result, and only it is refused; a third request of the
// same group (another delivery) is written with the first.
TEST_F(StoreTransitionsTest, ASecondTransitionInTheSameGroupSeesTheFirst) {
  IngestRecord r = make_record(ulids_.next(kNow + 1), kNow + 1, 1);
  ASSERT_FALSE(submit_and_wait(*store_, {r}));
  const std::string other = r.deliveries[0].id;

  // Hold the writer in a `done` so that the next three requests queue up and
  // are taken together, as one group.
  std::promise<void> entered, release;
  std::promise<error_code> blocker_done;
  ASSERT_FALSE(es().put_subscription_state("sub0", SubscriptionState{}, [&](error_code e) {
    entered.set_value();
    release.get_future().wait();
    blocker_done.set_value(e);
  }));
  entered.get_future().wait();
  const std::uint64_t writes_before = es().stats().writes;
  std::promise<error_code> first, second, third;
  ASSERT_FALSE(es().mark_delivered(id_, kNow + 10, make_attempt(1),
                                   [&](error_code e) { first.set_value(e); }));
  ASSERT_FALSE(es().mark_dead(id_, kNow + 11, "HTTP 400", make_attempt(2),
                              [&](error_code e) { second.set_value(e); }));
  ASSERT_FALSE(es().schedule_retry(other, kNow + 12, kNow + 99, "HTTP 503", make_attempt(1),
                                   [&](error_code e) { third.set_value(e); }));
  release.set_value();
  EXPECT_FALSE(blocker_done.get_future().get());
  EXPECT_FALSE(first.get_future().get());
  EXPECT_EQ(second.get_future().get(), storage_errc::invalid_transition);
  EXPECT_FALSE(third.get_future().get());
  EXPECT_EQ(es().stats().writes, writes_before + 1);  // one group, one write

  for (int pass = 0; pass < 2; ++pass) {
    Delivery d = stored();
    EXPECT_EQ(d.state, kDelivered);
    EXPECT_EQ(d.attempts, 1u);
    EXPECT_EQ(attempt_numbers(), (std::vector<std::uint32_t>{1}));  // not the refused 2
    EXPECT_EQ((*es().get_delivery(other))->next_attempt_ms, kNow + 99);
    EXPECT_EQ(pending_index(), (Pending{{other, kNow + 99}}));
    EXPECT_EQ(listed(kDelivered), std::vector<std::string>{id_});
    EXPECT_TRUE(listed(kDead).empty());
    reopen();
  }
}

// The same attempt recorded twice in one group (two attempts of one
// delivery racing): the first wins, the second is refused by its number.
TEST_F(StoreTransitionsTest, TheSameAttemptTwiceInOneGroupIsRefusedOnce) {
  std::promise<void> entered, release, blocker_done;
  ASSERT_FALSE(es().put_subscription_state("sub0", SubscriptionState{}, [&](error_code) {
    entered.set_value();
    release.get_future().wait();
    blocker_done.set_value();
  }));
  entered.get_future().wait();  // the writer is held: the next two form one group
  std::promise<error_code> first, second;
  ASSERT_FALSE(es().schedule_retry(id_, kNow, kNow + 10, "HTTP 503", make_attempt(1),
                                   [&](error_code e) { first.set_value(e); }));
  ASSERT_FALSE(es().mark_delivered(id_, kNow, make_attempt(1),
                                   [&](error_code e) { second.set_value(e); }));
  release.set_value();
  blocker_done.get_future().wait();
  EXPECT_FALSE(first.get_future().get());
  EXPECT_EQ(second.get_future().get(), storage_errc::attempt_mismatch);
  EXPECT_EQ(stored().state, kPending);
  EXPECT_EQ(pending_index(), (Pending{{id_, kNow + 10}}));
}

// The writer checks a transition against the pending records it last wrote
// (group_writer.hpp) and reads the others back: either way the check sees
// the record as stored, for a delivery written just before, or tens of
// thousands of deliveries earlier.
TEST_F(StoreTransitionsTest, TransitionsSeeTheStoredRecordHoweverLongAgoItWasWritten) {
  std::vector<std::string> ids;
  for (int batch = 0; batch < 50; ++batch) {
    std::vector<IngestRecord> records;
    for (int i = 0; i < 1000; ++i) {
      records.push_back(make_record(ulids_.next(kNow + 1), kNow + 1, 1));
      ids.push_back(records.back().deliveries[0].id);
    }
    ASSERT_FALSE(submit_and_wait(*store_, std::move(records)));
  }
  for (const std::string& id : {ids.front(), ids[ids.size() / 2], ids.back()}) {
    SCOPED_TRACE(id);
    auto retry_of = [&](std::uint32_t n) {
      return wait_for([&](auto done) {
        return es().schedule_retry(id, kNow + n, kNow + 1000 * n, "HTTP 503", make_attempt(n), done);
      });
    };
    auto delivered_of = [&](std::uint32_t n) {
      return wait_for([&](auto done) { return es().mark_delivered(id, kNow + 9, make_attempt(n), done); });
    };
    ASSERT_FALSE(retry_of(1));
    EXPECT_EQ(delivered_of(1), storage_errc::attempt_mismatch);  // the retry counted
    ASSERT_FALSE(delivered_of(2));
    EXPECT_EQ(delivered_of(3), storage_errc::invalid_transition);  // delivered is final
    EXPECT_EQ(retry_of(3), storage_errc::invalid_transition);
    auto d = es().get_delivery(id);
    ASSERT_TRUE(d && *d);
    EXPECT_EQ((*d)->state, kDelivered);
    EXPECT_EQ((*d)->attempts, 2u);
    EXPECT_EQ(numbers_of(*es().attempts_of(id)), (std::vector<std::uint32_t>{1, 2}));
  }
  auto pending = store_->load_pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), ids.size() + 1 - 3);  // the fixture's own, less the three
}

// A failed write leaves the record as it was, and the next transition is
// checked against that, not against what the failed one would have written.
TEST_F(StoreTransitionsTest, AFailedWriteChangesNothingTheNextTransitionSees) {
  store_.reset();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  options_.fail_writes_for_test = fail;
  reopen();
  fail->store(true);
  EXPECT_EQ(retry(1, kNow + 500), storage_errc::io_error);
  fail->store(false);
  EXPECT_EQ(delivered(2), storage_errc::attempt_mismatch);
  ASSERT_FALSE(delivered(1));
  EXPECT_EQ(stored().attempts, 1u);
  EXPECT_EQ(pending_index(), Pending{});
}

}  // namespace
}  // namespace hookd::storage
