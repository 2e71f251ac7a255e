#include "lock/owner_record.h"

#include <chrono>
#include <sstream>

#include "cgroup/cgroup_view.h"
#include "sys/files.h"

namespace supervise::lock {

std::string escape_value(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string unescape_value(const std::string& value) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            out += value[i + 1] == 'n' ? '\n' : value[i + 1];
            ++i;
        } else {
            out += value[i];
        }
    }
    return out;
}

std::string serialize(const OwnerRecord& r) {
    std::ostringstream out;
    out << "version=1\n"
        << "kind=" << (r.kind == OwnerRecord::Kind::run ? "run" : "process") << "\n"
        << "slot=" << r.slot << "\n"
        << "pid=" << r.pid << "\n"
        << "start_time=" << r.start_time << "\n"
        << "boot_id=" << r.boot_id << "\n"
        << "supervisor_pid=" << r.supervisor_pid << "\n"
        << "started=" << static_cast<long long>(r.started * 1000) << "\n"
        << "command=" << escape_value(r.command) << "\n";
    if (r.kind == OwnerRecord::Kind::run) {
        out << "cgroup=" << escape_value(r.cgroup.path) << "\n"
            << "cgroup_id=" << r.cgroup.id << "\n"
            << "driver=" << to_string(r.cgroup.driver) << "\n"
            << "unit=" << escape_value(r.cgroup.unit) << "\n";
        for (const auto& dir : r.dirs) out << "dir=" << escape_value(dir) << "\n";
    }
    out << "end=1\n";  // a record without it was cut short
    return out.str();
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<RecordFields> record_fields(const std::string& text) {
    RecordFields fields;
    bool version = false, end = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto equals = line.find('=');
        if (equals == std::string::npos) return std::nullopt;
        std::string key = line.substr(0, equals), value = line.substr(equals + 1);
        if (key == "version") version = value == "1";
        if (key == "end") end = value == "1";
        fields.emplace_back(std::move(key), std::move(value));
    }
    if (!version || !end) return std::nullopt;
    return fields;
}

namespace {
template <typename Parse>
auto whole_number(const std::string& value, Parse parse) {
    size_t used = 0;
    auto number = parse(value, &used);  // throws std::invalid_argument / std::out_of_range
    if (value.empty() || used != value.size()) throw std::invalid_argument(value);
    return number;
}
}  // namespace

std::uint64_t field_u64(const std::string& value) {
    // stoull accepts "-1" (and wraps it): a count or an id never has a sign
    if (value.empty() || value[0] < '0' || value[0] > '9') throw std::invalid_argument(value);
    return whole_number(value, [](const std::string& v, size_t* n) { return std::stoull(v, n); });
}
int field_int(const std::string& value) {
    return whole_number(value, [](const std::string& v, size_t* n) { return std::stoi(v, n); });
}
double field_double(const std::string& value) {
    return whole_number(value, [](const std::string& v, size_t* n) { return std::stod(v, n); });
}

std::optional<OwnerRecord> parse_owner_record(const std::string& text) {
    auto fields = record_fields(text);
    if (!fields) return std::nullopt;
    OwnerRecord r;
    bool kind = false, slot = false, cgroup_id = false;
    try {
        for (const auto& [key, value] : *fields) {
            if (key == "kind") {
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
            } else if (key == "cgroup") {
                r.cgroup.path = unescape_value(value);
            } else if (key == "cgroup_id") {
                r.cgroup.id = field_u64(value);
                cgroup_id = true;
            } else if (key == "driver") {
                r.cgroup.driver = parse_driver_kind(value);
            } else if (key == "unit") {
                r.cgroup.unit = unescape_value(value);
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

std::optional<std::uint64_t> process_start_time(pid_t pid) {
    auto text = sys::try_read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!text) return std::nullopt;
    // The command name in parentheses may hold spaces and ')': fields start after the last ')'.
    auto close = text->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text->substr(close + 2));
    std::string field;
    // field 3 (state) is the first after ')'; start time is field 22. A zombie has ended:
    // it only waits for its parent to collect it.
    for (int index = 3; index <= 22 && fields >> field; ++index) {
        if (index == 3 && (field == "Z" || field == "X")) return std::nullopt;
        if (index == 22) return sys::parse_u64(field);
    }
    return std::nullopt;
}

bool owner_is_alive(const OwnerRecord& r) {
    if (r.boot_id != current_boot_id()) return false;
    if (r.kind == OwnerRecord::Kind::process) {
        auto start = process_start_time(r.pid);
        return start && *start == r.start_time;
    }
    // A cgroup id is its inode number, never reused within a boot: same path, same id,
    // populated means the very run that wrote the record is still there.
    try {
        if (cgroup::cgroup_id(r.cgroup.path) != r.cgroup.id) return false;
    } catch (const std::exception&) {
        return false;
    }
    cgroup::CgroupView view;
    view.unified = r.cgroup.path;
    return view.populated();
}

}  // namespace supervise::lock
