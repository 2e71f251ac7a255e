#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "supervise/history.h"
#include "supervise/lock.h"
#include "supervise/locked_run.h"
#include "supervise/parse.h"

namespace supervise::cli {

namespace {

std::uint64_t parse_count(const std::string& text) {
    auto value = parse_whole_number(text);
    if (!value || *value == 0)
        throw UsageError("invalid number '" + text + "' (use a whole number above 0, e.g. 500)");
    return *value;
}

// --jobs N|cpus and --jobs-memory-threshold PCT|off.
JobsSpec parse_jobs(const std::string& jobs, const std::string& threshold) {
    JobsSpec spec;
    if (jobs == "cpus") {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        int count = ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 0;
        if (count <= 0) count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
        spec.max = static_cast<unsigned>(std::clamp(count, 1, 4096));
    } else {
        auto value = parse_whole_number(jobs);
        if (!value || *value == 0 || *value > 4096)
            throw UsageError("--jobs: expected a number from 1 to 4096 or 'cpus', got '" + jobs +
                             "'");
        spec.max = static_cast<unsigned>(*value);
    }
    if (threshold == "off") {
        spec.memory_rule = false;
    } else if (!threshold.empty()) {
        spec.memory_threshold =
            option_value("--jobs-memory-threshold", threshold,
                         [](const std::string& t) { return parse_percentage(t, 100.0); });
    }
    return spec;
}

void describe_limits(const Limits& limits, std::string& out) {
    auto line = [&](const char* name, const std::string& value) {
        out += std::string(name) + ": " + value + "\n";
    };
    if (limits.memory_max) line("memory", format_size(*limits.memory_max));
    if (limits.memory_high) line("memory-high", format_size(*limits.memory_high));
    if (limits.swap_max) line("swap", format_size(*limits.swap_max));
    if (limits.tasks_max) line("tasks", std::to_string(*limits.tasks_max));
    if (limits.cpu_percent) {
        char text[32];
        std::snprintf(text, sizeof text, "%g%%", *limits.cpu_percent);
        line("cpu", text);
    }
    if (limits.io_weight) line("io-weight", std::to_string(*limits.io_weight));
    for (const auto& limit : limits.io_max) {
        std::string text = limit.device + " (" + std::to_string(limit.major) + ":" +
                           std::to_string(limit.minor) + ")";
        if (limit.rbps) text += " rbps=" + format_size(*limit.rbps);
        if (limit.wbps) text += " wbps=" + format_size(*limit.wbps);
        if (limit.riops) text += " riops=" + std::to_string(*limit.riops);
        if (limit.wiops) text += " wiops=" + std::to_string(*limit.wiops);
        line("io-max", text);
    }
}

}  // namespace

// SUPERVISE_PRIORITY_AGING: how long a waiter waits to gain one priority step.
double priority_aging() {
    const char* text = std::getenv("SUPERVISE_PRIORITY_AGING");
    if (!text || !*text) return kDefaultAging;
    auto aging = option_value("SUPERVISE_PRIORITY_AGING", text, parse_duration);
    double seconds = std::chrono::duration<double>(aging).count();
    if (seconds < kLeastAging)
        throw UsageError("SUPERVISE_PRIORITY_AGING: at least 1s, got '" + std::string(text) + "'");
    return seconds;
}

LockOptions to_lock_options(const RunOptions& options, const RunSpec& spec,
                            const GlobalOptions& global) {
    LockOptions lock;
    lock.name = lock_name(options.lock, spec.chdir);
    // Not given: the pool's own count (the last one given while it is in use).
    lock.slots = options.slots.empty() ? 0 : parse_slots(options.slots, options.exclude_cpus);
    if (!options.capacity.empty())
        lock.capacity = option_value("--capacity", options.capacity, [&](const std::string& t) {
            return parse_capacity(t, spec.driver);
        });
    lock.reservation = spec.limits.memory_max;
    if (!options.priority.empty()) {
        auto priority = parse_priority(options.priority);
        if (!priority)
            throw UsageError("--priority: expected a whole number from -" +
                             std::to_string(kMaxPriority) + " to " + std::to_string(kMaxPriority) +
                             ", got '" + options.priority + "'");
        lock.priority = *priority;
    }
    lock.aging = priority_aging();
    lock.backfill = options.backfill;
    lock.wait = parse_wait(options.wait);
    lock.state_dir = open_state_dir(options.state_dir);
    // A run the budget cannot take is refused now, before it waits or (a task) starts.
    if (auto capacity = lock.capacity ? lock.capacity : pool_capacity(lock.state_dir, lock.name))
        check_reservation(lock.name, *capacity, lock.reservation);
    lock.driver = spec.driver;
    for (const auto& word : spec.argv) lock.command += (lock.command.empty() ? "" : " ") + word;
    lock.wait_message = options.wait_message;
    lock.on_wait_message = [global](const std::string& text) {
        if (!text.empty()) message(global, text);
    };
    lock.on_warning = warning_sink(global);
    return lock;
}

void report_lock_failure(const LockOptions& lock, AcquireOutcome outcome,
                         const GlobalOptions& global) {
    if (outcome == AcquireOutcome::cancelled) {
        message(global, "wait for lock " + lock.name + " cancelled by kill-all");
        return;
    }
    message(
        global,
        "lock " + lock.name + " not obtained" +
            (lock.wait && lock.wait->count() > 0
                 ? " within " + format_duration(std::chrono::duration<double>(*lock.wait).count())
                 : std::string(" (busy)")));
}

std::optional<std::string> open_history(const RunOptions& options, const GlobalOptions& global) {
    try {
        return history_file(options.state_dir, true);
    } catch (const Error& e) {
        // A run is not refused for its history, nor made noisy by it (a read-only /var, a
        // container without one): -v says why it is not recorded.
        if (global.verbosity > 0)
            message(global,
                    std::string("warning: ") + e.what() + "; this run is not in the history");
        return std::nullopt;
    }
}

DriverOptions to_driver_options(const RunOptions& options) {
    DriverOptions driver;
    // (on the command line the message names the value alone: "unknown driver 'x' ...")
    if (options.from_environment.count("--driver"))
        driver.kind = option_value("SUPERVISE_DRIVER", options.driver, parse_driver_kind);
    else if (!options.driver.empty())
        driver.kind = parse_driver_kind(options.driver);
    driver.cgroup_root = options.cgroup_root;
    driver.systemd_manager = options.systemd_manager;
    if (!valid_systemd_manager(driver.systemd_manager))
        throw UsageError("SUPERVISE_SYSTEMD_MANAGER: use 'system' or 'user', not '" +
                         driver.systemd_manager + "'");
    return driver;
}

// --memory auto: the limit (and a budget's reservation) learned from the job's history,
// at most the lock's budget (given, or stored with the pool). A history that cannot be
// read is no history: the default, and -v says why.
void learn_memory_limit(const RunOptions& o, RunSpec& spec, const GlobalOptions& global) {
    std::uint64_t ram = physical_memory_bytes();
    std::uint64_t fallback = kDefaultMemory;
    if (!o.memory_default.empty())
        fallback = option_value(o.source("--memory-default"), o.memory_default,
                                [&](const std::string& t) { return parse_size(t, ram); });
    std::optional<std::string> lock;
    if (o.lock_given) lock = lock_name(o.lock, spec.chdir);
    spec.job = job_key(spec, lock);
    std::vector<HistoryRecord> records;
    try {
        records = read_history(history_file(o.state_dir, false));
    } catch (const Error& e) {
        if (global.verbosity > 0)
            message(global,
                    std::string("warning: ") + e.what() + "; --memory auto uses the default");
    }
    auto learned = learn_memory(records, spec.job, fallback);
    std::optional<std::uint64_t> capacity;
    if (!o.capacity.empty())
        capacity = option_value("--capacity", o.capacity, [&](const std::string& t) {
            return parse_capacity(t, spec.driver);
        });
    else if (lock)
        capacity = pool_capacity(open_state_dir(o.state_dir), *lock);
    if (capacity) learned.bytes = std::min(learned.bytes, *capacity);
    spec.limits.memory_max = learned.bytes;
    spec.memory_source = learned.source;
}

RunSpec to_run_spec(const RunOptions& o, const GlobalOptions& global) {
    RunSpec spec;
    spec.argv = o.command;
    std::uint64_t ram = physical_memory_bytes();
    auto size = [&](const std::string& text) { return parse_size(text, ram); };
    if (!o.memory.empty() && o.memory != "auto")
        spec.limits.memory_max = option_value(o.source("--memory"), o.memory, size);
    if (!o.memory_high.empty())
        spec.limits.memory_high = option_value(o.source("--memory-high"), o.memory_high, size);
    if (!o.swap.empty()) {
        // Zero swap is a meaningful limit ("no swap"), below the 1M minimum of sizes.
        spec.limits.swap_max = o.swap == "0" ? 0 : option_value(o.source("--swap"), o.swap, size);
    }
    if (!o.tasks.empty())
        spec.limits.tasks_max = option_value(o.source("--tasks"), o.tasks, parse_count);
    if (!o.cpu.empty())
        spec.limits.cpu_percent =
            100 * option_value(o.source("--cpu"), o.cpu, [](const std::string& t) {
                return parse_percentage(t, 100.0 * 1024);
            });
    if (!o.io_weight.empty())
        spec.limits.io_weight = option_value(o.source("--io-weight"), o.io_weight, parse_io_weight);
    for (const auto& limit : o.io_max) spec.limits.io_max.push_back(parse_io_max(limit));
    if (!o.memory_warn.empty())
        spec.memory_warn =
            option_value(o.source("--memory-warn"), o.memory_warn,
                         [](const std::string& t) { return parse_percentage(t, 100.0); });
    if (!o.jobs.empty())
        spec.jobs = parse_jobs(o.jobs, o.jobs_memory_threshold);
    else if (!o.jobs_memory_threshold.empty())
        throw UsageError("--jobs-memory-threshold goes with --jobs");
    if (!o.timeout.empty())
        spec.timeout = option_value(o.source("--timeout"), o.timeout, parse_duration);
    if (!o.kill_after.empty())
        spec.kill_after = option_value(o.source("--kill-after"), o.kill_after, parse_duration);
    if (!o.chdir.empty()) spec.chdir = o.chdir;
    for (const auto& assignment : o.setenv) {
        auto equals = assignment.find('=');
        if (equals == std::string::npos || equals == 0)
            throw UsageError("--setenv: expected NAME=VALUE, got '" + assignment + "'");
        spec.setenv.emplace_back(assignment.substr(0, equals), assignment.substr(equals + 1));
    }
    if (!o.log.empty()) {
        option_value(o.source("--log"), o.log, [](const std::string& path) {
            check_log_file(path);
            return 0;
        });
        spec.log_path = o.log;
    }
    spec.driver = to_driver_options(o);
    spec.job = o.job;
    if (o.memory == "auto") learn_memory_limit(o, spec, global);
    // (checked for runs only: a stale SUPERVISE_CGROUP_ROOT must not block an unlock)
    option_value(o.source("--cgroup-root"), spec.driver.cgroup_root, [](const std::string& root) {
        check_cgroup_root(root);
        return 0;
    });
    return spec;
}

int run_command(const RunOptions& options, const GlobalOptions& global) {
    RunSpec spec = to_run_spec(options, global);
    if (options.dry_run) {
        RunPlan plan = plan_run(spec);
        std::string out = "driver: " + to_string(plan.driver) + "\ncgroup: " + plan.cgroup_path +
                          "\ncommand: " + plan.executable;
        for (size_t i = 1; i < spec.argv.size(); ++i) out += " " + spec.argv[i];
        out += "\n";
        describe_limits(plan.limits, out);
        if (spec.jobs) out += "jobs: " + std::to_string(spec.jobs->max) + "\n";
        if (spec.timeout.count() > 0)
            out +=
                "timeout: " + format_duration(std::chrono::duration<double>(spec.timeout).count()) +
                "\n";
        std::fputs(out.c_str(), stdout);
        return 0;
    }

    // Refuse before running rather than lose the result after the command has run.
    if (!options.result_file.empty())
        option_value("--result", options.result_file, check_result_file);
    spec.forward_signals = true;
    spec.on_event = [&](const RunEvent& event) { message(global, event.message); };
    std::optional<LockOptions> lock;
    if (options.lock_given) lock = to_lock_options(options, spec, global);
    spec.history_file = open_history(options, global);  // (after the state directory's checks)
    auto outcome = run_with_lock(std::move(spec), lock, [&](Run& run) {
        spdlog::debug("running pid {} in {} ({} driver)", run.pid(), run.cgroup().path,
                      to_string(run.cgroup().driver));
    });
    if (outcome.lock != AcquireOutcome::acquired) {
        report_lock_failure(*lock, outcome.lock, global);
        return options.conflict_exit_code;
    }
    RunResult& result = *outcome.result;

    if (result.oom_killed) message(global, describe_oom(result));
    if (result.jobs && global.verbosity > 0) {
        const JobsResult& jobs = *result.jobs;
        std::string line = "jobs: at most " + std::to_string(jobs.peak_parallel) + " of " +
                           std::to_string(jobs.max) + " at once";
        if (jobs.memory_threshold_bytes)
            line += "; held back " + format_duration(jobs.seconds_throttled) +
                    " by memory (up to " + std::to_string(jobs.tokens_withheld_max) +
                    " tokens, threshold " + format_size(*jobs.memory_threshold_bytes) + ")";
        message(global, line);
    }
    if (!options.result_file.empty()) {
        try {
            write_result_file(options.result_file, result);
        } catch (const Error& e) {
            error_message(e.what());
        }
    }
    if (options.json) {
        std::fflush(stdout);
        std::puts(to_json(result).c_str());
        std::fflush(stdout);
    }
    // A command that died of Ctrl-C must look the same to the calling shell, which stops
    // a script only when its child was killed by SIGINT (not when it exited 130).
    if (result.signal && *result.signal == SIGINT && !result.timed_out) {
        std::signal(SIGINT, SIG_DFL);
        ::raise(SIGINT);
    }
    return result.exit_status();
}

}  // namespace supervise::cli
