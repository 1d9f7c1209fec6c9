#include "daemon/hookctl/hookctl_listen.hpp"

#include "core/config/config.hpp"
#include "core/delivery/outgoing.hpp"
#include "core/text.hpp"
#include "daemon/hookctl/hookctl_args.hpp"
#include "daemon/http/http_server.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>

namespace hookd::hookctl {

namespace json = boost::json;
using daemon::net::awaitable;

namespace {

constexpr std::size_t kShownBodyBytes = 2048;
constexpr std::size_t kShownBodyLines = 40;

struct ListenOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9901;
  std::string secret;
  int status = 200;
  std::uint32_t fail_first = 0;
  Duration delay{0};
  bool json = false;
};

const char* kUsage =
    "usage: hookctl listen [--port 9901] [--host 127.0.0.1] [--secret whsec_...|--secret-file F]\n"
    "                      [--status 200] [--fail-first N] [--delay D] [--json]\n";

// Sender-controlled text made safe for a terminal: valid UTF-8, control
// characters (but newlines when `keep_newlines`) written as \xNN.
std::string printable(std::string_view s, bool keep_newlines = false) {
  std::string valid = to_valid_utf8(s);
  std::string out;
  out.reserve(valid.size());
  for (unsigned char c : valid) {
    if ((c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void pretty(const json::value& v, std::string& out, int depth) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(depth + 1) * 2, ' ');
  if (const auto* o = v.if_object(); o && !o->empty()) {
    out += "{\n";
    std::size_t i = 0;
    for (const auto& [k, e] : *o) {
      out += inner + json::serialize(json::value(k)) + ": ";
      pretty(e, out, depth + 1);
      out += ++i < o->size() ? ",\n" : "\n";
    }
    out += pad + "}";
  } else if (const auto* a = v.if_array(); a && !a->empty()) {
    out += "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      out += inner;
      pretty((*a)[i], out, depth + 1);
      out += i + 1 < a->size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else {
    out += json::serialize(v);
  }
}

// The body as shown: JSON pretty-printed, trimmed to kShownBodyLines lines
// and kShownBodyBytes bytes.
std::string shown_body(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  std::string text;
  if (ec) {
    text = std::string(body);
  } else {
    pretty(v, text, 0);
  }
  std::size_t cut = text.size();
  std::size_t lines = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && ++lines == kShownBodyLines) {
      cut = i;
      break;
    }
  }
  cut = std::min(cut, kShownBodyBytes);
  std::string out = printable(std::string_view(text).substr(0, cut), true);
  if (cut < text.size()) out += "\n... (" + std::to_string(text.size() - cut) + " more bytes)";
  return out;
}

std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read secret file " + path;
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

std::optional<ListenOptions> parse(const std::vector<std::string>& args, std::string& error) {
  ListenOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      error = a.starts_with("--") ? a + " needs a value" : "unexpected argument '" + a + "'";
      return std::nullopt;
    }
    const std::string& v = args[++i];
    auto number = [&](std::uint64_t lo, std::uint64_t hi) -> std::optional<std::uint64_t> {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || end != v.data() + v.size() || n < lo || n > hi) {
        error = a + " must be a number from " + std::to_string(lo) + " to " + std::to_string(hi);
        return std::nullopt;
      }
      return n;
    };
    if (a == "--port") {
      auto n = number(0, 65535);  // 0: any free port (printed)
      if (!n) return std::nullopt;
      o.port = static_cast<std::uint16_t>(*n);
    } else if (a == "--host") {
      o.host = v;
    } else if (a == "--secret") {
      o.secret = v;
    } else if (a == "--secret-file") {
      auto s = read_secret_file(v, error);
      if (!s) return std::nullopt;
      o.secret = *s;
    } else if (a == "--status") {
      auto n = number(200, 599);
      if (!n) return std::nullopt;
      o.status = static_cast<int>(*n);
    } else if (a == "--fail-first") {
      auto n = number(0, 1000000);
      if (!n) return std::nullopt;
      o.fail_first = static_cast<std::uint32_t>(*n);
    } else if (a == "--delay") {
      auto d = v == "0" ? std::optional<Duration>(Duration{0}) : parse_duration(v);
      if (!d || *d > Duration{600'000}) {
        error = "--delay must be a duration up to 10m (\"250ms\", \"2s\")";
        return std::nullopt;
      }
      o.delay = *d;
    } else {
      error = "unknown option '" + printable(a) + "'";
      return std::nullopt;
    }
  }
  if (!o.secret.empty()) {
    if (std::string problem = check_whsec(o.secret); !problem.empty()) {
      error = "the secret " + problem;
      return std::nullopt;
    }
  }
  return o;
}

std::optional<std::string_view> header(const daemon::Request& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

std::string now_rfc3339() {
  using namespace std::chrono;
  return format_rfc3339_ms(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

class Listener {
 public:
  explicit Listener(ListenOptions o)
      : options_(std::move(o)),
        server_(ioc_, server_options(),
                [this](daemon::Request& req, const daemon::ClientInfo& c, std::any&) {
                  return handle(req, c);
                },
                nullptr),
        signals_(ioc_, SIGINT, SIGTERM) {}

  int run() {
    std::string why;
    ListenAddress address{options_.host, options_.port};
    auto ep = server_.listen(address, why);
    if (!ep) {
      std::fprintf(stderr, "hookctl listen: cannot listen on %s: %s\n",
                   address.to_string().c_str(), why.c_str());
      return kExitFailure;
    }
    server_.start();
    ListenAddress bound{options_.host, ep->port()};
    std::fprintf(stderr, "hookctl listen: listening on http://%s (signature check %s)\n",
                 bound.to_string().c_str(), options_.secret.empty() ? "off: no --secret" : "on");
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      summary();
      // Closing every connection lets run() return once the sessions end;
      // stopping the context instead would leave their frames to be
      // destroyed after the server.
      server_.stop();
      server_.close_all();
    });
    ioc_.run();
    return kExitOk;
  }

 private:
  static daemon::HttpServerOptions server_options() {
    daemon::HttpServerOptions o;
    o.max_body = 16 * 1024 * 1024;
    o.max_connections = 256;
    o.max_connections_per_ip = 256;
    return o;
  }

  awaitable<daemon::Response> handle(daemon::Request& req, const daemon::ClientInfo&) {
    co_await daemon::net::this_coro::throw_if_cancelled(false);
    ++received_;
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    SignatureVerdict verdict =
        verify_signature(options_.secret, header(req, "webhook-id"), header(req, "webhook-timestamp"),
                         header(req, "webhook-signature"), req.body(), now_s);
    ++verdicts_[to_string(verdict)];
    const int status = received_ <= options_.fail_first ? 500 : options_.status;
    ++statuses_[status];
    print(req, verdict, status);
    if (options_.delay.count() > 0) {
      daemon::net::steady_timer t(co_await daemon::net::this_coro::executor);
      t.expires_after(options_.delay);
      co_await t.async_wait(daemon::use_tuple);
    }
    daemon::Response res{static_cast<daemon::http::status>(status), req.version()};
    res.keep_alive(req.keep_alive());
    co_return res;
  }

  void print(const daemon::Request& req, SignatureVerdict verdict, int status) {
    auto h = [&](std::string_view name) { return printable(header(req, name).value_or("")); };
    std::string target(req.target().data(), req.target().size());
    if (options_.json) {
      boost::system::error_code ec;
      json::value body = json::parse(req.body(), ec);
      if (ec) body = to_valid_utf8(req.body());
      json::object o{{"time", now_rfc3339()},
                     {"method", std::string(req.method_string())},
                     {"target", to_valid_utf8(target)},
                     {"webhook_id", to_valid_utf8(header(req, "webhook-id").value_or(""))},
                     {"type", to_valid_utf8(header(req, "hookd-event-type").value_or(""))},
                     {"source", to_valid_utf8(header(req, "hookd-source").value_or(""))},
                     {"attempt", to_valid_utf8(header(req, "hookd-attempt").value_or(""))},
                     {"signature", to_string(verdict)},
                     {"status", status},
                     {"body", std::move(body)}};
      std::printf("%s\n", json::serialize(o).c_str());
    } else {
      std::printf("%s  %s %s  id=%s  type=%s  source=%s  attempt=%s  signature=%s  -> %d\n%s\n\n",
                  now_rfc3339().c_str(), std::string(req.method_string()).c_str(),
                  printable(target).c_str(), h("webhook-id").c_str(), h("hookd-event-type").c_str(),
                  h("hookd-source").c_str(), h("hookd-attempt").c_str(), to_string(verdict), status,
                  shown_body(req.body()).c_str());
    }
    std::fflush(stdout);
  }

  void summary() {
    std::string line = "hookctl listen: " + std::to_string(received_) + " deliveries";
    for (const auto& [v, n] : verdicts_) line += ", " + std::to_string(n) + " " + v;
    line += "; answered";
    for (const auto& [s, n] : statuses_) line += " " + std::to_string(s) + "x" + std::to_string(n);
    std::fprintf(stderr, "\n%s\n", line.c_str());
  }

  ListenOptions options_;
  daemon::net::io_context ioc_{1};
  daemon::HttpServer server_;
  daemon::net::signal_set signals_;
  std::uint64_t received_ = 0;
  std::map<std::string, std::uint64_t> verdicts_;
  std::map<int, std::uint64_t> statuses_;
};

}  // namespace

const char* to_string(SignatureVerdict v) noexcept {
  switch (v) {
    case SignatureVerdict::unchecked: return "unchecked";
    case SignatureVerdict::valid: return "valid";
    case SignatureVerdict::invalid: return "invalid";
    case SignatureVerdict::stale: return "stale";
    case SignatureVerdict::missing: return "missing";
    case SignatureVerdict::bad_timestamp: return "bad-timestamp";
  }
  return "invalid";
}

SignatureVerdict verify_signature(std::string_view secret, std::optional<std::string_view> id,
                                  std::optional<std::string_view> timestamp,
                                  std::optional<std::string_view> signature,
                                  std::string_view body, std::int64_t now_s) {
  if (secret.empty()) return SignatureVerdict::unchecked;
  if (!id || !timestamp || !signature) return SignatureVerdict::missing;
  std::int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), ts);
  if (ec != std::errc{} || end != timestamp->data() + timestamp->size())
    return SignatureVerdict::bad_timestamp;
  if (ts < now_s - kSignatureTolerance_s || ts > now_s + kSignatureTolerance_s)
    return SignatureVerdict::stale;
  auto expected = sign_standard_webhooks(secret, *id, ts, body);
  if (!expected) return SignatureVerdict::invalid;
  for (std::size_t at = 0; at <= signature->size();) {
    std::size_t stop = signature->find(' ', at);
    if (stop == std::string_view::npos) stop = signature->size();
    if (hookd::secret_equals(signature->substr(at, stop - at), *expected))
      return SignatureVerdict::valid;
    at = stop + 1;
  }
  return SignatureVerdict::invalid;
}

int run_listen(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  std::string error;
  auto options = parse(args, error);
  if (!options) {
    std::fprintf(stderr, "hookctl listen: %s\n%s", error.c_str(), kUsage);
    return kExitUsage;
  }
  Listener listener(std::move(*options));
  return listener.run();
}

}  // namespace hookd::hookctl
