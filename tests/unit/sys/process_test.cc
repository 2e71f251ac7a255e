#include "supervise/sys/process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>

#include "supervise/sys/fd.h"
#include "supervise/sys/files.h"

namespace supervise::sys {
namespace {

using namespace std::chrono_literals;

TEST(Pidfd, SignalsAndWaitsForTheProcessItWasOpenedOn) {
    auto child = ChildProcess::spawn_function([] { return ::pause(); }, {}, "a test child");
    auto pidfd = Pidfd::open(child.pid());
    ASSERT_TRUE(pidfd);
    EXPECT_FALSE(pidfd.wait_exit(20ms));
    EXPECT_TRUE(pidfd.send_signal(SIGTERM));
    EXPECT_TRUE(pidfd.wait_exit(5s));
    auto info = child.reap(true);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->si_code, CLD_KILLED);
    EXPECT_EQ(info->si_status, SIGTERM);
    EXPECT_FALSE(pidfd.send_signal(0));  // reaped: gone for good
}

TEST(ProcessStartTime, NamesThisProcessAndNoZombie) {
    EXPECT_TRUE(process_start_time(::getpid()).has_value());
    auto child = ChildProcess::spawn_function([] { return 0; }, {}, "a test child");
    ASSERT_TRUE(Pidfd::open(child.pid()).wait_exit(5s));
    EXPECT_FALSE(process_start_time(child.pid()).has_value());  // a zombie has ended
    child.reap(true);
}

TEST(SpawnFunction, ExitsWithTheBodysStatusAndKeepsOnlyTheGivenDescriptors) {
    Pipe kept = Pipe::create();
    Pipe dropped = Pipe::create();
    int kept_fd = kept.write.get(), dropped_fd = dropped.write.get();
    auto child = ChildProcess::spawn_function(
        [=] {
            bool has_kept = path_exists("/proc/self/fd/" + std::to_string(kept_fd));
            bool has_dropped = path_exists("/proc/self/fd/" + std::to_string(dropped_fd));
            return has_kept && !has_dropped ? 7 : 1;
        },
        {kept_fd}, "a test child");
    auto info = child.reap(true);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->si_code, CLD_EXITED);
    EXPECT_EQ(info->si_status, 7);
}

TEST(SpawnFunction, ABodyThatThrowsExits125) {
    auto child = ChildProcess::spawn_function([]() -> int { throw std::runtime_error("x"); }, {},
                                              "a test child");
    auto info = child.reap(true);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->si_status, 125);
}

TEST(SpawnDetached, RunsInANewSessionAndIsNotOurChild) {
    Pipe report = Pipe::create();
    int fd = report.write.get();
    ChildProcess::spawn_detached(
        [fd] {
            // session id, parent pid: what the caller cannot see from outside
            std::string text = std::to_string(::getsid(0)) + " " + std::to_string(::getppid());
            return ::write(fd, text.data(), text.size()) > 0 ? 0 : 1;
        },
        {fd}, "a test child");
    report.write.reset();
    char buffer[64] = {};
    ASSERT_GT(::read(report.read.get(), buffer, sizeof buffer - 1), 0);
    pid_t session = 0, parent = 0;
    ASSERT_EQ(std::sscanf(buffer, "%d %d", &session, &parent), 2) << buffer;
    EXPECT_NE(session, ::getsid(0));
    EXPECT_NE(parent, ::getpid());
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // no child of ours is left to reap
}

TEST(ChildProcess, AChildKilledWhileHeldIsNoFailureOfRelease) {
    // (SIGPIPE at its default: release must not kill us when the held child is gone)
    auto previous = ::signal(SIGPIPE, SIG_DFL);
    ExecPlan plan;
    plan.executable = "/bin/true";
    plan.argv = {"true"};
    auto child = ChildProcess::spawn_held(plan);
    ASSERT_TRUE(child.send_signal(SIGKILL));
    ASSERT_TRUE(Pidfd::open(child.pid()).wait_exit(5s));
    EXPECT_FALSE(child.release());  // no start failure: the exit says what happened
    auto info = child.reap(true);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->si_code, CLD_KILLED);
    EXPECT_EQ(info->si_status, SIGKILL);
    ::signal(SIGPIPE, previous);
}

TEST(ChildProcess, MoveAssignmentEndsTheChildItReplaces) {
    auto first = ChildProcess::spawn_function([] { return ::pause(); }, {}, "a test child");
    auto watch = Pidfd::open(first.pid());
    first = ChildProcess::spawn_function([] { return 0; }, {}, "a test child");
    EXPECT_TRUE(watch.wait_exit(0ms));  // killed and reaped by the assignment
    ChildProcess moved(std::move(first));
    EXPECT_TRUE(moved.running());
    EXPECT_FALSE(first.running());  // NOLINT(bugprone-use-after-move): the moved-from state
    moved.reap(true);
}

}  // namespace
}  // namespace supervise::sys
