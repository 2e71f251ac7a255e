#pragma once
// Errors that end a supervise operation. Expected outcomes (a timeout, an OOM kill, a busy
// lock) are values in the results, never exceptions.

#include <functional>
#include <stdexcept>
#include <string>

namespace supervise {

// Exit statuses, shell conventions (see supervise(1), EXIT STATUS).
inline constexpr int kExitTimeout = 124;
inline constexpr int kExitFailure = 125;  // supervise itself failed or was misused
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// Base of every error; carries the exit status the CLI ends with.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message, int exit_status = kExitFailure)
        : std::runtime_error(message), exit_status_(exit_status) {}
    int exit_status() const { return exit_status_; }

  private:
    int exit_status_;
};

// Bad input from the caller: an option value, a spec that contradicts itself.
class UsageError : public Error {
  public:
    explicit UsageError(const std::string& message) : Error(message, kExitFailure) {}
};

// A failed system call. what() reads "cannot <action> <path>: <strerror> (<hint>)".
class SystemError : public Error {
  public:
    SystemError(const std::string& action, const std::string& path, int error_number,
                const std::string& hint = {});
};

// Where the library's warnings go, one line each without "supervise: " (a record repaired,
// a cgroup that could not be removed): the library never prints. Empty: dropped.
using WarningSink = std::function<void(const std::string&)>;

// The command could not be started: not found (127) or not executable (126).
class CommandError : public Error {
  public:
    CommandError(const std::string& message, int exit_status) : Error(message, exit_status) {}
};

}  // namespace supervise
