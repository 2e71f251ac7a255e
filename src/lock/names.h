#pragma once
// How lock names map onto the cgroup tree.

#include <string>

namespace supervise::lock {

// Prefix shared by every run cgroup of one pool: "lock-<hash of the name>-".
std::string pool_cgroup_prefix(const std::string& name);
// Prefix shared by every run cgroup of one slot of one pool: "lock-<hash>-s<slot>-".
std::string slot_cgroup_prefix(const std::string& name, int slot);

}  // namespace supervise::lock
