#pragma once
// Cgroup drivers: where a run's cgroup comes from, how its limits are set, how it is
// watched, measured and killed. A run is alive exactly while its cgroup is populated.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace supervise {

enum class DriverKind { automatic, systemd, cgroup2, hybrid };

std::string to_string(DriverKind kind);
// "auto", "systemd", "cgroup2", "hybrid"; throws UsageError otherwise.
DriverKind parse_driver_kind(const std::string& text);

// Limits the kernel enforces on a run's cgroup. Unset means "no limit".
struct Limits {
    std::optional<std::uint64_t> memory_max;   // bytes; memory.max / memory.limit_in_bytes
    std::optional<std::uint64_t> memory_high;  // bytes; memory.high (v1: soft limit)
    std::optional<std::uint64_t> swap_max;     // bytes; memory.swap.max
    std::optional<std::uint64_t> tasks_max;    // processes and threads; pids.max
    std::optional<double> cpu_percent;         // of one CPU, 150 = 1.5 CPUs; cpu.max

    bool empty() const {
        return !memory_max && !memory_high && !swap_max && !tasks_max && !cpu_percent;
    }
};

// Who a run is, in a form that survives the supervisor: the cgroup's path in the unified
// (v2) hierarchy, its id (the kernfs inode number, never reused within a boot) and the boot
// it belongs to. Lock owner records and task records store exactly this.
struct CgroupIdentity {
    std::string path;      // absolute, e.g. /sys/fs/cgroup/unified/supervise/run-42-1a2b
    std::uint64_t id = 0;  // inode number of that directory
    std::string boot_id;   // /proc/sys/kernel/random/boot_id
    DriverKind driver = DriverKind::automatic;
    std::string unit;  // systemd scope name, empty for the direct drivers
};

// Accounting of a run's cgroup. Unknown values are unset rather than zero.
struct CgroupStats {
    std::optional<std::uint64_t> memory_current;
    std::optional<std::uint64_t> memory_peak;
    std::uint64_t oom_kills = 0;
    std::optional<double> user_seconds;
    std::optional<double> system_seconds;
};

// One run's cgroup (or scope). Destroying it removes the cgroup if it is still there;
// call remove() to see errors.
class RunCgroup {
  public:
    virtual ~RunCgroup() = default;

    // Where the driver wants the child cloned into (CLONE_INTO_CGROUP), or -1 when the
    // child must be placed with enter() instead.
    virtual int clone_into_fd() const = 0;
    // Places a child that is held before exec (cloned_into: it was cloned straight into
    // clone_into_fd()). For systemd this starts the scope.
    virtual void enter(pid_t pid, bool cloned_into) = 0;

    virtual const CgroupIdentity& identity() const = 0;
    // The unified-hierarchy directory that holds cgroup.events, cgroup.procs, cgroup.kill.
    virtual const std::string& unified_path() const = 0;
    // Every directory supervise created for this run (unified first, v1 ones after);
    // empty for a systemd scope, which is the manager's to remove.
    virtual std::vector<std::string> owned_directories() const { return {}; }
    // Whether any process of the command is left (helpers of the driver do not count).
    virtual bool populated() const = 0;
    // Blocks until no process of the command is left, or timeout passes (false then).
    // Event driven where the kernel allows (inotify on cgroup.events).
    virtual bool wait_until_empty(std::chrono::milliseconds timeout) const = 0;
    virtual CgroupStats stats() const = 0;
    // Current memory usage in bytes (for --memory-warn), unset when unknown.
    virtual std::optional<std::uint64_t> memory_usage() const = 0;
    // Sends sig to every process of the cgroup. SIGKILL uses cgroup.kill; other signals
    // freeze the cgroup first so no process forks past the signal.
    virtual void signal_all(int sig) = 0;
    // Removes the cgroup once it is empty (systemd: waits until the scope is gone).
    virtual void remove() = 0;
};

// Creates run cgroups in one cgroup world.
class CgroupDriver {
  public:
    virtual ~CgroupDriver() = default;
    virtual DriverKind kind() const = 0;
    // Creates an empty cgroup for a run called name, with limits applied. Throws
    // SystemError/UsageError (e.g. a limit this world cannot enforce).
    virtual std::unique_ptr<RunCgroup> create(const std::string& name, const Limits& limits) = 0;
    // Where create(name) would put the cgroup, without creating anything (--dry-run).
    virtual std::string planned_path(const std::string& name) const = 0;
};

// Settings shared by all drivers. Defaults come from the environment
// (SUPERVISE_CGROUP_ROOT, SUPERVISE_SYSTEMD_MANAGER) when the CLI fills them in.
struct DriverOptions {
    DriverKind kind = DriverKind::automatic;
    std::string cgroup_root;      // parent for the direct drivers; empty = automatic
    std::string systemd_manager;  // "system", "user" or empty = by uid
};

// Picks and prepares a driver. Throws Error with a one-line reason when none is usable.
std::unique_ptr<CgroupDriver> make_driver(const DriverOptions& options);

// One line per driver for `supervise doctor`: can it be used here, and why (not).
struct DriverReport {
    DriverKind kind;
    bool usable = false;
    std::string detail;              // where runs go, or why not
    std::vector<std::string> notes;  // controllers found, limits that cannot be enforced
};
std::vector<DriverReport> probe_drivers(const DriverOptions& options);

// The unified-hierarchy directories of every run cgroup (or scope) that the drivers
// reachable with these options have created and that still exist: what kill-all kills.
std::vector<std::string> list_run_cgroups(const DriverOptions& options);
// Removes those of them that supervise created itself (with their v1 twins and empty
// parents), once empty; waits briefly for systemd to remove its scopes.
void remove_run_cgroups(const DriverOptions& options, const std::vector<std::string>& paths);

// The kernel's boot id (cached).
const std::string& current_boot_id();

}  // namespace supervise
