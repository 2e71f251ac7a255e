#pragma once
// The command line: CLI11 parses into these plain structs, then the library does the
// work. Nothing below src/cli sees CLI11.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "supervise/error.h"
#include "supervise/lock.h"
#include "supervise/run.h"

namespace supervise::cli {

// What the user typed for a run, as text: values are parsed (and errors worded) after
// CLI11, so messages name the option and show a good value.
struct RunOptions {
    std::string memory, memory_high, swap, memory_warn, tasks, cpu, timeout, kill_after;
    std::string driver, cgroup_root, log, result_file, chdir, systemd_manager, job;
    std::string memory_default;  // --memory auto without history
    std::string io_weight;
    std::string jobs, jobs_memory_threshold;
    std::vector<std::string> io_max;
    std::vector<std::string> setenv;
    // locks
    std::string lock, slots, exclude_cpus, wait, wait_message, state_dir, capacity, priority;
    bool backfill = false;
    int conflict_exit_code = 75;
    bool lock_given = false;  // --lock was on the command line (an empty name is an error)
    bool json = false;
    bool dry_run = false;
    std::vector<std::string> command;
    // Options whose value came from the environment ("--memory" -> "SUPERVISE_MEMORY"):
    // an error in it names the variable, which is what the user has to fix.
    std::map<std::string, std::string> from_environment;
    // The name to put in front of an error in option's value.
    std::string source(const std::string& option) const {
        auto variable = from_environment.find(option);
        return variable == from_environment.end() ? option : variable->second;
    }
};

struct GlobalOptions {
    int verbosity = 0;  // -1 quiet, 0 normal, 1+ verbose
};

// The lock part of a run's options (--lock and friends). Throws UsageError.
LockOptions to_lock_options(const RunOptions& options, const RunSpec& spec,
                            const GlobalOptions& global);
// "lock X not obtained within 30s" / "wait for lock X cancelled by kill-all".
void report_lock_failure(const LockOptions& lock, AcquireOutcome outcome,
                         const GlobalOptions& global);

// Converts RunOptions into a RunSpec. Throws UsageError naming the option.
RunSpec to_run_spec(const RunOptions& options, const GlobalOptions& global = {});
DriverOptions to_driver_options(const RunOptions& options);

int run_command(const RunOptions& options, const GlobalOptions& global);

// Lock subcommands (supervise lock/unlock/check/list/kill/kill-all).
struct LockCommandOptions {
    std::string name;
    std::string owner;  // --owner PID (lock/unlock); empty = the calling process
    std::string signal = "TERM";
    bool json = false, csv = false;
};
int lock_command(const RunOptions& run, const LockCommandOptions& options,
                 const GlobalOptions& global);
int unlock_command(const RunOptions& run, const LockCommandOptions& options,
                   const GlobalOptions& global);
int check_command(const RunOptions& run, const LockCommandOptions& options,
                  const GlobalOptions& global);
int list_command(const RunOptions& run, const LockCommandOptions& options,
                 const GlobalOptions& global);
int kill_command(const RunOptions& run, const LockCommandOptions& options,
                 const GlobalOptions& global);
int kill_all_command(const RunOptions& run, const GlobalOptions& global);

// Task subcommands (supervise task start/run/wait/status/log/list/kill/reset/gc).
struct TaskCommandOptions {
    std::string id;
    std::vector<std::string> command;
    std::string ttl, wait_timeout, wait_message, signal = "TERM";
    bool rerun_failed = false, json = false, follow = false;
};
int task_command(const std::string& verb, const RunOptions& run, const TaskCommandOptions& options,
                 const GlobalOptions& global);

// supervise history.
struct HistoryCommandOptions {
    std::string job, last;
    bool json = false, csv = false;
};
// Where a run's history record goes; nothing (and a warning) when it cannot be opened.
std::optional<std::string> open_history(const RunOptions& options, const GlobalOptions& global);
int history_command(const RunOptions& run, const HistoryCommandOptions& options,
                    const GlobalOptions& global);

// --slots N|cpus minus --exclude-cpus K (at least 1). Throws UsageError.
unsigned parse_slots(const std::string& slots, const std::string& exclude_cpus);
// What --memory auto gives a job its history knows nothing of (--memory-default).
inline constexpr std::uint64_t kDefaultMemory = 1ull << 30;
// --capacity SIZE|auto: auto is the machine's memory less a reserve (a tenth, at most 2G),
// or a memory.max set above the runs' cgroups when that is lower. Throws UsageError.
std::uint64_t parse_capacity(const std::string& text, const DriverOptions& driver);
// --wait DUR; empty = forever.
std::optional<std::chrono::milliseconds> parse_wait(const std::string& wait);
// Signal by name (TERM, SIGTERM) or number.
int parse_signal(const std::string& text);
// The lock name as given, expanded (@project) and checked.
std::string lock_name(const std::string& name, const std::optional<std::string>& chdir);
int doctor_command(const RunOptions& options, bool json);

// "supervise: <text>" on stderr; suppressed by -q unless it is an error.
void message(const GlobalOptions& global, const std::string& text);
void error_message(const std::string& text);
// The library's warnings: "supervise: warning: <text>" on stderr, unless -q.
WarningSink warning_sink(const GlobalOptions& global);

// parse(text), with the option's name in front of the message of a bad value:
// "--wait: invalid duration 'x' (...)".
template <typename Parse>
auto option_value(const std::string& option, const std::string& text, Parse&& parse) {
    try {
        return parse(text);
    } catch (const UsageError& e) {
        throw UsageError(option + ": " + e.what());
    }
}

}  // namespace supervise::cli
