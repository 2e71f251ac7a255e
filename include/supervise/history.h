#pragma once
// The run history: one JSON line per finished run, appended to a file that concurrent runs
// share. What `supervise history` shows, and what reservations will be learned from.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "supervise/error.h"

namespace supervise {

struct RunResult;

struct HistoryRecord {
    std::string job;     // --job KEY, or default_job_key()
    double started = 0;  // unix time
    double wall_seconds = 0;
    std::optional<double> user_seconds, system_seconds;
    std::optional<std::uint64_t> memory_peak_bytes, memory_limit_bytes;
    int exit_status = 0;  // shell convention
    std::optional<std::string> signal;
    bool oom_killed = false, timed_out = false;
    std::optional<double> wait_seconds;
    std::optional<std::string> lock;
    std::optional<int> slot;
};

// The job key of a run: spec.job, else default_job_key() of its lock, its directory
// (RunSpec::chdir from the working directory) and its command.
struct RunSpec;
std::string job_key(const RunSpec& spec, const std::optional<std::string>& lock);
// A run's key without --job: its lock (if any), its working directory and its command,
// "LOCK:DIR:COMMAND" (clipped to 1024 bytes).
std::string default_job_key(const std::optional<std::string>& lock, const std::string& dir,
                            const std::vector<std::string>& argv);
// The record of a run that ended at unix time `ended`.
HistoryRecord history_record(const RunResult& result, const std::string& job, double ended);

// The persistent state area (tasks, the history): <override>/<leaf> with a state directory
// given, else /var/lib/supervise/<leaf> (root) or $XDG_STATE_HOME/supervise/<leaf>
// (~/.local/state/...). The way to it is checked (sys::check_path_to); the directories are
// made (0700) only when create is set: a look makes nothing.
std::string open_persistent_dir(const std::string& state_dir_override, const std::string& leaf,
                                bool create);

// Where the history lives: runs.jsonl in open_persistent_dir(override, "history"): on disk,
// beside the tasks, so it outlives a reboot.
std::string history_file(const std::string& state_dir_override, bool create);

// A history file past this size is moved to FILE.1 (the previous FILE.1 goes) by the next
// run that appends: the history keeps between this and twice this much.
inline constexpr std::uint64_t kHistoryMaxBytes = 1 << 20;
// Appends one record: one line, one write(2) with O_APPEND, never through a symlink, so
// concurrent runs never interleave and a torn write (a crash) loses that line only.
// Throws SystemError.
void append_history(const std::string& file, const HistoryRecord& record,
                    std::uint64_t max_bytes = kHistoryMaxBytes);
// FILE.1, then FILE: oldest first. Lines that are not a record (torn, foreign) are
// skipped and counted in *skipped.
std::vector<HistoryRecord> read_history(const std::string& file, size_t* skipped = nullptr);

// What --memory auto gives a run of `job`: the largest peak of its last kLearnFrom
// successful runs times kLearnMargin (rounded up to a MiB, at least kLearnLeast); twice the
// limit its last run had when that run was OOM-killed (if more); `fallback` when the
// history knows nothing of it. source: "history" or "default".
inline constexpr size_t kLearnFrom = 5;
inline constexpr double kLearnMargin = 1.25;
inline constexpr std::uint64_t kLearnLeast = 16ull << 20;
struct LearnedMemory {
    std::uint64_t bytes = 0;
    std::string source;
};
LearnedMemory learn_memory(const std::vector<HistoryRecord>& records, const std::string& job,
                           std::uint64_t fallback);

struct JobSummary {
    std::string job;
    size_t runs = 0;
    size_t failed = 0;     // exit status other than 0
    size_t oom_kills = 0;  // runs OOM-killed
    std::optional<std::uint64_t> p50_peak, max_peak;
    std::optional<double> p50_wall, p50_wait;
};
// One summary per job, in the order jobs first appear.
std::vector<JobSummary> summarize(const std::vector<HistoryRecord>& records);

// {"runs": [...], "jobs": [...]} (fields: supervise(1), HISTORY).
std::string to_json(const std::vector<HistoryRecord>& records, const std::vector<JobSummary>& jobs);

}  // namespace supervise
