#include "lock/owner_record.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "supervise/sys/process.h"

namespace supervise::lock {
namespace {

OwnerRecord sample_run() {
    OwnerRecord r;
    r.kind = OwnerRecord::Kind::run;
    r.slot = 2;
    r.pid = 4821;
    r.boot_id = current_boot_id();
    r.supervisor_pid = 4820;
    r.command = "make -j8 'quoted'\nsecond line";
    r.started = 1795430000.5;
    r.cgroup.path = "/sys/fs/cgroup/unified/supervise/lock-x-s2-4820-1";
    r.cgroup.id = 1234;
    r.cgroup.driver = DriverKind::hybrid;
    r.dirs = {r.cgroup.path, "/sys/fs/cgroup/memory/supervise/lock-x-s2-4820-1"};
    return r;
}

TEST(OwnerRecord, RoundTrips) {
    auto parsed = parse_owner_record(serialize(sample_run()));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->slot, 2);
    EXPECT_EQ(parsed->pid, 4821);
    EXPECT_EQ(parsed->command, sample_run().command);
    EXPECT_EQ(parsed->cgroup.id, 1234u);
    EXPECT_EQ(parsed->cgroup.driver, DriverKind::hybrid);
    EXPECT_EQ(parsed->dirs.size(), 2u);
    EXPECT_DOUBLE_EQ(parsed->started, 1795430000.5);
}

TEST(OwnerRecord, TruncatedOrGarbledIsRejected) {
    std::string text = serialize(sample_run());
    // Any cut before the final "end=1" line is detected.
    for (size_t cut = 0; cut < text.rfind("end=1"); cut += 7)
        EXPECT_FALSE(parse_owner_record(text.substr(0, cut))) << "cut at " << cut;
    EXPECT_FALSE(parse_owner_record("garbage"));
    std::string bad_id = text;
    bad_id.replace(bad_id.find("cgroup_id=1234"), 14, "cgroup_id=12x4");
    EXPECT_FALSE(parse_owner_record(bad_id));
    std::string bad_kind = text;
    bad_kind.replace(bad_kind.find("kind=run"), 8, "kind=xyz");
    EXPECT_FALSE(parse_owner_record(bad_kind));
}

TEST(OwnerIsAlive, RecordFromAnotherBootIsStale) {
    OwnerRecord r;
    r.kind = OwnerRecord::Kind::process;
    r.pid = ::getpid();
    r.start_time = *sys::process_start_time(::getpid());
    r.boot_id = current_boot_id();
    EXPECT_TRUE(owner_is_alive(r));
    r.boot_id = "00000000-0000-0000-0000-000000000000";
    EXPECT_FALSE(owner_is_alive(r));
}

TEST(OwnerIsAlive, ReusedPidWithOtherStartTimeIsNotTheOwner) {
    OwnerRecord r;
    r.kind = OwnerRecord::Kind::process;
    r.pid = ::getpid();  // alive, but not the process that took the lock
    r.start_time = *sys::process_start_time(::getpid()) + 1;
    r.boot_id = current_boot_id();
    EXPECT_FALSE(owner_is_alive(r));
}

TEST(OwnerIsAlive, RunWhoseCgroupIsGoneIsDead) {
    auto r = sample_run();
    r.cgroup.path = "/nonexistent/cgroup";
    EXPECT_FALSE(owner_is_alive(r));
}

TEST(ProcessStartTime, ParsesPastParenthesesInTheName) {
    EXPECT_TRUE(sys::process_start_time(::getpid()).has_value());
    EXPECT_FALSE(sys::process_start_time(999999999).has_value());
}

}  // namespace
}  // namespace supervise::lock
