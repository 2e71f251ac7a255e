// The C++ API against real cgroups: what a library user does, in whatever cgroup world
// the test runs in (SUPERVISE_DRIVER picks the driver, as for the CLI).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "supervise/error.h"
#include "supervise/run.h"

namespace supervise {
namespace {

using namespace std::chrono_literals;

RunSpec spec_for(std::vector<std::string> argv) {
    RunSpec spec;
    spec.argv = std::move(argv);
    if (const char* driver = std::getenv("SUPERVISE_DRIVER"))
        spec.driver.kind = parse_driver_kind(driver);
    if (const char* manager = std::getenv("SUPERVISE_SYSTEMD_MANAGER"))
        spec.driver.systemd_manager = manager;
    return spec;
}

bool alive(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

TEST(RunApi, CapturesOutputAndExitCode) {
    auto spec = spec_for({"sh", "-c", "echo out; echo err >&2; exit 7"});
    spec.capture_output = true;
    RunResult result = supervise::Run::start(spec).wait();
    EXPECT_EQ(result.exit_code, 7);
    EXPECT_EQ(result.exit_status(), 7);
    EXPECT_EQ(result.captured_stdout, "out\n");
    EXPECT_EQ(result.captured_stderr, "err\n");
    EXPECT_FALSE(result.cgroup.path.empty());
    EXPECT_NE(result.cgroup.id, 0u);
    EXPECT_FALSE(std::filesystem::exists(result.cgroup.path)) << "cgroup left behind";
}

TEST(RunApi, CommandRunsInsideTheRunsCgroup) {
    auto spec = spec_for({"cat", "/proc/self/cgroup"});
    spec.capture_output = true;
    supervise::Run run = supervise::Run::start(spec);
    std::string path = run.cgroup().path;
    RunResult result = run.wait();
    // The unified line ("0::/x/y") names the directory the identity points at.
    auto line = result.captured_stdout.substr(result.captured_stdout.find("0::") + 3);
    line = line.substr(0, line.find('\n'));
    EXPECT_TRUE(path.size() >= line.size() &&
                path.compare(path.size() - line.size(), line.size(), line) == 0)
        << path << " vs " << line;
}

TEST(RunApi, WaitForGivesUpAtTheDeadlineAndTheRunGoesOn) {
    supervise::Run run = supervise::Run::start(spec_for({"sleep", "0.6"}));
    auto begin = std::chrono::steady_clock::now();
    EXPECT_FALSE(run.wait_for(100ms).has_value());
    EXPECT_GE(std::chrono::steady_clock::now() - begin, 100ms);
    EXPECT_TRUE(alive(run.pid()));
    auto result = run.wait_for(10s);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->exit_code, 0);
}

TEST(RunApi, CancelKillsTheWholeTree) {
    auto spec = spec_for({"sh", "-c", "setsid sleep 300 & sleep 300 & echo started; wait"});
    spec.capture_output = true;
    supervise::Run run = supervise::Run::start(spec);
    pid_t main = run.pid();
    EXPECT_FALSE(run.wait_for(200ms).has_value());
    run.cancel();
    RunResult result = run.wait();
    EXPECT_TRUE(result.cancelled);
    EXPECT_EQ(result.signal, SIGKILL);
    EXPECT_EQ(result.exit_status(), 128 + SIGKILL);
    EXPECT_FALSE(alive(main));
    EXPECT_FALSE(std::filesystem::exists(result.cgroup.path));
}

TEST(RunApi, DestroyingARunningRunKillsIt) {
    std::string path;
    pid_t pid;
    {
        supervise::Run run = supervise::Run::start(spec_for({"sleep", "300"}));
        path = run.cgroup().path;
        pid = run.pid();
        ASSERT_TRUE(std::filesystem::exists(path));
    }
    EXPECT_FALSE(alive(pid));
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RunApi, NotFoundIs127AndLeavesNothing) {
    try {
        supervise::Run::start(spec_for({"no-such-command-supervise-test"}));
        FAIL() << "expected CommandError";
    } catch (const CommandError& e) {
        EXPECT_EQ(e.exit_status(), 127);
        EXPECT_NE(std::string(e.what()).find("no-such-command-supervise-test"), std::string::npos);
    }
}

TEST(RunApi, FailureBeforeExecAbortsTheHeldChildAndLeavesNothing) {
    auto spec = spec_for({"sh", "-c", "echo must not run; exit 3"});
    std::string path;
    spec.on_placed = [&](const RunCgroup& cgroup, pid_t) {
        path = cgroup.unified_path();
        throw Error("owner record could not be written");
    };
    EXPECT_THROW(supervise::Run::start(spec), Error);
    ASSERT_FALSE(path.empty());
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RunApi, MemoryWarningEventArrivesOnce) {
    auto spec = spec_for({"perl", "-e", "$x = q(x) x (60*1024*1024); sleep 1"});
    spec.limits.memory_max = 400ull << 20;
    spec.memory_warn = 0.1;
    int warnings = 0;
    spec.on_event = [&](const RunEvent& event) {
        if (event.kind == RunEvent::Kind::memory_warning) ++warnings;
    };
    RunResult result = supervise::Run::start(spec).wait();
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(warnings, 1);
}

TEST(RunApi, TimeoutEndsWith124) {
    auto spec = spec_for({"sleep", "30"});
    spec.timeout = 200ms;
    spec.kill_after = 1s;
    RunResult result = supervise::Run::start(spec).wait();
    EXPECT_TRUE(result.timed_out);
    EXPECT_EQ(result.signal, SIGTERM);
    EXPECT_EQ(result.exit_status(), 124);
    EXPECT_LT(result.wall_seconds, 5);
}

TEST(RunApi, JobsGiveTheCommandAJobserver) {
    // A client of the pipe: take a token, note that it got one, give it back.
    auto spec = spec_for({"bash", "-c",
                          "r=${MAKEFLAGS##*auth=}; w=${r#*,}; r=${r%,*}; "
                          "eval \"exec 8<&$r 9>&$w\"; "
                          "printf '%s\\n' \"$MAKEFLAGS\"; head -c 2 <&8; printf ++ >&9"});
    spec.setenv.emplace_back("MAKEFLAGS", "-j99 -k");
    spec.jobs.emplace();
    spec.jobs->max = 3;
    spec.capture_output = true;
    RunResult result = supervise::Run::start(spec).wait();
    EXPECT_EQ(result.exit_code, 0) << result.captured_stderr;
    EXPECT_NE(result.captured_stdout.find("-k -j3 --jobserver-auth="), std::string::npos)
        << result.captured_stdout;
    EXPECT_NE(result.captured_stdout.find("\n++"), std::string::npos) << result.captured_stdout;
    ASSERT_TRUE(result.jobs);
    EXPECT_EQ(result.jobs->max, 3u);
    EXPECT_FALSE(result.jobs->memory_threshold_bytes);  // no memory limit: plain

    // With a limit the memory rule hands tokens out (one at a time): this client takes one.
    spec.argv = {"bash", "-c", "r=${MAKEFLAGS##*auth=}; r=${r%,*}; head -c 1 <&$r"};
    spec.limits.memory_max = 512u << 20;
    result = supervise::Run::start(spec).wait();
    EXPECT_EQ(result.captured_stdout, "+");
    ASSERT_TRUE(result.jobs);
    EXPECT_EQ(result.jobs->memory_threshold_bytes, (512u << 20) * 3 / 4);

    spec.jobs->max = 0;
    EXPECT_THROW(supervise::Run::start(spec), UsageError);
}

}  // namespace
}  // namespace supervise
