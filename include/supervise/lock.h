#pragma once
// Named lock pools of N slots. A slot belongs to a run's cgroup for as long as that cgroup
// is populated (or, in foreground mode, to a process identified by pid + start time + boot
// id). Liveness is read from the kernel, never from a PID alone; waiters queue FIFO.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervise/cgroup.h"
#include "supervise/error.h"

namespace supervise {

// The state directory: /run/supervise for root, $XDG_RUNTIME_DIR/supervise for others,
// or an explicit override (--state-dir, SUPERVISE_STATE_DIR). Created 0700 when missing;
// refused (UsageError) when it is a symlink, owned by another non-root user, or group- or
// world-writable without the sticky bit.
std::string open_state_dir(const std::string& override_path);

// Checks a lock name: non-empty, at most 255 bytes, valid UTF-8. Throws UsageError.
void validate_lock_name(const std::string& name);
// "@project": "project:" + the git top level of dir (or dir itself outside git).
std::string expand_lock_name(const std::string& name, const std::string& dir);

// Who holds a slot.
struct OwnerRecord {
    enum class Kind { run, process };
    Kind kind = Kind::run;
    int slot = 0;
    CgroupIdentity cgroup;          // run: the run's cgroup
    std::vector<std::string> dirs;  // run: every directory of the cgroup (v1 ones too)
    pid_t pid = 0;                  // run: the command's main pid; process: the owner
    std::uint64_t start_time = 0;   // process: /proc/PID/stat start time (clock ticks)
    std::string boot_id;
    pid_t supervisor_pid = 0;
    std::string command;
    double started = 0;  // unix time
    // Memory reserved of the pool's capacity (its --memory), held while the slot is; 0 in a
    // pool without a capacity.
    std::uint64_t reserved = 0;
};

struct Waiter {
    std::uint64_t ticket = 0;  // arrival order
    pid_t pid = 0;
    double since = 0;
    std::string command;
    int priority = 0;             // as asked (--priority)
    long effective_priority = 0;  // with its waiting time (queue_priority)
    std::uint64_t need = 0;       // its reservation, in a pool with a capacity
    bool backfill = false;
};

struct PoolStatus {
    std::string name;
    unsigned slots = 1;
    std::optional<std::uint64_t> capacity;  // memory budget, bytes (--capacity)
    std::uint64_t reserved = 0;             // by the holders
    std::vector<OwnerRecord> holders;       // live ones, by slot
    std::vector<Waiter> waiters;            // live ones, in queue order
    // What each holder's cgroup uses now (memory.current; v1: memory.usage_in_bytes), by
    // slot, where it can be read.
    std::map<int, std::uint64_t> memory_current;
};

// Slots of a pool that only its memory budget limits (--capacity without --slots).
inline constexpr unsigned kUnlimitedSlots = 100000;

// The queue's order: a higher priority first, and among equals the earlier arrival. A
// waiter's priority rises by one for every `aging` seconds it has waited (each waiter
// brings its own, SUPERVISE_PRIORITY_AGING, default 60 s), so nothing waits for ever
// behind later arrivals of a higher priority: priority 10 overtakes runs that have waited
// up to 10 minutes longer, no more.
inline constexpr double kDefaultAging = 60;
inline constexpr double kLeastAging = 1;   // (shorter would have every waiter look all the time)
inline constexpr int kMaxPriority = 1000;  // --priority from -1000 to 1000
long queue_priority(int priority, double waited_seconds, double aging_seconds);
// "-5", "0", "1000": a priority from -kMaxPriority to kMaxPriority; nothing otherwise.
std::optional<int> parse_priority(std::string_view text);

struct LockOptions {
    std::string name;  // already expanded and validated
    // The pool's slot count (stored with it: the last one given counts); 0: the pool's own
    // (1 for a new pool; kUnlimitedSlots for a new one with a capacity).
    unsigned slots = 1;
    // A memory budget for the pool (stored with it, as slots are: the last one given counts)
    // and this run's share of it. In a pool with a capacity every run must reserve (its
    // --memory): a run holds its slot and its reservation together, both while its cgroup
    // is populated; the head of the queue waits until its reservation fits (strict FIFO).
    // A reservation larger than the capacity is refused (UsageError), never waited for.
    // Without a capacity given, the pool's stored one counts.
    std::optional<std::uint64_t> capacity;
    std::optional<std::uint64_t> reservation;
    // Place in the queue (queue_priority); ties go to the earlier arrival.
    int priority = 0;
    double aging = kDefaultAging;
    // In a pool with a capacity: this waiter may start before the head of the queue when
    // its reservation fits now and the head would still start no later than without it,
    // whichever holder ends first: reservation + head's need <= free + smallest holder's
    // reservation (or both fit now). No effect in a pool without a capacity.
    bool backfill = false;
    // Longest wait; unset = forever, zero = try once.
    std::optional<std::chrono::milliseconds> wait;
    std::string state_dir;  // from open_state_dir()
    // Where the holders' cgroups are looked for by name when records cannot tell: the
    // bases of the drivers these options reach (run_cgroup_bases).
    DriverOptions driver;
    std::string command;  // what the waiter will run, for `list` and wait messages
    // Progress for the user: called after 1 s of waiting, then whenever the position or
    // the holder changes. Empty when the wait is over.
    std::function<void(const std::string&)> on_wait_message;
    std::string wait_message;  // -m: replaces the generated text
    WarningSink on_warning;    // repairs of the pool's state seen on the way
};

// What acquiring ended with.
enum class AcquireOutcome { acquired, timed_out, cancelled };

// A slot granted to this process. While it lives, the pool's short critical section is
// still held: the caller starts its child held in the cgroup named cgroup_name(), then
// calls commit_run() (or commit_process()), which writes the owner record and lets other
// acquirers see it.
class SlotGrant {
  public:
    SlotGrant(SlotGrant&&) noexcept;
    SlotGrant& operator=(SlotGrant&&) noexcept;
    ~SlotGrant();

    int slot() const;
    double wait_seconds() const;
    // The cgroup (or scope) name for the run holding this slot: lock-<hash>-s<slot>-...
    // so the cgroup tree can say who holds a slot when a record is lost.
    const std::string& cgroup_name() const;
    // The memory this run reserves of the pool's budget; 0 in a pool without one.
    std::uint64_t reserved() const;
    void commit_run(const CgroupIdentity& identity, const std::vector<std::string>& dirs,
                    pid_t pid);
    void commit_process(pid_t owner);

    class Impl;
    explicit SlotGrant(std::unique_ptr<Impl> impl);

  private:
    std::unique_ptr<Impl> impl_;
};

struct AcquireResult {
    AcquireOutcome outcome;
    std::optional<SlotGrant> grant;  // when acquired
    double wait_seconds = 0;
};

// Waits FIFO for a slot of options.name. Event driven: inotify on the holders' cgroup.events
// and the pool, pidfds of process owners and of the waiter ahead, a timerfd for the
// deadline. Throws SystemError/UsageError on failure.
AcquireResult acquire_slot(const LockOptions& options);

// The memory budget stored with a pool (its --capacity), if it has one: what a run that
// gives none is judged by. Nothing for a pool that does not exist.
std::optional<std::uint64_t> pool_capacity(const std::string& state_dir, const std::string& name);
// A run's reservation against a pool's budget: UsageError when there is none (a pool with
// a capacity takes only runs that say what they need) or it exceeds the budget (the run
// could never start).
void check_reservation(const std::string& name, std::uint64_t capacity,
                       const std::optional<std::uint64_t>& reservation);

// Removes the record of a run that has ended, if it is still that run's.
void release_run_slot(const std::string& state_dir, const std::string& name, int slot,
                      std::uint64_t cgroup_id);
// The functions below reap stale state on the way; `warn` hears of every repair. The
// cgroup tree is the truth: a populated cgroup named after a slot of the pool, in the bases
// `driver` reaches or where the pool's runs were made, holds that slot whatever the state
// directory says (records lost, garbled, unreadable or another user's; the directory wiped).

// Foreground mode: removes the slot held by process owner. False when it holds none.
bool release_process_slot(const std::string& state_dir, const DriverOptions& driver,
                          const std::string& name, pid_t owner, const WarningSink& warn = {});

// Free slots of a pool (0 when busy). slots 0: the pool's own count (1 for a name never
// used). A name never used (with no cgroup of it in the tree) has all its slots free.
unsigned free_slots(const std::string& state_dir, const DriverOptions& driver,
                    const std::string& name, unsigned slots, const WarningSink& warn = {});

// All pools (or one), with live holders and waiters. Without a name, a populated cgroup of
// a pool the state directory has lost is a warning (its name is needed to rebuild it).
std::vector<PoolStatus> list_pools(const std::string& state_dir, const DriverOptions& driver,
                                   const std::optional<std::string>& name,
                                   const WarningSink& warn = {});
// The pools as one JSON array (fields: supervise(1), list --json); ages relative to now.
std::string to_json(const std::vector<PoolStatus>& pools, double now);

// Sends sig to every process of the holders of a pool (whole cgroup trees; process owners
// themselves). Returns how many holders were signalled; nullopt for an unknown pool.
std::optional<unsigned> kill_pool(const std::string& state_dir, const DriverOptions& driver,
                                  const std::string& name, int sig, const WarningSink& warn = {});

struct KillAllReport {
    unsigned runs = 0;       // cgroups killed and removed
    unsigned processes = 0;  // foreground owners killed
    unsigned waiters = 0;    // queued waiters cancelled
    std::vector<std::string> failures;
    std::vector<std::string> not_ours;  // runs of other users found beside ours: untouched
};
// Kills every supervised cgroup this user owns (lock holders or not), cancels waiters,
// waits until the cgroups are empty, removes them and every record.
KillAllReport kill_all(const std::string& state_dir, const DriverOptions& driver,
                       const WarningSink& warn = {});

}  // namespace supervise
