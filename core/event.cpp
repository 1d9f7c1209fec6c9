#include "core/event.hpp"

namespace hookd {

const char* to_string(Format f) noexcept {
  switch (f) {
    case Format::minio: return "minio";
    case Format::opteryx: return "opteryx";
    case Format::cloudevents: return "cloudevents";
    case Format::generic: return "generic";
  }
  return "generic";
}

const char* to_string(DeliveryState s) noexcept {
  switch (s) {
    case DeliveryState::pending: return "pending";
    case DeliveryState::delivered: return "delivered";
    case DeliveryState::dead: return "dead";
    case DeliveryState::cancelled: return "cancelled";
  }
  return "pending";
}

}  // namespace hookd
