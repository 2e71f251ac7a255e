#include "jobserver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "supervise/error.h"

namespace supervise::run {

namespace {

constexpr auto kShareWindow = std::chrono::seconds(30);
// Jobs still allocating: the working set is assumed to go on rising as it did in this time.
constexpr auto kRiseWindow = std::chrono::milliseconds(500);
// One token more at most this often: a job that has just started has not allocated yet.
constexpr auto kGrantPace = std::chrono::milliseconds(250);
// Slow start: one grant more per this much time, ends or not (a long link holding tokens).
constexpr auto kSlowStartStep = std::chrono::seconds(30);
constexpr char kToken = '+';

// MAKEFLAGS words: split at unescaped blanks (make writes a blank inside a word as "\ ").
std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            word += c;
            word += text[++i];
        } else if (c == ' ' || c == '\t') {
            if (!word.empty()) words.push_back(std::exchange(word, {}));
        } else {
            word += c;
        }
    }
    if (!word.empty()) words.push_back(word);
    return words;
}

bool is_jobs_word(const std::string& word) {
    return word.starts_with("-j") || word == "--jobs" || word.starts_with("--jobs=") ||
           word.starts_with("--jobserver-auth") || word.starts_with("--jobserver-fds");
}

bool all_digits(const std::string& word) {
    return !word.empty() &&
           std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string jobserver_makeflags(std::string_view existing, unsigned max, int read_fd, int write_fd,
                                std::vector<std::string>& replaced) {
    auto words = split_words(existing);
    std::vector<std::string> flags, assignments;
    bool after_dashes = false;
    for (size_t i = 0; i < words.size(); ++i) {
        const auto& word = words[i];
        if (after_dashes || word == "--") {
            after_dashes = true;
            assignments.push_back(word);
        } else if (is_jobs_word(word)) {
            replaced.push_back(word);
            // "-j 8", "--jobs 8": the count is the next word
            if ((word == "-j" || word == "--jobs") && i + 1 < words.size() &&
                all_digits(words[i + 1]))
                replaced.push_back(words[++i]);
        } else {
            flags.push_back(word);
        }
    }
    std::string auth = std::to_string(read_fd) + "," + std::to_string(write_fd);
    flags.push_back("-j" + std::to_string(max));
    flags.push_back("--jobserver-auth=" + auth);
    std::string out;
    for (const auto& word : flags) out += (out.empty() ? "" : " ") + word;
    for (const auto& word : assignments) out += " " + word;
    return out;
}

TokenRule::TokenRule(std::uint64_t limit, double threshold)
    : limit_(limit),
      high_(static_cast<std::uint64_t>(threshold * static_cast<double>(limit))),
      low_(
          static_cast<std::uint64_t>(std::max(0.0, threshold - 0.1) * static_cast<double>(limit))) {
}

bool TokenRule::allows_more(Clock::time_point now, unsigned running, unsigned waiting,
                            std::optional<std::uint64_t> working_set, bool pressure) {
    if (!working_set) {
        // Usage unknown: PSI alone says when to stop; tokens still go one per look.
        crossed_ = pressure;
        return !pressure;
    }
    std::uint64_t share = *working_set / std::max(running, 1u);
    while (!shares_.empty() && now - shares_.front().first > kShareWindow) shares_.pop_front();
    while (!shares_.empty() && shares_.back().second <= share) shares_.pop_back();
    shares_.emplace_back(now, share);
    std::uint64_t per_job = shares_.front().second;  // the window's largest

    recent_.emplace_back(now, *working_set);
    while (recent_.size() > 1 && now - recent_[1].first >= kRiseWindow) recent_.pop_front();
    std::uint64_t earlier = recent_.front().second;
    std::uint64_t rise = *working_set > earlier ? *working_set - earlier : 0;

    // The threshold: memory in use (and still rising) above it holds tokens back.
    std::uint64_t in_use = *working_set + rise;
    if (crossed_) {
        if (in_use < low_ && !pressure) crossed_ = false;
    } else if (in_use >= high_ || pressure) {
        crossed_ = true;
    }
    // Below it, one job more must fit under the limit itself when every running job and
    // every free token grows to the largest share seen.
    std::uint64_t projected = std::max(*working_set, per_job * running) +
                              per_job * static_cast<std::uint64_t>(waiting) + rise;
    return !crossed_ && projected + per_job < limit_;
}

Jobserver::Jobserver(unsigned max, std::optional<TokenRule> rule)
    : max_(max), rule_(std::move(rule)) {
    auto pipe = sys::Pipe::create();
    read_ = std::move(pipe.read);
    write_ = std::move(pipe.write);
    if (rule_) takeback_ = sys::reopen(read_.get(), O_RDONLY | O_NONBLOCK);
    result_.max = max;
    result_.peak_parallel = 1;
    if (rule_) result_.memory_threshold_bytes = rule_->high();
    held_ = max - 1;
    if (!rule_) give(held_);
}

std::vector<std::string> Jobserver::set_environment(std::vector<std::string>& environment) const {
    std::vector<std::string> replaced;
    std::string existing;
    std::erase_if(environment, [&](const std::string& entry) {
        if (entry.starts_with("MAKEFLAGS=")) {
            existing = entry.substr(10);
            return true;
        }
        return entry.starts_with("CARGO_MAKEFLAGS=");
    });
    std::string flags = jobserver_makeflags(existing, max_, read_.get(), write_.get(), replaced);
    environment.push_back("MAKEFLAGS=" + flags);
    std::vector<std::string> ignored;
    environment.push_back("CARGO_MAKEFLAGS=" +
                          jobserver_makeflags("", max_, read_.get(), write_.get(), ignored));
    return replaced;
}

unsigned Jobserver::free_in_pipe() const {
    auto bytes = sys::pending_bytes(read_.get());
    return static_cast<unsigned>(std::min<std::size_t>(bytes, max_ - 1 - held_));
}

void Jobserver::give(unsigned tokens) {
    std::string bytes(tokens, kToken);
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(write_.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SystemError("write", "jobserver tokens", errno);
        done += static_cast<size_t>(n);
    }
    held_ -= tokens;
}

void Jobserver::on_pipe_written() {
    // (our own grant wakes the watch too, unless a client took it first: the next look
    // forgets it. An end that coincides with it is seen at that look, as fewer tokens in use.)
    if (std::exchange(own_write_, false)) return;
    ++ends_since_look_;
    if (withholding_) take_back();
}

void Jobserver::take_back() {
    char bytes[kMostJobs];
    for (;;) {
        ssize_t n = ::read(takeback_.get(), bytes, sizeof bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // EAGAIN: a client was first
        // (a client that wrote back more than it took does not mint tokens)
        held_ = std::min(max_ - 1, held_ + static_cast<unsigned>(n));
        result_.tokens_withheld_max = std::max(result_.tokens_withheld_max, held_);
    }
}

void Jobserver::update(Clock::time_point now, std::optional<std::uint64_t> working_set,
                       bool pressure) {
    if (last_update_ && withholding_)
        result_.seconds_throttled += std::chrono::duration<double>(now - *last_update_).count();
    last_update_ = now;
    if (!started_) started_ = now;
    own_write_ = false;
    unsigned waiting = free_in_pipe();
    unsigned in_use = max_ - 1 - held_ - waiting;
    // Jobs that ended since the last look: tokens given back (events), or fewer in use.
    ended_ += std::max(ends_since_look_, in_use_ > in_use ? in_use_ - in_use : 0);
    ends_since_look_ = 0;
    in_use_ = in_use;
    running_ = 1 + in_use;
    result_.peak_parallel = std::max(result_.peak_parallel, running_);
    if (!rule_) return;

    if (rule_->allows_more(now, running_, waiting, working_set, pressure)) {
        withholding_ = false;
        // Slow start: a job's size is a guess until it has ended (a job may take long to
        // allocate), so the grants so far may be at most 1 + one per job seen ending (which
        // doubles the width per job's length, like TCP's) + one per 30s; and with no
        // token in use, one more always may go out.
        bool paced = !last_grant_ || now - *last_grant_ >= kGrantPace;
        auto since_start = static_cast<unsigned>((now - *started_) / kSlowStartStep);
        bool started = grants_ < 1 + ended_ + since_start || in_use == 0;
        if (held_ > 0 && waiting == 0 && paced && started) {
            give(1);
            ++grants_;
            last_grant_ = now;
            own_write_ = true;
        }
        return;
    }
    if (waiting > 0) take_back();
    withholding_ = held_ > 0;
    if (withholding_) result_.tokens_withheld_max = std::max(result_.tokens_withheld_max, held_);
}

}  // namespace supervise::run
