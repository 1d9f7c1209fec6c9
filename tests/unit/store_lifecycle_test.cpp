#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace hookd::storage {
namespace {

using namespace std::chrono_literals;
using namespace store_test;

// Delivery state, the pending index and expiry.
class StoreLifecycleTest : public StoreTest {};

TEST_F(StoreLifecycleTest, IdempotencyKeyExpiresAfterTheWindow) {
  options_.dedup_window = 1h;
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 0);
  r.event.idempotency_key = "k";
  ASSERT_FALSE(submit_and_wait(*store, {r}));
  const std::int64_t hour = 3600 * 1000;
  EXPECT_TRUE(*store->find_idempotency("minio", "k", kNow + hour - 1));
  EXPECT_FALSE(*store->find_idempotency("minio", "k", kNow + hour));

  // expire() leaves idem keys to the compaction filter (next test): the
  // key is invisible by its own expiry, not because it was deleted.
  auto stats = store->expire(kNow + hour);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->keys_deleted, 0u);
  EXPECT_FALSE(*store->find_idempotency("minio", "k", kNow + hour));
  EXPECT_TRUE(*store->find_idempotency("minio", "k", kNow + hour - 1));
  EXPECT_TRUE(
      *store->get_event(r.event.id));  // the event has its own retention
}

TEST_F(StoreLifecycleTest,
       CompactionDropsIdempotencyKeysExpiredByTheWallClock) {
  options_.dedup_window = 1h;
  auto store = open();
  const std::int64_t wall_now =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::int64_t long_ago = wall_now - 2 * 3600 * 1000;
  IngestRecord expired = make_record(ulids_.next(long_ago), long_ago, 0);
  IngestRecord live = make_record(ulids_.next(wall_now), wall_now, 0);
  ASSERT_FALSE(submit_and_wait(*store, {expired, live}));
  // Asked "as of long ago", the expired key is still there to be found...
  EXPECT_TRUE(*store->find_idempotency("minio", expired.event.idempotency_key,
                                       long_ago));
  ASSERT_FALSE(store->compact());
  // ...until the compaction filter removes it from disk.
  EXPECT_FALSE(*store->find_idempotency("minio", expired.event.idempotency_key,
                                        long_ago));
  EXPECT_TRUE(
      *store->find_idempotency("minio", live.event.idempotency_key, wall_now));
  EXPECT_TRUE(*store->get_event(expired.event.id));
}

TEST_F(StoreLifecycleTest,
       ExpireKeepsRecentEventsAndEventsWithPendingDeliveries) {
  options_.retention = std::chrono::milliseconds(7 * kDay);
  auto store = open();
  const std::int64_t old_ms = kNow - 8 * kDay;
  IngestRecord old_done =
      make_record(ulids_.next(old_ms), old_ms, 2, DeliveryState::delivered);
  old_done.deliveries[1].state = DeliveryState::dead;
  IngestRecord old_pending =
      make_record(ulids_.next(old_ms + 1), old_ms + 1, 2);
  old_pending.deliveries[0].state = DeliveryState::delivered;
  IngestRecord old_unrouted =
      make_record(ulids_.next(old_ms + 2), old_ms + 2, 0);
  const std::int64_t recent_ms = kNow - 3600 * 1000;
  IngestRecord recent = make_record(ulids_.next(recent_ms), recent_ms, 1,
                                    DeliveryState::delivered);
  ASSERT_FALSE(
      submit_and_wait(*store, {old_done, old_pending, old_unrouted, recent}));

  auto stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 2u);
  EXPECT_EQ(stats->deliveries_deleted, 2u);
  EXPECT_EQ(stats->keys_deleted, 0u);  // idem keys: the compaction filter's
  EXPECT_FALSE(*store->get_event(old_done.event.id));
  EXPECT_TRUE(store->deliveries_of(old_done.event.id)->empty());
  EXPECT_FALSE(*store->get_event(old_unrouted.event.id));
  EXPECT_TRUE(*store->get_event(old_pending.event.id));
  EXPECT_EQ(store->deliveries_of(old_pending.event.id)->size(), 2u);
  EXPECT_TRUE(*store->get_event(recent.event.id));
  EXPECT_EQ(store->deliveries_of(recent.event.id)->size(), 1u);
  EXPECT_EQ(store->load_pending()->size(), 1u);

  // Once its last delivery is finished, the old event goes too.
  Delivery last = old_pending.deliveries[1];
  last.state = DeliveryState::delivered;
  ASSERT_FALSE(update_and_wait(*store, {last}));
  stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 1u);
  EXPECT_EQ(stats->deliveries_deleted, 2u);
  EXPECT_FALSE(*store->get_event(old_pending.event.id));
}

TEST_F(StoreLifecycleTest, UpdateDeliveriesMovesThePendingIndex) {
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 3);
  r.deliveries[0].next_attempt_ms = kNow + 10;
  r.deliveries[1].next_attempt_ms = kNow + 20;
  r.deliveries[2].next_attempt_ms = kNow + 30;
  ASSERT_FALSE(submit_and_wait(*store, {r}));
  EXPECT_EQ(ids_of(*store->load_pending()),
            (std::vector<std::string>{r.deliveries[0].id, r.deliveries[1].id,
                                      r.deliveries[2].id}));

  Delivery retry = r.deliveries[0];
  retry.attempts = 1;
  retry.next_attempt_ms = kNow + 100;
  retry.last_error = "timeout";
  Delivery delivered = r.deliveries[1];
  delivered.attempts = 1;
  delivered.state = DeliveryState::delivered;
  ASSERT_FALSE(update_and_wait(*store, {retry, delivered}));

  auto pending = store->load_pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(ids_of(*pending),
            (std::vector<std::string>{r.deliveries[2].id, r.deliveries[0].id}));
  EXPECT_EQ((*pending)[1].attempts, 1u);
  EXPECT_EQ((*pending)[1].last_error, "timeout");
  auto stored = store->get_delivery(delivered.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, DeliveryState::delivered);

  // Dead, then revived by an operator retry: back in the index.
  Delivery dead = r.deliveries[2];
  dead.state = DeliveryState::dead;
  ASSERT_FALSE(update_and_wait(*store, {dead}));
  dead.state = DeliveryState::pending;
  dead.next_attempt_ms = kNow;
  ASSERT_FALSE(update_and_wait(*store, {dead}));
  EXPECT_EQ(ids_of(*store->load_pending()),
            (std::vector<std::string>{dead.id, retry.id}));
}

TEST_F(StoreLifecycleTest, UpdatesOfOneDeliveryInOneGroupKeepTheIndexExact) {
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> writer_held;
  // The first request's done blocks the writer, so the next ones queue up
  // and are written together as one group.
  ASSERT_FALSE(store->submit({make_record(ulids_.next(kNow), kNow, 0)},
                             [&, released](error_code) {
                               writer_held.set_value();
                               released.wait();
                             }));
  writer_held.get_future().wait();
  std::atomic<int> ok{0};
  auto count = [&](error_code e) { ok += e ? 0 : 1; };
  ASSERT_FALSE(store->submit({r}, count));
  Delivery d = r.deliveries[0];
  for (int i = 1; i <= 3; ++i) {
    d.attempts = i;
    d.next_attempt_ms = kNow + 1000 * i;
    ASSERT_FALSE(store->update_deliveries({d}, count));
  }
  release.set_value();
  ASSERT_FALSE(update_and_wait(*store, {d}));  // a barrier behind the group
  EXPECT_EQ(ok.load(), 4);
  auto pending = store->load_pending();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].attempts, 3u);
  EXPECT_EQ((*pending)[0].next_attempt_ms, kNow + 3000);
}

TEST_F(StoreLifecycleTest, UpdateOfUnknownDeliveryFailsAlone) {
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 1);
  ASSERT_FALSE(submit_and_wait(*store, {r}));
  Delivery ghost = make_delivery("01NOPE", 0, kNow);
  Delivery known = r.deliveries[0];
  known.state = DeliveryState::delivered;
  EXPECT_EQ(update_and_wait(*store, {known, ghost}), storage_errc::not_found);
  EXPECT_FALSE(*store->get_delivery(ghost.id));
  // All or nothing: the known delivery was not changed either.
  EXPECT_EQ((*store->get_delivery(known.id))->state, DeliveryState::pending);
}

}  // namespace
}  // namespace hookd::storage
