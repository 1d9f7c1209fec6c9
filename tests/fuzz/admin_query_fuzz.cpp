// Admin API request targets: the first byte picks an endpoint's parameter
// list, the rest is the request target ("/v1/events?source=a&limit=5"). It
// goes the way AdminHandler::handle takes it: Boost.URL's origin-form parse,
// the decoded path segments, then read_query and read_page.

#include "daemon/admin/admin_request.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <vector>

using namespace hookd;
using namespace hookd::daemon;

namespace {

// The parameter lists of daemon/admin_endpoints.cpp and admin_handler.cpp.
Query query_for(int pick, boost::urls::params_view params, std::vector<std::string_view>& names) {
  switch (pick) {
    case 0:
      names = {"source", "type", "limit", "after"};
      return read_query(params, {"source", "type", "limit", "after"});
    case 1:
      names = {"subscription", "state", "limit", "after"};
      return read_query(params, {"subscription", "state", "limit", "after"});
    case 2:
      names = {"subscription"};
      return read_query(params, {"subscription"});
    default:
      names = {};
      return read_query(params, {});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  const int pick = in.byte() % 4;
  const std::string_view target = in.rest();
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return 0;
  std::vector<std::string> segs;
  for (auto s : url->segments()) segs.push_back(std::move(s));
  FUZZ_CHECK(segs.size() == url->segments().size());

  const auto params = url->params();
  std::vector<std::string_view> allowed;
  Query q = query_for(pick, params, allowed);
  if (!q.error.empty()) {
    FUZZ_CHECK(q.values.size() < params.size());
    return 0;
  }
  FUZZ_CHECK(q.values.size() == params.size());
  for (auto p : params) {
    FUZZ_CHECK(std::find(allowed.begin(), allowed.end(), p.key) != allowed.end());
    FUZZ_CHECK(p.has_value);
    FUZZ_CHECK(q.values.at(p.key) == p.value);
    auto got = q.get(p.key);
    FUZZ_CHECK(got.has_value() == !p.value.empty());
  }
  if (pick > 1) return 0;
  std::string why;
  auto page = read_page(q, why);
  if (!page) {
    FUZZ_CHECK(!why.empty());
    FUZZ_CHECK(q.values.count("limit") == 1);
    return 0;
  }
  FUZZ_CHECK(page->limit >= 1 && page->limit <= kMaxLimit);
  FUZZ_CHECK(page->after == q.get("after").value_or(""));
  if (!q.values.count("limit")) FUZZ_CHECK(page->limit == kDefaultLimit);
  return 0;
}
