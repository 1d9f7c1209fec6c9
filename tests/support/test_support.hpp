#pragma once
// Test support: temporary directories, the real hookd binary as a child
// process, raw socket exchanges and certificates made at test time.
// Every wait is bounded; destructors kill and reap what they started.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hookd::test {

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
// Contents of tests/data/<relative>.
std::string test_data(const std::string& relative);
// Every file name in tests/data/<dir> ending in .json, sorted.
std::vector<std::string> test_data_files(const std::string& dir);

// The real hookd binary running on a config file.
class DaemonProcess {
 public:
  DaemonProcess() = default;
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts `hookd --config config_path` with stderr to `log_path`, and waits
  // (bounded) for it to be ready. False with the log in `error` otherwise.
  bool start(const std::string& config_path, const std::string& log_path,
             std::vector<std::string> extra_args = {},
             std::vector<std::string> env = {});
  // The ports the daemon listens on, in config order (from its log).
  const std::vector<std::uint16_t>& ports() const { return ports_; }
  std::uint16_t port() const { return ports_.empty() ? 0 : ports_.front(); }
  // The admin listener's port (from its "admin.listening" log line); 0 without one.
  std::uint16_t admin_port() const { return admin_port_; }
  void kill9();
  // Sends `sig` and waits up to `timeout` for the exit; the exit code, or
  // nullopt if it did not exit (it is then killed).
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string log() const;
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  // Limits the size of every file the next start() writes (RLIMIT_FSIZE, with
  // SIGXFSZ ignored), so that storage writes fail with EFBIG past `bytes`.
  void set_file_size_limit(std::uint64_t bytes) { fsize_limit_ = bytes; }

 private:
  std::uint64_t fsize_limit_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
  std::vector<std::uint16_t> ports_;
  std::uint16_t admin_port_ = 0;
  std::string error_;
};

// Runs the binary to completion (bounded); its exit code and stdout+stderr.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult run_command(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Connects to 127.0.0.1:port, sends `bytes`, then reads until the peer
// closes or `timeout` passes. `half_close` shuts down our sending side.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout, bool half_close = false);
// Opens a TCP connection and returns its fd (-1 on failure); caller closes.
int raw_connect(std::uint16_t port);

// A self-signed CA and a server certificate for 127.0.0.1/localhost signed
// by it, made with the openssl command in `dir`; also a client certificate
// (CN "hookd test client", extendedKeyUsage clientAuth) signed by the same CA,
// for mutual TLS.
struct TestCerts {
  std::string ca_cert, server_cert, server_key;
  std::string client_cert, client_key;
};
TestCerts make_test_certs(const std::string& dir);
// The same with the server certificate valid only for `server_alt_names`
// (an openssl subjectAltName value, e.g. "DNS:other.example").
TestCerts make_test_certs(const std::string& dir, const std::string& server_alt_names);

}  // namespace hookd::test
