#pragma once
// A task's record on disk ("key=value" lines, written atomically) and how to judge it.

#include <optional>
#include <string>

#include "supervise/task.h"

namespace supervise::task {

std::string serialize(const TaskRecord& record);
// nullopt when the text is not a complete record.
std::optional<TaskRecord> parse_task_record(const std::string& text);

// What a record means now: running while its cgroup is populated (or, before it has one,
// while its runner lives); a running record whose cgroup and runner are both gone is lost;
// a result older than its TTL is expired.
TaskStatus judge(const TaskRecord& record, std::optional<double> ttl, double now);

void validate_task_id(const std::string& id);

// What the cgroup of a task's run is named with: "task-<hash of the id>-".
std::string cgroup_prefix(const std::string& id);

}  // namespace supervise::task
