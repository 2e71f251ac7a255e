#include "task/task_record.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise/record.h"
#include "supervise/sys/process.h"

namespace supervise::task {
namespace {

constexpr const char* kOtherBoot = "00000000-0000-4000-8000-000000000000";

TaskRecord finished_record(int exit_status, double ended) {
    TaskRecord r;
    r.id = "build:/home/me \"quoted\"";
    r.finished = true;
    r.command = "make -j8 'x'\nsecond line \\ backslash";
    r.started = ended - 30.25;
    r.ended = ended;
    r.exit_status = exit_status;
    r.result_json = "{\"exit_code\": 0, \"note\": \"a\\nb\"}";
    r.cgroup.path = "/sys/fs/cgroup/unified/supervise/run-4821-1a2b";
    r.cgroup.id = 1234;
    r.cgroup.driver = DriverKind::hybrid;
    r.runner_pid = 4821;
    r.runner_start_time = 987654;
    r.boot_id = current_boot_id();
    r.ttl_seconds = 3600;
    return r;
}

// A running record whose runner is this process (alive, right start time), no cgroup yet.
TaskRecord running_record() {
    TaskRecord r;
    r.id = "t";
    r.command = "sleep 60";
    r.started = unix_now() - 5;
    r.runner_pid = ::getpid();
    r.runner_start_time = sys::process_start_time(::getpid()).value();
    r.boot_id = current_boot_id();
    return r;
}

// A pid that belonged to a process of ours that has ended and been reaped.
pid_t dead_pid() {
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status;
    ::waitpid(child, &status, 0);
    return child;
}

TEST(TaskRecord, RoundTrips) {
    auto original = finished_record(3, 1795430000.5);
    auto parsed = parse_task_record(serialize(original));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->id, original.id);
    EXPECT_TRUE(parsed->finished);
    EXPECT_EQ(parsed->command, original.command);
    EXPECT_DOUBLE_EQ(parsed->started, original.started);
    EXPECT_DOUBLE_EQ(parsed->ended, original.ended);
    EXPECT_EQ(parsed->exit_status, 3);
    EXPECT_EQ(parsed->result_json, original.result_json);
    EXPECT_EQ(parsed->cgroup.path, original.cgroup.path);
    EXPECT_EQ(parsed->cgroup.id, 1234u);
    EXPECT_EQ(parsed->cgroup.driver, DriverKind::hybrid);
    EXPECT_EQ(parsed->cgroup.boot_id, original.boot_id);
    EXPECT_EQ(parsed->runner_pid, 4821);
    EXPECT_EQ(parsed->runner_start_time, 987654u);
    EXPECT_EQ(parsed->boot_id, original.boot_id);
    EXPECT_EQ(parsed->ttl_seconds, 3600);
    EXPECT_EQ(serialize(*parsed), serialize(original));
}

TEST(TaskRecord, RunningRecordWithoutCgroupOrTtlRoundTrips) {
    auto original = running_record();
    auto parsed = parse_task_record(serialize(original));
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->finished);
    EXPECT_FALSE(parsed->exit_status);
    EXPECT_FALSE(parsed->ttl_seconds);
    EXPECT_TRUE(parsed->cgroup.path.empty());
    EXPECT_TRUE(parsed->result_json.empty());
    EXPECT_EQ(serialize(*parsed), serialize(original));
}

TEST(TaskRecord, EveryTruncationIsRejected) {
    std::string text = serialize(finished_record(0, 1795430000.5));
    ASSERT_EQ(text.substr(text.size() - 7), "\nend=1\n");
    // (all but the final newline is still a whole record: its end marker is intact)
    for (size_t length = 0; length < text.size() - 1; ++length)
        EXPECT_FALSE(parse_task_record(text.substr(0, length)))
            << "accepted the first " << length << " bytes:\n"
            << text.substr(0, length);
}

TEST(TaskRecord, GarbageIsRejected) {
    for (const char* text : {"", "\n", "garbage", "\x01\x02\xff\xfe\n\x7f", "version=1\nend=1\n"})
        EXPECT_FALSE(parse_task_record(text)) << text;
}

TEST(TaskRecord, GarbledFieldsAreRejected) {
    std::string good = serialize(finished_record(2, 1795430000.5));
    auto replaced = [&](const std::string& key, const std::string& line) {
        auto at = good.find("\n" + key + "=");
        EXPECT_NE(at, std::string::npos) << key;
        auto end = good.find('\n', at + 1);
        return line.empty() ? good.substr(0, at) + good.substr(end)
                            : good.substr(0, at + 1) + line + good.substr(end);
    };
    for (const auto& [key, line] : std::vector<std::pair<std::string, std::string>>{
             {"state", "state=sleeping"},
             {"state", "no equals sign here"},
             {"started", "started=yesterday"},
             {"runner_pid", "runner_pid="},
             {"exit_status", "exit_status=lots"},
             {"driver", "driver=carrier-pigeon"},
             {"boot_id", "boot_id="},
         }) {
        EXPECT_FALSE(parse_task_record(replaced(key, line))) << line;
    }
    // version 2 is not a version this parser knows
    auto version2 = good;
    version2.replace(0, std::string("version=1").size(), "version=2");
    EXPECT_FALSE(parse_task_record(version2));
    // a finished record must carry its exit status, and every record its boot
    EXPECT_FALSE(parse_task_record(replaced("exit_status", "")));
    EXPECT_FALSE(parse_task_record(replaced("boot_id", "")));
}

TEST(TaskRecord, NumbersWithTrailingGarbageAreRejected) {
    std::string good = serialize(finished_record(2, 1795430000.5));
    auto at = good.find("\nexit_status=2\n");
    ASSERT_NE(at, std::string::npos);
    EXPECT_FALSE(
        parse_task_record(good.substr(0, at) + "\nexit_status=2xyz\n" + good.substr(at + 15)));
}

TEST(Judge, FinishedWithinTtlIsItsResult) {
    double now = unix_now();
    auto ok = judge(finished_record(0, now - 10), 60.0, now);
    EXPECT_EQ(ok.state, TaskState::succeeded);
    EXPECT_EQ(ok.words(), "succeeded");
    auto bad = judge(finished_record(3, now - 10), 60.0, now);
    EXPECT_EQ(bad.state, TaskState::failed);
    EXPECT_EQ(bad.words(), "failed(3)");
}

TEST(Judge, FinishedAfterTtlIsExpired) {
    double now = unix_now();
    auto r = finished_record(0, now - 100);
    EXPECT_EQ(judge(r, 60.0, now).state, TaskState::expired);
    EXPECT_EQ(judge(r, 60.0, now).words(), "expired");
    EXPECT_EQ(judge(finished_record(4, now - 100), 60.0, now).state, TaskState::expired);
    // the record's own TTL when none is given, and the given one overrides it
    r.ttl_seconds = 50;
    EXPECT_EQ(judge(r, std::nullopt, now).state, TaskState::expired);
    EXPECT_EQ(judge(r, 3600.0, now).state, TaskState::succeeded);
    r.ttl_seconds = 3600;
    EXPECT_EQ(judge(r, std::nullopt, now).state, TaskState::succeeded);
    // no TTL at all: never expires
    r.ttl_seconds.reset();
    r.ended = now - 10 * 365 * 86400.0;
    EXPECT_EQ(judge(r, std::nullopt, now).state, TaskState::succeeded);
}

TEST(Judge, FailedWordsCarryTheExitStatus) {
    double now = unix_now();
    for (int status : {1, 2, 124, 125, 137, 255})
        EXPECT_EQ(judge(finished_record(status, now), std::nullopt, now).words(),
                  "failed(" + std::to_string(status) + ")");
}

TEST(Judge, FinishedInAnotherBootIsStillAResult) {
    double now = unix_now();
    auto r = finished_record(0, now - 10);
    r.boot_id = kOtherBoot;
    EXPECT_EQ(judge(r, std::nullopt, now).state, TaskState::succeeded);
    r.exit_status = 6;
    EXPECT_EQ(judge(r, std::nullopt, now).words(), "failed(6)");
}

TEST(Judge, RunningWithLiveRunnerIsRunning) {
    ASSERT_NE(current_boot_id(), kOtherBoot);
    auto status = judge(running_record(), std::nullopt, unix_now());
    EXPECT_EQ(status.state, TaskState::running);
    EXPECT_TRUE(status.runner_alive);
    EXPECT_EQ(status.words(), "running");
}

TEST(Judge, RunningFromAnotherBootIsLost) {
    auto r = running_record();  // its runner pid names a live process (this one) ...
    r.boot_id = kOtherBoot;     // ... of this boot, not of the one that wrote the record
    auto status = judge(r, std::nullopt, unix_now());
    EXPECT_EQ(status.state, TaskState::lost);
    EXPECT_FALSE(status.runner_alive);
    EXPECT_EQ(status.words(), "lost");
}

TEST(Judge, RunningWithDeadRunnerAndNoCgroupIsLost) {
    auto r = running_record();
    r.runner_pid = dead_pid();
    auto status = judge(r, std::nullopt, unix_now());
    EXPECT_EQ(status.state, TaskState::lost);
    EXPECT_FALSE(status.runner_alive);
}

TEST(Judge, RunnerPidReusedByAnotherProcessIsNotTheRunner) {
    auto r = running_record();
    r.runner_start_time += 1;  // same pid, another process
    auto status = judge(r, std::nullopt, unix_now());
    EXPECT_EQ(status.state, TaskState::lost);
    EXPECT_FALSE(status.runner_alive);
}

TEST(Judge, RunningWithDeadRunnerAndRemovedCgroupIsLost) {
    auto r = running_record();
    r.runner_pid = dead_pid();
    r.cgroup.path = "/sys/fs/cgroup/unified/supervise/run-1-gone-for-good";
    r.cgroup.id = 42;
    r.cgroup.boot_id = r.boot_id;
    r.cgroup.driver = DriverKind::hybrid;
    EXPECT_EQ(judge(r, std::nullopt, unix_now()).state, TaskState::lost);
}

}  // namespace
}  // namespace supervise::task
