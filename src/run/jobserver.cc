#include "jobserver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "supervise/error.h"

namespace supervise::run {

namespace {

constexpr auto kShareWindow = std::chrono::seconds(10);
// Jobs still allocating: the working set is assumed to go on rising as it did in this time.
constexpr auto kRiseWindow = std::chrono::milliseconds(500);
// One token more at most this often: a job that has just started has not allocated yet.
constexpr auto kGrantPace = std::chrono::milliseconds(250);
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

    std::uint64_t projected = std::max(*working_set, per_job * running) +
                              per_job * static_cast<std::uint64_t>(waiting) + rise;
    if (crossed_) {
        if (projected < low_ && !pressure) crossed_ = false;
    } else if (projected >= high_ || pressure) {
        crossed_ = true;
    }
    return !crossed_ && projected + per_job < high_;
}

Jobserver::Jobserver(unsigned max, std::optional<TokenRule> rule)
    : max_(max), rule_(std::move(rule)) {
    auto pipe = sys::Pipe::create();
    read_ = std::move(pipe.read);
    write_ = std::move(pipe.write);
    takeback_ = sys::reopen(read_.get(), O_RDONLY | O_NONBLOCK);
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
    // (our own grant wakes the watch too; one coinciding with a job's end is not counted,
    // which only slows the start)
    if (std::exchange(own_write_, false)) return;
    ++ended_;
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
    unsigned waiting = free_in_pipe();
    running_ = 1 + (max_ - 1 - held_ - waiting);
    result_.peak_parallel = std::max(result_.peak_parallel, running_);
    if (!rule_) return;

    if (rule_->allows_more(now, running_, waiting, working_set, pressure)) {
        withholding_ = false;
        // Slow start: until jobs have ended, their size is a guess (a job may take long
        // to allocate): two grants more per job seen ending.
        bool paced = !last_grant_ || now - *last_grant_ >= kGrantPace;
        if (held_ > 0 && waiting == 0 && paced && grants_ < 1 + 2 * ended_) {
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
