#pragma once
// Processes: handles that never name a recycled pid (Pidfd), and children we start: held
// before exec, so a command is placed in its cgroup (or scope) before it runs a single
// instruction; or running a function of ours (the scope keeper, the task runner).

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "supervise/sys/fd.h"

namespace supervise::sys {

// A process handle (pidfd_open): signals and waits reach the process it was opened on,
// even after its pid has been given to another. Empty when the process is gone.
class Pidfd {
  public:
    Pidfd() = default;
    explicit Pidfd(UniqueFd fd) : fd_(std::move(fd)) {}
    static Pidfd open(pid_t pid);

    int fd() const { return fd_.get(); }
    explicit operator bool() const { return fd_.valid(); }
    // False when the process is gone (or the handle is empty).
    bool send_signal(int sig) const;
    // Waits until the process has exited (not reaped: only readable); false on timeout.
    bool wait_exit(std::chrono::milliseconds timeout) const;

  private:
    UniqueFd fd_;
};

// /proc/PID/stat start time in clock ticks: with the pid and the boot id, a process's
// identity. Nothing when there is no such process, or it is a zombie (it has ended).
std::optional<std::uint64_t> process_start_time(pid_t pid);

struct ExecPlan {
    std::string executable;  // absolute or relative to chdir; already resolved
    std::vector<std::string> argv;
    std::vector<std::string> environment;  // NAME=VALUE
    std::optional<std::string> chdir;
    int stdout_fd = -1;  // dup2'ed onto 1 when >= 0
    int stderr_fd = -1;  // dup2'ed onto 2 when >= 0
    int cgroup_fd = -1;  // clone straight into this cgroup (CLONE_INTO_CGROUP) when >= 0
    // Close-on-exec descriptors of ours the command inherits, at the same numbers (a
    // jobserver's pipe): the flag is cleared in the child only.
    std::vector<int> inherit_fds;
    // Open cgroup files (v1 'tasks') the child writes "0" into before it waits to be
    // released: it moves itself into each cgroup, and never runs the command outside one.
    std::vector<int> join_fds;
};

class ChildProcess {
  public:
    // What went wrong between release() and exec in the child.
    struct StartFailure {
        enum class Step { join, chdir, exec } step;
        int error;
        int which = 0;  // join: the index in ExecPlan::join_fds
    };

    // Starts the child, which waits until release(). The signal mask is cleared and
    // ignored signals reset to default in the child.
    static ChildProcess spawn_held(const ExecPlan& plan);
    // Runs body in a child, which exits with body's return value (125 when it throws).
    // Of our descriptors only 0..2 and keep_fds stay open in it. Stdio is flushed first,
    // so the child cannot write our buffered output again. The child is cloned (clone3),
    // not fork()ed: no atfork handlers run, so body does no more than a child of fork()
    // in a threaded program may (our bodies: the scope keeper, setsid + fork). `what`
    // names the child in errors ("the scope keeper process").
    static ChildProcess spawn_function(const std::function<int()>& body,
                                       const std::vector<int>& keep_fds, const std::string& what);
    // body in a grandchild (fork()ed: any code may run there) in a new session, which is
    // nobody's to wait for and survives the caller. Returns once the grandchild has been
    // forked; whether it runs is for the caller to learn (a pipe it writes, say).
    static void spawn_detached(const std::function<int()>& body, const std::vector<int>& keep_fds,
                               const std::string& what);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() { kill_and_reap(); }  // a child never reaped is killed and reaped

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.fd(); }
    bool running() const { return !reaped_; }
    bool cloned_into_cgroup() const { return cloned_into_cgroup_; }

    // Lets the child exec; waits until it has (or has failed to). A child killed while held
    // is no failure here: its exit says how it ended.
    std::optional<StartFailure> release();
    // The child exits (status 125) without running the command.
    void abort();
    // pidfd_send_signal: never hits a recycled pid. False when the child is gone.
    bool send_signal(int sig);
    // Reaps the child if it has exited; waits when block is set.
    std::optional<siginfo_t> reap(bool block);
    // Waits up to timeout for the child to exit, SIGKILLs it if it has not, reaps it.
    void reap_within(std::chrono::milliseconds timeout);

  private:
    ChildProcess() = default;
    void kill_and_reap() noexcept;
    pid_t pid_ = -1;
    Pidfd pidfd_;
    UniqueFd go_;      // parent's end: a byte releases the child, EOF aborts it
    UniqueFd status_;  // parent's end: EOF on successful exec, a StartFailure otherwise
    bool reaped_ = true;
    bool cloned_into_cgroup_ = false;
};

// The process group that owns the terminal on fd 0..2, or -1 without a terminal.
pid_t terminal_foreground_group();

}  // namespace supervise::sys
