#include "core/text.hpp"

#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace hookd {

namespace {

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it
// is ill-formed (Unicode 15, table 3-7).
std::size_t sequence_length(std::string_view s) noexcept {
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    std::size_t n = sequence_length(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    std::size_t n = sequence_length(s);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      s.remove_prefix(1);
    } else {
      out.append(s.substr(0, n));
      s.remove_prefix(n);
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string_view media_type(std::string_view ct) noexcept {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  return ct;
}

bool is_json_media_type(std::string_view content_type) noexcept {
  const std::string_view ct = media_type(content_type);
  const auto slash = ct.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view sub = ct.substr(slash + 1);
  return iequals_ascii(sub, "json") ||
         (sub.size() > 5 && iequals_ascii(sub.substr(sub.size() - 5), "+json"));
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) noexcept {
  if (s.size() <= max_bytes) return s;
  auto continuation = [&](std::size_t i) {
    return (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  };
  // s[end] is the first byte left out; when it continues a sequence, the cut
  // goes before that sequence's lead byte (at most 3 bytes back).
  std::size_t end = max_bytes;
  while (end > 0 && max_bytes - end < 3 && continuation(end)) --end;
  if (continuation(end)) end = max_bytes;  // not UTF-8 here anyway
  return s.substr(0, end);
}

std::optional<std::string> field_problem(std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes)
    return "longer than " + std::to_string(max_bytes) + " bytes";
  std::string_view rest = value;
  while (!rest.empty()) {
    const std::size_t n = sequence_length(rest);
    if (n == 0) return std::string("is not valid UTF-8");
    const auto c0 = static_cast<unsigned char>(rest[0]);
    if (n == 1 && (c0 < 0x20 || c0 == 0x7F)) return std::string("contains a control character");
    // C1 controls U+0080..U+009F are C2 80..C2 9F.
    if (n == 2 && c0 == 0xC2 && static_cast<unsigned char>(rest[1]) <= 0x9F)
      return std::string("contains a control character");
    rest.remove_prefix(n);
  }
  return std::nullopt;
}

std::optional<std::string> identifier_problem(std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes)
    return "longer than " + std::to_string(max_bytes) + " bytes";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return std::string("contains a control character");
    if (c > 0x7E) return std::string("must be printable ASCII");
  }
  return std::nullopt;
}

bool is_safe_header_value(std::string_view value) noexcept {
  // One pass (find_first_of calls memchr on the set for every character).
  for (const char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

bool secret_equals(std::string_view given, std::string_view expected) noexcept {
  unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
  unsigned int na = 0, nb = 0;
  if (!EVP_Digest(given.data(), given.size(), a, &na, EVP_sha256(), nullptr) ||
      !EVP_Digest(expected.data(), expected.size(), b, &nb, EVP_sha256(), nullptr) || na != nb)
    return false;
  return CRYPTO_memcmp(a, b, na) == 0;
}

std::optional<std::string_view> bearer_token(std::string_view value) noexcept {
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || value[kScheme.size()] != ' ') return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = value[i];
    if ((c | 0x20) != kScheme[i]) return std::nullopt;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace hookd
