#include "names.h"

#include <unistd.h>

#include "supervise/error.h"
#include "supervise/lock.h"
#include "supervise/record.h"

namespace supervise {

namespace lock {

std::string pool_cgroup_prefix(const std::string& name) {
    return "lock-" + name_hash(name) + "-";
}

std::string slot_cgroup_prefix(const std::string& name, int slot) {
    return pool_cgroup_prefix(name) + "s" + std::to_string(slot) + "-";
}

}  // namespace lock

void validate_lock_name(const std::string& name) {
    if (name.empty()) throw UsageError("lock name is empty");
    if (name.size() > 255)
        throw UsageError("lock name is " + std::to_string(name.size()) +
                         " bytes long; the most is 255");
    if (!valid_utf8(name)) throw UsageError("lock name is not valid UTF-8");
    for (char c : name)
        if (c == '\0' || c == '\n') throw UsageError("lock name contains a newline or NUL byte");
}

std::string expand_lock_name(const std::string& name, const std::string& dir) {
    if (name != "@project") return name;
    // The git top level, so every checkout is its own lock; the directory outside git.
    std::string top = dir;
    std::string probe = dir;
    for (;;) {
        if (::access((probe + "/.git").c_str(), F_OK) == 0) {
            top = probe;
            break;
        }
        if (probe.empty() || probe == "/") break;
        auto slash = probe.rfind('/');
        probe = slash == 0 || slash == std::string::npos ? "/" : probe.substr(0, slash);
    }
    return "project:" + top;
}

}  // namespace supervise
