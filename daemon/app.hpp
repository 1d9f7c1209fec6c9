#pragma once
// App: owns the io_context and every service of a running hookd, in start
// order: config, store, ingest handler, HTTP listeners, signal handling.
// run() blocks until a clean stop (exit 0) or a startup failure (exit 1).
//
// Threads: the io thread runs everything in daemon/; the store owns its
// writer thread; a maintenance thread expires old data once a minute.
// Stop order is the reverse of start: listeners close, in-flight requests
// finish within the grace period, then the store drains and flushes.

#include "core/config/config.hpp"

#include <memory>
#include <string>

namespace hookd::daemon {

class App {
 public:
  explicit App(std::shared_ptr<const Config> config);
  ~App();
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::daemon
