// Where systemd keeps our scopes: the ControlGroup of supervise.slice (for kill-all).

#include <systemd/sd-bus.h>
#include <unistd.h>

#include <memory>

#include "cgroup/drivers.h"
#include "cgroup/layout.h"

namespace supervise::cgroup {

std::optional<std::string> systemd_slice_cgroup(const DriverOptions& options) {
    std::string reason;
    if (!systemd_available(options, reason)) return std::nullopt;
    bool user = options.systemd_manager == "user" ||
                (options.systemd_manager.empty() && ::geteuid() != 0);
    sd_bus* raw = nullptr;
    if ((user ? sd_bus_open_user(&raw) : sd_bus_open_system(&raw)) < 0) return std::nullopt;
    std::unique_ptr<sd_bus, decltype(&sd_bus_flush_close_unref)> bus(raw, sd_bus_flush_close_unref);
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(bus.get(), "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s",
                               "supervise.slice");
    sd_bus_error_free(&error);
    if (r < 0) return std::nullopt;  // never loaded: no scope of ours exists
    const char* object = nullptr;
    std::optional<std::string> result;
    if (sd_bus_message_read(reply, "o", &object) >= 0) {
        char* control_group = nullptr;
        if (sd_bus_get_property_string(bus.get(), "org.freedesktop.systemd1", object,
                                       "org.freedesktop.systemd1.Slice", "ControlGroup", &error,
                                       &control_group) >= 0 &&
            control_group && *control_group)
            result = Layout::current().unified_mount + control_group;
        free(control_group);
        sd_bus_error_free(&error);
    }
    sd_bus_message_unref(reply);
    return result;
}

}  // namespace supervise::cgroup
