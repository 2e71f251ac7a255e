#pragma once
// A connection to one systemd manager (system or user) over sd-bus, and the few Manager
// calls the systemd driver needs. Every call blocks until its answer (bounded by a
// timeout); there is no event loop here.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "supervise/error.h"

struct sd_bus;

namespace supervise::cgroup::systemd {

// Per-device values (IOReadBandwidthMax=...): D-Bus a(st).
using DeviceValues = std::vector<std::pair<std::string, std::uint64_t>>;

// One property of a transient unit: name and a value of D-Bus type s, b, t, au or a(st).
struct UnitProperty {
    std::string name;
    std::variant<std::string, bool, std::uint64_t, std::vector<std::uint32_t>, DeviceValues> value;
};

class Bus {
  public:
    // user: the calling user's manager (sd_bus_open_user), else the system manager.
    // Throws SystemError ("connect to the systemd system manager") when the bus cannot be
    // opened.
    Bus(bool user, std::chrono::milliseconds call_timeout);
    ~Bus();
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    bool user() const { return user_; }
    // "system manager" / "user manager", for messages.
    std::string manager_name() const;
    // The bus address we connected to ("unix:path=/run/dbus/system_bus_socket").
    std::string address() const;

    // A string property of org.freedesktop.systemd1.Manager ("Version").
    std::string manager_property(const std::string& name);

    // StartTransientUnit(unit, "fail", properties, []) and waits for the job's
    // JobRemoved signal; returns the job result ("done", "failed", "canceled", ...).
    // `queued` is set once the manager has accepted the call: from then on the unit is the
    // caller's to stop, even when waiting for the job fails.
    std::string start_transient_unit(const std::string& unit,
                                     const std::vector<UnitProperty>& properties,
                                     std::chrono::milliseconds job_timeout, bool& queued);
    // ControlGroup property of a loaded unit, read on `interface`
    // ("org.freedesktop.systemd1.Scope"); nothing when the unit is not loaded.
    std::optional<std::string> unit_control_group(const std::string& unit,
                                                  const std::string& interface);
    // StopUnit(unit, "replace") and waits for the job. False when there is no such unit.
    bool stop_unit(const std::string& unit, std::chrono::milliseconds job_timeout);
    // KillUnit(unit, "all", sig). False when there is no such unit.
    bool kill_unit(const std::string& unit, int sig);

  private:
    sd_bus* bus_ = nullptr;
    bool user_;
};

}  // namespace supervise::cgroup::systemd
