#include <gtest/gtest.h>

#include <csignal>

#include "supervise/run.h"

namespace supervise {
namespace {

TEST(ResultJson, SignalledRunHasNullExitCodeAndSignalName) {
    RunResult result;
    result.signal = SIGKILL;
    result.oom_killed = true;
    result.oom_kills = 1;
    result.memory_peak_bytes = 52428800;
    result.cgroup.path = "/sys/fs/cgroup/supervise/run-1-abc";
    result.cgroup.driver = DriverKind::cgroup2;
    std::string json = to_json(result);
    EXPECT_NE(json.find("\"exit_code\": null"), std::string::npos) << json;
    EXPECT_NE(json.find("\"signal\": \"KILL\""), std::string::npos);
    EXPECT_NE(json.find("\"exit_status\": 137"), std::string::npos);
    EXPECT_NE(json.find("\"oom_killed\": true"), std::string::npos);
    EXPECT_NE(json.find("\"memory_peak_bytes\": 52428800"), std::string::npos);
    EXPECT_NE(json.find("\"driver\": \"cgroup2\""), std::string::npos);
    EXPECT_NE(json.find("\"user_seconds\": null"), std::string::npos);
}

TEST(ResultJson, EscapesStrings) {
    RunResult result;
    result.exit_code = 0;
    result.cgroup.path = "/a\"b\\c\n";
    EXPECT_NE(to_json(result).find(R"("cgroup": "/a\"b\\c\n")"), std::string::npos);
}

TEST(ExitStatus, FollowsShellConventions) {
    RunResult r;
    r.exit_code = 3;
    EXPECT_EQ(r.exit_status(), 3);
    r.exit_code.reset();
    r.signal = SIGTERM;
    EXPECT_EQ(r.exit_status(), 143);
    r.timed_out = true;
    EXPECT_EQ(r.exit_status(), 124);
}

TEST(SignalName, HasNoSigPrefix) {
    EXPECT_EQ(signal_name(SIGINT), "INT");
    EXPECT_EQ(signal_name(SIGUSR2), "USR2");
}

}  // namespace
}  // namespace supervise
