// Waiting for a slot: FIFO tickets, event-driven wake-ups, grants.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "lock/names.h"
#include "lock/owner_record.h"
#include "lock/pool.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "sys/events.h"
#include "sys/files.h"

namespace supervise {

namespace {

using Clock = std::chrono::steady_clock;

std::string holder_text(const OwnerRecord& holder) {
    std::string command =
        holder.command.size() > 40 ? holder.command.substr(0, 37) + "..." : holder.command;
    std::string who = holder.kind == OwnerRecord::Kind::run ? "run " : "process ";
    return who + std::to_string(holder.pid) + " '" + command + "' for " +
           format_duration(std::max(0.0, lock::unix_now() - holder.started));
}

}  // namespace

class SlotGrant::Impl {
  public:
    lock::PoolPaths paths;
    std::optional<lock::PoolLock> pool_lock;
    sys::UniqueFd ticket_fd;
    std::string ticket_path;
    std::uint64_t ticket_seq = 0;
    std::string command;
    int slot = 0;
    double wait_seconds = 0;
    std::string cgroup_name;
    bool committed = false;
    // The head waiters' inotify instance. Closing one costs a grace period, so it goes with
    // the grant (after the run), not between the wake-up and the command's start.
    std::optional<sys::Inotify> inotify;

    void write(OwnerRecord record) {
        record.slot = slot;
        record.boot_id = current_boot_id();
        record.cgroup.boot_id = record.boot_id;
        record.supervisor_pid = ::getpid();
        record.command = command;
        record.started = lock::unix_now();
        sys::write_file_atomic(paths.record(slot), lock::serialize(record), 0600, false);
        committed = true;
        finish();
    }
    // Leaves the queue and the critical section, and tells the waiter behind us.
    void finish() {
        bool queued = !ticket_path.empty();
        if (queued) ::unlink(ticket_path.c_str());
        ticket_path.clear();
        ticket_fd.reset();
        pool_lock.reset();
        if (queued) lock::ring_successor(paths, ticket_seq);
    }
    ~Impl() { finish(); }
};

SlotGrant::SlotGrant(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SlotGrant::SlotGrant(SlotGrant&&) noexcept = default;
SlotGrant& SlotGrant::operator=(SlotGrant&&) noexcept = default;
SlotGrant::~SlotGrant() = default;
int SlotGrant::slot() const {
    return impl_->slot;
}
double SlotGrant::wait_seconds() const {
    return impl_->wait_seconds;
}
const std::string& SlotGrant::cgroup_name() const {
    return impl_->cgroup_name;
}

void SlotGrant::commit_run(const CgroupIdentity& identity, const std::vector<std::string>& dirs,
                           pid_t pid) {
    for (const auto& dir : dirs)
        lock::remember_parent(impl_->paths, to_string(identity.driver),
                              dir.substr(0, dir.rfind('/')));
    if (dirs.empty())
        lock::remember_parent(impl_->paths, to_string(identity.driver),
                              identity.path.substr(0, identity.path.rfind('/')));
    OwnerRecord record;
    record.kind = OwnerRecord::Kind::run;
    record.cgroup = identity;
    record.dirs = dirs;
    record.pid = pid;
    impl_->write(record);
}

void SlotGrant::commit_process(pid_t owner) {
    auto start = lock::process_start_time(owner);
    if (!start) throw UsageError("no process " + std::to_string(owner) + " to hold the lock");
    OwnerRecord record;
    record.kind = OwnerRecord::Kind::process;
    record.pid = owner;
    record.start_time = *start;
    impl_->write(record);
}

AcquireResult acquire_slot(const LockOptions& options) {
    auto paths = lock::pool_paths(options.state_dir, options.name);
    lock::ensure_pool(paths);
    auto begin = Clock::now();
    auto grant = std::make_unique<SlotGrant::Impl>();
    grant->paths = paths;
    grant->command = options.command;

    // Take a ticket: the queue's order is the ticket counter's.
    {
        lock::PoolLock pool_lock(paths);
        lock::write_slot_count(paths, options.slots);
        auto seq =
            sys::parse_u64(sys::try_read_file(paths.queue() + "/.seq").value_or("")).value_or(0) +
            1;
        sys::write_file_atomic(paths.queue() + "/.seq", std::to_string(seq) + "\n", 0600, false);
        char leaf[64];
        std::snprintf(leaf, sizeof leaf, "%012llu-%d", static_cast<unsigned long long>(seq),
                      ::getpid());
        grant->ticket_path = paths.queue() + "/" + leaf;
        grant->ticket_seq = seq;
        grant->ticket_fd.reset(::open(grant->ticket_path.c_str(),
                                      O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!grant->ticket_fd) throw SystemError("create ticket", grant->ticket_path, errno);
        if (::flock(grant->ticket_fd.get(), LOCK_EX | LOCK_NB) != 0)
            throw SystemError("lock ticket", grant->ticket_path, errno);
        std::string content =
            "since=" + std::to_string(static_cast<long long>(lock::unix_now() * 1000)) +
            "\ncommand=" + options.command + "\n";
        (void)!::write(grant->ticket_fd.get(), content.data(), content.size());
    }

    // The doorbell: a waiter leaving the queue (or kill-all) rings the one behind it.
    sys::SignalFd doorbell({lock::kDoorbellSignal});
    sys::TimerFd deadline, message_timer;
    if (options.wait && options.wait->count() > 0) deadline.arm(*options.wait);
    message_timer.arm(std::chrono::seconds(1));
    bool message_due = false;
    std::string last_message_key;
    auto waited = [&] { return std::chrono::duration<double>(Clock::now() - begin).count(); };

    for (;;) {
        lock::PoolLock pool_lock(paths);
        auto state = lock::scan_pool(paths, lock::warn_to_stderr);
        auto mine =
            std::find_if(state.tickets.begin(), state.tickets.end(),
                         [&](const lock::Ticket& t) { return t.path == grant->ticket_path; });
        if (mine == state.tickets.end() || mine->cancelled) {
            { auto released = std::move(pool_lock); }
            grant->finish();
            return {AcquireOutcome::cancelled, std::nullopt, waited()};
        }
        auto ahead = static_cast<unsigned>(mine - state.tickets.begin());
        unsigned held = static_cast<unsigned>(state.holders.size());
        unsigned free = options.slots > held ? options.slots - held : 0;
        if (ahead < free) {
            int slot = 0;
            while (state.holders.count(slot)) ++slot;
            grant->slot = slot;
            grant->wait_seconds = waited();
            grant->cgroup_name =
                lock::slot_cgroup_prefix(options.name, slot) + std::to_string(::getpid()) + "-" +
                std::to_string(static_cast<long long>(lock::unix_now() * 1000) % 1000000);
            grant->pool_lock.emplace(std::move(pool_lock));
            if (options.on_wait_message && message_due) options.on_wait_message("");
            double seconds = grant->wait_seconds;
            return {AcquireOutcome::acquired, SlotGrant(std::move(grant)), seconds};
        }
        if (options.wait && options.wait->count() == 0) {
            { auto released = std::move(pool_lock); }
            grant->finish();
            return {AcquireOutcome::timed_out, std::nullopt, 0};
        }

        // What can change our standing, and nothing else (no thundering herd): the first
        // `slots` waiters watch the holders and the pool's records (inotify); the others
        // watch only the waiter just ahead (its pidfd: it died) and the doorbell (it left
        // the queue). So a queue of hundreds needs no inotify instance per waiter.
        sys::Epoll epoll;
        std::vector<sys::UniqueFd> pidfds;
        bool changed = false;
        bool head = ahead < options.slots;
        if (head) {
            if (!grant->inotify) grant->inotify.emplace();
            sys::Inotify& inotify = *grant->inotify;
            inotify.unwatch_all();
            // Records appear by rename and go by unlink. Not IN_CLOSE_WRITE: every open of
            // the pool's lock file (ours included) would wake us.
            inotify.watch(paths.dir, IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM);
            for (const auto& [slot, holder] : state.holders) {
                if (holder.kind == OwnerRecord::Kind::run) {
                    try {
                        inotify.watch(holder.cgroup.path + "/cgroup.events", IN_MODIFY);
                    } catch (const SystemError&) {
                        changed = true;  // gone already
                    }
                } else {
                    sys::UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, holder.pid, 0)));
                    if (!fd)
                        changed = true;
                    else
                        pidfds.push_back(std::move(fd));
                }
                // Re-check after arming: an exit between the scan and the watch is not lost.
                if (!lock::owner_is_alive(holder)) changed = true;
            }
            epoll.add(inotify.fd(), 0);
        } else {
            const auto& before = *(mine - 1);
            sys::UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, before.pid, 0)));
            if (!fd || !lock::ticket_is_live(before.path))
                changed = true;
            else
                pidfds.push_back(std::move(fd));
        }

        if (message_due && options.on_wait_message) {
            std::string key = std::to_string(ahead);
            std::string text;
            if (!options.wait_message.empty()) {
                text = options.wait_message;
                key = "custom";
            } else {
                text = "waiting for lock " + options.name + " (" + std::to_string(ahead) + " ahead";
                if (!state.holders.empty()) {
                    const auto& first = state.holders.begin()->second;
                    key += "/" + std::to_string(first.pid) + "/" +
                           std::to_string(state.holders.size());
                    text += "; held by " + holder_text(first);
                    if (state.holders.size() > 1)
                        text += " and " + std::to_string(state.holders.size() - 1) + " more";
                }
                text += ")";
            }
            if (key != last_message_key) options.on_wait_message(text);
            last_message_key = key;
        }
        // Leave the critical section before sleeping.
        { auto released = std::move(pool_lock); }
        if (changed) continue;

        enum : std::uint64_t { kChange, kDeadline, kMessage, kDoorbell };
        for (const auto& fd : pidfds) epoll.add(fd.get(), kChange);
        epoll.add(doorbell.fd(), kDoorbell);
        if (options.wait) epoll.add(deadline.fd(), kDeadline);
        if (!message_due) epoll.add(message_timer.fd(), kMessage);
        bool woken = false;
        while (!woken) {
            for (auto tag : epoll.wait(-1)) {
                if (tag == kDeadline && deadline.consume()) {
                    grant->finish();
                    if (options.on_wait_message && message_due) options.on_wait_message("");
                    return {AcquireOutcome::timed_out, std::nullopt, waited()};
                }
                if (tag == kMessage && message_timer.consume()) {
                    message_due = true;
                    woken = true;
                }
                if (tag == kDoorbell) {
                    signalfd_siginfo info;
                    while (doorbell.read(info)) {
                    }
                    woken = true;
                }
                if (tag == kChange) woken = true;
            }
            if (head && grant->inotify) grant->inotify->drain();
        }
    }
}

}  // namespace supervise
