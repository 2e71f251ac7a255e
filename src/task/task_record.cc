#include "task_record.h"

#include <cmath>

#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/json.h"
#include "supervise/record.h"
#include "supervise/sys/process.h"

namespace supervise::task {

void validate_task_id(const std::string& id) {
    if (id.empty()) throw UsageError("task id is empty");
    if (id.size() > 255) throw UsageError("task id is longer than 255 bytes");
    if (!valid_utf8(id)) throw UsageError("task id is not valid UTF-8");
    if (id.find('\n') != std::string::npos) throw UsageError("task id contains a newline");
}

std::string serialize(const TaskRecord& r) {
    RecordWriter out;
    out.field("id", r.id)
        .raw("state", r.finished ? "finished" : "running")
        .field("command", clip(r.command))
        .field("started", r.started)
        .field("ended", r.ended)
        .field("runner_pid", r.runner_pid)
        .field("runner_start_time", r.runner_start_time)
        .raw("boot_id", r.boot_id);
    if (r.exit_status) out.field("exit_status", *r.exit_status);
    if (r.ttl_seconds) out.field("ttl", *r.ttl_seconds);
    if (!r.cgroup.path.empty()) write_identity(out, r.cgroup);
    for (const auto& dir : r.dirs) out.field("dir", dir);
    if (!r.result_json.empty()) out.field("result", r.result_json);
    return out.finish();
}

std::optional<TaskRecord> parse_task_record(const std::string& text) {
    auto fields = record_fields(text);
    if (!fields) return std::nullopt;
    TaskRecord r;
    bool state = false;
    try {
        for (const auto& [key, value] : *fields) {
            if (read_identity_field(key, value, r.cgroup)) continue;
            if (key == "id") {
                r.id = unescape_value(value);
            } else if (key == "state") {
                if (value != "running" && value != "finished") return std::nullopt;
                r.finished = value == "finished";
                state = true;
            } else if (key == "command") {
                r.command = unescape_value(value);
            } else if (key == "started") {
                r.started = field_double(value);
            } else if (key == "ended") {
                r.ended = field_double(value);
            } else if (key == "runner_pid") {
                r.runner_pid = field_int(value);
            } else if (key == "runner_start_time") {
                r.runner_start_time = field_u64(value);
            } else if (key == "boot_id") {
                r.boot_id = value;
            } else if (key == "exit_status") {
                r.exit_status = field_int(value);
            } else if (key == "ttl") {
                r.ttl_seconds = field_double(value);
            } else if (key == "result") {
                r.result_json = unescape_value(value);
            } else if (key == "dir") {
                r.dirs.push_back(unescape_value(value));
            }
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (!state || r.boot_id.empty()) return std::nullopt;
    if (r.finished && !r.exit_status) return std::nullopt;
    r.cgroup.boot_id = r.boot_id;
    return r;
}

std::string cgroup_prefix(const std::string& id) {
    return "task-" + name_hash(id) + "-";
}

TaskStatus judge(const TaskRecord& r, std::optional<double> ttl, double now) {
    TaskStatus status{TaskState::running, r, false};
    bool this_boot = r.boot_id == current_boot_id();
    if (this_boot && r.runner_pid > 0) {
        auto start = sys::process_start_time(r.runner_pid);
        status.runner_alive = start && *start == r.runner_start_time;
    }
    if (r.finished) {
        // A result from another boot is still a result (it lives in /var/lib).
        auto limit = ttl ? ttl : r.ttl_seconds;
        if (limit && now - r.ended > *limit)
            status.state = TaskState::expired;
        else
            status.state = *r.exit_status == 0 ? TaskState::succeeded : TaskState::failed;
        return status;
    }
    // A "running" record from another boot is lost; in this boot, running while its
    // cgroup is populated (even with its runner killed -9), or while its runner lives
    // (waiting for a lock, or writing the result after the cgroup is gone).
    if (!this_boot) {
        status.state = TaskState::lost;
        return status;
    }
    status.state =
        cgroup_is_alive(r.cgroup) || status.runner_alive ? TaskState::running : TaskState::lost;
    return status;
}

}  // namespace supervise::task

namespace supervise {

std::string to_string(TaskState state) {
    switch (state) {
        case TaskState::running:
            return "running";
        case TaskState::succeeded:
            return "succeeded";
        case TaskState::failed:
            return "failed";
        case TaskState::lost:
            return "lost";
        case TaskState::expired:
            return "expired";
    }
    return "unknown";
}

std::string TaskStatus::words() const {
    if (state == TaskState::failed)
        return "failed(" + std::to_string(record.exit_status.value_or(0)) + ")";
    return to_string(state);
}

std::string to_json(const TaskStatus& s, const std::string& log_path) {
    const auto& r = s.record;
    auto microseconds = [](double seconds) { return std::round(seconds * 1e6) / 1e6; };
    Json json{
        {"id", r.id},
        {"state", to_string(s.state)},
        {"exit_status", r.exit_status ? Json(*r.exit_status) : Json(nullptr)},
        {"command", r.command},
        {"started", microseconds(r.started)},
        {"ended", r.finished ? Json(microseconds(r.ended)) : Json(nullptr)},
        {"runner_pid", r.runner_pid},
        {"runner_alive", s.runner_alive},
        {"cgroup", r.cgroup.path.empty() ? Json(nullptr) : Json(r.cgroup.path)},
        {"log", log_path},
        {"result", nullptr},
    };
    // the run's own result, as --json gave it
    if (auto result = Json::parse(r.result_json, nullptr, false); !result.is_discarded())
        json["result"] = result;
    return to_text(json);
}

}  // namespace supervise
