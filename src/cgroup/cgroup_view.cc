#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <thread>

#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/sys/events.h"
#include "supervise/sys/fd.h"
#include "supervise/sys/files.h"

namespace supervise {

namespace {

void collect_processes(const std::string& directory, std::vector<pid_t>& out) {
    if (auto text = sys::try_read_file(directory + "/cgroup.procs")) {
        size_t pos = 0;
        while (pos < text->size()) {
            size_t end = text->find('\n', pos);
            if (end == std::string::npos) end = text->size();
            if (auto pid = sys::parse_u64(std::string_view(*text).substr(pos, end - pos)))
                out.push_back(static_cast<pid_t>(*pid));
            pos = end + 1;
        }
    }
    for (const auto& entry : sys::list_directory(directory))
        if (entry.is_directory) collect_processes(directory + "/" + entry.name, out);
}

bool frozen(const std::string& unified) {
    auto events = sys::try_read_file(unified + "/cgroup.events");
    return !events || sys::keyed_value(*events, "frozen").value_or(1) == 1;
}

// Freezes the cgroup (waits until the kernel says it is frozen, bounded); returns false when
// freezing is not available. The wait polls cgroup.events in 100 us steps: freezing takes
// microseconds, and an inotify instance would cost a grace period (~15 ms) to close.
bool freeze(const std::string& unified) {
    if (sys::try_write_file(unified + "/cgroup.freeze", "1") != 0) return false;
    for (int i = 0; i < 1000 && !frozen(unified); ++i)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    return true;
}

}  // namespace

CgroupStats CgroupStats::combine(const CgroupStats& earlier, const CgroupStats& later) {
    CgroupStats both = later;
    if (earlier.memory_peak)
        both.memory_peak = std::max(earlier.memory_peak, later.memory_peak);  // nullopt < any
    both.oom_kills = std::max(earlier.oom_kills, later.oom_kills);
    if (!both.user_seconds) both.user_seconds = earlier.user_seconds;
    if (!both.system_seconds) both.system_seconds = earlier.system_seconds;
    return both;
}

std::vector<std::string> CgroupView::directories() const {
    std::vector<std::string> all{unified};
    for (const auto* v1 : {&memory_v1, &pids_v1, &cpu_v1, &blkio_v1})
        if (*v1) all.push_back(**v1);
    return all;
}

bool CgroupView::populated() const {
    auto events = sys::try_read_file(unified + "/cgroup.events");
    if (!events) return false;  // gone
    return sys::keyed_value(*events, "populated").value_or(0) != 0;
}

std::optional<std::uint64_t> CgroupView::memory_usage() const {
    if (memory_v1)
        return sys::parse_u64(
            sys::try_read_file(*memory_v1 + "/memory.usage_in_bytes").value_or(""));
    return sys::parse_u64(sys::try_read_file(unified + "/memory.current").value_or(""));
}

std::optional<std::uint64_t> CgroupView::memory_working_set() const {
    auto usage = memory_usage();
    if (!usage) return std::nullopt;
    auto stat = sys::try_read_file((memory_v1 ? *memory_v1 : unified) + "/memory.stat");
    auto inactive =
        stat ? sys::keyed_value(*stat, memory_v1 ? "total_inactive_file" : "inactive_file")
             : std::nullopt;
    std::uint64_t reclaimable = inactive.value_or(0);
    return *usage > reclaimable ? *usage - reclaimable : 0;
}

CgroupStats CgroupView::stats() const {
    CgroupStats stats;
    if (memory_v1) {
        stats.memory_current = memory_usage();
        stats.memory_peak = sys::parse_u64(
            sys::try_read_file(*memory_v1 + "/memory.max_usage_in_bytes").value_or(""));
        if (auto oom = sys::try_read_file(*memory_v1 + "/memory.oom_control"))
            stats.oom_kills = sys::keyed_value(*oom, "oom_kill").value_or(0);
    } else {
        stats.memory_current = memory_usage();
        stats.memory_peak =
            sys::parse_u64(sys::try_read_file(unified + "/memory.peak").value_or(""));
        if (auto events = sys::try_read_file(unified + "/memory.events"))
            stats.oom_kills = sys::keyed_value(*events, "oom_kill").value_or(0);
    }
    // cpu.stat is a core v2 file: present even without the cpu controller.
    if (auto cpu = sys::try_read_file(unified + "/cpu.stat")) {
        if (auto user = sys::keyed_value(*cpu, "user_usec")) stats.user_seconds = *user / 1e6;
        if (auto system = sys::keyed_value(*cpu, "system_usec"))
            stats.system_seconds = *system / 1e6;
    }
    return stats;
}

std::vector<pid_t> CgroupView::processes() const {
    std::vector<pid_t> pids;
    collect_processes(unified, pids);
    return pids;
}

void CgroupView::signal_all(int sig) const {
    // A run's cgroup is always a plain named directory; "x/.." would be its parent.
    if (unified.empty() || unified.find("/.") != std::string::npos)
        throw Error("refusing to signal the processes of '" + unified + "': not a run's cgroup");
    if (sig == SIGKILL && sys::try_write_file(unified + "/cgroup.kill", "1") == 0) return;
    bool is_frozen = freeze(unified);
    // Without a freezer a fork can race the signal: repeat until a pass finds nothing new.
    for (int pass = 0; pass < (is_frozen ? 1 : 100); ++pass) {
        auto pids = processes();
        if (pids.empty()) break;
        for (pid_t pid : pids) ::kill(pid, sig);
        if (sig != SIGKILL) break;
    }
    if (is_frozen) sys::try_write_file(unified + "/cgroup.freeze", "0");
}

bool CgroupView::wait_until_empty(std::chrono::milliseconds timeout) const {
    auto empty = [this] { return !populated(); };
    return empty() ||
           sys::Inotify::wait_until(unified + "/cgroup.events", IN_MODIFY, empty, timeout);
}

std::vector<std::string> CgroupView::v1_tasks_files() const {
    std::vector<std::string> files;
    for (const auto& directory : directories())
        if (directory != unified) files.push_back(directory + "/tasks");
    return files;
}

std::uint64_t cgroup_id(const std::string& directory) {
    struct stat st;
    if (::stat(directory.c_str(), &st) != 0) throw SystemError("inspect cgroup", directory, errno);
    return st.st_ino;
}

bool wait_until_removed(const std::string& directory, std::chrono::milliseconds timeout) {
    // cgroupfs sends no IN_DELETE_SELF: the parent hears of the rmdir
    return sys::Inotify::wait_until(
        directory.substr(0, directory.rfind('/')), IN_DELETE | IN_ONLYDIR,
        [&] { return !sys::path_exists(directory); }, timeout, std::chrono::milliseconds(250));
}

bool cgroup_is_alive(const CgroupIdentity& identity) {
    if (identity.boot_id != current_boot_id() || identity.path.empty()) return false;
    try {
        if (cgroup_id(identity.path) != identity.id) return false;
    } catch (const SystemError&) {
        return false;
    }
    return CgroupView(identity.path).populated();
}

std::pair<int, std::string> remove_run_directories(const std::vector<std::string>& dirs,
                                                   bool patient) {
    std::pair<int, std::string> first_error{0, ""};
    for (const auto& dir : dirs) {
        int err = patient ? remove_cgroup_dir(dir) : ::rmdir(dir.c_str()) == 0 ? 0 : errno;
        if (err == ENOENT) err = 0;
        if (err && !first_error.first) first_error = {err, dir};
    }
    for (const auto& dir : dirs) remove_if_unused(dir.substr(0, dir.rfind('/')));
    return first_error;
}

void remove_if_unused(const std::string& directory) {
    ::rmdir(directory.c_str());  // EBUSY, ENOTEMPTY: still used
}

int remove_cgroup_dir(const std::string& directory) {
    for (int attempt = 0;; ++attempt) {
        if (::rmdir(directory.c_str()) == 0 || errno == ENOENT) return 0;
        // A v1 memory cgroup can stay busy for a moment after its last task has exited.
        if (errno != EBUSY || attempt >= 200) return errno;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace supervise
