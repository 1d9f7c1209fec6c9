// Latency probe for the delivery benchmark. Receives hookd's deliveries on
// 127.0.0.1:SINK_PORT (plain HTTP, answering 204, one thread a connection)
// while posting events to hookd at a fixed rate over one keep-alive
// connection, then prints the ingest-to-delivered latency (microsecond
// clock, from just before the POST is written to the delivery's arrival)
// and the ack latency.
// Usage: paced_post HOOKD_PORT PATH RATE SECONDS SINK_PORT
#include "daemon/http/net.hpp"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace hookd::daemon;

namespace {

long long now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

std::mutex mu;
std::unordered_map<std::string, long long> received;  // webhook-id -> arrival

void serve(tcp::socket sock) {
  beast::flat_buffer buf;
  boost::system::error_code ec;
  for (;;) {
    Request req;
    http::read(sock, buf, req, ec);
    if (ec) return;
    long long at = now_us();
    {
      std::lock_guard lock(mu);
      received[std::string(req["webhook-id"])] = at;
    }
    Response res{http::status::no_content, 11};
    res.keep_alive(req.keep_alive());
    http::write(sock, res, ec);
    if (ec) return;
  }
}

long long pct(std::vector<long long>& v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: paced_post HOOKD_PORT PATH RATE SECONDS SINK_PORT\n");
    return 64;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  std::string path = argv[2];
  double rate = std::atof(argv[3]);
  double seconds = std::atof(argv[4]);
  auto sink_port = static_cast<unsigned short>(std::atoi(argv[5]));

  net::io_context ioc;
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), sink_port});
  std::thread([&acceptor] {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s = acceptor.accept(ec);
      if (ec) return;
      s.set_option(tcp::no_delay(true));
      std::thread(serve, std::move(s)).detach();
    }
  }).detach();

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
  std::vector<std::pair<std::string, long long>> sent;
  std::vector<long long> acks;
  for (long i = 0; i < total; ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<std::chrono::nanoseconds>(interval * static_cast<double>(i)));
    Request req{http::verb::post, path, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.set("X-Event-Type", "bench.event");
    req.body() = "{\"id\":\"paced-" + std::to_string(now_us()) + "-" + std::to_string(i) +
                 "\",\"pad\":\"" + pad + "\"}";
    req.prepare_payload();
    long long t0 = now_us();
    http::write(sock, req, ec);
    Response res;
    if (!ec) http::read(sock, buf, res, ec);
    if (ec) {
      std::fprintf(stderr, "exchange: %s\n", ec.message().c_str());
      return 1;
    }
    acks.push_back(now_us() - t0);
    if (res.result_int() != 200) continue;
    auto doc = boost::json::parse(res.body());
    sent.emplace_back(std::string(doc.at("ids").at(0).as_string()) + ".0", t0);
  }
  // Wait (bounded) for every delivery to arrive.
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(mu);
      if (received.size() >= sent.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<long long> lat;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, t0] : sent)
      if (auto it = received.find(id); it != received.end()) lat.push_back(it->second - t0);
  }
  const long long ack_max = acks.empty() ? 0 : *std::max_element(acks.begin(), acks.end());
  std::printf(
      "RESULT sent=%zu delivered=%zu p50_us=%lld p99_us=%lld ack_p50_us=%lld ack_p99_us=%lld "
      "ack_max_us=%lld\n",
      sent.size(), lat.size(), pct(lat, 0.5), pct(lat, 0.99), pct(acks, 0.5), pct(acks, 0.99),
      ack_max);
  std::fflush(stdout);
  std::_Exit(0);  // receiver threads are detached
}
