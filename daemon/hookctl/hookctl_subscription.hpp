#pragma once
// The request bodies of hookctl's subscription commands: the fields given as
// options (hookctl_args.hpp) turned into the admin API's JSON object
// (docs/admin-api.md, "Subscriptions"). Only the shape of the command line
// is checked, here and in parse_args (KEY=VALUE, whole numbers, true or
// false); the fields themselves are validated by the daemon, with the config
// file's own reader, so that every rule has one implementation and one
// message.
//
// Secrets never come from the command line, where they would land in shell
// history and ps: --secret-file and --basic-auth-password-file name files.
// The builders are pure; files are read through the given function, and
// read_text_file is the real one.

#include "daemon/hookctl/hookctl_args.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>

namespace hookd::hookctl {

struct FileText {
  std::optional<std::string> text;  // the whole file; nullopt on failure
  std::string error;                // "cannot read F: No such file or directory"
};
using ReadFile = std::function<FileText(const std::string& path)>;

// A request body, or why it cannot be built (without "hookctl: ").
struct Body {
  boost::json::object object;
  std::string error;
};

// The body of subscription create (POST), replace (PUT) or update (PATCH):
// --file's object, if given, with every field option set over it. For
// update it is a JSON merge patch: only the fields given, and --unset
// FIELD[.KEY] sends null, which removes that member.
Body subscription_body(const Invocation& inv, const ReadFile& read);

// The body of subscription rotate-secret: {"grace"?, "secret"?}.
Body rotate_secret_body(const Invocation& inv, const ReadFile& read);

// The contents of `path`, or of stdin for "-".
FileText read_text_file(const std::string& path);

}  // namespace hookd::hookctl
