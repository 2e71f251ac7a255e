#pragma once
// Owner records and waiter tickets on disk: "key=value" lines, written atomically.

#include <optional>
#include <string>

#include "supervise/lock.h"

namespace supervise::lock {

// Values of "key=value" lines: backslash and newline escaped.
std::string escape_value(const std::string& value);
std::string unescape_value(const std::string& value);

std::string serialize(const OwnerRecord& record);
// nullopt when the text is not a complete record (truncated, garbled).
std::optional<OwnerRecord> parse_owner_record(const std::string& text);

// Is the owner still holding? Run: its cgroup exists with the recorded id and is
// populated, in this boot. Process: a process with that pid and start time, this boot.
bool owner_is_alive(const OwnerRecord& record);

// /proc/PID/stat start time in clock ticks; nullopt when there is no such process (or it
// is a zombie: it has ended).
std::optional<std::uint64_t> process_start_time(pid_t pid);

}  // namespace supervise::lock
