#pragma once
// Internals shared by the per-format parsers (core/minio_parser.cpp,
// opteryx_parser.cpp, cloudevents_parser.cpp, generic_parser.cpp) and the
// dispatcher in core/parsers.cpp. Not part of the public contract: callers
// use parse_events().
//
// Each parse_<format>() sets everything of its events except the
// Idempotency-Key override, which parse_events() applies to all formats.

#include "core/formats/parsers.hpp"
#include "core/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace hookd::detail {

ParseOutcome parse_minio(const SourceConfig& source, const boost::json::value& body,
                         std::string_view raw, const RequestMeta& meta);
ParseOutcome parse_opteryx(const SourceConfig& source, const boost::json::value& body,
                           std::string_view raw, const RequestMeta& meta);
ParseOutcome parse_cloudevents(const SourceConfig& source, const boost::json::value& body,
                               std::string_view raw, const RequestMeta& meta);
ParseOutcome parse_generic(const SourceConfig& source, const boost::json::value& body,
                           std::string_view raw, const RequestMeta& meta);

// An event with what every format sets the same way: source, format,
// received_ms, and time_ms defaulting to the receive time.
Event base_event(const SourceConfig& source, const RequestMeta& meta);

// An outcome holding no events and the given error.
ParseOutcome failure(ingest_errc error, std::string message);

// A failure naming `path` unless `value` is a valid field (core/text.hpp) of
// at most `max_bytes`, e.g. "Records[0].eventName: contains a control
// character"; nullopt when it is valid.
std::optional<ParseOutcome> invalid_field(std::string_view path, std::string_view value,
                                          std::size_t max_bytes);
// The same for an identifier (printable ASCII, at most 255 bytes).
std::optional<ParseOutcome> invalid_identifier(std::string_view path, std::string_view value);

// The member `key` of `obj` if it exists and has the wanted kind, else null.
const boost::json::string* string_member(const boost::json::object& obj, std::string_view key);
const boost::json::object* object_member(const boost::json::object& obj, std::string_view key);
const boost::json::array* array_member(const boost::json::object& obj, std::string_view key);

// The text of a string member, or "" when it is absent, null or not a string.
std::string_view string_or_empty(const boost::json::object& obj, std::string_view key);

// True when an optional header value is present and not empty; an empty
// header counts as absent.
bool has_value(const std::optional<std::string>& s);

// The value of binary-mode CloudEvents header ce-`name` (lower case, without
// the "ce-" prefix), or null.
const std::string* ce_header(const RequestMeta& meta, std::string_view name);

// Appends `field` as a netstring ("<length>:<bytes>,"), so that a
// concatenation of fields is unambiguous whatever bytes they contain.
void append_netstring(std::string& out, std::string_view field);

}  // namespace hookd::detail
