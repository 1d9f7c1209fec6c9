// hookctl's command line (hookctl_args) and the request bodies of its
// subscription commands (hookctl_subscription), without a daemon: what is a
// usage error, and what JSON the flags become.
#include "daemon/hookctl/hookctl_args.hpp"
#include "daemon/hookctl/hookctl_subscription.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <sstream>

namespace hookd::hookctl {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'800'000'000'000;

Invocation parsed(const std::vector<std::string>& args) {
  auto p = parse_args(args, kNow);
  EXPECT_TRUE(p.invocation) << p.error;
  return p.invocation.value_or(Invocation{});
}

std::string usage_error(const std::vector<std::string>& args) {
  auto p = parse_args(args, kNow);
  EXPECT_FALSE(p.invocation) << "accepted: " << (args.empty() ? "" : args.front());
  return p.error;
}

// Files by path, for the builders.
ReadFile files(std::map<std::string, std::string> contents) {
  return [contents = std::move(contents)](const std::string& path) -> FileText {
    auto it = contents.find(path);
    if (it == contents.end()) return {std::nullopt, "cannot read " + path + ": No such file"};
    return {it->second, {}};
  };
}

json::object body_of(const std::vector<std::string>& args, const ReadFile& read = files({})) {
  auto body = subscription_body(parsed(args), read);
  EXPECT_EQ(body.error, "");
  return body.object;
}

json::object object(std::string_view text) { return json::parse(text).as_object(); }

// "a b  c" -> {"a", "b", "c"}.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(HookctlArgsTest, SubscriptionIsAGroupOfSubcommands) {
  auto inv = parsed({"subscription", "show", "orders"});
  EXPECT_EQ(inv.command, "subscription show");
  EXPECT_EQ(inv.argument, "orders");
  // Global options still go anywhere, between the words too.
  auto listed = parsed({"subscription", "--json", "list", "--origin", "api"});
  EXPECT_EQ(listed.command, "subscription list");
  EXPECT_TRUE(listed.json);
  EXPECT_EQ(listed.option("origin"), "api");
  EXPECT_EQ(parsed({"subscriptions"}).command, "subscriptions");
}

TEST(HookctlArgsTest, SubcommandMistakesAreUsageErrors) {
  EXPECT_EQ(usage_error({"subscription"}).rfind("subscription: missing subcommand (list, ", 0), 0u);
  EXPECT_EQ(usage_error({"subscription", "frobnicate"}),
            "subscription: unknown subcommand 'frobnicate'");
  EXPECT_EQ(usage_error({"subscription", "delete"}), "subscription delete: missing NAME");
  EXPECT_EQ(usage_error({"subscription", "create", "orders"}),
            "subscription create: unexpected argument 'orders'");
  EXPECT_EQ(usage_error({"subscription", "delete", "a", "--url", "u"}),
            "subscription delete: unknown option '--url'");
  EXPECT_EQ(usage_error({"subscription", "show", "a", "--unset", "url"}),
            "subscription show: unknown option '--unset'");
  EXPECT_EQ(usage_error({"subscription", "create", "--unset", "url"}),
            "subscription create: unknown option '--unset'");
}

TEST(HookctlArgsTest, RepeatableOptionsKeepEveryValueInOrder) {
  auto inv = parsed({"subscription", "create", "--event", "a.*", "--event=b.*", "--header", "X-A=1",
                     "--header", "X-B=2=3"});
  EXPECT_EQ(inv.list("event"), (std::vector<std::string>{"a.*", "b.*"}));
  EXPECT_EQ(inv.list("header"), (std::vector<std::string>{"X-A=1", "X-B=2=3"}));
  EXPECT_TRUE(inv.list("label").empty());
  EXPECT_EQ(usage_error({"subscription", "create", "--url", "a", "--url", "b"}),
            "--url given twice");
  // list's --label is one filter, as the API takes one.
  EXPECT_EQ(usage_error({"subscription", "list", "--label", "a=1", "--label", "b=2"}),
            "--label given twice");
}

TEST(HookctlArgsTest, OnlyTheShapeOfValuesIsChecked) {
  EXPECT_EQ(usage_error({"subscription", "create", "--header", "X-A"}),
            "--header must be KEY=VALUE, not 'X-A'");
  EXPECT_EQ(usage_error({"subscription", "create", "--label", "=1"}),
            "--label must be KEY=VALUE, not '=1'");
  EXPECT_EQ(usage_error({"subscription", "list", "--label", "user_id"}),
            "--label must be KEY=VALUE, not 'user_id'");
  EXPECT_EQ(usage_error({"subscription", "create", "--filter", "bucket"}),
            "--filter must be KEY=VALUE, not 'bucket'");
  EXPECT_EQ(usage_error({"subscription", "create", "--retry-attempts", "many"}),
            "--retry-attempts must be a whole number, not 'many'");
  EXPECT_EQ(usage_error({"subscription", "update", "a", "--max-in-flight", "1.5"}),
            "--max-in-flight must be a whole number, not '1.5'");
  EXPECT_EQ(usage_error({"subscription", "update", "a", "--enabled", "yes"}),
            "--enabled must be true or false, not 'yes'");
  EXPECT_EQ(usage_error({"subscription", "update", "a", "--unset", ".x"}).rfind("--unset must", 0),
            0u);
  EXPECT_EQ(usage_error({"subscription", "update", "a"}).rfind("subscription update: nothing", 0),
            0u);
  // Everything else is the daemon's to judge (one implementation of each
  // rule): a bad duration, an unknown filter key, an out-of-range number.
  parsed({"subscription", "create", "--retry-base", "soon", "--filter", "colour=red",
          "--retry-attempts", "-3", "--body", "xml", "--header", "X-Empty="});
}

TEST(HookctlArgsTest, SplitPairSplitsAtTheFirstEquals) {
  EXPECT_EQ(split_pair("a=b=c"), (std::pair<std::string, std::string>{"a", "b=c"}));
  EXPECT_EQ(split_pair("a="), (std::pair<std::string, std::string>{"a", ""}));
  EXPECT_FALSE(split_pair("=b"));
  EXPECT_FALSE(split_pair("ab"));
}

TEST(HookctlSubscriptionBodyTest, FlagsBecomeTheApiFields) {
  auto body = body_of(words("subscription create --name orders --url https://example.com/h"
                            " --event order.* --event invoice.paid --source app"
                            " --header X-Tenant=acme --header X-Env=prod --label user_id=1"
                            " --filter bucket=photos --filter suffix=.jpg --extra origin=hookd"
                            " --secret-file s --basic-auth-user alice --basic-auth-password-file p"
                            " --body cloudevents --attempt-timeout 5s"
                            " --retry-attempts 3 --retry-base 1s --retry-cap 1m"
                            " --max-in-flight 4 --enabled false --tls-ca /etc/ssl/ca.pem"),
                      files({{"s", "  whsec_c2VjcmV0\n"}, {"p", " pass word \r\n"}}));
  EXPECT_EQ(body, object(R"({
    "name":"orders","url":"https://example.com/h","body":"cloudevents","timeout":"5s",
    "retry":{"attempts":3,"base":"1s","cap":"1m"},"max_in_flight":4,"enabled":false,
    "tls":{"ca":"/etc/ssl/ca.pem"},"events":["order.*","invoice.paid"],"sources":["app"],
    "headers":{"X-Tenant":"acme","X-Env":"prod"},"labels":{"user_id":"1"},
    "filter":{"bucket":"photos","suffix":".jpg"},"extra":{"origin":"hookd"},
    "basic_auth":{"user":"alice","password":" pass word "},"secret":"whsec_c2VjcmV0"})"))
      << json::serialize(body);
}

TEST(HookctlSubscriptionBodyTest, OnlyTheGivenFieldsAreSent) {
  EXPECT_EQ(body_of({"subscription", "create", "--url", "https://example.com/h"}),
            object(R"({"url":"https://example.com/h"})"));
  EXPECT_EQ(body_of({"subscription", "update", "orders", "--retry-base", "2s"}),
            object(R"({"retry":{"base":"2s"}})"));
}

TEST(HookctlSubscriptionBodyTest, UnsetSendsNullForAFieldOrAMember) {
  auto body = body_of({"subscription", "update", "orders", "--unset", "basic_auth", "--unset",
                       "headers.X-Env", "--unset", "labels.app.kubernetes.io/name", "--header",
                       "X-Tenant=beta"});
  EXPECT_EQ(body, object(R"({"basic_auth":null,
    "headers":{"X-Env":null,"X-Tenant":"beta"},"labels":{"app.kubernetes.io/name":null}})"))
      << json::serialize(body);
  // A field both unset and given is given.
  EXPECT_EQ(body_of({"subscription", "update", "o", "--unset", "events", "--event", "a.*"}),
            object(R"({"events":["a.*"]})"));
}

TEST(HookctlSubscriptionBodyTest, FileGivesTheFieldsAndFlagsWin) {
  auto read = files({{"sub.json", R"({"url":"https://old.example/h","headers":{"X-A":"1"},
                                      "retry":{"attempts":5},"extra":{"n":[1,2]}})"}});
  auto body = body_of({"subscription", "create", "--file", "sub.json", "--url",
                       "https://new.example/h", "--header", "X-B=2", "--retry-cap", "1h"},
                      read);
  EXPECT_EQ(body, object(R"({"url":"https://new.example/h","headers":{"X-A":"1","X-B":"2"},
                             "retry":{"attempts":5,"cap":"1h"},"extra":{"n":[1,2]}})"))
      << json::serialize(body);
}

TEST(HookctlSubscriptionBodyTest, FileProblemsAreReported) {
  auto read = files({{"list.json", "[1]"}, {"bad.json", "{\"url\":"}, {"empty", "\n\n"}});
  auto error_of = [&](const std::vector<std::string>& args) {
    return subscription_body(parsed(args), read).error;
  };
  EXPECT_EQ(error_of({"subscription", "create", "--file", "list.json"}),
            "--file list.json must hold a JSON object of subscription fields");
  EXPECT_EQ(error_of({"subscription", "create", "--file", "bad.json"})
                .rfind("--file bad.json: not JSON: ", 0),
            0u);
  EXPECT_EQ(error_of({"subscription", "create", "--file", "gone.json"}),
            "--file: cannot read gone.json: No such file");
  EXPECT_EQ(error_of({"subscription", "create", "--secret-file", "gone"}),
            "--secret-file: cannot read gone: No such file");
  EXPECT_EQ(error_of({"subscription", "create", "--secret-file", "empty"}),
            "--secret-file empty is empty");
  EXPECT_EQ(error_of({"subscription", "update", "a", "--basic-auth-password-file", "empty"}),
            "--basic-auth-password-file empty is empty");
}

TEST(HookctlSubscriptionBodyTest, RotateSecretTakesGraceAndAnOptionalSecret) {
  auto read = files({{"new", "whsec_bmV3\n"}});
  EXPECT_EQ(rotate_secret_body(parsed({"subscription", "rotate-secret", "o"}), read).object,
            json::object());
  auto body = rotate_secret_body(
      parsed({"subscription", "rotate-secret", "o", "--grace", "0s", "--secret-file", "new"}),
      read);
  EXPECT_EQ(body.error, "");
  EXPECT_EQ(body.object, object(R"({"grace":"0s","secret":"whsec_bmV3"})"));
}

}  // namespace
}  // namespace hookd::hookctl
