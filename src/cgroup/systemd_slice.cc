// Where systemd keeps our scopes: the ControlGroup of supervise.slice (for kill-all).

#include "drivers.h"
#include "layout.h"
#include "systemd_bus.h"

namespace supervise::cgroup {

std::optional<std::string> systemd_slice_cgroup(const DriverOptions& options) {
    std::string reason;
    if (!systemd_available(options, reason)) return std::nullopt;
    try {
        systemd::Bus bus(wants_user_manager(options), std::chrono::seconds(2));
        auto control_group =
            bus.unit_control_group("supervise.slice", "org.freedesktop.systemd1.Slice");
        if (!control_group || control_group->empty()) return std::nullopt;  // no scope of ours
        return Layout::current().unified_mount + *control_group;
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace supervise::cgroup
