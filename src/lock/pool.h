#pragma once
// One lock pool on disk, and its short critical section.
//
//   <state>/locks/<encoded name>/
//       name        the lock's real name (guards against encoding collisions)
//       slots       the slot count last asked for
//       capacity    the memory budget last asked for (bytes; none: no budget)
//       lock        flock'ed for the critical section (milliseconds, never while waiting)
//       slot-<N>    owner record of slot N
//       parents     cgroup directories runs of this pool were created in (for repairs)
//       queue/<seq>-<pid>   waiter tickets, each flock'ed by its live waiter
//       queue/.seq  ticket counter (in queue/, so bumping it wakes no head waiter)

#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "supervise/error.h"
#include "supervise/lock.h"
#include "supervise/sys/files.h"

namespace supervise::lock {

struct PoolPaths {
    std::string name, dir;
    std::string file(const std::string& leaf) const { return dir + "/" + leaf; }
    std::string record(int slot) const { return dir + "/slot-" + std::to_string(slot); }
    std::string queue() const { return dir + "/queue"; }
};

PoolPaths pool_paths(const std::string& state_dir, const std::string& name);
bool pool_exists(const PoolPaths& paths);

// The pool's critical section: an exclusive flock on <pool>/lock. Nothing when there is
// no such pool, or it was removed (unused) while we waited for the lock.
std::optional<sys::FileLock> lock_pool(const PoolPaths& paths);
// As lock_pool, creating the pool first (its directories, never through a symlink, and
// its name file, checked against the name): for an acquirer, which may be its first user.
sys::FileLock open_pool(const PoolPaths& paths);
// Under the pool's lock: removes the pool when nothing holds or waits for a slot of it
// (scan_pool has reaped the dead), so a pool of runs that have ended leaves nothing in
// the state directory. True when it went.
bool forget_if_unused(const PoolPaths& paths);
// Writes the pool's name file (anew when it is garbled), or checks that it names this
// pool (throws Error on a real collision of two long names).
void check_name(const PoolPaths& paths);
// Refuses (UsageError) a pool directory that is not a private one of ours or root's:
// another user's pool in a shared state directory is never read or acted on.
void check_pool_owner(const PoolPaths& paths);

struct Ticket {
    std::uint64_t seq = 0;
    pid_t pid = 0;
    std::string path;
    double since = 0;
    std::string command;
    bool cancelled = false;
    // what the waiter asked for (LockOptions): its place in the queue, its reservation
    int priority = 0;
    double aging = kDefaultAging;
    std::uint64_t need = 0;
    bool backfill = false;
};

// A ticket's priority in the queue at unix time now (queue_priority).
long effective_priority(const Ticket& ticket, double now);
// Sorts tickets into the queue's order at unix time now: effective priority, then arrival.
void order_queue(std::vector<Ticket>& tickets, double now);
// Whether the queue is plain FIFO (no priority, no backfill): then each waiter needs to
// watch only the one ahead of it. Otherwise every waiter watches the pool and the queue.
bool plain_queue(const std::vector<Ticket>& tickets);
// When the queue's order may change next by waiting time alone (a ticket's effective
// priority rises); nothing when it cannot (a plain queue).
std::optional<double> next_reorder(const std::vector<Ticket>& tickets, double now);

struct PoolState {
    unsigned slots = 1;
    std::optional<std::uint64_t> capacity;
    std::uint64_t reserved = 0;          // by the holders
    std::map<int, OwnerRecord> holders;  // live, by slot
    std::vector<Ticket> tickets;         // live, in queue order (order_queue)
};

// Reads the pool under its lock, reaping what is dead on the way: records whose owner is
// gone (and the empty cgroups they name), dead tickets, leftover empty cgroups of the pool.
// The cgroup tree is the truth: a populated cgroup named after a slot of the pool (looked
// for in the pool's remembered parents and in bases, what the caller's driver options
// reach) holds that slot, and its record is rebuilt when it is missing, corrupt, unreadable
// or another user's. A record that cannot be read while no cgroup holds its slot (perhaps a
// foreground owner's) keeps the slot held, with pid 0. warn gets one line per repair.
PoolState scan_pool(const PoolPaths& paths, const std::vector<RunCgroupBase>& bases,
                    const WarningSink& warn);
// The populated cgroups of the pool found by name, by slot (as scan_pool looks for them):
// whether a pool whose directory is gone still has holders.
std::map<int, OwnerRecord> holders_in_tree(const PoolPaths& paths,
                                           const std::vector<RunCgroupBase>& bases);

// The pool's memory budget (file "capacity", bytes): nothing when it has none.
std::optional<std::uint64_t> read_capacity(const PoolPaths& paths);
void write_capacity(const PoolPaths& paths, std::uint64_t capacity);

unsigned read_slot_count(const PoolPaths& paths);
void write_slot_count(const PoolPaths& paths, unsigned slots);
// Remembers a directory run cgroups of this pool are created in ("<driver> <path>").
void remember_parent(const PoolPaths& paths, const std::string& driver, const std::string& dir);

// Whether a run that reserves `ours`, which fits in what is `left` of the budget now, may
// start before the head of the queue (which needs `head`) without making it start later.
// The head starts when enough holders have ended; whichever ends first frees at least the
// smallest reservation held. So if ours + head <= left + smallest held, the head fits
// beside us at the very moment it would have fitted without us; if both fit now, both
// start. A head that fits now is never overtaken by one that would leave it no room.
bool may_backfill(std::uint64_t ours, std::uint64_t head, std::uint64_t left,
                  const std::map<int, OwnerRecord>& holders);

// Takes the next ticket (under the pool's lock): its file, created and flock'ed by us.
struct TakenTicket {
    Ticket ticket;
    sys::FileLock lock;
};
TakenTicket take_ticket(const PoolPaths& paths, const Ticket& asked);
// Whether a ticket's waiter is alive: it holds an flock on the ticket file.
inline bool ticket_is_live(const std::string& path) {
    return sys::FileLock::held_elsewhere(path);
}
// The ticket in queue/<leaf>; nothing for a name that is not one.
std::optional<Ticket> read_ticket(const PoolPaths& paths, const std::string& leaf);

// Rung at a waiter when the one ahead of it leaves the queue, or by kill-all. SIGURG: its
// default action is to do nothing, so a stray ring harms no one.
inline constexpr int kDoorbellSignal = SIGURG;
// Rings the first live waiter queued after ticket `seq` (pidfd, after checking its ticket
// is still flock'ed by it: a recycled pid is never signalled).
void ring_successor(const PoolPaths& paths, std::uint64_t seq);
// Rings one waiter.
void ring(const Ticket& ticket);
// Rings every live waiter (a ticket that makes the queue ordered: each re-arms its watches).
void ring_all(const PoolPaths& paths);

}  // namespace supervise::lock
