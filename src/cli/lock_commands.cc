#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "supervise/error.h"
#include "supervise/lock.h"
#include "supervise/parse.h"
#include "supervise/record.h"

namespace supervise::cli {

namespace {

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

pid_t owner_pid(const std::string& text) {
    if (text.empty()) return ::getppid();
    auto pid = parse_whole_number(text);
    if (!pid || *pid == 0 || *pid > 0x7fffffff)
        throw UsageError("--owner: expected a process id, got '" + text + "'");
    return static_cast<pid_t>(*pid);
}

}  // namespace

unsigned parse_slots(const std::string& slots, const std::string& exclude_cpus) {
    long count;
    if (slots.empty()) {
        count = 1;
    } else if (slots == "cpus") {
        count = ::sysconf(_SC_NPROCESSORS_ONLN);
    } else {
        auto value = parse_whole_number(slots);
        if (!value || *value == 0 || *value > 100000)
            throw UsageError("--slots: expected a number from 1 to 100000 or 'cpus', got '" +
                             slots + "'");
        count = static_cast<long>(*value);
    }
    if (!exclude_cpus.empty()) {
        auto exclude = parse_whole_number(exclude_cpus);
        if (!exclude)
            throw UsageError("--exclude-cpus: expected a number, got '" + exclude_cpus + "'");
        if (slots != "cpus") throw UsageError("--exclude-cpus goes with --slots cpus");
        count -= static_cast<long>(*exclude);
    }
    return static_cast<unsigned>(count < 1 ? 1 : count);
}

std::uint64_t parse_capacity(const std::string& text, const DriverOptions& driver) {
    std::uint64_t ram = physical_memory_bytes();
    if (text != "auto") return parse_size(text, ram);
    if (ram == 0)
        throw UsageError("--capacity auto: the amount of memory is unknown (give a size)");
    std::uint64_t capacity = ram - std::min<std::uint64_t>(ram / 10, 2ull << 30);
    if (auto ceiling = run_memory_ceiling(driver)) capacity = std::min(capacity, *ceiling);
    return capacity;
}

std::optional<std::chrono::milliseconds> parse_wait(const std::string& wait) {
    if (wait.empty()) return std::nullopt;
    return option_value("--wait", wait, parse_duration);
}

int parse_signal(const std::string& text) {
    if (auto number = parse_whole_number(text); number && *number > 0 && *number < 65)
        return static_cast<int>(*number);
    std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
    for (int sig = 1; sig < NSIG; ++sig)
        if (const char* abbreviation = sigabbrev_np(sig); abbreviation && name == abbreviation)
            return sig;
    throw UsageError("--signal: unknown signal '" + text + "' (use e.g. TERM, KILL, INT, 9)");
}

std::string lock_name(const std::string& name, const std::optional<std::string>& chdir) {
    std::string dir;
    if (chdir) {
        dir = *chdir;
    } else {
        char buffer[4096];
        if (::getcwd(buffer, sizeof buffer))
            dir = buffer;
        else if (name == "@project")  // (a deleted directory: "project:" would name nothing)
            throw UsageError(std::string("@project: cannot find the working directory (") +
                             std::strerror(errno) + "); give the lock a name");
    }
    std::string expanded = expand_lock_name(name, dir);
    validate_lock_name(expanded);
    return expanded;
}

int lock_command(const RunOptions& run, const LockCommandOptions& options,
                 const GlobalOptions& global) {
    LockOptions lock;
    lock.name = lock_name(options.name, std::nullopt);
    // Not given: the lock's stored count (its users' --slots), as for runs.
    lock.slots = run.slots.empty() ? 0 : parse_slots(run.slots, run.exclude_cpus);
    lock.wait = parse_wait(run.wait);
    lock.state_dir = open_state_dir(run.state_dir);
    lock.driver = to_driver_options(run);
    pid_t owner = owner_pid(options.owner);
    lock.command = "(foreground lock of process " + std::to_string(owner) + ")";
    lock.wait_message = run.wait_message;
    lock.on_wait_message = [&](const std::string& text) {
        if (!text.empty()) message(global, text);
    };
    lock.on_warning = warning_sink(global);
    auto acquired = acquire_slot(lock);
    if (acquired.outcome != AcquireOutcome::acquired) {
        report_lock_failure(lock, acquired.outcome, global);
        return run.conflict_exit_code;
    }
    acquired.grant->commit_process(owner);
    if (lock.slots > 1) std::printf("%d\n", acquired.grant->slot());
    return 0;
}

int unlock_command(const RunOptions& run, const LockCommandOptions& options,
                   const GlobalOptions& global) {
    std::string name = lock_name(options.name, std::nullopt);
    std::string state = open_state_dir(run.state_dir);
    pid_t owner = owner_pid(options.owner);
    if (!release_process_slot(state, to_driver_options(run), name, owner, warning_sink(global))) {
        error_message("lock " + name + " is not held by process " + std::to_string(owner));
        return 1;
    }
    return 0;
}

int check_command(const RunOptions& run, const LockCommandOptions& options,
                  const GlobalOptions& global) {
    std::string name = lock_name(options.name, std::nullopt);
    std::string state = open_state_dir(run.state_dir);
    // without --slots: the pool's own count, as its users asked for it
    unsigned slots = run.slots.empty() ? 0 : parse_slots(run.slots, run.exclude_cpus);
    return free_slots(state, to_driver_options(run), name, slots, warning_sink(global)) > 0 ? 0 : 1;
}

int list_command(const RunOptions& run, const LockCommandOptions& options,
                 const GlobalOptions& global) {
    std::string state = open_state_dir(run.state_dir);
    std::optional<std::string> only;
    if (!options.name.empty()) only = lock_name(options.name, std::nullopt);
    auto pools = list_pools(state, to_driver_options(run), only, warning_sink(global));
    double t = unix_now();
    if (options.json) {
        std::printf("%s\n", to_json(pools, t).c_str());
        return 0;
    }
    if (options.csv) {
        // (columns after cgroup: added with memory budgets; empty where they do not apply)
        std::printf(
            "lock,slots,role,slot_or_position,pid,seconds,command,cgroup,reserved_bytes,"
            "memory_current_bytes,priority\n");
        auto bytes = [](const PoolStatus& p, std::optional<std::uint64_t> value) {
            return p.capacity && value ? std::to_string(*value) : std::string();
        };
        for (const auto& p : pools) {
            for (const auto& h : p.holders) {
                auto used = p.memory_current.count(h.slot)
                                ? std::to_string(p.memory_current.at(h.slot))
                                : std::string();
                std::printf(
                    "%s,%u,holder,%d,%d,%lld,%s,%s,%s,%s,\n", csv_field(p.name).c_str(), p.slots,
                    h.slot, h.pid, static_cast<long long>(t - h.started),
                    csv_field(h.command).c_str(),
                    csv_field(h.kind == OwnerRecord::Kind::run ? h.cgroup.path : "").c_str(),
                    bytes(p, h.reserved).c_str(), used.c_str());
            }
            for (size_t j = 0; j < p.waiters.size(); ++j)
                std::printf("%s,%u,waiter,%zu,%d,%lld,%s,,%s,,%d\n", csv_field(p.name).c_str(),
                            p.slots, j, p.waiters[j].pid,
                            static_cast<long long>(t - p.waiters[j].since),
                            csv_field(p.waiters[j].command).c_str(),
                            bytes(p, p.waiters[j].need).c_str(), p.waiters[j].priority);
        }
        return 0;
    }
    // (names and commands as printable(): none of them can drive the terminal)
    for (const auto& p : pools) {
        if (p.capacity) {
            auto free = *p.capacity > p.reserved ? *p.capacity - p.reserved : 0;
            std::printf("%s: %s of %s reserved (%s free) by %zu run%s, %zu waiting\n",
                        printable(p.name).c_str(), format_size(p.reserved).c_str(),
                        format_size(*p.capacity).c_str(), format_size(free).c_str(),
                        p.holders.size(), p.holders.size() == 1 ? "" : "s", p.waiters.size());
        } else {
            std::printf("%s: %zu of %u slot%s held, %zu waiting\n", printable(p.name).c_str(),
                        p.holders.size(), p.slots, p.slots == 1 ? "" : "s", p.waiters.size());
        }
        for (const auto& h : p.holders) {
            std::string budget;
            if (p.capacity) {
                budget = ", reserves " + format_size(h.reserved);
                if (p.memory_current.count(h.slot))
                    budget += ", uses " + format_size(p.memory_current.at(h.slot));
            }
            std::printf("  slot %d: %s %d '%s' for %s%s\n", h.slot,
                        h.kind == OwnerRecord::Kind::run ? "run" : "process", h.pid,
                        printable(h.command).c_str(), format_duration(t - h.started).c_str(),
                        budget.c_str());
        }
        for (size_t j = 0; j < p.waiters.size(); ++j) {
            const auto& w = p.waiters[j];
            std::string extra;
            if (p.capacity) extra += ", needs " + format_size(w.need);
            if (w.priority != 0 || w.effective_priority != 0)
                extra += ", priority " + std::to_string(w.priority) +
                         (w.effective_priority != w.priority
                              ? " (now " + std::to_string(w.effective_priority) + ")"
                              : "");
            if (w.backfill) extra += ", backfill";
            std::printf("  waiting #%zu: pid %d '%s' for %s%s\n", j + 1, w.pid,
                        printable(w.command).c_str(), format_duration(t - w.since).c_str(),
                        extra.c_str());
        }
    }
    return 0;
}

int kill_command(const RunOptions& run, const LockCommandOptions& options,
                 const GlobalOptions& global) {
    std::string name = lock_name(options.name, std::nullopt);
    int sig = parse_signal(options.signal);
    std::string state = open_state_dir(run.state_dir);
    auto killed = kill_pool(state, to_driver_options(run), name, sig, warning_sink(global));
    if (!killed) {
        error_message("no lock named " + name);
        return 1;
    }
    message(global, "sent SIG" + signal_name(sig) + " to " + std::to_string(*killed) + " holder" +
                        (*killed == 1 ? "" : "s") + " of lock " + name);
    return 0;
}

int kill_all_command(const RunOptions& run, const GlobalOptions& global) {
    std::string state = open_state_dir(run.state_dir);
    auto report = kill_all(state, to_driver_options(run), warning_sink(global));
    message(global, "killed " + std::to_string(report.runs) + " run" +
                        (report.runs == 1 ? "" : "s") + ", " + std::to_string(report.processes) +
                        " lock-holding process" + (report.processes == 1 ? "" : "es") +
                        "; cancelled " + std::to_string(report.waiters) + " waiter" +
                        (report.waiters == 1 ? "" : "s"));
    if (!report.not_ours.empty())
        message(global, "left " + std::to_string(report.not_ours.size()) + " run" +
                            (report.not_ours.size() == 1 ? "" : "s") +
                            " of other users alone (not yours to kill), e.g. " +
                            report.not_ours.front());
    for (const auto& failure : report.failures) error_message(failure);
    return report.failures.empty() ? 0 : 1;
}

}  // namespace supervise::cli
