// Secrets in the config file: "env:NAME", "file:PATH" (with
// $CREDENTIALS_DIRECTORY), inline literals, Standard Webhooks secret checks,
// and that no error message ever carries a secret value.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "tests/unit/config_test_support.hpp"

namespace hookd {
namespace {

using namespace config_test;

TEST(ConfigSecretsTest, DuplicateSourceTokensAreErrors) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[source]]
name = "a"
token = "same-token"
[[source]]
name = "b"
token = "same-token"
)toml");
  EXPECT_TRUE(has_error(
      l, 8, "source \"b\".token: the same token as the source on line 3"));
  EXPECT_EQ(all_errors(l).find("same-token"), std::string::npos);
}

TEST(ConfigSecretsTest, EnvSecretsResolveAndUnsetIsAnError) {
  ScopedEnv set("HOOKD_TEST_TOKEN", "t0ken");
  ScopedEnv unset("HOOKD_TEST_UNSET", std::nullopt);
  ScopedEnv empty("HOOKD_TEST_EMPTY", "");
  ConfigLoad ok =
      load(std::string(kServer) +
           "[[source]]\nname = \"minio\"\ntoken = \"env:HOOKD_TEST_TOKEN\"\n");
  ASSERT_TRUE(ok.config) << all_errors(ok);
  EXPECT_EQ(ok.config->sources[0].token, "t0ken");
  ConfigLoad l = load(std::string(kServer) + R"toml([admin]
token = "env:HOOKD_TEST_EMPTY"
[[source]]
name = "minio"
token = "env:HOOKD_TEST_UNSET"
)toml");
  EXPECT_TRUE(has_error(
      l, 4, "admin.token: environment variable HOOKD_TEST_EMPTY is empty"));
  EXPECT_TRUE(has_error(l, 7,
                        "source \"minio\".token: environment variable "
                        "HOOKD_TEST_UNSET is not set"));
}

TEST(ConfigSecretsTest, FileSecretsTrimNewlinesAndResolveAgainstConfigDir) {
  TempDir dir;
  ScopedEnv creds("CREDENTIALS_DIRECTORY", std::nullopt);
  dir.write("token", "file-token\r\n\n");
  std::string abs = dir.write("abs.secret", std::string(kSecret) + "\n");
  std::string path =
      dir.write("hookd.toml", std::string(kServer) +
                                  "[admin]\ntoken = \"file:token\"\n"
                                  "[[subscription]]\nname = \"s\"\n"
                                  "url = \"http://h/\"\nsecret = \"file:" +
                                  abs + "\"\n");
  ConfigLoad l = load_config(path);
  ASSERT_TRUE(l.config) << all_errors(l);
  EXPECT_EQ(l.config->admin.token, "file-token");
  EXPECT_EQ(l.config->subscriptions[0].secrets,
            std::vector<std::string>{kSecret});
}

TEST(ConfigSecretsTest, FileSecretsUseCredentialsDirectoryWhenSet) {
  TempDir config_dir;
  TempDir creds_dir;
  config_dir.write("admin.token", "from-config-dir\n");
  creds_dir.write("admin.token", "from-credentials\n");
  ScopedEnv creds("CREDENTIALS_DIRECTORY", creds_dir.path().string());
  std::string path = config_dir.write(
      "hookd.toml",
      std::string(kServer) + "[admin]\ntoken = \"file:admin.token\"\n");
  ConfigLoad l = load_config(path);
  ASSERT_TRUE(l.config) << all_errors(l);
  EXPECT_EQ(l.config->admin.token, "from-credentials");
}

TEST(ConfigSecretsTest, UnreadableSecretFileNamesThePath) {
  TempDir dir;
  ScopedEnv creds("CREDENTIALS_DIRECTORY", std::nullopt);
  dir.write("empty", "\n");
  std::string path =
      dir.write("hookd.toml", std::string(kServer) +
                                  "[admin]\ntoken = \"file:missing\"\n"
                                  "[[source]]\nname = \"a\"\n"
                                  "token = \"file:empty\"\n");
  ConfigLoad l = load_config(path);
  std::string missing = (dir.path() / "missing").string();
  EXPECT_TRUE(has_error(l, 4,
                        "admin.token: cannot read file " + missing +
                            ": No such file or directory"));
  EXPECT_TRUE(has_error(l, 7,
                        "source \"a\".token: file " +
                            (dir.path() / "empty").string() + " is empty"));
}

TEST(ConfigSecretsTest, SubscriptionSecretsMustBeWhsecBase64) {
  ConfigLoad l = load(std::string(kServer) + R"toml([[subscription]]
name = "a"
url = "http://h/"
secret = ["whsec_", "whsec_abc", "whsec_a===", "whsec_====", "whsec_ab!d", "abcd", "whsec_AA==", "whsec_A=AA"]
)toml");
  const std::string p = "subscription \"a\".secret";
  EXPECT_TRUE(
      has_error(l, 6, p + "[0]: is not valid padded base64 after \"whsec_\""));
  EXPECT_TRUE(has_error(l, 6, p + "[1]: is not valid padded base64"));
  EXPECT_TRUE(has_error(l, 6, p + "[2]: is not valid padded base64"));
  EXPECT_TRUE(has_error(l, 6, p + "[3]: is not valid padded base64"));
  EXPECT_TRUE(has_error(l, 6, p + "[4]: is not valid padded base64"));
  EXPECT_TRUE(has_error(l, 6, p + "[5]: must start with \"whsec_\""));
  EXPECT_TRUE(has_error(l, 6, p + "[7]: is not valid padded base64"));
  EXPECT_EQ(l.errors.size(), 7u) << all_errors(l);
  EXPECT_TRUE(has_error(
      load(
          std::string(kServer) +
          "[[subscription]]\nname = \"a\"\nurl = \"http://h/\"\nsecret = []\n"),
      6, "secret: empty list"));
}

TEST(ConfigSecretsTest, SecretValuesNeverAppearInErrors) {
  TempDir dir;
  ScopedEnv creds("CREDENTIALS_DIRECTORY", std::nullopt);
  dir.write("bad.secret", "SUPERSECRET-from-file\n");
  ScopedEnv env("HOOKD_TEST_BAD_SECRET", "whsec_SUPERSECRET!from-env");
  ScopedEnv header("HOOKD_TEST_HEADER", "SUPERSECRET\r\nX-Injected: 1");
  std::string path =
      dir.write("hookd.toml", std::string(kServer) + R"toml([admin]
token = 123456789
[[source]]
name = "a"
token = "SUPERSECRET-token"
[[source]]
name = "b"
token = "SUPERSECRET-token"
[[subscription]]
name = "s"
url = "https://user:SUPERSECRET@h/?key=SUPERSECRET"
secret = ["SUPERSECRET-literal", "file:bad.secret", "env:HOOKD_TEST_BAD_SECRET", "whsec_SUPERSECRET"]
headers = { "Authorization" = "SUPERSECRET", "X-H" = "env:HOOKD_TEST_HEADER" }
basic_auth = { user = "u", password = "SUPERSECRET-pw" }
)toml");
  ConfigLoad l = load_config(path);
  EXPECT_GE(l.errors.size(), 9u) << all_errors(l);
  std::string text = all_errors(l);
  EXPECT_EQ(text.find("SUPERSECRET"), std::string::npos) << text;
  EXPECT_EQ(text.find("123456789"), std::string::npos) << text;
  ConfigLoad syntax = load("[admin]\ntoken = \"SUPERSECRET\nlisten = 1\n");
  ASSERT_EQ(syntax.errors.size(), 1u);
  EXPECT_EQ(all_errors(syntax).find("SUPERSECRET"), std::string::npos)
      << all_errors(syntax);
}

}  // namespace
}  // namespace hookd
