#pragma once
// Transition: one narrow change of a stored delivery (EventStore's
// mark_delivered, schedule_retry, mark_dead, requeue), and the pure rule that
// applies it to the record as stored, or refuses it.
//
// Every backend applies transitions where no other write of the same
// delivery can race it (for RocksDB: on the GroupWriter thread, against the
// record as the group being built will leave it), so the check and the write
// are one step. No RocksDB here; thread-safe (pure functions).

#include "core/errors.hpp"
#include "core/event.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace hookd::storage {

struct Transition {
  enum class Kind : std::uint8_t {
    delivered,  // pending -> delivered; last_error cleared
    retry,      // pending -> pending, due at next_attempt_ms (a 410 too: due now)
    dead,       // pending -> dead
    requeue,    // pending or dead -> pending, due at now_ms, fresh attempt budget
    cancel,     // pending -> cancelled (its subscription was deleted); last_error = reason
  };
  Kind kind = Kind::delivered;
  std::string delivery_id;
  std::int64_t now_ms = 0;           // becomes updated_ms
  std::int64_t next_attempt_ms = 0;  // retry only
  std::string last_error;            // retry and dead
  // delivered, retry and dead stand for one attempt made: its record, written
  // in the same atomic write when given. requeue records none.
  std::optional<Attempt> attempt;
};

// "mark_delivered", "schedule_retry", "mark_dead", "requeue", "cancel": the verb's name,
// for logs.
const char* to_string(Transition::Kind kind) noexcept;

// The delivery after `t` is applied to `stored`. Refuses with
// storage_errc::invalid_transition when stored.state does not allow the kind
// (only requeue leaves a dead delivery, nothing leaves a delivered or
// cancelled one), and
// with storage_errc::attempt_mismatch when t.attempt's number is not
// stored.attempts + 1. An attempt-making kind sets attempts to the attempt's
// number, or to stored.attempts + 1 without a record; every kind sets
// updated_ms = t.now_ms. next_attempt_ms changes only for retry and requeue.
result<Delivery> apply_transition(const Delivery& stored, const Transition& t);

}  // namespace hookd::storage
