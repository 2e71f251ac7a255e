#include "supervise/sys/events.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "supervise/error.h"

namespace supervise::sys {

Epoll::Epoll() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) throw SystemError("create", "an epoll instance", errno);
}

void Epoll::add(int fd, std::uint64_t tag, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
        throw SystemError("watch", "a descriptor with epoll", errno);
}

void Epoll::remove(int fd) {
    ::epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

std::vector<std::uint64_t> Epoll::wait(int timeout_ms) {
    epoll_event events[16];
    int n;
    do {
        n = ::epoll_wait(fd_.get(), events, 16, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw SystemError("wait", "for events (epoll)", errno);
    std::vector<std::uint64_t> tags;
    for (int i = 0; i < n; ++i) tags.push_back(events[i].data.u64);
    return tags;
}

SignalFd::SignalFd(const std::vector<int>& signals) {
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : signals) sigaddset(&mask, sig);
    if (::sigprocmask(SIG_BLOCK, &mask, &previous_) != 0)
        throw SystemError("block", "signals", errno);
    fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) {
        int err = errno;
        ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
        throw SystemError("create", "a signalfd", err);
    }
}

SignalFd::~SignalFd() {
    ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

bool SignalFd::read(signalfd_siginfo& info) {
    ssize_t n;
    do {
        n = ::read(fd_.get(), &info, sizeof info);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof info);
}

TimerFd::TimerFd() : fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) {
    if (!fd_) throw SystemError("create", "a timerfd", errno);
}

namespace {
timespec to_timespec(std::chrono::milliseconds ms) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ms.count() / 1000);
    ts.tv_nsec = static_cast<long>((ms.count() % 1000) * 1000000);
    if (ts.tv_sec == 0 && ts.tv_nsec == 0) ts.tv_nsec = 1;  // zero would disarm
    return ts;
}
}  // namespace

void TimerFd::arm(std::chrono::milliseconds after) {
    itimerspec spec{};
    spec.it_value = to_timespec(after);
    if (::timerfd_settime(fd_.get(), 0, &spec, nullptr) != 0)
        throw SystemError("arm", "a timerfd", errno);
}

void TimerFd::arm_periodic(std::chrono::milliseconds interval) {
    itimerspec spec{};
    spec.it_value = to_timespec(interval);
    spec.it_interval = spec.it_value;
    if (::timerfd_settime(fd_.get(), 0, &spec, nullptr) != 0)
        throw SystemError("arm", "a timerfd", errno);
}

void TimerFd::disarm() {
    itimerspec spec{};
    ::timerfd_settime(fd_.get(), 0, &spec, nullptr);
}

bool TimerFd::consume() {
    std::uint64_t expirations = 0;
    return ::read(fd_.get(), &expirations, sizeof expirations) == sizeof expirations &&
           expirations > 0;
}

Inotify::Inotify() : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (!fd_) throw SystemError("create", "an inotify instance", errno);
}

int Inotify::watch(const std::string& path, std::uint32_t mask) {
    int wd = ::inotify_add_watch(fd_.get(), path.c_str(), mask);
    if (wd < 0) throw SystemError("watch", path, errno);
    watches_.push_back(wd);
    return wd;
}

void Inotify::unwatch_all() {
    for (int wd : watches_) ::inotify_rm_watch(fd_.get(), wd);  // one already gone is fine
    watches_.clear();
    drain();
}

bool Inotify::drain() {
    alignas(inotify_event) char buffer[4096];
    bool any = false;
    for (;;) {
        ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
        if (n <= 0) return any;
        any = true;
    }
}

bool Inotify::wait_until(const std::string& path, std::uint32_t mask,
                         const std::function<bool()>& done, std::chrono::milliseconds timeout,
                         std::chrono::milliseconds recheck) {
    Inotify inotify;
    try {
        inotify.watch(path, mask);
    } catch (const SystemError&) {
        return done();
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd waiting{inotify.fd(), POLLIN, 0};
        ::poll(&waiting, 1, static_cast<int>(std::min(left, recheck).count()));
        inotify.drain();
    }
    return true;
}

std::optional<PressureTrigger> PressureTrigger::open(const std::string& path,
                                                     std::chrono::microseconds stall,
                                                     std::chrono::microseconds window) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return std::nullopt;
    std::string trigger =
        "some " + std::to_string(stall.count()) + " " + std::to_string(window.count());
    // (the kernel reads the text up to its NUL)
    if (::write(fd.get(), trigger.c_str(), trigger.size() + 1) < 0) return std::nullopt;
    return PressureTrigger(std::move(fd));
}

}  // namespace supervise::sys
