#pragma once
// Where the cgroup hierarchies are mounted and where this process sits in each, read from
// /proc/self/mountinfo and /proc/self/cgroup (never assumed).

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace supervise::cgroup {

struct Layout {
    std::string unified_mount;                     // cgroup2 mount point, empty if none
    std::map<std::string, std::string> v1_mounts;  // controller → mount point
    std::string self_unified;                      // our v2 path, "/" at the root
    std::map<std::string, std::string> self_v1;    // controller → our v1 path

    // Pure v2: cgroup2 mounted and no v1 memory controller.
    bool pure_v2() const { return !unified_mount.empty() && !v1_mounts.count("memory"); }
    bool hybrid() const { return !unified_mount.empty() && v1_mounts.count("memory"); }
    // Directory of our own cgroup in the v2 hierarchy / in a v1 controller's hierarchy.
    std::string own_unified_dir() const;
    std::optional<std::string> own_v1_dir(const std::string& controller) const;

    // The same cgroup in every v1 hierarchy (systemd names a scope alike in each):
    // <v1 mount> + the path of unified_dir below the unified mount. Empty when unified_dir
    // is not under the unified mount.
    std::vector<std::string> v1_twins(const std::string& unified_dir) const;

    static Layout parse(const std::string& mountinfo, const std::string& proc_self_cgroup);
    static const Layout& current();  // of this process, read once
};

}  // namespace supervise::cgroup
