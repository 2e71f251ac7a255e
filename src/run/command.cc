#include "command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "supervise/error.h"

extern char** environ;

namespace supervise::run {

std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<std::string> result;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view text(*entry);
        auto name = text.substr(0, text.find('='));
        bool overridden = false;
        for (const auto& [key, value] : overrides)
            if (key == name) overridden = true;
        if (!overridden) result.emplace_back(text);
    }
    for (const auto& [key, value] : overrides) {
        // a later -E of the same name wins
        std::erase_if(result, [&](const std::string& e) {
            return e.compare(0, key.size() + 1, key + "=") == 0;
        });
        result.push_back(key + "=" + value);
    }
    return result;
}

namespace {

// 0 when path is an executable regular file, else the errno execve would give.
int check_executable(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EACCES;
    if (::access(path.c_str(), X_OK) != 0) return errno;
    return 0;
}

std::string relative_to(const std::optional<std::string>& chdir, const std::string& path) {
    if (!chdir || path.empty() || path[0] == '/') return path;
    return *chdir + "/" + path;
}

}  // namespace

std::string resolve_executable(const std::string& argv0,
                               const std::vector<std::string>& environment,
                               const std::optional<std::string>& chdir) {
    if (argv0.empty()) throw CommandError("cannot run '': command not found", kExitNotFound);
    if (argv0.find('/') != std::string::npos) {
        int err = check_executable(relative_to(chdir, argv0));
        if (err == ENOENT || err == ENOTDIR)
            throw CommandError("cannot run '" + argv0 + "': No such file or directory",
                               kExitNotFound);
        if (err)
            throw CommandError("cannot run '" + argv0 + "': " + std::strerror(err),
                               kExitNotExecutable);
        return argv0;
    }
    std::string path_variable = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& entry : environment)
        if (entry.compare(0, 5, "PATH=") == 0) path_variable = entry.substr(5);
    int denied = 0;
    size_t start = 0;
    while (start <= path_variable.size()) {
        size_t end = path_variable.find(':', start);
        if (end == std::string::npos) end = path_variable.size();
        std::string directory = path_variable.substr(start, end - start);
        if (directory.empty()) directory = ".";
        std::string candidate = directory;
        candidate += '/';
        candidate += argv0;
        int err = check_executable(relative_to(chdir, candidate));
        if (err == 0) return candidate;
        if (err == EACCES) denied = err;
        start = end + 1;
    }
    if (denied)
        throw CommandError("cannot run '" + argv0 + "': Permission denied", kExitNotExecutable);
    throw CommandError("cannot run '" + argv0 + "': command not found", kExitNotFound);
}

}  // namespace supervise::run
