#pragma once
// ReplayJobs: replays run as background jobs (docs/admin-api.md, Jobs). A job
// is a coroutine on the io thread around DeliveryScheduler::replay, which
// scans on the storage reader and yields between chunks; the admin API
// answers a large replay at once with the job's id and shows its progress at
// GET /v1/jobs/ID.
//
// Bounds: at most kMaxRunning jobs run at a time (start() refuses more); of
// the finished ones only the kKeepFinished newest are kept, older ones are
// forgotten (404). Ids count up from 1 within one daemon run.
//
// Threads: io thread only. Lifetime: owned by AdminHandler; the scheduler
// outlives it. A job's coroutine holds the job (shared_ptr) and refers to the
// registry and the scheduler, which App keeps until the io loop has ended.

#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/http/net.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hookd::daemon {

struct ReplayJob {
  enum class Status { running, done, failed };
  std::string id;
  std::string subscription;
  std::int64_t since_ms = 0;
  std::int64_t until_ms = 0;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;  // 0 while running
  Status status = Status::running;
  error_code error;  // when failed
  std::shared_ptr<ReplayProgress> progress = std::make_shared<ReplayProgress>();
  // Woken (cancelled) after each chunk and when the job ends: what an
  // inline answer waits on.
  std::unique_ptr<net::steady_timer> wake;
};

class ReplayJobs {
 public:
  static constexpr std::size_t kMaxRunning = 4;
  static constexpr std::size_t kKeepFinished = 8;

  explicit ReplayJobs(DeliveryScheduler& scheduler) : scheduler_(scheduler) {}

  // Starts a replay on `ex` (the io executor); nullptr when kMaxRunning are
  // running already.
  std::shared_ptr<ReplayJob> start(net::any_io_executor ex, std::string subscription,
                                   std::int64_t since_ms, std::int64_t until_ms);
  std::shared_ptr<const ReplayJob> find(std::string_view id) const;
  // Running jobs, then finished ones, newest first.
  std::vector<std::shared_ptr<const ReplayJob>> list() const;
  // Drops a finished job (one answered inline).
  void forget(std::string_view id);
  // Asks every running job to end after its current chunk (shutdown).
  void stop();

 private:
  net::awaitable<void> run(std::shared_ptr<ReplayJob> job);

  DeliveryScheduler& scheduler_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, std::shared_ptr<ReplayJob>, std::less<>> running_;
  std::deque<std::shared_ptr<ReplayJob>> finished_;  // oldest first
};

// {"id", "type": "replay", "subscription", "since", "until", "status":
// "running"|"done"|"failed", "scanned", "matched", "created", "error",
// "started", "finished"}.
boost::json::object job_json(const ReplayJob& job);

}  // namespace hookd::daemon
