#pragma once
// The jobserver of a run (RunSpec::jobs): a pipe of tokens that the command's make, cargo
// or rustc take one of for each job past their first, and the memory rule that keeps free
// tokens back while the run's cgroup is short of memory.
//
// Tokens are counted, not tracked: of the max-1 tokens, those we hold are ours, those in
// the pipe (FIONREAD) are free, the rest are in use by the command's jobs. The rule hands
// out one token per look (at most every 250ms; in slow start at most one per job seen
// ending, plus one per 30s) while another job fits, and takes free tokens back (from a
// descriptor of its own, non-blocking, so the clients' blocking reads are untouched) while
// none does. A token a client holds is never taken from it: the first job always runs.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "supervise/run.h"
#include "supervise/sys/fd.h"

namespace supervise::run {

using Clock = std::chrono::steady_clock;

// The most jobs --jobs takes: the tokens must fit a pipe's buffer (64 KiB) with room.
constexpr unsigned kMostJobs = 4096;

// MAKEFLAGS for a client of our jobserver: `existing` (the caller's MAKEFLAGS) without its
// -j, --jobs, --jobserver-auth and --jobserver-fds words, then -jN --jobserver-auth=R,W,
// then the caller's variable assignments (after " -- "). The words taken out are added to
// `replaced`.
std::string jobserver_makeflags(std::string_view existing, unsigned max, int read_fd, int write_fd,
                                std::vector<std::string>& replaced);

// The memory rule's judgement, apart from any descriptor. The threshold: while the
// working set (plus what it rose in the last 0.5s: jobs still allocating go on) is at or
// above `threshold` of the limit, or after a PSI stall, no token goes out, until it is
// below `threshold` less 0.10. Below it, one job more may start when it fits under the
// limit itself with every running job (and free token) counted at the largest working
// set per running job seen in the last 30s: a job that has just taken its token has not
// allocated yet.
class TokenRule {
  public:
    TokenRule(std::uint64_t limit, double threshold);
    // running: jobs holding a token, plus the first; waiting: tokens free in the pipe.
    bool allows_more(Clock::time_point now, unsigned running, unsigned waiting,
                     std::optional<std::uint64_t> working_set, bool pressure);
    std::uint64_t high() const { return high_; }

  private:
    std::uint64_t limit_, high_, low_;
    bool crossed_ = false;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> shares_;  // decreasing
    std::deque<std::pair<Clock::time_point, std::uint64_t>> recent_;  // working sets, 0.5s
};

class Jobserver {
  public:
    // Creates the pipe. Without a rule every token goes into it now.
    Jobserver(unsigned max, std::optional<TokenRule> rule);

    // The pipe's ends, which the command inherits at these numbers.
    std::vector<int> command_fds() const { return {read_.get(), write_.get()}; }
    // Sets MAKEFLAGS and CARGO_MAKEFLAGS in environment (NAME=VALUE entries); returns the
    // caller's words that were replaced.
    std::vector<std::string> set_environment(std::vector<std::string>& environment) const;

    bool has_rule() const { return rule_.has_value(); }
    // One look: counts the tokens, then grants one or takes the free ones back.
    void update(Clock::time_point now, std::optional<std::uint64_t> working_set, bool pressure);
    // With a rule the caller watches takeback_fd() (EPOLLIN | EPOLLET: an event for a write
    // to the pipe, several writes between two waits possibly as one) and calls
    // on_pipe_written(): a job has ended and given its token back, which the rule takes
    // while it withholds(). Ends are also seen at each look, as fewer tokens in use.
    bool withholding() const { return withholding_; }
    int takeback_fd() const { return takeback_.get(); }
    void on_pipe_written();
    void count_pressure_event() { ++result_.pressure_events; }

    unsigned running() const { return running_; }
    JobsResult result() const { return result_; }

  private:
    unsigned free_in_pipe() const;
    void give(unsigned tokens);
    void take_back();

    unsigned max_;
    std::optional<TokenRule> rule_;
    sys::UniqueFd read_, write_;  // the command's (blocking; inherited)
    sys::UniqueFd takeback_;      // ours, on the same pipe, non-blocking
    unsigned held_ = 0;           // tokens we keep back
    unsigned running_ = 1;
    bool withholding_ = false;
    unsigned grants_ = 0, ended_ = 0;  // tokens we handed out; jobs seen ending
    unsigned ends_since_look_ = 0;     // tokens given back (pipe events) since the last look
    unsigned in_use_ = 0;              // at the last look
    bool own_write_ = false;           // our grant's own pipe event is still to come
    std::optional<Clock::time_point> started_;
    std::optional<Clock::time_point> last_update_, last_grant_;
    JobsResult result_;
};

}  // namespace supervise::run
