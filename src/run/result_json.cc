// RunResult as JSON, for --json and --result (fields: supervise(1), JSON RESULT).

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "supervise/parse.h"
#include "supervise/run.h"

namespace supervise {

std::string signal_name(int sig) {
    const char* abbreviation = sigabbrev_np(sig);
    return abbreviation ? abbreviation : std::to_string(sig);
}

std::string json_quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

namespace {

std::string quoted(const std::string& text) {
    return json_quote(text);
}

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

template <typename T, typename F>
std::string or_null(const std::optional<T>& value, F&& format) {
    return value ? format(*value) : "null";
}

}  // namespace

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
    auto integer = [](auto v) { return std::to_string(v); };
    std::string json = "{";
    auto field = [&](const char* name, const std::string& value) {
        if (json.size() > 1) json += ", ";
        json += quoted(name) + ": " + value;
    };
    field("exit_code", or_null(r.exit_code, integer));
    field("signal", or_null(r.signal, [](int s) { return quoted(signal_name(s)); }));
    field("exit_status", integer(r.exit_status()));
    field("oom_killed", r.oom_killed ? "true" : "false");
    field("oom_kills", integer(r.oom_kills));
    field("timed_out", r.timed_out ? "true" : "false");
    field("cancelled", r.cancelled ? "true" : "false");
    field("wall_seconds", number(r.wall_seconds));
    field("user_seconds", or_null(r.user_seconds, number));
    field("system_seconds", or_null(r.system_seconds, number));
    field("memory_peak_bytes", or_null(r.memory_peak_bytes, integer));
    field("memory_limit_bytes", or_null(r.memory_limit_bytes, integer));
    field("cgroup", quoted(r.cgroup.path));
    field("cgroup_id", integer(r.cgroup.id));
    field("boot_id", quoted(r.cgroup.boot_id));
    field("driver", quoted(to_string(r.cgroup.driver)));
    field("unit", r.cgroup.unit.empty() ? "null" : quoted(r.cgroup.unit));
    field("lock", or_null(r.lock, quoted));
    field("slot", or_null(r.slot, integer));
    field("wait_seconds", or_null(r.wait_seconds, number));
    return json + "}";
}

}  // namespace supervise
