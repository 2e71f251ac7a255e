// The run history: JSON lines appended by every finished run (fields: supervise(1), HISTORY).

#include "supervise/history.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "supervise/json.h"
#include "supervise/lock.h"
#include "supervise/record.h"
#include "supervise/run.h"
#include "supervise/sys/fd.h"
#include "supervise/sys/files.h"

namespace supervise {

std::string open_persistent_dir(const std::string& state_dir_override, const std::string& leaf,
                                bool create) {
    std::string base;  // made (when missing) before the directory in it
    if (!state_dir_override.empty()) {
        base = state_dir_override;
    } else if (::geteuid() == 0) {
        base = "/var/lib/supervise";
    } else if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
        base = std::string(state) + "/supervise";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
        base = std::string(home) + "/.local/state/supervise";
    } else {
        throw UsageError("neither XDG_STATE_HOME nor HOME is set: give --state-dir DIR for " +
                         leaf);
    }
    std::string root = sys::check_path_to(base + "/" + leaf, leaf + " directory");
    // Only what writes makes the directories: a look leaves nothing behind.
    if (!create && !sys::path_exists(root)) return root;
    if (!state_dir_override.empty()) {
        base = open_state_dir(state_dir_override);
    } else {
        if (base.ends_with("/.local/state/supervise")) {
            std::string home = base.substr(0, base.size() - 23);
            ::mkdir((home + "/.local").c_str(), 0700);
            ::mkdir((home + "/.local/state").c_str(), 0700);
        } else if (::geteuid() != 0) {
            ::mkdir(base.substr(0, base.rfind('/')).c_str(), 0700);  // $XDG_STATE_HOME
        } else {
            ::mkdir("/var/lib", 0755);  // (a container or a volatile root may lack it)
        }
        sys::make_private_dir(base);
    }
    sys::make_private_dir(root);
    return root;
}

std::string history_file(const std::string& state_dir_override, bool create) {
    return open_persistent_dir(state_dir_override, "history", create) + "/runs.jsonl";
}

std::string default_job_key(const std::optional<std::string>& lock, const std::string& dir,
                            const std::vector<std::string>& argv) {
    std::string command;
    for (const auto& word : argv) command += (command.empty() ? "" : " ") + word;
    return clip(lock.value_or("") + ":" + dir + ":" + command, 1024);
}

std::string job_key(const RunSpec& spec, const std::optional<std::string>& lock) {
    if (!spec.job.empty()) return spec.job;
    std::string dir = spec.chdir.value_or("");
    char cwd[4096];
    if ((dir.empty() || dir[0] != '/') && ::getcwd(cwd, sizeof cwd))
        dir = std::string(cwd) + (dir.empty() ? "" : "/" + dir);
    return default_job_key(lock, dir, spec.argv);
}

LearnedMemory learn_memory(const std::vector<HistoryRecord>& records, const std::string& job,
                           std::uint64_t fallback) {
    std::vector<const HistoryRecord*> runs;
    for (const auto& r : records)
        if (r.job == job) runs.push_back(&r);
    std::optional<std::uint64_t> learned;
    size_t seen = 0;
    for (auto it = runs.rbegin(); it != runs.rend() && seen < kLearnFrom; ++it) {
        const auto& r = **it;
        if (r.exit_status != 0 || r.oom_killed || !r.memory_peak_bytes) continue;
        ++seen;
        auto want = static_cast<std::uint64_t>(std::ceil(*r.memory_peak_bytes * kLearnMargin));
        learned = std::max(learned.value_or(0), want);
    }
    if (!runs.empty() && runs.back()->oom_killed && runs.back()->memory_limit_bytes)
        learned = std::max(learned.value_or(0), 2 * *runs.back()->memory_limit_bytes);
    if (!learned) return {fallback, "default"};
    constexpr std::uint64_t kMiB = 1 << 20;
    return {std::max(kLearnLeast, (*learned + kMiB - 1) / kMiB * kMiB), "history"};
}

HistoryRecord history_record(const RunResult& result, const std::string& job, double ended) {
    HistoryRecord r;
    r.job = job;
    r.started = ended - result.wall_seconds;
    r.wall_seconds = result.wall_seconds;
    r.user_seconds = result.user_seconds;
    r.system_seconds = result.system_seconds;
    r.memory_peak_bytes = result.memory_peak_bytes;
    r.memory_limit_bytes = result.memory_limit_bytes;
    r.exit_status = result.exit_status();
    if (result.signal) r.signal = signal_name(*result.signal);
    r.oom_killed = result.oom_killed;
    r.timed_out = result.timed_out;
    r.wait_seconds = result.wait_seconds;
    r.lock = result.lock;
    r.slot = result.slot;
    return r;
}

namespace {

Json record_json(const HistoryRecord& r) {
    auto or_null = [](const auto& value) { return value ? Json(*value) : Json(nullptr); };
    auto ms = [](double seconds) { return std::round(seconds * 1000) / 1000; };
    auto ms_or_null = [&](const std::optional<double>& v) {
        return v ? Json(ms(*v)) : Json(nullptr);
    };
    return Json{{"version", 1},
                {"job", r.job},
                {"started", ms(r.started)},
                {"wall_seconds", ms(r.wall_seconds)},
                {"user_seconds", ms_or_null(r.user_seconds)},
                {"system_seconds", ms_or_null(r.system_seconds)},
                {"memory_peak_bytes", or_null(r.memory_peak_bytes)},
                {"memory_limit_bytes", or_null(r.memory_limit_bytes)},
                {"exit_status", r.exit_status},
                {"signal", or_null(r.signal)},
                {"oom_killed", r.oom_killed},
                {"timed_out", r.timed_out},
                {"wait_seconds", ms_or_null(r.wait_seconds)},
                {"lock", or_null(r.lock)},
                {"slot", or_null(r.slot)}};
}

std::optional<HistoryRecord> parse_record(const std::string& line) {
    auto json = Json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    try {
        if (json.value("version", 0) != 1) return std::nullopt;
        HistoryRecord r;
        auto opt = [&]<typename T>(const char* key, std::optional<T>& out) {
            if (json.contains(key) && !json[key].is_null()) out = json[key].get<T>();
        };
        r.job = json.at("job").get<std::string>();
        r.started = json.at("started").get<double>();
        r.wall_seconds = json.at("wall_seconds").get<double>();
        r.exit_status = json.at("exit_status").get<int>();
        opt("user_seconds", r.user_seconds);
        opt("system_seconds", r.system_seconds);
        opt("memory_peak_bytes", r.memory_peak_bytes);
        opt("memory_limit_bytes", r.memory_limit_bytes);
        opt("signal", r.signal);
        opt("wait_seconds", r.wait_seconds);
        opt("lock", r.lock);
        opt("slot", r.slot);
        r.oom_killed = json.value("oom_killed", false);
        r.timed_out = json.value("timed_out", false);
        return r;
    } catch (const Json::exception&) {
        return std::nullopt;
    }
}

template <typename T>
std::optional<T> median(std::vector<T> values) {
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    return values[(values.size() - 1) / 2];
}

}  // namespace

void append_history(const std::string& file, const HistoryRecord& record, std::uint64_t max_bytes) {
    std::string line =
        record_json(record).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    sys::UniqueFd fd(::open(
        file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
    if (!fd) throw SystemError("open history file", file, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw SystemError("append to history file", file, EINVAL);
    if (static_cast<std::uint64_t>(st.st_size) >= max_bytes &&
        ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
        // One rotation at a time (whoever got the file's lock); a run that appends to the
        // old file meanwhile lands in FILE.1, which is read too.
        struct stat now;
        if (::stat(file.c_str(), &now) == 0 && now.st_ino == st.st_ino)
            ::rename(file.c_str(), (file + ".1").c_str());
        fd.reset(::open(file.c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
        if (!fd) throw SystemError("open history file", file, errno);
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
            throw SystemError("append to history file", file, EINVAL);
    }
    ssize_t n;
    do {
        n = ::write(fd.get(), line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw SystemError("append to history file", file, errno);
}

namespace {

// The text of an open history file: its last `most` bytes when it is larger (from the first
// whole line in them), nothing when it is not a regular file.
std::optional<std::string> read_tail(int fd, size_t most) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    off_t from = st.st_size > static_cast<off_t>(most) ? st.st_size - static_cast<off_t>(most) : 0;
    std::string text;
    char buffer[65536];
    for (off_t at = from;;) {
        ssize_t n = ::pread(fd, buffer, sizeof buffer, at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<size_t>(n));
        at += n;
        if (text.size() >= most) break;
    }
    if (from > 0) text.erase(0, std::min(text.size(), text.find('\n') + 1));
    return text;
}

sys::UniqueFd open_for_reading(const std::string& path) {
    return sys::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
}

}  // namespace

std::vector<HistoryRecord> read_history(const std::string& file, size_t* skipped) {
    std::vector<HistoryRecord> records;
    size_t bad = 0;
    // A shared lock on FILE holds off its rotation (which needs the exclusive one) while
    // both files are read: no record is missed by moving from FILE to FILE.1 meanwhile.
    sys::UniqueFd current;
    for (int attempt = 0; attempt < 10; ++attempt) {
        current = open_for_reading(file);
        if (!current) break;
        ::flock(current.get(), LOCK_SH);
        struct stat held, now;
        if (::fstat(current.get(), &held) == 0 && ::stat(file.c_str(), &now) == 0 &&
            held.st_ino == now.st_ino && held.st_dev == now.st_dev)
            break;  // (rotated before we had the lock: the new file, then)
    }
    auto older = open_for_reading(file + ".1");
    // (the newest 2 x the rotation size of each: a file past that is not ours to load whole)
    for (const auto* fd : {&older, &current}) {
        if (!*fd) continue;
        auto text = read_tail(fd->get(), 2 * kHistoryMaxBytes);
        if (!text) continue;
        std::istringstream in(*text);
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            if (auto record = parse_record(line))
                records.push_back(std::move(*record));
            else
                ++bad;
        }
    }
    if (skipped) *skipped = bad;
    return records;
}

std::vector<JobSummary> summarize(const std::vector<HistoryRecord>& records) {
    std::vector<JobSummary> jobs;
    std::map<std::string, size_t> index;
    std::vector<std::vector<std::uint64_t>> peaks;
    std::vector<std::vector<double>> walls, waits;
    for (const auto& r : records) {
        auto [at, fresh] = index.emplace(r.job, jobs.size());
        if (fresh) {
            JobSummary job;
            job.job = r.job;
            jobs.push_back(std::move(job));
            peaks.emplace_back();
            walls.emplace_back();
            waits.emplace_back();
        }
        auto& job = jobs[at->second];
        ++job.runs;
        if (r.exit_status != 0) ++job.failed;
        if (r.oom_killed) ++job.oom_kills;
        if (r.memory_peak_bytes) peaks[at->second].push_back(*r.memory_peak_bytes);
        walls[at->second].push_back(r.wall_seconds);
        if (r.wait_seconds) waits[at->second].push_back(*r.wait_seconds);
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
        jobs[i].p50_peak = median(peaks[i]);
        if (!peaks[i].empty())
            jobs[i].max_peak = *std::max_element(peaks[i].begin(), peaks[i].end());
        jobs[i].p50_wall = median(walls[i]);
        jobs[i].p50_wait = median(waits[i]);
    }
    return jobs;
}

std::string to_json(const std::vector<HistoryRecord>& records,
                    const std::vector<JobSummary>& jobs) {
    auto runs = Json::array();
    for (const auto& r : records) runs.push_back(record_json(r));
    auto summaries = Json::array();
    auto or_null = [](const auto& value) { return value ? Json(*value) : Json(nullptr); };
    for (const auto& j : jobs)
        summaries.push_back({{"job", j.job},
                             {"runs", j.runs},
                             {"failed", j.failed},
                             {"oom_kills", j.oom_kills},
                             {"p50_peak_bytes", or_null(j.p50_peak)},
                             {"max_peak_bytes", or_null(j.max_peak)},
                             {"p50_wall_seconds", or_null(j.p50_wall)},
                             {"p50_wait_seconds", or_null(j.p50_wait)}});
    return to_text(Json{{"runs", runs}, {"jobs", summaries}});
}

}  // namespace supervise
