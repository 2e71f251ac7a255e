#pragma once
// Owner records and waiter tickets on disk: "key=value" lines, written atomically.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "supervise/lock.h"

namespace supervise::lock {

// Values of "key=value" lines: backslash and newline escaped.
std::string escape_value(const std::string& value);
std::string unescape_value(const std::string& value);

// The "key=value" lines of a record (owner records, task records), in order. Nothing when
// a line has no '=', or "version=1" or the closing "end=1" is missing (a record cut short).
using RecordFields = std::vector<std::pair<std::string, std::string>>;
std::optional<RecordFields> record_fields(const std::string& text);
// A field's number, to the last character: "", "2xyz", overflow throw std::invalid_argument.
std::uint64_t field_u64(const std::string& value);
int field_int(const std::string& value);
double field_double(const std::string& value);

// Seconds since the epoch, for records and "held for 3m12s".
double unix_now();

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
