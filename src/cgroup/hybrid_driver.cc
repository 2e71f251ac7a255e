// Hybrid hosts (RHEL 8, Ubuntu 20.04, our CI): cgroup v2 for membership, cgroup.events and
// cgroup.kill; the v1 memory controller (and pids, cpu) for limits and accounting.

#include "direct_driver.h"
#include "drivers.h"
#include "supervise/error.h"
#include "supervise/sys/files.h"

namespace supervise::cgroup {

namespace {

class HybridDriver final : public CgroupDriver {
  public:
    HybridDriver(std::string unified_base, std::string memory_base,
                 std::optional<std::string> pids_base, std::optional<std::string> cpu_base,
                 std::optional<std::string> blkio_base, WarningSink warn)
        : unified_base_(std::move(unified_base)),
          memory_base_(std::move(memory_base)),
          pids_base_(std::move(pids_base)),
          cpu_base_(std::move(cpu_base)),
          blkio_base_(std::move(blkio_base)),
          warn_(std::move(warn)) {}

    DriverKind kind() const override { return DriverKind::hybrid; }
    std::string planned_path(const std::string& name) const override {
        return unified_base_ + "/supervise/" + name;
    }

    std::unique_ptr<RunCgroup> create(const std::string& name, const Limits& limits) override {
        if (limits.tasks_max && !pids_base_)
            throw UsageError("cannot enforce --tasks: no v1 pids controller is mounted");
        if (limits.cpu_percent && !cpu_base_)
            throw UsageError("cannot enforce --cpu: no v1 cpu controller is mounted");
        bool io = limits.io_weight || !limits.io_max.empty();
        if (io && !blkio_base_)
            throw UsageError(std::string("cannot enforce ") +
                             (limits.io_weight ? "--io-weight" : "--io-max") +
                             ": no v1 blkio controller is mounted");

        // Directories are created one hierarchy at a time; if one fails, the ones made so
        // far are removed before the error goes up.
        struct Made {
            std::vector<std::string> dirs;
            bool keep = false;
            ~Made() {
                if (!keep) remove_run_directories(dirs, true);
            }
        } made;
        auto make = [&](const std::string& base) {
            make_run_directory(base + "/supervise", name, [] {});
            made.dirs.push_back(base + "/supervise/" + name);
            return made.dirs.back();
        };
        CgroupView view;
        view.unified = make(unified_base_);
        view.memory_v1 = make(memory_base_);
        if (limits.tasks_max) view.pids_v1 = make(*pids_base_);
        if (limits.cpu_percent) view.cpu_v1 = make(*cpu_base_);
        if (io) view.blkio_v1 = make(*blkio_base_);

        auto set = [](const std::string& dir, const char* file, const std::string& value,
                      const char* what) {
            sys::write_file(dir + "/" + file, value, std::string("set ") + what + " in");
        };
        const std::string& memory = *view.memory_v1;
        if (limits.memory_max)
            set(memory, "memory.limit_in_bytes", std::to_string(*limits.memory_max),
                "memory limit");
        if (limits.memory_high)
            set(memory, "memory.soft_limit_in_bytes", std::to_string(*limits.memory_high),
                "soft memory limit");
        if (limits.swap_max) {
            if (!sys::path_exists(memory + "/memory.memsw.limit_in_bytes"))
                throw UsageError(
                    "cannot enforce --swap: swap accounting is off in this kernel "
                    "(boot with swapaccount=1)");
            std::uint64_t memory_limit = limits.memory_max.value_or(0);
            if (!limits.memory_max)
                throw UsageError("--swap needs --memory on a hybrid host (v1 limits memory+swap)");
            set(memory, "memory.memsw.limit_in_bytes",
                std::to_string(memory_limit + *limits.swap_max), "memory+swap limit");
        }
        if (limits.tasks_max)
            set(*view.pids_v1, "pids.max", std::to_string(*limits.tasks_max), "task limit");
        if (limits.cpu_percent) {
            set(*view.cpu_v1, "cpu.cfs_period_us", "100000", "CPU period");
            set(*view.cpu_v1, "cpu.cfs_quota_us",
                std::to_string(cpu_quota_usec(*limits.cpu_percent, 100000)), "CPU limit");
        }
        if (limits.io_weight) set_io_weight(*view.blkio_v1, *limits.io_weight, true);
        for (const auto& limit : limits.io_max) {
            std::string disk =
                std::to_string(limit.major) + ":" + std::to_string(limit.minor) + " ";
            const std::pair<const char*, std::optional<std::uint64_t>> files[] = {
                {"blkio.throttle.read_bps_device", limit.rbps},
                {"blkio.throttle.write_bps_device", limit.wbps},
                {"blkio.throttle.read_iops_device", limit.riops},
                {"blkio.throttle.write_iops_device", limit.wiops}};
            for (const auto& [file, value] : files)
                if (value) set(*view.blkio_v1, file, disk + std::to_string(*value), "I/O limit");
        }
        auto run = std::make_unique<OwnedRunCgroup>(view, DriverKind::hybrid, warn_);
        made.keep = true;
        return run;
    }

  private:
    std::string unified_base_, memory_base_;
    std::optional<std::string> pids_base_, cpu_base_, blkio_base_;
    WarningSink warn_;
};

}  // namespace

std::unique_ptr<CgroupDriver> make_hybrid_driver(const Layout& layout,
                                                 const DriverOptions& options) {
    const auto& root = options.cgroup_root;
    if (!layout.hybrid())
        throw Error(layout.unified_mount.empty()
                        ? "the hybrid driver needs cgroup2 mounted beside the v1 controllers "
                          "(see 'supervise doctor')"
                        : "the hybrid driver needs the v1 memory controller, and this host "
                          "is pure cgroup v2 (use --driver cgroup2)");
    return std::make_unique<HybridDriver>(root.empty() ? layout.own_unified_dir() : root,
                                          *layout.own_v1_dir("memory"), layout.own_v1_dir("pids"),
                                          layout.own_v1_dir("cpu"), layout.own_v1_dir("blkio"),
                                          options.on_warning);
}

}  // namespace supervise::cgroup
