// storage.max_write_queue counts an ingest request's events plus their
// deliveries, and still admits an oversized request into an empty queue.
// A writer that polls for work (busy_poll) still writes what comes while it
// polls and after, and stops at once when the store closes; it polls after
// a group of events, but sleeps at once after a group of outcomes only.
// A writer that gathers outcomes (outcome_delay) writes them in one group,
// and ends the wait at once for an event, for a full group, or to stop.
#include "storage/store.hpp"

#include "tests/unit/store_test_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <thread>

namespace hookd::storage {
namespace {

using namespace store_test;
using namespace std::chrono_literals;

class StoreWriteQueueTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    options_.max_write_queue = 10;
  }

  // Holds the writer thread inside a `done` callback until release(), so
  // that later requests stay queued; returns once the writer is held.
  void hold_writer(Store& store) {
    release_ = std::promise<void>();
    auto entered = std::make_shared<std::promise<void>>();
    auto held = entered->get_future();
    auto released = release_.get_future().share();
    ASSERT_FALSE(store.submit({make_record(ulids_.next(kNow), kNow, 0)},
                              [entered, released](error_code) {
                                entered->set_value();
                                released.wait_for(10s);  // bounded, should the test fail
                              }));
    ASSERT_EQ(held.wait_for(10s), std::future_status::ready);
  }
  void release() { release_.set_value(); }

  // Queues `records` without waiting; the future holds the write's result.
  error_code submit(Store& store, std::vector<IngestRecord> records,
                    std::vector<std::future<error_code>>& written) {
    auto p = std::make_shared<std::promise<error_code>>();
    written.push_back(p->get_future());
    error_code ec = store.submit(std::move(records), [p](error_code e) { p->set_value(e); });
    if (ec) written.pop_back();
    return ec;
  }

  std::promise<void> release_;
};

TEST_F(StoreWriteQueueTest, IngestCountsEventsPlusDeliveries) {
  auto store = open();
  hold_writer(*store);
  std::vector<std::future<error_code>> written;
  // 1 event + 4 deliveries = 5 units, twice: exactly the bound.
  EXPECT_FALSE(submit(*store, {make_record(ulids_.next(kNow), kNow, 4)}, written));
  EXPECT_FALSE(submit(*store, {make_record(ulids_.next(kNow), kNow, 4)}, written));
  EXPECT_EQ(store->stats().queue_depth, 10u);
  // Two events would fit if only events counted; one more unit does not.
  EXPECT_EQ(submit(*store, {make_record(ulids_.next(kNow), kNow, 0)}, written),
            storage_errc::busy);
  release();
  for (auto& w : written) {
    ASSERT_EQ(w.wait_for(10s), std::future_status::ready);
    EXPECT_FALSE(w.get());
  }
  EXPECT_EQ(store->stats().queue_depth, 0u);
}

TEST_F(StoreWriteQueueTest, RequestLargerThanTheBoundIsAdmittedOnlyIntoAnEmptyQueue) {
  auto store = open();
  hold_writer(*store);
  std::vector<std::future<error_code>> written;
  // 2 events routed to 5 subscriptions each: 12 units, over the bound of 10.
  std::vector<IngestRecord> big{make_record(ulids_.next(kNow), kNow, 5),
                                make_record(ulids_.next(kNow), kNow, 5)};
  EXPECT_FALSE(submit(*store, big, written)) << "an empty queue admits it";
  EXPECT_EQ(store->stats().queue_depth, 12u);
  EXPECT_EQ(submit(*store, {make_record(ulids_.next(kNow), kNow, 0)}, written),
            storage_errc::busy);
  release();
  ASSERT_EQ(written.size(), 1u);
  ASSERT_EQ(written[0].wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(written[0].get());

  // The same request behind a small one waits for the queue to drain.
  hold_writer(*store);
  written.clear();
  EXPECT_FALSE(submit(*store, {make_record(ulids_.next(kNow), kNow, 0)}, written));
  big = {make_record(ulids_.next(kNow), kNow, 5), make_record(ulids_.next(kNow), kNow, 5)};
  EXPECT_EQ(submit(*store, big, written), storage_errc::busy);
  release();
  for (auto& w : written) {
    ASSERT_EQ(w.wait_for(10s), std::future_status::ready);
    EXPECT_FALSE(w.get());
  }
}

using StoreBusyPollTest = StoreTest;

TEST_F(StoreBusyPollTest, APollingWriterWritesWhatComesAndClosesAtOnce) {
  options_.busy_poll = std::chrono::microseconds(30s);  // far longer than the test
  std::unique_ptr<Store> store = open();
  ASSERT_TRUE(store);
  std::vector<std::string> ids;
  // Back to back (found while polling), then after a pause (still polling).
  // Each is written within 5 s: one the poll missed would wait out its 30 s.
  for (int i = 0; i < 3; ++i) {
    ids.push_back(ulids_.next(kNow));
    auto written = std::make_shared<std::promise<error_code>>();
    auto result = written->get_future();
    ASSERT_FALSE(store->submit({make_record(ids.back(), kNow, 1)},
                               [written](error_code e) { written->set_value(e); }));
    ASSERT_EQ(result.wait_for(5s), std::future_status::ready) << "request " << i;
    EXPECT_FALSE(result.get());
    if (i == 1) std::this_thread::sleep_for(20ms);
  }
  for (const std::string& id : ids) {
    auto event = store->get_event(id);
    ASSERT_TRUE(event) << id;
    EXPECT_TRUE(event->has_value()) << id;
  }
  // Closing ends the poll: the writer thread joins long before 30 s.
  auto closed = std::async(std::launch::async, [&store] { store.reset(); });
  EXPECT_EQ(closed.wait_for(10s), std::future_status::ready);
}

// utime+stime (clock ticks) of this process's thread named `name`; -1 if none.
long thread_ticks(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string got;
    std::getline(comm, got);
    if (got != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the ")" that closes comm: state is field 3, utime 14, stime 15.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
  }
  return -1;
}

// The CPU the writer thread uses over half a second.
long writer_ticks_over_half_a_second() {
  const long before = thread_ticks("hookd-writer");
  std::this_thread::sleep_for(500ms);
  const long after = thread_ticks("hookd-writer");
  return before < 0 || after < 0 ? -1 : after - before;
}

TEST_F(StoreBusyPollTest, TheWriterPollsAfterEventsButNotAfterOutcomesOnly) {
  options_.busy_poll = std::chrono::microseconds(30s);  // far longer than the test
  std::unique_ptr<Store> store = open();
  ASSERT_TRUE(store);
  const std::string id = ulids_.next(kNow);
  ASSERT_FALSE(submit_and_wait(*store, {make_record(id, kNow, 1)}));
  // After the event's group the writer polls (sched_yield in a loop): it
  // uses CPU while nothing is queued.
  const long polling = writer_ticks_over_half_a_second();
  ASSERT_GE(polling, 0) << "no hookd-writer thread";
  EXPECT_GE(polling, 3) << "the writer should be polling after an event";
  // The outcome is found by that poll; after its group the writer sleeps.
  std::promise<error_code> recorded;
  ASSERT_FALSE(store->mark_delivered(id + ".0", kNow + 10, make_attempt(1),
                                     [&](error_code e) { recorded.set_value(e); }));
  auto result = recorded.get_future();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(result.get());
  EXPECT_LE(writer_ticks_over_half_a_second(), 1) << "the writer polled after an outcome";
}

class StoreOutcomeDelayTest : public StoreWriteQueueTest {
 protected:
  void SetUp() override {
    StoreWriteQueueTest::SetUp();
    options_.max_write_queue = 65536;
    options_.outcome_delay = std::chrono::microseconds(30s);  // far longer than the test
    options_.event_types = false;  // no catalog write between the groups
  }

  // mark_delivered() of `id` without waiting; the future holds its result.
  void deliver(Store& store, const std::string& id, std::vector<std::future<error_code>>& done) {
    auto p = std::make_shared<std::promise<error_code>>();
    done.push_back(p->get_future());
    ASSERT_FALSE(store.mark_delivered(id, kNow + 10, make_attempt(1),
                                      [p](error_code e) { p->set_value(e); }));
  }

  static void expect_written(std::vector<std::future<error_code>>& done) {
    for (auto& d : done) {
      ASSERT_EQ(d.wait_for(5s), std::future_status::ready);
      EXPECT_FALSE(d.get());
    }
    done.clear();
  }

  // Makes the writer write deliveries id.from .. id.from+3 as one group of
  // outcomes only (they queue while it is held), as a draining backlog's
  // stream does: the writer then gathers the next group.
  void stream(Store& store, const std::string& id, int from) {
    hold_writer(store);
    std::vector<std::future<error_code>> done;
    for (int i = from; i < from + static_cast<int>(kOutcomeStreamUnits); ++i)
      deliver(store, id + "." + std::to_string(i), done);
    release();
    expect_written(done);
  }
};

TEST_F(StoreOutcomeDelayTest, ALoneOutcomeIsWrittenAtOnce) {
  std::unique_ptr<Store> store = open();
  const std::string id = ulids_.next(kNow);
  ASSERT_FALSE(submit_and_wait(*store, {make_record(id, kNow, 1)}));
  std::vector<std::future<error_code>> done;
  deliver(*store, id + ".0", done);
  expect_written(done);  // within 5 s: not held for the 30 s
}

TEST_F(StoreOutcomeDelayTest, StreamedOutcomesWaitForAnEventAndShareItsWrite) {
  std::unique_ptr<Store> store = open();
  const std::string first = ulids_.next(kNow);
  ASSERT_FALSE(submit_and_wait(*store, {make_record(first, kNow, 7)}));
  stream(*store, first, 0);
  const std::uint64_t writes = store->stats().writes;
  std::vector<std::future<error_code>> done;
  deliver(*store, first + ".4", done);
  deliver(*store, first + ".5", done);
  // The outcomes gather (for 30 s) until the event comes; all in one write.
  const std::string second = ulids_.next(kNow);
  ASSERT_FALSE(submit_and_wait(*store, {make_record(second, kNow, 1)}));
  expect_written(done);
  EXPECT_EQ(store->stats().writes, writes + 1);
  EXPECT_EQ(store->get_delivery(first + ".4")->value().state, DeliveryState::delivered);
  EXPECT_EQ(store->get_delivery(first + ".5")->value().state, DeliveryState::delivered);
  EXPECT_EQ(store->get_delivery(first + ".6")->value().state, DeliveryState::pending);
}

TEST_F(StoreOutcomeDelayTest, AFullGroupOfOutcomesIsWrittenWithoutWaiting) {
  std::unique_ptr<Store> store = open();
  const std::string id = ulids_.next(kNow);
  const int n = static_cast<int>(kOutcomeGroupUnits);
  ASSERT_FALSE(submit_and_wait(*store, {make_record(id, kNow, n + 4)}));
  stream(*store, id, 0);
  std::vector<std::future<error_code>> done;
  for (int i = 4; i < n + 4; ++i) deliver(*store, id + "." + std::to_string(i), done);
  expect_written(done);  // within 5 s: the full group did not wait
}

TEST_F(StoreOutcomeDelayTest, ShortDelayEndsOnItsOwnAndClosingEndsALongOne) {
  options_.outcome_delay = std::chrono::microseconds(20ms);
  std::unique_ptr<Store> store = open();
  const std::string id = ulids_.next(kNow);
  ASSERT_FALSE(submit_and_wait(*store, {make_record(id, kNow, 10)}));
  stream(*store, id, 0);
  std::vector<std::future<error_code>> done;
  deliver(*store, id + ".4", done);
  expect_written(done);
  store.reset();

  options_.outcome_delay = std::chrono::microseconds(30s);
  store = open();
  stream(*store, id, 5);
  deliver(*store, id + ".9", done);
  // Closing writes the gathered outcome and joins the writer long before 30 s.
  auto closed = std::async(std::launch::async, [&store] { store.reset(); });
  ASSERT_EQ(closed.wait_for(10s), std::future_status::ready);
  expect_written(done);
  store = open();
  EXPECT_EQ(store->get_delivery(id + ".9")->value().state, DeliveryState::delivered);
}

}  // namespace
}  // namespace hookd::storage
