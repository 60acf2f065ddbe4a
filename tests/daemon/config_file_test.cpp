// injectord --config FILE (daemon/config_file): keys are the long flags,
// flags win over the file, an unknown key is an error naming it.

#include "daemon/config_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace injector {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    app_.add_option("--socket", socket_);
    app_.add_option("--state-dir", state_dir_);
    app_.add_option("--management", management_);
    app_.add_flag("--cleanup", cleanup_)->configurable(false);
    add_config_file(app_);
    path_ = std::filesystem::temp_directory_path() / ("injectord-config-test-" + std::to_string(::getpid()) + ".toml");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void write(const std::string& text) { std::ofstream(path_) << text; }
  void parse(std::vector<std::string> args) {
    args.insert(args.begin(), "injectord");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    parse_with_config(app_, static_cast<int>(argv.size()), argv.data());
  }

  CLI::App app_{"test"};
  std::string socket_ = "/run/default.sock";
  std::string state_dir_ = "/var/lib/default";
  std::vector<std::string> management_;
  bool cleanup_ = false;
  std::filesystem::path path_;
};

TEST_F(ConfigFile, KeysAreTheLongFlagNames) {
  write("socket = \"/run/x/file.sock\"\nstate-dir = \"/srv/state\"\nmanagement = [\"tcp:22\", \"10.0.0.0/8\"]\n");
  parse({"--config", path_.string()});
  EXPECT_EQ(socket_, "/run/x/file.sock");
  EXPECT_EQ(state_dir_, "/srv/state");
  EXPECT_EQ(management_, (std::vector<std::string>{"tcp:22", "10.0.0.0/8"}));
}

TEST_F(ConfigFile, FlagsOnTheCommandLineWinOverTheFile) {
  write("socket = \"/run/x/file.sock\"\nstate-dir = \"/srv/state\"\n");
  parse({"--config", path_.string(), "--socket", "/run/x/flag.sock"});
  EXPECT_EQ(socket_, "/run/x/flag.sock");
  EXPECT_EQ(state_dir_, "/srv/state") << "the file still sets what no flag names";
}

TEST_F(ConfigFile, AnUnknownKeyIsAnErrorNamingItAndTheKnownKeys) {
  write("socket = \"/run/x/file.sock\"\nstate_dri = \"/srv/state\"\n");
  try {
    parse({"--config", path_.string()});
    FAIL() << "an unknown key was accepted";
  } catch (const CLI::ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown key 'state_dri'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path_.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("state-dir"), std::string::npos) << "the known keys are listed: " << msg;
    EXPECT_EQ(msg.find("cleanup"), std::string::npos) << "not a key: " << msg;
  }
}

TEST_F(ConfigFile, AnActionIsNoKey) {
  write("cleanup = true\n");
  EXPECT_THROW(parse({"--config", path_.string()}), CLI::ConfigError);
  EXPECT_FALSE(cleanup_);
}

TEST_F(ConfigFile, AMissingFileIsAnError) {
  EXPECT_THROW(parse({"--config", (path_.string() + ".missing")}), CLI::FileError);
}

TEST_F(ConfigFile, WithoutConfigTheDefaultsStand) {
  parse({});
  EXPECT_EQ(socket_, "/run/default.sock");
  EXPECT_EQ(state_dir_, "/var/lib/default");
}

}  // namespace
}  // namespace injector
