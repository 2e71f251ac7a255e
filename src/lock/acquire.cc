// Waiting for a slot: FIFO tickets, event-driven wake-ups, grants.

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "names.h"
#include "owner_record.h"
#include "pool.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "supervise/record.h"
#include "supervise/sys/events.h"
#include "supervise/sys/files.h"
#include "supervise/sys/process.h"

namespace supervise {

namespace {

using Clock = std::chrono::steady_clock;

std::string holder_text(const OwnerRecord& holder) {
    std::string command =
        holder.command.size() > 40 ? holder.command.substr(0, 37) + "..." : holder.command;
    std::string who = holder.kind == OwnerRecord::Kind::run ? "run " : "process ";
    return who + std::to_string(holder.pid) + " '" + command + "' for " +
           format_duration(std::max(0.0, unix_now() - holder.started));
}

}  // namespace

class SlotGrant::Impl {
  public:
    lock::PoolPaths paths;
    std::optional<sys::FileLock> pool_lock;
    std::optional<lock::TakenTicket> ticket;  // while queued
    std::string command;
    int slot = 0;
    double wait_seconds = 0;
    std::string cgroup_name;
    std::uint64_t reserved = 0;  // of the pool's memory budget
    bool committed = false;
    // The head waiters' inotify instance. Closing one costs a grace period, so it goes with
    // the grant (after the run), not between the wake-up and the command's start.
    std::optional<sys::Inotify> inotify;

    void write(OwnerRecord record) {
        record.slot = slot;
        record.reserved = reserved;
        record.boot_id = current_boot_id();
        record.cgroup.boot_id = record.boot_id;
        record.supervisor_pid = ::getpid();
        record.command = command;
        record.started = unix_now();
        sys::write_file_atomic(paths.record(slot), lock::serialize(record), 0600, false);
        committed = true;
        finish();
    }
    // Leaves the queue and the critical section, and tells the waiter behind us.
    void finish() {
        std::optional<std::uint64_t> left;
        if (ticket) {
            ::unlink(ticket->ticket.path.c_str());
            left = ticket->ticket.seq;
            ticket.reset();
        }
        pool_lock.reset();
        if (left) lock::ring_successor(paths, *left);
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
std::uint64_t SlotGrant::reserved() const {
    return impl_->reserved;
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
    auto start = sys::process_start_time(owner);
    if (!start) throw UsageError("no process " + std::to_string(owner) + " to hold the lock");
    OwnerRecord record;
    record.kind = OwnerRecord::Kind::process;
    record.pid = owner;
    record.start_time = *start;
    impl_->write(record);
}

namespace {

// One acquirer's stay in the queue: its ticket, its wake-ups, its messages.
class QueueStay {
  public:
    explicit QueueStay(const LockOptions& options)
        : options_(options),
          paths_(lock::pool_paths(options.state_dir, options.name)),
          grant_(std::make_unique<SlotGrant::Impl>()),
          doorbell_({lock::kDoorbellSignal}) {
        grant_->paths = paths_;
        grant_->command = options.command;
        if (options.wait && options.wait->count() > 0) deadline_.arm(*options.wait);
        message_timer_.arm(std::chrono::seconds(1));
    }

    // The pool's shape (slots, budget) is stored first, then the ticket that places us in
    // the queue. A run the budget cannot take changes nothing.
    void take_ticket() {
        bases_ = run_cgroup_bases(options_.driver);
        auto pool_lock = lock::open_pool(paths_);
        bool had_capacity = lock::read_capacity(paths_).has_value();
        capacity_ = options_.capacity ? options_.capacity : lock::read_capacity(paths_);
        if (capacity_) check_reservation(options_.name, *capacity_, options_.reservation);
        if (options_.capacity) lock::write_capacity(paths_, *options_.capacity);
        // Not given: the pool's own count; a new budget alone limits a pool it makes.
        unsigned slots = options_.slots;
        bool stored = sys::path_exists(paths_.file("slots"));
        if (slots == 0 && (!stored || (options_.capacity && !had_capacity)))
            slots = options_.capacity ? kUnlimitedSlots : 1;
        if (slots != 0) lock::write_slot_count(paths_, slots);
        grant_->reserved = capacity_ ? options_.reservation.value_or(0) : 0;
        lock::Ticket asked;
        asked.command = options_.command;
        asked.priority = options_.priority;
        asked.aging = options_.aging;
        // (what it would reserve, also before the pool has a budget: a budget given later
        // judges the queue by what its waiters really need)
        asked.need = options_.reservation.value_or(0);
        asked.backfill = options_.backfill;
        grant_->ticket = lock::take_ticket(paths_, asked);
        // Waiters that watch only the one ahead of them must now watch the whole queue.
        if (asked.priority != 0 || asked.backfill || asked.aging != kDefaultAging) {
            pool_lock.release();
            lock::ring_all(paths_);
        }
    }

    // One look at the pool under its lock: a result when the wait is over (granted,
    // cancelled, or not free on a try-once); else the watches for what can change that.
    std::optional<AcquireResult> look() {
        // (a pool with our live ticket in it is never removed as unused)
        auto locked = lock::lock_pool(paths_);
        if (!locked) return end(AcquireOutcome::cancelled);
        auto& pool_lock = *locked;
        auto state = lock::scan_pool(paths_, bases_, options_.on_warning);
        const auto& path = grant_->ticket->ticket.path;
        auto mine = std::find_if(state.tickets.begin(), state.tickets.end(),
                                 [&](const lock::Ticket& t) { return t.path == path; });
        if (mine == state.tickets.end() || mine->cancelled) {
            pool_lock.release();
            return end(AcquireOutcome::cancelled);
        }
        auto ahead = static_cast<unsigned>(mine - state.tickets.begin());
        // The pool as it is now: its budget or slot count may have been given anew.
        slots_ = lock::read_slot_count(paths_);
        if (state.capacity != capacity_) {
            capacity_ = state.capacity;
            if (capacity_) check_reservation(options_.name, *capacity_, options_.reservation);
            grant_->reserved = capacity_ ? options_.reservation.value_or(0) : 0;
        }
        if (auto granted = try_grant(state, ahead, pool_lock)) return granted;
        if (options_.wait && options_.wait->count() == 0) {
            pool_lock.release();
            return end(AcquireOutcome::timed_out);
        }
        arm_watches(state, ahead, mine == state.tickets.begin() ? nullptr : &*(mine - 1));
        say_progress(state, ahead);
        return std::nullopt;  // the critical section ends here, before any sleep
    }

    // Sleeps until something in the watches fires; a result when the deadline passed.
    std::optional<AcquireResult> wait() {
        if (changed_) return std::nullopt;
        enum : std::uint64_t { kChange, kDeadline, kMessage, kDoorbell, kReorder };
        sys::Epoll epoll;
        if (head_) epoll.add(grant_->inotify->fd(), kChange);
        if (reorder_armed_) epoll.add(reorder_timer_.fd(), kReorder);
        for (const auto& pidfd : pidfds_) epoll.add(pidfd.fd(), kChange);
        epoll.add(doorbell_.fd(), kDoorbell);
        if (options_.wait) epoll.add(deadline_.fd(), kDeadline);
        if (!message_due_) epoll.add(message_timer_.fd(), kMessage);
        for (bool woken = false; !woken;) {
            for (auto tag : epoll.wait(-1)) {
                if (tag == kDeadline && deadline_.consume()) return end(AcquireOutcome::timed_out);
                if (tag == kMessage && message_timer_.consume()) message_due_ = woken = true;
                if (tag == kDoorbell) {
                    signalfd_siginfo info;
                    while (doorbell_.read(info)) {
                    }
                    woken = true;
                }
                if (tag == kChange) woken = true;
                if (tag == kReorder && reorder_timer_.consume()) woken = true;
            }
            if (head_) grant_->inotify->drain();
        }
        return std::nullopt;
    }

  private:
    double waited() const { return std::chrono::duration<double>(Clock::now() - begin_).count(); }

    AcquireResult end(AcquireOutcome outcome) {
        grant_->finish();
        clear_message();
        return {outcome, std::nullopt,
                outcome == AcquireOutcome::timed_out && options_.wait && options_.wait->count() == 0
                    ? 0
                    : waited()};
    }

    void clear_message() {
        if (options_.on_wait_message && message_due_) options_.on_wait_message("");
    }

    // Free slots go to the first live tickets in the queue's order: ours when fewer are
    // ahead than are free. With a memory budget, to the first ticket once its reservation
    // fits (strict order: a later run that fits never overtakes one that does not yet),
    // or to a later one that asked to backfill, when it cannot delay the first (backfills).
    std::optional<AcquireResult> try_grant(const lock::PoolState& state, unsigned ahead,
                                           sys::FileLock& pool_lock) {
        auto held = static_cast<unsigned>(state.holders.size());
        unsigned free = slots_ > held ? slots_ - held : 0;
        if (ahead >= free) return std::nullopt;
        if (capacity_) {
            std::uint64_t budget = *capacity_;
            std::uint64_t left = budget > state.reserved ? budget - state.reserved : 0;
            if (grant_->reserved > left) return std::nullopt;
            if (ahead > 0) {
                // Not only the head: whoever is ahead of us may become the head (priorities
                // rise with waiting), so we must delay none of them -- the largest need
                // ahead stands for them all.
                std::uint64_t need_ahead = 0;
                for (unsigned i = 0; i < ahead; ++i)
                    need_ahead = std::max(need_ahead, state.tickets[i].need);
                if (!options_.backfill ||
                    !lock::may_backfill(grant_->reserved, need_ahead, left, state.holders))
                    return std::nullopt;
            }
        }
        int slot = 0;
        while (state.holders.count(slot)) ++slot;
        grant_->slot = slot;
        grant_->wait_seconds = waited();
        grant_->cgroup_name = lock::slot_cgroup_prefix(options_.name, slot) +
                              std::to_string(::getpid()) + "-" +
                              std::to_string(static_cast<long long>(unix_now() * 1000) % 1000000);
        grant_->pool_lock.emplace(std::move(pool_lock));
        clear_message();
        double seconds = grant_->wait_seconds;
        return AcquireResult{AcquireOutcome::acquired, SlotGrant(std::move(grant_)), seconds};
    }

    // What can change our standing, and nothing else (no thundering herd): the first
    // `slots` waiters watch the holders and the pool's records (inotify); the others watch
    // only the waiter just ahead (its pidfd: it died) and the doorbell (it left the queue).
    // So a queue of hundreds needs no inotify instance per waiter. In an ordered queue the
    // first kOrderedWatchers watch as heads do (any of them may become first or fit); the
    // rest look once a second.
    static constexpr unsigned kOrderedWatchers = 32;
    void arm_watches(const lock::PoolState& state, unsigned ahead, const lock::Ticket* before) {
        pidfds_.clear();
        changed_ = false;
        reorder_armed_ = false;
        // In a plain FIFO queue the first `slots` waiters (with a budget, the first) are the
        // ones that can be granted; every other one waits for the one ahead. In an ordered
        // queue (priorities, backfill) anyone may become first or fit: all watch the pool.
        bool plain = lock::plain_queue(state.tickets);
        head_ = plain ? ahead < (capacity_ ? 1 : slots_) : ahead < kOrderedWatchers;
        std::optional<double> relook;
        if (!plain) relook = lock::next_reorder(state.tickets, unix_now());
        // Deep in an ordered queue (or out of inotify instances): a look every second.
        if (!plain && !head_) relook = std::min(relook.value_or(1e18), unix_now() + 1);
        if (head_ && !grant_->inotify) {
            try {
                grant_->inotify.emplace();
            } catch (const SystemError&) {
                if (plain) throw;
                head_ = false;
                relook = std::min(relook.value_or(1e18), unix_now() + 1);
            }
        }
        if (relook) {
            reorder_timer_.arm(std::chrono::milliseconds(
                static_cast<long long>(std::max(0.0, *relook - unix_now()) * 1000) + 1));
            reorder_armed_ = true;
        }
        if (!head_ && !plain) return;  // (the timer and the doorbell)
        if (!head_) {
            auto pidfd = sys::Pidfd::open(before->pid);
            if (!pidfd || !lock::ticket_is_live(before->path))
                changed_ = true;
            else
                pidfds_.push_back(std::move(pidfd));
            return;
        }
        if (!grant_->inotify) grant_->inotify.emplace();
        sys::Inotify& inotify = *grant_->inotify;
        inotify.unwatch_all();
        // Records appear by rename and go by unlink. Not IN_CLOSE_WRITE: every open of the
        // pool's lock file (ours included) would wake us.
        // A record nobody can read (pid 0) holds its slot until it is removed or made
        // readable: a chmod of it is an attribute change.
        bool unreadable = std::any_of(state.holders.begin(), state.holders.end(),
                                      [](const auto& each) { return each.second.pid == 0; });
        inotify.watch(paths_.dir,
                      IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | (unreadable ? IN_ATTRIB : 0));
        // (an ordered queue: a waiter arriving or leaving can change who is first)
        if (!plain) inotify.watch(paths_.queue(), IN_CREATE | IN_DELETE);
        for (const auto& [slot, holder] : state.holders) {
            // (a record nobody can read: its removal, seen on the pool directory, frees it)
            if (holder.kind == OwnerRecord::Kind::process && holder.pid == 0) continue;
            if (holder.kind == OwnerRecord::Kind::run) {
                try {
                    inotify.watch(holder.cgroup.path + "/cgroup.events", IN_MODIFY);
                } catch (const SystemError&) {
                    changed_ = true;  // gone already
                }
            } else if (auto pidfd = sys::Pidfd::open(holder.pid)) {
                pidfds_.push_back(std::move(pidfd));
            } else {
                changed_ = true;
            }
            // Re-check after arming: an exit between the scan and the watch is not lost.
            if (!lock::owner_is_alive(holder)) changed_ = true;
        }
    }

    // After 1 s of waiting, then whenever the position or the first holder changes.
    void say_progress(const lock::PoolState& state, unsigned ahead) {
        if (!message_due_ || !options_.on_wait_message) return;
        std::string key = std::to_string(ahead);
        std::string text;
        if (!options_.wait_message.empty()) {
            text = options_.wait_message;
            key = "custom";
        } else if (state.capacity) {
            // "needs 6G, 3.5G of 16G free (2 runs hold 12.5G; 1 ahead)"
            auto budget = *state.capacity;
            auto free = budget > state.reserved ? budget - state.reserved : 0;
            auto runs = state.holders.size();
            text = "waiting for lock " + options_.name + ": needs " +
                   format_size(grant_->reserved) + ", " + format_size(free) + " of " +
                   format_size(budget) + " free (" + std::to_string(runs) + " run" +
                   (runs == 1 ? "" : "s") + " hold" + (runs == 1 ? "s " : " ") +
                   format_size(state.reserved) + "; " + std::to_string(ahead) + " ahead)";
            key += "/" + std::to_string(state.reserved) + "/" + std::to_string(runs);
        } else {
            text = "waiting for lock " + options_.name + " (" + std::to_string(ahead) + " ahead";
            if (!state.holders.empty()) {
                const auto& first = state.holders.begin()->second;
                key += "/" + std::to_string(first.pid) + "/" + std::to_string(state.holders.size());
                text += "; held by " + holder_text(first);
                if (state.holders.size() > 1)
                    text += " and " + std::to_string(state.holders.size() - 1) + " more";
            }
            text += ")";
        }
        if (key != last_message_key_) options_.on_wait_message(text);
        last_message_key_ = key;
    }

    const LockOptions& options_;
    lock::PoolPaths paths_;
    std::vector<RunCgroupBase> bases_;       // where holders are looked for by name
    std::optional<std::uint64_t> capacity_;  // the pool's memory budget, if it has one
    unsigned slots_ = 1;                     // and its slot count, as of the last look
    std::unique_ptr<SlotGrant::Impl> grant_;
    Clock::time_point begin_ = Clock::now();
    // The doorbell: a waiter leaving the queue (or kill-all) rings the one behind it.
    sys::SignalFd doorbell_;
    sys::TimerFd deadline_, message_timer_;
    sys::TimerFd reorder_timer_;  // a waiter's priority rises with its wait
    bool reorder_armed_ = false;
    bool message_due_ = false;
    std::string last_message_key_;
    // armed by look(), slept on by wait()
    std::vector<sys::Pidfd> pidfds_;
    bool head_ = false;
    bool changed_ = false;
};

}  // namespace

AcquireResult acquire_slot(const LockOptions& options) {
    QueueStay stay(options);
    stay.take_ticket();
    for (;;) {
        if (auto result = stay.look()) return std::move(*result);
        if (auto result = stay.wait()) return std::move(*result);
    }
}

}  // namespace supervise
