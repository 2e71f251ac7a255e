#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "supervise/record.h"
#include "supervise/task.h"

namespace supervise::cli {

namespace {

std::string describe(const TaskStatus& s) {
    const auto& r = s.record;
    std::string text = r.id + ": " + s.words();
    if (s.state == TaskState::running) {
        text += " (pid " + std::to_string(r.runner_pid) + ", for " +
                format_duration(unix_now() - r.started);
        if (!s.runner_alive) text += "; its runner is gone, so its result will not be known";
        if (r.cgroup.path.empty()) text += "; starting, or waiting for its lock";
        text += ")";
    } else if (s.state == TaskState::lost) {
        text += " (its runner ended before it could record a result)";
    } else {
        text += " (exit " + std::to_string(r.exit_status.value_or(0)) + ", " +
                format_duration(unix_now() - r.ended) + " ago)";
    }
    return text;
}

// The exit status a waiter ends with: the task's own; lost has none to give.
int exit_for(const TaskStatus& s, const GlobalOptions& global) {
    if (s.state == TaskState::lost) {
        message(global, "task " + s.record.id +
                            " was lost: its runner ended before the result was known "
                            "(start it again)");
        return kExitFailure;
    }
    return s.record.exit_status.value_or(kExitFailure);
}

// create: for a start; a look at tasks (list, status, ...) makes no directory.
TaskStore open_store(const RunOptions& run, bool create = false) {
    return TaskStore(open_task_root(run.state_dir, create), to_driver_options(run));
}

std::optional<TaskStatus> known(const TaskStore& store, const std::string& id) {
    auto s = store.status(id);
    if (!s) error_message("no task named " + id);
    return s;
}

TaskStore::Started start_task(const RunOptions& run, const TaskCommandOptions& t,
                              const GlobalOptions& global, bool quiet_start) {
    if (run.dry_run || run.json || !run.result_file.empty())
        throw UsageError(
            "--dry-run, --json and --result do not apply to tasks (see 'supervise task status ID "
            "--json' for a task's result)");
    RunOptions options = run;
    options.command = t.command;
    if (options.command.empty())
        throw UsageError(
            "no command given (usage: supervise task start ID [OPTIONS] -- COMMAND...)");
    RunSpec spec = to_run_spec(options, global);
    std::optional<LockOptions> lock;
    if (run.lock_given) {
        lock = to_lock_options(options, spec, global);
        lock->on_wait_message = {};  // the runner has no terminal to talk to
    }
    TaskStartOptions start;
    if (!t.ttl.empty())
        start.ttl_seconds =
            std::chrono::duration<double>(option_value("--ttl", t.ttl, parse_duration)).count();
    start.rerun_failed = t.rerun_failed;
    start.lock_conflict_status = run.conflict_exit_code;
    TaskStore store = open_store(run, true);
    spec.history_file = open_history(options, global);  // (after the state area's checks)
    auto started = store.start(t.id, spec, lock, start);
    // task run says nothing of a start (only of a wait that takes time, or of a failure it
    // did not run again), unless -v
    GlobalOptions said = global;
    bool cached_failure =
        started.kind == TaskStore::StartKind::cached && started.status.state == TaskState::failed;
    if (quiet_start && global.verbosity <= 0 && !cached_failure) said.verbosity = -1;
    switch (started.kind) {
        case TaskStore::StartKind::started:
            message(said, "started task " + t.id + " (runner pid " +
                              std::to_string(started.status.record.runner_pid) +
                              "; log: " + store.log_path(t.id) + ")");
            break;
        case TaskStore::StartKind::joined:
            message(said, "task " + describe(started.status) + ": joined");
            break;
        case TaskStore::StartKind::cached:
            message(said,
                    "task " + describe(started.status) + ": not run again (supervise task reset " +
                        t.id +
                        (started.status.state == TaskState::failed ? ", or --rerun-failed)" : ")"));
            break;
    }
    return started;
}

int wait_task(const TaskStore& store, const std::string& id,
              std::optional<std::chrono::milliseconds> timeout, const std::string& custom,
              const GlobalOptions& global) {
    auto done = store.wait(id, timeout, [&](const TaskStatus& s) {
        if (!custom.empty()) {
            message(global, custom);
            return;
        }
        message(global, "waiting for task " + id + " (pid " + std::to_string(s.record.runner_pid) +
                            ", running " + format_duration(unix_now() - s.record.started) + ")");
    });
    if (!done) {
        if (!store.status(id)) {
            error_message("task " + id + " was reset while waiting");
            return 1;
        }
        message(global, "task " + id + " still running after " +
                            format_duration(std::chrono::duration<double>(*timeout).count()));
        return kExitTimeout;
    }
    // A task that failed before its command ran (a limit this world cannot enforce, a
    // command not found) has only its runner's words, in the log: say them here too.
    if (done->state == TaskState::failed && done->record.result_json.empty())
        for (const auto& line : store.runner_messages(id))
            std::fprintf(stderr, "%s\n", printable(line).c_str());
    return exit_for(*done, global);
}

}  // namespace

int task_command(const std::string& verb, const RunOptions& run, const TaskCommandOptions& t,
                 const GlobalOptions& global) {
    if (verb == "start") {
        start_task(run, t, global, false);
        return 0;
    }
    if (verb == "run") {
        start_task(run, t, global, true);
        return wait_task(open_store(run), t.id, std::nullopt, t.wait_message, global);
    }
    TaskStore store = open_store(run);
    if (verb == "wait") {
        if (!known(store, t.id)) return 1;
        std::optional<std::chrono::milliseconds> timeout;
        if (!t.wait_timeout.empty())
            timeout = option_value("--timeout", t.wait_timeout, parse_duration);
        return wait_task(store, t.id, timeout, t.wait_message, global);
    }
    if (verb == "status") {
        auto s = known(store, t.id);
        if (!s) return 1;
        if (t.json)
            std::printf("%s\n", to_json(*s, store.log_path(t.id)).c_str());
        else
            std::printf("%s\n", printable(describe(*s)).c_str());
        return 0;
    }
    if (verb == "log") {
        if (!known(store, t.id)) return 1;
        store.copy_log(t.id, STDOUT_FILENO, t.follow);
        return 0;
    }
    if (verb == "list") {
        auto all = store.list(warning_sink(global));
        if (t.json) {
            std::string out = "[";
            for (size_t i = 0; i < all.size(); ++i)
                out += (i ? ", " : "") + to_json(all[i], store.log_path(all[i].record.id));
            std::printf("%s]\n", out.c_str());
        } else {
            for (const auto& s : all) std::printf("%s\n", printable(describe(s)).c_str());
        }
        return 0;
    }
    if (verb == "kill") {
        if (!known(store, t.id)) return 1;
        if (!store.kill(t.id, parse_signal(t.signal))) {
            error_message("task " + t.id + " is not running");
            return 1;
        }
        return 0;
    }
    if (verb == "reset") {
        if (!store.reset(t.id)) {
            error_message("no task named " + t.id);
            return 1;
        }
        message(global, "task " + t.id + " forgotten");
        return 0;
    }
    if (verb == "gc") {
        auto removed = store.gc(warning_sink(global));
        for (const auto& id : removed) message(global, "removed expired task " + id);
        return 0;
    }
    throw UsageError("unknown task command '" + verb + "'");
}

}  // namespace supervise::cli
