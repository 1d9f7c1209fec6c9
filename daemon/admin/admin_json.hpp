#pragma once
// The JSON shapes of the admin API (docs/admin-api.md): Subscription,
// EventSummary, Delivery and Attempt objects, and JSON responses. Times are
// RFC 3339 UTC strings with milliseconds; absent values are null.

#include "core/event.hpp"
#include "daemon/delivery/delivery_scheduler.hpp"
#include "daemon/http/net.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace hookd::daemon {

// "enabled", "paused", "disabled" or "failing".
std::string_view subscription_state(const SubscriptionStatus& s);

boost::json::object subscription_json(const SubscriptionStatus& s);
// A subscription's settings as the API shows them (docs/admin-api.md): no
// secret, password or header value, only that they are set; the URL without
// its query string, which may carry credentials.
boost::json::object subscription_config_json(const SubscriptionConfig& c, const Config& file);
boost::json::object event_summary_json(const Event& e);
boost::json::object delivery_json(const Delivery& d);
boost::json::object attempt_json(const Attempt& a);

// `body` serialized with Content-Type: application/json.
Response json_response(http::status status, const boost::json::value& body);

}  // namespace hookd::daemon
