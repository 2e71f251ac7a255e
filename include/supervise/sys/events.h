#pragma once
// Event sources for the supervisor's single-threaded loop: epoll, signalfd, timerfd,
// inotify. Each owns its descriptor.

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "supervise/sys/fd.h"

namespace supervise::sys {

class Epoll {
  public:
    Epoll();
    // Watches fd for readability; `tag` comes back from wait().
    void add(int fd, std::uint64_t tag, std::uint32_t events = EPOLLIN);
    void remove(int fd);
    // Tags of ready descriptors; empty after timeout (negative = wait forever).
    std::vector<std::uint64_t> wait(int timeout_ms);

  private:
    UniqueFd fd_;
};

// Blocks the given signals in this thread and reads them from a signalfd. The destructor
// restores the previous mask (pending signals are then delivered as usual).
class SignalFd {
  public:
    explicit SignalFd(const std::vector<int>& signals);
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;
    int fd() const { return fd_.get(); }
    // Next pending signal, or false when none.
    bool read(signalfd_siginfo& info);

  private:
    UniqueFd fd_;
    sigset_t previous_;
};

// A monotonic timer: one-shot (arm) or periodic (arm_periodic).
class TimerFd {
  public:
    TimerFd();
    int fd() const { return fd_.get(); }
    void arm(std::chrono::milliseconds after);
    void arm_periodic(std::chrono::milliseconds interval);
    void disarm();
    // Consumes the expiration count; true when the timer fired.
    bool consume();

  private:
    UniqueFd fd_;
};

// Closing an inotify instance waits for an SRCU grace period (milliseconds): a loop that
// re-arms watches keeps one instance and calls unwatch_all() instead.
class Inotify {
  public:
    Inotify();
    int fd() const { return fd_.get(); }
    // Returns the watch descriptor; throws SystemError.
    int watch(const std::string& path, std::uint32_t mask);
    // Removes every watch added so far (cheap: the kernel frees them later).
    void unwatch_all();
    // Drains pending events; returns true when any arrived.
    bool drain();

    // Waits until done() holds, looking again whenever path has an event of mask (and
    // every `recheck` at the latest); false when timeout passes first. When path cannot
    // be watched (it is gone, say), done() alone decides.
    static bool wait_until(const std::string& path, std::uint32_t mask,
                           const std::function<bool()>& done, std::chrono::milliseconds timeout,
                           std::chrono::milliseconds recheck = std::chrono::hours(1));

  private:
    UniqueFd fd_;
    std::vector<int> watches_;
};

// A PSI trigger (Documentation/accounting/psi.rst) on a pressure file such as a cgroup's
// memory.pressure: its descriptor polls EPOLLPRI each time some task of the cgroup was
// stalled for more than `stall` within a `window` (2s, 4s...: what the kernel allows
// writers without CAP_SYS_RESOURCE too).
class PressureTrigger {
  public:
    // Nothing where the kernel has no PSI, the file is missing or refuses the trigger.
    static std::optional<PressureTrigger> open(const std::string& path,
                                               std::chrono::microseconds stall,
                                               std::chrono::microseconds window);
    int fd() const { return fd_.get(); }

  private:
    explicit PressureTrigger(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace supervise::sys
