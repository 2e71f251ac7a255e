#include "pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "names.h"
#include "owner_record.h"
#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "supervise/record.h"
#include "supervise/sys/files.h"
#include "supervise/sys/process.h"

namespace supervise::lock {

namespace {

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    for (auto& entry : sys::list_directory(path)) names.push_back(std::move(entry.name));
    return names;
}

std::vector<RunCgroupBase> read_parents(const PoolPaths& paths) {
    std::vector<RunCgroupBase> parents;
    std::istringstream in(sys::read_state_file(paths.file("parents")).value_or(""));
    std::string driver, dir;
    while (in >> driver && std::getline(in >> std::ws, dir)) {
        try {
            if (dir.starts_with("/")) parents.push_back({parse_driver_kind(driver), dir});
        } catch (const UsageError&) {
            // a garbled line: the bases the caller's options reach still count
        }
    }
    return parents;
}

// Where runs of this pool may have their cgroups: the parents they remembered, and the
// bases the caller's driver options reach (for when the parents file is lost or garbled).
std::vector<RunCgroupBase> known_parents(const PoolPaths& paths,
                                         const std::vector<RunCgroupBase>& bases) {
    auto all = bases;
    for (auto& parent : read_parents(paths)) {
        bool known = std::any_of(all.begin(), all.end(), [&](const RunCgroupBase& b) {
            return b.driver == parent.driver && b.dir == parent.dir;
        });
        if (!known) all.push_back(std::move(parent));
    }
    return all;
}

// The slot a run cgroup (or scope) of this pool holds, read from its name
// ("lock-<hash>-s<N>-..."; systemd's "supervise-lock-...scope"); nothing for any other name.
std::optional<int> slot_of_leaf(const std::string& pool_prefix, const std::string& leaf) {
    std::string_view bare = leaf;
    if (bare.starts_with("supervise-")) bare.remove_prefix(10);
    if (!bare.starts_with(pool_prefix) || bare.size() <= pool_prefix.size() ||
        bare[pool_prefix.size()] != 's')
        return std::nullopt;
    bare.remove_prefix(pool_prefix.size() + 1);
    auto dash = bare.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto slot = parse_whole_number(std::string(bare.substr(0, dash)));
    if (!slot || *slot > 1000000) return std::nullopt;
    return static_cast<int>(*slot);
}

std::string leaf_of(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// Whether a record names only cgroups of its own pool and slot: nothing else is ever
// signalled or removed on a record's word.
bool names_own_slot(const PoolPaths& paths, const OwnerRecord& record) {
    if (record.kind != OwnerRecord::Kind::run) return true;
    std::string prefix = pool_cgroup_prefix(paths.name);
    if (slot_of_leaf(prefix, leaf_of(record.cgroup.path)) != record.slot) return false;
    return std::all_of(record.dirs.begin(), record.dirs.end(), [&](const std::string& dir) {
        return slot_of_leaf(prefix, leaf_of(dir)) == record.slot;
    });
}

// The populated cgroups of this pool, found in the tree by their names, by slot: whatever
// the state directory says, each of them holds its slot (a run's cgroup is named after
// its pool and slot for exactly this). Cheap: what a look needs, no more.
}  // namespace

std::map<int, OwnerRecord> holders_in_tree(const PoolPaths& paths,
                                           const std::vector<RunCgroupBase>& bases) {
    std::map<int, OwnerRecord> found;
    std::string prefix = pool_cgroup_prefix(paths.name);
    for (const auto& parent : known_parents(paths, bases)) {
        bool scopes = parent.driver == DriverKind::systemd;
        for (const auto& leaf : list_dir(parent.dir)) {
            auto slot = slot_of_leaf(prefix, leaf);
            if (!slot || found.count(*slot) || scopes != leaf.starts_with("supervise-")) continue;
            CgroupView view(parent.dir + "/" + leaf);
            // Ours only: another user's run of a lock of that name (in a base we share) is
            // in her state directory, not ours.
            struct stat st;
            if (::stat(view.unified.c_str(), &st) != 0 || st.st_uid != ::geteuid() ||
                !view.populated())
                continue;
            OwnerRecord record;
            record.kind = OwnerRecord::Kind::run;
            record.slot = *slot;
            record.cgroup.path = view.unified;
            record.cgroup.driver = parent.driver;
            if (scopes) record.cgroup.unit = leaf;
            try {
                record.cgroup.id = cgroup_id(view.unified);
            } catch (const SystemError&) {
                continue;  // gone meanwhile
            }
            record.boot_id = record.cgroup.boot_id = current_boot_id();
            record.pid = 1;  // (the rest only when a record is rebuilt: complete_from_tree)
            found[*slot] = record;
        }
    }
    return found;
}

namespace {

// The rest of a record found in the tree, for writing it: a pid of the run, when it began
// (its cgroup was made then), every directory of it (a search of the v1 hierarchies: only
// when a record is rebuilt, never on every look).
OwnerRecord complete_from_tree(OwnerRecord record) {
    CgroupView view(record.cgroup.path);
    auto pids = view.processes();
    record.pid = pids.empty() ? 1 : pids.front();
    record.command = "(unknown: recovered from the cgroup tree)";
    struct stat st;
    if (::stat(view.unified.c_str(), &st) == 0) record.started = static_cast<double>(st.st_mtime);
    if (record.cgroup.driver != DriverKind::systemd) record.dirs = run_directories(view.unified);
    return record;
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
        if (!wait_until_removed(record.cgroup.path, std::chrono::milliseconds(500))) return;
        for (const auto& twin : v1_twins(record.cgroup.path)) remove_cgroup_dir(twin);
        return;
    }
    remove_run_directories(record.dirs);
}

}  // namespace

PoolPaths pool_paths(const std::string& state_dir, const std::string& name) {
    return {name, state_dir + "/locks/" + encode_file_name(name)};
}

bool pool_exists(const PoolPaths& paths) {
    struct stat st;
    return ::lstat(paths.dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<sys::FileLock> lock_pool(const PoolPaths& paths) {
    std::string path = paths.file("lock");
    if (!pool_exists(paths)) return std::nullopt;
    check_pool_owner(paths);
    auto lock = sys::FileLock::wait(path, false);
    // Gone before we could open it, or removed while we waited: our lock is then on a
    // file nobody else will open any more.
    if (!lock || !lock->still_at(path)) return std::nullopt;
    return lock;
}

sys::FileLock open_pool(const PoolPaths& paths) {
    for (;;) {
        std::optional<sys::FileLock> lock;
        try {
            sys::make_private_dir(paths.dir.substr(0, paths.dir.rfind('/')));
            sys::make_private_dir(paths.dir);
            lock = sys::FileLock::wait(paths.file("lock"), true);
        } catch (const Error&) {
            if (pool_exists(paths)) throw;
            continue;  // an unused pool was removed between our mkdir and our open
        }
        if (!lock || !lock->still_at(paths.file("lock")))
            continue;  // removed while we waited for its lock: make it again
        // Under the lock, nobody removes what we make now.
        sys::make_private_dir(paths.queue());
        check_name(paths);
        return std::move(*lock);
    }
}

bool forget_if_unused(const PoolPaths& paths) {
    for (const auto& leaf : list_dir(paths.dir))
        if (leaf.starts_with("slot-") && leaf.find(".tmp") == std::string::npos) return false;
    if (!list_dir(paths.queue()).empty()) return false;
    // Cgroups of this pool still in the tree (a v1 twin systemd has not let go of yet):
    // the parents file is what lets a later look sweep them, so the pool stays.
    std::string prefix = pool_cgroup_prefix(paths.name);
    for (const auto& parent : read_parents(paths)) {
        bool scopes = parent.driver == DriverKind::systemd;
        for (const auto& dir : scopes ? v1_twins(parent.dir) : std::vector<std::string>{parent.dir})
            for (const auto& leaf : list_dir(dir))
                if (leaf.starts_with(scopes ? "supervise-" + prefix : prefix)) return false;
    }
    sys::remove_directory(paths.queue());
    for (const auto& entry : sys::list_directory(paths.dir, true))
        if (entry.name != "lock") ::unlink(paths.file(entry.name).c_str());
    // The lock file last, then the directory once, as it is: whoever opened the path in
    // between holds a new lock file there and makes the pool anew.
    ::unlink(paths.file("lock").c_str());
    ::rmdir(paths.dir.c_str());
    return true;
}

void check_name(const PoolPaths& paths) {
    auto stored = sys::read_state_file(paths.file("name"));
    // Missing or garbled (a name that is not this directory's): the directory's name is
    // the encoded name the caller gave, so the name file is rebuilt from it. Only another
    // name of the same encoding (two long names hashed alike) is a collision.
    if (!stored || *stored != paths.name) {
        if (stored && !stored->empty() && leaf_of(paths.dir) == encode_file_name(*stored))
            throw Error("lock name '" + paths.name + "' collides with the stored lock '" + *stored +
                        "' in " + paths.dir + " (use another name)");
        sys::write_file_atomic(paths.file("name"), paths.name, 0600, false);
    }
}

void check_pool_owner(const PoolPaths& paths) {
    struct stat st;
    if (::lstat(paths.dir.c_str(), &st) != 0) return;
    // Another user's pool (a shared state directory) is hers: root too never acts on what
    // someone else wrote.
    if (!S_ISDIR(st.st_mode) || (st.st_uid != ::geteuid() && st.st_uid != 0) || (st.st_mode & 022))
        throw UsageError("lock directory " + paths.dir + " is not a private directory of yours (" +
                         (S_ISDIR(st.st_mode) ? "uid " + std::to_string(st.st_uid) + ", mode " +
                                                    fmt::format("{:04o}", st.st_mode & 07777)
                                              : std::string("not a directory")) +
                         "); not touched");
}

std::optional<std::uint64_t> read_capacity(const PoolPaths& paths) {
    auto text = sys::read_state_file(paths.file("capacity"));
    if (!text) return std::nullopt;
    auto bytes = sys::parse_u64(*text);
    // A garbled budget must not open the pool wide: the least that means anything.
    return bytes && *bytes > 0 ? *bytes : std::uint64_t{1};
}

void write_capacity(const PoolPaths& paths, std::uint64_t capacity) {
    if (read_capacity(paths) != capacity)
        sys::write_file_atomic(paths.file("capacity"), std::to_string(capacity) + "\n", 0600,
                               false);
}

unsigned read_slot_count(const PoolPaths& paths) {
    auto count = sys::parse_u64(sys::read_state_file(paths.file("slots")).value_or(""));
    return count && *count > 0 && *count < 1000000 ? static_cast<unsigned>(*count) : 1;
}

void write_slot_count(const PoolPaths& paths, unsigned slots) {
    if (read_slot_count(paths) != slots || !sys::path_exists(paths.file("slots")))
        sys::write_file_atomic(paths.file("slots"), std::to_string(slots) + "\n", 0600, false);
}

void remember_parent(const PoolPaths& paths, const std::string& driver, const std::string& dir) {
    auto parents = read_parents(paths);
    for (const auto& p : parents)
        if (to_string(p.driver) == driver && p.dir == dir) return;
    std::string text = sys::read_state_file(paths.file("parents")).value_or("");
    sys::write_file_atomic(paths.file("parents"), text + driver + " " + dir + "\n", 0600, false);
}

TakenTicket take_ticket(const PoolPaths& paths, const Ticket& asked) {
    std::string counter = paths.queue() + "/.seq";
    auto seq = sys::parse_u64(sys::read_state_file(counter).value_or("")).value_or(0) + 1;
    sys::write_file_atomic(counter, std::to_string(seq) + "\n", 0600, false);
    Ticket ticket = asked;
    ticket.seq = seq;
    ticket.pid = ::getpid();
    ticket.path = paths.queue() + "/" + fmt::format("{:012}-{}", seq, ticket.pid);
    ticket.since = unix_now();
    auto lock = sys::FileLock::create_exclusive(ticket.path, "ticket");
    RecordWriter text;
    text.field("since", static_cast<long long>(ticket.since * 1000))
        .field("command", clip(ticket.command));
    // (what a plain FIFO waiter needs is its name alone: no more text than before)
    if (ticket.priority != 0) text.field("priority", ticket.priority);
    if (ticket.priority != 0 || ticket.aging != kDefaultAging)
        text.field("aging_ms", static_cast<long long>(ticket.aging * 1000));
    if (ticket.need) text.field("need", ticket.need);
    if (ticket.backfill) text.field("backfill", 1);
    std::string written = text.finish();
    (void)!::write(lock.fd(), written.data(), written.size());
    return {std::move(ticket), std::move(lock)};
}

long effective_priority(const Ticket& ticket, double now) {
    return queue_priority(ticket.priority, now - ticket.since, ticket.aging);
}

void order_queue(std::vector<Ticket>& tickets, double now) {
    // A plain queue is FIFO by ticket number alone: waiting times (and a clock that stepped
    // back between two arrivals) cannot reorder it.
    if (plain_queue(tickets)) {
        std::sort(tickets.begin(), tickets.end(),
                  [](const Ticket& a, const Ticket& b) { return a.seq < b.seq; });
        return;
    }
    std::sort(tickets.begin(), tickets.end(), [&](const Ticket& a, const Ticket& b) {
        auto pa = effective_priority(a, now), pb = effective_priority(b, now);
        return pa != pb ? pa > pb : a.seq < b.seq;
    });
}

bool may_backfill(std::uint64_t ours, std::uint64_t head, std::uint64_t left,
                  const std::map<int, OwnerRecord>& holders) {
    if (ours > left) return false;
    if (head <= left) return head <= left - ours;
    if (holders.empty()) return false;
    std::uint64_t smallest = UINT64_MAX;
    for (const auto& [slot, holder] : holders) smallest = std::min(smallest, holder.reserved);
    // ours + head <= left + smallest, without overflow
    return head - left <= smallest && ours <= smallest - (head - left);
}

bool plain_queue(const std::vector<Ticket>& tickets) {
    return std::all_of(tickets.begin(), tickets.end(), [&](const Ticket& t) {
        return t.priority == 0 && !t.backfill && t.aging == tickets.front().aging;
    });
}

std::optional<double> next_reorder(const std::vector<Ticket>& tickets, double now) {
    // Equal priorities and equal agings rise alike: their order never changes.
    bool alike = std::all_of(tickets.begin(), tickets.end(), [&](const Ticket& t) {
        return t.priority == tickets.front().priority && t.aging == tickets.front().aging;
    });
    if (alike) return std::nullopt;
    std::optional<double> next;
    for (const auto& t : tickets) {
        if (t.aging <= 0) continue;
        double steps = std::floor(std::max(0.0, now - t.since) / t.aging) + 1;
        double at = t.since + steps * t.aging;
        if (!next || at < *next) next = at;
    }
    return next;
}

std::optional<Ticket> read_ticket(const PoolPaths& paths, const std::string& leaf) {
    Ticket ticket;
    ticket.path = paths.queue() + "/" + leaf;
    auto dash = leaf.find('-');
    if (dash == std::string::npos) return std::nullopt;
    auto seq = parse_whole_number(leaf.substr(0, dash));
    auto pid = parse_whole_number(leaf.substr(dash + 1));
    if (!seq || !pid) return std::nullopt;
    ticket.seq = *seq;
    ticket.pid = static_cast<pid_t>(*pid);
    // A ticket's name and lock are what count; its text is for `list` and wait messages
    // ("cancelled=1" is appended by kill-all).
    for (const auto& [key, value] : record_lines(sys::read_state_file(ticket.path).value_or(""))) {
        if (key == "since")
            ticket.since = static_cast<double>(parse_whole_number(value).value_or(0)) / 1000;
        else if (key == "command")
            ticket.command = unescape_value(value);
        else if (key == "cancelled")
            ticket.cancelled = true;
        else if (key == "priority")
            ticket.priority = parse_priority(value).value_or(0);  // (garbled: 0)
        else if (key == "aging_ms")
            ticket.aging = static_cast<double>(parse_whole_number(value).value_or(0)) / 1000;
        else if (key == "need")
            ticket.need = parse_whole_number(value).value_or(0);
        else if (key == "backfill")
            ticket.backfill = value == "1";
    }
    if (ticket.aging <= 0) ticket.aging = kDefaultAging;  // (garbled: the default)
    ticket.aging = std::max(ticket.aging, kLeastAging);
    return ticket;
}

void ring(const Ticket& ticket) {
    auto pidfd = sys::Pidfd::open(ticket.pid);
    // gone, or its pid is someone else's now
    if (pidfd && ticket_is_live(ticket.path)) pidfd.send_signal(kDoorbellSignal);
}

void ring_all(const PoolPaths& paths) {
    for (const auto& leaf : list_dir(paths.queue()))
        if (auto ticket = read_ticket(paths, leaf); ticket && ticket->pid != ::getpid())
            ring(*ticket);
}

void ring_successor(const PoolPaths& paths, std::uint64_t seq) {
    std::optional<Ticket> next;
    for (const auto& leaf : list_dir(paths.queue())) {
        auto ticket = read_ticket(paths, leaf);
        if (ticket && ticket->seq > seq && (!next || ticket->seq < next->seq) &&
            ticket_is_live(ticket->path))
            next = ticket;
    }
    if (next) ring(*next);
}

PoolState scan_pool(const PoolPaths& paths, const std::vector<RunCgroupBase>& bases,
                    const WarningSink& warn) {
    auto say = [&](const std::string& text) {
        if (warn) warn(text);
    };
    PoolState state;
    state.slots = read_slot_count(paths);
    state.capacity = read_capacity(paths);
    std::set<std::string> live_dirs;
    // The tree is the truth: a record that is lost, garbled, unreadable, written by someone
    // else or naming another cgroup never frees a slot whose cgroup is populated.
    auto tree = holders_in_tree(paths, bases);
    auto rebuild = [&](int slot, const std::string& why) {
        auto found = complete_from_tree(tree.at(slot));
        say("owner record " + paths.record(slot) + " " + why + "; rebuilt from the cgroup tree (" +
            found.cgroup.path + " holds slot " + std::to_string(slot) + ")");
        try {
            sys::write_file_atomic(paths.record(slot), serialize(found), 0600, false);
            // and where it is, for whoever looks from another cgroup
            std::string parent = found.cgroup.path.substr(0, found.cgroup.path.rfind('/'));
            remember_parent(paths, to_string(found.cgroup.driver), parent);
        } catch (const SystemError& e) {
            // (a full or read-only state directory: the slot is held all the same)
            say(std::string("cannot rewrite it: ") + e.what());
        }
        return found;
    };

    for (const auto& leaf : list_dir(paths.dir)) {
        if (leaf.rfind("slot-", 0) != 0 || leaf.find(".tmp") != std::string::npos) continue;
        auto slot_number = parse_whole_number(leaf.substr(5));
        if (!slot_number || *slot_number > 1000000) continue;
        int slot = static_cast<int>(*slot_number);
        std::string path = paths.record(slot);
        auto text = sys::read_state_file(path);
        std::optional<OwnerRecord> record;
        if (!text) {
            if (!sys::path_exists(path)) continue;  // released meanwhile
            if (tree.count(slot)) {
                record = rebuild(slot, "cannot be read");
            } else {
                // Perhaps a foreground owner's: held, until someone fixes or removes it.
                say("owner record " + path + " cannot be read; slot " + std::to_string(slot) +
                    " stays held until it is readable or removed");
                OwnerRecord unknown;
                unknown.kind = OwnerRecord::Kind::process;
                unknown.slot = slot;
                unknown.command = "(unknown: owner record cannot be read)";
                struct stat st;  // (the record's age is the holder's, near enough)
                unknown.started =
                    ::lstat(path.c_str(), &st) == 0 ? static_cast<double>(st.st_mtime) : unix_now();
                state.holders[slot] = unknown;
                continue;
            }
        } else {
            record = parse_owner_record(*text);
            if (record && (record->slot != slot || !names_own_slot(paths, *record))) record.reset();
        }
        if (!record) {
            if (tree.count(slot)) {
                record = rebuild(slot, "is corrupt");
            } else {
                say("owner record " + path + " is corrupt and no run holds slot " +
                    std::to_string(slot) + "; removed it");
                ::unlink(path.c_str());
                continue;
            }
        }
        if (!owner_is_alive(*record)) {
            remove_dead_dirs(*record);
            // (the tree's entry is this very run when it ended since the tree was read)
            if (tree.count(slot) && tree.at(slot).cgroup.id != record->cgroup.id) {
                record = rebuild(slot, "names a run that has ended");
            } else {
                ::unlink(path.c_str());
                continue;
            }
        }
        for (const auto& dir : record->dirs) live_dirs.insert(dir);
        live_dirs.insert(record->cgroup.path);
        state.holders[slot] = *record;
    }
    // Slots whose cgroup is populated and whose record is gone (deleted, or the whole state
    // directory wiped under a live run). A lost slot count is at least what is held.
    for (const auto& [slot, found] : tree) {
        if (state.holders.count(slot)) continue;
        auto record = rebuild(slot, "is missing");
        for (const auto& dir : record.dirs) live_dirs.insert(dir);
        live_dirs.insert(record.cgroup.path);
        state.holders[slot] = record;
    }
    if (!state.holders.empty())
        state.slots =
            std::max(state.slots, static_cast<unsigned>(state.holders.rbegin()->first + 1));
    for (auto& [slot, holder] : state.holders) {
        // A holder whose reservation is unknown (its record rebuilt from the tree, an
        // unreadable one) counts as the whole budget: never admit past it.
        if (state.capacity && holder.reserved == 0) holder.reserved = *state.capacity;
        // (saturating: holders counted as whole, huge budgets never wrap round to "free")
        state.reserved = holder.reserved > UINT64_MAX - state.reserved
                             ? UINT64_MAX
                             : state.reserved + holder.reserved;
    }

    // Empty cgroups left by a supervisor that was killed -9. rmdir fails on a cgroup with
    // processes, so a run being set up elsewhere is safe -- and runs of this pool are only
    // set up under this lock. systemd removes its empty scopes itself, except the v1 memory
    // twin a user manager on a hybrid host leaves behind: those are swept here too.
    std::string prefix = pool_cgroup_prefix(paths.name);
    for (const auto& parent : known_parents(paths, bases)) {
        bool scopes = parent.driver == DriverKind::systemd;
        std::vector<std::string> dirs{parent.dir};
        if (scopes) dirs = v1_twins(parent.dir);
        std::string leaf_prefix = scopes ? "supervise-" + prefix : prefix;
        for (const auto& dir : dirs) {
            for (const auto& leaf : list_dir(dir)) {
                std::string path = dir + "/" + leaf;
                // a scope's v1 twins only once systemd is done with the scope itself
                if (leaf.rfind(leaf_prefix, 0) != 0 || live_dirs.count(path) ||
                    live_dirs.count(parent.dir + "/" + leaf) ||
                    (scopes && sys::path_exists(parent.dir + "/" + leaf)))
                    continue;
                remove_cgroup_dir(path);
            }
            if (!scopes) remove_if_unused(dir);
        }
    }

    for (const auto& leaf : list_dir(paths.queue())) {
        auto ticket = read_ticket(paths, leaf);
        if (!ticket || !ticket_is_live(ticket->path)) {
            ::unlink((paths.queue() + "/" + leaf).c_str());
            continue;
        }
        state.tickets.push_back(*ticket);
    }
    order_queue(state.tickets, unix_now());
    return state;
}

}  // namespace supervise::lock
