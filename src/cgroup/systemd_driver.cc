// PLACEHOLDER while the systemd driver is being written; replaced before landing.
#include "cgroup/drivers.h"
#include "supervise/error.h"

namespace supervise::cgroup {
std::unique_ptr<CgroupDriver> make_systemd_driver(const DriverOptions&) {
    throw Error("the systemd driver is not built yet");
}
bool systemd_available(const DriverOptions&, std::string& reason) {
    reason = "not built yet";
    return false;
}
DriverReport probe_systemd(const DriverOptions&) {
    return {DriverKind::systemd, false, "not built yet", {}};
}
}  // namespace supervise::cgroup
