#pragma once
// The command line: CLI11 parses into these plain structs, then the library does the
// work. Nothing below src/cli sees CLI11.

#include <optional>
#include <string>
#include <vector>

#include "supervise/run.h"

namespace supervise::cli {

// What the user typed for a run, as text: values are parsed (and errors worded) after
// CLI11, so messages name the option and show a good value.
struct RunOptions {
    std::string memory, memory_high, swap, memory_warn, tasks, cpu, timeout, kill_after;
    std::string driver, cgroup_root, log, result_file, chdir, systemd_manager;
    std::vector<std::string> setenv;
    bool json = false;
    bool dry_run = false;
    std::vector<std::string> command;
};

struct GlobalOptions {
    int verbosity = 0;  // -1 quiet, 0 normal, 1+ verbose
};

// Converts RunOptions into a RunSpec. Throws UsageError naming the option.
RunSpec to_run_spec(const RunOptions& options);
DriverOptions to_driver_options(const RunOptions& options);

int run_command(const RunOptions& options, const GlobalOptions& global);
int doctor_command(const RunOptions& options, bool json);

// "supervise: <text>" on stderr; suppressed by -q unless it is an error.
void message(const GlobalOptions& global, const std::string& text);
void error_message(const std::string& text);

}  // namespace supervise::cli
