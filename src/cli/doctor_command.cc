#include <cstdio>

#include "cli.h"

namespace supervise::cli {

int doctor_command(const RunOptions& options, bool json) {
    DriverOptions driver_options = to_driver_options(options);
    Diagnosis diagnosis = diagnose(driver_options);
    if (json) {
        std::printf("%s\n", to_json(diagnosis).c_str());
        return 0;
    }
    std::printf("cgroup layout: %s%s%s\n", diagnosis.layout.c_str(),
                diagnosis.unified_mount.empty() ? "" : ", cgroup2 at ",
                diagnosis.unified_mount.c_str());
    for (const auto& r : diagnosis.drivers) {
        std::printf("%-8s %s: %s\n", to_string(r.kind).c_str(), r.usable ? "usable" : "not usable",
                    r.detail.c_str());
        for (const auto& note : r.notes) std::printf("         - %s\n", note.c_str());
    }
    std::string asked = "--driver " + to_string(driver_options.kind);
    if (diagnosis.chosen)
        std::printf("%s: runs use %s\n", asked.c_str(), to_string(*diagnosis.chosen).c_str());
    else
        std::printf("%s: %s\n", asked.c_str(), diagnosis.why_none.c_str());
    return 0;
}

}  // namespace supervise::cli
