#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "scratch_dir.h"
#include "supervise/error.h"
#include "supervise/lock.h"

namespace supervise {
namespace {

namespace fs = std::filesystem;

using StateDir = testing::ScratchDir;

TEST_F(StateDir, CreatedPrivateWhenMissing) {
    auto path = (root_ / "state").string();
    EXPECT_EQ(open_state_dir(path), path);
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StateDir, SymlinkIsRefused) {
    fs::create_directories(root_ / "real");
    fs::create_directory_symlink(root_ / "real", root_ / "link");
    EXPECT_THROW(open_state_dir((root_ / "link").string()), UsageError);
}

TEST_F(StateDir, WorldWritableWithoutStickyBitIsRefused) {
    auto path = root_ / "open";
    fs::create_directories(path);
    ::chmod(path.c_str(), 0777);
    EXPECT_THROW(open_state_dir(path.string()), UsageError);
    ::chmod(path.c_str(), 01777);
    EXPECT_NO_THROW(open_state_dir(path.string()));
    ::chmod(path.c_str(), 0770);
    EXPECT_THROW(open_state_dir(path.string()), UsageError);
}

TEST_F(StateDir, ForeignOwnerIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
    auto path = root_ / "theirs";
    fs::create_directories(path);
    ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
    EXPECT_THROW(open_state_dir(path.string()), UsageError);
}

TEST_F(StateDir, FileIsRefused) {
    auto path = root_ / "file";
    {
        FILE* f = std::fopen(path.c_str(), "w");
        std::fclose(f);
    }
    EXPECT_THROW(open_state_dir(path.string()), UsageError);
}

}  // namespace
}  // namespace supervise
