// Posts events to hookd at a fixed rate over one keep-alive connection and
// prints "EVENT_ID SEND_UNIX_US ACK_UNIX_US" per acknowledged event, for the
// delivery benchmark to join with the receiver's log.
// Usage: paced_post PORT PATH RATE SECONDS
#include "daemon/net.hpp"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using namespace hookd::daemon;

namespace {
long long unix_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: paced_post PORT PATH RATE SECONDS\n");
    return 64;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  std::string path = argv[2];
  double rate = std::atof(argv[3]);
  double seconds = std::atof(argv[4]);
  net::io_context ioc;
  tcp::socket sock(ioc);
  boost::system::error_code ec;
  sock.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
    return 1;
  }
  sock.set_option(tcp::no_delay(true));
  beast::flat_buffer buf;
  const std::string pad(1400, 'p');
  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const long total = static_cast<long>(rate * seconds);
  for (long i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(interval * i));
    Request req{http::verb::post, path, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.set("X-Event-Type", "bench.event");
    req.body() = "{\"id\":\"paced-" + std::to_string(unix_us()) + "-" + std::to_string(i) +
                 "\",\"pad\":\"" + pad + "\"}";
    req.prepare_payload();
    long long sent = unix_us();
    http::write(sock, req, ec);
    Response res;
    if (!ec) http::read(sock, buf, res, ec);
    if (ec) {
      std::fprintf(stderr, "exchange: %s\n", ec.message().c_str());
      return 1;
    }
    long long acked = unix_us();
    if (res.result_int() != 200) continue;
    auto doc = boost::json::parse(res.body());
    std::printf("%s %lld %lld\n", doc.at("ids").at(0).as_string().c_str(), sent, acked);
  }
  return 0;
}
