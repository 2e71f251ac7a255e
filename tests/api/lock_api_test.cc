// The lock and history API against real cgroups: a memory budget admits runs by their
// reservations, list_pools reports them, and every run lands in the history.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "supervise/error.h"
#include "supervise/history.h"
#include "supervise/lock.h"
#include "supervise/locked_run.h"

namespace supervise {
namespace {

using namespace std::chrono_literals;

TEST(LockApi, ABudgetAdmitsRunsByTheirReservationsAndTheHistoryRecordsThem) {
    char dir[] = "/tmp/supervise-api.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    std::string state = open_state_dir(dir);
    DriverOptions driver;
    if (const char* kind = std::getenv("SUPERVISE_DRIVER")) driver.kind = parse_driver_kind(kind);

    auto spec_of = [&](std::vector<std::string> argv) {
        RunSpec spec;
        spec.argv = std::move(argv);
        spec.driver = driver;
        spec.limits.memory_max = 60ull << 20;
        spec.history_file = std::string(dir) + "/runs.jsonl";
        spec.job = "api-job";
        return spec;
    };
    LockOptions lock;
    lock.name = "api-budget";
    lock.slots = 0;  // the budget alone limits it
    lock.capacity = 100ull << 20;
    lock.reservation = 60ull << 20;
    lock.state_dir = state;
    lock.driver = driver;

    std::optional<LockedRunOutcome> first;
    std::thread holder([&] { first = run_with_lock(spec_of({"sleep", "1"}), lock); });
    std::vector<PoolStatus> pools;
    for (int i = 0; i < 250 && (pools.empty() || pools[0].holders.empty()); ++i) {
        std::this_thread::sleep_for(20ms);
        pools = list_pools(state, driver, lock.name);
    }
    ASSERT_EQ(pools.size(), 1u);
    ASSERT_EQ(pools[0].holders.size(), 1u);
    EXPECT_EQ(pools[0].capacity, 100ull << 20);
    EXPECT_EQ(pools[0].reserved, 60ull << 20);
    EXPECT_EQ(pools[0].holders[0].reserved, 60ull << 20);

    // 60M more does not fit beside it: a try-once gives up, and nothing runs.
    auto second = lock;
    second.wait = 0ms;
    auto refused = run_with_lock(spec_of({"true"}), second);
    EXPECT_EQ(refused.lock, AcquireOutcome::timed_out);
    EXPECT_FALSE(refused.result);
    EXPECT_THROW(check_reservation(lock.name, 100ull << 20, 200ull << 20), UsageError);
    EXPECT_THROW(check_reservation(lock.name, 100ull << 20, std::nullopt), UsageError);

    holder.join();
    ASSERT_TRUE(first && first->result);
    EXPECT_EQ(first->result->exit_status(), 0);
    EXPECT_EQ(first->result->memory_reserved_bytes, 60ull << 20);
    auto records = read_history(std::string(dir) + "/runs.jsonl");
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].job, "api-job");
    EXPECT_EQ(records[0].lock, "api-budget");
    auto learned = learn_memory(records, "api-job", 1ull << 30);
    EXPECT_EQ(learned.source, "history");
    EXPECT_TRUE(list_pools(state, driver, lock.name).empty()) << "the pool outlived its runs";
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace supervise
