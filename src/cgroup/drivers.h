#pragma once
// Constructors of the three drivers (private to cgroup/); make_driver() picks one.

#include <memory>
#include <optional>
#include <string>

#include "layout.h"
#include "supervise/cgroup.h"

namespace supervise::cgroup {

// Pure cgroup v2, self-managed: runs go to <base>/supervise/<name>, where base is
// options.cgroup_root or, when empty, our own cgroup (the root of a cgroup namespace in a
// container).
std::unique_ptr<CgroupDriver> make_cgroup2_driver(const Layout& layout,
                                                  const DriverOptions& options);
// Hybrid: v2 for membership and kill, v1 memory (and pids, cpu) for limits and accounting.
std::unique_ptr<CgroupDriver> make_hybrid_driver(const Layout& layout,
                                                 const DriverOptions& options);
// Transient scopes of the system manager (root) or the user manager.
std::unique_ptr<CgroupDriver> make_systemd_driver(const DriverOptions& options);

// "system" / "user" / empty (root: system, others: their own manager). Throws UsageError
// for anything else.
bool wants_user_manager(const DriverOptions& options);
// Is a systemd manager reachable that we may start scopes with? Cheap (one bus call).
// When not, `reason` says why in a few words.
bool systemd_available(const DriverOptions& options, std::string& reason);
DriverReport probe_systemd(const DriverOptions& options);
// The unified-hierarchy directory of supervise.slice, when a manager has it loaded.
std::optional<std::string> systemd_slice_cgroup(const DriverOptions& options);

}  // namespace supervise::cgroup
