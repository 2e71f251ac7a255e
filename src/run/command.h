#pragma once
// Turning a RunSpec's argv and environment into what execve() needs, checked before
// anything is created so "not found" and "not executable" never leave a cgroup behind.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace supervise::run {

// environ with overrides applied (a NAME in overrides replaces the inherited one).
std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides);

// Finds argv0 as a shell would: as a path when it has a '/', else in PATH (taken from
// environment). Relative paths are resolved against chdir when set. Throws CommandError
// (127 not found, 126 not executable).
std::string resolve_executable(const std::string& argv0,
                               const std::vector<std::string>& environment,
                               const std::optional<std::string>& chdir);

}  // namespace supervise::run
