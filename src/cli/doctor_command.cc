#include <cstdio>

#include "cgroup/layout.h"
#include "cli/cli.h"

namespace supervise::cli {

int doctor_command(const RunOptions& options, bool json) {
    DriverOptions driver_options = to_driver_options(options);
    auto reports = probe_drivers(driver_options);
    const auto& layout = cgroup::Layout::current();
    std::string world = layout.pure_v2()  ? "pure cgroup v2"
                        : layout.hybrid() ? "hybrid (cgroup2 for tracking, v1 memory)"
                                          : "no cgroup2 hierarchy";
    std::string chosen;
    std::string why_not;
    try {
        chosen = to_string(make_driver(driver_options)->kind());
    } catch (const std::exception& e) {
        why_not = e.what();
    }
    if (json) {
        std::string out = "{\"layout\": " + json_quote(world) +
                          ", \"unified_mount\": " + json_quote(layout.unified_mount) +
                          ", \"auto\": ";
        out += chosen.empty() ? "null" : "\"" + chosen + "\"";
        out += ", \"drivers\": [";
        for (size_t i = 0; i < reports.size(); ++i) {
            const auto& r = reports[i];
            if (i) out += ", ";
            out += "{\"driver\": \"" + to_string(r.kind) +
                   "\", \"usable\": " + (r.usable ? "true" : "false") +
                   ", \"detail\": " + json_quote(r.detail) + ", \"notes\": [";
            for (size_t j = 0; j < r.notes.size(); ++j)
                out += (j ? ", " : "") + json_quote(r.notes[j]);
            out += "]}";
        }
        out += "]}\n";
        std::fputs(out.c_str(), stdout);
        return 0;
    }
    std::printf("cgroup layout: %s%s%s\n", world.c_str(),
                layout.unified_mount.empty() ? "" : ", cgroup2 at ", layout.unified_mount.c_str());
    for (const auto& r : reports) {
        std::printf("%-8s %s: %s\n", to_string(r.kind).c_str(), r.usable ? "usable" : "not usable",
                    r.detail.c_str());
        for (const auto& note : r.notes) std::printf("         - %s\n", note.c_str());
    }
    std::string asked = driver_options.kind == DriverKind::automatic
                            ? "--driver auto"
                            : "--driver " + to_string(driver_options.kind);
    if (!chosen.empty())
        std::printf("%s: runs use %s\n", asked.c_str(), chosen.c_str());
    else
        std::printf("%s: %s\n", asked.c_str(), why_not.c_str());
    return 0;
}

}  // namespace supervise::cli
