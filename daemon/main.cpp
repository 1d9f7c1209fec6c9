// hookd: command line (SPEC section 1). Exit codes follow sysexits: 0 clean
// stop, 1 runtime failure, 64 bad usage, 78 invalid config.

#include "core/config/config.hpp"
#include "daemon/app.hpp"
#include "daemon/log.hpp"
#include "storage/version.hpp"

#include <boost/version.hpp>
#include <openssl/crypto.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#ifndef HOOKD_VERSION
#define HOOKD_VERSION "0.1.0"
#endif

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hookd [--config PATH] [--check-config]\n"
               "       hookd --version\n"
               "  --config PATH    config file (default /etc/hookd/hookd.toml)\n"
               "  --check-config   validate the config and exit (0 valid, 78 invalid)\n"
               "  --log-level L    error|warn|info|debug (default info)\n");
}

// server.sched_batch: SCHED_BATCH for the whole process, set before any
// thread starts so that every thread (io, storage writer, RocksDB's own)
// inherits it. A thread that wakes then waits for the running one's slice
// instead of preempting it mid-group, which on a small VM saves a context
// switch's worth of CPU per preemption (README "Threads"). Under systemd the
// unit sets it (CPUSchedulingPolicy=batch) and its syscall filter refuses the
// call. Only the default policy is changed: a process started batch, idle or
// real-time keeps what it was given. A refusal is logged, not fatal.
void use_batch_scheduling() {
  if (sched_getscheduler(0) != SCHED_OTHER) return;
  sched_param param{};
  param.sched_priority = 0;
  if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
    hookd::log::warn("daemon.sched_batch_refused", {{"error", std::strerror(errno)}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "/etc/hookd/hookd.toml";
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      std::printf("hookd %s (Boost %d.%d.%d, %s, RocksDB %s)\n", HOOKD_VERSION,
                  BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
                  OpenSSL_version(OPENSSL_VERSION), hookd::storage::rocksdb_version().c_str());
      return 0;
    } else if (arg == "--check-config") {
      check_only = true;
    } else if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else if (arg == "--log-level" && i + 1 < argc) {
      std::string level = argv[++i];
      using hookd::log::Level;
      if (level == "error") hookd::log::set_level(Level::error);
      else if (level == "warn") hookd::log::set_level(Level::warn);
      else if (level == "info") hookd::log::set_level(Level::info);
      else if (level == "debug") hookd::log::set_level(Level::debug);
      else {
        std::fprintf(stderr, "hookd: unknown log level '%s'\n", level.c_str());
        return kExitUsage;
      }
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "hookd: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return kExitUsage;
    }
  }

  auto loaded = hookd::load_config(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return kExitConfig;
  }
  if (check_only) {
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  if (loaded.config->server.sched_batch) use_batch_scheduling();
  try {
    hookd::daemon::App app(loaded.config);
    return app.run();
  } catch (const std::exception& e) {
    hookd::log::error("daemon.failed", {{"error", e.what()}});
    return 1;
  }
}
