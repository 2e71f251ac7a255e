// Choosing a driver, and `supervise doctor`'s view of all three.

#include <dirent.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "cgroup/cgroup_view.h"
#include "cgroup/direct_driver.h"
#include "cgroup/drivers.h"
#include "cgroup/layout.h"
#include "supervise/error.h"
#include "sys/files.h"

namespace supervise {

std::string to_string(DriverKind kind) {
    switch (kind) {
        case DriverKind::automatic:
            return "auto";
        case DriverKind::systemd:
            return "systemd";
        case DriverKind::cgroup2:
            return "cgroup2";
        case DriverKind::hybrid:
            return "hybrid";
    }
    return "auto";
}

DriverKind parse_driver_kind(const std::string& text) {
    for (auto kind :
         {DriverKind::automatic, DriverKind::systemd, DriverKind::cgroup2, DriverKind::hybrid})
        if (text == to_string(kind)) return kind;
    throw UsageError("unknown driver '" + text + "' (use auto, systemd, cgroup2 or hybrid)");
}

const std::string& current_boot_id() {
    static const std::string boot_id = [] {
        std::string text = sys::read_file("/proc/sys/kernel/random/boot_id");
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        return text;
    }();
    return boot_id;
}

namespace {

// A configured root must be a directory of the cgroup2 hierarchy, not any directory.
void check_cgroup_root(const std::string& root) {
    if (root.empty()) return;
    struct statfs fs;
    if (::statfs(root.c_str(), &fs) != 0) throw SystemError("use --cgroup-root", root, errno);
    if (fs.f_type != CGROUP2_SUPER_MAGIC)
        throw UsageError("--cgroup-root " + root + " is not in a cgroup2 hierarchy");
}

}  // namespace

std::unique_ptr<CgroupDriver> make_driver(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    check_cgroup_root(options.cgroup_root);
    switch (options.kind) {
        case DriverKind::systemd:
            return cgroup::make_systemd_driver(options);
        case DriverKind::cgroup2:
            return cgroup::make_cgroup2_driver(layout, options.cgroup_root);
        case DriverKind::hybrid:
            return cgroup::make_hybrid_driver(layout, options.cgroup_root);
        case DriverKind::automatic:
            break;
    }
    std::string why_not_systemd;
    if (options.cgroup_root.empty() && cgroup::systemd_available(options, why_not_systemd))
        return cgroup::make_systemd_driver(options);
    if (layout.hybrid()) return cgroup::make_hybrid_driver(layout, options.cgroup_root);
    if (!layout.unified_mount.empty())
        return cgroup::make_cgroup2_driver(layout, options.cgroup_root);
    throw Error("no usable cgroup driver: no systemd manager (" + why_not_systemd +
                ") and no cgroup2 hierarchy mounted (see 'supervise doctor')");
}

namespace {

// A direct driver works when it can really create (and remove) a cgroup here.
DriverReport probe_direct(DriverKind kind, const DriverOptions& options) {
    DriverReport report{kind, false, "", {}};
    const auto& layout = cgroup::Layout::current();
    try {
        auto driver = kind == DriverKind::cgroup2
                          ? cgroup::make_cgroup2_driver(layout, options.cgroup_root)
                          : cgroup::make_hybrid_driver(layout, options.cgroup_root);
        std::string name = "doctor-" + std::to_string(::getpid());
        auto run = driver->create(name, {});
        std::string path = run->unified_path();
        run->remove();
        report.usable = true;
        report.detail = "runs go to " + driver->planned_path("<run>");
        if (kind == DriverKind::cgroup2) {
            std::string parent = path.substr(0, path.rfind('/'));
            std::string base = parent.substr(0, parent.rfind('/'));
            auto controllers = sys::try_read_file(base + "/cgroup.controllers").value_or("");
            while (!controllers.empty() && controllers.back() == '\n') controllers.pop_back();
            report.notes.push_back("controllers available: " +
                                   (controllers.empty() ? std::string("none") : controllers));
            for (const char* c : {"memory", "pids", "cpu"})
                if (!cgroup::has_word(base + "/cgroup.controllers", c))
                    report.notes.push_back(std::string("no ") + c + " controller: limits that " +
                                           "need it are refused");
        } else {
            for (const char* c : {"memory", "pids", "cpu"}) {
                auto dir = layout.own_v1_dir(c);
                report.notes.push_back(std::string("v1 ") + c + ": " +
                                       (dir ? *dir : std::string("not mounted")));
            }
        }
    } catch (const std::exception& e) {
        report.detail = e.what();
    }
    return report;
}

}  // namespace

namespace {

std::vector<std::string> subdirectories(const std::string& path, const std::string& prefix,
                                        const std::string& suffix) {
    std::vector<std::string> found;
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return found;
    while (dirent* entry = ::readdir(dir)) {
        std::string leaf = entry->d_name;
        if (entry->d_type != DT_DIR || leaf[0] == '.' || leaf.rfind(prefix, 0) != 0) continue;
        if (leaf.size() < suffix.size() ||
            leaf.compare(leaf.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        found.push_back(path + "/" + leaf);
    }
    ::closedir(dir);
    return found;
}

std::string direct_parent(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    return (options.cgroup_root.empty() ? layout.own_unified_dir() : options.cgroup_root) +
           "/supervise";
}

}  // namespace

std::vector<std::string> list_run_cgroups(const DriverOptions& options) {
    std::vector<std::string> all;
    // Only names supervise gives its runs: never anything else that may live there.
    if (!cgroup::Layout::current().unified_mount.empty()) {
        for (auto& dir : subdirectories(direct_parent(options), "run-", "")) all.push_back(dir);
        for (auto& dir : subdirectories(direct_parent(options), "lock-", "")) all.push_back(dir);
    }
    if (auto slice = cgroup::systemd_slice_cgroup(options))
        for (auto& dir : subdirectories(*slice, "supervise-", ".scope")) all.push_back(dir);
    return all;
}

namespace {

// The v1 twin of a run directory: under our own v1 cgroup when we created it, else
// wherever the supervisor that created it sat (found by name, a few levels deep).
std::optional<std::string> find_v1_twin(const std::string& base, const std::string& leaf,
                                        int depth) {
    std::string candidate = base + "/supervise/" + leaf;
    if (sys::path_exists(candidate)) return candidate;
    if (depth == 0) return std::nullopt;
    for (const auto& child : subdirectories(base, "", ""))
        if (auto found = find_v1_twin(child, leaf, depth - 1)) return found;
    return std::nullopt;
}

}  // namespace

void remove_run_cgroups(const DriverOptions& options, const std::vector<std::string>& paths) {
    const auto& layout = cgroup::Layout::current();
    std::string parent = direct_parent(options);
    for (const auto& path : paths) {
        if (path.rfind(parent + "/", 0) == 0) {
            std::string leaf = path.substr(parent.size() + 1);
            cgroup::remove_cgroup_dir(path);
            for (const char* controller : {"memory", "pids", "cpu"}) {
                auto mount = layout.v1_mounts.find(controller);
                if (mount == layout.v1_mounts.end()) continue;
                auto twin = find_v1_twin(*layout.own_v1_dir(controller), leaf, 0);
                if (!twin) twin = find_v1_twin(mount->second, leaf, 4);
                if (twin) {
                    cgroup::remove_cgroup_dir(*twin);
                    ::rmdir(twin->substr(0, twin->rfind('/')).c_str());
                }
            }
        } else {
            // A scope: systemd removes it once empty.
            cgroup::wait_until_removed(path, std::chrono::seconds(2));
        }
    }
    std::vector<std::string> parents{parent};
    for (const char* controller : {"memory", "pids", "cpu"})
        if (auto v1 = layout.own_v1_dir(controller)) parents.push_back(*v1 + "/supervise");
    cgroup::remove_parents(parents);
}

std::vector<DriverReport> probe_drivers(const DriverOptions& options) {
    return {cgroup::probe_systemd(options), probe_direct(DriverKind::cgroup2, options),
            probe_direct(DriverKind::hybrid, options)};
}

}  // namespace supervise
