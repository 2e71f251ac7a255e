// Choosing a driver, and `supervise doctor`'s view of all three.

#include <unistd.h>

#include <csignal>

#include "cgroup/direct_driver.h"
#include "cgroup/drivers.h"
#include "cgroup/layout.h"
#include "supervise/error.h"
#include "sys/file.h"

namespace supervise {

std::string to_string(DriverKind kind) {
    switch (kind) {
        case DriverKind::automatic: return "auto";
        case DriverKind::systemd: return "systemd";
        case DriverKind::cgroup2: return "cgroup2";
        case DriverKind::hybrid: return "hybrid";
    }
    return "auto";
}

DriverKind parse_driver_kind(const std::string& text) {
    for (auto kind : {DriverKind::automatic, DriverKind::systemd, DriverKind::cgroup2,
                      DriverKind::hybrid})
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

std::unique_ptr<CgroupDriver> make_driver(const DriverOptions& options) {
    const auto& layout = cgroup::Layout::current();
    switch (options.kind) {
        case DriverKind::systemd: return cgroup::make_systemd_driver(options);
        case DriverKind::cgroup2: return cgroup::make_cgroup2_driver(layout, options.cgroup_root);
        case DriverKind::hybrid: return cgroup::make_hybrid_driver(layout, options.cgroup_root);
        case DriverKind::automatic: break;
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

std::vector<DriverReport> probe_drivers(const DriverOptions& options) {
    return {cgroup::probe_systemd(options), probe_direct(DriverKind::cgroup2, options),
            probe_direct(DriverKind::hybrid, options)};
}

}  // namespace supervise
