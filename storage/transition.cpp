#include "storage/transition.hpp"

#include <utility>

namespace hookd::storage {

const char* to_string(Transition::Kind kind) noexcept {
  switch (kind) {
    case Transition::Kind::delivered: return "mark_delivered";
    case Transition::Kind::retry: return "schedule_retry";
    case Transition::Kind::dead: return "mark_dead";
    case Transition::Kind::requeue: return "requeue";
    case Transition::Kind::cancel: return "cancel";
  }
  return "unknown";
}

result<Delivery> apply_transition(const Delivery& stored, const Transition& t) {
  Delivery d = stored;
  d.updated_ms = t.now_ms;
  if (t.kind == Transition::Kind::requeue) {
    // Delivered and cancelled are final: nothing is left to send, or no one to send it to.
    if (stored.state == DeliveryState::delivered || stored.state == DeliveryState::cancelled)
      return error_code(storage_errc::invalid_transition);
    d.state = DeliveryState::pending;
    d.next_attempt_ms = t.now_ms;
    d.attempt_base = stored.attempts;
    return d;
  }
  if (t.kind == Transition::Kind::cancel) {
    if (stored.state != DeliveryState::pending) return error_code(storage_errc::invalid_transition);
    d.state = DeliveryState::cancelled;
    d.last_error = t.last_error;
    return d;
  }
  // The other kinds record the outcome of an attempt, which only a pending
  // delivery can have had.
  if (stored.state != DeliveryState::pending) return error_code(storage_errc::invalid_transition);
  if (t.attempt && t.attempt->number != stored.attempts + 1)
    return error_code(storage_errc::attempt_mismatch);
  d.attempts = stored.attempts + 1;
  switch (t.kind) {
    case Transition::Kind::delivered:
      d.state = DeliveryState::delivered;
      d.last_error.clear();
      break;
    case Transition::Kind::retry:
      d.next_attempt_ms = t.next_attempt_ms;
      d.last_error = t.last_error;
      break;
    case Transition::Kind::dead:
      d.state = DeliveryState::dead;
      d.last_error = t.last_error;
      break;
    case Transition::Kind::requeue:
    case Transition::Kind::cancel: break;  // handled above
  }
  return d;
}

}  // namespace hookd::storage
