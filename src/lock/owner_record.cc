#include "owner_record.h"

#include "supervise/cgroup.h"
#include "supervise/record.h"
#include "supervise/sys/process.h"

namespace supervise::lock {

std::string serialize(const OwnerRecord& r) {
    RecordWriter out;
    out.raw("kind", r.kind == OwnerRecord::Kind::run ? "run" : "process")
        .field("slot", r.slot)
        .field("pid", r.pid)
        .field("start_time", r.start_time)
        .raw("boot_id", r.boot_id)
        .field("supervisor_pid", r.supervisor_pid)
        .field("started", static_cast<long long>(r.started * 1000))
        .field("command", clip(r.command));
    if (r.reserved) out.field("reserved", r.reserved);
    if (r.kind == OwnerRecord::Kind::run) {
        write_identity(out, r.cgroup);
        for (const auto& dir : r.dirs) out.field("dir", dir);
    }
    return out.finish();
}

std::optional<OwnerRecord> parse_owner_record(const std::string& text) {
    auto fields = record_fields(text);
    if (!fields) return std::nullopt;
    OwnerRecord r;
    bool kind = false, slot = false, cgroup_id = false;
    try {
        for (const auto& [key, value] : *fields) {
            if (read_identity_field(key, value, r.cgroup)) {
                cgroup_id = cgroup_id || key == "cgroup_id";
            } else if (key == "kind") {
                if (value != "run" && value != "process") return std::nullopt;
                r.kind = value == "run" ? OwnerRecord::Kind::run : OwnerRecord::Kind::process;
                kind = true;
            } else if (key == "slot") {
                r.slot = static_cast<int>(field_u64(value));
                slot = true;
            } else if (key == "pid") {
                r.pid = static_cast<pid_t>(field_u64(value));
            } else if (key == "start_time") {
                r.start_time = field_u64(value);
            } else if (key == "boot_id") {
                r.boot_id = value;
            } else if (key == "supervisor_pid") {
                r.supervisor_pid = static_cast<pid_t>(field_u64(value));
            } else if (key == "started") {
                r.started = static_cast<double>(field_u64(value)) / 1000;
            } else if (key == "command") {
                r.command = unescape_value(value);
            } else if (key == "reserved") {
                r.reserved = field_u64(value);
            } else if (key == "dir") {
                r.dirs.push_back(unescape_value(value));
            }
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (!kind || !slot || r.boot_id.empty() || r.pid <= 0) return std::nullopt;
    if (r.kind == OwnerRecord::Kind::run && (r.cgroup.path.empty() || !cgroup_id))
        return std::nullopt;
    r.cgroup.boot_id = r.boot_id;
    return r;
}

bool owner_is_alive(const OwnerRecord& r) {
    if (r.boot_id != current_boot_id()) return false;
    if (r.kind == OwnerRecord::Kind::run) return cgroup_is_alive(r.cgroup);
    auto start = sys::process_start_time(r.pid);
    return start && *start == r.start_time;
}

}  // namespace supervise::lock
