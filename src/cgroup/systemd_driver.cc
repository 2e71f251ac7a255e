// The systemd driver: every run is a transient scope (supervise-<name>.scope in
// supervise.slice) of the system manager or of the calling user's manager. systemd owns
// the cgroup and its limits; once the scope is started we read its ControlGroup and treat
// it as a plain cgroup for watching, stats and kill (CgroupView).

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>

#include "direct_driver.h"
#include "drivers.h"
#include "layout.h"
#include "spdlog/spdlog.h"
#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/sys/events.h"
#include "supervise/sys/fd.h"
#include "supervise/sys/files.h"
#include "supervise/sys/process.h"
#include "systemd_bus.h"

namespace supervise::cgroup {

namespace {

using namespace std::chrono_literals;
using systemd::Bus;
using systemd::UnitProperty;

constexpr const char* kSlice = "supervise.slice";
constexpr auto kCallTimeout = 10s;    // one D-Bus round trip to the manager
constexpr auto kProbeTimeout = 2s;    // systemd_available(): must stay cheap
constexpr auto kJobTimeout = 30s;     // a start/stop job of a scope
constexpr auto kRemovalTimeout = 3s;  // systemd removes an empty scope's cgroup

std::string scope_name(const std::string& run_name) {
    return "supervise-" + run_name + ".scope";
}

// Is there a bus to try at all? Avoids a connect timeout on hosts without systemd.
bool bus_present(bool user, std::string& reason) {
    if (user) {
        if (std::getenv("DBUS_SESSION_BUS_ADDRESS")) return true;
        const char* runtime = std::getenv("XDG_RUNTIME_DIR");
        if (runtime && sys::path_exists(std::string(runtime) + "/bus")) return true;
        reason =
            "no user bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no "
            "$XDG_RUNTIME_DIR/bus)";
        return false;
    }
    if (sys::path_exists("/run/systemd/system") || std::getenv("DBUS_SYSTEM_BUS_ADDRESS"))
        return true;
    reason = "systemd is not the init system here (no /run/systemd/system)";
    return false;
}

std::string journal_hint(const Bus& bus, const std::string& unit) {
    return std::string("see 'journalctl ") + (bus.user() ? "--user " : "") + "-u " + unit +
           "' or 'supervise doctor'";
}

// What the manager can give its units, judged from its own cgroup (the root slice's
// ControlGroup) before any scope exists.
struct ManagerControllers {
    std::string root;  // the manager's cgroup, "" for the hierarchy root
    bool memory = false, pids = false, cpu = false, io = false;
};

ManagerControllers manager_controllers(Bus& bus) {
    ManagerControllers found;
    found.root = bus.unit_control_group("-.slice", "org.freedesktop.systemd1.Slice").value_or("");
    if (found.root == "/") found.root.clear();
    const auto& layout = Layout::current();
    auto usable = [&](const char* controller) {
        if (layout.hybrid()) {
            // Containers like sdbox mount some v1 hierarchies read-only.
            auto mount = layout.v1_mounts.find(controller);
            return mount != layout.v1_mounts.end() &&
                   ::access((mount->second + found.root).c_str(), W_OK) == 0;
        }
        return has_word(layout.unified_mount + found.root + "/cgroup.controllers", controller);
    };
    found.memory = usable("memory");
    found.pids = usable("pids");
    found.cpu = usable("cpu");
    found.io = usable(layout.hybrid() ? "blkio" : "io");
    return found;
}

// A tiny process that sits in the scope beside the command, so that the scope (and with it
// the cgroup holding the memory peak and OOM count) cannot be stopped and removed by systemd
// the moment the command's last process exits. It blocks reading a pipe whose write end
// only the supervisor holds, and exits on EOF: whichever way the supervisor ends (even
// SIGKILL), the keeper follows, and the scope frees itself once the command's tree is gone.
// Its own process group keeps terminal signals away; it ignores every signal it can, so
// only SIGKILL (cgroup.kill at the end of the run) or EOF ends it.
class Keeper {
  public:
    void start();
    pid_t pid() const { return child_ ? child_->pid() : -1; }
    bool running() const { return child_.has_value(); }
    // Lets the keeper exit (closes our end of its pipe) and reaps it.
    void release();
    ~Keeper() { release(); }

  private:
    std::optional<sys::ChildProcess> child_;
    sys::UniqueFd hold_;  // write end of the keeper's pipe
};

int keeper_main(int pipe_fd) {
    // Only async-signal-safe calls from here on: the parent may hold any lock.
    ::setpgid(0, 0);
    ::prctl(PR_SET_NAME, "supervise-keep", 0, 0, 0);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &ignore, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // /dev/null on 0..2: no output pipe of the user's shell may outlive the supervisor
    // through us (spawn_function closed everything else but the pipe).
    {
        sys::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
        for (int fd = 0; fd <= 2 && null; ++fd) ::dup2(null.get(), fd);
        if (null.get() <= 2) null.release();  // it is one of 0..2 now
    }
    char buffer[16];
    for (;;) {
        ssize_t n = ::read(pipe_fd, buffer, sizeof buffer);
        if (n == 0) return 0;
        if (n < 0 && errno != EINTR) return 1;
    }
}

void Keeper::start() {
    sys::Pipe pipe = sys::Pipe::create();
    int read_end = pipe.read.get();
    child_ = sys::ChildProcess::spawn_function([read_end] { return keeper_main(read_end); },
                                               {read_end}, "the scope keeper process");
    hold_ = std::move(pipe.write);
    spdlog::debug("scope keeper is pid {}", child_->pid());
}

void Keeper::release() {
    if (!child_) return;
    hold_.reset();
    // It exits at once on EOF; only a stopped keeper would not, and that one is killed.
    try {
        child_->reap_within(std::chrono::seconds(2));
    } catch (const SystemError& e) {
        spdlog::debug("{}", e.what());  // reaped by someone else: gone all the same
    }
    child_.reset();
}

class ScopeRunCgroup final : public RunCgroup {
  public:
    ScopeRunCgroup(std::shared_ptr<Bus> bus, std::string name, Limits limits, WarningSink warn)
        : bus_(std::move(bus)),
          run_name_(std::move(name)),
          limits_(limits),
          warn_(std::move(warn)) {
        identity_.driver = DriverKind::systemd;
        identity_.unit = scope_name(run_name_);
        identity_.boot_id = current_boot_id();
    }
    ~ScopeRunCgroup() override;

    // A scope is made of processes: nothing to clone into, the scope starts in enter().
    int clone_into_fd() const override { return -1; }
    void enter(pid_t pid, bool cloned_into) override;
    // Empty (path "", id 0) until enter() has started the scope.
    const CgroupIdentity& identity() const override { return identity_; }
    const std::string& unified_path() const override { return view_.unified; }
    // Whether any process other than the keeper is left. cgroup.events (unified_path())
    // counts the keeper too, until signal_all(SIGKILL) ends it with the rest.
    bool populated() const override;
    // Event driven on cgroup.events once the keeper is gone; while it lives, on the pidfds
    // of the other processes (rescanned whenever one of them exits).
    bool wait_until_empty(std::chrono::milliseconds timeout) const override;
    // After signal_all(SIGKILL) systemd may remove the cgroup at any moment: the values
    // read just before that kill stand in for what can no longer be read.
    CgroupStats stats() const override;
    std::optional<std::uint64_t> memory_usage() const override { return view_.memory_usage(); }
    std::optional<std::uint64_t> memory_working_set() const override {
        return view_.memory_working_set();
    }
    // Through the cgroup's own files when we may write them (cgroup.kill, cgroup.freeze),
    // else KillUnit. The keeper ignores every signal but SIGKILL.
    void signal_all(int sig) override;
    // Returns once the scope's cgroup is gone (StopUnit when systemd does not remove the
    // empty scope by itself). Throws when processes other than the keeper are left.
    void remove() override;

  private:
    std::vector<UnitProperty> properties(pid_t pid) const;
    // Finds the scope's cgroup (ControlGroup) and fills in view_ and identity_.
    void read_control_group();
    // Refuses a scope whose limits systemd accepted but cannot apply here.
    void check_limits_applied() const;
    void make_sure_scope_is_gone();

    std::shared_ptr<Bus> bus_;
    std::string run_name_;
    Limits limits_;
    CgroupView view_;
    CgroupIdentity identity_;
    Keeper keeper_;
    std::optional<CgroupStats> before_kill_;
    WarningSink warn_;
    bool start_requested_ = false;
    bool owns_unit_ = false;  // the manager accepted our StartTransientUnit (not a namesake's)
    bool removed_ = false;
};

std::vector<UnitProperty> ScopeRunCgroup::properties(pid_t pid) const {
    std::vector<UnitProperty> list{
        {"Description", "supervise run " + run_name_},
        {"Slice", std::string(kSlice)},
        {"PIDs", std::vector<std::uint32_t>{static_cast<std::uint32_t>(pid),
                                            static_cast<std::uint32_t>(keeper_.pid())}},
        {"Delegate", false},
        {"CollectMode", std::string("inactive-or-failed")},
        // So that memory.*, pids.* and cpu.stat exist even without limits.
        {"MemoryAccounting", true},
        {"TasksAccounting", true},
        {"CPUAccounting", true},
    };
    if (limits_.memory_max) list.push_back({"MemoryMax", *limits_.memory_max});
    if (limits_.memory_high) list.push_back({"MemoryHigh", *limits_.memory_high});
    if (limits_.swap_max) list.push_back({"MemorySwapMax", *limits_.swap_max});
    if (limits_.tasks_max) list.push_back({"TasksMax", *limits_.tasks_max + 1});  // + keeper
    if (limits_.cpu_percent) {
        list.push_back({"CPUQuotaPerSecUSec",
                        static_cast<std::uint64_t>(cpu_quota_usec(*limits_.cpu_percent, 1000000))});
    }
    if (limits_.io_weight) list.push_back({"IOWeight", std::uint64_t{*limits_.io_weight}});
    // (systemd names a device by a path: /dev/block/MAJ:MIN is every disk's)
    systemd::DeviceValues read_bps, write_bps, read_iops, write_iops;
    for (const auto& limit : limits_.io_max) {
        std::string device =
            "/dev/block/" + std::to_string(limit.major) + ":" + std::to_string(limit.minor);
        if (limit.rbps) read_bps.emplace_back(device, *limit.rbps);
        if (limit.wbps) write_bps.emplace_back(device, *limit.wbps);
        if (limit.riops) read_iops.emplace_back(device, *limit.riops);
        if (limit.wiops) write_iops.emplace_back(device, *limit.wiops);
    }
    for (auto& [name, values] :
         {std::pair{"IOReadBandwidthMax", &read_bps}, std::pair{"IOWriteBandwidthMax", &write_bps},
          std::pair{"IOReadIOPSMax", &read_iops}, std::pair{"IOWriteIOPSMax", &write_iops}})
        if (!values->empty()) list.push_back({name, *values});
    return list;
}

void ScopeRunCgroup::enter(pid_t pid, bool) {
    if (start_requested_) throw Error("scope " + identity_.unit + " is already started");
    const auto& unit = identity_.unit;
    auto started = std::chrono::steady_clock::now();
    keeper_.start();
    start_requested_ = true;
    std::string result;
    try {
        result = bus_->start_transient_unit(unit, properties(pid), kJobTimeout, owns_unit_);
    } catch (...) {
        keeper_.release();
        throw;
    }
    try {
        if (result != "done")
            throw Error("cannot start " + unit + ": the systemd job ended with '" + result + "' (" +
                        journal_hint(*bus_, unit) + ")");
        read_control_group();
    } catch (...) {
        // The held child may be in the scope already; the caller reaps it next, and a held
        // child only ends by itself when it sees its release pipe closed.
        try {
            bus_->kill_unit(unit, SIGKILL);
        } catch (const std::exception& e) {
            spdlog::debug("{}", e.what());
        }
        throw;
    }
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::debug("scope {} started in {:.1f} ms, cgroup {}{}", unit, took.count() / 1000.0,
                  view_.unified, view_.memory_v1 ? " (v1 memory " + *view_.memory_v1 + ")" : "");
}

void ScopeRunCgroup::read_control_group() {
    const auto& unit = identity_.unit;
    auto control_group = bus_->unit_control_group(unit, "org.freedesktop.systemd1.Scope");
    if (!control_group || control_group->empty())
        throw Error("cannot start " + unit + ": systemd reports no cgroup for it (" +
                    journal_hint(*bus_, unit) + ")");
    const auto& layout = Layout::current();
    std::string relative = *control_group == "/" ? "" : *control_group;
    view_.unified = layout.unified_mount + relative;
    if (layout.hybrid()) {
        std::string memory = layout.v1_mounts.at("memory") + relative;
        if (sys::path_exists(memory)) view_.memory_v1 = memory;
    }
    identity_.path = view_.unified;
    identity_.id = cgroup_id(view_.unified);
    check_limits_applied();
}

void ScopeRunCgroup::check_limits_applied() const {
    const auto& layout = Layout::current();
    std::string relative = view_.unified.substr(layout.unified_mount.size());
    auto v1_file = [&](const char* controller, const char* file) {
        auto mount = layout.v1_mounts.find(controller);
        return mount != layout.v1_mounts.end() &&
               sys::path_exists(mount->second + relative + "/" + file);
    };
    auto refuse = [&](const char* limit, const char* controller) {
        throw Error(std::string("cannot enforce ") + limit + " in " + identity_.unit +
                    ": the systemd " + bus_->manager_name() + " has no " + controller +
                    " controller for it (see 'supervise doctor')");
    };
    if (limits_.memory_max && !sys::path_exists(view_.unified + "/memory.max") &&
        !(view_.memory_v1 && sys::path_exists(*view_.memory_v1 + "/memory.limit_in_bytes")))
        refuse("the memory limit", "memory");
    if (limits_.tasks_max && !sys::path_exists(view_.unified + "/pids.max") &&
        !v1_file("pids", "pids.max"))
        refuse("the task limit", "pids");
    if (limits_.cpu_percent && !sys::path_exists(view_.unified + "/cpu.max") &&
        !v1_file("cpu", "cpu.cfs_quota_us"))
        refuse("the CPU limit", "cpu");
    auto unified_file = [&](const char* file) {
        return sys::path_exists(view_.unified + "/" + file);
    };
    if (limits_.io_weight && !unified_file("io.weight") && !unified_file("io.bfq.weight") &&
        !v1_file("blkio", "blkio.weight") && !v1_file("blkio", "blkio.bfq.weight"))
        refuse("the I/O weight", "io weight (iocost or BFQ)");
    if (!limits_.io_max.empty() && !unified_file("io.max") &&
        !v1_file("blkio", "blkio.throttle.read_bps_device"))
        refuse("the I/O limit", "io");
}

bool ScopeRunCgroup::populated() const {
    if (view_.unified.empty() || !view_.populated()) return false;
    if (!keeper_.running()) return true;
    for (pid_t pid : view_.processes())
        if (pid != keeper_.pid()) return true;
    return false;
}

bool ScopeRunCgroup::wait_until_empty(std::chrono::milliseconds timeout) const {
    if (view_.unified.empty()) return true;
    if (!keeper_.running()) return view_.wait_until_empty(timeout);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // A process forked after the scan has a parent among the scanned ones, and that
        // parent's exit brings us back here: nothing can be missed.
        std::vector<sys::Pidfd> pidfds;
        bool without_pidfd = false;
        for (pid_t pid : view_.processes()) {
            if (pid == keeper_.pid()) continue;
            if (auto pidfd = sys::Pidfd::open(pid))
                pidfds.push_back(std::move(pidfd));
            else if (errno != ESRCH)
                without_pidfd = true;  // old kernel: poll below
        }
        if (pidfds.empty() && !without_pidfd) return true;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        std::vector<pollfd> waiting;
        for (const auto& pidfd : pidfds) waiting.push_back({pidfd.fd(), POLLIN, 0});
        int slice = static_cast<int>(std::min<long>(left.count(), without_pidfd ? 50 : 1000));
        ::poll(waiting.data(), waiting.size(), slice);
    }
}

CgroupStats ScopeRunCgroup::stats() const {
    if (view_.unified.empty()) return {};
    CgroupStats now = view_.stats();
    return before_kill_ ? CgroupStats::combine(*before_kill_, now) : now;
}

void ScopeRunCgroup::signal_all(int sig) {
    if (view_.unified.empty()) return;
    if (sig == SIGKILL) before_kill_ = stats();
    const char* control = sig == SIGKILL ? "/cgroup.kill" : "/cgroup.freeze";
    if (::access((view_.unified + control).c_str(), W_OK) == 0) {
        view_.signal_all(sig);
        return;
    }
    spdlog::debug("cannot write {}{}: asking systemd to signal {}", view_.unified, control,
                  identity_.unit);
    bus_->kill_unit(identity_.unit, sig);
}

void ScopeRunCgroup::remove() {
    if (removed_) return;
    if (!owns_unit_) {
        keeper_.release();
        removed_ = true;
        return;
    }
    if (populated())
        throw Error("cannot remove " + identity_.unit + ": processes are still running in " +
                    view_.unified);
    keeper_.release();
    removed_ = true;
    make_sure_scope_is_gone();
}

void ScopeRunCgroup::make_sure_scope_is_gone() {
    const auto& unit = identity_.unit;
    // Left alone, systemd stops an empty scope by itself, but only after it has noticed
    // (10-20 ms); a stop job is quicker and tells us when it is over. Its JobRemoved comes
    // after systemd has removed the cgroup.
    if (view_.populated()) {
        // Only processes of this run can be in the scope. Without SIGKILL first, the stop
        // job would wait out the scope's TimeoutStopSec for processes that ignore SIGTERM.
        spdlog::debug("scope {} still has processes: killing them", unit);
        bus_->kill_unit(unit, SIGKILL);
    }
    bool stopped = bus_->stop_unit(unit, kJobTimeout);
    if (!view_.unified.empty() && !wait_until_removed(view_.unified, kRemovalTimeout))
        throw Error("cannot remove " + unit + ": its cgroup " + view_.unified +
                    " is still there after the unit stopped (" + journal_hint(*bus_, unit) + ")");
    // A v1 memory cgroup can stay busy for a moment after its last task has left, and
    // systemd does not retry its rmdir.
    if (view_.memory_v1 && sys::path_exists(*view_.memory_v1)) {
        spdlog::debug("removing {} left behind by systemd", *view_.memory_v1);
        if (int err = remove_cgroup_dir(*view_.memory_v1))
            throw SystemError("remove cgroup", *view_.memory_v1, err);
    }
    spdlog::debug("scope {} is gone{}", unit, stopped ? "" : " (systemd had collected it)");
}

ScopeRunCgroup::~ScopeRunCgroup() {
    if (removed_) return;
    if (!owns_unit_) {
        keeper_.release();
        return;
    }
    try {
        if (populated()) {
            signal_all(SIGKILL);
            wait_until_empty(5s);
        }
        keeper_.release();
        removed_ = true;
        make_sure_scope_is_gone();
    } catch (const std::exception& e) {
        if (warn_) warn_(e.what());
    }
}

class SystemdDriver final : public CgroupDriver {
  public:
    SystemdDriver(std::shared_ptr<Bus> bus, WarningSink warn)
        : bus_(std::move(bus)), warn_(std::move(warn)) {}
    DriverKind kind() const override { return DriverKind::systemd; }
    std::unique_ptr<RunCgroup> create(const std::string& name, const Limits& limits) override;
    std::string planned_path(const std::string& name) const override {
        return std::string(kSlice) + "/" + scope_name(name) + " (systemd " + bus_->manager_name() +
               ")";
    }

  private:
    std::shared_ptr<Bus> bus_;
    std::optional<ManagerControllers> controllers_;  // read at the first run with limits
    WarningSink warn_;
};

std::unique_ptr<RunCgroup> SystemdDriver::create(const std::string& name, const Limits& limits) {
    // systemd applies neither on the v1 memory controller; it would accept and ignore them.
    if (Layout::current().hybrid() && (limits.memory_high || limits.swap_max))
        throw UsageError(std::string("the systemd driver cannot enforce ") +
                         (limits.memory_high ? "a memory high limit" : "a swap limit") +
                         " on this host (memory is a cgroup v1 controller here); use "
                         "--driver hybrid");
    bool io = limits.io_weight || !limits.io_max.empty();
    if (limits.memory_max || limits.memory_high || limits.swap_max || limits.tasks_max ||
        limits.cpu_percent || io) {
        if (!controllers_) controllers_ = manager_controllers(*bus_);
        auto refuse = [&](const char* limit, const char* controller) {
            throw UsageError(std::string("cannot enforce ") + limit + ": the systemd " +
                             bus_->manager_name() + " has no " + controller +
                             " controller to give (see 'supervise doctor')");
        };
        if ((limits.memory_max || limits.memory_high || limits.swap_max) && !controllers_->memory)
            refuse("a memory limit", "memory");
        if (limits.tasks_max && !controllers_->pids) refuse("a task limit", "pids");
        if (limits.cpu_percent && !controllers_->cpu) refuse("a CPU limit", "cpu");
        if (io && !controllers_->io)
            refuse(limits.io_weight ? "an I/O weight" : "an I/O limit",
                   Layout::current().hybrid() ? "blkio" : "io");
    }
    return std::make_unique<ScopeRunCgroup>(bus_, name, limits, warn_);
}

std::shared_ptr<Bus> connect(const DriverOptions& options, std::chrono::milliseconds timeout,
                             std::string& version) {
    bool user = wants_user_manager(options);
    std::string reason;
    if (!bus_present(user, reason)) throw Error("no systemd manager: " + reason);
    auto bus = std::make_shared<Bus>(user, timeout);
    version = bus->manager_property("Version");
    return bus;
}

}  // namespace

bool wants_user_manager(const DriverOptions& options) {
    if (!valid_systemd_manager(options.systemd_manager))
        throw UsageError("unknown systemd manager '" + options.systemd_manager +
                         "' (use system or user)");
    return options.systemd_manager.empty() ? ::geteuid() != 0 : options.systemd_manager == "user";
}

std::unique_ptr<CgroupDriver> make_systemd_driver(const DriverOptions& options) {
    if (Layout::current().unified_mount.empty())
        throw Error("the systemd driver needs the cgroup2 hierarchy, and none is mounted");
    std::string version;
    auto bus = connect(options, kCallTimeout, version);
    spdlog::debug("systemd {} {} on {}", version, bus->manager_name(), bus->address());
    return std::make_unique<SystemdDriver>(std::move(bus), options.on_warning);
}

bool systemd_available(const DriverOptions& options, std::string& reason) {
    try {
        bool user = wants_user_manager(options);
        if (!bus_present(user, reason)) return false;
        if (Layout::current().unified_mount.empty()) {
            reason = "no cgroup2 hierarchy mounted";
            return false;
        }
        Bus bus(user, kProbeTimeout);
        bus.manager_property("Version");
        return true;
    } catch (const std::exception& e) {
        reason = e.what();
        return false;
    }
}

DriverReport probe_systemd(const DriverOptions& options) {
    DriverReport report{DriverKind::systemd, false, "", {}};
    if (!systemd_available(options, report.detail)) return report;
    try {
        std::string version;
        auto bus = connect(options, kProbeTimeout, version);
        report.usable = true;
        report.detail = "systemd " + version + " " + bus->manager_name() + " on " + bus->address() +
                        ", runs go to " + kSlice;
        const auto& layout = Layout::current();
        auto controllers = manager_controllers(*bus);
        const auto& root = controllers.root;
        report.notes.push_back("manager's cgroup: " + (root.empty() ? "/" : root));
        if (layout.hybrid()) {
            report.notes.push_back(
                "hybrid cgroup layout: systemd enforces MemoryMax= on the v1 memory controller; "
                "memory high and swap limits are refused (use --driver hybrid for them)");
        } else {
            auto text = sys::try_read_file(layout.unified_mount + root + "/cgroup.controllers")
                            .value_or("");
            while (!text.empty() && text.back() == '\n') text.pop_back();
            report.notes.push_back("controllers of the manager's cgroup: " +
                                   (text.empty() ? std::string("none") : text));
        }
        for (auto [name, usable] :
             {std::pair{"memory", controllers.memory}, std::pair{"pids", controllers.pids},
              std::pair{"cpu", controllers.cpu}, std::pair{"io", controllers.io}})
            if (!usable)
                report.notes.push_back(std::string("no ") + name +
                                       " controller for the manager's units: limits that need "
                                       "it are refused");
    } catch (const std::exception& e) {
        report.usable = false;
        report.detail = e.what();
    }
    return report;
}

}  // namespace supervise::cgroup
