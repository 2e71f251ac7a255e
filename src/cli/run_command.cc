#include <unistd.h>

#include <cerrno>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "supervise/lock.h"
#include "supervise/parse.h"
#include "sys/files.h"

namespace supervise::cli {

namespace {

template <typename F>
auto option_value(const char* option, const std::string& text, F&& parse) {
    try {
        return parse(text);
    } catch (const UsageError& e) {
        throw UsageError(std::string(option) + ": " + e.what());
    }
}

std::uint64_t parse_count(const std::string& text) {
    auto value = sys::parse_u64(text);
    if (!value || text.find_first_not_of("0123456789") != std::string::npos || *value == 0)
        throw UsageError("invalid number '" + text + "' (use a whole number above 0, e.g. 500)");
    return *value;
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
}

std::string oom_line(const RunResult& result) {
    std::string text = "killed: memory limit ";
    text += result.memory_limit_bytes ? format_size(*result.memory_limit_bytes) : "(none set)";
    text += " exceeded (peak ";
    text += result.memory_peak_bytes ? format_size(*result.memory_peak_bytes) : "unknown";
    text += ", " + std::to_string(result.oom_kills) + " process" +
            (result.oom_kills == 1 ? "" : "es") + " OOM-killed)";
    return text;
}

}  // namespace

DriverOptions to_driver_options(const RunOptions& options) {
    DriverOptions driver;
    if (!options.driver.empty()) driver.kind = parse_driver_kind(options.driver);
    driver.cgroup_root = options.cgroup_root;
    driver.systemd_manager = options.systemd_manager;
    if (!driver.systemd_manager.empty() && driver.systemd_manager != "system" &&
        driver.systemd_manager != "user")
        throw UsageError("SUPERVISE_SYSTEMD_MANAGER: use 'system' or 'user', not '" +
                         driver.systemd_manager + "'");
    return driver;
}

RunSpec to_run_spec(const RunOptions& o) {
    RunSpec spec;
    spec.argv = o.command;
    std::uint64_t ram = physical_memory_bytes();
    auto size = [&](const std::string& text) { return parse_size(text, ram); };
    if (!o.memory.empty()) spec.limits.memory_max = option_value("--memory", o.memory, size);
    if (!o.memory_high.empty())
        spec.limits.memory_high = option_value("--memory-high", o.memory_high, size);
    if (!o.swap.empty()) {
        // Zero swap is a meaningful limit ("no swap"), below the 1M minimum of sizes.
        spec.limits.swap_max = o.swap == "0" ? 0 : option_value("--swap", o.swap, size);
    }
    if (!o.tasks.empty()) spec.limits.tasks_max = option_value("--tasks", o.tasks, parse_count);
    if (!o.cpu.empty())
        spec.limits.cpu_percent = 100 * option_value("--cpu", o.cpu, [](const std::string& t) {
            return parse_percentage(t, 100.0 * 1024);
        });
    if (!o.memory_warn.empty())
        spec.memory_warn = option_value("--memory-warn", o.memory_warn, [](const std::string& t) {
            return parse_percentage(t, 100.0);
        });
    if (!o.timeout.empty()) spec.timeout = option_value("--timeout", o.timeout, parse_duration);
    if (!o.kill_after.empty())
        spec.kill_after = option_value("--kill-after", o.kill_after, parse_duration);
    if (!o.chdir.empty()) spec.chdir = o.chdir;
    for (const auto& assignment : o.setenv) {
        auto equals = assignment.find('=');
        if (equals == std::string::npos || equals == 0)
            throw UsageError("--setenv: expected NAME=VALUE, got '" + assignment + "'");
        spec.setenv.emplace_back(assignment.substr(0, equals), assignment.substr(equals + 1));
    }
    if (!o.log.empty()) spec.log_path = o.log;
    spec.driver = to_driver_options(o);
    return spec;
}

int run_command(const RunOptions& options, const GlobalOptions& global) {
    RunSpec spec = to_run_spec(options);
    if (options.dry_run) {
        RunPlan plan = plan_run(spec);
        std::string out = "driver: " + to_string(plan.driver) + "\ncgroup: " + plan.cgroup_path +
                          "\ncommand: " + plan.executable;
        for (size_t i = 1; i < spec.argv.size(); ++i) out += " " + spec.argv[i];
        out += "\n";
        describe_limits(plan.limits, out);
        if (spec.timeout.count() > 0)
            out += "timeout: " +
                   format_duration(std::chrono::duration<double>(spec.timeout).count()) + "\n";
        std::fputs(out.c_str(), stdout);
        return 0;
    }

    if (!options.result_file.empty()) {
        // Refuse before running rather than lose the result after the command has run.
        auto slash = options.result_file.rfind('/');
        std::string dir = slash == std::string::npos ? "." : options.result_file.substr(0, slash + 1);
        if (::access(dir.c_str(), W_OK) != 0)
            throw SystemError("write the result into", dir, errno);
    }
    spec.forward_signals = true;
    spec.on_event = [&](const RunEvent& event) { message(global, event.message); };

    // With --lock: wait for a slot first; the slot's owner record is written once the
    // command sits held in its cgroup (on_placed), before it runs.
    std::optional<SlotGrant> grant;
    std::string lock, state_dir;
    double waited = 0;
    if (!options.lock.empty()) {
        LockOptions lock_options;
        lock = lock_options.name = lock_name(options.lock, spec.chdir);
        lock_options.slots = parse_slots(options.slots, options.exclude_cpus);
        lock_options.wait = parse_wait(options.wait);
        state_dir = lock_options.state_dir = open_state_dir(options.state_dir);
        for (const auto& word : spec.argv) lock_options.command += (lock_options.command.empty() ? "" : " ") + word;
        lock_options.wait_message = options.wait_message;
        lock_options.on_wait_message = [&](const std::string& text) {
            if (!text.empty()) message(global, text);
        };
        auto acquired = acquire_slot(lock_options);
        if (acquired.outcome == AcquireOutcome::cancelled) {
            message(global, "wait for lock " + lock + " cancelled by kill-all");
            return options.conflict_exit_code;
        }
        if (acquired.outcome != AcquireOutcome::acquired) {
            message(global,
                    "lock " + lock + " not obtained" +
                        (lock_options.wait && lock_options.wait->count() > 0
                             ? " within " + format_duration(std::chrono::duration<double>(*lock_options.wait).count())
                             : std::string(" (busy)")));
            return options.conflict_exit_code;
        }
        grant = std::move(acquired.grant);
        waited = acquired.wait_seconds;
        spec.cgroup_name = grant->cgroup_name();
        spec.setenv.emplace_back("SUPERVISE_LOCK", lock);
        spec.setenv.emplace_back("SUPERVISE_SLOT", std::to_string(grant->slot()));
        spec.on_placed = [&](const RunCgroup& cgroup, pid_t pid) {
            grant->commit_run(cgroup.identity(), cgroup.owned_directories(), pid);
        };
    }
    Run run = Run::start(std::move(spec));
    if (global.verbosity > 0) {
        std::string limits;
        describe_limits(to_run_spec(options).limits, limits);
        for (auto& c : limits)
            if (c == '\n') c = ' ';
        spdlog::debug("running pid {} in {} ({} driver){}{}", run.pid(), run.cgroup().path,
                      to_string(run.cgroup().driver), limits.empty() ? "" : ", limits: ", limits);
    }
    RunResult result = run.wait();
    if (grant) {
        release_run_slot(state_dir, lock, grant->slot(), result.cgroup.id);
        result.lock = lock;
        result.slot = grant->slot();
        result.wait_seconds = waited;
    }

    if (result.oom_killed) message(global, oom_line(result));
    std::string json = to_json(result);
    if (!options.result_file.empty()) {
        try {
            sys::write_file_atomic(options.result_file, json + "\n");
        } catch (const Error& e) {
            error_message(e.what());
        }
    }
    if (options.json) {
        std::fflush(stdout);
        std::puts(json.c_str());
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
