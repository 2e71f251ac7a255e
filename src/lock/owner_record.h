#pragma once
// Owner records on disk: the record codec's "key=value" lines, written atomically.

#include <optional>
#include <string>

#include "supervise/lock.h"

namespace supervise::lock {

std::string serialize(const OwnerRecord& record);
// nullopt when the text is not a complete record (truncated, garbled).
std::optional<OwnerRecord> parse_owner_record(const std::string& text);

// Is the owner still holding? Run: its cgroup exists with the recorded id and is
// populated, in this boot. Process: a process with that pid and start time, this boot.
bool owner_is_alive(const OwnerRecord& record);

}  // namespace supervise::lock
