// hookctl: the admin client (SPEC section 6). Exit codes follow sysexits:
// 0 ok, 1 runtime failure (daemon unreachable, token refused, API error),
// 64 bad usage. The token is read here and never printed.

#include "core/delivery/outgoing.hpp"
#include "daemon/hookctl/hookctl_args.hpp"
#include "daemon/hookctl/hookctl_commands.hpp"
#include "daemon/hookctl/hookctl_http.hpp"
#include "daemon/hookctl/hookctl_listen.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef HOOKD_VERSION
#define HOOKD_VERSION "0.1.0"
#endif

namespace {

using namespace hookd::hookctl;

struct Token {
  std::string value;  // empty: no Authorization header
  std::string error;  // names where the token came from, never the token
};

Token checked(std::string value, const std::string& origin) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ' ||
                            value.back() == '\t'))
    value.pop_back();
  if (value.empty()) return {{}, origin + " is empty"};
  for (char c : value) {
    // Visible ASCII only: anything else could split the Authorization header.
    if (c <= ' ' || c == 0x7F) return {{}, origin + " holds characters a token cannot have"};
  }
  return {std::move(value), {}};
}

Token read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {{}, "cannot read token file " + path + ": " + std::strerror(errno)};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return checked(std::move(text), "token file " + path);
}

// --token-file, else $HOOKCTL_TOKEN, else $CREDENTIALS_DIRECTORY/admin.token
// when that file exists (systemd LoadCredential=admin.token:...).
Token load_token(const std::string& token_file) {
  if (!token_file.empty()) return read_token_file(token_file);
  if (const char* env = std::getenv("HOOKCTL_TOKEN"); env && *env)
    return checked(env, "HOOKCTL_TOKEN");
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) {
    std::string path = std::string(dir) + "/admin.token";
    std::ifstream probe(path);
    if (probe) return read_token_file(path);
  }
  return {};
}

void write(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A receiver, not an admin client: no daemon, token or --admin.
  if (!args.empty() && args[0] == "listen")
    return run_listen(std::vector<std::string>(args.begin() + 1, args.end()));
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto parsed = parse_args(args, now_ms);
  if (parsed.help) {
    write(stdout, usage_text());
    return kExitOk;
  }
  if (parsed.version) {
    std::printf("hookctl %s\n", HOOKD_VERSION);
    return kExitOk;
  }
  if (!parsed.invocation) {
    write(stderr, "hookctl: " + parsed.error + "\n" + usage_text());
    return kExitUsage;
  }
  const auto& inv = *parsed.invocation;
  auto url = hookd::parse_target_url(inv.admin_url);
  if (!url || url->target.find('?') != std::string::npos) {
    write(stderr,
          "hookctl: --admin must be an http:// or https:// URL without user info or "
          "query, not '" +
              inv.admin_url + "'\n");
    return kExitUsage;
  }
  auto token = load_token(inv.token_file);
  if (!token.error.empty()) {
    write(stderr, "hookctl: " + token.error + "\n");
    return kExitFailure;
  }
  auto made = AdminClient::create(*url, std::move(token.value), inv.ca_file, inv.timeout);
  if (!made.client) {
    write(stderr, "hookctl: " + made.error + "\n");
    return kExitFailure;
  }
  auto output = run_command(inv, *made.client, inv.admin_url);
  write(stdout, output.out);
  std::fflush(stdout);
  write(stderr, output.err);
  return output.exit_code;
}
