#include "supervise/locked_run.h"

#include <unistd.h>

#include <string>

#include "supervise/history.h"
#include "supervise/record.h"

namespace supervise {

LockedRunOutcome run_with_lock(RunSpec spec, const std::optional<LockOptions>& lock,
                               const std::function<void(Run&)>& on_started) {
    LockedRunOutcome outcome;
    std::optional<SlotGrant> grant;
    double waited = 0;
    if (lock) {
        check_run_spec(spec);  // a typo fails at once, not after waiting in the queue
        auto acquired = acquire_slot(*lock);
        outcome.lock = acquired.outcome;
        if (acquired.outcome != AcquireOutcome::acquired) return outcome;
        grant = std::move(acquired.grant);
        waited = acquired.wait_seconds;
        // (after the pool and slot, the name the caller gave, if any: a task's)
        spec.cgroup_name =
            grant->cgroup_name() + (spec.cgroup_name.empty() ? "" : "-" + spec.cgroup_name);
        spec.setenv.emplace_back("SUPERVISE_LOCK", lock->name);
        spec.setenv.emplace_back("SUPERVISE_SLOT", std::to_string(grant->slot()));
        // The record goes in while the command is held in its cgroup: from then on the
        // populated cgroup holds the slot, and there is no moment it looks free.
        auto then = std::move(spec.on_placed);
        spec.on_placed = [&grant, then](const RunCgroup& cgroup, pid_t pid) {
            grant->commit_run(cgroup.identity(), cgroup.owned_directories(), pid);
            if (then) then(cgroup, pid);
        };
    }
    auto history = spec.history_file;
    std::string job = job_key(spec, lock ? std::optional(lock->name) : std::nullopt);
    std::string memory_source = spec.memory_source;
    auto on_event = spec.on_event;
    Run run = Run::start(std::move(spec));
    if (on_started) on_started(run);
    RunResult result = run.wait();
    if (grant) {
        release_run_slot(lock->state_dir, lock->name, grant->slot(), result.cgroup.id);
        result.lock = lock->name;
        result.slot = grant->slot();
        result.wait_seconds = waited;
        if (lock->capacity || grant->reserved()) {
            result.memory_reserved_bytes = grant->reserved();
            result.memory_reservation_source = memory_source;
        }
    }
    result.job = job;
    if (history) {
        try {
            append_history(*history, history_record(result, job, unix_now()));
        } catch (const Error& e) {
            // the run is not the worse for it
            if (on_event) on_event({RunEvent::Kind::info, std::string("warning: ") + e.what()});
        }
    }
    outcome.result = std::move(result);
    return outcome;
}

}  // namespace supervise
