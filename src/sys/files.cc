#include "supervise/sys/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>

#include "supervise/error.h"

namespace supervise::sys {

namespace {
int read_all(const std::string& path, std::string& out) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return 0;
        out.append(buffer, static_cast<size_t>(n));
    }
}
}  // namespace

std::string read_file(const std::string& path) {
    std::string text;
    if (int err = read_all(path, text)) throw SystemError("read", path, err);
    return text;
}

std::optional<std::string> read_state_file(const std::string& path, size_t most) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) return errno == ELOOP ? std::optional<std::string>("") : std::nullopt;  // a symlink
    struct stat st;
    // (another user's file in our directory is a forgery: we only trust our own, or root's)
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > static_cast<off_t>(most) || (st.st_uid != ::geteuid() && st.st_uid != 0))
        return "";
    std::string text(most + 1, '\0');
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;  // not the file's fault: as if we could not open it
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    if (done > most) return "";  // grew while we read
    text.resize(done);
    return text;
}

std::optional<std::string> try_read_file(const std::string& path) {
    std::string text;
    if (read_all(path, text) != 0) return std::nullopt;
    return text;
}

int try_write_file(const std::string& path, std::string_view text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return errno;
    ssize_t n;
    do {
        n = ::write(fd.get(), text.data(), text.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return 0;
}

int try_append_file(const std::string& path, std::string_view text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return errno;
    if (::write(fd.get(), text.data(), text.size()) < 0) return errno;
    return 0;
}

void write_file(const std::string& path, std::string_view text, const std::string& action) {
    if (int err = try_write_file(path, text)) throw SystemError(action, path, err);
}

void write_file_atomic(const std::string& path, std::string_view text, unsigned mode,
                       bool durable) {
    // A name of our own: two processes may write the same file at once (the last rename wins).
    std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    UniqueFd fd(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) throw SystemError("create", temporary, errno);
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::unlink(temporary.c_str());
            throw SystemError("write", temporary, err);
        }
        done += static_cast<size_t>(n);
    }
    if (durable && ::fsync(fd.get()) != 0) {
        int err = errno;
        ::unlink(temporary.c_str());
        throw SystemError("sync", temporary, err);
    }
    fd.reset();
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(temporary.c_str());
        throw SystemError("rename to", path, err);
    }
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (line.size() > key.size() && line.substr(0, key.size()) == key &&
            line[key.size()] == ' ')
            return parse_u64(line.substr(key.size() + 1));
        pos = end + 1;
    }
    return std::nullopt;
}

void make_private_dir(const std::string& path, const std::string& what) {
    std::string named = what.empty() ? path : what + " " + path;
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        throw SystemError("create " + (what.empty() ? "directory" : what), path, errno);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0)
        throw SystemError("inspect" + (what.empty() ? "" : " " + what), path, errno);
    // Never followed through a symlink, never another user's, never writable by others
    // without the sticky bit: otherwise one user could read, steal or free another's state.
    if (S_ISLNK(st.st_mode)) throw UsageError(named + " is a symlink; refusing to follow it");
    if (!S_ISDIR(st.st_mode)) throw UsageError(named + " is not a directory");
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        throw UsageError(named + " belongs to uid " + std::to_string(st.st_uid) + ", not to you");
    if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        throw UsageError(named + " is writable by others (mode " + mode +
                         ") without the sticky bit; chmod go-w it");
    }
}

namespace {

// A directory of ours whose group is our own private one (a user-private group: named as
// we are, with no other members; umask 002 makes such directories group-writable, as on
// Fedora): its group write bit lets nobody else in.
bool own_private_group(const struct stat& st) {
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) return false;
    const struct passwd* user = ::getpwuid(::geteuid());
    if (!user) return false;
    std::string name = user->pw_name;
    const struct group* group = ::getgrgid(st.st_gid);
    return group && name == group->gr_name && (!group->gr_mem || !group->gr_mem[0]);
}

}  // namespace

std::string check_path_to(const std::string& path, const std::string& what) {
    auto refuse = [&](const std::string& at, const std::string& why) {
        throw UsageError(what + " " + path + ": " + at + " " + why +
                         ", so another user could redirect it; use a path only you and root "
                         "can change");
    };
    std::string rest = path;
    if (!rest.starts_with("/")) {
        char cwd[4096];
        if (!::getcwd(cwd, sizeof cwd)) throw SystemError("find the directory of", path, errno);
        rest = std::string(cwd) + "/" + rest;
    }
    std::vector<std::string> todo;  // components still to walk, last first
    auto push_path = [&](const std::string& text) {
        std::vector<std::string> parts;
        for (size_t at = 0; at <= text.size();) {
            auto slash = text.find('/', at);
            if (slash == std::string::npos) slash = text.size();
            if (slash > at) parts.push_back(text.substr(at, slash - at));
            at = slash + 1;
        }
        todo.insert(todo.end(), parts.rbegin(), parts.rend());
    };
    push_path(rest);
    std::string done;  // walked so far, every component a real directory ("" = "/")
    int links = 0;
    while (!todo.empty()) {
        std::string part = todo.back();
        todo.pop_back();
        if (part == ".") continue;
        if (part == "..") {  // lexical is physical here: everything walked is a real directory
            done = done.substr(0, done.rfind('/'));
            continue;
        }
        std::string next = done + "/" + part;
        struct stat st;
        if (::lstat(next.c_str(), &st) != 0) {
            if (errno != ENOENT) throw SystemError("inspect", next, errno);
            // yet to be made (make_private_dir creates the last one); a ".." after it
            // comes back to what exists, which is checked as ever
            done = next;
            continue;
        }
        bool trusted = st.st_uid == ::geteuid() || st.st_uid == 0;
        if (S_ISLNK(st.st_mode)) {
            // a symlink of root's or ours (/var/run -> /run) is followed, except as the last
            // component: the state directory itself is never a symlink
            if (todo.empty() || std::all_of(todo.begin(), todo.end(),
                                            [](const std::string& p) { return p == "."; }))
                throw UsageError(what + " " + path + " is a symlink; refusing to follow it");
            if (!trusted) refuse(next, "is a symlink of uid " + std::to_string(st.st_uid));
            if (++links > 40) throw SystemError("resolve", path, ELOOP);
            char target[4096];
            ssize_t n = ::readlink(next.c_str(), target, sizeof target - 1);
            if (n < 0) throw SystemError("resolve", next, errno);
            std::string to(target, static_cast<size_t>(n));
            if (to.starts_with("/")) done.clear();
            push_path(to);
            continue;
        }
        if (!todo.empty() && S_ISDIR(st.st_mode)) {
            if (!trusted) refuse(next, "belongs to uid " + std::to_string(st.st_uid));
            bool others_write =
                (st.st_mode & 002) || ((st.st_mode & 020) && !own_private_group(st));
            if (others_write && !(st.st_mode & S_ISVTX)) {
                char mode[8];
                std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
                refuse(next, std::string("is writable by others (mode ") + mode + ")");
            }
        }
        done = next;
    }
    return done.empty() ? "/" : done;
}

namespace {
// Whether path is to be written in place (a device, a pipe, one of our own descriptors);
// throws when it is refused.
bool written_in_place(const std::string& path) {
    // /dev/stdout and friends name a descriptor of ours, whatever it is (a pipe, a tty,
    // the file the shell redirected to, appended to like any other output)
    for (const char* fd_path : {"/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/"})
        if (path.starts_with(fd_path)) return true;
    struct stat link, target;
    bool missing = ::lstat(path.c_str(), &link) != 0;
    if (missing && errno != ENOENT) throw SystemError("inspect", path, errno);
    if (missing || S_ISREG(link.st_mode)) {
        // replaced through FILE.tmp-PID and rename: the directory must take them
        auto slash = path.rfind('/');
        std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
        if (::access(dir.c_str(), W_OK) != 0) throw SystemError("write into", dir, errno);
        return false;
    }
    if (::stat(path.c_str(), &target) == 0 && (S_ISCHR(target.st_mode) || S_ISFIFO(target.st_mode)))
        return true;
    throw UsageError(path + (S_ISLNK(link.st_mode) ? " is a symlink; name the file itself"
                             : S_ISDIR(link.st_mode)
                                 ? " is a directory"
                                 : " is not a regular file, a character device or a pipe"));
}
}  // namespace

void check_output_file(const std::string& path) {
    written_in_place(path);
}

void write_output_file(const std::string& path, std::string_view text) {
    if (!written_in_place(path)) return write_file_atomic(path, text);
    // O_NONBLOCK: a FIFO nobody reads fails (ENXIO) instead of hanging the end of the run
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK));
    if (!fd) throw SystemError("open", path, errno);
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    for (size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SystemError("write", path, errno);
        done += static_cast<size_t>(n);
    }
}

std::vector<DirectoryEntry> list_directory(const std::string& path, bool hidden) {
    std::vector<DirectoryEntry> entries;
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return entries;
    while (dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == ".." || (!hidden && name[0] == '.')) continue;
        bool is_directory = entry->d_type == DT_DIR;
        if (entry->d_type == DT_UNKNOWN) {
            struct stat st;
            is_directory = ::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISDIR(st.st_mode);
        }
        entries.push_back({std::string(name), is_directory});
    }
    ::closedir(dir);
    return entries;
}

void remove_directory(const std::string& path) {
    for (const auto& entry : list_directory(path, true))
        ::unlink((path + "/" + entry.name).c_str());
    ::rmdir(path.c_str());
}

namespace {
// A lock file must be a regular file: anything else (a FIFO) would hang or mislead us.
void require_regular(const UniqueFd& fd, const std::string& path) {
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw SystemError("inspect", path, errno);
    if (!S_ISREG(st.st_mode))
        throw UsageError(path + " is not a regular file (remove it, or see 'supervise kill-all')");
}
}  // namespace

std::optional<FileLock> FileLock::wait(const std::string& path, bool create) {
    UniqueFd fd(::open(
        path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0), 0600));
    if (!fd && errno == ENOENT && !create) return std::nullopt;
    if (!fd) throw SystemError("open lock file", path, errno);
    require_regular(fd, path);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) throw SystemError("lock", path, errno);
    return FileLock(std::move(fd));
}

FileLock FileLock::create_exclusive(const std::string& path, const std::string& what) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw SystemError("create " + what, path, errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) throw SystemError("lock " + what, path, errno);
    return FileLock(std::move(fd));
}

bool FileLock::still_at(const std::string& path) const {
    struct stat held, now;
    return ::fstat(fd_.get(), &held) == 0 && ::stat(path.c_str(), &now) == 0 &&
           held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

bool FileLock::held_elsewhere(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    struct stat st;
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    // Getting the lock means nobody holds it; it goes again with fd.
    return ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace supervise::sys
