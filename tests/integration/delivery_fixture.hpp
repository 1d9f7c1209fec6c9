#pragma once
// End-to-end delivery tests: the real daemon delivering to SinkServers.
// Helpers to write a config with subscriptions pointing at sinks, to read the
// daemon's storage once it has stopped, and to verify Standard Webhooks
// signatures with OpenSSL directly (independently of the daemon's signer).

#include "storage/store.hpp"
#include "tests/integration/daemon_fixture.hpp"
#include "tests/support/sink_server.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace hookd::test {

inline std::string sources_toml() {
  return R"(
[[source]]
name = "minio"
format = "minio"
token = ")" + std::string(kMinioToken) + R"("

[[source]]
name = "catalog"
format = "opteryx"

[[source]]
name = "app"
format = "generic"
id_pointer = "/id"
)";
}

inline std::string delivery_config(const std::string& db, const std::string& subscriptions,
                                   const std::string& delivery_table = "") {
  return R"([server]
listen = ["127.0.0.1:0"]
[storage]
path = ")" + db + R"("
[delivery]
)" + delivery_table + "\n" + sources_toml() + subscriptions;
}

// "[[subscription]]" TOML for a sink; `extra` is more key = value lines.
inline std::string sink_sub(const std::string& name, const std::string& url,
                            const std::string& events, const std::string& extra = "") {
  return "\n[[subscription]]\nname = \"" + name + "\"\nurl = \"" + url + "\"\nevents = [" + events +
         "]\n" + extra + "\n";
}

inline std::string http_url(const SinkServer& s, const std::string& path = "/hook") {
  return "http://127.0.0.1:" + std::to_string(s.port()) + path;
}
inline std::string https_url(const SinkServer& s, const std::string& path = "/hook") {
  return "https://127.0.0.1:" + std::to_string(s.port()) + path;
}

// Standard Webhooks: base64(HMAC-SHA256(base64decode(secret without whsec_), id.ts.body)).
inline std::string expected_signature(const std::string& secret, const std::string& id,
                                      const std::string& ts, const std::string& body) {
  std::string b64 = secret.substr(6);
  std::string key(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  std::size_t pad = b64.size() - b64.find_last_not_of('=') - 1;
  key.resize(static_cast<std::size_t>(n) - pad);
  std::string msg = id + "." + ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  return "v1," + out;
}

// Opens the stopped daemon's database in-process.
inline std::unique_ptr<storage::Store> open_store(const std::string& path) {
  storage::StoreOptions o;
  o.path = path;
  std::string why;
  auto s = storage::Store::open(o, &why);
  if (!s) ADD_FAILURE() << "cannot open store: " << why;
  return s ? std::move(*s) : nullptr;
}

}  // namespace hookd::test
