#include "tests/support/test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hookd::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TempDir::TempDir() {
  char tmpl[] = "/tmp/hookd-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string test_data(const std::string& relative) {
  return read_file((fs::path(HOOKD_TEST_DATA_DIR) / relative).string());
}

std::vector<std::string> test_data_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(HOOKD_TEST_DATA_DIR) / dir))
    if (e.path().extension() == ".json") out.push_back(dir + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::vector<std::string>& env, std::uint64_t fsize_limit = 0) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (fsize_limit > 0) {
    signal(SIGXFSZ, SIG_IGN);  // ignored dispositions survive exec
    rlimit lim{fsize_limit, fsize_limit};
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
  }
  for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// Waits for pid up to timeout; the exit code (128+signal when signalled).
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) kill9();
}

bool DaemonProcess::start(const std::string& config_path, const std::string& log_path,
                          std::vector<std::string> extra_args, std::vector<std::string> env) {
  log_path_ = log_path;
  ports_.clear();
  admin_port_ = 0;
  std::vector<std::string> argv{HOOKD_BINARY, "--config", config_path};
  for (auto& a : extra_args) argv.push_back(a);
  ::unlink(log_path.c_str());  // never read a previous run's "ready"
  pid_ = spawn(argv, log_path, env, fsize_limit_);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(log_path);
    if (text.find("daemon.ready") != std::string::npos) {
      std::istringstream lines(text);
      std::string line;
      auto port_of = [&](std::string_view marker) -> std::optional<std::uint16_t> {
        auto at = line.find(marker);
        if (at == std::string::npos) return std::nullopt;
        at += marker.size();
        auto addr = line.substr(at, line.find(' ', at) - at);
        return static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
      };
      while (std::getline(lines, line)) {
        if (auto p = port_of("server.listening address=")) ports_.push_back(*p);
        if (auto p = port_of("admin.listening address=")) admin_port_ = *p;
      }
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "hookd exited during start:\n" + text;
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  error_ = "hookd not ready within 30 s:\n" + read_file(log_path);
  kill9();
  return false;
}

void DaemonProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(pid_, 10s);
  pid_ = -1;
}

std::optional<int> DaemonProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, sig);
  auto code = wait_exit(pid_, timeout);
  if (!code) {
    kill9();
    return std::nullopt;
  }
  pid_ = -1;
  return code;
}

std::string DaemonProcess::log() const { return read_file(log_path_); }

RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  TempDir dir;
  std::string out = dir.file("out.txt");
  pid_t pid = spawn(argv, out, {});
  auto code = wait_exit(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    wait_exit(pid, 5s);
  }
  return {code.value_or(-1), read_file(out)};
}

int raw_connect(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout, bool half_close) {
  int fd = raw_connect(port);
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

TestCerts make_test_certs(const std::string& dir) {
  return make_test_certs(dir, "IP:127.0.0.1,IP:::1,DNS:localhost");
}

TestCerts make_test_certs(const std::string& dir, const std::string& server_alt_names) {
  TestCerts c{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", dir + "/client.pem",
              dir + "/client.key"};
  std::string ext = dir + "/san.ext";
  std::string client_ext = dir + "/client.ext";
  write_file(ext, "subjectAltName=" + server_alt_names + "\n");
  write_file(client_ext, "extendedKeyUsage=clientAuth\n");
  const std::string openssl = "/usr/bin/openssl";
  auto new_key_and_csr = [&](const std::string& key, const std::string& csr,
                             const std::string& subject) -> std::vector<std::string> {
    return {openssl, "req",  "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out",    csr,    "-subj",    subject};
  };
  auto sign = [&](const std::string& csr, const std::string& cert,
                  const std::string& extfile) -> std::vector<std::string> {
    return {openssl, "x509", "-req", "-in", csr, "-CA", c.ca_cert, "-CAkey", dir + "/ca.key",
            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", extfile};
  };
  std::vector<std::vector<std::string>> steps = {
      {openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir + "/ca.key", "-out", c.ca_cert, "-days", "2", "-subj", "/CN=hookd test CA"},
      new_key_and_csr(c.server_key, dir + "/server.csr", "/CN=localhost"),
      sign(dir + "/server.csr", c.server_cert, ext),
      new_key_and_csr(c.client_key, dir + "/client.csr", "/CN=hookd test client"),
      sign(dir + "/client.csr", c.client_cert, client_ext),
  };
  for (const auto& s : steps) {
    auto r = run_command(s);
    if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.output);
  }
  return c;
}

}  // namespace hookd::test
