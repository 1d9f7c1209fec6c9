#pragma once
// Shared by the Store tests: a fixture with a fresh database directory under
// /tmp (removed afterwards) and builders of events, deliveries and records.

#include "core/ulid.hpp"
#include "storage/store.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace hookd::storage::store_test {

inline constexpr std::int64_t kNow = 1'750'000'000'000;  // a fixed "now" (2025)
inline constexpr std::int64_t kDay = 24LL * 3600 * 1000;

// A fresh directory under /tmp, removed with its contents afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hookd_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<Store> open() {
    std::string why;
    auto store = Store::open(options_, &why);
    EXPECT_TRUE(store) << why;
    return store ? std::move(*store) : nullptr;
  }

  std::string dir_;
  StoreOptions options_;
  UlidGenerator ulids_;
};

inline Event make_event(std::string id, std::int64_t received_ms,
                        std::string key = "") {
  Event e;
  e.id = std::move(id);
  e.source = "minio";
  e.format = Format::minio;
  e.type = "s3:ObjectCreated:Put";
  e.time_ms = received_ms;
  e.received_ms = received_ms;
  e.idempotency_key = key.empty() ? "key-" + e.id : std::move(key);
  e.attrs.bucket = "photos";
  e.body = R"({"Records":[]})";
  return e;
}

inline Delivery make_delivery(const std::string& event_id, int ordinal,
                              std::int64_t due_ms,
                              DeliveryState state = DeliveryState::pending) {
  Delivery d;
  d.id = event_id + "." + std::to_string(ordinal);
  d.event_id = event_id;
  d.subscription = "sub" + std::to_string(ordinal);
  d.state = state;
  d.next_attempt_ms = due_ms;
  d.created_ms = due_ms;
  return d;
}

inline IngestRecord make_record(std::string id, std::int64_t received_ms,
                                int deliveries,
                                DeliveryState state = DeliveryState::pending) {
  IngestRecord r;
  r.event = make_event(std::move(id), received_ms);
  for (int i = 0; i < deliveries; ++i)
    r.deliveries.push_back(
        make_delivery(r.event.id, i, received_ms + i, state));
  return r;
}

// submit() and wait for `done`; the error it reported.
inline error_code submit_and_wait(Store& store,
                                  std::vector<IngestRecord> records) {
  std::promise<error_code> p;
  error_code ec =
      store.submit(std::move(records), [&](error_code e) { p.set_value(e); });
  if (ec) return ec;
  return p.get_future().get();
}

inline error_code update_and_wait(Store& store,
                                  std::vector<Delivery> deliveries) {
  std::promise<error_code> p;
  error_code ec = store.update_deliveries(
      std::move(deliveries), [&](error_code e) { p.set_value(e); });
  if (ec) return ec;
  return p.get_future().get();
}

// update_deliveries() with attempt records, and wait for `done`.
inline error_code record_and_wait(Store& store,
                                  std::vector<Store::DeliveryUpdate> updates) {
  std::promise<error_code> p;
  error_code ec = store.update_deliveries(
      std::move(updates), [&](error_code e) { p.set_value(e); });
  if (ec) return ec;
  return p.get_future().get();
}

inline error_code put_state_and_wait(Store& store, std::string name,
                                     SubscriptionState state) {
  std::promise<error_code> p;
  error_code ec = store.put_subscription_state(
      std::move(name), std::move(state), [&](error_code e) { p.set_value(e); });
  if (ec) return ec;
  return p.get_future().get();
}

// A failed attempt numbered `number`; every field depends on the number.
inline Attempt make_attempt(std::uint32_t number) {
  Attempt a;
  a.number = number;
  a.started_ms = kNow + number;
  a.latency_us = 1000 * static_cast<std::int64_t>(number);
  a.status = 500;
  a.error = "";
  a.response_excerpt = "oops " + std::to_string(number);
  return a;
}

inline std::vector<std::uint32_t> numbers_of(const std::vector<Attempt>& as) {
  std::vector<std::uint32_t> out;
  for (const Attempt& a : as) out.push_back(a.number);
  return out;
}

inline std::vector<std::string> ids_of(const std::vector<Delivery>& ds) {
  std::vector<std::string> out;
  for (const Delivery& d : ds) out.push_back(d.id);
  return out;
}

}  // namespace hookd::storage::store_test
