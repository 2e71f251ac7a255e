#include "cgroup/layout.h"

#include <gtest/gtest.h>

#include <string>

namespace supervise::cgroup {
namespace {

// The CI host: a tmpfs at /sys/fs/cgroup holding one v1 hierarchy per controller and
// cgroup2 at /sys/fs/cgroup/unified, no systemd; only the memory path is not the root.
constexpr const char* kCiHostMountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kCiHostCgroup =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "7:blkio:/\n"
    "6:freezer:/\n"
    "5:devices:/\n"
    "4:memory:/process_api/b0649bda9b6baa73a8d3822780de376a\n"
    "3:cpuset:/\n"
    "2:cpuacct:/\n"
    "1:cpu:/\n"
    "0::/\n";

TEST(LayoutParse, CiHostIsHybrid) {
    auto layout = Layout::parse(kCiHostMountinfo, kCiHostCgroup);
    EXPECT_TRUE(layout.hybrid());
    EXPECT_FALSE(layout.pure_v2());
    EXPECT_EQ(layout.unified_mount, "/sys/fs/cgroup/unified");
    EXPECT_EQ(layout.self_unified, "/");
}

TEST(LayoutParse, CiHostOwnDirectories) {
    auto layout = Layout::parse(kCiHostMountinfo, kCiHostCgroup);
    EXPECT_EQ(layout.own_unified_dir(), "/sys/fs/cgroup/unified");
    EXPECT_EQ(layout.own_v1_dir("memory"),
              "/sys/fs/cgroup/memory/process_api/b0649bda9b6baa73a8d3822780de376a");
    EXPECT_EQ(layout.own_v1_dir("pids"), "/sys/fs/cgroup/pids");
    EXPECT_EQ(layout.own_v1_dir("freezer"), "/sys/fs/cgroup/freezer");
    EXPECT_EQ(layout.own_v1_dir("cpu"), "/sys/fs/cgroup/cpu");
}

TEST(LayoutParse, IgnoresControllersSuperviseDoesNotUse) {
    auto layout = Layout::parse(kCiHostMountinfo, kCiHostCgroup);
    EXPECT_FALSE(layout.own_v1_dir("devices").has_value());
    EXPECT_FALSE(layout.own_v1_dir("name=systemd").has_value());
    // memory, pids, cpu, blkio (--io-*), freezer, and systemd's named hierarchy (for its
    // scopes' twins)
    EXPECT_EQ(layout.v1_mounts.size(), 6u);
    EXPECT_EQ(layout.own_v1_dir("blkio"), "/sys/fs/cgroup/blkio");
    EXPECT_EQ(layout.own_v1_dir("systemd"), "/sys/fs/cgroup/systemd");
}

// systemd's hybrid layout (Ubuntu 20.04): optional "shared:N" fields, co-mounted
// controllers, and a session scope below the root.
TEST(LayoutParse, SystemdHybridWithComountedControllers) {
    const char* mountinfo =
        "25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - "
        "cgroup2 cgroup2 rw,nsdelegate\n"
        "27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - "
        "cgroup cgroup rw,xattr,name=systemd\n"
        "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - "
        "cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - "
        "cgroup cgroup rw,memory\n"
        "32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - "
        "cgroup cgroup rw,pids\n";
    const char* cgroup =
        "12:pids:/user.slice/user-1000.slice/session-2.scope\n"
        "11:memory:/user.slice/user-1000.slice/session-2.scope\n"
        "4:cpu,cpuacct:/user.slice\n"
        "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
        "0::/user.slice/user-1000.slice/session-2.scope\n";
    auto layout = Layout::parse(mountinfo, cgroup);
    EXPECT_TRUE(layout.hybrid());
    EXPECT_FALSE(layout.pure_v2());
    EXPECT_EQ(layout.own_unified_dir(),
              "/sys/fs/cgroup/unified/user.slice/user-1000.slice/session-2.scope");
    EXPECT_EQ(layout.own_v1_dir("memory"),
              "/sys/fs/cgroup/memory/user.slice/user-1000.slice/session-2.scope");
    EXPECT_EQ(layout.own_v1_dir("cpu"), "/sys/fs/cgroup/cpu,cpuacct/user.slice");
}

TEST(LayoutParse, PureV2) {
    const char* mountinfo =
        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
        "cgroup2 rw,nsdelegate,memory_recursiveprot\n";
    const char* cgroup = "0::/user.slice/user-1000.slice/session-1.scope\n";
    auto layout = Layout::parse(mountinfo, cgroup);
    EXPECT_TRUE(layout.pure_v2());
    EXPECT_FALSE(layout.hybrid());
    EXPECT_EQ(layout.own_unified_dir(),
              "/sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope");
    EXPECT_FALSE(layout.own_v1_dir("memory").has_value());
    EXPECT_TRUE(layout.v1_mounts.empty());
}

TEST(LayoutParse, PureV2AtTheRoot) {
    auto layout = Layout::parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/\n");
    EXPECT_TRUE(layout.pure_v2());
    EXPECT_EQ(layout.own_unified_dir(), "/sys/fs/cgroup");
}

TEST(LayoutParse, FirstCgroup2MountWins) {
    const char* mountinfo =
        "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        "90 80 0:26 / /var/lib/machines/x/sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    auto layout = Layout::parse(mountinfo, "0::/a.slice\n");
    EXPECT_EQ(layout.own_unified_dir(), "/sys/fs/cgroup/a.slice");
}

// A container without its own cgroup namespace: the hierarchy is bind-mounted from the
// container's cgroup, so mountinfo's root field is that cgroup and /proc/self/cgroup shows
// paths that start with it.
TEST(LayoutParse, ContainerWhoseMountRootIsASubpath) {
    const char* mountinfo =
        "100 90 0:26 /machine.slice/x.scope /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - "
        "cgroup2 cgroup2 rw\n";
    auto layout = Layout::parse(mountinfo, "0::/machine.slice/x.scope/payload\n");
    EXPECT_TRUE(layout.pure_v2());
    EXPECT_EQ(layout.self_unified, "/payload");
    EXPECT_EQ(layout.own_unified_dir(), "/sys/fs/cgroup/payload");
}

TEST(LayoutParse, ContainerAtItsMountRoot) {
    const char* mountinfo =
        "100 90 0:26 /machine.slice/x.scope /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    auto layout = Layout::parse(mountinfo, "0::/machine.slice/x.scope\n");
    EXPECT_EQ(layout.self_unified, "/");
    EXPECT_EQ(layout.own_unified_dir(), "/sys/fs/cgroup");
}

TEST(LayoutParse, HybridContainerWhoseV1MountRootIsASubpath) {
    const char* mountinfo =
        "200 190 0:38 /docker/abc /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "201 190 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
        "202 190 0:36 /docker/abc /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n";
    const char* cgroup =
        "8:pids:/docker/abc\n"
        "4:memory:/docker/abc/job\n"
        "0::/docker/abc\n";
    auto layout = Layout::parse(mountinfo, cgroup);
    EXPECT_TRUE(layout.hybrid());
    EXPECT_EQ(layout.own_unified_dir(), "/sys/fs/cgroup/unified");
    EXPECT_EQ(layout.own_v1_dir("memory"), "/sys/fs/cgroup/memory/job");
    EXPECT_EQ(layout.own_v1_dir("pids"), "/sys/fs/cgroup/pids");
}

// The root is a path prefix only at a '/' boundary: "/machine.slice/x.scope2" is not
// inside "/machine.slice/x.scope".
TEST(LayoutParse, MountRootMatchesWholePathComponentsOnly) {
    const char* mountinfo =
        "100 90 0:26 /machine.slice/x.scope /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    auto layout = Layout::parse(mountinfo, "0::/machine.slice/x.scope2/payload\n");
    EXPECT_NE(layout.own_unified_dir(), "/sys/fs/cgroup2/payload");
}

TEST(LayoutParse, NoCgroupMounts) {
    const char* mountinfo =
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n";
    auto layout = Layout::parse(mountinfo, "0::/\n");
    EXPECT_FALSE(layout.pure_v2());
    EXPECT_FALSE(layout.hybrid());
    EXPECT_TRUE(layout.unified_mount.empty());
    EXPECT_TRUE(layout.own_unified_dir().empty());
    EXPECT_FALSE(layout.own_v1_dir("memory").has_value());
}

TEST(LayoutParse, EmptyInputs) {
    auto layout = Layout::parse("", "");
    EXPECT_FALSE(layout.pure_v2());
    EXPECT_FALSE(layout.hybrid());
    EXPECT_EQ(layout.self_unified, "/");
    EXPECT_FALSE(layout.own_v1_dir("memory").has_value());
}

// Legacy v1 only (no cgroup2 anywhere): neither layout supervise drives.
TEST(LayoutParse, V1OnlyIsNeitherPureV2NorHybrid) {
    const char* mountinfo =
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
    auto layout = Layout::parse(mountinfo, "4:memory:/a\n8:pids:/b\n");
    EXPECT_FALSE(layout.pure_v2());
    EXPECT_FALSE(layout.hybrid());
    EXPECT_EQ(layout.own_v1_dir("memory"), "/sys/fs/cgroup/memory/a");
    EXPECT_EQ(layout.own_v1_dir("pids"), "/sys/fs/cgroup/pids/b");
}

TEST(LayoutParse, UnescapesBlanksInMountPoints) {
    auto layout =
        Layout::parse("30 23 0:26 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n", "0::/a\n");
    EXPECT_EQ(layout.own_unified_dir(), "/mnt/my cgroup/a");
}

TEST(LayoutParse, OwnV1DirIsTheMountWhenProcSelfCgroupLacksTheController) {
    auto layout =
        Layout::parse("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "");
    EXPECT_EQ(layout.own_v1_dir("memory"), "/sys/fs/cgroup/memory");
}

}  // namespace
}  // namespace supervise::cgroup
