#pragma once
// The console's files (daemon/admin/ui/), compiled into the binary by
// cmake/embed_assets.cmake. The bytes are static and immutable.

#include <span>
#include <string_view>

namespace hookd::daemon {

struct UiAsset {
  std::string_view name;          // file name under /ui/, e.g. "app.js"
  std::string_view content_type;  // with charset for text
  std::string_view body;
};

std::span<const UiAsset> ui_assets();

}  // namespace hookd::daemon
