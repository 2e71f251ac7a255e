#include "supervise/history.h"

#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.h"

namespace supervise {
namespace {

using History = testing::ScratchDir;

HistoryRecord run_of(const std::string& job, int status, std::uint64_t peak) {
    HistoryRecord r;
    r.job = job;
    r.started = 1700000000.5;
    r.wall_seconds = 1.25;
    r.exit_status = status;
    r.memory_peak_bytes = peak;
    return r;
}

TEST_F(History, RecordsReadBackInOrder) {
    auto file = path("runs.jsonl");
    append_history(file, run_of("a", 0, 100));
    auto b = run_of("b\nwith a newline", 137, 300);
    b.signal = "KILL";
    b.oom_killed = true;
    b.lock = "build";
    b.slot = 2;
    b.wait_seconds = 0.5;
    append_history(file, b);
    size_t skipped = 9;
    auto records = read_history(file, &skipped);
    EXPECT_EQ(skipped, 0u);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].job, "a");
    EXPECT_EQ(records[0].memory_peak_bytes, 100u);
    EXPECT_FALSE(records[0].lock);
    EXPECT_EQ(records[1].job, "b\nwith a newline");
    EXPECT_EQ(records[1].exit_status, 137);
    EXPECT_EQ(records[1].signal, "KILL");
    EXPECT_TRUE(records[1].oom_killed);
    EXPECT_EQ(records[1].lock, "build");
    EXPECT_EQ(records[1].slot, 2);
    EXPECT_DOUBLE_EQ(*records[1].wait_seconds, 0.5);
    EXPECT_DOUBLE_EQ(records[1].wall_seconds, 1.25);
}

TEST_F(History, ATornOrForeignLineLosesOnlyItself) {
    auto file = path("runs.jsonl");
    append_history(file, run_of("a", 0, 1));
    {
        std::ofstream out(file, std::ios::app);
        out << "{\"version\": 1, \"job\": \"torn\", \"sta\n";  // a crash mid-write
        out << "not json at all\n";
        out << "{\"version\": 2, \"job\": \"from a later version\"}\n";
        out << "{\"version\": \"1\", \"job\": \"a version that is no number\"}\n";
    }
    append_history(file, run_of("b", 0, 2));
    size_t skipped = 0;
    auto records = read_history(file, &skipped);
    EXPECT_EQ(skipped, 4u);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].job, "a");
    EXPECT_EQ(records[1].job, "b");
}

TEST_F(History, AFullFileMovesToDotOneAndStaysReadable) {
    auto file = path("runs.jsonl");
    const std::uint64_t most = 600;  // about two records
    for (int i = 0; i < 10; ++i)
        append_history(file, run_of("job" + std::to_string(i), 0, 1), most);
    auto records = read_history(file);
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.back().job, "job9");       // the newest is never lost
    for (size_t i = 1; i < records.size(); ++i)  // oldest first, nothing repeated
        EXPECT_LT(records[i - 1].job, records[i].job);
    EXPECT_TRUE(std::filesystem::exists(file + ".1"));
    // bounded: each file at most the limit plus one record
    EXPECT_LT(std::filesystem::file_size(file), 2 * most);
    EXPECT_LT(std::filesystem::file_size(file + ".1"), 2 * most);
}

TEST_F(History, AnOversizedFileIsReadFromItsNewestRecords) {
    auto file = path("runs.jsonl");
    {
        std::ofstream out(file);
        std::string filler(1000, 'x');
        for (size_t i = 0; i < 5 * kHistoryMaxBytes / 1000; ++i) out << filler << "\n";
    }
    append_history(file, run_of("newest", 0, 1), 100 * kHistoryMaxBytes);
    size_t skipped = 0;
    auto records = read_history(file, &skipped);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].job, "newest");
    EXPECT_GT(skipped, 0u);
}

TEST_F(History, AppendNeverFollowsASymlink) {
    std::ofstream(path("target")) << "precious\n";
    std::filesystem::create_symlink(path("target"), path("runs.jsonl"));
    EXPECT_THROW(append_history(path("runs.jsonl"), run_of("a", 0, 1)), SystemError);
    std::ifstream in(path("target"));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "precious");
}

TEST(HistorySummary, PerJobRunsPeaksAndOoms) {
    std::vector<HistoryRecord> records{run_of("a", 0, 100), run_of("b", 0, 50),
                                       run_of("a", 137, 300), run_of("a", 0, 200)};
    records[2].oom_killed = true;
    auto jobs = summarize(records);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].job, "a");
    EXPECT_EQ(jobs[0].runs, 3u);
    EXPECT_EQ(jobs[0].failed, 1u);
    EXPECT_EQ(jobs[0].oom_kills, 1u);
    EXPECT_EQ(jobs[0].p50_peak, 200u);
    EXPECT_EQ(jobs[0].max_peak, 300u);
    EXPECT_FALSE(jobs[0].p50_wait);
    EXPECT_EQ(jobs[1].job, "b");
    EXPECT_EQ(jobs[1].runs, 1u);
}

TEST(LearnMemory, LargestRecentPeakWithAMarginOrTwiceAfterAnOom) {
    constexpr std::uint64_t MiB = 1 << 20;
    EXPECT_EQ(learn_memory({}, "j", 64 * MiB).bytes, 64 * MiB);
    EXPECT_EQ(learn_memory({}, "j", 64 * MiB).source, "default");
    std::vector<HistoryRecord> runs{run_of("j", 0, 100 * MiB), run_of("other", 0, 900 * MiB),
                                    run_of("j", 0, 150 * MiB), run_of("j", 2, 500 * MiB)};
    auto learned = learn_memory(runs, "j", 64 * MiB);
    EXPECT_EQ(learned.source, "history");
    EXPECT_EQ(learned.bytes, 188 * MiB);  // 150M x 1.25 = 187.5M, rounded up; failures do not count
    // only the last kLearnFrom successful runs count
    std::vector<HistoryRecord> many{run_of("j", 0, 800 * MiB)};
    for (size_t i = 0; i < kLearnFrom; ++i) many.push_back(run_of("j", 0, 80 * MiB));
    EXPECT_EQ(learn_memory(many, "j", 0).bytes, 100 * MiB);
    // an OOM kill doubles the limit the last run had
    auto oom = run_of("j", 137, 50 * MiB);
    oom.oom_killed = true;
    oom.memory_limit_bytes = 50 * MiB;
    runs.push_back(oom);
    EXPECT_EQ(learn_memory(runs, "j", 0).bytes, 188 * MiB);  // the peaks still ask for more
    EXPECT_EQ(learn_memory({oom}, "j", 0).bytes, 100 * MiB);
    // tiny peaks: at least kLearnLeast
    EXPECT_EQ(learn_memory({run_of("j", 0, 4096)}, "j", 0).bytes, kLearnLeast);
}

TEST(HistoryJobKey, LockDirectoryAndCommand) {
    EXPECT_EQ(default_job_key(std::string("build"), "/src", {"make", "-j8"}),
              "build:/src:make -j8");
    EXPECT_EQ(default_job_key(std::nullopt, "/src", {"true"}), ":/src:true");
}

}  // namespace
}  // namespace supervise
