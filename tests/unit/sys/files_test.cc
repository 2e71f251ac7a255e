#include "supervise/sys/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "scratch_dir.h"
#include "supervise/error.h"

namespace supervise::sys {
namespace {

namespace fs = std::filesystem;

using FilesTest = testing::ScratchDir;

TEST_F(FilesTest, ListDirectoryHidesDotNamesUnlessAsked) {
    fs::create_directory(root_ / "sub");
    std::ofstream(path("file")) << "x";
    std::ofstream(path(".seq")) << "1";
    auto names = [](const std::vector<DirectoryEntry>& entries) {
        std::vector<std::string> all;
        for (const auto& e : entries) all.push_back(e.name + (e.is_directory ? "/" : ""));
        std::sort(all.begin(), all.end());
        return all;
    };
    EXPECT_EQ(names(list_directory(root_.string())), (std::vector<std::string>{"file", "sub/"}));
    EXPECT_EQ(names(list_directory(root_.string(), true)),
              (std::vector<std::string>{".seq", "file", "sub/"}));
    EXPECT_TRUE(list_directory(path("missing")).empty());
}

TEST_F(FilesTest, RemoveDirectoryTakesItsFiles) {
    fs::create_directory(root_ / "task");
    std::ofstream(path("task/record")) << "x";
    std::ofstream(path("task/.hidden")) << "y";
    remove_directory(path("task"));
    EXPECT_FALSE(fs::exists(root_ / "task"));
}

TEST_F(FilesTest, FileLockIsSeenFromAnotherOpenFile) {
    std::string lock_path = path("lock");
    EXPECT_FALSE(FileLock::held_elsewhere(lock_path));  // no such file
    {
        auto lock = *FileLock::wait(lock_path, true);
        EXPECT_TRUE(FileLock::held_elsewhere(lock_path));
        lock.release();
        EXPECT_FALSE(FileLock::held_elsewhere(lock_path));
    }
    auto ticket = FileLock::create_exclusive(path("ticket"), "ticket");
    EXPECT_TRUE(FileLock::held_elsewhere(path("ticket")));
    EXPECT_THROW(FileLock::create_exclusive(path("ticket"), "ticket"), SystemError);  // exists
}

TEST_F(FilesTest, FileLockNeverFollowsASymlink) {
    std::ofstream(path("target")) << "";
    fs::create_symlink(root_ / "target", root_ / "link");
    EXPECT_THROW(FileLock::wait(path("link"), true), SystemError);
    EXPECT_FALSE(FileLock::wait(path("missing"), false));
}

TEST_F(FilesTest, PrivateDirRefusesWhatOthersCouldUse) {
    EXPECT_NO_THROW(make_private_dir(path("mine")));
    EXPECT_EQ(fs::status(root_ / "mine").permissions() & fs::perms::all, fs::perms::owner_all);
    fs::create_directory(root_ / "open");
    ::chmod(path("open").c_str(), 0777);
    EXPECT_THROW(make_private_dir(path("open"), "state directory"), UsageError);
    ::chmod(path("open").c_str(), 01777);  // sticky, like /tmp
    EXPECT_NO_THROW(make_private_dir(path("open")));
    fs::create_directory_symlink(root_ / "mine", root_ / "link");
    try {
        make_private_dir(path("link"), "state directory");
        ADD_FAILURE() << "a symlink was accepted";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("state directory " + path("link")), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace supervise::sys
