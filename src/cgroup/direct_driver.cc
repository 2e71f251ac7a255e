#include "direct_driver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <sstream>

#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "supervise/sys/files.h"

namespace supervise::cgroup {

OwnedRunCgroup::OwnedRunCgroup(CgroupView view, DriverKind driver, WarningSink warn)
    : view_(std::move(view)), warn_(std::move(warn)) {
    identity_.path = view_.unified;
    identity_.id = cgroup_id(view_.unified);
    identity_.boot_id = current_boot_id();
    identity_.driver = driver;
    unified_fd_.reset(::open(view_.unified.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

OwnedRunCgroup::~OwnedRunCgroup() {
    if (removed_) return;
    try {
        if (view_.populated()) {
            view_.signal_all(SIGKILL);
            view_.wait_until_empty(std::chrono::seconds(5));
        }
        remove();
    } catch (const std::exception& e) {
        if (warn_) warn_(e.what());
    }
}

void OwnedRunCgroup::enter(pid_t pid, bool cloned_into) {
    if (!cloned_into)
        sys::write_file(view_.unified + "/cgroup.procs", std::to_string(pid),
                        "move the command into cgroup");
}

void OwnedRunCgroup::remove() {
    if (removed_) return;
    unified_fd_.reset();
    removed_ = true;
    auto [error, failed] = remove_run_directories(view_.directories(), true);
    if (error) throw SystemError("remove cgroup", failed, error);
    spdlog::debug("removed cgroup {}", view_.unified);
}

void make_run_directory(const std::string& parent, const std::string& name,
                        const std::function<void()>& prepare_parent) {
    std::string path = parent + "/" + name;
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST)
            throw SystemError("create cgroup", parent, errno,
                              errno == EACCES || errno == EROFS || errno == EPERM
                                  ? "run as root, or see 'supervise doctor'"
                                  : "");
        try {
            prepare_parent();
        } catch (...) {
            remove_if_unused(parent);  // (a refused run leaves no empty parent behind)
            throw;
        }
        if (::mkdir(path.c_str(), 0755) == 0) return;
        if (errno == ENOENT) continue;  // a finishing run removed the empty parent
        if (errno == EEXIST)
            throw SystemError("create cgroup", path, errno, "a run of that name is in progress");
        throw SystemError("create cgroup", path, errno,
                          errno == EACCES || errno == EPERM ? "see 'supervise doctor'" : "");
    }
    throw SystemError("create cgroup", path, ENOENT, "its parent keeps disappearing");
}

std::int64_t cpu_quota_usec(double percent, std::int64_t period_usec) {
    auto quota = std::llround(percent / 100.0 * static_cast<double>(period_usec));
    return std::max<std::int64_t>(quota, 1000);
}

bool has_word(const std::string& file, const std::string& word) {
    std::istringstream words(sys::try_read_file(file).value_or(""));
    std::string each;
    while (words >> each)
        if (each == word) return true;
    return false;
}

}  // namespace supervise::cgroup
