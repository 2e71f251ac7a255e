// TaskStore: where tasks are kept, how they start (a background runner), and everything
// done to them afterwards.

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "cgroup/cgroup_view.h"
#include "lock/names.h"
#include "lock/owner_record.h"
#include "supervise/error.h"
#include "supervise/locked_run.h"
#include "supervise/task.h"
#include "sys/events.h"
#include "sys/fd.h"
#include "sys/files.h"
#include "task/task_record.h"

namespace supervise {

namespace {

// The task's critical section (start, reset): an exclusive flock on <task>/lock.
class TaskLock {
  public:
    explicit TaskLock(const std::string& dir) {
        std::string path = dir + "/lock";
        fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd_) throw SystemError("open", path, errno);
        while (::flock(fd_.get(), LOCK_EX) != 0)
            if (errno != EINTR) throw SystemError("lock", path, errno);
    }

  private:
    sys::UniqueFd fd_;
};

std::optional<TaskRecord> read_record(const std::string& dir) {
    auto text = sys::try_read_file(dir + "/record");
    if (!text) return std::nullopt;
    auto record = task::parse_task_record(*text);
    if (!record)
        throw Error("task record " + dir + "/record is corrupt (run 'supervise task reset' on it)");
    return record;
}

void write_record(const std::string& dir, const TaskRecord& record) {
    sys::write_file_atomic(dir + "/record", task::serialize(record), 0600);
}

void remove_tree(const std::string& dir) {
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* entry = ::readdir(d))
            if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..")
                ::unlink((dir + "/" + entry->d_name).c_str());
        ::closedir(d);
    }
    ::rmdir(dir.c_str());
}

sys::UniqueFd open_pidfd(pid_t pid) {
    return sys::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

// The background runner: runs in its own session, output into the task log, and records
// the task's life: running (runner known), placed (cgroup known), finished (result).
[[noreturn]] void runner_main(const std::string& dir, const std::string& id, RunSpec spec,
                              const std::optional<LockOptions>& lock,
                              const TaskStartOptions& options, int ready_fd) {
    int status = kExitFailure;
    try {
        sys::UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        sys::UniqueFd log(::open((dir + "/log").c_str(),
                                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (null) ::dup2(null.get(), 0);
        if (log) {
            ::dup2(log.get(), 1);
            ::dup2(log.get(), 2);
        }
        TaskRecord record;
        record.id = id;
        for (const auto& word : spec.argv)
            record.command += (record.command.empty() ? "" : " ") + word;
        record.started = lock::unix_now();
        record.runner_pid = ::getpid();
        record.runner_start_time = lock::process_start_time(::getpid()).value_or(0);
        record.boot_id = current_boot_id();
        record.ttl_seconds = options.ttl_seconds;
        write_record(dir, record);
        char ok = 1;
        (void)!::write(ready_fd, &ok, 1);
        ::close(ready_fd);

        spec.forward_signals = false;
        spec.on_event = [&](const RunEvent& event) {
            std::fprintf(stderr, "%s%s\n", options.log_messages_prefix.c_str(),
                         event.message.c_str());
        };
        spec.on_placed = [&](const RunCgroup& cgroup, pid_t) {
            record.cgroup = cgroup.identity();
            record.dirs = cgroup.owned_directories();
            write_record(dir, record);
        };
        try {
            auto outcome = run_with_lock(spec, lock);
            if (outcome.result) {
                status = outcome.result->exit_status();
                record.result_json = to_json(*outcome.result);
                if (outcome.result->oom_killed)
                    std::fprintf(stderr, "%s%s\n", options.log_messages_prefix.c_str(),
                                 describe_oom(*outcome.result).c_str());
            } else {
                status = options.lock_conflict_status;
                std::fprintf(
                    stderr, "%slock %s not obtained%s\n", options.log_messages_prefix.c_str(),
                    lock ? lock->name.c_str() : "",
                    outcome.lock == AcquireOutcome::cancelled ? ": cancelled by kill-all" : "");
            }
        } catch (const Error& e) {
            std::fprintf(stderr, "%s%s\n", options.log_messages_prefix.c_str(), e.what());
            status = e.exit_status();
        }
        record.finished = true;
        record.ended = lock::unix_now();
        record.exit_status = status;
        write_record(dir, record);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s%s\n", options.log_messages_prefix.c_str(), e.what());
    }
    std::fflush(stderr);
    ::_exit(0);
}

}  // namespace

std::string open_task_root(const std::string& state_dir_override) {
    std::string root;
    if (!state_dir_override.empty()) {
        root = open_state_dir(state_dir_override) + "/tasks";
    } else if (::geteuid() == 0) {
        sys::make_private_dir("/var/lib/supervise");
        root = "/var/lib/supervise/tasks";
    } else {
        std::string base;
        if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
            base = state;
        } else if (const char* home = std::getenv("HOME"); home && *home) {
            base = std::string(home) + "/.local/state";
            std::string local = std::string(home) + "/.local";
            ::mkdir(local.c_str(), 0700);
        } else {
            throw UsageError(
                "neither XDG_STATE_HOME nor HOME is set: give --state-dir DIR for tasks");
        }
        ::mkdir(base.c_str(), 0700);
        sys::make_private_dir(base + "/supervise");
        root = base + "/supervise/tasks";
    }
    sys::make_private_dir(root);
    return root;
}

std::string TaskStore::directory(const std::string& id) const {
    return root_ + "/" + lock::encode_pool_name(id);
}

std::string TaskStore::log_path(const std::string& id) const {
    return directory(id) + "/log";
}

std::optional<TaskStatus> TaskStore::status(const std::string& id,
                                            std::optional<double> ttl) const {
    task::validate_task_id(id);
    auto record = read_record(directory(id));
    if (!record) return std::nullopt;
    auto status = task::judge(*record, ttl, lock::unix_now());
    if (status.state == TaskState::lost && !record->finished) {
        // The record was read before the liveness check: a runner that wrote its result and
        // exited in between looks lost. It always writes the result before it exits, so a
        // second read settles it.
        record = read_record(directory(id));
        if (!record) return std::nullopt;
        status = task::judge(*record, ttl, lock::unix_now());
    }
    // A lost run's supervisor never removed its (now empty) cgroup: whoever notices does.
    // rmdir refuses a cgroup that still has processes.
    if (status.state == TaskState::lost)
        for (auto dir = record->dirs.rbegin(); dir != record->dirs.rend(); ++dir) {
            ::rmdir(dir->c_str());
            ::rmdir(dir->substr(0, dir->rfind('/')).c_str());  // the "supervise" parent, if unused
        }
    return status;
}

std::vector<TaskStatus> TaskStore::list() const {
    std::vector<TaskStatus> all;
    DIR* dir = ::opendir(root_.c_str());
    if (!dir) return all;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        try {
            if (auto record = read_record(root_ + "/" + entry->d_name))
                all.push_back(task::judge(*record, std::nullopt, lock::unix_now()));
        } catch (const Error& e) {
            std::fprintf(stderr, "supervise: warning: %s\n", e.what());
        }
    }
    ::closedir(dir);
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
    TaskLock task_lock(dir);
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
    sys::Pipe ready = sys::Pipe::create();
    std::fflush(nullptr);  // the children must not flush our buffered output again
    pid_t child = ::fork();
    if (child < 0) throw SystemError("start", "the task runner", errno);
    if (child == 0) {
        // Its own session (no terminal hangup reaches it) and a second fork, so it is
        // nobody's child to wait for: it survives the caller.
        ::setsid();
        // Nothing of the caller's but the ready pipe: an inherited copy of the task lock's
        // descriptor would hold the lock for the runner's whole life.
        int keep = ready.write.release();
        ready.read.release();
        if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
        ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
        if (::fork() != 0) ::_exit(0);
        runner_main(dir, id, std::move(spec), lock, options, keep);
    }
    ready.write.reset();
    int wstatus;
    while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
    }
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
        sys::UniqueFd runner;
        if (current->runner_alive) runner = open_pidfd(current->record.runner_pid);
        auto again = status(id);
        if (!again || again->state != TaskState::running ||
            again->record.cgroup.path != current->record.cgroup.path)
            changed = true;
        if (changed) continue;
        enum : std::uint64_t { kChange, kDeadline, kMessage };
        epoll.add(inotify.fd(), kChange);
        if (runner) epoll.add(runner.get(), kChange);
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
    sys::UniqueFd log(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!log) throw SystemError("open task log", path, errno);
    sys::Inotify inotify;
    if (follow) {
        inotify.watch(path, IN_MODIFY);
        inotify.watch(directory(id), IN_MOVED_TO);
    }
    std::string watched_cgroup;
    char buffer[65536];
    for (;;) {
        ssize_t n;
        while ((n = ::read(log.get(), buffer, sizeof buffer)) > 0)
            (void)!::write(fd, buffer, static_cast<size_t>(n));
        if (!follow) return;
        auto current = status(id);
        if (!current || current->state != TaskState::running) {
            while ((n = ::read(log.get(), buffer, sizeof buffer)) > 0)
                (void)!::write(fd, buffer, static_cast<size_t>(n));
            return;
        }
        sys::Epoll epoll;
        epoll.add(inotify.fd(), 0);
        sys::UniqueFd runner;
        if (current->runner_alive) {
            runner = open_pidfd(current->record.runner_pid);
            if (runner) epoll.add(runner.get(), 0);
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
        cgroup::CgroupView view;
        view.unified = current->record.cgroup.path;
        view.signal_all(sig);
    } else if (current->runner_alive) {
        // Still waiting for its lock: ending the runner ends the task, and since the runner
        // cannot say so any more, its end is recorded here as a death by that signal.
        auto pidfd = open_pidfd(current->record.runner_pid);
        if (pidfd && ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0) {
            sys::Epoll epoll;
            epoll.add(pidfd.get(), 0);
            if (!epoll.wait(5000).empty()) {
                auto after = read_record(directory(id));
                if (after && !after->finished && after->cgroup.path.empty()) {
                    after->finished = true;
                    after->ended = lock::unix_now();
                    after->exit_status = 128 + sig;
                    write_record(directory(id), *after);
                }
            }
        }
    }
    return true;
}

bool TaskStore::reset(const std::string& id) {
    task::validate_task_id(id);
    std::string dir = directory(id);
    if (!sys::path_exists(dir)) return false;
    TaskLock task_lock(dir);
    std::optional<TaskStatus> current;
    try {
        current = status(id);
    } catch (const Error&) {
        // a corrupt record: forgetting it is what reset is for
    }
    if (current && current->state == TaskState::running) {
        sys::UniqueFd runner;
        if (current->runner_alive) runner = open_pidfd(current->record.runner_pid);
        kill(id, SIGKILL);
        if (!current->record.cgroup.path.empty()) {
            cgroup::CgroupView view;
            view.unified = current->record.cgroup.path;
            view.wait_until_empty(std::chrono::seconds(10));
        }
        if (runner) {
            // The runner notices its command's end, removes the cgroup and records a result:
            // let it finish that (bounded) before it is forced.
            sys::Epoll epoll;
            epoll.add(runner.get(), 0);
            if (epoll.wait(5000).empty()) {
                ::syscall(SYS_pidfd_send_signal, runner.get(), SIGKILL, nullptr, 0);
                epoll.wait(5000);
            }
        }
        for (auto d = current->record.dirs.rbegin(); d != current->record.dirs.rend(); ++d) {
            ::rmdir(d->c_str());
            ::rmdir(d->substr(0, d->rfind('/')).c_str());
        }
    }
    remove_tree(dir);
    return true;
}

std::vector<std::string> TaskStore::gc() {
    std::vector<std::string> removed;
    for (const auto& each : list()) {
        if (each.state != TaskState::expired) continue;
        std::string dir = directory(each.record.id);
        TaskLock task_lock(dir);
        auto again = status(each.record.id);
        if (again && again->state == TaskState::expired) {
            remove_tree(dir);
            removed.push_back(each.record.id);
        }
    }
    return removed;
}

}  // namespace supervise
