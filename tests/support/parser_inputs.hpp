#pragma once
// What the parser tests and the parser fuzz targets both hand a parser: a
// source of a given format, the request's metadata, and a receive time far
// from every body's own time (so that a fallback to it is visible). No test
// framework here: the fuzz targets include it too.

#include "core/formats/parsers.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace hookd::test {

constexpr std::int64_t kReceivedMs = 1'800'000'000'000;

inline SourceConfig make_source(std::string name, Format format) {
  SourceConfig source;
  source.name = std::move(name);
  source.format = format;
  return source;
}

inline RequestMeta make_meta() {
  RequestMeta meta;
  meta.received_ms = kReceivedMs;
  meta.content_type = "application/json";
  return meta;
}

}  // namespace hookd::test
