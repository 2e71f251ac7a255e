#pragma once
// A run: a command plus the cgroup it lives in. Start one from a RunSpec, wait for it
// (optionally with a deadline), cancel it (kills the whole tree), read its RunResult.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "supervise/cgroup.h"

namespace supervise {

// Something a user should hear about while a run goes on (printed by the CLI on stderr).
struct RunEvent {
    enum class Kind { memory_warning, timeout, info };
    Kind kind;
    std::string message;  // one line, without the "supervise: " prefix
};

// A jobserver for the command (--jobs): GNU make's token protocol, which make, cargo and
// rustc share. The command gets MAKEFLAGS (and CARGO_MAKEFLAGS) with -jN and
// --jobserver-auth=R,W naming a pipe it inherits; each job past the first takes a token.
struct JobsSpec {
    unsigned max = 1;  // jobs at once, the client's own first one included (1..4096)
    // The memory rule, with a memory limit (--memory, else --memory-high): free tokens are
    // withheld while the working set is at or above this share of the limit (then until
    // it is below the share less 0.10), and below it unless one job more fits under the
    // limit, each running job counted at the largest share per job seen in the last 30s
    // (supervise(1), JOBSERVER). Unset: 0.75.
    std::optional<double> memory_threshold;
    bool memory_rule = true;  // false: a plain jobserver even with a memory limit
};

struct RunSpec {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it has a '/'
    std::optional<std::string> chdir;
    std::vector<std::pair<std::string, std::string>> setenv;  // applied over our environment

    Limits limits;
    std::optional<double> memory_warn;  // share of limits.memory_max, e.g. 0.5
    std::optional<JobsSpec> jobs;       // a jobserver for the command (--jobs)

    std::chrono::milliseconds timeout{0};  // 0 = none
    std::chrono::milliseconds kill_after{std::chrono::seconds(10)};

    DriverOptions driver;
    std::string cgroup_name;  // empty: "run-<pid>-<random>"

    // Where run_with_lock appends this run's history record (history_file()), under the
    // job key `job` (empty: default_job_key()). Unset: no record.
    std::optional<std::string> history_file;
    std::string job;
    // Where limits.memory_max came from, for the result: "given", or learn_memory()'s
    // "history" / "default" (--memory auto).
    std::string memory_source = "given";

    std::optional<std::string> log_path;  // tee stdout and stderr into this file (appended)
    bool capture_output = false;          // keep stdout/stderr in the result, not on ours

    // Forward SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 received by this process to the
    // command while wait() runs. Blocks those signals in this process (the CLI wants it; a
    // library caller with its own signal handling usually does not).
    bool forward_signals = false;

    std::function<void(const RunEvent&)> on_event;
    // Called once the command sits in its cgroup, held before exec: a lock writes its
    // owner record here, so a held slot never looks free. Throwing aborts the run and
    // leaves nothing behind.
    std::function<void(const RunCgroup& cgroup, pid_t pid)> on_placed;
};

// What the jobserver saw (RunSpec::jobs).
struct JobsResult {
    unsigned max = 0;              // --jobs
    unsigned peak_parallel = 0;    // most jobs holding a token (or the first job) at once
    double seconds_throttled = 0;  // time free tokens were withheld for memory
    unsigned tokens_withheld_max = 0;
    std::optional<std::uint64_t> memory_threshold_bytes;  // unset: a plain jobserver
    std::uint64_t pressure_events = 0;                    // PSI memory stalls the rule reacted to
};

struct RunResult {
    std::optional<int> exit_code;  // unset when killed by a signal
    std::optional<int> signal;     // the signal that ended the main process
    bool oom_killed = false;       // the kernel OOM-killed at least one process of the run
    std::uint64_t oom_kills = 0;
    bool timed_out = false;
    bool cancelled = false;  // cancel() was called
    double wall_seconds = 0;
    std::optional<double> user_seconds;  // of the whole cgroup, daemons included
    std::optional<double> system_seconds;
    std::optional<std::uint64_t> memory_peak_bytes;
    std::optional<std::uint64_t> memory_limit_bytes;
    CgroupIdentity cgroup;
    std::optional<std::string> lock;  // set by the lock layer
    std::optional<int> slot;
    std::optional<double> wait_seconds;
    // Set by the lock layer in a pool with a memory budget (--capacity): what this run
    // reserved of it, and where that figure came from ("given": its --memory).
    std::optional<std::uint64_t> memory_reserved_bytes;
    std::optional<std::string> memory_reservation_source;
    std::string job;                 // the history's job key (RunSpec::job, else default_job_key())
    std::optional<JobsResult> jobs;  // with RunSpec::jobs
    // Why the log stopped (a full disk, say): the first write error, warned of once.
    std::optional<std::string> log_error;
    std::string captured_stdout;  // with RunSpec::capture_output
    std::string captured_stderr;

    // Shell convention: the command's status, 128+N for signal N, 124 when timed out.
    int exit_status() const;
};

// Name of a signal without "SIG" ("KILL"), or the number as text.
std::string signal_name(int sig);

// "killed: memory limit 512M exceeded (peak 512M, 1 process OOM-killed)", for a result
// with oom_killed set.
std::string describe_oom(const RunResult& result);

// The result as one JSON object (fields documented in supervise(1), JSON RESULT).
std::string to_json(const RunResult& result);
// Writes to_json(result) into path (--result): atomically where it is missing or a regular
// file, in place for a device or a pipe (/dev/stdout); a symlink, a directory or anything
// else is refused. check_result_file refuses the same before the run (UsageError,
// SystemError: a directory we may not write).
void check_result_file(const std::string& path);
void write_result_file(const std::string& path, const RunResult& result);

// Checks a spec without doing anything: bad values (UsageError), a command that is not
// there or not executable (CommandError 127/126). Run::start does the same first.
// A --log file is never opened through a symlink (our own descriptors, /dev/stdout and
// /proc/self/fd/N, aside): throws UsageError naming the file.
void check_log_file(const std::string& path);
void check_run_spec(const RunSpec& spec);

// What a run would do, without doing it (--dry-run).
struct RunPlan {
    DriverKind driver;
    std::string cgroup_path;
    std::string executable;  // argv[0] resolved through PATH
    Limits limits;
};
RunPlan plan_run(const RunSpec& spec);

class Run {
  public:
    // Validates the spec, creates the cgroup, starts the command inside it. Throws
    // UsageError, CommandError (126/127) or SystemError; nothing is left behind then.
    static Run start(RunSpec spec);

    Run(Run&&) noexcept;
    Run& operator=(Run&&) noexcept;
    ~Run();  // a run still going is cancelled and waited for

    pid_t pid() const;
    const CgroupIdentity& cgroup() const;

    // Blocks until the command's main process has exited, the rest of its tree has been
    // killed and the cgroup removed.
    RunResult wait();
    // As wait(), but gives up after timeout and returns nothing (the run goes on).
    std::optional<RunResult> wait_for(std::chrono::milliseconds timeout);
    // Kills the whole tree now; wait() then returns a result with cancelled = true.
    void cancel();

    class Impl;

  private:
    explicit Run(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace supervise
