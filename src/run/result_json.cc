// RunResult as JSON, for --json and --result (fields: supervise(1), JSON RESULT).

#include <cmath>
#include <csignal>
#include <cstring>

#include "supervise/json.h"
#include "supervise/parse.h"
#include "supervise/run.h"
#include "supervise/sys/files.h"

namespace supervise {

std::string signal_name(int sig) {
    const char* abbreviation = sigabbrev_np(sig);
    return abbreviation ? abbreviation : std::to_string(sig);
}

std::string describe_oom(const RunResult& result) {
    std::string text = "killed: memory limit ";
    text += result.memory_limit_bytes ? format_size(*result.memory_limit_bytes) : "(none set)";
    text += " exceeded (peak ";
    text += result.memory_peak_bytes ? format_size(*result.memory_peak_bytes) : "unknown";
    text += ", " + std::to_string(result.oom_kills) + " process" +
            (result.oom_kills == 1 ? "" : "es") + " OOM-killed)";
    return text;
}

std::string to_json(const RunResult& r) {
    // Seconds to the millisecond: what a clock of a run can honestly tell.
    auto seconds = [](double value) { return std::round(value * 1000) / 1000; };
    auto or_null = [](const auto& value, auto convert) {
        return value ? Json(convert(*value)) : Json(nullptr);
    };
    auto same = [](const auto& value) { return value; };
    Json json{
        {"exit_code", or_null(r.exit_code, same)},
        {"signal", or_null(r.signal, signal_name)},
        {"exit_status", r.exit_status()},
        {"oom_killed", r.oom_killed},
        {"oom_kills", r.oom_kills},
        {"timed_out", r.timed_out},
        {"cancelled", r.cancelled},
        {"wall_seconds", seconds(r.wall_seconds)},
        {"user_seconds", or_null(r.user_seconds, seconds)},
        {"system_seconds", or_null(r.system_seconds, seconds)},
        {"memory_peak_bytes", or_null(r.memory_peak_bytes, same)},
        {"memory_limit_bytes", or_null(r.memory_limit_bytes, same)},
        {"cgroup", r.cgroup.path},
        {"cgroup_id", r.cgroup.id},
        {"boot_id", r.cgroup.boot_id},
        {"driver", to_string(r.cgroup.driver)},
        {"unit", r.cgroup.unit.empty() ? Json(nullptr) : Json(r.cgroup.unit)},
        {"lock", or_null(r.lock, same)},
        {"slot", or_null(r.slot, same)},
        {"wait_seconds", or_null(r.wait_seconds, seconds)},
        {"memory_reserved_bytes", or_null(r.memory_reserved_bytes, same)},
        {"memory_reservation_source", or_null(r.memory_reservation_source, same)},
        {"job", r.job.empty() ? Json(nullptr) : Json(r.job)},
        {"log_error", or_null(r.log_error, same)},
        {"jobs", or_null(r.jobs,
                         [&](const JobsResult& jobs) {
                             return Json{
                                 {"max", jobs.max},
                                 {"peak_parallel", jobs.peak_parallel},
                                 {"seconds_throttled", seconds(jobs.seconds_throttled)},
                                 {"tokens_withheld_max", jobs.tokens_withheld_max},
                                 {"memory_threshold_bytes", jobs.memory_threshold_bytes
                                                                ? Json(*jobs.memory_threshold_bytes)
                                                                : Json(nullptr)},
                                 {"pressure_events", jobs.pressure_events},
                             };
                         })},
    };
    return to_text(json);
}

void check_result_file(const std::string& path) {
    sys::check_output_file(path);
}

void write_result_file(const std::string& path, const RunResult& result) {
    sys::write_output_file(path, to_json(result) + "\n");
}

}  // namespace supervise
