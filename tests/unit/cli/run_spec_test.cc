#include <gtest/gtest.h>

#include "cli/cli.h"
#include "supervise/error.h"

namespace supervise::cli {
namespace {

RunOptions with_command() {
    RunOptions options;
    options.command = {"true"};
    return options;
}

TEST(ToRunSpec, ParsesLimits) {
    RunOptions o = with_command();
    o.memory = "512M";
    o.memory_high = "400M";
    o.tasks = "500";
    o.cpu = "150%";
    o.timeout = "10m";
    o.kill_after = "5s";
    o.memory_warn = "50%";
    RunSpec spec = to_run_spec(o);
    EXPECT_EQ(spec.limits.memory_max, 512ull << 20);
    EXPECT_EQ(spec.limits.memory_high, 400ull << 20);
    EXPECT_EQ(spec.limits.tasks_max, 500u);
    EXPECT_DOUBLE_EQ(*spec.limits.cpu_percent, 150.0);
    EXPECT_EQ(spec.timeout, std::chrono::minutes(10));
    EXPECT_EQ(spec.kill_after, std::chrono::seconds(5));
    EXPECT_DOUBLE_EQ(*spec.memory_warn, 0.5);
}

TEST(ToRunSpec, ErrorNamesTheOption) {
    RunOptions o = with_command();
    o.tasks = "many";
    try {
        to_run_spec(o);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--tasks"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("many"), std::string::npos);
    }
}

TEST(ToRunSpec, SwapZeroMeansNoSwap) {
    RunOptions o = with_command();
    o.swap = "0";
    EXPECT_EQ(to_run_spec(o).limits.swap_max, 0u);
}

TEST(ToRunSpec, SetenvNeedsNameAndEquals) {
    RunOptions o = with_command();
    o.setenv = {"A=1", "B=x=y"};
    auto spec = to_run_spec(o);
    ASSERT_EQ(spec.setenv.size(), 2u);
    EXPECT_EQ(spec.setenv[1].second, "x=y");
    o.setenv = {"=1"};
    EXPECT_THROW(to_run_spec(o), UsageError);
    o.setenv = {"NOEQUALS"};
    EXPECT_THROW(to_run_spec(o), UsageError);
}

TEST(ToRunSpec, UnknownDriverIsUsageError) {
    RunOptions o = with_command();
    o.driver = "docker";
    EXPECT_THROW(to_run_spec(o), UsageError);
}

}  // namespace
}  // namespace supervise::cli
