#include "cgroup/direct_driver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <sstream>

#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "sys/files.h"

namespace supervise::cgroup {

OwnedRunCgroup::OwnedRunCgroup(CgroupView view, std::vector<std::string> parents, DriverKind driver)
    : view_(std::move(view)), parents_(std::move(parents)) {
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
        spdlog::warn("{}", e.what());
    }
}

void OwnedRunCgroup::enter(pid_t pid, bool cloned_into) {
    view_.attach(pid, cloned_into);
}

void OwnedRunCgroup::remove() {
    if (removed_) return;
    unified_fd_.reset();
    int first_error = 0;
    std::string failed;
    for (const auto& directory : view_.directories()) {
        if (int err = remove_cgroup_dir(directory); err && !first_error) {
            first_error = err;
            failed = directory;
        }
    }
    removed_ = true;
    remove_parents(parents_);
    if (first_error) throw SystemError("remove cgroup", failed, first_error);
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
        prepare_parent();
        if (::mkdir(path.c_str(), 0755) == 0) return;
        if (errno == ENOENT) continue;  // a finishing run removed the empty parent
        if (errno == EEXIST)
            throw SystemError("create cgroup", path, errno, "a run of that name is in progress");
        throw SystemError("create cgroup", path, errno,
                          errno == EACCES || errno == EPERM ? "see 'supervise doctor'" : "");
    }
    throw SystemError("create cgroup", path, ENOENT, "its parent keeps disappearing");
}

void remove_parents(const std::vector<std::string>& parents) {
    for (const auto& parent : parents) ::rmdir(parent.c_str());  // fails while others use it
}

bool has_word(const std::string& file, const std::string& word) {
    std::istringstream words(sys::try_read_file(file).value_or(""));
    std::string each;
    while (words >> each)
        if (each == word) return true;
    return false;
}

}  // namespace supervise::cgroup
