#include "daemon/admin/admin_handler.hpp"

#include "daemon/admin/admin_console.hpp"
#include "daemon/admin/admin_json.hpp"
#include "daemon/admin/admin_request.hpp"
#include "daemon/log.hpp"
#include "daemon/admin/metrics.hpp"

#include "core/text.hpp"
#include <boost/url/parse.hpp>

namespace hookd::daemon {

namespace {

bool is_get(const Request& req) {
  return req.method() == http::verb::get || req.method() == http::verb::head;
}

bool is_post(const Request& req) { return req.method() == http::verb::post; }


Response unauthorized(std::string_view message) {
  auto res = error_response(http::status::unauthorized, message);
  res.set(http::field::www_authenticate, "Bearer");
  return res;
}

Response status_json(http::status status, std::string_view text, std::string_view reason = {}) {
  boost::json::object o;
  o["status"] = text;
  if (!reason.empty()) o["reason"] = reason;
  return json_response(status, o);
}

}  // namespace

AdminHandler::AdminHandler(storage::EventStore& store, StorageReader& reader,
                           DeliveryScheduler& scheduler, IngestHandler& ingest, ConnPool& pool,
                           std::shared_ptr<const Config> config, std::function<bool()> ready,
                           SubscriptionRegistry* registry)
    : store_(store),
      reader_(reader),
      scheduler_(scheduler),
      ingest_(ingest),
      pool_(pool),
      config_(std::move(config)),
      ready_(std::move(ready)),
      registry_(registry),
      jobs_(scheduler) {}

net::awaitable<Response> AdminHandler::handle(Request& req, const ClientInfo& client) {
  co_await net::this_coro::throw_if_cancelled(false);
  std::string_view target(req.target().data(), req.target().size());
  auto url = boost::urls::parse_origin_form(target);
  if (!url) co_return error_response(http::status::bad_request, "malformed request target");
  std::vector<std::string> segs;
  for (auto s : url->segments()) segs.push_back(std::move(s));
  if (segs.empty() || segs.front() != "v1") {
    std::string path(target.substr(0, target.find('?')));
    co_return co_await open_endpoint(std::move(path), req);
  }
  if (auto refused = authorize(req, client)) co_return std::move(*refused);
  segs.erase(segs.begin());
  co_return co_await v1(req, segs, url->params());
}

net::awaitable<Response> AdminHandler::open_endpoint(std::string path, const Request& req) {
  co_await net::this_coro::throw_if_cancelled(false);
  if (auto console = console_response(path, req.method())) co_return std::move(*console);
  if (path != "/healthz" && path != "/readyz" && path != "/metrics")
    co_return error_response(http::status::not_found, "no such endpoint");
  if (!is_get(req)) co_return method_not_allowed("GET, HEAD");
  if (path == "/healthz") co_return status_json(http::status::ok, "ok");
  if (path == "/readyz") {
    if (!config_) co_return status_json(http::status::service_unavailable, "not ready", "no config");
    if (!ready_ || !ready_())
      co_return status_json(http::status::service_unavailable, "not ready", "starting or stopping");
    if (scheduler_.writes_failing())
      co_return status_json(http::status::service_unavailable, "not ready",
                         "storage writes are failing");
    co_return status_json(http::status::ok, "ready");
  }
  // disk_bytes lists the database directory: a file-system read.
  storage::EventStore* store = &store_;
  auto read = [store]() -> result<storage::StoreStats> { return store->stats(); };
  auto stats = co_await reader_.run(std::move(read));
  if (!stats) co_return storage_failure(stats.error());
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, kMetricsContentType);
  res.body() = render_metrics(*config_, ingest_, scheduler_, pool_, *stats, connections_);
  co_return res;
}

std::optional<Response> AdminHandler::check_head(const http::request_header<>& head,
                                                 const ClientInfo& client) const {
  // Only /v1 needs the token; a request without it is answered before its
  // body. The first segment is compared decoded, as the router reads it
  // (/%761/events is /v1/events); a target that does not parse is checked.
  std::string_view target(head.target().data(), head.target().size());
  auto parsed = boost::urls::parse_origin_form(target);
  if (parsed && (parsed->segments().empty() || parsed->segments().front() != "v1"))
    return std::nullopt;
  return authorize(head, client);
}

void AdminHandler::watch_connections(std::string listener, const ConnectionCounters& counters) {
  connections_.emplace_back(std::move(listener), &counters);
}

std::optional<Response> AdminHandler::authorize(const http::request_header<>& req,
                                                const ClientInfo& client) const {
  const std::string& token = config_->admin.token;
  if (token.empty())
    return error_response(http::status::forbidden, "admin API disabled: set [admin] token");
  auto it = req.find(http::field::authorization);
  if (it == req.end()) {
    log::info("admin.unauthorized",
              {{"client", client.address.to_string()}, {"reason", "no token"}});
    return unauthorized("Authorization: Bearer TOKEN required");
  }
  auto given = bearer_token(std::string_view(it->value().data(), it->value().size()));
  const std::string& read_token = config_->admin.read_token;
  const bool full = given && secret_equals(*given, token);
  const bool read_only = given && !full && !read_token.empty() && secret_equals(*given, read_token);
  if (!full && !read_only) {
    log::warn("admin.unauthorized",
              {{"client", client.address.to_string()}, {"reason", "wrong token"}});
    return unauthorized("wrong token");
  }
  if (read_only && req.method() != http::verb::get && req.method() != http::verb::head) {
    log::info("admin.forbidden", {{"client", client.address.to_string()}, {"reason", "read token"}});
    return error_response(http::status::forbidden, "the read-only token allows GET and HEAD only");
  }
  return std::nullopt;
}

bool AdminHandler::full_access(const http::request_header<>& req) const {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return false;
  auto given = bearer_token(std::string_view(it->value().data(), it->value().size()));
  return given && secret_equals(*given, config_->admin.token);
}

Response AdminHandler::whoami(const Request& req) const {
  // Reached only past authorize(): a token that is not the full one is the read token.
  boost::json::object o;
  o["access"] = full_access(req) ? "full" : "read";
  return json_response(http::status::ok, o);
}

net::awaitable<Response> AdminHandler::subscriptions_endpoint(const Request& req,
                                                              const std::vector<std::string>& segs,
                                                              boost::urls::params_view params) {
  co_await net::this_coro::throw_if_cancelled(false);
  const std::size_t n = segs.size();
  const http::verb m = req.method();
  auto no_params = [&]() -> std::optional<Response> {
    auto q = read_query(params, {});
    if (q.error.empty()) return std::nullopt;
    return error_response(http::status::bad_request, q.error);
  };
  if (n == 1) {
    if (is_get(req)) co_return list_subscriptions(params);
    if (m != http::verb::post) co_return method_not_allowed("GET, HEAD, POST");
    if (auto refused = no_params()) co_return std::move(*refused);
    if (!registry_) co_return error_response(http::status::not_found, "no such endpoint");
    co_return co_await create_subscription(req.body());
  }
  if (auto refused = no_params()) co_return std::move(*refused);
  const std::string& name = segs[1];
  if (n == 2) {
    if (is_get(req)) co_return get_subscription(name);
    if (!registry_) co_return method_not_allowed("GET, HEAD");
    if (m == http::verb::patch) co_return co_await update_subscription(name, req.body(), false);
    if (m == http::verb::put) co_return co_await update_subscription(name, req.body(), true);
    if (m == http::verb::delete_) co_return co_await delete_subscription(name);
    co_return method_not_allowed("GET, HEAD, PATCH, PUT, DELETE");
  }
  if (n != 3) co_return error_response(http::status::not_found, "no such endpoint");
  const std::string& action = segs[2];
  const bool known = action == "pause" || action == "resume" || action == "replay" ||
                     action == "enable" || action == "disable" || action == "rotate-secret" ||
                     action == "test";
  if (!known || (!registry_ && action != "pause" && action != "resume" && action != "replay"))
    co_return error_response(http::status::not_found, "no such endpoint");
  if (!is_post(req)) co_return method_not_allowed("POST");
  if (action == "replay") co_return co_await replay(name, req.body());
  if (action == "pause") co_return co_await pause_or_resume(name, true);
  if (action == "resume") co_return co_await pause_or_resume(name, false);
  if (action == "enable") co_return co_await enable_subscription(name, true);
  if (action == "disable") co_return co_await enable_subscription(name, false);
  if (action == "rotate-secret") co_return co_await rotate_secret(name, req.body());
  co_return co_await test_subscription(name);
}

net::awaitable<Response> AdminHandler::v1(const Request& req, const std::vector<std::string>& segs,
                                          boost::urls::params_view params) {
  co_await net::this_coro::throw_if_cancelled(false);
  const std::size_t n = segs.size();
  auto no_params = [&]() -> std::optional<Response> {
    auto q = read_query(params, {});
    if (q.error.empty()) return std::nullopt;
    return error_response(http::status::bad_request, q.error);
  };
  // Method first (405), then parameters (400), then the endpoint itself.
  auto refuse_get = [&](bool takes_params) -> std::optional<Response> {
    if (!is_get(req)) return method_not_allowed("GET, HEAD");
    if (!takes_params) return no_params();
    return std::nullopt;
  };
  auto get = [&](bool takes_params, auto&& fn) -> Response {
    if (auto refused = refuse_get(takes_params)) return std::move(*refused);
    return fn();
  };
  auto post = [&](bool takes_params) -> std::optional<Response> {
    if (!is_post(req)) return method_not_allowed("POST");
    if (!takes_params) return no_params();
    return std::nullopt;
  };
  const std::string first = n > 0 ? segs[0] : std::string();

  if (first == "subscriptions") co_return co_await subscriptions_endpoint(req, segs, params);
  if ((first == "events" || first == "deliveries") && (n == 1 || n == 2)) {
    if (auto refused = refuse_get(n == 1)) co_return std::move(*refused);
    // One co_await per statement: g++ 12 mishandles co_await on a ?: of awaitables.
    if (first == "events" && n == 1) co_return co_await list_events(params);
    if (first == "events") co_return co_await get_event(segs[1]);
    if (n == 1) co_return co_await list_deliveries(params);
    co_return co_await get_delivery(segs[1]);
  }
  if (first == "event-types" && n == 1) {
    if (auto refused = refuse_get(true)) co_return std::move(*refused);
    co_return co_await list_event_types(params);
  }
  if (first == "stats" && n == 2 && segs[1] == "series")
    co_return get(false, [&] { return stats_series(); });
  if (first == "whoami" && n == 1) co_return get(false, [&] { return whoami(req); });
  if (first == "jobs" && n == 1) co_return get(false, [&] { return list_jobs(); });
  if (first == "jobs" && n == 2) co_return get(false, [&] { return get_job(segs[1]); });
  if (first == "deliveries" && n == 3 && segs[2] == "retry") {
    if (auto refused = post(false)) co_return std::move(*refused);
    co_return co_await retry(segs[1]);
  }
  if (first == "dead" && n == 2 && segs[1] == "redeliver") {
    if (auto refused = post(true)) co_return std::move(*refused);
    co_return co_await redeliver_dead(params);
  }
  co_return error_response(http::status::not_found, "no such endpoint");
}

}  // namespace hookd::daemon
