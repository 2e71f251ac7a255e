#pragma once
// The files of one run's cgroup, wherever they live: the unified (v2) directory, plus v1
// controller directories on hybrid hosts. Reads stats, signals and kills; knows nothing
// about how the cgroup was made (see the drivers).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "supervise/cgroup.h"

namespace supervise::cgroup {

class CgroupView {
  public:
    std::string unified;                   // always set
    std::optional<std::string> memory_v1;  // hybrid: v1 memory controller directory
    std::optional<std::string> pids_v1;
    std::optional<std::string> cpu_v1;

    // All directories, unified first.
    std::vector<std::string> directories() const;

    bool populated() const;
    CgroupStats stats() const;
    std::optional<std::uint64_t> memory_usage() const;
    // Processes of the cgroup and its descendants.
    std::vector<pid_t> processes() const;

    // SIGKILL: cgroup.kill (falls back to freeze + kill each). Other signals: freeze,
    // signal every process, thaw; nothing forks past the signal.
    void signal_all(int sig) const;
    // Blocks until cgroup.events says "populated 0" or the timeout passes; event driven
    // (inotify on cgroup.events). True when empty.
    bool wait_until_empty(std::chrono::milliseconds timeout) const;
    // Writes pid into cgroup.procs of every v1 directory (and of the unified one unless
    // skip_unified).
    void attach(pid_t pid, bool skip_unified) const;
};

// Inode number of a cgroup directory: the cgroup id. Throws SystemError.
std::uint64_t cgroup_id(const std::string& directory);

// Blocks until directory is gone (systemd removing a scope, say) or timeout passes; event
// driven (inotify IN_DELETE on the parent: cgroupfs sends no IN_DELETE_SELF). True when gone.
bool wait_until_removed(const std::string& directory, std::chrono::milliseconds timeout);

// rmdir that waits out the short EBUSY of a cgroup whose last process just exited.
// Returns errno (0 on success, ENOENT counts as success).
int remove_cgroup_dir(const std::string& directory);

}  // namespace supervise::cgroup
