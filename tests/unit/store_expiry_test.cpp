#include "storage/store.hpp"

#include "storage/database.hpp"
#include "storage/keys.hpp"
#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <memory>

namespace hookd::storage {
namespace {

using namespace store_test;

// Expiry of attempts and index keys, its race with updates, and the
// by_state rebuild for databases written before the index existed.
class StoreExpiryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    options_.retention = std::chrono::milliseconds(7 * kDay);
  }
  // An event old enough to expire at kNow, with one dead delivery and
  // `attempts` attempt records.
  IngestRecord old_dead(int attempts) {
    const std::int64_t old_ms = kNow - 8 * kDay;
    IngestRecord r = make_record(ulids_.next(old_ms), old_ms, 1, kDead);
    r.deliveries[0].attempts = attempts;
    return r;
  }
  static constexpr auto kDead = DeliveryState::dead;
};

std::vector<Store::DeliveryUpdate> attempts_for(const Delivery& d) {
  std::vector<Store::DeliveryUpdate> out;
  for (std::uint32_t n = 1; n <= d.attempts; ++n)
    out.push_back({d, make_attempt(n)});
  return out;
}

std::uint64_t total(Store& store) {
  std::uint64_t n = 0;
  for (const auto& [key, count] : *store.count_deliveries()) n += count;
  return n;
}

TEST_F(StoreExpiryTest, ExpiryRemovesAttemptsAndIndexKeys) {
  auto store = open();
  IngestRecord gone = old_dead(2);
  IngestRecord kept = old_dead(1);  // a second delivery is still pending
  kept.deliveries.push_back(
      make_delivery(kept.event.id, 1, kept.event.received_ms));
  IngestRecord recent = make_record(ulids_.next(kNow), kNow, 1, kDead);
  recent.deliveries[0].attempts = 1;
  ASSERT_FALSE(submit_and_wait(*store, {gone, kept, recent}));
  for (const IngestRecord* r : {&gone, &kept, &recent})
    ASSERT_FALSE(record_and_wait(*store, attempts_for(r->deliveries[0])));
  EXPECT_EQ(total(*store), 4u);

  auto stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 1u);
  EXPECT_EQ(stats->deliveries_deleted, 1u);
  EXPECT_EQ(stats->keys_deleted, 0u);
  const std::string& id = gone.deliveries[0].id;
  EXPECT_FALSE(*store->get_delivery(id));
  EXPECT_TRUE(store->attempts_of(id)->empty());
  EXPECT_EQ(total(*store), 3u);
  EXPECT_EQ(ids_of(*store->list_deliveries("", kDead, "", 10)),
            (std::vector<std::string>{kept.deliveries[0].id,
                                      recent.deliveries[0].id}));
  EXPECT_EQ(store->attempts_of(kept.deliveries[0].id)->size(), 1u);
  EXPECT_EQ(store->attempts_of(recent.deliveries[0].id)->size(), 1u);

  // Nothing left to do: a second run deletes nothing.
  stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 0u);
}

TEST_F(StoreExpiryTest, EventWhoseDeliveryChangedAfterTheScanIsKept) {
  Store* target = nullptr;
  IngestRecord retried = old_dead(1);
  IngestRecord redied = old_dead(1);
  IngestRecord plain = old_dead(1);
  bool changed = false;
  // Between the scan and the deletes: an operator retries one delivery, and
  // another is retried and dies again (same state, one more attempt).
  options_.after_expiry_scan_for_test = [&] {
    if (changed) return;
    changed = true;
    Delivery pending = retried.deliveries[0];
    pending.state = DeliveryState::pending;
    Delivery again = redied.deliveries[0];
    again.attempts = 2;
    ASSERT_FALSE(update_and_wait(*target, {pending}));
    ASSERT_FALSE(record_and_wait(*target, {{again, make_attempt(2)}}));
  };
  auto store = open();
  target = store.get();
  ASSERT_FALSE(submit_and_wait(*store, {retried, redied, plain}));
  for (const IngestRecord* r : {&retried, &redied, &plain})
    ASSERT_FALSE(record_and_wait(*store, attempts_for(r->deliveries[0])));

  auto stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  ASSERT_TRUE(changed);
  EXPECT_EQ(stats->events_deleted, 1u);
  EXPECT_FALSE(*store->get_event(plain.event.id));
  EXPECT_TRUE(store->attempts_of(plain.deliveries[0].id)->empty());
  EXPECT_TRUE(*store->get_event(retried.event.id));
  EXPECT_EQ(store->attempts_of(retried.deliveries[0].id)->size(), 1u);
  EXPECT_EQ(ids_of(*store->load_pending()),
            std::vector<std::string>{retried.deliveries[0].id});
  EXPECT_EQ(store->attempts_of(redied.deliveries[0].id)->size(), 2u);
  EXPECT_EQ(total(*store), 2u);

  // Unchanged since, the re-died one goes on the next run, attempts and all.
  stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 1u);
  EXPECT_FALSE(*store->get_event(redied.event.id));
  EXPECT_TRUE(store->attempts_of(redied.deliveries[0].id)->empty());
  EXPECT_EQ(ids_of(*store->list_deliveries("", std::nullopt, "", 10)),
            std::vector<std::string>{retried.deliveries[0].id});
}

TEST_F(StoreExpiryTest, DeliveryAddedByAReplayAfterTheScanKeepsItsEvent) {
  Store* target = nullptr;
  IngestRecord replayed = old_dead(1);
  IngestRecord plain = old_dead(1);
  Delivery added = make_delivery(replayed.event.id, 1, kNow);
  // Between the scan and the deletes, a replay adds a delivery to the old
  // event, as DeliveryScheduler::replay does: the event again with the new
  // delivery, in one submit.
  bool replay_done = false;
  options_.after_expiry_scan_for_test = [&] {
    if (replay_done) return;
    replay_done = true;
    ASSERT_FALSE(submit_and_wait(*target, {IngestRecord{replayed.event, {added}}}));
  };
  auto store = open();
  target = store.get();
  ASSERT_FALSE(submit_and_wait(*store, {replayed, plain}));

  auto stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  ASSERT_TRUE(replay_done);
  EXPECT_EQ(stats->events_deleted, 1u);
  EXPECT_FALSE(*store->get_event(plain.event.id));
  auto event = store->get_event(replayed.event.id);
  ASSERT_TRUE(event);
  EXPECT_TRUE(*event) << "the replayed delivery's event was deleted";
  EXPECT_EQ(ids_of(*store->deliveries_of(replayed.event.id)),
            (std::vector<std::string>{replayed.deliveries[0].id, added.id}));
  EXPECT_EQ(ids_of(*store->load_pending()), std::vector<std::string>{added.id});

  // Kept while the new delivery is pending, on the next run too.
  stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 0u);
  EXPECT_TRUE(*store->get_event(replayed.event.id));
}

TEST_F(StoreExpiryTest, ManyEventsExpireInSeveralShortWrites) {
  int scans = 0;
  options_.after_expiry_scan_for_test = [&] { ++scans; };
  auto store = open();
  std::vector<IngestRecord> records;
  std::vector<Store::DeliveryUpdate> attempts;
  for (int i = 0; i < 600;
       ++i) {  // 4 keys each: event, delivery, index, attempt
    records.push_back(old_dead(1));
    attempts.push_back({records.back().deliveries[0], make_attempt(1)});
  }
  records.push_back(make_record(ulids_.next(kNow), kNow, 1));
  ASSERT_FALSE(submit_and_wait(*store, records));
  ASSERT_FALSE(record_and_wait(*store, attempts));
  const auto writes = store->stats().writes;

  auto stats = store->expire(kNow);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->events_deleted, 600u);
  EXPECT_EQ(stats->deliveries_deleted, 600u);
  EXPECT_EQ(scans, 3);  // 2400 keys in chunks of 1024
  EXPECT_EQ(store->stats().writes - writes, 3u);
  EXPECT_EQ(store->list_events("", 10)->size(), 1u);
  EXPECT_EQ(total(*store), 1u);
  EXPECT_TRUE(store->attempts_of(records[0].deliveries[0].id)->empty());
  EXPECT_TRUE(store->attempts_of(records[599].deliveries[0].id)->empty());
}

TEST_F(StoreExpiryTest, OpeningADatabaseWithoutTheIndexBuildsIt) {
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 2);
  r.deliveries[1].state = kDead;
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, {r}));
  }
  {  // Make it look like a database from before the index: no marker, no keys.
    auto db = Database::open(options_.path, nullptr);
    ASSERT_TRUE(db);
    Database& d = **db;
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(
        d.db().NewIterator(rocksdb::ReadOptions(), d.by_state()));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      ASSERT_TRUE(batch.Delete(d.by_state(), it->key()).ok());
    ASSERT_TRUE(
        batch.Delete(d.default_cf(), std::string(kStateIndexMarker)).ok());
    ASSERT_EQ(batch.Count(), 3u);
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &batch).ok());
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(total(*store), 2u);
  EXPECT_EQ(ids_of(*store->list_deliveries("sub1", kDead, "", 10)),
            std::vector<std::string>{r.deliveries[1].id});
}

}  // namespace
}  // namespace hookd::storage
