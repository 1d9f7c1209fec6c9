// The event-type catalog as the Store keeps it (storage/event_type_table.hpp):
// a first-seen pair in its event's own write, counts flushed later, exact
// after a clean reopen, the cap, the switch and expiry. Real RocksDB.
#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace hookd::storage {
namespace {

using namespace std::chrono_literals;
using namespace store_test;

class StoreEventTypesTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // No periodic flush unless a test asks for one: what is on disk is then
    // exactly what the events' own writes put there.
    options_.event_types_flush_interval = 1h;
  }

  // An accepted event of `source`/`type` received at `ms`, with one delivery.
  IngestRecord accepted(std::string source, std::string type, std::int64_t ms) {
    IngestRecord r = make_record(ulids_.next(ms), ms, 1);
    r.event.source = std::move(source);
    r.event.type = std::move(type);
    r.catalog = true;
    return r;
  }

  static std::vector<EventTypeEntry> listed(Store& store,
                                            std::optional<std::string_view> source = {}) {
    auto l = store.event_types(source);
    EXPECT_TRUE(l);
    return l ? l->entries : std::vector<EventTypeEntry>{};
  }
  static std::vector<std::string> names_of(const std::vector<EventTypeEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.type);
    return out;
  }
  static std::vector<EventTypeEntry> stored(Store& store) {
    auto s = store.stored_event_types();
    EXPECT_TRUE(s) << s.error().message();
    return s ? *s : std::vector<EventTypeEntry>{};
  }
  // Polls the disk state until it equals `want` (the flush is a writer
  // wakeup, not something a test can wait on directly); bounded.
  static bool stored_becomes(Store& store, const std::vector<EventTypeEntry>& want) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto s = store.stored_event_types();
      if (s && *s == want) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};

TEST_F(StoreEventTypesTest, AFirstSeenPairIsWrittenWithTheEventThatIntroducedIt) {
  auto store = open();
  const auto writes = store->stats().writes;
  ASSERT_FALSE(submit_and_wait(*store, {accepted("minio", "s3:ObjectCreated:Put", kNow)}));
  // One write holds the event and the pair: on disk as soon as the ack.
  EXPECT_EQ(store->stats().writes, writes + 1);
  const std::vector<EventTypeEntry> first = {{"minio", "s3:ObjectCreated:Put", {1, kNow, kNow}}};
  EXPECT_EQ(stored(*store), first);
  EXPECT_EQ(listed(*store), first);

  // More events of a known pair: counted in memory, no extra write.
  ASSERT_FALSE(submit_and_wait(*store, {accepted("minio", "s3:ObjectCreated:Put", kNow + 5),
                                        accepted("minio", "s3:ObjectCreated:Put", kNow + 9)}));
  EXPECT_EQ(store->stats().writes, writes + 2);
  EXPECT_EQ(stored(*store), first);
  EXPECT_EQ(listed(*store),
            (std::vector<EventTypeEntry>{{"minio", "s3:ObjectCreated:Put", {3, kNow, kNow + 9}}}));

  // A request with two new pairs (one of them twice) and a known one.
  ASSERT_FALSE(submit_and_wait(*store, {accepted("minio", "s3:ObjectRemoved:Delete", kNow + 10),
                                        accepted("catalog", "view.create", kNow + 11),
                                        accepted("minio", "s3:ObjectRemoved:Delete", kNow + 12),
                                        accepted("minio", "s3:ObjectCreated:Put", kNow + 13)}));
  EXPECT_EQ(store->stats().writes, writes + 3);
  EXPECT_EQ(stored(*store), (std::vector<EventTypeEntry>{
                                {"catalog", "view.create", {1, kNow + 11, kNow + 11}},
                                {"minio", "s3:ObjectCreated:Put", {1, kNow, kNow}},
                                {"minio", "s3:ObjectRemoved:Delete", {1, kNow + 10, kNow + 10}}}));
  EXPECT_EQ(listed(*store, "minio"),
            (std::vector<EventTypeEntry>{
                {"minio", "s3:ObjectCreated:Put", {4, kNow, kNow + 13}},
                {"minio", "s3:ObjectRemoved:Delete", {2, kNow + 10, kNow + 12}}}));
  EXPECT_TRUE(listed(*store, "nope").empty());
}

TEST_F(StoreEventTypesTest, AFailedWriteStoresNeitherTheEventNorItsPair) {
  options_.fail_writes_for_test = std::make_shared<std::atomic<bool>>(true);
  auto store = open();
  IngestRecord r = accepted("minio", "t.failed", kNow);
  EXPECT_EQ(submit_and_wait(*store, {r}), storage_errc::io_error);
  EXPECT_TRUE(listed(*store).empty());
  EXPECT_TRUE(stored(*store).empty());
  EXPECT_FALSE(*store->get_event(r.event.id));

  *options_.fail_writes_for_test = false;
  ASSERT_FALSE(submit_and_wait(*store, {accepted("minio", "t.failed", kNow + 1)}));
  const std::vector<EventTypeEntry> want = {{"minio", "t.failed", {1, kNow + 1, kNow + 1}}};
  EXPECT_EQ(listed(*store), want);
  EXPECT_EQ(stored(*store), want);
}

TEST_F(StoreEventTypesTest, CountsAreExactAfterACleanReopen) {
  {
    auto store = open();
    for (int i = 0; i < 5; ++i)
      ASSERT_FALSE(submit_and_wait(*store, {accepted("app", "a.b", kNow + i)}));
    ASSERT_FALSE(submit_and_wait(*store, {accepted("app", "c.d", kNow + 100)}));
    EXPECT_EQ(stored(*store)[0].stats.count, 1u);  // not flushed yet
  }  // the writer flushes the changed counts when it stops
  auto store = open();
  const std::vector<EventTypeEntry> want = {{"app", "a.b", {5, kNow, kNow + 4}},
                                            {"app", "c.d", {1, kNow + 100, kNow + 100}}};
  EXPECT_EQ(listed(*store), want);
  EXPECT_EQ(stored(*store), want);
  // Counting goes on from the loaded state.
  ASSERT_FALSE(submit_and_wait(*store, {accepted("app", "a.b", kNow - 50)}));
  EXPECT_EQ(listed(*store, "app")[0].stats, (EventTypeStats{6, kNow - 50, kNow + 4}));
}

TEST_F(StoreEventTypesTest, ChangedCountsAreFlushedWithinTheInterval) {
  options_.event_types_flush_interval = 20ms;
  auto store = open();
  ASSERT_FALSE(submit_and_wait(*store, {accepted("app", "x", kNow)}));
  ASSERT_FALSE(submit_and_wait(*store, {accepted("app", "x", kNow + 1)}));
  ASSERT_FALSE(submit_and_wait(*store, {accepted("app", "x", kNow + 2)}));
  // No further write arrives: the idle writer wakes up for the flush.
  EXPECT_TRUE(stored_becomes(*store, {{"app", "x", {3, kNow, kNow + 2}}}));
}

TEST_F(StoreEventTypesTest, ReplayedAndUncataloguedRecordsAreNotCounted) {
  auto store = open();
  IngestRecord replay = accepted("minio", "replayed", kNow);
  replay.catalog = false;  // what a replay submits
  ASSERT_FALSE(submit_and_wait(*store, {replay}));
  EXPECT_TRUE(listed(*store).empty());
  EXPECT_TRUE(stored(*store).empty());
}

TEST_F(StoreEventTypesTest, BeyondTheCapNewPairsAreDroppedAndCounted) {
  options_.max_event_types = 2;
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, {accepted("a", "t1", kNow), accepted("a", "t2", kNow),
                                          accepted("a", "t3", kNow), accepted("a", "t3", kNow)}));
    ASSERT_FALSE(submit_and_wait(*store, {accepted("a", "t4", kNow), accepted("a", "t1", kNow)}));
    auto l = store->event_types(std::nullopt);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->entries.size(), 2u);
    EXPECT_EQ(l->dropped, 3u);  // t3 twice, t4 once
    EXPECT_EQ(l->max_pairs, 2u);
    EXPECT_EQ(store->stats().event_types, 2u);
    EXPECT_EQ(store->stats().event_types_dropped, 3u);
    EXPECT_EQ(stored(*store).size(), 2u);  // nothing of t3 or t4 was written
  }
  // A lower cap at the next start lists the first pairs in key order; the
  // others stay stored.
  options_.max_event_types = 1;
  auto store = open();
  EXPECT_EQ(listed(*store), (std::vector<EventTypeEntry>{{"a", "t1", {2, kNow, kNow}}}));
  EXPECT_EQ(stored(*store).size(), 2u);
}

TEST_F(StoreEventTypesTest, SwitchedOffKeepsNothing) {
  options_.event_types = false;
  auto store = open();
  ASSERT_FALSE(submit_and_wait(*store, {accepted("minio", "t", kNow)}));
  EXPECT_FALSE(store->event_types(std::nullopt));
  EXPECT_TRUE(stored(*store).empty());
  EXPECT_EQ(store->stats().event_types, 0u);
}

TEST_F(StoreEventTypesTest, ExpiryDropsPairsNotSeenWithinTheRetention) {
  options_.retention = std::chrono::milliseconds(7 * kDay);
  const std::int64_t old_ms = kNow - 8 * kDay;
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(
        *store, {accepted("a", "stale", old_ms), accepted("a", "seen-again", old_ms),
                 accepted("a", "fresh", kNow)}));
    // Seen again recently: only memory knows until the next flush, and
    // memory decides.
    ASSERT_FALSE(submit_and_wait(*store, {accepted("a", "seen-again", kNow)}));
    auto stats = store->expire(kNow);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->event_types_deleted, 1u);
    EXPECT_EQ(names_of(listed(*store)), (std::vector<std::string>{"fresh", "seen-again"}));
    EXPECT_EQ(names_of(stored(*store)), (std::vector<std::string>{"fresh", "seen-again"}));
  }
  // Pairs stored beyond the cap (not in memory) expire too.
  options_.max_event_types = 1;
  auto store = open();
  auto stats = store->expire(kNow + 2 * kDay);  // both last seen at kNow: kept
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->event_types_deleted, 0u);
  stats = store->expire(kNow + 8 * kDay);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->event_types_deleted, 2u);
  EXPECT_TRUE(listed(*store).empty());
  EXPECT_TRUE(stored(*store).empty());
}

}  // namespace
}  // namespace hookd::storage
