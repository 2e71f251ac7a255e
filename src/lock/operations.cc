// Everything done to pools besides acquiring: release, check, list, kill, kill-all.

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "cgroup/cgroup_view.h"
#include "lock/owner_record.h"
#include "lock/pool.h"
#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "sys/fd.h"
#include "sys/files.h"

namespace supervise {

namespace {

std::vector<std::string> pool_names(const std::string& state_dir) {
    std::vector<std::string> names;
    std::string locks = state_dir + "/locks";
    DIR* dir = ::opendir(locks.c_str());
    if (!dir) return names;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        if (auto name = sys::try_read_file(locks + "/" + entry->d_name + "/name"))
            names.push_back(*name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

// Signals a foreground owner only if it is still the very process that took the lock.
bool signal_process_owner(const OwnerRecord& owner, int sig) {
    sys::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, owner.pid, 0)));
    if (!pidfd || !lock::owner_is_alive(owner)) return false;
    return ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0;
}

}  // namespace

void release_run_slot(const std::string& state_dir, const std::string& name, int slot,
                      std::uint64_t cgroup_id) {
    auto paths = lock::pool_paths(state_dir, name);
    if (!lock::pool_exists(paths)) return;
    lock::PoolLock pool_lock(paths);
    auto text = sys::try_read_file(paths.record(slot));
    if (!text) return;
    auto record = lock::parse_owner_record(*text);
    if (record && record->kind == OwnerRecord::Kind::run && record->cgroup.id == cgroup_id)
        ::unlink(paths.record(slot).c_str());
}

bool release_process_slot(const std::string& state_dir, const std::string& name, pid_t owner) {
    auto paths = lock::pool_paths(state_dir, name);
    if (!lock::pool_exists(paths)) return false;
    lock::PoolLock pool_lock(paths);
    auto state = lock::scan_pool(paths, lock::warn_to_stderr);
    auto start = lock::process_start_time(owner);
    for (const auto& [slot, holder] : state.holders) {
        if (holder.kind == OwnerRecord::Kind::process && holder.pid == owner && start &&
            holder.start_time == *start) {
            ::unlink(paths.record(slot).c_str());
            return true;
        }
    }
    return false;
}

unsigned free_slots(const std::string& state_dir, const std::string& name, unsigned slots) {
    auto paths = lock::pool_paths(state_dir, name);
    if (!lock::pool_exists(paths)) return slots ? slots : 1;
    lock::PoolLock pool_lock(paths);
    auto state = lock::scan_pool(paths, lock::warn_to_stderr);
    if (slots == 0) slots = state.slots;
    unsigned held = static_cast<unsigned>(state.holders.size());
    return slots > held ? slots - held : 0;
}

std::vector<PoolStatus> list_pools(const std::string& state_dir,
                                   const std::optional<std::string>& name) {
    std::vector<PoolStatus> pools;
    for (const auto& each : name ? std::vector<std::string>{*name} : pool_names(state_dir)) {
        auto paths = lock::pool_paths(state_dir, each);
        if (!lock::pool_exists(paths)) continue;
        lock::PoolLock pool_lock(paths);
        auto state = lock::scan_pool(paths, lock::warn_to_stderr);
        PoolStatus status;
        status.name = each;
        status.slots = state.slots;
        for (const auto& [slot, holder] : state.holders) status.holders.push_back(holder);
        for (const auto& ticket : state.tickets)
            status.waiters.push_back({ticket.seq, ticket.pid, ticket.since, ticket.command});
        pools.push_back(std::move(status));
    }
    return pools;
}

std::optional<unsigned> kill_pool(const std::string& state_dir, const std::string& name, int sig) {
    auto paths = lock::pool_paths(state_dir, name);
    if (!lock::pool_exists(paths)) return std::nullopt;
    std::vector<OwnerRecord> holders;
    {
        lock::PoolLock pool_lock(paths);
        auto state = lock::scan_pool(paths, lock::warn_to_stderr);
        for (const auto& [slot, holder] : state.holders) holders.push_back(holder);
    }
    unsigned signalled = 0;
    for (const auto& holder : holders) {
        if (holder.kind == OwnerRecord::Kind::process) {
            signalled += signal_process_owner(holder, sig) ? 1 : 0;
            continue;
        }
        cgroup::CgroupView view;
        view.unified = holder.cgroup.path;
        if (lock::owner_is_alive(holder)) {
            view.signal_all(sig);
            ++signalled;
        }
    }
    return signalled;
}

KillAllReport kill_all(const std::string& state_dir, const DriverOptions& driver) {
    KillAllReport report;
    std::vector<std::string> cgroups = list_run_cgroups(driver);
    // Waiters first, so none of them takes a slot the kill frees.
    for (const auto& name : pool_names(state_dir)) {
        auto paths = lock::pool_paths(state_dir, name);
        lock::PoolLock pool_lock(paths);
        auto state = lock::scan_pool(paths, lock::warn_to_stderr);
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
    for (const auto& path : cgroups) {
        spdlog::debug("kill-all: killing {}", path);
        cgroup::CgroupView view;
        view.unified = path;
        view.signal_all(SIGKILL);
    }
    for (const auto& path : cgroups) {
        cgroup::CgroupView view;
        view.unified = path;
        if (!view.wait_until_empty(std::chrono::seconds(10))) {
            report.failures.push_back(path + " still has processes after SIGKILL");
            continue;
        }
        ++report.runs;
    }
    remove_run_cgroups(driver, cgroups);
    // Reap the records of the killed runs (their cgroups are empty now).
    for (const auto& name : pool_names(state_dir)) {
        auto paths = lock::pool_paths(state_dir, name);
        lock::PoolLock pool_lock(paths);
        lock::scan_pool(paths, lock::warn_to_stderr);
    }
    return report;
}

}  // namespace supervise
