#pragma once
// Helpers shared by the parser tests: fixture bodies from tests/data (real
// MinIO and Opteryx requests, see the READMEs there) and parsing a body the
// way the ingest path does (strict JSON, then the source's format).

#include "core/formats/parsers.hpp"
#include "tests/support/parser_inputs.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#ifndef HOOKD_TEST_DATA_DIR
#error "HOOKD_TEST_DATA_DIR must name the tests/data directory"
#endif

namespace hookd::test {

inline std::string data_path(std::string_view relative) {
  return std::string(HOOKD_TEST_DATA_DIR) + "/" + std::string(relative);
}

// The exact bytes of a fixture file; fails the test when it is unreadable.
inline std::string read_data_file(std::string_view relative) {
  std::ifstream in(data_path(relative), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << data_path(relative);
    return {};
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}


// parse_json, then parse_events; a JSON error comes back as malformed_json.
inline ParseOutcome parse(const SourceConfig& source, std::string_view raw,
                          const RequestMeta& meta = make_meta()) {
  std::string message;
  auto body = parse_json(raw, message);
  if (!body) {
    ParseOutcome out;
    out.error = ingest_errc::malformed_json;
    out.message = message;
    return out;
  }
  return parse_events(source, *body, raw, meta);
}

// The single event of a body that must parse into exactly one.
inline Event parse_one(const SourceConfig& source, std::string_view raw,
                       const RequestMeta& meta = make_meta()) {
  ParseOutcome out = parse(source, raw, meta);
  EXPECT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.events.size(), 1u);
  return out.events.empty() ? Event{} : out.events.front();
}

}  // namespace hookd::test
