#include "daemon/admin/admin_console.hpp"

#include "daemon/admin/admin_request.hpp"
#include "daemon/admin/ui_assets.hpp"

namespace hookd::daemon {

namespace {

void secure(Response& res) {
  res.set("Content-Security-Policy", kConsoleCsp);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::cache_control, "no-cache");
}

Response plain(http::status status, std::string_view text) {
  Response res{status, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::string(text) + "\n";
  return res;
}

}  // namespace

std::optional<Response> console_response(std::string_view path, http::verb method) {
  if (path != "/ui" && !path.starts_with("/ui/")) return std::nullopt;
  Response res;
  if (method != http::verb::get && method != http::verb::head) {
    res = method_not_allowed("GET, HEAD");
  } else if (path == "/ui") {
    res = plain(http::status::moved_permanently, "see /ui/");
    res.set(http::field::location, "/ui/");
  } else {
    std::string_view name = path.substr(4);
    if (name.empty()) name = "index.html";
    const UiAsset* found = nullptr;
    for (const auto& a : ui_assets())
      if (a.name == name) found = &a;
    if (found == nullptr) {
      res = plain(http::status::not_found, "no such file");
    } else {
      res = Response{http::status::ok, 11};
      res.set(http::field::content_type, found->content_type);
      res.body() = std::string(found->body);
    }
  }
  secure(res);
  return res;
}

}  // namespace hookd::daemon
