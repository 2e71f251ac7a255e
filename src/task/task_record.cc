#include "task/task_record.h"

#include <chrono>
#include <sstream>

#include "cgroup/cgroup_view.h"
#include "lock/names.h"
#include "lock/owner_record.h"
#include "supervise/error.h"
#include "sys/files.h"

namespace supervise::task {

void validate_task_id(const std::string& id) {
    if (id.empty()) throw UsageError("task id is empty");
    if (id.size() > 255) throw UsageError("task id is longer than 255 bytes");
    if (!lock::valid_utf8(id)) throw UsageError("task id is not valid UTF-8");
    if (id.find('\n') != std::string::npos) throw UsageError("task id contains a newline");
}

std::string serialize(const TaskRecord& r) {
    using lock::escape_value;
    std::ostringstream out;
    out.precision(15);
    out << "version=1\n"
        << "id=" << escape_value(r.id) << "\n"
        << "state=" << (r.finished ? "finished" : "running") << "\n"
        << "command=" << escape_value(r.command) << "\n"
        << "started=" << r.started << "\n"
        << "ended=" << r.ended << "\n"
        << "runner_pid=" << r.runner_pid << "\n"
        << "runner_start_time=" << r.runner_start_time << "\n"
        << "boot_id=" << r.boot_id << "\n";
    if (r.exit_status) out << "exit_status=" << *r.exit_status << "\n";
    if (r.ttl_seconds) out << "ttl=" << *r.ttl_seconds << "\n";
    if (!r.cgroup.path.empty())
        out << "cgroup=" << escape_value(r.cgroup.path) << "\n"
            << "cgroup_id=" << r.cgroup.id << "\n"
            << "driver=" << to_string(r.cgroup.driver) << "\n"
            << "unit=" << escape_value(r.cgroup.unit) << "\n";
    for (const auto& dir : r.dirs) out << "dir=" << escape_value(dir) << "\n";
    if (!r.result_json.empty()) out << "result=" << escape_value(r.result_json) << "\n";
    out << "end=1\n";
    return out.str();
}

std::optional<TaskRecord> parse_task_record(const std::string& text) {
    auto fields = lock::record_fields(text);
    if (!fields) return std::nullopt;
    TaskRecord r;
    bool state = false;
    try {
        for (const auto& [key, value] : *fields) {
            if (key == "id") {
                r.id = lock::unescape_value(value);
            } else if (key == "state") {
                if (value != "running" && value != "finished") return std::nullopt;
                r.finished = value == "finished";
                state = true;
            } else if (key == "command") {
                r.command = lock::unescape_value(value);
            } else if (key == "started") {
                r.started = lock::field_double(value);
            } else if (key == "ended") {
                r.ended = lock::field_double(value);
            } else if (key == "runner_pid") {
                r.runner_pid = lock::field_int(value);
            } else if (key == "runner_start_time") {
                r.runner_start_time = lock::field_u64(value);
            } else if (key == "boot_id") {
                r.boot_id = value;
            } else if (key == "exit_status") {
                r.exit_status = lock::field_int(value);
            } else if (key == "ttl") {
                r.ttl_seconds = lock::field_double(value);
            } else if (key == "cgroup") {
                r.cgroup.path = lock::unescape_value(value);
            } else if (key == "cgroup_id") {
                r.cgroup.id = lock::field_u64(value);
            } else if (key == "driver") {
                r.cgroup.driver = parse_driver_kind(value);
            } else if (key == "unit") {
                r.cgroup.unit = lock::unescape_value(value);
            } else if (key == "result") {
                r.result_json = lock::unescape_value(value);
            } else if (key == "dir") {
                r.dirs.push_back(lock::unescape_value(value));
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

TaskStatus judge(const TaskRecord& r, std::optional<double> ttl, double now) {
    TaskStatus status{TaskState::running, r, false};
    bool this_boot = r.boot_id == current_boot_id();
    if (this_boot && r.runner_pid > 0) {
        auto start = lock::process_start_time(r.runner_pid);
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
    bool cgroup_alive = false;
    if (!r.cgroup.path.empty()) {
        OwnerRecord owner;
        owner.kind = OwnerRecord::Kind::run;
        owner.cgroup = r.cgroup;
        owner.boot_id = r.boot_id;
        cgroup_alive = lock::owner_is_alive(owner);
    }
    status.state = cgroup_alive || status.runner_alive ? TaskState::running : TaskState::lost;
    return status;
}

}  // namespace supervise::task

namespace supervise {

std::string TaskStatus::words() const {
    switch (state) {
        case TaskState::running:
            return "running";
        case TaskState::succeeded:
            return "succeeded";
        case TaskState::failed:
            return "failed(" + std::to_string(record.exit_status.value_or(0)) + ")";
        case TaskState::lost:
            return "lost";
        case TaskState::expired:
            return "expired";
    }
    return "unknown";
}

}  // namespace supervise
