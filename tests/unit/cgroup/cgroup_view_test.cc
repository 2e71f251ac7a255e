// CgroupView reads the kernel's files; a fake directory layout stands in for cgroupfs
// here (the real thing is exercised by the integration tests in every cgroup world).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "scratch_dir.h"
#include "supervise/cgroup.h"

namespace supervise::cgroup {
namespace {

namespace fs = std::filesystem;

class FakeCgroup : public testing::ScratchDir {
  protected:
    void SetUp() override {
        ScratchDir::SetUp();
        fs::create_directories(root_ / "unified" / "child");
        fs::create_directories(root_ / "memory");
        view_.unified = (root_ / "unified").string();
    }
    void put(const std::string& relative, const std::string& text) {
        std::ofstream(root_ / relative) << text;
    }
    CgroupView view_;
};

TEST_F(FakeCgroup, PopulatedFollowsCgroupEvents) {
    put("unified/cgroup.events", "populated 1\nfrozen 0\n");
    EXPECT_TRUE(view_.populated());
    put("unified/cgroup.events", "populated 0\nfrozen 0\n");
    EXPECT_FALSE(view_.populated());
}

TEST_F(FakeCgroup, GoneCgroupIsNotPopulated) {
    view_.unified = (root_ / "nonexistent").string();
    EXPECT_FALSE(view_.populated());
    EXPECT_TRUE(view_.wait_until_empty(std::chrono::milliseconds(1)));
}

TEST_F(FakeCgroup, V2StatsComeFromMemoryPeakEventsAndCpuStat) {
    put("unified/memory.current", "1000\n");
    put("unified/memory.peak", "52428800\n");
    put("unified/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 2\noom_group_kill 0\n");
    put("unified/cpu.stat", "usage_usec 3500000\nuser_usec 2500000\nsystem_usec 1000000\n");
    auto stats = view_.stats();
    EXPECT_EQ(stats.memory_current, 1000u);
    EXPECT_EQ(stats.memory_peak, 52428800u);
    EXPECT_EQ(stats.oom_kills, 2u);
    EXPECT_DOUBLE_EQ(*stats.user_seconds, 2.5);
    EXPECT_DOUBLE_EQ(*stats.system_seconds, 1.0);
}

TEST_F(FakeCgroup, HybridMemoryStatsComeFromV1) {
    view_.memory_v1 = (root_ / "memory").string();
    put("unified/memory.peak", "1\n");  // ignored: v1 holds the memory controller
    put("memory/memory.usage_in_bytes", "4096\n");
    put("memory/memory.max_usage_in_bytes", "104857600\n");
    put("memory/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
    put("unified/cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\n");
    auto stats = view_.stats();
    EXPECT_EQ(stats.memory_current, 4096u);
    EXPECT_EQ(stats.memory_peak, 104857600u);
    EXPECT_EQ(stats.oom_kills, 1u);
    EXPECT_EQ(view_.memory_usage(), 4096u);
}

TEST_F(FakeCgroup, MissingFilesGiveUnknownNotZero) {
    auto stats = view_.stats();
    EXPECT_FALSE(stats.memory_peak.has_value());
    EXPECT_FALSE(stats.user_seconds.has_value());
    EXPECT_EQ(stats.oom_kills, 0u);
}

TEST_F(FakeCgroup, ProcessesIncludeDescendants) {
    put("unified/cgroup.procs", "10\n11\n");
    put("unified/child/cgroup.procs", "12\n");
    auto pids = view_.processes();
    std::sort(pids.begin(), pids.end());
    EXPECT_EQ(pids, (std::vector<pid_t>{10, 11, 12}));
}

TEST_F(FakeCgroup, DirectoriesListUnifiedFirst) {
    view_.memory_v1 = "/m";
    view_.pids_v1 = "/p";
    EXPECT_EQ(view_.directories(), (std::vector<std::string>{view_.unified, "/m", "/p"}));
}

}  // namespace
}  // namespace supervise::cgroup
