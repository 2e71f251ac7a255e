#pragma once
// Cgroup drivers: where a run's cgroup comes from, how its limits are set, how it is
// watched, measured and killed. A run is alive exactly while its cgroup is populated.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "supervise/error.h"
#include "supervise/record.h"

namespace supervise {

enum class DriverKind { automatic, systemd, cgroup2, hybrid };

std::string to_string(DriverKind kind);
// "auto", "systemd", "cgroup2", "hybrid"; throws UsageError otherwise.
DriverKind parse_driver_kind(const std::string& text);

// A bandwidth limit of one block device (--io-max DEVICE:rbps=...,wbps=...): io.max on
// cgroup v2, blkio.throttle.* on v1, IO{Read,Write}{Bandwidth,IOPS}Max= for systemd.
struct IoMax {
    std::string device;                         // as given (a path or MAJ:MIN), for messages
    unsigned major = 0, minor = 0;              // the whole disk (a partition's own disk)
    std::optional<std::uint64_t> rbps, wbps;    // bytes per second
    std::optional<std::uint64_t> riops, wiops;  // operations per second
};
// "DEVICE:KEY=VALUE[,KEY=VALUE...]": DEVICE a block device node (or a file on one: its
// file system's disk) or MAJ:MIN; keys rbps and wbps (sizes per second, e.g. 50M), riops
// and wiops (counts). Throws UsageError naming what was wrong.
IoMax parse_io_max(const std::string& text);
// "1-10000" → the weight (io.weight; default of the kernel and systemd: 100).
std::uint32_t parse_io_weight(const std::string& text);

// Limits the kernel enforces on a run's cgroup. Unset means "no limit".
struct Limits {
    std::optional<std::uint64_t> memory_max;   // bytes; memory.max / memory.limit_in_bytes
    std::optional<std::uint64_t> memory_high;  // bytes; memory.high (v1: soft limit)
    std::optional<std::uint64_t> swap_max;     // bytes; memory.swap.max
    std::optional<std::uint64_t> tasks_max;    // processes and threads; pids.max
    std::optional<double> cpu_percent;         // of one CPU, 150 = 1.5 CPUs; cpu.max
    std::optional<std::uint32_t> io_weight;    // 1-10000; io.weight / blkio.weight
    std::vector<IoMax> io_max;                 // per device; io.max / blkio.throttle.*

    bool empty() const {
        return !memory_max && !memory_high && !swap_max && !tasks_max && !cpu_percent &&
               !io_weight && io_max.empty();
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

// The identity as record fields (cgroup=, cgroup_id=, driver=, unit=; the boot id is the
// record's own): how owner records and task records store a run.
void write_identity(RecordWriter& out, const CgroupIdentity& identity);
// Reads one of those fields into identity; false for any other key. A bad value throws
// (std::invalid_argument, UsageError): the record is corrupt.
bool read_identity_field(const std::string& key, const std::string& value,
                         CgroupIdentity& identity);

// Accounting of a run's cgroup. Unknown values are unset rather than zero.
struct CgroupStats {
    std::optional<std::uint64_t> memory_current;
    std::optional<std::uint64_t> memory_peak;
    std::uint64_t oom_kills = 0;
    std::optional<double> user_seconds;
    std::optional<double> system_seconds;

    // Two readings of one cgroup as one: the larger peak and OOM count (counters only
    // grow), the later CPU times where known. For a cgroup that may vanish between them.
    static CgroupStats combine(const CgroupStats& earlier, const CgroupStats& later);
};

// One run's cgroup (or scope). Destroying it removes the cgroup if it is still there;
// call remove() to see errors.
class RunCgroup {
  public:
    virtual ~RunCgroup() = default;

    // Where the driver wants the child cloned into (CLONE_INTO_CGROUP), or -1 when the
    // child must be placed with enter() instead.
    virtual int clone_into_fd() const = 0;
    // Files the held child writes "0" into itself before exec (ExecPlan::join_fds), each
    // moving it into one more cgroup: the v1 'tasks' files of a hybrid run. v1 cannot be
    // cloned into, and a task that moves itself skips the global lock (an RCU grace
    // period, ~9 ms) that a move by pid into cgroup.procs waits for.
    virtual std::vector<std::string> join_files() const { return {}; }
    // Places a child that is held before exec (cloned_into: it was cloned straight into
    // clone_into_fd()) in the cgroups join_files() does not cover. For systemd this
    // starts the scope.
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
    // Usage less the inactive page cache the kernel would reclaim first (what the
    // jobserver's memory rule watches); unset when unknown.
    virtual std::optional<std::uint64_t> memory_working_set() const = 0;
    // The cgroup's PSI file memory.pressure (cgroup v2 core: also on hybrid hosts).
    std::string memory_pressure_file() const { return unified_path() + "/memory.pressure"; }
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
    // What a run's cgroup could not clean up when it was destroyed without remove().
    WarningSink on_warning;
};

// "system", "user" or empty (by uid: root's is the system manager).
bool valid_systemd_manager(const std::string& manager);

// A configured root for the direct drivers: a directory of the cgroup2 hierarchy, root's
// or ours (its owner could freeze or kill the runs in it). Throws UsageError naming the
// directory (not the option: the caller knows how it was given).
void check_cgroup_root(const std::string& root);

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

// A directory the drivers reachable with options create run cgroups (or, for systemd,
// scopes named supervise-<name>.scope) in, whether or not it exists: where a run is found
// by its name when no record can say (a lost or garbled state directory). Cheap: systemd's
// slice is looked for where managers put it, and the manager is asked only when it is not
// there.
struct RunCgroupBase {
    DriverKind driver;  // systemd, or the direct driver of this layout
    std::string dir;
};
std::vector<RunCgroupBase> run_cgroup_bases(const DriverOptions& options);
// The lowest memory.max set on the cgroups runs are made under (the direct drivers' root
// and its supervise/, systemd's supervise.slice), if any: what --capacity auto respects.
std::optional<std::uint64_t> run_memory_ceiling(const DriverOptions& options);
// Every directory of a run cgroup the direct drivers made at unified_path: that one, then
// its v1 twins (hybrid), wherever the supervisor that made them sat.
std::vector<std::string> run_directories(const std::string& unified_path);

// The unified-hierarchy directories of every run cgroup (or scope) that the drivers
// reachable with these options have created and that still exist: what kill-all kills.
std::vector<std::string> list_run_cgroups(const DriverOptions& options);
// Removes those of them that supervise created itself (with their v1 twins and empty
// parents), once empty; waits briefly for systemd to remove its scopes.
void remove_run_cgroups(const DriverOptions& options, const std::vector<std::string>& paths);

// What `supervise doctor` reports: the cgroup layout, every driver, the automatic choice.
struct Diagnosis {
    std::string layout;         // "pure cgroup v2", "hybrid (...)", "no cgroup2 hierarchy"
    std::string unified_mount;  // empty when none
    std::vector<DriverReport> drivers;
    std::optional<DriverKind> chosen;  // what options.kind picks here
    std::string why_none;              // when nothing is chosen
};
Diagnosis diagnose(const DriverOptions& options);
// The report as one JSON object (fields: supervise(1), doctor).
std::string to_json(const Diagnosis& diagnosis);

// The kernel's boot id (cached).
const std::string& current_boot_id();

// The files of one existing cgroup, wherever they live: the unified (v2) directory, plus
// v1 controller directories on hybrid hosts. Reads stats, signals and kills; knows nothing
// about how the cgroup was made (see the drivers).
class CgroupView {
  public:
    CgroupView() = default;
    explicit CgroupView(std::string unified_path) : unified(std::move(unified_path)) {}

    std::string unified;                   // always set
    std::optional<std::string> memory_v1;  // hybrid: v1 memory controller directory
    std::optional<std::string> pids_v1;
    std::optional<std::string> cpu_v1;
    std::optional<std::string> blkio_v1;

    // All directories, unified first.
    std::vector<std::string> directories() const;

    bool populated() const;
    CgroupStats stats() const;
    std::optional<std::uint64_t> memory_usage() const;
    // memory_usage() less inactive_file of memory.stat (v1: total_inactive_file).
    std::optional<std::uint64_t> memory_working_set() const;
    // Processes of the cgroup and its descendants.
    std::vector<pid_t> processes() const;

    // SIGKILL: cgroup.kill (falls back to freeze + kill each). Other signals: freeze,
    // signal every process, thaw; nothing forks past the signal. Refuses a path that is
    // not a plain named directory ("x/.." would be its parent).
    void signal_all(int sig) const;
    // Blocks until cgroup.events says "populated 0" or the timeout passes; event driven
    // (inotify on cgroup.events). True when empty.
    bool wait_until_empty(std::chrono::milliseconds timeout) const;
    // The 'tasks' file of every v1 directory.
    std::vector<std::string> v1_tasks_files() const;
};

// Is this still the run's cgroup and does it hold a process? Same boot, the same id at
// that path (an id is an inode number, never reused within a boot), populated.
bool cgroup_is_alive(const CgroupIdentity& identity);

// Inode number of a cgroup directory: the cgroup id. Throws SystemError.
std::uint64_t cgroup_id(const std::string& directory);

// Blocks until directory is gone (systemd removing a scope, say) or timeout passes; event
// driven (inotify IN_DELETE on the parent: cgroupfs sends no IN_DELETE_SELF). True when gone.
bool wait_until_removed(const std::string& directory, std::chrono::milliseconds timeout);

// One rmdir, for a directory that other runs may still use (then it stays).
void remove_if_unused(const std::string& directory);

// rmdir that waits out the short EBUSY of a cgroup whose last process just exited.
// Returns errno (0 on success, ENOENT counts as success).
int remove_cgroup_dir(const std::string& directory);

// Removes the directories of a run that has ended, then the "supervise" directories
// above them when no other run uses them. rmdir refuses a cgroup that still has
// processes, so this never removes a live run's cgroup. patient: wait out the short
// EBUSY of a cgroup whose last process has just left (the run's own removal); reapers of
// long-dead runs try once. Returns the first errno and its directory (0 when all went).
std::pair<int, std::string> remove_run_directories(const std::vector<std::string>& dirs,
                                                   bool patient = false);

// The same cgroup in every v1 hierarchy (systemd names a scope alike in each): empty on a
// pure v2 host, or when unified_dir is not in the unified hierarchy.
std::vector<std::string> v1_twins(const std::string& unified_dir);

}  // namespace supervise
