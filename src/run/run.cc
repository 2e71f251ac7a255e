// Run: starts a command held in its cgroup, supervises it from one epoll loop (exit,
// signals, timeout, memory warning, output), then kills what is left and removes the
// cgroup.

#include "supervise/run.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <limits>

#include "command.h"
#include "jobserver.h"
#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "supervise/sys/events.h"
#include "supervise/sys/fd.h"
#include "supervise/sys/process.h"

namespace supervise {

namespace {

using Clock = std::chrono::steady_clock;

enum Tag : std::uint64_t {
    kExit,
    kSignal,
    kTimeout,
    kKillAfter,
    kMemoryWatch,
    kStdout,
    kStderr,
    kJobsLook,
    kJobsTokens,
    kPressure
};

// How often the jobserver looks at its tokens (and, with the memory rule, at memory).
constexpr std::chrono::milliseconds kJobsLookRule{50}, kJobsLookPlain{100};
// A PSI stall of 150ms within 2s (the shortest window every writer may ask for) holds
// tokens back for the window.
constexpr std::chrono::milliseconds kPressureStall{150}, kPressureWindow{2000};

const std::vector<int> kForwardedSignals{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::string generated_name() {
    unsigned char random[3] = {};
    if (::getrandom(random, sizeof random, 0) != sizeof random) {
        auto now = Clock::now().time_since_epoch().count();
        std::memcpy(random, &now, sizeof random);
    }
    char hex[7];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x", random[0], random[1], random[2]);
    return "run-" + std::to_string(::getpid()) + "-" + hex;
}

constexpr std::uint64_t kMostTasks = 4194304;

// /dev/stdout, /proc/self/fd/N: one of our own descriptors, no file of anyone else's.
bool names_our_descriptor(const std::string& path) {
    for (const char* fd_path : {"/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/"})
        if (path.starts_with(fd_path)) return true;
    return false;
}

void validate(const RunSpec& spec) {
    if (spec.argv.empty())
        throw UsageError("no command given (usage: supervise [OPTIONS] [--] COMMAND [ARGS...])");
    if (spec.memory_warn && !spec.limits.memory_max)
        throw UsageError("--memory-warn needs --memory (it is a share of that limit)");
    if (spec.memory_warn && (*spec.memory_warn <= 0 || *spec.memory_warn > 1))
        throw UsageError("--memory-warn must be a percentage in (0, 100]");
    if (spec.limits.cpu_percent && *spec.limits.cpu_percent <= 0)
        throw UsageError("--cpu must be above 0%");
    if (spec.limits.tasks_max && *spec.limits.tasks_max == 0)
        throw UsageError("--tasks must be at least 1");
    // (pids.max takes no more: the kernel's PID_MAX_LIMIT)
    if (spec.limits.tasks_max && *spec.limits.tasks_max > kMostTasks)
        throw UsageError("--tasks " + std::to_string(*spec.limits.tasks_max) +
                         " is above the most a kernel allows (" + std::to_string(kMostTasks) + ")");
    // v1 limits memory+swap as one sum: it must not wrap around
    if (spec.limits.swap_max && spec.limits.memory_max &&
        *spec.limits.swap_max > std::numeric_limits<std::uint64_t>::max() - *spec.limits.memory_max)
        throw UsageError("--memory plus --swap is too large");
    if (spec.jobs && (spec.jobs->max < 1 || spec.jobs->max > run::kMostJobs))
        throw UsageError("--jobs must be from 1 to " + std::to_string(run::kMostJobs));
    if (spec.jobs && spec.jobs->memory_threshold) {
        double share = *spec.jobs->memory_threshold;
        if (share <= 0.1 || share > 1)
            throw UsageError("--jobs-memory-threshold must be a percentage in (10, 100]");
        if (!spec.limits.memory_max && !spec.limits.memory_high)
            throw UsageError(
                "--jobs-memory-threshold needs --memory or --memory-high (it is a share of "
                "that limit)");
    }
    for (const auto& [name, value] : spec.setenv)
        if (name.empty() || name.find('=') != std::string::npos)
            throw UsageError("invalid environment variable name '" + name + "'");
    if (spec.chdir && ::access(spec.chdir->c_str(), X_OK) != 0)
        throw SystemError("change directory to", *spec.chdir, errno);
}

// False on a failed write (errno says why; EPIPE: the reader is gone).
bool write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

class Run::Impl {
  public:
    explicit Impl(RunSpec spec) : spec_(std::move(spec)) {}

    void launch();
    std::optional<RunResult> wait_until(std::optional<Clock::time_point> deadline);
    void cancel();
    bool finished() const { return finished_; }

    RunSpec spec_;
    std::unique_ptr<CgroupDriver> driver_;
    std::unique_ptr<RunCgroup> cgroup_;
    std::optional<sys::ChildProcess> child_;
    std::unique_ptr<sys::SignalFd> signals_;
    sys::Epoll epoll_;
    sys::TimerFd timeout_timer_, kill_timer_, memory_timer_, jobs_timer_;
    std::unique_ptr<run::Jobserver> jobserver_;
    std::optional<sys::PressureTrigger> pressure_;
    Clock::time_point pressure_until_;
    bool pressure_watched_ = false;
    std::uint64_t jobs_limit_ = 0;  // the memory rule's limit (--memory, else --memory-high)
    sys::UniqueFd stdout_pipe_, stderr_pipe_, log_;
    Clock::time_point started_;
    Clock::time_point timed_out_at_;
    bool main_exited_ = false;
    bool finished_ = false;
    bool kill_sent_ = false;
    bool memory_warned_ = false;
    RunResult result_;

    void emit(RunEvent::Kind kind, const std::string& message) {
        if (spec_.on_event) spec_.on_event({kind, message});
    }

  private:
    void handle_signals();
    void on_timeout();
    void check_memory();
    void start_jobserver_loop();
    void look_at_jobs();
    void pump(sys::UniqueFd& pipe, int our_fd, std::string* capture);
    void log_failed(int err);
    // Our stdout and stderr still have a reader (after EPIPE their copy stops).
    bool stdout_open_ = true, stderr_open_ = true;
    void finish(const siginfo_t& info);
};

void Run::Impl::launch() {
    validate(spec_);
    auto environment = run::build_environment(spec_.setenv);
    std::string executable = run::resolve_executable(spec_.argv[0], environment, spec_.chdir);

    if (spec_.log_path) {
        const auto& path = *spec_.log_path;
        log_.reset(::open(path.c_str(),
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
                              (names_our_descriptor(path) ? 0 : O_NOFOLLOW),
                          0644));
        if (!log_ && errno == ELOOP) check_log_file(path);  // says why
        if (!log_) throw SystemError("open log file", path, errno);
    }
    spec_.driver.on_warning = [this, theirs = spec_.driver.on_warning](const std::string& text) {
        if (theirs) theirs(text);
        emit(RunEvent::Kind::info, "warning: " + text);
    };
    driver_ = make_driver(spec_.driver);
    std::string name = spec_.cgroup_name.empty() ? generated_name() : spec_.cgroup_name;
    cgroup_ = driver_->create(name, spec_.limits);

    // Blocked before the clone so that a signal arriving at any moment is queued for the
    // loop; the child clears its mask before exec.
    if (spec_.forward_signals) signals_ = std::make_unique<sys::SignalFd>(kForwardedSignals);

    sys::ExecPlan plan;
    plan.executable = executable;
    plan.argv = spec_.argv;
    plan.environment = std::move(environment);
    plan.chdir = spec_.chdir;
    plan.cgroup_fd = cgroup_->clone_into_fd();
    auto join_files = cgroup_->join_files();
    std::vector<sys::UniqueFd> join_fds;
    for (const auto& file : join_files) {
        join_fds.emplace_back(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
        if (!join_fds.back()) throw SystemError("move the command into cgroup", file, errno);
        plan.join_fds.push_back(join_fds.back().get());
    }
    if (spec_.jobs) {
        std::optional<run::TokenRule> rule;
        auto limit = spec_.limits.memory_max ? spec_.limits.memory_max : spec_.limits.memory_high;
        if (limit && spec_.jobs->memory_rule) {
            jobs_limit_ = *limit;
            rule.emplace(*limit, spec_.jobs->memory_threshold.value_or(0.75));
        }
        jobserver_ = std::make_unique<run::Jobserver>(spec_.jobs->max, std::move(rule));
        for (const auto& word : jobserver_->set_environment(plan.environment))
            spdlog::debug("MAKEFLAGS: '{}' replaced by the jobserver's -j{}", word,
                          spec_.jobs->max);
        plan.inherit_fds = jobserver_->command_fds();
    }
    sys::Pipe out, err;
    bool piped = spec_.log_path || spec_.capture_output;
    if (piped) {
        out = sys::Pipe::create(true);
        err = sys::Pipe::create(true);
        plan.stdout_fd = out.write.get();
        plan.stderr_fd = err.write.get();
    }
    child_ = sys::ChildProcess::spawn_held(plan);
    out.write.reset();
    err.write.reset();
    join_fds.clear();
    try {
        cgroup_->enter(child_->pid(), child_->cloned_into_cgroup());
    } catch (...) {
        child_->abort();
        child_->reap(true);
        throw;
    }
    spdlog::debug("driver {}, cgroup {}", to_string(driver_->kind()), cgroup_->unified_path());
    if (spec_.on_placed) {
        try {
            spec_.on_placed(*cgroup_, child_->pid());
        } catch (...) {
            child_->abort();
            child_->reap(true);
            throw;
        }
    }
    started_ = Clock::now();
    if (auto failure = child_->release()) {
        child_->reap(true);
        using Step = sys::ChildProcess::StartFailure::Step;
        if (failure->step == Step::join)
            throw SystemError("move the command into cgroup",
                              join_files.at(static_cast<std::size_t>(failure->which)),
                              failure->error);
        if (failure->step == Step::chdir)
            throw SystemError("change directory to", spec_.chdir.value_or(""), failure->error);
        throw CommandError("cannot run '" + spec_.argv[0] + "': " + std::strerror(failure->error),
                           failure->error == ENOENT ? kExitNotFound : kExitNotExecutable);
    }
    spdlog::debug("started pid {}: {}", child_->pid(), executable);

    epoll_.add(child_->pidfd(), kExit);
    if (signals_) epoll_.add(signals_->fd(), kSignal);
    if (spec_.timeout.count() > 0) {
        timeout_timer_.arm(spec_.timeout);
        epoll_.add(timeout_timer_.fd(), kTimeout);
    }
    epoll_.add(kill_timer_.fd(), kKillAfter);
    if (spec_.memory_warn) {
        memory_timer_.arm_periodic(std::chrono::milliseconds(100));
        epoll_.add(memory_timer_.fd(), kMemoryWatch);
    }
    if (jobserver_) start_jobserver_loop();
    if (piped) {
        stdout_pipe_ = std::move(out.read);
        stderr_pipe_ = std::move(err.read);
        epoll_.add(stdout_pipe_.get(), kStdout);
        epoll_.add(stderr_pipe_.get(), kStderr);
    }
    result_.cgroup = cgroup_->identity();
    result_.memory_limit_bytes = spec_.limits.memory_max;
}

void Run::Impl::handle_signals() {
    signalfd_siginfo info;
    while (signals_->read(info)) {
        int sig = static_cast<int>(info.ssi_signo);
        // The terminal sends Ctrl-C (and hangup) to the whole foreground process group,
        // which the command shares with us: it has its copy already.
        if (info.ssi_code == SI_KERNEL && ::getpgrp() == sys::terminal_foreground_group()) {
            spdlog::debug("SIG{} from the terminal: the command received it too", signal_name(sig));
            continue;
        }
        spdlog::debug("forwarding SIG{} to pid {}", signal_name(sig), child_->pid());
        child_->send_signal(sig);
    }
}

void Run::Impl::on_timeout() {
    result_.timed_out = true;
    timed_out_at_ = Clock::now();
    emit(RunEvent::Kind::timeout,
         "timed out after " +
             format_duration(std::chrono::duration<double>(spec_.timeout).count()) +
             (spec_.kill_after.count() > 0
                  ? ": sending SIGTERM to the whole tree, SIGKILL in " +
                        format_duration(std::chrono::duration<double>(spec_.kill_after).count())
                  : std::string(": killing the whole tree (--kill-after 0)")));
    if (spec_.kill_after.count() == 0) {
        cgroup_->signal_all(SIGKILL);
        kill_sent_ = true;
        return;
    }
    cgroup_->signal_all(SIGTERM);
    kill_timer_.arm(spec_.kill_after);
}

void Run::Impl::check_memory() {
    memory_timer_.consume();
    if (memory_warned_) return;
    auto usage = cgroup_->memory_usage();
    auto limit = *spec_.limits.memory_max;
    if (!usage || static_cast<double>(*usage) < *spec_.memory_warn * static_cast<double>(limit))
        return;
    memory_warned_ = true;
    memory_timer_.disarm();
    char share[16];
    std::snprintf(share, sizeof share, "%g%%", *spec_.memory_warn * 100);
    emit(RunEvent::Kind::memory_warning, "warning: memory usage " + format_size(*usage) +
                                             " crossed " + share + " of the " + format_size(limit) +
                                             " limit");
}

void Run::Impl::start_jobserver_loop() {
    bool rule = jobserver_->has_rule();
    jobs_timer_.arm_periodic(rule ? kJobsLookRule : kJobsLookPlain);
    epoll_.add(jobs_timer_.fd(), kJobsLook);
    if (rule) {
        pressure_ = sys::PressureTrigger::open(cgroup_->memory_pressure_file(), kPressureStall,
                                               kPressureWindow);
        epoll_.add(jobserver_->takeback_fd(), kJobsTokens, EPOLLIN | EPOLLET);
        if (pressure_) {
            epoll_.add(pressure_->fd(), kPressure, EPOLLPRI);
            pressure_watched_ = true;
        } else {
            spdlog::debug("jobs: no PSI trigger on {}: the memory rule watches usage only",
                          cgroup_->memory_pressure_file());
        }
        auto threshold = *jobserver_->result().memory_threshold_bytes;
        spdlog::debug("jobs: up to {}, fewer while memory is above {}", spec_.jobs->max,
                      format_size(threshold));
    }
    look_at_jobs();
}

void Run::Impl::look_at_jobs() {
    auto now = Clock::now();
    std::optional<std::uint64_t> working_set;
    if (jobserver_->has_rule()) working_set = cgroup_->memory_working_set();
    if (pressure_ && !pressure_watched_ && now >= pressure_until_) {
        epoll_.add(pressure_->fd(), kPressure, EPOLLPRI);
        pressure_watched_ = true;
    }
    bool was_withholding = jobserver_->withholding();
    jobserver_->update(now, working_set, now < pressure_until_);
    bool withholding = jobserver_->withholding();
    if (withholding != was_withholding) {
        spdlog::debug("jobs: {} of {} (memory {} of {}){}", jobserver_->running(), spec_.jobs->max,
                      working_set ? format_size(*working_set) : std::string("unknown"),
                      format_size(jobs_limit_),
                      withholding ? ": holding tokens back" : ": tokens go out again");
    }
}

void Run::Impl::pump(sys::UniqueFd& pipe, int our_fd, std::string* capture) {
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(pipe.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;  // EAGAIN: drained for now
        if (n == 0) {
            epoll_.remove(pipe.get());
            pipe.reset();
            return;
        }
        auto size = static_cast<size_t>(n);
        bool& open = our_fd == STDOUT_FILENO ? stdout_open_ : stderr_open_;
        if (capture)
            capture->append(buffer, size);
        else if (open)
            // (a closed reader stops that copy; another error loses this piece only)
            open = write_all(our_fd, buffer, size) || errno != EPIPE;
        if (log_ && !write_all(log_.get(), buffer, size)) log_failed(errno);
    }
}

void Run::Impl::log_failed(int err) {
    // Once: the log stops, the run goes on (its limits, its timeout, its other output).
    result_.log_error = "cannot write log file " + *spec_.log_path + ": " + std::strerror(err) +
                        "; the rest of the output is not in it";
    emit(RunEvent::Kind::info, "warning: " + *result_.log_error);
    log_.reset();
}

std::optional<RunResult> Run::Impl::wait_until(std::optional<Clock::time_point> deadline) {
    if (finished_) return result_;
    while (!main_exited_) {
        int timeout_ms = -1;
        if (deadline) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
            if (left.count() <= 0) return std::nullopt;
            timeout_ms = static_cast<int>(left.count()) + 1;
        }
        for (auto tag : epoll_.wait(timeout_ms)) {
            switch (tag) {
                case kExit:
                    main_exited_ = true;
                    break;
                case kSignal:
                    handle_signals();
                    break;
                case kTimeout:
                    if (timeout_timer_.consume()) on_timeout();
                    break;
                case kKillAfter:
                    if (kill_timer_.consume()) {
                        cgroup_->signal_all(SIGKILL);
                        kill_sent_ = true;
                    }
                    break;
                case kMemoryWatch:
                    check_memory();
                    break;
                case kJobsLook:
                    if (jobs_timer_.consume()) look_at_jobs();
                    break;
                case kJobsTokens:
                    jobserver_->on_pipe_written();
                    break;
                case kPressure:
                    // Unwatched for the window: a trigger fires at most once per window,
                    // and a descriptor in error (PSI switched off) would fire forever.
                    epoll_.remove(pressure_->fd());
                    pressure_watched_ = false;
                    jobserver_->count_pressure_event();
                    pressure_until_ = Clock::now() + kPressureWindow;
                    look_at_jobs();
                    break;
                case kStdout:
                    if (stdout_pipe_)
                        pump(stdout_pipe_, STDOUT_FILENO,
                             spec_.capture_output ? &result_.captured_stdout : nullptr);
                    break;
                case kStderr:
                    if (stderr_pipe_)
                        pump(stderr_pipe_, STDERR_FILENO,
                             spec_.capture_output ? &result_.captured_stderr : nullptr);
                    break;
            }
        }
    }
    auto info = child_->reap(true);
    finish(*info);
    return result_;
}

void Run::Impl::finish(const siginfo_t& info) {
    result_.wall_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (info.si_code == CLD_EXITED)
        result_.exit_code = info.si_status;
    else
        result_.signal = info.si_status;

    // Read while the cgroup surely exists (a systemd scope goes away once empty).
    CgroupStats at_exit = cgroup_->stats();

    if (cgroup_->populated()) {
        // After a timeout the tree keeps its grace period; otherwise the main process
        // has ended and so has the run.
        if (result_.timed_out && !kill_sent_) {
            auto grace_left =
                spec_.kill_after -
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - timed_out_at_);
            if (grace_left.count() > 0) cgroup_->wait_until_empty(grace_left);
        }
        if (cgroup_->populated()) {
            spdlog::debug("main process ended; killing the rest of {}", cgroup_->unified_path());
            cgroup_->signal_all(SIGKILL);
        }
        if (!cgroup_->wait_until_empty(std::chrono::seconds(10)))
            emit(RunEvent::Kind::info,
                 "warning: processes of " + cgroup_->unified_path() + " survived SIGKILL for 10s");
    }
    // Output left in the pipes: every writer is gone now, so this ends at EOF.
    for (auto* pipe : {&stdout_pipe_, &stderr_pipe_}) {
        if (!*pipe) continue;
        int flags = ::fcntl(pipe->get(), F_GETFL);
        ::fcntl(pipe->get(), F_SETFL, flags & ~O_NONBLOCK);
        bool is_out = pipe == &stdout_pipe_;
        pump(*pipe, is_out ? STDOUT_FILENO : STDERR_FILENO,
             spec_.capture_output ? (is_out ? &result_.captured_stdout : &result_.captured_stderr)
                                  : nullptr);
    }

    if (jobserver_) {
        result_.jobs = jobserver_->result();
        pressure_.reset();  // (its file is the cgroup's)
    }
    auto stats = CgroupStats::combine(at_exit, cgroup_->stats());
    result_.memory_peak_bytes = stats.memory_peak;
    result_.oom_kills = stats.oom_kills;
    result_.oom_killed = stats.oom_kills > 0;
    result_.user_seconds = stats.user_seconds;
    result_.system_seconds = stats.system_seconds;
    try {
        cgroup_->remove();
    } catch (const Error& e) {
        emit(RunEvent::Kind::info, std::string("warning: ") + e.what());
    }
    signals_.reset();
    finished_ = true;
}

void Run::Impl::cancel() {
    if (finished_ || !cgroup_) return;
    result_.cancelled = true;
    cgroup_->signal_all(SIGKILL);
    kill_sent_ = true;
}

Run Run::start(RunSpec spec) {
    auto impl = std::make_unique<Impl>(std::move(spec));
    impl->launch();
    return Run(std::move(impl));
}

Run::Run(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Run::Run(Run&&) noexcept = default;
Run& Run::operator=(Run&&) noexcept = default;

Run::~Run() {
    if (!impl_ || impl_->finished()) return;
    try {
        impl_->cancel();
        impl_->wait_until(std::nullopt);
    } catch (const std::exception& e) {
        impl_->emit(RunEvent::Kind::info, std::string("warning: ") + e.what());
    }
}

pid_t Run::pid() const {
    return impl_->child_->pid();
}
const CgroupIdentity& Run::cgroup() const {
    return impl_->result_.cgroup;
}
RunResult Run::wait() {
    return *impl_->wait_until(std::nullopt);
}
std::optional<RunResult> Run::wait_for(std::chrono::milliseconds timeout) {
    return impl_->wait_until(Clock::now() + timeout);
}
void Run::cancel() {
    impl_->cancel();
}

int RunResult::exit_status() const {
    if (timed_out) return kExitTimeout;
    if (signal) return 128 + *signal;
    return exit_code.value_or(kExitFailure);
}

void check_log_file(const std::string& path) {
    // The file itself is never a symlink (another user's, in a sticky /tmp, would redirect
    // it); symlinks above it are the kernel's fs.protected_symlinks to judge.
    struct stat st;
    if (!names_our_descriptor(path) && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        throw UsageError(path + " is a symlink; give the file it points to");
}

void check_run_spec(const RunSpec& spec) {
    validate(spec);
    run::resolve_executable(spec.argv[0], run::build_environment(spec.setenv), spec.chdir);
}

RunPlan plan_run(const RunSpec& spec) {
    validate(spec);
    auto environment = run::build_environment(spec.setenv);
    RunPlan plan;
    plan.executable = run::resolve_executable(spec.argv[0], environment, spec.chdir);
    auto driver = make_driver(spec.driver);
    plan.driver = driver->kind();
    plan.cgroup_path =
        driver->planned_path(spec.cgroup_name.empty() ? generated_name() : spec.cgroup_name);
    plan.limits = spec.limits;
    return plan;
}

}  // namespace supervise
