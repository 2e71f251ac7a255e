// supervise history: the runs of the history file, then one summary per job.

#include <cstdio>
#include <ctime>

#include "cli.h"
#include "supervise/history.h"
#include "supervise/parse.h"
#include "supervise/record.h"

namespace supervise::cli {

namespace {

std::string when(double unix_time) {
    std::time_t t = static_cast<std::time_t>(unix_time);
    std::tm local{};
    char text[32];
    if (!::localtime_r(&t, &local) ||
        !std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local))
        return "?";
    return text;
}

std::string size_or_dash(const std::optional<std::uint64_t>& bytes) {
    return bytes ? format_size(*bytes) : "-";
}

std::string seconds3(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", seconds);
    return text;
}

std::string csv_cell(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

int history_command(const RunOptions& run, const HistoryCommandOptions& options,
                    const GlobalOptions& global) {
    std::optional<std::uint64_t> last;
    if (!options.last.empty()) {
        last = parse_whole_number(options.last);
        if (!last || *last == 0)
            throw UsageError("--last: expected a whole number above 0, got '" + options.last + "'");
    }
    size_t skipped = 0;
    auto records = read_history(history_file(run.state_dir, false), &skipped);
    if (skipped)
        message(global, "warning: " + std::to_string(skipped) +
                            " line(s) of the history are not records (torn or foreign); skipped");
    if (!options.job.empty())
        std::erase_if(records, [&](const HistoryRecord& r) { return r.job != options.job; });
    if (last && records.size() > *last)
        records.erase(records.begin(), records.end() - static_cast<std::ptrdiff_t>(*last));
    auto jobs = summarize(records);

    if (options.json) {
        std::printf("%s\n", to_json(records, jobs).c_str());
        return 0;
    }
    if (options.csv) {
        std::printf(
            "started,job,wall_seconds,memory_peak_bytes,memory_limit_bytes,exit_status,signal,"
            "oom_killed,timed_out,wait_seconds,lock,slot\n");
        auto number = [](const auto& value) {
            return value ? std::to_string(*value) : std::string();
        };
        for (const auto& r : records)
            std::printf("%.3f,%s,%.3f,%s,%s,%d,%s,%d,%d,%s,%s,%s\n", r.started,
                        csv_cell(r.job).c_str(), r.wall_seconds,
                        number(r.memory_peak_bytes).c_str(), number(r.memory_limit_bytes).c_str(),
                        r.exit_status, r.signal.value_or("").c_str(), r.oom_killed, r.timed_out,
                        r.wait_seconds ? seconds3(*r.wait_seconds).c_str() : "",
                        csv_cell(r.lock.value_or("")).c_str(), number(r.slot).c_str());
        return 0;
    }
    for (const auto& r : records) {
        std::string outcome = "exit " + std::to_string(r.exit_status);
        if (r.oom_killed) outcome += " (OOM)";
        if (r.timed_out) outcome += " (timeout)";
        std::printf("%s  wall %-7s peak %-6s limit %-6s %-14s wait %-6s %s\n",
                    when(r.started).c_str(), format_duration(r.wall_seconds).c_str(),
                    size_or_dash(r.memory_peak_bytes).c_str(),
                    size_or_dash(r.memory_limit_bytes).c_str(), outcome.c_str(),
                    r.wait_seconds ? format_duration(*r.wait_seconds).c_str() : "-",
                    printable(r.job).c_str());
    }
    if (!jobs.empty()) std::printf("\njobs:\n");
    for (const auto& j : jobs)
        std::printf("  %s: %zu run%s, %zu failed, %zu OOM, peak p50 %s max %s, wall p50 %s%s\n",
                    printable(j.job).c_str(), j.runs, j.runs == 1 ? "" : "s", j.failed, j.oom_kills,
                    size_or_dash(j.p50_peak).c_str(), size_or_dash(j.max_peak).c_str(),
                    j.p50_wall ? format_duration(*j.p50_wall).c_str() : "-",
                    j.p50_wait ? (", wait p50 " + format_duration(*j.p50_wait)).c_str() : "");
    return 0;
}

}  // namespace supervise::cli
