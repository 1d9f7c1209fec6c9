// The command line of the real binary (SPEC section 1).
#include "tests/integration/daemon_fixture.hpp"

namespace hookd::test {
namespace {

TEST(CliTest, VersionNamesLibraryVersions) {
  auto r = run_command({HOOKD_BINARY, "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("hookd "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Boost 1.81"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OpenSSL 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("RocksDB 7."), std::string::npos) << r.output;
}

TEST(CliTest, UnknownArgumentIsUsageError) {
  auto r = run_command({HOOKD_BINARY, "--frobnicate"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.output.find("usage"), std::string::npos);
}

TEST(CliTest, CheckConfigAcceptsTheShippedConfigs) {
  auto r = run_command({HOOKD_BINARY, "--check-config", "--config",
                        std::string(HOOKD_SOURCE_DIR) + "/config/hookd.toml"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(CliTest, CheckConfigListsEveryErrorWithFileAndLine) {
  TempDir dir;
  write_file(dir.file("bad.toml"), R"([server]
listen = ["127.0.0.1:8080"]
max_body = "lots"

[[source]]
name = "minio"
format = "minio"
tokn = "x"
)");
  auto r = run_command({HOOKD_BINARY, "--check-config", "--config", dir.file("bad.toml")});
  EXPECT_EQ(r.exit_code, 78) << r.output;
  EXPECT_NE(r.output.find(dir.file("bad.toml") + ":3:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(dir.file("bad.toml") + ":8:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("token"), std::string::npos) << "suggestion expected: " << r.output;
}

TEST(CliTest, MissingConfigFileIsConfigError) {
  auto r = run_command({HOOKD_BINARY, "--config", "/nonexistent/hookd.toml"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.output.find("/nonexistent/hookd.toml"), std::string::npos) << r.output;
}

TEST(CliTest, StorageThatCannotOpenIsAClearStartupError) {
  TempDir dir;
  write_file(dir.file("db"), "not a directory");
  write_file(dir.file("hookd.toml"), base_config(dir.file("db")));
  auto r = run_command({HOOKD_BINARY, "--config", dir.file("hookd.toml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("storage.open_failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(dir.file("db")), std::string::npos) << r.output;
}

TEST(CliTest, PortInUseIsAClearStartupError) {
  TempDir dir;
  write_file(dir.file("hookd.toml"), base_config(dir.file("db")));
  DaemonProcess first;
  ASSERT_TRUE(first.start(dir.file("hookd.toml"), dir.file("first.log"))) << first.error();
  TempDir dir2;
  write_file(dir2.file("hookd.toml"),
             base_config(dir2.file("db"), "",
                         "\"127.0.0.1:" + std::to_string(first.port()) + "\""));
  auto r = run_command({HOOKD_BINARY, "--config", dir2.file("hookd.toml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("server.listen_failed"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hookd::test
