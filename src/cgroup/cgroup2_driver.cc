// Pure cgroup v2, managed by supervise itself: runs in <base>/supervise/<name>.

#include <cerrno>

#include "direct_driver.h"
#include "drivers.h"
#include "supervise/error.h"
#include "supervise/sys/files.h"

namespace supervise::cgroup {

namespace {

// Makes `controller` available to the children of dir. Failing matters only when a limit
// needs it; accounting without it is merely less complete.
void enable_controller(const std::string& dir, const std::string& controller, bool required,
                       const std::string& option) {
    if (has_word(dir + "/cgroup.subtree_control", controller)) return;
    if (!has_word(dir + "/cgroup.controllers", controller)) {
        if (required)
            throw UsageError("cannot enforce " + option + ": the " + controller +
                             " controller is not available in " + dir +
                             " (see 'supervise doctor')");
        return;
    }
    int err = sys::try_write_file(dir + "/cgroup.subtree_control", "+" + controller);
    if (err && required)
        throw SystemError("enable the " + controller + " controller in", dir, err,
                          err == EBUSY ? "the cgroup has processes of its own; give "
                                         "--cgroup-root an empty delegated cgroup, or use "
                                         "--driver systemd"
                                       : "see 'supervise doctor'");
}

class Cgroup2Driver final : public CgroupDriver {
  public:
    Cgroup2Driver(std::string base, WarningSink warn)
        : base_(std::move(base)), warn_(std::move(warn)) {}
    DriverKind kind() const override { return DriverKind::cgroup2; }
    std::string planned_path(const std::string& name) const override {
        return base_ + "/supervise/" + name;
    }

    std::unique_ptr<RunCgroup> create(const std::string& name, const Limits& limits) override {
        std::string parent = base_ + "/supervise";
        struct Want {
            const char* controller;
            bool required;
            const char* option;
        };
        std::vector<Want> wants{{"memory",
                                 limits.memory_max || limits.memory_high || limits.swap_max,
                                 limits.memory_max    ? "--memory"
                                 : limits.memory_high ? "--memory-high"
                                                      : "--swap"}};
        if (limits.tasks_max) wants.push_back({"pids", true, "--tasks"});
        if (limits.cpu_percent) wants.push_back({"cpu", true, "--cpu"});
        if (limits.io_weight || !limits.io_max.empty())
            wants.push_back({"io", true, limits.io_weight ? "--io-weight" : "--io-max"});
        make_run_directory(parent, name, [&] {
            for (const auto& want : wants) {
                enable_controller(base_, want.controller, want.required, want.option);
                enable_controller(parent, want.controller, want.required, want.option);
            }
        });
        CgroupView view;
        view.unified = parent + "/" + name;
        auto run = std::make_unique<OwnedRunCgroup>(view, DriverKind::cgroup2, warn_);
        // From here on, an exception destroys `run`, which removes the directory.
        auto set = [&](const char* file, const std::string& value, const char* what) {
            sys::write_file(view.unified + "/" + file, value, std::string("set ") + what + " in");
        };
        if (limits.memory_max)
            set("memory.max", std::to_string(*limits.memory_max), "memory limit");
        if (limits.memory_high)
            set("memory.high", std::to_string(*limits.memory_high), "memory high limit");
        if (limits.swap_max) set("memory.swap.max", std::to_string(*limits.swap_max), "swap limit");
        if (limits.tasks_max) set("pids.max", std::to_string(*limits.tasks_max), "task limit");
        if (limits.cpu_percent)
            set("cpu.max", std::to_string(cpu_quota_usec(*limits.cpu_percent, 100000)) + " 100000",
                "CPU limit");
        if (limits.io_weight) set_io_weight(view.unified, *limits.io_weight, false);
        for (const auto& limit : limits.io_max) set("io.max", io_max_line(limit), "I/O limit");
        return run;
    }

  private:
    std::string base_;
    WarningSink warn_;
};

}  // namespace

std::unique_ptr<CgroupDriver> make_cgroup2_driver(const Layout& layout,
                                                  const DriverOptions& options) {
    const auto& root = options.cgroup_root;
    if (layout.unified_mount.empty())
        throw Error(
            "the cgroup2 driver needs a cgroup v2 hierarchy, and none is mounted "
            "(see 'supervise doctor')");
    if (layout.hybrid() && root.empty())
        throw Error(
            "the cgroup2 driver needs the memory controller on cgroup v2, but this "
            "host has it on v1 (use --driver hybrid)");
    return std::make_unique<Cgroup2Driver>(root.empty() ? layout.own_unified_dir() : root,
                                           options.on_warning);
}

}  // namespace supervise::cgroup
