#include "run/command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "supervise/error.h"

namespace supervise::run {
namespace {

namespace fs = std::filesystem;

class ResolveExecutable : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ =
            fs::temp_directory_path() / ("supervise-command-test-" + std::to_string(::getpid()));
        fs::create_directories(root_ / "bin1");
        fs::create_directories(root_ / "bin2");
        make(root_ / "bin2" / "tool", 0755);
        make(root_ / "bin1" / "plain", 0644);
        make(root_ / "bin2" / "plain", 0755);
        make(root_ / "locked", 0644);
    }
    void TearDown() override { fs::remove_all(root_); }
    static void make(const fs::path& path, mode_t mode) {
        std::ofstream(path) << "#!/bin/sh\n";
        ::chmod(path.c_str(), mode);
    }
    std::vector<std::string> env() const {
        return {"PATH=" + (root_ / "bin1").string() + ":" + (root_ / "bin2").string()};
    }
    fs::path root_;
};

TEST_F(ResolveExecutable, FindsCommandInPath) {
    EXPECT_EQ(resolve_executable("tool", env(), std::nullopt), (root_ / "bin2" / "tool").string());
}

TEST_F(ResolveExecutable, SkipsNonExecutableEarlierInPath) {
    EXPECT_EQ(resolve_executable("plain", env(), std::nullopt),
              (root_ / "bin2" / "plain").string());
}

TEST_F(ResolveExecutable, MissingCommandIs127) {
    try {
        resolve_executable("absent", env(), std::nullopt);
        FAIL();
    } catch (const CommandError& e) {
        EXPECT_EQ(e.exit_status(), 127);
        EXPECT_STREQ(e.what(), "cannot run 'absent': command not found");
    }
}

TEST_F(ResolveExecutable, NonExecutablePathIs126) {
    try {
        resolve_executable((root_ / "locked").string(), env(), std::nullopt);
        FAIL();
    } catch (const CommandError& e) {
        EXPECT_EQ(e.exit_status(), 126);
    }
}

TEST_F(ResolveExecutable, DirectoryIsNotExecutable) {
    EXPECT_THROW(resolve_executable(root_.string() + "/bin1", env(), std::nullopt), CommandError);
}

TEST_F(ResolveExecutable, RelativePathIsResolvedAgainstChdir) {
    EXPECT_EQ(resolve_executable("./bin2/tool", env(), root_.string()), "./bin2/tool");
    EXPECT_THROW(resolve_executable("./bin2/tool", env(), std::string("/")), CommandError);
}

TEST(BuildEnvironment, OverridesReplaceInheritedValues) {
    ::setenv("SUPERVISE_TEST_VAR", "old", 1);
    auto env = build_environment({{"SUPERVISE_TEST_VAR", "new"}, {"SUPERVISE_TEST_OTHER", "x=y"}});
    int count = 0;
    for (const auto& entry : env) {
        if (entry.rfind("SUPERVISE_TEST_VAR=", 0) == 0) {
            ++count;
            EXPECT_EQ(entry, "SUPERVISE_TEST_VAR=new");
        }
    }
    EXPECT_EQ(count, 1);
    EXPECT_NE(std::find(env.begin(), env.end(), "SUPERVISE_TEST_OTHER=x=y"), env.end());
    ::unsetenv("SUPERVISE_TEST_VAR");
}

TEST(BuildEnvironment, LaterOverrideOfSameNameWins) {
    auto env = build_environment({{"SUPERVISE_TEST_TWICE", "1"}, {"SUPERVISE_TEST_TWICE", "2"}});
    EXPECT_EQ(std::count(env.begin(), env.end(), "SUPERVISE_TEST_TWICE=2"), 1);
    EXPECT_EQ(std::count(env.begin(), env.end(), "SUPERVISE_TEST_TWICE=1"), 0);
}

}  // namespace
}  // namespace supervise::run
