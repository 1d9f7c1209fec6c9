#pragma once
// hookctl's human-readable rendering of admin API answers (docs/admin-api.md):
// each function takes the answer's JSON object and returns the text to print.
// Missing or mistyped fields print as "-" rather than failing, so a newer
// daemon's answers still render.

#include <boost/json/object.hpp>

#include <string>

namespace hookd::hookctl {

// {"subscriptions":[Subscription]} as a table.
std::string render_subscriptions(const boost::json::object& answer);
// "3 subscriptions (2 enabled, 1 paused); 12 pending, 1 in flight, 4 dead".
std::string render_subscriptions_summary(const boost::json::object& answer);
// {"events":[EventSummary],"next":...} as a table, with the next page's hint.
std::string render_events(const boost::json::object& answer);
// {"event":EventSummary,"body":...,"deliveries":[Delivery]}.
std::string render_event(const boost::json::object& answer);
// {"deliveries":[Delivery],"next":...} as a table, with the next page's hint.
std::string render_deliveries(const boost::json::object& answer);
// {"delivery":Delivery,"attempts":[Attempt]}.
std::string render_delivery(const boost::json::object& answer);
// {"delivery":Delivery} after a retry: its state and next attempt.
std::string render_retried(const boost::json::object& answer);
// {"subscription":Subscription} after pause or resume: its state.
std::string render_subscription_state(const boost::json::object& answer);
// {"event_types":[EventType],"dropped":N} as a table, with a line about
// dropped events when there are any.
std::string render_event_types(const boost::json::object& answer);

// {"subscriptions":[Subscription]} as a table with origins and labels.
std::string render_subscription_list(const boost::json::object& answer);
// {"subscription":Subscription}: every field the answer has.
std::string render_subscription(const boost::json::object& answer);
// 201 {"subscription":...,"secret"?}: a summary, and the generated secret
// with the note that it is shown only now.
std::string render_subscription_created(const boost::json::object& answer);
// {"subscription":...} after update or replace.
std::string render_subscription_updated(const boost::json::object& answer);
// {"deleted":NAME,"cancelled":N}.
std::string render_subscription_deleted(const boost::json::object& answer);
// {"subscription":...,"secret"?,"previous_valid_until"}.
std::string render_secret_rotated(const boost::json::object& answer);
// 202 {"event_id","delivery_id"}.
std::string render_test_queued(const boost::json::object& answer);

}  // namespace hookd::hookctl
