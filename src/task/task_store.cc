// TaskStore: where tasks are kept, how they start (a background runner), and everything
// done to them afterwards.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <sstream>

#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/history.h"
#include "supervise/locked_run.h"
#include "supervise/record.h"
#include "supervise/sys/events.h"
#include "supervise/sys/fd.h"
#include "supervise/sys/files.h"
#include "supervise/sys/process.h"
#include "supervise/task.h"
#include "task_record.h"

namespace supervise {

namespace {

// The runner's lines in the task log start with this.
constexpr std::string_view kRunnerPrefix = "supervise: ";

// The task's critical section (start, reset): an exclusive flock on <task>/lock.
sys::FileLock lock_task(const std::string& dir) {
    return std::move(*sys::FileLock::wait(dir + "/lock", true));
}

std::optional<TaskRecord> read_record(const std::string& dir) {
    auto text = sys::read_state_file(dir + "/record");
    if (!text) return std::nullopt;
    auto record = task::parse_task_record(*text);
    if (!record)
        throw Error("task record " + dir + "/record is corrupt (run 'supervise task reset' on it)");
    return record;
}

void write_record(const std::string& dir, const TaskRecord& record) {
    sys::write_file_atomic(dir + "/record", task::serialize(record), 0600);
}

// The background runner: output into the task log, and records the task's life: running
// (runner known), placed (cgroup known), finished (result). Returns once it is recorded.
int runner_main(const std::string& dir, const std::string& id, RunSpec spec,
                const std::optional<LockOptions>& lock, const TaskStartOptions& options,
                sys::UniqueFd ready, const sys::UniqueFd& log) {
    sys::UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (null) ::dup2(null.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    auto say = [](const std::string& text) {
        std::string line = std::string(kRunnerPrefix) + text + "\n";
        (void)!::write(STDERR_FILENO, line.data(), line.size());
    };
    try {
        TaskRecord record;
        record.id = id;
        for (const auto& word : spec.argv)
            record.command += (record.command.empty() ? "" : " ") + word;
        record.started = unix_now();
        record.runner_pid = ::getpid();
        record.runner_start_time = sys::process_start_time(::getpid()).value_or(0);
        record.boot_id = current_boot_id();
        record.ttl_seconds = options.ttl_seconds;
        write_record(dir, record);
        char ok = 1;
        (void)!::write(ready.get(), &ok, 1);
        ready.reset();

        // Named after the task, so the cgroup tree can say the task runs when its record
        // cannot (with a lock: after the pool and slot, then this).
        spec.cgroup_name = task::cgroup_prefix(id) + std::to_string(::getpid()) + "-" +
                           std::to_string(static_cast<long long>(unix_now() * 1000) % 1000000);
        spec.forward_signals = false;
        spec.on_event = [&](const RunEvent& event) { say(event.message); };
        spec.on_placed = [&](const RunCgroup& cgroup, pid_t) {
            record.cgroup = cgroup.identity();
            record.dirs = cgroup.owned_directories();
            write_record(dir, record);
        };
        int status = kExitFailure;
        try {
            auto outcome = run_with_lock(spec, lock);
            if (outcome.result) {
                status = outcome.result->exit_status();
                record.result_json = to_json(*outcome.result);
                if (outcome.result->oom_killed) say(describe_oom(*outcome.result));
            } else {
                status = options.lock_conflict_status;
                say("lock " + (lock ? lock->name : "") + " not obtained" +
                    (outcome.lock == AcquireOutcome::cancelled ? ": cancelled by kill-all" : ""));
            }
        } catch (const Error& e) {
            say(e.what());
            status = e.exit_status();
        }
        record.finished = true;
        record.ended = unix_now();
        record.exit_status = status;
        write_record(dir, record);
    } catch (const std::exception& e) {
        say(e.what());
    }
    return 0;
}

}  // namespace

std::string open_task_root(const std::string& state_dir_override, bool create) {
    return open_persistent_dir(state_dir_override, "tasks", create);
}

std::string TaskStore::directory(const std::string& id) const {
    return root_ + "/" + encode_file_name(id);
}

std::string TaskStore::log_path(const std::string& id) const {
    return directory(id) + "/log";
}

std::vector<std::string> TaskStore::runner_messages(const std::string& id) const {
    std::vector<std::string> lines;
    std::istringstream log(sys::read_state_file(log_path(id), 1 << 20).value_or(""));
    for (std::string line; std::getline(log, line);)
        if (line.starts_with(kRunnerPrefix)) lines.push_back(line);
    return lines;
}

std::optional<TaskStatus> TaskStore::running_in_tree(const std::string& id) const {
    std::string prefix = task::cgroup_prefix(id);
    if (!bases_) bases_ = run_cgroup_bases(driver_);
    for (const auto& base : *bases_) {
        for (const auto& entry : sys::list_directory(base.dir)) {
            std::string_view leaf = entry.name;
            if (leaf.starts_with("supervise-")) leaf.remove_prefix(10);
            // task-<hash>-..., or lock-<hash>-s<N>-<pid>-<ms>-task-<hash>-...
            auto at = leaf.find(prefix);
            if (at == std::string_view::npos || (at != 0 && leaf[at - 1] != '-')) continue;
            CgroupView view(base.dir + "/" + entry.name);
            struct stat st;  // ours only: another user's task of that id is hers
            if (::stat(view.unified.c_str(), &st) != 0 || st.st_uid != ::geteuid() ||
                !view.populated())
                continue;
            TaskStatus status{TaskState::running, {}, false};
            auto& record = status.record;
            record.id = id;
            record.command = "(unknown: the task record is corrupt; found in the cgroup tree)";
            record.boot_id = current_boot_id();
            record.cgroup.path = view.unified;
            record.cgroup.driver = base.driver;
            record.cgroup.boot_id = record.boot_id;
            try {
                record.cgroup.id = cgroup_id(view.unified);
            } catch (const SystemError&) {
                continue;  // gone meanwhile
            }
            if (base.driver == DriverKind::systemd)
                record.cgroup.unit = entry.name;
            else
                record.dirs = run_directories(view.unified);
            record.started = static_cast<double>(st.st_mtime);  // made when the run began
            return status;
        }
    }
    if (sys::FileLock::held_elsewhere(log_path(id))) {
        // Its runner lives: placing the command, or recording its result.
        TaskStatus status{TaskState::running, {}, false};
        status.record.id = id;
        status.record.command = "(unknown: the task record is corrupt; its runner lives)";
        status.record.boot_id = current_boot_id();
        return status;
    }
    return std::nullopt;
}

std::optional<TaskStatus> TaskStore::status(const std::string& id,
                                            std::optional<double> ttl) const {
    task::validate_task_id(id);
    std::optional<TaskRecord> record;
    try {
        record = read_record(directory(id));
    } catch (const Error&) {
        // A garbled record does not end a run: its populated cgroup says it is running.
        if (auto found = running_in_tree(id)) return found;
        throw;
    }
    if (!record) return std::nullopt;
    auto status = task::judge(*record, ttl, unix_now());
    if (status.state == TaskState::lost && !record->finished) {
        // The record was read before the liveness check: a runner that wrote its result and
        // exited in between looks lost. It always writes the result before it exits, so a
        // second read settles it.
        record = read_record(directory(id));
        if (!record) return std::nullopt;
        status = task::judge(*record, ttl, unix_now());
    }
    // A lost run's supervisor never removed its (now empty) cgroup: whoever notices does.
    // rmdir refuses a cgroup that still has processes.
    if (status.state == TaskState::lost) remove_run_directories(record->dirs);
    return status;
}

std::vector<TaskStatus> TaskStore::list(const WarningSink& warn) const {
    std::vector<TaskStatus> all;
    for (const auto& entry : sys::list_directory(root_)) {
        try {
            if (auto record = read_record(root_ + "/" + entry.name))
                all.push_back(task::judge(*record, std::nullopt, unix_now()));
        } catch (const Error& e) {
            auto id = decode_file_name(entry.name);
            if (auto found = id ? running_in_tree(*id) : std::nullopt)
                all.push_back(*found);
            else if (warn)
                warn(e.what());
        }
    }
    std::sort(all.begin(), all.end(),
              [](const TaskStatus& a, const TaskStatus& b) { return a.record.id < b.record.id; });
    return all;
}

TaskStore::Started TaskStore::start(const std::string& id, RunSpec spec,
                                    const std::optional<LockOptions>& lock,
                                    const TaskStartOptions& options) {
    task::validate_task_id(id);
    std::string dir = directory(id);
    sys::make_private_dir(dir);
    auto task_lock = lock_task(dir);
    if (auto current = status(id, options.ttl_seconds)) {
        switch (current->state) {
            case TaskState::running:
                return {StartKind::joined, *current};
            case TaskState::succeeded:
                return {StartKind::cached, *current};
            case TaskState::failed:
                if (!options.rerun_failed) return {StartKind::cached, *current};
                break;
            case TaskState::lost:
            case TaskState::expired:
                break;
        }
    }
    // The log is opened here, so a log that cannot be (a directory in its place, no space
    // for it) fails the start with one line, and the command never writes to our output.
    // (O_NONBLOCK: a FIFO in the log's place must not hang us; the command's is blocking.)
    std::string log_file = log_path(id);
    sys::UniqueFd log(::open(log_file.c_str(),
                             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                             0600));
    if (!log) throw SystemError("open task log", log_file, errno);
    struct stat st;
    if (::fstat(log.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw UsageError("task log " + log_file +
                         " is not a regular file (see 'supervise task "
                         "reset " +
                         id + "')");
    ::fcntl(log.get(), F_SETFL, ::fcntl(log.get(), F_GETFL) & ~O_NONBLOCK);
    // An flock on the log, held by the runner (and the command, through the same open file)
    // for as long as anything of the task lives: what says "running" when the record is
    // garbled and the cgroup is not there (yet, or any more).
    // (blocking: a look at the task probes this lock for a moment, never longer)
    if (::flock(log.get(), LOCK_EX) != 0) throw SystemError("lock task log", log_file, errno);
    // Of our descriptors the runner keeps only the ready pipe and the log: an inherited copy
    // of the task lock's would hold the lock for the runner's whole life.
    sys::Pipe ready = sys::Pipe::create();
    int ready_fd = ready.write.get();
    sys::ChildProcess::spawn_detached(
        [&] {
            return runner_main(dir, id, std::move(spec), lock, options, std::move(ready.write),
                               log);
        },
        {ready_fd, log.get()}, "the task runner");
    ready.write.reset();
    char byte;
    ssize_t n;
    do {
        n = ::read(ready.read.get(), &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1)
        throw Error("the runner of task " + id + " failed to start (see its log: " + log_path(id) +
                    ")");
    auto started = status(id, options.ttl_seconds);
    if (!started) throw Error("the runner of task " + id + " wrote no record");
    return {StartKind::started, *started};
}

std::optional<TaskStatus> TaskStore::wait(const std::string& id,
                                          std::optional<std::chrono::milliseconds> timeout,
                                          const std::function<void(const TaskStatus&)>& on_wait,
                                          std::chrono::milliseconds quiet_for) const {
    std::string dir = directory(id);
    sys::TimerFd deadline, message;
    if (timeout) deadline.arm(*timeout);
    message.arm(quiet_for);
    bool said = false;
    for (;;) {
        auto current = status(id);
        if (!current) return std::nullopt;
        if (current->state != TaskState::running) return current;
        // Anything that can end "running": the record replaced, the cgroup emptied, the
        // runner gone. Armed before the re-check below, so nothing slips between.
        sys::Inotify inotify;
        sys::Epoll epoll;
        inotify.watch(dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF);
        bool changed = false;
        if (!current->record.cgroup.path.empty()) {
            try {
                inotify.watch(current->record.cgroup.path + "/cgroup.events", IN_MODIFY);
            } catch (const SystemError&) {
                changed = true;
            }
        }
        sys::Pidfd runner;
        if (current->runner_alive) runner = sys::Pidfd::open(current->record.runner_pid);
        // A garbled record (no cgroup, no runner known): nothing to watch but time.
        sys::TimerFd recheck;
        if (!runner && current->record.cgroup.path.empty())
            recheck.arm(std::chrono::milliseconds(500));
        auto again = status(id);
        if (!again || again->state != TaskState::running ||
            again->record.cgroup.path != current->record.cgroup.path)
            changed = true;
        if (changed) continue;
        enum : std::uint64_t { kChange, kDeadline, kMessage };
        epoll.add(inotify.fd(), kChange);
        if (runner) epoll.add(runner.fd(), kChange);
        if (!runner && current->record.cgroup.path.empty()) epoll.add(recheck.fd(), kChange);
        if (timeout) epoll.add(deadline.fd(), kDeadline);
        if (!said && on_wait) epoll.add(message.fd(), kMessage);
        bool woken = false;
        while (!woken) {
            for (auto tag : epoll.wait(-1)) {
                if (tag == kDeadline && deadline.consume()) return std::nullopt;
                if (tag == kMessage && message.consume()) {
                    said = true;
                    on_wait(*current);
                    epoll.remove(message.fd());
                }
                if (tag == kChange) woken = true;
            }
        }
    }
}

void TaskStore::copy_log(const std::string& id, int fd, bool follow) const {
    std::string path = log_path(id);
    // O_NONBLOCK: a FIFO put in the log's place must not hang us (a regular file never blocks)
    sys::UniqueFd log(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!log) throw SystemError("open task log", path, errno);
    sys::Inotify inotify;
    if (follow) {
        inotify.watch(path, IN_MODIFY);
        inotify.watch(directory(id), IN_MOVED_TO);
    }
    auto copy = [&] {
        char buffer[65536];
        ssize_t n;
        while ((n = ::read(log.get(), buffer, sizeof buffer)) > 0)
            (void)!::write(fd, buffer, static_cast<size_t>(n));
    };
    std::string watched_cgroup;
    for (;;) {
        copy();
        if (!follow) return;
        auto current = status(id);
        if (!current || current->state != TaskState::running) return copy();
        sys::Epoll epoll;
        epoll.add(inotify.fd(), 0);
        sys::Pidfd runner;
        if (current->runner_alive) {
            runner = sys::Pidfd::open(current->record.runner_pid);
            if (runner) epoll.add(runner.fd(), 0);
        }
        // The end of the run shows as its cgroup emptying (even with its runner gone) and
        // the record replaced; output as the log growing.
        const auto& cgroup_path = current->record.cgroup.path;
        if (!cgroup_path.empty() && cgroup_path != watched_cgroup) {
            watched_cgroup = cgroup_path;
            try {
                inotify.watch(cgroup_path + "/cgroup.events", IN_MODIFY);
            } catch (const SystemError&) {
                continue;  // gone already: look at the task again
            }
        }
        epoll.wait(-1);
        inotify.drain();
    }
}

bool TaskStore::kill(const std::string& id, int sig) const {
    auto current = status(id);
    if (!current || current->state != TaskState::running) return false;
    if (!current->record.cgroup.path.empty()) {
        CgroupView(current->record.cgroup.path).signal_all(sig);
    } else if (current->runner_alive) {
        // Still waiting for its lock: ending the runner ends the task, and since the runner
        // cannot say so any more, its end is recorded here as a death by that signal.
        auto pidfd = sys::Pidfd::open(current->record.runner_pid);
        if (pidfd.send_signal(sig) && pidfd.wait_exit(std::chrono::seconds(5))) {
            auto after = read_record(directory(id));
            if (after && !after->finished && after->cgroup.path.empty()) {
                after->finished = true;
                after->ended = unix_now();
                after->exit_status = 128 + sig;
                write_record(directory(id), *after);
            }
        }
    }
    return true;
}

bool TaskStore::reset(const std::string& id) {
    task::validate_task_id(id);
    std::string dir = directory(id);
    if (!sys::path_exists(dir)) return false;
    auto task_lock = lock_task(dir);
    std::optional<TaskStatus> current;
    try {
        current = status(id);
    } catch (const Error&) {
        // a corrupt record: forgetting it is what reset is for
    }
    if (current && current->state == TaskState::running) {
        sys::Pidfd runner;
        if (current->runner_alive) runner = sys::Pidfd::open(current->record.runner_pid);
        kill(id, SIGKILL);
        if (!current->record.cgroup.path.empty())
            CgroupView(current->record.cgroup.path).wait_until_empty(std::chrono::seconds(10));
        // The runner notices its command's end, removes the cgroup and records a result:
        // let it finish that (bounded) before it is forced.
        if (runner && !runner.wait_exit(std::chrono::seconds(5))) {
            runner.send_signal(SIGKILL);
            runner.wait_exit(std::chrono::seconds(5));
        }
        remove_run_directories(current->record.dirs);
    }
    sys::remove_directory(dir);
    return true;
}

std::vector<std::string> TaskStore::gc(const WarningSink& warn) {
    std::vector<std::string> removed;
    for (const auto& each : list(warn)) {
        if (each.state != TaskState::expired) continue;
        std::string dir = directory(each.record.id);
        auto task_lock = lock_task(dir);
        auto again = status(each.record.id);
        if (again && again->state == TaskState::expired) {
            sys::remove_directory(dir);
            removed.push_back(each.record.id);
        }
    }
    return removed;
}

}  // namespace supervise
