// The start-up view: pending deliveries read from the pending index alone
// (its values carry the subscription), and databases written before the
// values did, whose entries fall back to the record.
#include "storage/store.hpp"

#include "storage/database.hpp"
#include "storage/keys.hpp"
#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>
#include <vector>

namespace hookd::storage {
namespace {

using namespace store_test;

struct Loaded {
  std::string id;
  std::string subscription;
  std::int64_t next_attempt_ms = 0;
  bool operator==(const Loaded&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Loaded& l) {
  return os << l.id << "/" << l.subscription << "@" << l.next_attempt_ms;
}

std::vector<Loaded> load(EventStore::StartupView& view, std::size_t limit = SIZE_MAX) {
  std::vector<Loaded> out;
  EXPECT_FALSE(view.for_each_pending([&](const PendingEntry& e) {
    out.push_back({std::string(e.id), std::string(e.subscription), e.next_attempt_ms});
    return out.size() < limit;
  }));
  return out;
}

class StoreStartupTest : public StoreTest {
 protected:
  // Rewrites every pending index value as a database from before the
  // values held the subscription left it: empty.
  void clear_pending_values() {
    auto db = Database::open(options_.path, nullptr);
    ASSERT_TRUE(db);
    Database& d = **db;
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(d.db().NewIterator(rocksdb::ReadOptions(), d.pending()));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      ASSERT_TRUE(batch.Put(d.pending(), it->key(), rocksdb::Slice()).ok());
    ASSERT_TRUE(it->status().ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &batch).ok());
  }

  // Two events: three pending deliveries (sub0, sub1 of the first; sub0 of
  // the second, due earliest) and a delivered one (sub1 of the second).
  std::vector<IngestRecord> records() {
    IngestRecord a = make_record(ulids_.next(kNow), kNow, 2);
    a.deliveries[0].next_attempt_ms = kNow + 30;
    a.deliveries[1].next_attempt_ms = kNow + 20;
    IngestRecord b = make_record(ulids_.next(kNow), kNow, 2);
    b.deliveries[0].next_attempt_ms = kNow + 10;
    b.deliveries[1].state = DeliveryState::delivered;
    return {a, b};
  }
};

TEST_F(StoreStartupTest, ListsPendingDeliveriesInDueOrderFromTheIndex) {
  auto store = open();
  auto rs = records();
  ASSERT_FALSE(submit_and_wait(*store, rs));
  auto view = store->startup_view();
  EXPECT_EQ(load(*view), (std::vector<Loaded>{{rs[1].deliveries[0].id, "sub0", kNow + 10},
                                              {rs[0].deliveries[1].id, "sub1", kNow + 20},
                                              {rs[0].deliveries[0].id, "sub0", kNow + 30}}));
  EXPECT_EQ(load(*view, 1).size(), 1u);  // fn returning false stops the scan
}

TEST_F(StoreStartupTest, TheViewIsASnapshotAndMovesWithTheTransitions) {
  auto store = open();
  auto rs = records();
  ASSERT_FALSE(submit_and_wait(*store, rs));
  auto before = store->startup_view();
  Delivery retried = rs[1].deliveries[0];
  retried.attempts = 1;
  retried.next_attempt_ms = kNow + 40;
  Delivery done = rs[0].deliveries[1];
  done.state = DeliveryState::delivered;
  ASSERT_FALSE(update_and_wait(*store, {retried, done}));

  EXPECT_EQ(load(*before).size(), 3u);
  auto after = store->startup_view();
  EXPECT_EQ(load(*after), (std::vector<Loaded>{{rs[0].deliveries[0].id, "sub0", kNow + 30},
                                               {retried.id, "sub0", kNow + 40}}));
}

TEST_F(StoreStartupTest, EntriesWithoutASubscriptionFallBackToTheRecord) {
  auto rs = records();
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, rs));
  }
  clear_pending_values();
  auto store = open();
  {
    auto view = store->startup_view();
    EXPECT_EQ(load(*view), (std::vector<Loaded>{{rs[1].deliveries[0].id, "sub0", kNow + 10},
                                                {rs[0].deliveries[1].id, "sub1", kNow + 20},
                                                {rs[0].deliveries[0].id, "sub0", kNow + 30}}));
  }
  // A retry rewrites its entry in the new layout; the others keep theirs.
  Delivery retried = rs[0].deliveries[1];
  retried.attempts = 1;
  retried.next_attempt_ms = kNow + 50;
  ASSERT_FALSE(update_and_wait(*store, {retried}));
  auto view = store->startup_view();
  EXPECT_EQ(load(*view), (std::vector<Loaded>{{rs[1].deliveries[0].id, "sub0", kNow + 10},
                                              {rs[0].deliveries[0].id, "sub0", kNow + 30},
                                              {retried.id, "sub1", kNow + 50}}));
}

TEST_F(StoreStartupTest, AnOldEntryWhoseRecordIsNotPendingIsSkipped) {
  auto rs = records();
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, rs));
  }
  clear_pending_values();
  {  // Damage: a stale entry (delivered record) and a dangling one (no record).
    auto db = Database::open(options_.path, nullptr);
    ASSERT_TRUE(db);
    Database& d = **db;
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put(d.pending(), pending_key(kNow, rs[1].deliveries[1].id), "").ok());
    ASSERT_TRUE(batch.Put(d.pending(), pending_key(kNow, "01GONE.0"), "").ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &batch).ok());
  }
  auto store = open();
  auto view = store->startup_view();
  EXPECT_EQ(load(*view).size(), 3u);
}

TEST_F(StoreStartupTest, AnEntryWithASubscriptionIsLoadedWithoutItsRecord) {
  auto rs = records();
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, rs));
  }
  {  // Damage the view cannot see: each attempt re-reads its delivery.
    auto db = Database::open(options_.path, nullptr);
    ASSERT_TRUE(db);
    Database& d = **db;
    ASSERT_TRUE(
        d.db().Delete(rocksdb::WriteOptions(), d.deliveries(), rs[1].deliveries[0].id).ok());
  }
  auto store = open();
  auto view = store->startup_view();
  EXPECT_EQ(load(*view).size(), 3u);
}

TEST_F(StoreStartupTest, AValueOfAnUnknownLayoutIsAnError) {
  auto rs = records();
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, rs));
  }
  {
    auto db = Database::open(options_.path, nullptr);
    ASSERT_TRUE(db);
    Database& d = **db;
    ASSERT_TRUE(d.db()
                    .Put(rocksdb::WriteOptions(), d.pending(),
                         pending_key(kNow + 20, rs[0].deliveries[1].id), "\x07sub1")
                    .ok());
  }
  auto store = open();
  auto view = store->startup_view();
  EXPECT_EQ(view->for_each_pending([](const PendingEntry&) { return true; }),
            error_code(storage_errc::invalid_record));
}

}  // namespace
}  // namespace hookd::storage
