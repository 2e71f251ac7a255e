#pragma once
// A run that first waits for a slot of a lock (when asked to), then holds that slot for
// exactly as long as its cgroup lives: what `supervise --lock NAME -- CMD` does, and what a
// background task's runner does.

#include <functional>
#include <optional>

#include "supervise/lock.h"
#include "supervise/run.h"

namespace supervise {

struct LockedRunOutcome {
    AcquireOutcome lock = AcquireOutcome::acquired;  // anything else: nothing ran
    std::optional<RunResult> result;                 // with lock, slot, wait_seconds set
};

// Waits for the slot (if lock is set), starts the command held in a cgroup named after the
// pool and slot, writes the owner record (then calls spec.on_placed, if any), lets it run,
// waits, releases the slot. on_started sees the Run once it is running.
LockedRunOutcome run_with_lock(RunSpec spec, const std::optional<LockOptions>& lock,
                               const std::function<void(Run&)>& on_started = {});

}  // namespace supervise
