// Choosing a driver, and `supervise doctor`'s view of all three.

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "direct_driver.h"
#include "drivers.h"
#include "layout.h"
#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/json.h"
#include "supervise/sys/files.h"

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

void write_identity(RecordWriter& out, const CgroupIdentity& identity) {
    out.field("cgroup", identity.path)
        .field("cgroup_id", identity.id)
        .raw("driver", to_string(identity.driver))
        .field("unit", identity.unit);
}

bool read_identity_field(const std::string& key, const std::string& value,
                         CgroupIdentity& identity) {
    if (key == "cgroup")
        identity.path = unescape_value(value);
    else if (key == "cgroup_id")
        identity.id = field_u64(value);
    else if (key == "driver")
        identity.driver = parse_driver_kind(value);
    else if (key == "unit")
        identity.unit = unescape_value(value);
    else
        return false;
    return true;
}

bool valid_systemd_manager(const std::string& manager) {
    return manager.empty() || manager == "system" || manager == "user";
}

const std::string& current_boot_id() {
    static const std::string boot_id = [] {
        std::string text = sys::read_file("/proc/sys/kernel/random/boot_id");
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        return text;
    }();
    return boot_id;
}

void check_cgroup_root(const std::string& root) {
    if (root.empty()) return;
    struct statfs fs;
    if (::statfs(root.c_str(), &fs) != 0)
        throw UsageError(root + ": " + std::strerror(errno) + " (give a cgroup2 directory)");
    if (fs.f_type != CGROUP2_SUPER_MAGIC) throw UsageError(root + " is not in a cgroup2 hierarchy");
    // Whoever owns the directory can freeze, kill or re-limit every run under it.
    struct stat st;
    if (::stat(root.c_str(), &st) != 0) throw UsageError(root + ": " + std::strerror(errno));
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        throw UsageError(root + " belongs to uid " + std::to_string(st.st_uid) +
                         ", who could freeze or kill the runs in it; use a cgroup of your own");
}

std::unique_ptr<CgroupDriver> make_driver(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    try {
        check_cgroup_root(options.cgroup_root);
    } catch (const UsageError& e) {
        throw UsageError(std::string("cgroup root ") + e.what());
    }
    switch (options.kind) {
        case DriverKind::systemd:
            return cgroup::make_systemd_driver(options);
        case DriverKind::cgroup2:
            return cgroup::make_cgroup2_driver(layout, options);
        case DriverKind::hybrid:
            return cgroup::make_hybrid_driver(layout, options);
        case DriverKind::automatic:
            break;
    }
    std::string why_not_systemd;
    if (options.cgroup_root.empty() && cgroup::systemd_available(options, why_not_systemd))
        return cgroup::make_systemd_driver(options);
    if (layout.hybrid()) return cgroup::make_hybrid_driver(layout, options);
    if (!layout.unified_mount.empty()) return cgroup::make_cgroup2_driver(layout, options);
    throw Error("no usable cgroup driver: no systemd manager (" + why_not_systemd +
                ") and no cgroup2 hierarchy mounted (see 'supervise doctor')");
}

namespace {

// A direct driver works when it can really create (and remove) a cgroup here.
DriverReport probe_direct(DriverKind kind, const DriverOptions& options) {
    DriverReport report{kind, false, "", {}};
    const auto& layout = cgroup::Layout::current();
    try {
        auto driver = kind == DriverKind::cgroup2 ? cgroup::make_cgroup2_driver(layout, options)
                                                  : cgroup::make_hybrid_driver(layout, options);
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
            for (const char* c : {"memory", "pids", "cpu", "io"})
                if (!cgroup::has_word(base + "/cgroup.controllers", c))
                    report.notes.push_back(std::string("no ") + c + " controller: limits that " +
                                           "need it are refused");
        } else {
            for (const char* c : {"memory", "pids", "cpu", "blkio"}) {
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
    for (const auto& entry : sys::list_directory(path)) {
        const auto& leaf = entry.name;
        if (entry.is_directory && leaf.starts_with(prefix) && leaf.ends_with(suffix))
            found.push_back(path + "/" + leaf);
    }
    return found;
}

std::string direct_parent(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    return (options.cgroup_root.empty() ? layout.own_unified_dir() : options.cgroup_root) +
           "/supervise";
}

}  // namespace

namespace {

// Where a manager keeps supervise.slice, read from the layout where it can be (no bus call:
// this is on the way of every lock look): the system manager's at the top of the unified
// hierarchy, a user manager's in user@UID.service of the user-UID.slice we sit in. Only
// when the manager is not where it usually is does it get asked.
std::optional<std::string> likely_slice(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    if (layout.unified_mount.empty()) return std::nullopt;
    std::optional<std::string> guess;
    if (!cgroup::wants_user_manager(options)) {
        guess = layout.unified_mount + "/supervise.slice";
    } else {
        std::string uid = std::to_string(::geteuid());
        std::string user_slice = "/user-" + uid + ".slice";
        auto at = (layout.self_unified + "/").find(user_slice + "/");
        if (at != std::string::npos)
            guess = layout.unified_mount + layout.self_unified.substr(0, at + user_slice.size()) +
                    "/user@" + uid + ".service/supervise.slice";
    }
    if (guess && sys::path_exists(*guess)) return guess;
    // The manager's root is where we guessed and the slice is not: no scope of ours now.
    if (guess && sys::path_exists(guess->substr(0, guess->rfind('/')))) return std::nullopt;
    return cgroup::systemd_slice_cgroup(options);
}

}  // namespace

std::vector<RunCgroupBase> run_cgroup_bases(const DriverOptions& options) {
    std::vector<RunCgroupBase> bases;
    const auto& layout = cgroup::Layout::current();
    if (!layout.unified_mount.empty())
        bases.push_back(
            {layout.hybrid() ? DriverKind::hybrid : DriverKind::cgroup2, direct_parent(options)});
    if (options.kind == DriverKind::automatic || options.kind == DriverKind::systemd)
        if (auto slice = likely_slice(options)) bases.push_back({DriverKind::systemd, *slice});
    return bases;
}

std::optional<std::uint64_t> run_memory_ceiling(const DriverOptions& options) {
    std::optional<std::uint64_t> ceiling;
    auto lower = [&](const std::string& dir) {
        auto text = sys::try_read_file(dir + "/memory.max");  // "max", or bytes
        auto bytes = text ? sys::parse_u64(*text) : std::nullopt;
        if (bytes && (!ceiling || *bytes < *ceiling)) ceiling = bytes;
    };
    for (const auto& base : run_cgroup_bases(options)) {
        bool scopes = base.driver == DriverKind::systemd;
        // direct drivers: <root>/supervise/<run>, and <root> is what may be limited
        lower(scopes ? base.dir : base.dir.substr(0, base.dir.rfind('/')));
        if (!scopes) lower(base.dir);
    }
    return ceiling;
}

std::vector<std::string> list_run_cgroups(const DriverOptions& options) {
    std::vector<std::string> all;
    // (kill-all asks the manager where its slice is, in case it is not where it is likely)
    auto bases = run_cgroup_bases(options);
    if (auto slice = cgroup::systemd_slice_cgroup(options))
        if (std::none_of(bases.begin(), bases.end(),
                         [&](const RunCgroupBase& base) { return base.dir == *slice; }))
            bases.push_back({DriverKind::systemd, *slice});
    // Only names supervise gives its runs: never anything else that may live there.
    for (const auto& base : bases) {
        bool scopes = base.driver == DriverKind::systemd;
        for (const char* prefix : {"run-", "lock-", "task-"})
            for (auto& dir : subdirectories(
                     base.dir, scopes ? std::string("supervise-") + prefix : std::string(prefix),
                     scopes ? ".scope" : ""))
                all.push_back(dir);
    }
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

std::vector<std::string> run_directories(const std::string& unified_path) {
    const auto& layout = cgroup::Layout::current();
    std::vector<std::string> dirs{unified_path};
    std::string leaf = unified_path.substr(unified_path.rfind('/') + 1);
    for (const char* controller : {"memory", "pids", "cpu", "blkio"}) {
        auto mount = layout.v1_mounts.find(controller);
        if (mount == layout.v1_mounts.end()) continue;
        auto twin = find_v1_twin(*layout.own_v1_dir(controller), leaf, 0);
        if (!twin) twin = find_v1_twin(mount->second, leaf, 4);
        if (twin) dirs.push_back(*twin);
    }
    return dirs;
}

void remove_run_cgroups(const DriverOptions& options, const std::vector<std::string>& paths) {
    const auto& layout = cgroup::Layout::current();
    std::string parent = direct_parent(options);
    for (const auto& path : paths) {
        if (path.rfind(parent + "/", 0) == 0) {
            auto dirs = run_directories(path);
            remove_cgroup_dir(dirs.front());
            dirs.erase(dirs.begin());
            for (const auto& twin : dirs) remove_run_directories({twin});
        } else {
            // A scope: systemd removes it once empty.
            wait_until_removed(path, std::chrono::seconds(2));
        }
    }
    // Our own "supervise" directories, when no other run uses them.
    remove_if_unused(parent);
    for (const char* controller : {"memory", "pids", "cpu", "blkio"})
        if (auto v1 = layout.own_v1_dir(controller)) remove_if_unused(*v1 + "/supervise");
}

std::vector<DriverReport> probe_drivers(const DriverOptions& options) {
    return {cgroup::probe_systemd(options), probe_direct(DriverKind::cgroup2, options),
            probe_direct(DriverKind::hybrid, options)};
}

Diagnosis diagnose(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    Diagnosis diagnosis;
    diagnosis.layout = layout.pure_v2()  ? "pure cgroup v2"
                       : layout.hybrid() ? "hybrid (cgroup2 for tracking, v1 memory)"
                                         : "no cgroup2 hierarchy";
    diagnosis.unified_mount = layout.unified_mount;
    diagnosis.drivers = probe_drivers(options);
    try {
        diagnosis.chosen = make_driver(options)->kind();
    } catch (const std::exception& e) {
        diagnosis.why_none = e.what();
    }
    return diagnosis;
}

std::string to_json(const Diagnosis& diagnosis) {
    auto drivers = Json::array();
    for (const auto& report : diagnosis.drivers)
        drivers.push_back({{"driver", to_string(report.kind)},
                           {"usable", report.usable},
                           {"detail", report.detail},
                           {"notes", report.notes}});
    Json json{{"layout", diagnosis.layout},
              {"unified_mount", diagnosis.unified_mount},
              {"auto", diagnosis.chosen ? Json(to_string(*diagnosis.chosen)) : nullptr},
              {"drivers", drivers}};
    return to_text(json);
}

std::vector<std::string> v1_twins(const std::string& unified_dir) {
    return cgroup::Layout::current().v1_twins(unified_dir);
}

}  // namespace supervise
