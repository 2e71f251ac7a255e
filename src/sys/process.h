#pragma once
// A child process that is started held before exec, so it can be placed in its cgroup
// (or scope) before the command runs a single instruction, then released.

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sys/fd.h"

namespace supervise::sys {

struct ExecPlan {
    std::string executable;  // absolute or relative to chdir; already resolved
    std::vector<std::string> argv;
    std::vector<std::string> environment;  // NAME=VALUE
    std::optional<std::string> chdir;
    int stdout_fd = -1;  // dup2'ed onto 1 when >= 0
    int stderr_fd = -1;  // dup2'ed onto 2 when >= 0
    int cgroup_fd = -1;  // clone straight into this cgroup (CLONE_INTO_CGROUP) when >= 0
};

class ChildProcess {
  public:
    // What went wrong between release() and exec in the child.
    struct StartFailure {
        enum class Step { chdir, exec } step;
        int error;
    };

    // Starts the child, which waits until release(). The signal mask is cleared and
    // ignored signals reset to default in the child.
    static ChildProcess spawn_held(const ExecPlan& plan);

    ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();  // a child never reaped is killed and reaped

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }
    bool cloned_into_cgroup() const { return cloned_into_cgroup_; }

    // Lets the child exec; waits until it has (or has failed to).
    std::optional<StartFailure> release();
    // The child exits (status 125) without running the command.
    void abort();
    // pidfd_send_signal: never hits a recycled pid. False when the child is gone.
    bool send_signal(int sig);
    // Reaps the child if it has exited; waits when block is set.
    std::optional<siginfo_t> reap(bool block);

  private:
    ChildProcess() = default;
    pid_t pid_ = -1;
    UniqueFd pidfd_;
    UniqueFd go_;      // parent's end: a byte releases the child, EOF aborts it
    UniqueFd status_;  // parent's end: EOF on successful exec, a StartFailure otherwise
    bool reaped_ = true;
    bool cloned_into_cgroup_ = false;
};

// The process group that owns the terminal on fd 0..2, or -1 without a terminal.
pid_t terminal_foreground_group();

}  // namespace supervise::sys
