#include "lock/pool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>
#include <sstream>

#include "cgroup/cgroup_view.h"
#include "cgroup/layout.h"
#include "lock/names.h"
#include "lock/owner_record.h"
#include "supervise/error.h"
#include "sys/files.h"

namespace supervise::lock {

namespace {

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return names;
    while (dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
    ::closedir(dir);
    return names;
}

struct Parent {
    std::string driver, dir;
};

std::vector<Parent> read_parents(const PoolPaths& paths) {
    std::vector<Parent> parents;
    std::istringstream in(sys::try_read_file(paths.file("parents")).value_or(""));
    std::string driver, dir;
    while (in >> driver && std::getline(in >> std::ws, dir)) parents.push_back({driver, dir});
    return parents;
}

// A corrupt record must never free a slot whose run is alive: the run's cgroup is named
// after pool and slot, so the tree itself says whether someone holds it.
std::optional<OwnerRecord> recover_from_tree(const PoolPaths& paths, int slot) {
    std::string prefix = slot_cgroup_prefix(paths.name, slot);
    for (const auto& parent : read_parents(paths)) {
        for (const auto& leaf : list_dir(parent.dir)) {
            // systemd scopes are named supervise-<name>.scope
            std::string bare = leaf.rfind("supervise-", 0) == 0 ? leaf.substr(10) : leaf;
            if (bare.rfind(prefix, 0) != 0) continue;
            cgroup::CgroupView view;
            view.unified = parent.dir + "/" + leaf;
            if (!view.populated()) continue;
            OwnerRecord record;
            record.kind = OwnerRecord::Kind::run;
            record.slot = slot;
            record.cgroup.path = view.unified;
            try {
                record.cgroup.id = cgroup::cgroup_id(view.unified);
                record.cgroup.driver = parse_driver_kind(parent.driver);
            } catch (const std::exception&) {
                continue;
            }
            record.boot_id = record.cgroup.boot_id = current_boot_id();
            auto pids = view.processes();
            record.pid = pids.empty() ? 1 : pids.front();
            record.command = "(unknown: recovered from the cgroup tree)";
            struct stat st;  // the cgroup was made when the run started
            if (::stat(view.unified.c_str(), &st) == 0)
                record.started = static_cast<double>(st.st_mtime);
            if (parent.driver != "systemd") record.dirs.push_back(view.unified);
            return record;
        }
    }
    return std::nullopt;
}

// Removes the directories of a dead run's cgroup (direct drivers only: a scope is
// systemd's to remove). rmdir refuses a cgroup that still has processes, so this can
// never remove a live run's cgroup.
void remove_dead_dirs(const OwnerRecord& record) {
    if (record.cgroup.driver == DriverKind::systemd) {
        // systemd removes an empty scope, but a user manager on a hybrid host leaves its v1
        // memory twin behind (the driver removes it when the run ends normally; after a
        // supervisor was killed, whoever reaps the record does). rmdir refuses a busy one.
        // The scope is empty and systemd is about to remove it: its twins go only after
        // that (removing them first confuses systemd's own clean-up). Bounded; a later
        // reaper sweeps what is still there then.
        if (!cgroup::wait_until_removed(record.cgroup.path, std::chrono::milliseconds(500))) return;
        for (const auto& twin : cgroup::Layout::current().v1_twins(record.cgroup.path))
            cgroup::remove_cgroup_dir(twin);
        return;
    }
    for (auto it = record.dirs.rbegin(); it != record.dirs.rend(); ++it) ::rmdir(it->c_str());
    // and the "supervise" parents, when no other run uses them
    for (const auto& dir : record.dirs) ::rmdir(dir.substr(0, dir.rfind('/')).c_str());
}

}  // namespace

void warn_to_stderr(const std::string& text) {
    std::fprintf(stderr, "supervise: warning: %s\n", text.c_str());
}

PoolPaths pool_paths(const std::string& state_dir, const std::string& name) {
    return {name, state_dir + "/locks/" + encode_pool_name(name)};
}

bool pool_exists(const PoolPaths& paths) {
    struct stat st;
    return ::lstat(paths.dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void ensure_pool(const PoolPaths& paths) {
    sys::make_private_dir(paths.dir.substr(0, paths.dir.rfind('/')));
    sys::make_private_dir(paths.dir);
    sys::make_private_dir(paths.queue());
    auto stored = sys::try_read_file(paths.file("name"));
    if (!stored) {
        sys::write_file_atomic(paths.file("name"), paths.name, 0600, false);
    } else if (*stored != paths.name) {
        throw Error("lock name '" + paths.name + "' collides with the stored lock '" + *stored +
                    "' in " + paths.dir + " (use another name)");
    }
}

PoolLock::PoolLock(const PoolPaths& paths) {
    std::string path = paths.file("lock");
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd_) throw SystemError("open lock file", path, errno);
    int rc;
    do {
        rc = ::flock(fd_.get(), LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) throw SystemError("lock", path, errno);
}

unsigned read_slot_count(const PoolPaths& paths) {
    auto count = sys::parse_u64(sys::try_read_file(paths.file("slots")).value_or(""));
    return count && *count > 0 && *count < 1000000 ? static_cast<unsigned>(*count) : 1;
}

void write_slot_count(const PoolPaths& paths, unsigned slots) {
    if (read_slot_count(paths) != slots || !sys::path_exists(paths.file("slots")))
        sys::write_file_atomic(paths.file("slots"), std::to_string(slots) + "\n", 0600, false);
}

void remember_parent(const PoolPaths& paths, const std::string& driver, const std::string& dir) {
    auto parents = read_parents(paths);
    for (const auto& p : parents)
        if (p.driver == driver && p.dir == dir) return;
    std::string text = sys::try_read_file(paths.file("parents")).value_or("");
    sys::write_file_atomic(paths.file("parents"), text + driver + " " + dir + "\n", 0600, false);
}

bool ticket_is_live(const std::string& path) {
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return false;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return false;  // nobody holds it: dead
    return errno == EWOULDBLOCK;
}

std::optional<Ticket> parse_ticket(const std::string& path, const std::string& leaf) {
    Ticket ticket;
    ticket.path = path;
    auto dash = leaf.find('-');
    if (dash == std::string::npos) return std::nullopt;
    auto seq = sys::parse_u64(leaf.substr(0, dash));
    auto pid = sys::parse_u64(leaf.substr(dash + 1));
    if (!seq || !pid) return std::nullopt;
    ticket.seq = *seq;
    ticket.pid = static_cast<pid_t>(*pid);
    std::istringstream in(sys::try_read_file(path).value_or(""));
    std::string line;
    while (std::getline(in, line)) {
        auto equals = line.find('=');
        if (equals == std::string::npos) continue;
        std::string key = line.substr(0, equals), value = line.substr(equals + 1);
        if (key == "since")
            ticket.since = static_cast<double>(sys::parse_u64(value).value_or(0)) / 1000;
        else if (key == "command")
            ticket.command = value;
        else if (key == "cancelled")
            ticket.cancelled = true;
    }
    return ticket;
}

void ring(const Ticket& ticket) {
    sys::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, ticket.pid, 0)));
    if (!pidfd || !ticket_is_live(ticket.path)) return;  // gone, or its pid is someone else's
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), kDoorbellSignal, nullptr, 0);
}

void ring_successor(const PoolPaths& paths, std::uint64_t seq) {
    std::optional<Ticket> next;
    for (const auto& leaf : list_dir(paths.queue())) {
        auto ticket = parse_ticket(paths.queue() + "/" + leaf, leaf);
        if (ticket && ticket->seq > seq && (!next || ticket->seq < next->seq) &&
            ticket_is_live(ticket->path))
            next = ticket;
    }
    if (next) ring(*next);
}

PoolState scan_pool(const PoolPaths& paths, const std::function<void(const std::string&)>& warn) {
    PoolState state;
    state.slots = read_slot_count(paths);
    std::set<std::string> live_dirs;

    for (const auto& leaf : list_dir(paths.dir)) {
        if (leaf.rfind("slot-", 0) != 0 || leaf.find(".tmp") != std::string::npos) continue;
        auto slot_number = sys::parse_u64(leaf.substr(5));
        if (!slot_number || leaf.find_first_not_of("0123456789", 5) != std::string::npos) continue;
        int slot = static_cast<int>(*slot_number);
        std::string path = paths.record(slot);
        auto text = sys::try_read_file(path);
        if (!text) continue;
        auto record = parse_owner_record(*text);
        if (!record || record->slot != slot) {
            auto recovered = recover_from_tree(paths, slot);
            if (recovered) {
                warn("owner record " + path + " is corrupt; repaired from the cgroup tree (" +
                     recovered->cgroup.path + " holds slot " + std::to_string(slot) + ")");
                sys::write_file_atomic(path, serialize(*recovered), 0600, false);
                record = recovered;
            } else {
                warn("owner record " + path + " is corrupt and no run holds slot " +
                     std::to_string(slot) + "; removed it");
                ::unlink(path.c_str());
                continue;
            }
        }
        if (!owner_is_alive(*record)) {
            remove_dead_dirs(*record);
            ::unlink(path.c_str());
            continue;
        }
        for (const auto& dir : record->dirs) live_dirs.insert(dir);
        live_dirs.insert(record->cgroup.path);
        state.holders[slot] = *record;
    }

    // Empty cgroups left by a supervisor that was killed -9. rmdir fails on a cgroup with
    // processes, so a run being set up elsewhere is safe -- and runs of this pool are only
    // set up under this lock. systemd removes its empty scopes itself, except the v1 memory
    // twin a user manager on a hybrid host leaves behind: those are swept here too.
    std::string prefix = "lock-" + pool_hash(paths.name) + "-";
    const auto& layout = cgroup::Layout::current();
    for (const auto& parent : read_parents(paths)) {
        bool scopes = parent.driver == "systemd";
        std::vector<std::string> dirs{parent.dir};
        if (scopes) dirs = layout.v1_twins(parent.dir);
        std::string leaf_prefix = scopes ? "supervise-" + prefix : prefix;
        for (const auto& dir : dirs) {
            for (const auto& leaf : list_dir(dir)) {
                std::string path = dir + "/" + leaf;
                // a scope's v1 twins only once systemd is done with the scope itself
                if (leaf.rfind(leaf_prefix, 0) != 0 || live_dirs.count(path) ||
                    live_dirs.count(parent.dir + "/" + leaf) ||
                    (scopes && sys::path_exists(parent.dir + "/" + leaf)))
                    continue;
                cgroup::remove_cgroup_dir(path);
            }
            if (!scopes) ::rmdir(dir.c_str());  // fails while any run uses it
        }
    }

    for (const auto& leaf : list_dir(paths.queue())) {
        std::string path = paths.queue() + "/" + leaf;
        auto ticket = parse_ticket(path, leaf);
        if (!ticket || !ticket_is_live(path)) {
            ::unlink(path.c_str());
            continue;
        }
        state.tickets.push_back(*ticket);
    }
    std::sort(state.tickets.begin(), state.tickets.end(),
              [](const Ticket& a, const Ticket& b) { return a.seq < b.seq; });
    return state;
}

}  // namespace supervise::lock
