#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

namespace hookd::storage {
namespace {

using namespace std::chrono_literals;
using namespace store_test;

TEST_F(StoreTest, SubmittedRecordsReadBack) {
  auto store = open();
  ASSERT_TRUE(store);
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 3);
  r.event.idempotency_key = "abc";
  const std::string id = r.event.id;
  ASSERT_FALSE(submit_and_wait(*store, {r}));

  auto event = store->get_event(id);
  ASSERT_TRUE(event && *event);
  EXPECT_EQ((*event)->body, r.event.body);
  EXPECT_EQ((*event)->attrs.bucket, "photos");

  auto deliveries = store->deliveries_of(id);
  ASSERT_TRUE(deliveries);
  EXPECT_EQ(ids_of(*deliveries),
            (std::vector<std::string>{id + ".0", id + ".1", id + ".2"}));
  auto one = store->get_delivery(id + ".1");
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->subscription, "sub1");

  auto found = store->find_idempotency("minio", "abc", kNow);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, id);
  EXPECT_FALSE(*store->find_idempotency("other", "abc", kNow));
  EXPECT_FALSE(*store->get_event("01ZZZZZZZZZZZZZZZZZZZZZZZZ"));
  EXPECT_FALSE(*store->get_delivery(id + ".9"));
  EXPECT_EQ(store->stats().records_written, 1u);
}

TEST_F(StoreTest, DeliveriesOfListsNumericOrdinalsInOrderAndOnlyThatEvent) {
  auto store = open();
  IngestRecord a = make_record("01A", kNow, 12);
  IngestRecord b = make_record("01A0", kNow, 1);  // "01A0." is not "01A."
  ASSERT_FALSE(submit_and_wait(*store, {a, b}));
  auto ds = store->deliveries_of("01A");
  ASSERT_TRUE(ds);
  ASSERT_EQ(ds->size(), 12u);
  EXPECT_EQ((*ds)[2].id, "01A.2");
  EXPECT_EQ((*ds)[11].id, "01A.11");
}

TEST_F(StoreTest, ListEventsPagesInIdOrder) {
  auto store = open();
  std::vector<IngestRecord> records;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(ulids_.next(kNow + i));
    records.push_back(make_record(ids.back(), kNow + i, 0));
  }
  ASSERT_FALSE(submit_and_wait(*store, records));
  auto first = store->list_events("", 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[1].id, ids[1]);
  auto rest = store->list_events(ids[1], 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].id, ids[2]);
  EXPECT_TRUE(store->list_events(ids[4], 10)->empty());
  EXPECT_TRUE(store->list_events("", 0)->empty());
}

TEST_F(StoreTest, RequestWithSeveralRecordsIsVisibleAsAWhole) {
  auto store = open();
  std::vector<IngestRecord> records;
  for (int i = 0; i < 50; ++i)
    records.push_back(make_record(ulids_.next(kNow), kNow, 2));
  ASSERT_FALSE(submit_and_wait(*store, records));
  for (const IngestRecord& r : records) {
    EXPECT_TRUE(*store->get_event(r.event.id));
    EXPECT_EQ(store->deliveries_of(r.event.id)->size(), 2u);
    EXPECT_TRUE(
        *store->find_idempotency("minio", r.event.idempotency_key, kNow));
  }
  EXPECT_EQ(store->load_pending()->size(), 100u);
}

TEST_F(StoreTest, FailedWriteLeavesNothingAndReportsIoError) {
  auto fail = std::make_shared<std::atomic<bool>>(true);
  options_.fail_writes_for_test = fail;
  auto store = open();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 2);
  EXPECT_EQ(submit_and_wait(*store, {r}), storage_errc::io_error);
  EXPECT_FALSE(*store->get_event(r.event.id));
  EXPECT_TRUE(store->deliveries_of(r.event.id)->empty());
  EXPECT_FALSE(
      *store->find_idempotency("minio", r.event.idempotency_key, kNow));
  EXPECT_TRUE(store->load_pending()->empty());
  EXPECT_EQ(store->stats().records_written, 0u);

  fail->store(false);  // the store keeps working once writes succeed again
  EXPECT_FALSE(submit_and_wait(*store, {r}));
  EXPECT_TRUE(*store->get_event(r.event.id));
}

TEST_F(StoreTest, ConcurrentSubmittersAreEachCompletedOnceAndGrouped) {
  auto store = open();
  constexpr int kThreads = 8, kPerThread = 100;
  std::atomic<int> completions{0}, failures{0};
  std::mutex mu;
  std::map<std::string, int> done_count;  // event id -> times done ran
  std::vector<std::string> all_ids[kThreads];
  std::vector<std::thread> threads;
  std::latch start(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      UlidGenerator gen;
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = gen.next(kNow);
        all_ids[t].push_back(id);
        error_code ec =
            store->submit({make_record(id, kNow, 1)}, [&, id](error_code e) {
              if (e) ++failures;
              std::lock_guard lock(mu);
              ++done_count[id];
              ++completions;
            });
        ASSERT_FALSE(ec) << ec.message();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (completions.load() < kThreads * kPerThread &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(completions.load(), kThreads * kPerThread);
  EXPECT_EQ(failures.load(), 0);
  for (const auto& [id, n] : done_count) EXPECT_EQ(n, 1) << id;
  for (const auto& ids : all_ids)
    for (const std::string& id : ids) ASSERT_TRUE(*store->get_event(id)) << id;
  StoreStats stats = store->stats();
  EXPECT_EQ(stats.records_written, std::uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.writes, std::uint64_t{kThreads * kPerThread})
      << "group commit did not group";
  EXPECT_EQ(stats.queue_depth, 0u);
}

TEST_F(StoreTest, DataSurvivesCloseAndReopen) {
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 2);
  {
    auto store = open();
    ASSERT_FALSE(submit_and_wait(*store, {r}));
    Delivery done = r.deliveries[0];
    done.state = DeliveryState::delivered;
    ASSERT_FALSE(update_and_wait(*store, {done}));
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(*store->get_event(r.event.id));
  EXPECT_TRUE(*store->find_idempotency("minio", r.event.idempotency_key, kNow));
  auto pending = store->load_pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(ids_of(*pending), std::vector<std::string>{r.deliveries[1].id});
  EXPECT_GT(store->stats().disk_bytes, 0u);
}

TEST_F(StoreTest, DestructorDrainsQueuedWrites) {
  std::atomic<int> completions{0};
  std::vector<std::string> ids;
  {
    auto store = open();
    for (int i = 0; i < 200; ++i) {
      ids.push_back(ulids_.next(kNow));
      ASSERT_FALSE(
          store->submit({make_record(ids.back(), kNow, 1)}, [&](error_code e) {
            if (!e) ++completions;
          }));
    }
  }
  EXPECT_EQ(completions.load(), 200);
  auto store = open();
  for (const std::string& id : ids) EXPECT_TRUE(*store->get_event(id));
}

TEST_F(StoreTest, SubmitIsBusyWhenTheQueueIsFull) {
  options_.max_write_queue = 3;
  auto store = open();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> writer_held;
  ASSERT_FALSE(store->submit({make_record(ulids_.next(kNow), kNow, 0)},
                             [&, released](error_code) {
                               writer_held.set_value();
                               released.wait();
                             }));
  writer_held.get_future().wait();  // the queue is empty, the writer blocked
  std::atomic<int> completed{0};
  auto done = [&](error_code) { ++completed; };
  auto two = std::vector<IngestRecord>{make_record(ulids_.next(kNow), kNow, 0),
                                       make_record(ulids_.next(kNow), kNow, 0)};
  EXPECT_FALSE(store->submit(two, done));
  EXPECT_FALSE(store->submit({make_record(ulids_.next(kNow), kNow, 0)}, done));
  EXPECT_EQ(store->stats().queue_depth, 3u);
  EXPECT_EQ(store->submit({make_record(ulids_.next(kNow), kNow, 0)}, done),
            storage_errc::busy);
  EXPECT_EQ(store->update_deliveries({make_delivery("01X", 0, kNow)}, done),
            storage_errc::busy);
  release.set_value();
  ASSERT_FALSE(submit_and_wait(*store, {}));  // a barrier behind the queue
  EXPECT_EQ(completed.load(), 2);             // busy requests never call done
  // An oversized request is still admitted into an empty queue.
  std::vector<IngestRecord> big;
  for (int i = 0; i < 5; ++i)
    big.push_back(make_record(ulids_.next(kNow), kNow, 0));
  EXPECT_FALSE(submit_and_wait(*store, big));
}

TEST_F(StoreTest, OpenFailsWithAMessageWhenThePathIsAFile) {
  options_.path = dir_ + "/file";
  std::ofstream(options_.path) << "not a database";
  std::string why;
  auto store = Store::open(options_, &why);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().category(), storage_category());
  EXPECT_FALSE(why.empty());
}

TEST_F(StoreTest, SecondOpenOfTheSamePathFails) {
  auto first = open();
  ASSERT_TRUE(first);
  std::string why;
  auto second = Store::open(options_, &why);
  ASSERT_FALSE(second);
  EXPECT_NE(why.find("LOCK"), std::string::npos) << why;
}

TEST_F(StoreTest, FlushSucceedsAndStatsSeeDiskBytes) {
  auto store = open();
  ASSERT_FALSE(
      submit_and_wait(*store, {make_record(ulids_.next(kNow), kNow, 1)}));
  EXPECT_FALSE(store->flush());
  EXPECT_GT(store->stats().disk_bytes, 0u);
  EXPECT_EQ(store->stats().writes, 1u);
}

}  // namespace
}  // namespace hookd::storage
