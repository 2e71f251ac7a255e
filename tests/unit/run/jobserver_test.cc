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

// limit 1000M, threshold 75%: held back at 750M, again out below 650M.
TokenRule rule_of_1000m(double threshold = 0.75) {
    return TokenRule(1000 * MiB, threshold);
}

TEST(TokenRule, GrantsWhileAnotherJobFitsBelowTheThreshold) {
    auto rule = rule_of_1000m();
    RuleClock clock;
    // Settled at 2 jobs of 100M: a third (100M) fits.
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 2, 0, 200 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 2, 0, 200 * MiB, false));
    auto seven = rule_of_1000m();
    for (int i = 0; i < 20; ++i) seven.allows_more(clock.tick(), 7, 0, 700 * MiB, false);
    EXPECT_TRUE(seven.allows_more(clock.tick(), 7, 0, 700 * MiB, false));
    // At the threshold: held back, though one more would still fit under the limit.
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 8, 0, 760 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(), 8, 0, 760 * MiB, false));
    // One job of 600M, below the threshold: a second would not fit under the limit.
    auto big = rule_of_1000m();
    for (int i = 0; i < 20; ++i) big.allows_more(clock.tick(), 1, 0, 600 * MiB, false);
    EXPECT_FALSE(big.allows_more(clock.tick(), 1, 0, 600 * MiB, false));
}

TEST(TokenRule, CountsYoungJobsAtTheLargestShare) {
    RuleClock clock;
    auto rule = rule_of_1000m(0.9);
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 3, 0, 780 * MiB, false);
    // Two jobs ended and two new ones took their tokens: usage fell to 300M, but the new
    // ones will grow like the others (260M each, the largest share in the last 10s):
    // 780M + 260M does not fit under 1000M.
    EXPECT_FALSE(rule.allows_more(clock.tick(), 3, 0, 300 * MiB, false));
    auto fresh = rule_of_1000m(0.9);
    for (int i = 0; i < 20; ++i) fresh.allows_more(clock.tick(), 3, 0, 300 * MiB, false);
    EXPECT_TRUE(fresh.allows_more(clock.tick(), 3, 0, 300 * MiB, false));
    // A free token in the pipe is a job about to start: counted too.
    EXPECT_FALSE(fresh.allows_more(clock.tick(), 3, 6, 300 * MiB, false));
    // After 30s of small jobs the big ones are forgotten.
    for (int i = 0; i < 620; ++i) rule.allows_more(clock.tick(), 3, 0, 30 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 3, 0, 30 * MiB, false));
}

TEST(TokenRule, RisingUsageIsProjected) {
    RuleClock clock;
    auto rule = rule_of_1000m(0.9);
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 2, 0, 200 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 2, 0, 200 * MiB, false));
    // The two jobs are allocating fast: +300M in 0.3s. Without the rise 500M + 250M would
    // fit; they will go on, so another is not let in now.
    rule.allows_more(clock.tick(150ms), 2, 0, 350 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(150ms), 2, 0, 500 * MiB, false));
    auto settled = rule_of_1000m(0.9);
    for (int i = 0; i < 20; ++i) settled.allows_more(clock.tick(), 2, 0, 500 * MiB, false);
    EXPECT_TRUE(settled.allows_more(clock.tick(), 2, 0, 500 * MiB, false));
}

TEST(TokenRule, HysteresisAfterCrossingAndPressure) {
    auto rule = rule_of_1000m();
    RuleClock clock;
    for (int i = 0; i < 20; ++i) rule.allows_more(clock.tick(), 8, 0, 800 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(), 8, 0, 800 * MiB, false));
    // Below the threshold again, where one more job (40M) would fit, but not below the
    // lower mark (650M): still held.
    for (int i = 0; i < 220; ++i) rule.allows_more(clock.tick(), 17, 0, 680 * MiB, false);
    EXPECT_FALSE(rule.allows_more(clock.tick(), 17, 0, 680 * MiB, false));
    auto never_crossed = rule_of_1000m();
    for (int i = 0; i < 20; ++i) never_crossed.allows_more(clock.tick(), 17, 0, 680 * MiB, false);
    EXPECT_TRUE(never_crossed.allows_more(clock.tick(), 17, 0, 680 * MiB, false));
    for (int i = 0; i < 620; ++i) rule.allows_more(clock.tick(), 17, 0, 640 * MiB, false);
    EXPECT_TRUE(rule.allows_more(clock.tick(), 17, 0, 640 * MiB, false));
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
    Jobserver jobs(8, rule_of_1000m());
    auto fds = jobs.command_fds();
    RuleClock clock;
    char token;
    // look: one update, then the pipe event of our own grant, if it made one
    auto look = [&](std::chrono::milliseconds step, std::uint64_t working_set) {
        auto before = sys::pending_bytes(fds[0]);
        jobs.update(clock.tick(step), working_set, false);
        if (sys::pending_bytes(fds[0]) > before) jobs.on_pipe_written();
    };
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    look(50ms, 10 * MiB);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);
    look(50ms, 10 * MiB);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // not taken: no second one
    // Slow start: a client takes it; no more until a job has ended.
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    jobs.update(clock.tick(300ms), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    EXPECT_EQ(jobs.running(), 2u);
    ASSERT_EQ(::write(fds[1], &token, 1), 1);  // a job ends: its token comes back...
    jobs.on_pipe_written();
    ASSERT_EQ(::read(fds[0], &token, 1), 1);  // ...and the client's next job takes it
    look(300ms, 10 * MiB);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // one more may go out
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    look(300ms, 10 * MiB);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);  // then it waits for another end
    EXPECT_EQ(jobs.running(), 3u);
    // An end the events missed shows as fewer tokens in use at the next look.
    ASSERT_EQ(::write(fds[1], &token, 1), 1);
    look(300ms, 10 * MiB);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // the free one: no grant beside it
    ASSERT_EQ(::read(fds[0], &token, 1), 1);
    look(300ms, 10 * MiB);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);  // the end was counted: one more went out
    // Memory above the mark: the free token goes back to us, and so does one a job
    // gives back while tokens are withheld.
    jobs.update(clock.tick(), 900 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    EXPECT_TRUE(jobs.withholding());
    EXPECT_EQ(jobs.running(), 3u);
    ASSERT_EQ(::write(fds[1], &token, 1), 1);
    jobs.on_pipe_written();
    EXPECT_EQ(sys::pending_bytes(fds[0]), 0u);
    jobs.update(clock.tick(), 900 * MiB, false);
    EXPECT_EQ(jobs.running(), 2u);
    EXPECT_EQ(jobs.result().tokens_withheld_max, 6u);
    EXPECT_GT(jobs.result().seconds_throttled, 0.04);
    EXPECT_EQ(jobs.result().memory_threshold_bytes, 750 * MiB);
}

TEST(Jobserver, SlowStartNeverLeavesTheBuildWithoutATokenOut) {
    Jobserver jobs(4, rule_of_1000m());
    auto fds = jobs.command_fds();
    RuleClock clock;
    jobs.update(clock.tick(), 10 * MiB, false);
    ASSERT_EQ(sys::pending_bytes(fds[0]), 1u);
    // A PSI stall at once: the token comes back before anyone took it.
    jobs.update(clock.tick(), 10 * MiB, true);
    ASSERT_EQ(sys::pending_bytes(fds[0]), 0u);
    // Calm again, no job ever ended (and slow start's 5s not up): with no token in use,
    // one goes out all the same.
    for (int i = 0; i < 10; ++i) jobs.update(clock.tick(), 10 * MiB, false);
    EXPECT_EQ(sys::pending_bytes(fds[0]), 1u);
}

}  // namespace
}  // namespace supervise::run
