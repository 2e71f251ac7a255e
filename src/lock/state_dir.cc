#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "supervise/error.h"
#include "supervise/lock.h"

namespace supervise {

namespace {

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode & 07777);
    return text;
}

}  // namespace

std::string open_state_dir(const std::string& override_path) {
    std::string path = override_path;
    if (path.empty()) {
        if (::geteuid() == 0) {
            path = "/run/supervise";
        } else {
            const char* runtime = std::getenv("XDG_RUNTIME_DIR");
            if (!runtime || !*runtime)
                throw UsageError(
                    "XDG_RUNTIME_DIR is not set: give --state-dir DIR (or "
                    "SUPERVISE_STATE_DIR) for the lock state");
            path = std::string(runtime) + "/supervise";
        }
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();

    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) throw SystemError("inspect state directory", path, errno);
        if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
            throw SystemError("create state directory", path, errno);
        if (::lstat(path.c_str(), &st) != 0)
            throw SystemError("inspect state directory", path, errno);
    }
    // Never followed through a symlink, never another user's, never writable by others
    // without the sticky bit: otherwise one user could read, steal or free another's locks.
    if (S_ISLNK(st.st_mode))
        throw UsageError("state directory " + path + " is a symlink; refusing to follow it");
    if (!S_ISDIR(st.st_mode)) throw UsageError("state directory " + path + " is not a directory");
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        throw UsageError("state directory " + path + " belongs to uid " +
                         std::to_string(st.st_uid) + ", not to you");
    if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
        throw UsageError("state directory " + path + " is writable by others (mode " +
                         octal(st.st_mode) + ") without the sticky bit; chmod go-w it");
    return path;
}

}  // namespace supervise
