#pragma once
// A fixture with an empty directory of its own under the temporary directory, removed
// after the test (the unit tests that need files: state directories, fake cgroup trees).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace supervise::testing {

class ScratchDir : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() /
                ("supervise-unit-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(root_);
    }
    void TearDown() override { std::filesystem::remove_all(root_); }
    std::string path(const std::string& leaf) const { return (root_ / leaf).string(); }
    std::filesystem::path root_;
};

}  // namespace supervise::testing
