#pragma once
// How lock names map onto the file system and the cgroup tree.

#include <cstdint>
#include <string>

namespace supervise::lock {

// Directory name of a pool: readable percent-encoding of the name (only [A-Za-z0-9._-]
// kept, no leading '.'); names that would encode past 200 bytes become "h-<hash>".
std::string encode_pool_name(const std::string& name);
// 64-bit FNV-1a of the name, 16 hex digits: the pool's mark in cgroup names.
std::string pool_hash(const std::string& name);
// Prefix shared by every run cgroup of one slot of one pool: "lock-<hash>-s<slot>-".
std::string slot_cgroup_prefix(const std::string& name, int slot);
bool valid_utf8(const std::string& text);

}  // namespace supervise::lock
