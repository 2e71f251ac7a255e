// Everything done to pools besides acquiring: release, check, list, kill, kill-all.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <set>

#include "names.h"
#include "owner_record.h"
#include "pool.h"
#include "spdlog/spdlog.h"
#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/json.h"
#include "supervise/parse.h"
#include "supervise/record.h"
#include "supervise/sys/files.h"
#include "supervise/sys/process.h"

namespace supervise {

namespace {

// The pools of the state directory, by name: the name file's, or (when it is garbled) the
// one the directory's name encodes. Another user's locks directory is not ours to read.
std::vector<std::string> pool_names(const std::string& state_dir, const WarningSink& warn) {
    std::vector<std::string> names;
    std::string locks = state_dir + "/locks";
    try {
        if (sys::path_exists(locks)) sys::make_private_dir(locks, "lock directory");
    } catch (const Error& e) {
        if (warn) warn(std::string(e.what()) + "; its locks skipped");
        return names;
    }
    for (const auto& entry : sys::list_directory(locks)) {
        auto name = sys::read_state_file(locks + "/" + entry.name + "/name");
        if (name && encode_file_name(*name) == entry.name) {
            names.push_back(*name);
        } else if (auto decoded = decode_file_name(entry.name)) {
            names.push_back(*decoded);
        } else if (warn) {
            warn("lock directory " + locks + "/" + entry.name +
                 " has no usable name file; skipped (name the lock to see it)");
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

// The pool's lock, for a command that names the pool. A pool whose directory is gone while
// cgroups of it are populated (the state directory wiped under a live run) is made anew,
// and the scan rebuilds its records from the tree.
std::optional<sys::FileLock> lock_named_pool(const lock::PoolPaths& paths,
                                             const std::vector<RunCgroupBase>& bases) {
    if (auto held = lock::lock_pool(paths)) return held;
    if (lock::holders_in_tree(paths, bases).empty()) return std::nullopt;
    return lock::open_pool(paths);
}

// Signals a foreground owner only if it is still the very process that took the lock.
bool signal_process_owner(const OwnerRecord& owner, int sig) {
    auto pidfd = sys::Pidfd::open(owner.pid);
    return pidfd && lock::owner_is_alive(owner) && pidfd.send_signal(sig);
}

// lock_pool for the commands that go over every pool: one pool they cannot use (its lock
// file replaced by a FIFO, say) is a warning, not the end of list or kill-all. For the
// one pool a command names (only), the error goes up.
std::optional<sys::FileLock> lock_or_warn(const lock::PoolPaths& paths, const WarningSink& warn,
                                          bool only) {
    try {
        return lock::lock_pool(paths);
    } catch (const UsageError& e) {
        if (only) throw;
        if (warn) warn(std::string(e.what()) + "; lock " + paths.name + " skipped");
        return std::nullopt;
    }
}

// What a holder's cgroup uses now: its v1 memory directory's usage on a hybrid host, else
// memory.current of its unified one.
std::optional<std::uint64_t> memory_in_use(const OwnerRecord& holder) {
    if (holder.kind != OwnerRecord::Kind::run) return std::nullopt;
    CgroupView view(holder.cgroup.path);
    auto dirs = holder.dirs;
    if (holder.cgroup.driver == DriverKind::systemd) dirs = v1_twins(holder.cgroup.path);
    for (const auto& dir : dirs)
        if (sys::path_exists(dir + "/memory.usage_in_bytes")) view.memory_v1 = dir;
    return view.memory_usage();
}

}  // namespace

void release_run_slot(const std::string& state_dir, const std::string& name, int slot,
                      std::uint64_t cgroup_id) {
    auto paths = lock::pool_paths(state_dir, name);
    auto pool_lock = lock::lock_pool(paths);
    if (!pool_lock) return;
    auto text = sys::read_state_file(paths.record(slot));
    if (!text) return;
    auto record = lock::parse_owner_record(*text);
    // (The pool is left for whoever looks next: removing and making it anew would cost
    // every locked run half a millisecond.)
    if (record && record->kind == OwnerRecord::Kind::run && record->cgroup.id == cgroup_id)
        ::unlink(paths.record(slot).c_str());
}

bool release_process_slot(const std::string& state_dir, const DriverOptions& driver,
                          const std::string& name, pid_t owner, const WarningSink& warn) {
    auto paths = lock::pool_paths(state_dir, name);
    auto pool_lock = lock::lock_pool(paths);
    if (!pool_lock) return false;
    auto state = lock::scan_pool(paths, run_cgroup_bases(driver), warn);
    auto start = sys::process_start_time(owner);
    for (const auto& [slot, holder] : state.holders) {
        if (holder.kind == OwnerRecord::Kind::process && holder.pid == owner && start &&
            holder.start_time == *start) {
            ::unlink(paths.record(slot).c_str());
            lock::forget_if_unused(paths);
            return true;
        }
    }
    return false;
}

long queue_priority(int priority, double waited_seconds, double aging_seconds) {
    if (aging_seconds <= 0 || waited_seconds <= 0) return priority;
    return priority + static_cast<long>(std::min(waited_seconds / aging_seconds, 1e9));
}

std::optional<int> parse_priority(std::string_view text) {
    bool negative = text.starts_with("-");
    auto number = parse_whole_number(negative ? text.substr(1) : text);
    if (!number || *number > static_cast<std::uint64_t>(kMaxPriority)) return std::nullopt;
    return negative ? -static_cast<int>(*number) : static_cast<int>(*number);
}

std::optional<std::uint64_t> pool_capacity(const std::string& state_dir, const std::string& name) {
    auto paths = lock::pool_paths(state_dir, name);
    if (!lock::pool_exists(paths)) return std::nullopt;
    lock::check_pool_owner(paths);
    return lock::read_capacity(paths);
}

void check_reservation(const std::string& name, std::uint64_t capacity,
                       const std::optional<std::uint64_t>& reservation) {
    std::string budget = "lock " + name + " has a memory budget of " + format_size(capacity);
    if (!reservation)
        throw UsageError(budget + ": give --memory SIZE (or auto), the share a run reserves of it");
    if (*reservation > capacity)
        throw UsageError(budget + ", less than --memory " + format_size(*reservation) +
                         ": the run could never start");
}

unsigned free_slots(const std::string& state_dir, const DriverOptions& driver,
                    const std::string& name, unsigned slots, const WarningSink& warn) {
    auto paths = lock::pool_paths(state_dir, name);
    auto bases = run_cgroup_bases(driver);
    auto pool_lock = lock_named_pool(paths, bases);
    if (!pool_lock) return slots ? slots : 1;
    auto state = lock::scan_pool(paths, bases, warn);
    if (slots == 0) slots = state.slots;
    lock::forget_if_unused(paths);
    unsigned held = static_cast<unsigned>(state.holders.size());
    if (state.capacity && state.reserved >= *state.capacity) return 0;  // the budget is spent
    return slots > held ? slots - held : 0;
}

std::vector<PoolStatus> list_pools(const std::string& state_dir, const DriverOptions& driver,
                                   const std::optional<std::string>& name,
                                   const WarningSink& warn) {
    std::vector<PoolStatus> pools;
    auto bases = run_cgroup_bases(driver);
    auto names = name ? std::vector<std::string>{*name} : pool_names(state_dir, warn);
    for (const auto& each : names) {
        auto paths = lock::pool_paths(state_dir, each);
        std::optional<sys::FileLock> pool_lock;
        if (name)
            pool_lock = lock_named_pool(paths, bases);
        else
            pool_lock = lock_or_warn(paths, warn, false);
        if (!pool_lock) continue;
        auto state = lock::scan_pool(paths, bases, warn);
        if (lock::forget_if_unused(paths)) continue;  // nothing to show: its runs have ended
        PoolStatus status;
        status.name = each;
        status.slots = state.slots;
        status.capacity = state.capacity;
        status.reserved = state.reserved;
        for (const auto& [slot, holder] : state.holders) {
            status.holders.push_back(holder);
            if (auto used = memory_in_use(holder)) status.memory_current[slot] = *used;
        }
        double now = unix_now();
        for (const auto& ticket : state.tickets)
            status.waiters.push_back({ticket.seq, ticket.pid, ticket.since, ticket.command,
                                      ticket.priority, lock::effective_priority(ticket, now),
                                      ticket.need, ticket.backfill});
        pools.push_back(std::move(status));
    }
    if (!name && warn) {
        // Populated cgroups of pools the state directory has lost: only their name can
        // bring them back.
        std::set<std::string> known;
        for (const auto& each : names) known.insert(lock::pool_cgroup_prefix(each));
        for (const auto& path : list_run_cgroups(driver)) {
            std::string leaf = path.substr(path.rfind('/') + 1);
            std::string bare = leaf.starts_with("supervise-") ? leaf.substr(10) : leaf;
            auto dash = bare.find('-', 5);
            if (!bare.starts_with("lock-") || dash == std::string::npos ||
                known.count(bare.substr(0, dash + 1)) || !CgroupView(path).populated())
                continue;
            warn(path +
                 " holds a slot of a lock the state directory has no record of; name "
                 "it ('supervise list NAME') to rebuild it");
        }
    }
    return pools;
}

std::optional<unsigned> kill_pool(const std::string& state_dir, const DriverOptions& driver,
                                  const std::string& name, int sig, const WarningSink& warn) {
    auto paths = lock::pool_paths(state_dir, name);
    auto bases = run_cgroup_bases(driver);
    std::vector<OwnerRecord> holders;
    {
        auto pool_lock = lock_named_pool(paths, bases);
        if (!pool_lock) return std::nullopt;
        auto state = lock::scan_pool(paths, bases, warn);
        for (const auto& [slot, holder] : state.holders) holders.push_back(holder);
    }
    unsigned signalled = 0;
    for (const auto& holder : holders) {
        if (holder.kind == OwnerRecord::Kind::process) {
            signalled += signal_process_owner(holder, sig) ? 1 : 0;
            continue;
        }
        if (lock::owner_is_alive(holder)) {
            CgroupView(holder.cgroup.path).signal_all(sig);
            ++signalled;
        }
    }
    return signalled;
}

KillAllReport kill_all(const std::string& state_dir, const DriverOptions& driver,
                       const WarningSink& warn) {
    KillAllReport report;
    std::vector<std::string> cgroups = list_run_cgroups(driver);
    auto bases = run_cgroup_bases(driver);
    // Waiters first, so none of them takes a slot the kill frees.
    for (const auto& name : pool_names(state_dir, warn)) {
        auto paths = lock::pool_paths(state_dir, name);
        auto pool_lock = lock_or_warn(paths, warn, false);
        if (!pool_lock) continue;
        auto state = lock::scan_pool(paths, bases, warn);
        for (const auto& ticket : state.tickets) {
            if (sys::try_append_file(ticket.path, "cancelled=1\n") == 0) {
                lock::ring(ticket);
                ++report.waiters;
            }
        }
        for (const auto& [slot, holder] : state.holders) {
            if (holder.kind == OwnerRecord::Kind::process) {
                if (signal_process_owner(holder, SIGKILL)) ++report.processes;
                ::unlink(paths.record(slot).c_str());
            } else if (std::find(cgroups.begin(), cgroups.end(), holder.cgroup.path) ==
                       cgroups.end()) {
                cgroups.push_back(holder.cgroup.path);
            }
        }
    }
    // Another user's runs (a parent we share with them) are theirs: not signalled, not
    // waited for, not removed; the report says so.
    std::erase_if(cgroups, [&](const std::string& path) {
        struct stat st;
        bool theirs =
            ::geteuid() != 0 && ::stat(path.c_str(), &st) == 0 && st.st_uid != ::geteuid();
        if (theirs) report.not_ours.push_back(path);
        return theirs;
    });
    for (const auto& path : cgroups) {
        spdlog::debug("kill-all: killing {}", path);
        CgroupView(path).signal_all(SIGKILL);
    }
    for (const auto& path : cgroups) {
        if (!CgroupView(path).wait_until_empty(std::chrono::seconds(10))) {
            report.failures.push_back(path + " still has processes after SIGKILL");
            continue;
        }
        ++report.runs;
    }
    remove_run_cgroups(driver, cgroups);
    // Reap the records of the killed runs (their cgroups are empty now), and the pools
    // nobody holds or waits for any more.
    for (const auto& name : pool_names(state_dir, {})) {
        auto paths = lock::pool_paths(state_dir, name);
        if (auto pool_lock = lock_or_warn(paths, warn, false)) {
            lock::scan_pool(paths, bases, warn);
            lock::forget_if_unused(paths);
        }
    }
    return report;
}

std::string to_json(const std::vector<PoolStatus>& pools, double now) {
    auto seconds_since = [now](double then) { return static_cast<long long>(now - then); };
    auto all = Json::array();
    for (const auto& pool : pools) {
        auto holders = Json::array();
        for (const auto& h : pool.holders) {
            bool run = h.kind == OwnerRecord::Kind::run;
            holders.push_back({{"slot", h.slot},
                               {"kind", run ? "run" : "process"},
                               {"pid", h.pid},
                               {"command", h.command},
                               {"held_seconds", seconds_since(h.started)},
                               {"cgroup", run ? Json(h.cgroup.path) : nullptr},
                               {"reserved_bytes", pool.capacity ? Json(h.reserved) : nullptr},
                               {"memory_current_bytes", pool.memory_current.count(h.slot)
                                                            ? Json(pool.memory_current.at(h.slot))
                                                            : nullptr}});
        }
        auto waiters = Json::array();
        for (size_t position = 0; position < pool.waiters.size(); ++position) {
            const auto& w = pool.waiters[position];
            waiters.push_back({{"position", position},
                               {"pid", w.pid},
                               {"command", w.command},
                               {"waiting_seconds", seconds_since(w.since)},
                               {"priority", w.priority},
                               {"effective_priority", w.effective_priority},
                               {"needs_bytes", pool.capacity ? Json(w.need) : nullptr},
                               {"backfill", w.backfill}});
        }
        all.push_back({{"name", pool.name},
                       {"slots", pool.slots},
                       {"capacity_bytes", pool.capacity ? Json(*pool.capacity) : nullptr},
                       {"reserved_bytes", pool.capacity ? Json(pool.reserved) : nullptr},
                       {"holders", holders},
                       {"waiters", waiters}});
    }
    return to_text(all);
}

}  // namespace supervise
