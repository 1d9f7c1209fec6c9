#include "daemon/admin/replay_jobs.hpp"

#include "core/clock.hpp"
#include "core/delivery/outgoing.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/log.hpp"

#include <algorithm>

namespace hookd::daemon {

std::shared_ptr<ReplayJob> ReplayJobs::start(net::any_io_executor ex, std::string subscription,
                                             std::int64_t since_ms, std::int64_t until_ms) {
  if (running_.size() >= kMaxRunning) return nullptr;
  auto job = std::make_shared<ReplayJob>();
  job->id = std::to_string(next_id_++);
  job->subscription = std::move(subscription);
  job->since_ms = since_ms;
  job->until_ms = until_ms;
  job->started_ms = unix_ms();
  job->wake = std::make_unique<net::steady_timer>(ex);
  job->wake->expires_at(net::steady_timer::time_point::max());
  ReplayJob* raw = job.get();
  job->progress->on_chunk = [raw] { raw->wake->cancel(); };
  running_.emplace(job->id, job);
  net::co_spawn(ex, run(job), log_if_exception);
  return job;
}

net::awaitable<void> ReplayJobs::run(std::shared_ptr<ReplayJob> job) {
  co_await net::this_coro::throw_if_cancelled(false);
  auto n = co_await scheduler_.replay(job->subscription, job->since_ms, job->until_ms,
                                      job->progress);
  job->finished_ms = unix_ms();
  if (n && job->progress->stop) {
    job->status = ReplayJob::Status::failed;
    job->error = net::error::operation_aborted;
  } else if (n) {
    job->status = ReplayJob::Status::done;
  } else {
    job->status = ReplayJob::Status::failed;
    job->error = n.error();
  }
  log::info("admin.replay_job", {{"job", job->id},
                                 {"sub", job->subscription},
                                 {"status", job->status == ReplayJob::Status::done ? "done" : "failed"},
                                 {"scanned", job->progress->scanned},
                                 {"created", job->progress->created}});
  job->progress->on_chunk = nullptr;
  job->wake->cancel();
  running_.erase(job->id);
  finished_.push_back(job);
  while (finished_.size() > kKeepFinished) finished_.pop_front();
}

std::shared_ptr<const ReplayJob> ReplayJobs::find(std::string_view id) const {
  if (auto it = running_.find(id); it != running_.end()) return it->second;
  for (const auto& j : finished_)
    if (j->id == id) return j;
  return nullptr;
}

std::vector<std::shared_ptr<const ReplayJob>> ReplayJobs::list() const {
  std::vector<std::shared_ptr<const ReplayJob>> out;
  for (const auto& [id, j] : running_) out.push_back(j);
  auto by_id_desc = [](const auto& a, const auto& b) {
    return std::stoull(a->id) > std::stoull(b->id);
  };
  std::sort(out.begin(), out.end(), by_id_desc);
  for (auto it = finished_.rbegin(); it != finished_.rend(); ++it) out.push_back(*it);
  return out;
}

void ReplayJobs::forget(std::string_view id) {
  std::erase_if(finished_, [&](const auto& j) { return j->id == id; });
}

void ReplayJobs::stop() {
  for (auto& [id, j] : running_) j->progress->stop = true;
}

boost::json::object job_json(const ReplayJob& job) {
  boost::json::object o;
  o["id"] = job.id;
  o["type"] = "replay";
  o["subscription"] = job.subscription;
  o["since"] = format_rfc3339_ms(job.since_ms);
  o["until"] = format_rfc3339_ms(job.until_ms);
  switch (job.status) {
    case ReplayJob::Status::running: o["status"] = "running"; break;
    case ReplayJob::Status::done: o["status"] = "done"; break;
    case ReplayJob::Status::failed: o["status"] = "failed"; break;
  }
  o["scanned"] = job.progress->scanned;
  o["matched"] = job.progress->matched;
  o["created"] = job.progress->created;
  if (job.status == ReplayJob::Status::failed)
    o["error"] = job.error == net::error::operation_aborted ? std::string("stopped")
                                                            : job.error.message();
  else
    o["error"] = nullptr;
  o["started"] = format_rfc3339_ms(job.started_ms);
  if (job.finished_ms)
    o["finished"] = format_rfc3339_ms(job.finished_ms);
  else
    o["finished"] = nullptr;
  return o;
}

}  // namespace hookd::daemon
