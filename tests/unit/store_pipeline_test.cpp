// Pipelined commit (group_writer.hpp): a group is written unsynced and its
// requests complete after the WAL sync, on the writer when nothing overlaps
// or on the sync thread while the writer builds the next group; requests
// complete in the order they were written; a failed sync is final and hides
// what it may have left in the memtables from idempotency lookups.
#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <pthread.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hookd::storage {
namespace {

using namespace store_test;
using namespace std::chrono_literals;

std::string thread_name() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

using StorePipelineTest = StoreTest;

TEST_F(StorePipelineTest, OneRequestAloneCompletesOnTheWriterOnceSynced) {
  auto store = open();
  std::promise<std::string> ran_on;
  auto done = ran_on.get_future();
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 1);
  ASSERT_FALSE(store->submit({r}, [&](error_code ec) {
    EXPECT_FALSE(ec);
    ran_on.set_value(thread_name());
  }));
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(done.get(), "hookd-writer");
  EXPECT_TRUE(*store->get_event(r.event.id));
}

// While requests keep coming, some groups are handed to the sync thread;
// every request completes once, without error, in the order it was queued,
// and all of it is there after a reopen.
TEST_F(StorePipelineTest, GroupsOverlapTheirSyncAndCompleteInOrder) {
  auto store = open();
  std::mutex mu;
  std::vector<int> order;  // indexes of completed requests
  int on_sync_thread = 0, failures = 0;
  std::vector<std::string> ids;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  // Queued back to back from one thread: completion order must be queue order.
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    {
      std::lock_guard lock(mu);
      if (on_sync_thread >= 20 && i >= 500) break;
    }
    ids.push_back(ulids_.next(kNow));
    error_code ec = store->submit({make_record(ids.back(), kNow, 1)}, [&, i](error_code e) {
      std::lock_guard lock(mu);
      if (e) ++failures;
      if (thread_name() == "hookd-walsync") ++on_sync_thread;
      order.push_back(i);
    });
    if (ec == storage_errc::busy) {  // the queue is at its bound: let it drain
      ids.pop_back();
      --i;
      std::this_thread::sleep_for(100us);
      continue;
    }
    ASSERT_FALSE(ec) << ec.message();
  }
  while (std::chrono::steady_clock::now() < deadline + 10s) {
    {
      std::lock_guard lock(mu);
      if (order.size() == ids.size()) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(order.size(), ids.size());
  EXPECT_GE(on_sync_thread, 20) << "no group was handed to the sync thread";
  EXPECT_EQ(failures, 0);
  for (std::size_t k = 0; k < order.size(); ++k) ASSERT_EQ(order[k], static_cast<int>(k));
  store.reset();
  store = open();
  for (const std::string& id : ids) ASSERT_TRUE(*store->get_event(id)) << id;
}

TEST_F(StorePipelineTest, AFailedSyncIsFinalAndHidesWhatItWrote) {
  auto fail = std::make_shared<std::atomic<bool>>(false);
  options_.fail_syncs_for_test = fail;
  auto store = open();
  IngestRecord before = make_record(ulids_.next(kNow), kNow, 1);
  ASSERT_FALSE(submit_and_wait(*store, {before}));

  fail->store(true);
  IngestRecord r = make_record(ulids_.next(kNow), kNow, 1);
  EXPECT_EQ(submit_and_wait(*store, {r}), storage_errc::io_error);
  // Its idem key is in the memtable, but the event may not be on disk: a
  // lookup must not report it (a re-send would be answered as a duplicate).
  auto found = store->find_idempotency("minio", r.event.idempotency_key, kNow);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error(), storage_errc::io_error);
  EXPECT_FALSE(store->find_idempotency("minio", before.event.idempotency_key, kNow));

  fail->store(false);  // the disk "recovers": the store still refuses
  EXPECT_EQ(submit_and_wait(*store, {make_record(ulids_.next(kNow), kNow, 0)}),
            storage_errc::io_error);
  EXPECT_EQ(store->mark_dead(before.deliveries[0].id, kNow, "gone", std::nullopt,
                             nullptr),
            error_code{});  // queued; refused on the writer (checked below)
  store.reset();

  // A restart recovers what the WAL holds; the store works again.
  fail->store(false);
  store = open();
  EXPECT_TRUE(*store->get_event(before.event.id));
  auto d = store->get_delivery(before.deliveries[0].id);
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->state, DeliveryState::pending);  // the refused mark_dead left it
  EXPECT_FALSE(submit_and_wait(*store, {make_record(ulids_.next(kNow), kNow, 0)}));
}

}  // namespace
}  // namespace hookd::storage
