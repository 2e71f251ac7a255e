// The jobserver's pure parts: the MAKEFLAGS a client gets, and the memory rule's judgement
// (the tokens, the pipe and real make: tests/integration/t_jobs_*).

#include "run/jobserver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "supervise/sys/fd.h"

namespace supervise::run {
namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

std::string makeflags(std::string_view existing, std::vector<std::string>* replaced = nullptr) {
    std::vector<std::string> words;
    auto flags = jobserver_makeflags(existing, 8, 3, 4, words);
    if (replaced) *replaced = words;
    return flags;
}

TEST(JobserverMakeflags, Empty) {
    EXPECT_EQ(makeflags(""), "-j8 --jobserver-auth=3,4");
}

TEST(JobserverMakeflags, ReplacesJobsAndAnEarlierJobserver) {
    std::vector<std::string> replaced;
    EXPECT_EQ(makeflags("k -j99 --jobserver-auth=5,6 --jobserver-fds=5,6", &replaced),
              "k -j8 --jobserver-auth=3,4");
    EXPECT_EQ(replaced,
              (std::vector<std::string>{"-j99", "--jobserver-auth=5,6", "--jobserver-fds=5,6"}));
    EXPECT_EQ(makeflags("--jobs=3 -s"), "-s -j8 --jobserver-auth=3,4");
    EXPECT_EQ(makeflags("-j 3 -s", &replaced), "-s -j8 --jobserver-auth=3,4");
    EXPECT_EQ(replaced, (std::vector<std::string>{"-j", "3"}));
    EXPECT_EQ(makeflags("-j"), "-j8 --jobserver-auth=3,4");  // -j alone: no limit
}

TEST(JobserverMakeflags, KeepsAssignmentsAfterDashes) {
    // A variable's value may look like a flag; it is the caller's, untouched.
    EXPECT_EQ(makeflags("s -- CC=gcc\\ -j4 X=-j2"),
              "s -j8 --jobserver-auth=3,4 -- CC=gcc\\ -j4 X=-j2");
}

using namespace std::chrono_literals;

struct RuleClock {
    Clock::time_point now = Clock::now();
    Clock::time_point tick(std::chrono::milliseconds step = 50ms) { return now += step; }
};

TEST(TokenRule, GrantsWhileAnotherJobFits) {
    TokenRule rule(750 * MiB, 650 * MiB);
    RuleClock clock;
    // Settled at 2 jobs of 100M: a third (100M) fits below 750M.
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 2, 0, 200 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 2, 0, 200 * MiB, false));
    // Settled at 6 of 100M: 700M, one more reaches the mark.
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 6, 0, 600 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 6, 0, 600 * MiB, false));
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 7, 0, 700 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(), 7, 0, 700 * MiB, false));
}

TEST(TokenRule, CountsYoungJobsAtTheLargestShare) {
    TokenRule rule(750 * MiB, 650 * MiB);
    RuleClock clock;
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 3, 0, 600 * MiB, false);
    // Two jobs ended and two new ones took their tokens: usage fell to 200M, but the new
    // ones will grow to 200M each like the others (largest share in the last 10s).
    EXPECT_FALSE(rule.allows_more(clock.tick(), 3, 0, 200 * MiB, false));
    // A free token in the pipe is a job about to start: counted too.
    TokenRule fresh(750 * MiB, 650 * MiB);
    for (int i = 0; i < 20; ++i) fresh.allows_more(clock.tick(), 2, 0, 400 * MiB, false);
    EXPECT_TRUE(fresh.allows_more(clock.tick(), 2, 0, 400 * MiB, false));
    EXPECT_FALSE(fresh.allows_more(clock.tick(), 2, 1, 400 * MiB, false));
    // After 10s of small jobs the big one is forgotten.
    for (int i = 0; i < 220; ++i) rule.allows_more(clock.tick(), 3, 0, 30 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 3, 0, 30 * MiB, false));
}

TEST(TokenRule, RisingUsageIsProjected) {
    TokenRule rule(750 * MiB, 650 * MiB);
    RuleClock clock;
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 2, 0, 100 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 2, 0, 100 * MiB, false));
    // The two jobs are allocating fast: +200M in 0.2s, so another is not let in now.
    rule.allows_more(clock.tick(100ms), 2, 0, 200 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(100ms), 2, 0, 500 * MiB, false));
}

TEST(TokenRule, HysteresisAfterCrossingAndPressure) {
    TokenRule rule(750 * MiB, 650 * MiB);
    RuleClock clock;
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 8, 0, 800 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(), 8, 0, 800 * MiB, false));
    // Below the mark again, but not below the low mark: still held.
    for (int i = 0; i < 220; ++i) rule.allows_more(clock.tick(), 1, 0, 700 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(), 1, 0, 700 * MiB, false));
    for (int i = 0; i < 220; ++i) rule.allows_more(clock.tick(), 1, 0, 10 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 1, 0, 10 * MiB, false));
    // A PSI stall holds tokens whatever the usage; unknown usage follows PSI alone.
    EXPECT_FALSE(rule.allows_more(clock.tick(), 1, 0, 10 * MiB, true));
    EXPECT_FALSE(rule.allows_more(clock.tick(), 1, 0, std::nullopt, true));
    EXPECT_TRUE(rule.allows_more(clock.tick(), 1, 0, std::nullopt, false));
}

TEST(Jobserver, PlainFillsThePipeAndCountsJobsInUse) {
    Jobserver jobs(4, std::nullopt);
    auto fds = jobs.command_fds();
    EXPECT_EQ(sys::pending_bytes(fds[0]), 3u);
    char token;
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    jobs.update(Clock::now(), std::nullopt, false);
    EXPECT_EQ(jobs.running(), 3u);
    ASSERT_EQ(::write(fds[1], &token, 1), 1);
    jobs.update(Clock::now(), std::nullopt, false);
    EXPECT_EQ(jobs.running(), 2u);
    EXPECT_EQ(jobs.result().peak_parallel, 3u);
    EXPECT_FALSE(jobs.result().memory_threshold_bytes);
}

TEST(Jobserver, RuleHandsOutTokensOneAtATimeAndTakesFreeOnesBack) {
    Jobserver jobs(8, TokenRule(750 * MiB, 650 * MiB));
    auto fds = jobs.command_fds();
    RuleClock clock;
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    jobs.update(clock.tick(), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);
    jobs.update(clock.tick(), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // not taken: no second one
    jobs.on_pipe_written();                     // (the event of our own write)
    // Slow start: a client takes it; no more until a job has ended.
    char token;
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    jobs.update(clock.tick(300ms), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    EXPECT_EQ(jobs.running(), 2u);
    ASSERT_EQ(::write(fds[1], &token, 1), 1);  // a job ends: its token comes back...
    jobs.on_pipe_written();
    ASSERT_EQ(::read(fds[0], &token, 1), 1);  // ...and the client's next job takes it
    jobs.update(clock.tick(300ms), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // two more may go out, one per look
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    jobs.update(clock.tick(300ms), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    jobs.update(clock.tick(300ms), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);  // then it waits for another end
    EXPECT_EQ(jobs.running(), 4u);
    // Memory above the mark: the free token goes back to us.
    jobs.on_pipe_written();
    ASSERT_EQ(::write(fds[1], &token, 1), 1);  // another end
    jobs.on_pipe_written();
    jobs.update(clock.tick(300ms), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // the free one: no grant beside it
    jobs.update(clock.tick(), 900 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    EXPECT_TRUE(jobs.withholding());
    EXPECT_EQ(jobs.result().tokens_withheld_max, 5u);
    jobs.update(clock.tick(), 900 * MiB, false);
    EXPECT_GT(jobs.result().seconds_throttled, 0.04);
    EXPECT_EQ(jobs.result().memory_threshold_bytes, 750 * MiB);
}

}  // namespace
}  // namespace supervise::run
