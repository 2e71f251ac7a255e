// supervise: the command line. Parses, hands plain structs to the library, maps errors to
// exit statuses. See supervise(1).

#include <csignal>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "CLI/CLI.hpp"
#include "cli.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "supervise/version.h"

namespace {

using namespace supervise;

constexpr const char* kFooter = R"(
Sizes: 512M, 4G, 1.5G (K/M/G/T, binary) or a share of RAM, 25%. Durations: 30 (seconds),
500ms, 10s, 5m, 1h30m, 2d.  Every run option can be defaulted from the environment
(SUPERVISE_MEMORY=4G, SUPERVISE_TIMEOUT=1h, ...: see ENVIRONMENT in supervise(1)); the
command line wins.

Exit status:
  the command's own; 128+N if it died of signal N; 124 timed out (--timeout);
  75 lock not obtained within --wait (--conflict-exit-code); 125 supervise failed or was
  misused; 126 command not executable; 127 not found.
  lock: 0 acquired, 75 not obtained. unlock: 1 not held. check: 0 free, 1 busy.
  list, kill, kill-all: 0 (kill: 1 unknown lock).

Examples:
  supervise --memory 512M --timeout 10m -- make -j4
  supervise --memory 1G --memory-high 800M --tasks 500 --cpu 150% --log build.log ./build.sh
  supervise --result run.json -- ./job
  supervise --dry-run --memory 2G cmd
  supervise --lock build --slots 2 --memory 4G --timeout 30m -- make -j8
  supervise --lock gpu --slots 4 train.sh          # SUPERVISE_SLOT=0..3 in its environment
  supervise lock deploy --wait 5m || exit 1; ...; supervise unlock deploy
  supervise doctor

'--' is needed only when COMMAND starts with '-'.  Full manual: man supervise)";

void setup_logging(int verbosity) {
    auto logger = std::make_shared<spdlog::logger>(
        "supervise", std::make_shared<spdlog::sinks::stderr_sink_st>());
    logger->set_pattern("supervise: %^%l%$: %v");
    logger->set_level(verbosity > 0   ? spdlog::level::debug
                      : verbosity < 0 ? spdlog::level::err
                                      : spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

// Everything the command line fills in, and the subcommands it was parsed into.
struct Invocation {
    cli::RunOptions run;
    cli::LockCommandOptions lock_options;
    cli::TaskCommandOptions task_options;
    std::string task_verb;
    bool doctor_json = false;
    cli::HistoryCommandOptions history_options;
    int verbose = 0;
    bool quiet = false;
};

const std::string kOptionsGroup = "Options";

void add_slot_options(CLI::App* to, cli::RunOptions& run, const std::string& group) {
    to->add_option("--slots", run.slots, "Slots of the lock: N at once (default 1), or 'cpus'")
        ->type_name("N|cpus")
        ->group(group);
    to->add_option("--exclude-cpus", run.exclude_cpus, "With --slots cpus: leave K CPUs free")
        ->type_name("K")
        ->group(group);
}

void add_wait_options(CLI::App* to, cli::RunOptions& run, const std::string& group) {
    to->add_option("--wait", run.wait, "Wait at most DUR for a slot (0: try once), then exit 75")
        ->type_name("DUR")
        ->group(group);
    to->add_option("-m,--message", run.wait_message,
                   "Say TEXT instead of the wait message (shown after 1s of waiting)")
        ->type_name("TEXT")
        ->group(group);
    to->add_option("--conflict-exit-code", run.conflict_exit_code,
                   "Exit status when the lock is not obtained (default 75)")
        ->type_name("N")
        ->check(CLI::Range(0, 255))
        ->group(group);
}

void add_state_option(CLI::App* to, cli::RunOptions& run, const std::string& group) {
    // (SUPERVISE_STATE_DIR is read after parsing: an envname on each of these copies
    // would let the environment refill a value the command line gave.)
    to->add_option("--state-dir", run.state_dir,
                   "State here (env SUPERVISE_STATE_DIR). Default: locks in /run/supervise or "
                   "$XDG_RUNTIME_DIR/supervise; tasks in /var/lib/supervise/tasks or "
                   "$XDG_STATE_HOME/supervise/tasks")
        ->type_name("DIR")
        ->group(group);
}

// The options of a run, each group as --help shows it.
void add_run_options(CLI::App& app, Invocation& in) {
    auto& run = in.run;
    const std::string limits = "Limits";
    app.add_option("--memory", run.memory,
                   "Hard memory limit; the kernel OOM-kills above it ('auto': learned from "
                   "the job's history)")
        ->envname("SUPERVISE_MEMORY")
        ->type_name("SIZE|auto")
        ->group(limits);
    app.add_option("--memory-default", run.memory_default,
                   "What --memory auto gives a job with no history (default 1G)")
        ->envname("SUPERVISE_MEMORY_DEFAULT")
        ->type_name("SIZE")
        ->group(limits);
    app.add_option("--memory-high", run.memory_high,
                   "Soft limit: throttle and reclaim above it (hybrid: v1 soft limit)")
        ->envname("SUPERVISE_MEMORY_HIGH")
        ->type_name("SIZE")
        ->group(limits);
    app.add_option("--swap", run.swap, "Swap the run may use (0 = none)")
        ->envname("SUPERVISE_SWAP")
        ->type_name("SIZE")
        ->group(limits);
    app.add_option("--io-weight", run.io_weight,
                   "I/O weight against other cgroups, 1-10000 (default 100); needs the "
                   "iocost controller or the BFQ scheduler")
        ->type_name("N")
        ->group(limits);
    app.add_option("--io-max", run.io_max,
                   "Bandwidth cap of one disk, e.g. /dev/sda:rbps=50M,wbps=20M (also riops, "
                   "wiops); repeatable")
        ->type_name("DEVICE:KEY=VALUE,...")
        ->group(limits);
    app.add_option("--memory-warn", run.memory_warn,
                   "Warn once when usage crosses this share of --memory, e.g. 80%")
        ->type_name("PCT")
        ->group(limits);
    app.add_option("--tasks", run.tasks, "Most processes and threads at once (fork bombs stop)")
        ->envname("SUPERVISE_TASKS")
        ->type_name("N")
        ->group(limits);
    app.add_option("--cpu", run.cpu, "CPU time as a share of one CPU: 50%, 150%")
        ->envname("SUPERVISE_CPU")
        ->type_name("PCT")
        ->group(limits);
    app.add_option("--timeout", run.timeout,
                   "SIGTERM the whole tree after DUR, exit 124 (0 = no timeout)")
        ->envname("SUPERVISE_TIMEOUT")
        ->type_name("DUR")
        ->group(limits);
    app.add_option("--kill-after", run.kill_after,
                   "After the timeout's SIGTERM, SIGKILL what is left after DUR (default 10s)")
        ->envname("SUPERVISE_KILL_AFTER")
        ->type_name("DUR")
        ->group(limits);

    const std::string jobs = "Jobs";
    app.add_option("--jobs", run.jobs,
                   "Be COMMAND's jobserver (make, cargo): up to N jobs at once, 'cpus' for one "
                   "per CPU; with --memory, fewer while memory is tight")
        ->type_name("N|cpus")
        ->group(jobs);
    app.add_option("--jobs-memory-threshold", run.jobs_memory_threshold,
                   "Hold tokens back before memory use reaches this share of the limit "
                   "(default 75%; 'off': a plain jobserver)")
        ->type_name("PCT|off")
        ->group(jobs);

    const std::string command = "Command";
    app.add_option("-C,--chdir", run.chdir, "Run COMMAND in DIR")->type_name("DIR")->group(command);
    app.add_option("-E,--setenv", run.setenv, "Set NAME=VALUE in COMMAND's environment (repeat)")
        ->type_name("NAME=VALUE")
        ->group(command)
        ->take_last()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--job", run.job,
                   "The job key of this run in the history (default: lock, directory, command)")
        ->type_name("KEY")
        ->group(command);
    app.add_option("--log", run.log, "Also append COMMAND's stdout and stderr to FILE")
        ->envname("SUPERVISE_LOG")
        ->type_name("FILE")
        ->group(command);

    const std::string output = "Output";
    app.add_flag("--json", run.json, "Print the result as one JSON object on stdout at the end")
        ->group(output);
    app.add_option("--result", run.result_file, "Write the result as JSON to FILE")
        ->type_name("FILE")
        ->group(output);
    app.add_flag("--dry-run", run.dry_run, "Show driver, cgroup and limits; create and run nothing")
        ->group(output);
    app.add_flag("-v,--verbose", in.verbose, "Say what is done: driver, cgroup, limits, signals")
        ->group(output);
    app.add_flag("-q,--quiet", in.quiet, "Only errors on stderr (no warnings, no OOM line)")
        ->group(output);

    const std::string locks = "Locks";
    app.add_option("--lock", run.lock,
                   "Hold a slot of lock NAME while COMMAND runs; wait FIFO for it (@project: "
                   "this checkout)")
        ->type_name("NAME")
        ->group(locks);
    add_slot_options(&app, run, locks);
    app.add_option("--capacity", run.capacity,
                   "A memory budget for the lock: each run reserves its --memory of it, and "
                   "waits FIFO until that fits ('auto': RAM less a reserve)")
        ->type_name("SIZE|auto")
        ->group(locks);
    app.add_option("--priority", run.priority,
                   "Place in the lock's queue, -1000 to 1000 (default 0): higher goes first; "
                   "a waiter gains 1 per minute waited, so none starves")
        ->type_name("N")
        ->group(locks);
    app.add_flag("--backfill", run.backfill,
                 "With --capacity: start before the queue's head when this run fits now and "
                 "cannot delay the head's start")
        ->group(locks);
    add_wait_options(&app, run, locks);
    add_state_option(&app, run, locks);

    const std::string cgroups = "Cgroups";
    app.add_option("--driver", run.driver, "auto (default), systemd, cgroup2 or hybrid")
        ->envname("SUPERVISE_DRIVER")
        ->type_name("NAME")
        ->group(cgroups);
    app.add_option("--cgroup-root", run.cgroup_root,
                   "Create runs under this cgroup directory (direct drivers)")
        ->envname("SUPERVISE_CGROUP_ROOT")
        ->type_name("DIR")
        ->group(cgroups);
}

// doctor, lock, unlock, check, list, kill, kill-all.
void add_lock_subcommands(CLI::App& app, Invocation& in) {
    auto& run = in.run;
    auto& lock_options = in.lock_options;
    app.add_subcommand("doctor", "Show which cgroup drivers work here, and why the others do not")
        ->add_flag("--json", in.doctor_json, "Machine-readable report");

    auto* lock = app.add_subcommand(
        "lock",
        "Take a slot of lock NAME for the calling process (or --owner PID) and return 0; "
        "it is released when that process exits, or by 'supervise unlock'. Exit 75 if not "
        "obtained within --wait");
    lock->add_option("NAME", lock_options.name, "Lock name")->required();
    lock->add_option("--owner", lock_options.owner,
                     "The process that holds the lock (default: the caller; use $$ inside $(...))")
        ->type_name("PID");
    add_slot_options(lock, run, kOptionsGroup);
    add_wait_options(lock, run, kOptionsGroup);
    add_state_option(lock, run, kOptionsGroup);
    lock->add_flag("-q,--quiet", in.quiet, "No wait messages");

    auto* unlock = app.add_subcommand(
        "unlock",
        "Release lock NAME held by the calling process (or --owner PID); exit 1 if it "
        "holds none");
    unlock->add_option("NAME", lock_options.name, "Lock name")->required();
    unlock->add_option("--owner", lock_options.owner, "The process that holds the lock")
        ->type_name("PID");
    add_state_option(unlock, run, kOptionsGroup);

    auto* check = app.add_subcommand(
        "check",
        "Exit 0 if lock NAME has a free slot (also when never used), 1 if busy; takes nothing");
    check->add_option("NAME", lock_options.name, "Lock name")->required();
    add_slot_options(check, run, kOptionsGroup);
    add_state_option(check, run, kOptionsGroup);

    auto* list = app.add_subcommand("list", "Show locks, their holders and waiters in queue order");
    list->add_option("NAME", lock_options.name, "Only this lock");
    list->add_flag("--json", lock_options.json, "One JSON array of pools");
    list->add_flag("--csv", lock_options.csv, "CSV, one row per holder or waiter");
    add_state_option(list, run, kOptionsGroup);

    auto* kill = app.add_subcommand(
        "kill",
        "Send a signal to the whole process trees of lock NAME's holders (exit 1: no such lock)");
    kill->add_option("NAME", lock_options.name, "Lock name")->required();
    kill->add_option("--signal", lock_options.signal, "Signal to send (default TERM)")
        ->type_name("SIG");
    add_state_option(kill, run, kOptionsGroup);

    auto* kill_all = app.add_subcommand(
        "kill-all",
        "Kill every supervised run you can see (cgroups named run-*/lock-*/task-* under the direct "
        "drivers' supervise/ directory, scopes in supervise.slice, lock holders), cancel queued "
        "waiters, wait until all are gone, remove their cgroups and records");
    add_state_option(kill_all, run, kOptionsGroup);

    auto& h = in.history_options;
    auto* history = app.add_subcommand(
        "history",
        "Past runs, oldest first (when, wall, peak memory, limit, exit, OOM, wait), then one "
        "summary per job (runs, p50/max peak, OOM kills, p50 wait)");
    history->add_option("--job", h.job, "Only the runs of this job key")->type_name("KEY");
    history->add_option("--last", h.last, "Only the last N runs")->type_name("N");
    history->add_flag("--json", h.json, "One JSON object: {\"runs\": [...], \"jobs\": [...]}");
    history->add_flag("--csv", h.csv, "CSV, one row per run");
    add_state_option(history, run, kOptionsGroup);
}

// task start|run|wait|status|log|list|kill|reset|gc.
void add_task_subcommands(CLI::App& app, Invocation& in) {
    auto& task_options = in.task_options;
    auto& task_verb = in.task_verb;
    auto* task = app.add_subcommand(
        "task",
        "Run-once background tasks keyed by an ID: start once, wait from anywhere, cached "
        "result with a TTL, logs, kill, reset");
    task->require_subcommand(1);
    task->fallthrough();
    auto add_task = [&](const char* verb, const char* help) {
        auto* sub = task->add_subcommand(verb, help);
        sub->add_option("ID", task_options.id, "Task id (any string up to 255 bytes)")->required();
        sub->callback([&task_verb, verb] { task_verb = verb; });
        return sub;
    };
    for (const char* verb : {"start", "run"}) {
        auto* sub =
            add_task(verb, std::string(verb) == "start"
                               ? "Start COMMAND in the background unless the task is running or "
                                 "has a result within its TTL (run options apply: --memory, "
                                 "--timeout, --lock, ...)"
                               : "Start if needed (as 'start'), wait, exit with the task's status");
        sub->add_option("COMMAND", task_options.command, "The command (after --)")->expected(0, -1);
        sub->add_option("--ttl", task_options.ttl,
                        "Keep the result this long (default: until reset)")
            ->type_name("DUR");
        sub->add_flag("--rerun-failed", task_options.rerun_failed,
                      "Run again when the cached result is a failure");
        sub->fallthrough();
        if (std::string(verb) == "run")
            sub->add_option("-m,--message", task_options.wait_message,
                            "Say TEXT instead of the wait message")
                ->type_name("TEXT");
    }
    auto* task_wait = add_task("wait",
                               "Wait for a task started elsewhere; exit with its status "
                               "(124 on --timeout, 125 if lost)");
    task_wait->add_option("--timeout", task_options.wait_timeout, "Give up after DUR")
        ->type_name("DUR");
    task_wait
        ->add_option("-m,--message", task_options.wait_message,
                     "Say TEXT instead of the wait message")
        ->type_name("TEXT");
    task_wait->add_flag("-q,--quiet", in.quiet, "No wait message");
    add_task("status", "running / succeeded / failed(N) / lost / expired (exit 1: unknown id)")
        ->add_flag("--json", task_options.json, "Fields as one JSON object");
    add_task("log", "The task's output")
        ->add_flag("-f,--follow", task_options.follow, "Follow while it runs");
    add_task("kill", "Signal the task's whole tree (exit 1: not running)")
        ->add_option("--signal", task_options.signal, "Signal (default TERM)")
        ->type_name("SIG");
    add_task("reset", "Forget the task's result (kills it first if running)");
    auto* task_list = task->add_subcommand("list", "All tasks and their states");
    task_list->add_flag("--json", task_options.json, "One JSON array");
    task_list->callback([&task_verb] { task_verb = "list"; });
    task->add_subcommand("gc", "Remove expired results and their logs")->callback([&task_verb] {
        task_verb = "gc";
    });
    for (auto* sub : task->get_subcommands({})) add_state_option(sub, in.run, kOptionsGroup);
}

// Position of the first "--", or argc. Everything after it is the command, whatever it
// looks like (even the name of a subcommand): CLI11 only sees what comes before.
int command_separator(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "--") return i;
    return argc;
}

// Whether option was written among supervise's own words (argv[1..end)), as "--x V" or
// "--x=V", rather than taken from its environment variable.
bool on_command_line(const std::string& option, int end, char** argv) {
    for (int i = 1; i < end; ++i) {
        std::string_view word = argv[i];
        if (word == option || (word.starts_with(option) && word[option.size()] == '=')) return true;
    }
    return false;
}

// An option given an empty value ("--memory ''"): refused, never taken for "no limit"
// (an empty SUPERVISE_* variable is unset: CLI11 does not take it).
std::optional<int> refuse_empty_values(const CLI::App& app) {
    for (const auto* option : app.get_options()) {
        if (option->get_positional() || option->get_type_size() == 0) continue;
        for (const auto& value : option->results()) {
            if (!value.empty()) continue;
            cli::error_message(option->get_name() + ": empty value (give a " +
                               option->get_type_name() + ", or leave the option out)");
            return kExitFailure;
        }
    }
    for (const auto* sub : app.get_subcommands())
        if (auto misuse = refuse_empty_values(*sub)) return misuse;
    return std::nullopt;
}

// Option values the environment gives, and options that only make sense together.
// Returns an exit status for a misuse.
std::optional<int> settle_options(CLI::App& app, Invocation& in, int split, char** argv) {
    auto& run = in.run;
    // supervise's own words end where the command's begin
    int end = split - static_cast<int>(app.remaining_size(true));
    for (int i = 1; i < end; ++i) {
        // "--memory=" (CLI11 would take the next word for the value)
        std::string_view word = argv[i];
        if (word.starts_with("--") && word.size() > 3 && word.back() == '=') {
            cli::error_message(std::string(word.substr(0, word.size() - 1)) +
                               ": empty value (give a value, or leave the option out)");
            return kExitFailure;
        }
    }
    if (auto misuse = refuse_empty_values(app)) return misuse;
    for (const auto* option : app.get_options())
        if (!option->get_envname().empty() && option->count() > 0 &&
            !on_command_line(option->get_name(), end, argv))
            run.from_environment[option->get_name()] = option->get_envname();
    run.lock_given = app.get_option("--lock")->count() > 0;
    if (run.state_dir.empty())
        if (const char* state = std::getenv("SUPERVISE_STATE_DIR")) run.state_dir = state;
    if (const char* manager = std::getenv("SUPERVISE_SYSTEMD_MANAGER"))
        run.systemd_manager = manager;
    if (!run.lock_given && app.get_subcommands().empty()) {
        for (const char* option : {"--slots", "--exclude-cpus", "--capacity", "--priority",
                                   "--backfill", "--wait", "--message", "--conflict-exit-code"}) {
            if (app.get_option(option)->count() > 0) {
                cli::error_message(std::string(option) + " goes with --lock NAME");
                return kExitFailure;
            }
        }
    }
    // The environment's --memory-warn applies only where there is a limit to warn about,
    // but a value that is no percentage is an error of every run all the same.
    bool runs = app.get_subcommands().empty() || app.got_subcommand("task");
    if (const char* warn = std::getenv("SUPERVISE_MEMORY_WARN");
        runs && warn && *warn && run.memory_warn.empty()) {
        try {
            cli::option_value("SUPERVISE_MEMORY_WARN", warn, [](const std::string& t) {
                return supervise::parse_percentage(t, 100.0);
            });
        } catch (const UsageError& e) {
            cli::error_message(e.what());
            return kExitFailure;
        }
        if (!run.memory.empty()) {
            run.memory_warn = warn;
            run.from_environment["--memory-warn"] = "SUPERVISE_MEMORY_WARN";
        }
    }
    return std::nullopt;
}

// Puts the words that are not options where they belong: the command of a run or of
// task start/run; anywhere else they are a mistake. Returns an exit status for a misuse.
std::optional<int> take_command(CLI::App& app, Invocation& in, int argc, char** argv, int split) {
    auto& run = in.run;
    auto& task_options = in.task_options;
    run.command = app.remaining();
    bool separated = split < argc && run.command.empty();
    if (split < argc) {
        // "supervise make -- x": the command began before "--", which is then its argument
        if (!run.command.empty()) run.command.emplace_back("--");
        run.command.insert(run.command.end(), argv + split + 1, argv + argc);
    }
    std::vector<CLI::App*> no_arguments;
    for (const char* name :
         {"doctor", "lock", "unlock", "check", "list", "kill", "kill-all", "history"})
        no_arguments.push_back(app.get_subcommand(name));
    auto* task = app.get_subcommand("task");
    for (auto* sub : task->get_subcommands({})) {
        bool takes_command = sub->get_name() == "start" || sub->get_name() == "run";
        if (!takes_command) no_arguments.push_back(sub);
        // "task start ID ls -l": what follows the command's first word is the command's
        if (takes_command && *sub && !task_options.command.empty()) {
            task_options.command.insert(task_options.command.end(), run.command.begin(),
                                        run.command.end());
            run.command.clear();
        }
    }
    for (auto* sub : no_arguments) {
        std::vector<std::string> extra = sub->remaining();
        if (*sub && extra.empty() && !run.command.empty()) extra = run.command;
        if (*sub && !extra.empty()) {
            cli::error_message("'" + sub->get_name() + "' takes no argument '" + extra.front() +
                               "' (see 'supervise " + sub->get_name() + " --help')");
            return kExitFailure;
        }
    }
    if (!separated && !run.command.empty() && run.command.front().size() > 1 &&
        run.command.front()[0] == '-') {
        cli::error_message(
            "unknown option '" + run.command.front() +
            "' (see 'supervise --help'; put '--' before a COMMAND that starts with '-')");
        return kExitFailure;
    }
    // After "--" CLI11 hands a task's command to the top level's remaining arguments.
    if (*task && task_options.command.empty()) task_options.command = run.command;
    return std::nullopt;
}

int dispatch(const CLI::App& app, const Invocation& in, const cli::GlobalOptions& global) {
    const auto& run = in.run;
    auto got = [&](const char* name) { return app.got_subcommand(name); };
    if (got("doctor")) return cli::doctor_command(run, in.doctor_json);
    if (got("lock")) return cli::lock_command(run, in.lock_options, global);
    if (got("unlock")) return cli::unlock_command(run, in.lock_options, global);
    if (got("check")) return cli::check_command(run, in.lock_options, global);
    if (got("list")) return cli::list_command(run, in.lock_options, global);
    if (got("kill")) return cli::kill_command(run, in.lock_options, global);
    if (got("kill-all")) return cli::kill_all_command(run, global);
    if (got("history")) return cli::history_command(run, in.history_options, global);
    if (got("task")) return cli::task_command(in.task_verb, run, in.task_options, global);
    return cli::run_command(run, global);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace supervise;
    // A reader of our output that goes away (`supervise ... | head -1`) must not end the
    // supervision: the limits, the timeout and the log go on (the command itself gets the
    // default SIGPIPE back before exec).
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{
        "Run COMMAND in its own cgroup: limits enforced by the kernel, the whole process tree\n"
        "killed when COMMAND ends or times out, a machine-readable result.\n\n"
        "  supervise [OPTIONS] [--] COMMAND [ARGS...]\n"
        "  supervise lock|unlock|check|list|kill|kill-all ...   (locks; see SUBCOMMAND --help)\n"
        "  supervise task start|run|wait|status|log|list|kill|reset|gc ...   (run-once tasks)\n"
        "  supervise doctor [--json]",
        "supervise"};
    app.footer(kFooter);
    app.prefix_command();
    app.set_version_flag("--version", std::string("supervise ") + SUPERVISE_VERSION + " (" +
                                          SUPERVISE_BUILD_INFO +
                                          "; drivers: systemd via sd-bus, cgroup2, hybrid)");
    app.get_formatter()->column_width(30);
    Invocation in;
    add_run_options(app, in);
    add_lock_subcommands(app, in);
    add_task_subcommands(app, in);

    int split = command_separator(argc, argv);
    try {
        app.parse(split, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        cli::error_message(std::string(e.what()) + " (see 'supervise --help')");
        return kExitFailure;
    }
    cli::GlobalOptions global{in.quiet ? -1 : in.verbose};
    if (auto misuse = settle_options(app, in, split, argv)) return *misuse;
    setup_logging(global.verbosity);
    if (auto misuse = take_command(app, in, argc, argv, split)) return *misuse;
    try {
        return dispatch(app, in, global);
    } catch (const Error& e) {
        cli::error_message(e.what());
        return e.exit_status();
    } catch (const std::exception& e) {
        cli::error_message(std::string("internal error: ") + e.what());
        return kExitFailure;
    }
}
