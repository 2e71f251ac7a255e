#pragma once
// Run-once tasks: idempotent background jobs keyed by an id. A task's record is written
// atomically; its liveness is read from its cgroup (and its runner's pid + start time
// while it waits for a lock), never trusted from the file alone.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "supervise/cgroup.h"
#include "supervise/lock.h"
#include "supervise/run.h"

namespace supervise {

// Where tasks live: <override>/tasks when a state directory is given (--state-dir,
// SUPERVISE_STATE_DIR); else /var/lib/supervise/tasks for root and
// $XDG_STATE_HOME/supervise/tasks (~/.local/state/...) for others, so results survive a
// reboot. Same safety rules as open_state_dir().
// create false (a look at tasks, not a start): a tasks directory that does not exist yet
// is returned as it is, and nothing is made.
std::string open_task_root(const std::string& state_dir_override, bool create = true);

enum class TaskState { running, succeeded, failed, lost, expired };
// "running", "succeeded", "failed", "lost", "expired"
std::string to_string(TaskState state);

struct TaskRecord {
    std::string id;
    bool finished = false;
    std::string command;
    double started = 0;  // unix time
    double ended = 0;
    std::optional<int> exit_status;  // shell convention (128+N, 124, ...)
    std::string result_json;         // the run's JSON result, when finished
    CgroupIdentity cgroup;           // empty until the command sits in its cgroup
    std::vector<std::string> dirs;   // the cgroup's directories supervise created (v1 too)
    pid_t runner_pid = 0;
    std::uint64_t runner_start_time = 0;
    std::string boot_id;
    std::optional<double> ttl_seconds;  // unset: the result never expires
};

struct TaskStatus {
    TaskState state;
    TaskRecord record;
    bool runner_alive = false;
    // "running", "succeeded", "failed(2)", "lost", "expired"
    std::string words() const;
};
// The status as one JSON object (fields: supervise(1), task status --json).
std::string to_json(const TaskStatus& status, const std::string& log_path);

struct TaskStartOptions {
    std::optional<double> ttl_seconds;  // for this start's result (and for judging expiry)
    bool rerun_failed = false;
    int lock_conflict_status = 75;  // the result when --lock is not obtained within --wait
};

class TaskStore {
  public:
    // driver: where the tasks' cgroups are looked for by name when a record is garbled
    // (run_cgroup_bases).
    explicit TaskStore(std::string root, DriverOptions driver = {})
        : root_(std::move(root)), driver_(std::move(driver)) {}
    const std::string& root() const { return root_; }

    // Unknown id: nothing. ttl overrides the record's own TTL for the expiry check. A
    // garbled record whose task's cgroup (named after the task) is populated is running;
    // otherwise it throws Error (task reset forgets it).
    std::optional<TaskStatus> status(const std::string& id,
                                     std::optional<double> ttl = std::nullopt) const;
    // Every task; a corrupt record is told to warn and left out.
    std::vector<TaskStatus> list(const WarningSink& warn = {}) const;

    enum class StartKind { started, joined, cached };
    struct Started {
        StartKind kind;
        TaskStatus status;
    };
    // Idempotent: joins a live task, returns a result within its TTL, else starts the
    // command in a background runner (its own session; output to the task log) that
    // survives the caller. Two concurrent starts of one id run the command once.
    Started start(const std::string& id, RunSpec spec, const std::optional<LockOptions>& lock,
                  const TaskStartOptions& options);

    // Blocks until the task is no longer running (event driven: inotify on the record, the
    // cgroup's cgroup.events, the runner's pidfd). Nothing on timeout. on_wait is called
    // once the wait has lasted `quiet_for` (and not again).
    std::optional<TaskStatus> wait(
        const std::string& id, std::optional<std::chrono::milliseconds> timeout,
        const std::function<void(const TaskStatus&)>& on_wait = {},
        std::chrono::milliseconds quiet_for = std::chrono::seconds(2)) const;

    std::string log_path(const std::string& id) const;
    // The runner's own lines in the log ("supervise: ..."): why a task failed before, or
    // around, its command.
    std::vector<std::string> runner_messages(const std::string& id) const;
    // Writes the log to fd; with follow, keeps writing until the task is no longer running.
    void copy_log(const std::string& id, int fd, bool follow) const;

    // Signals the task's whole tree. False when it is not running.
    bool kill(const std::string& id, int sig) const;
    // Kills the task if running (and waits until its runner is gone), then forgets it.
    // False for an unknown id.
    bool reset(const std::string& id);
    // Removes expired results and their logs; returns the ids removed.
    std::vector<std::string> gc(const WarningSink& warn = {});

  private:
    std::string directory(const std::string& id) const;
    // The task as its populated cgroup shows it, when its record cannot.
    std::optional<TaskStatus> running_in_tree(const std::string& id) const;
    std::string root_;
    DriverOptions driver_;
    mutable std::optional<std::vector<RunCgroupBase>> bases_;  // looked up once
};

}  // namespace supervise
