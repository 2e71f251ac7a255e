#include "supervise/sys/process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "supervise/error.h"
#include "supervise/sys/files.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace supervise::sys {

namespace {

// Everything the child touches is prepared here, before the clone: after it, only
// async-signal-safe calls are allowed.
struct ChildArgs {
    const char* executable;
    std::vector<char*> argv;
    std::vector<char*> envp;
    const char* chdir;
    int stdout_fd, stderr_fd, go_fd, status_fd;
    int parent_go_fd, parent_status_fd;  // the parent's ends, closed in the child
    std::vector<int> inherit_fds;
    std::vector<int> join_fds;
};

[[noreturn]] void child_main(const ChildArgs& a) {
    // Our copy of the parent's write end would keep the pipe open: the parent's abort()
    // (closing its end) must read as EOF here.
    ::close(a.parent_go_fd);
    ::close(a.parent_status_fd);
    // Into the v1 cgroups while the parent goes on: a single-threaded task that moves
    // itself ("0" into 'tasks') skips the global lock a move by pid takes, whose RCU
    // grace period costs milliseconds. A failure is reported at release().
    for (std::size_t i = 0; i < a.join_fds.size(); ++i) {
        if (::write(a.join_fds[i], "0", 1) == 1) continue;
        ChildProcess::StartFailure failure{ChildProcess::StartFailure::Step::join, errno,
                                           static_cast<int>(i)};
        (void)!::write(a.status_fd, &failure, sizeof failure);
        ::_exit(125);
    }
    for (int fd : a.join_fds) ::close(fd);
    char byte;
    ssize_t n;
    do {
        n = ::read(a.go_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(125);  // aborted: the supervisor gave up before exec

    if (a.stdout_fd >= 0) ::dup2(a.stdout_fd, 1);
    if (a.stderr_fd >= 0) ::dup2(a.stderr_fd, 2);
    for (int fd : a.inherit_fds) ::fcntl(fd, F_SETFD, 0);
    sigset_t empty;
    sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    // An ignored SIGPIPE (or any ignored signal) would survive exec; the command gets
    // the defaults a shell would give it.
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction current;
        if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN &&
            sig != SIGTTOU && sig != SIGTTIN && sig != SIGTSTP) {
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            ::sigaction(sig, &dfl, nullptr);
        }
    }
    ChildProcess::StartFailure failure{};
    if (a.chdir && ::chdir(a.chdir) != 0) {
        failure = {ChildProcess::StartFailure::Step::chdir, errno};
    } else {
        ::execve(a.executable, a.argv.data(), a.envp.data());
        failure = {ChildProcess::StartFailure::Step::exec, errno};
    }
    (void)!::write(a.status_fd, &failure, sizeof failure);
    ::_exit(failure.error == ENOENT ? 127 : 126);
}

pid_t clone3_pidfd(int cgroup_fd, int* pidfd) {
    clone_args args{};
    args.flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.pidfd = reinterpret_cast<std::uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

// Forks (into cgroup_fd when >= 0 and the kernel can) with a pidfd for the child; 0 in
// the child. into_cgroup says whether the child was cloned into the cgroup.
pid_t start_child(int cgroup_fd, Pidfd& pidfd, bool& into_cgroup, const std::string& what) {
    int fd = -1;
    pid_t pid = clone3_pidfd(cgroup_fd, &fd);
    into_cgroup = cgroup_fd >= 0;
    if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL || errno == EBUSY ||
                    errno == EOPNOTSUPP)) {
        // Old kernel, or a cgroup that cannot be cloned into: the caller writes cgroup.procs.
        pid = clone3_pidfd(-1, &fd);
        into_cgroup = false;
        if (pid < 0 && errno == ENOSYS) {
            pid = ::fork();
            if (pid > 0) fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        }
    }
    if (pid < 0) throw SystemError("start", what, errno);
    if (pid > 0) {
        if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        pidfd = Pidfd(UniqueFd(fd));
    }
    return pid;
}

// In a child: runs body and exits with its status (125 when it throws).
[[noreturn]] void run_and_exit(const std::function<int()>& body) {
    int status = kExitFailure;
    try {
        status = body();
    } catch (...) {
    }
    std::fflush(nullptr);
    ::_exit(status);
}

// In a child: closes [first, last]; one by one where close_range(2) is missing (< 5.9).
void close_between(unsigned first, unsigned last) {
    if (first > last || ::close_range(first, last, 0) == 0) return;
    auto open_max = static_cast<unsigned>(std::clamp(::sysconf(_SC_OPEN_MAX), 1024L, 65536L));
    for (unsigned fd = first; fd <= std::min(last, open_max); ++fd) ::close(static_cast<int>(fd));
}

// In a child: closes every descriptor but 0..2 and keep.
void close_all_but(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned next = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(next)) continue;
        close_between(next, static_cast<unsigned>(fd) - 1);
        next = static_cast<unsigned>(fd) + 1;
    }
    close_between(next, ~0U);
}

}  // namespace

Pidfd Pidfd::open(pid_t pid) {
    return Pidfd(UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))));
}

bool Pidfd::send_signal(int sig) const {
    return fd_ && ::syscall(SYS_pidfd_send_signal, fd_.get(), sig, nullptr, 0) == 0;
}

bool Pidfd::wait_exit(std::chrono::milliseconds timeout) const {
    if (!fd_) return true;
    pollfd waiting{fd_.get(), POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    return rc > 0;
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
    auto text = try_read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!text) return std::nullopt;
    // The command name in parentheses may hold spaces and ')': fields start after the last ')'.
    auto close = text->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text->substr(close + 2));
    std::string field;
    // field 3 (state) is the first after ')'; start time is field 22. A zombie has ended:
    // it only waits for its parent to collect it.
    for (int index = 3; index <= 22 && fields >> field; ++index) {
        if (index == 3 && (field == "Z" || field == "X")) return std::nullopt;
        if (index == 22) return parse_u64(field);
    }
    return std::nullopt;
}

ChildProcess ChildProcess::spawn_held(const ExecPlan& plan) {
    Pipe go = Pipe::create();
    Pipe status = Pipe::create();

    ChildArgs args{};
    args.executable = plan.executable.c_str();
    for (const auto& s : plan.argv) args.argv.push_back(const_cast<char*>(s.c_str()));
    args.argv.push_back(nullptr);
    for (const auto& s : plan.environment) args.envp.push_back(const_cast<char*>(s.c_str()));
    args.envp.push_back(nullptr);
    args.chdir = plan.chdir ? plan.chdir->c_str() : nullptr;
    args.stdout_fd = plan.stdout_fd;
    args.stderr_fd = plan.stderr_fd;
    args.go_fd = go.read.get();
    args.status_fd = status.write.get();
    args.parent_go_fd = go.write.get();
    args.parent_status_fd = status.read.get();
    args.inherit_fds = plan.inherit_fds;
    args.join_fds = plan.join_fds;

    ChildProcess child;
    pid_t pid =
        start_child(plan.cgroup_fd, child.pidfd_, child.cloned_into_cgroup_, "a child process");
    if (pid == 0) child_main(args);
    child.pid_ = pid;
    child.reaped_ = false;
    child.go_ = std::move(go.write);
    child.status_ = std::move(status.read);
    return child;
}

ChildProcess ChildProcess::spawn_function(const std::function<int()>& body,
                                          const std::vector<int>& keep_fds,
                                          const std::string& what) {
    std::fflush(nullptr);
    ChildProcess child;
    pid_t pid = start_child(-1, child.pidfd_, child.cloned_into_cgroup_, what);
    if (pid == 0) {
        close_all_but(keep_fds);
        run_and_exit(body);
    }
    child.pid_ = pid;
    child.reaped_ = false;
    return child;
}

void ChildProcess::spawn_detached(const std::function<int()>& body,
                                  const std::vector<int>& keep_fds, const std::string& what) {
    auto intermediate = spawn_function(
        [&] {
            ::setsid();  // no terminal hangup reaches it
            pid_t pid = ::fork();
            if (pid == 0) run_and_exit(body);
            return pid < 0 ? kExitFailure : 0;
        },
        keep_fds, what);
    try {
        intermediate.reap(true);
    } catch (const SystemError&) {
        // (SIGCHLD ignored: the kernel reaped it) whether the grandchild runs is the
        // caller's to learn
    }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      go_(std::move(other.go_)),
      status_(std::move(other.status_)),
      reaped_(std::exchange(other.reaped_, true)),
      cloned_into_cgroup_(other.cloned_into_cgroup_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this == &other) return *this;
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    go_ = std::move(other.go_);
    status_ = std::move(other.status_);
    reaped_ = std::exchange(other.reaped_, true);
    cloned_into_cgroup_ = other.cloned_into_cgroup_;
    return *this;
}

void ChildProcess::kill_and_reap() noexcept {
    if (reaped_ || pid_ <= 0) return;
    go_.reset();
    send_signal(SIGKILL);
    try {
        reap(true);
    } catch (const SystemError&) {
        // Nothing left to reap: someone else waited for it.
    }
    reaped_ = true;
}

void ChildProcess::reap_within(std::chrono::milliseconds timeout) {
    if (reaped_) return;
    // Our own unreaped child: its pid cannot have been reused, so kill() is safe without a pidfd.
    if (!pidfd_.wait_exit(timeout)) send_signal(SIGKILL);
    reap(true);
}

std::optional<ChildProcess::StartFailure> ChildProcess::release() {
    char byte = 1;
    // EPIPE: the child was killed while held (kill -9 before its exec); its exit, reaped as
    // any other, says how it ended. SIGPIPE blocked meanwhile, and the one raised consumed:
    // a caller that does not ignore SIGPIPE must not die of it.
    sigset_t pipe_signal, previous;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
    ssize_t written = ::write(go_.get(), &byte, 1);
    int err = errno;
    if (written < 0 && err == EPIPE) {
        timespec now{};
        sigtimedwait(&pipe_signal, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (written != 1 && err != EPIPE) throw SystemError("release", "the child process", err);
    go_.reset();
    StartFailure failure{};
    ssize_t n;
    do {
        n = ::read(status_.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    status_.reset();
    if (n == static_cast<ssize_t>(sizeof failure)) return failure;
    return std::nullopt;  // EOF: the exec succeeded and closed the pipe
}

void ChildProcess::abort() {
    go_.reset();
    status_.reset();
}

bool ChildProcess::send_signal(int sig) {
    if (reaped_) return false;
    if (pidfd_) return pidfd_.send_signal(sig);
    return ::kill(pid_, sig) == 0;
}

std::optional<siginfo_t> ChildProcess::reap(bool block) {
    if (reaped_) return std::nullopt;
    siginfo_t info{};
    int flags = WEXITED | (block ? 0 : WNOHANG);
    int rc;
    do {
        rc = pidfd_ ? ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.fd()),
                               &info, flags)
                    : ::waitid(P_PID, static_cast<id_t>(pid_), &info, flags);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) throw SystemError("wait for", "the child process", errno);
    if (info.si_pid == 0) return std::nullopt;  // WNOHANG, still running
    reaped_ = true;
    return info;
}

pid_t terminal_foreground_group() {
    for (int fd = 0; fd <= 2; ++fd) {
        pid_t group = ::tcgetpgrp(fd);
        if (group > 0) return group;
    }
    return -1;
}

}  // namespace supervise::sys
