#include "daemon/admin_handler.hpp"

#include "daemon/admin_json.hpp"
#include "daemon/admin_request.hpp"
#include "daemon/log.hpp"
#include "daemon/metrics.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <boost/url/parse.hpp>

namespace hookd::daemon {

namespace {

bool is_get(const Request& req) {
  return req.method() == http::verb::get || req.method() == http::verb::head;
}

bool is_post(const Request& req) { return req.method() == http::verb::post; }

// Constant time whatever the lengths: both sides are hashed first, so that
// neither the token's length nor a matching prefix shows in the timing.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
  unsigned int na = 0, nb = 0;
  if (!EVP_Digest(given.data(), given.size(), a, &na, EVP_sha256(), nullptr) ||
      !EVP_Digest(expected.data(), expected.size(), b, &nb, EVP_sha256(), nullptr) || na != nb)
    return false;
  return CRYPTO_memcmp(a, b, na) == 0;
}

// The token of "Bearer TOKEN" (scheme case-insensitive); nullopt otherwise.
std::optional<std::string_view> bearer_token(std::string_view value) {
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || !beast::iequals(value.substr(0, kScheme.size()), kScheme) ||
      value[kScheme.size()] != ' ')
    return std::nullopt;
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return value;
}

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

AdminHandler::AdminHandler(storage::Store& store, DeliveryScheduler& scheduler,
                           IngestHandler& ingest, ConnPool& pool,
                           std::shared_ptr<const Config> config, std::function<bool()> ready)
    : store_(store),
      scheduler_(scheduler),
      ingest_(ingest),
      pool_(pool),
      config_(std::move(config)),
      ready_(std::move(ready)) {}

net::awaitable<Response> AdminHandler::handle(Request& req, const ClientInfo& client) {
  co_await net::this_coro::throw_if_cancelled(false);
  std::string_view target(req.target().data(), req.target().size());
  auto url = boost::urls::parse_origin_form(target);
  if (!url) co_return error_response(http::status::bad_request, "malformed request target");
  std::vector<std::string> segs;
  for (auto s : url->segments()) segs.push_back(std::move(s));
  if (segs.empty() || segs.front() != "v1") {
    std::string_view path = target.substr(0, target.find('?'));
    co_return open_endpoint(path, req);
  }
  if (auto refused = authorize(req, client)) co_return std::move(*refused);
  segs.erase(segs.begin());
  co_return co_await v1(req, segs, url->params());
}

Response AdminHandler::open_endpoint(std::string_view path, const Request& req) {
  if (path != "/healthz" && path != "/readyz" && path != "/metrics")
    return error_response(http::status::not_found, "no such endpoint");
  if (!is_get(req)) return method_not_allowed("GET, HEAD");
  if (path == "/healthz") return status_json(http::status::ok, "ok");
  if (path == "/readyz") {
    if (!config_) return status_json(http::status::service_unavailable, "not ready", "no config");
    if (!ready_ || !ready_())
      return status_json(http::status::service_unavailable, "not ready", "starting or stopping");
    if (scheduler_.writes_failing())
      return status_json(http::status::service_unavailable, "not ready",
                         "storage writes are failing");
    return status_json(http::status::ok, "ready");
  }
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, kMetricsContentType);
  res.body() = render_metrics(*config_, ingest_, scheduler_, pool_, store_);
  return res;
}

std::optional<Response> AdminHandler::authorize(const Request& req,
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
  if (!given || !same_secret(*given, token)) {
    log::warn("admin.unauthorized",
              {{"client", client.address.to_string()}, {"reason", "wrong token"}});
    return unauthorized("wrong token");
  }
  return std::nullopt;
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
  auto get = [&](bool takes_params, auto&& fn) -> Response {
    if (!is_get(req)) return method_not_allowed("GET, HEAD");
    if (!takes_params)
      if (auto bad = no_params()) return std::move(*bad);
    return fn();
  };
  auto post = [&](bool takes_params) -> std::optional<Response> {
    if (!is_post(req)) return method_not_allowed("POST");
    if (!takes_params) return no_params();
    return std::nullopt;
  };
  const std::string first = n > 0 ? segs[0] : std::string();

  if (first == "subscriptions" && n == 1)
    co_return get(false, [&] { return list_subscriptions(); });
  if (first == "subscriptions" && n == 2)
    co_return get(false, [&] { return get_subscription(segs[1]); });
  if (first == "subscriptions" && n == 3 &&
      (segs[2] == "pause" || segs[2] == "resume" || segs[2] == "replay")) {
    if (auto refused = post(false)) co_return std::move(*refused);
    if (segs[2] == "replay") co_return co_await replay(segs[1], req.body());
    co_return co_await pause_or_resume(segs[1], segs[2] == "pause");
  }
  if (first == "events" && n == 1) co_return get(true, [&] { return list_events(params); });
  if (first == "events" && n == 2) co_return get(false, [&] { return get_event(segs[1]); });
  if (first == "deliveries" && n == 1) co_return get(true, [&] { return list_deliveries(params); });
  if (first == "deliveries" && n == 2) co_return get(false, [&] { return get_delivery(segs[1]); });
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
