#pragma once
// Small, exact file I/O for kernel interface files (cgroupfs, procfs) and state files.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supervise::sys {

// Whole file as text. Throws SystemError.
std::string read_file(const std::string& path);
// As read_file, but nothing when the file cannot be read (gone, no permission).
std::optional<std::string> try_read_file(const std::string& path);
// Writes text with a single write(2), as kernel interface files want. Throws SystemError
// whose action is `action` ("set memory limit in", ...).
void write_file(const std::string& path, std::string_view text,
                const std::string& action = "write");
// Non-throwing variant: returns errno, 0 on success.
int try_write_file(const std::string& path, std::string_view text);
// Appends text (O_APPEND, never through a symlink); returns errno, 0 on success.
int try_append_file(const std::string& path, std::string_view text);
// Writes to a temporary file beside path and renames it over path: never a half-written
// file. durable: fsync before the rename, for state that must survive a crash of the
// machine (task results); volatile state under /run (locks) does not need it.
void write_file_atomic(const std::string& path, std::string_view text, unsigned mode = 0644,
                       bool durable = true);

// Value of "key value" lines (memory.events, cpu.stat, memory.oom_control).
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key);
// First line parsed as an unsigned integer ("max" and garbage give nothing).
std::optional<std::uint64_t> parse_u64(std::string_view text);

bool path_exists(const std::string& path);

// mkdir 0700 (fine if it exists), then refuses anything one user could use against
// another: a symlink, not a directory, another (non-root) user's, writable by others
// without the sticky bit. Throws UsageError / SystemError.
void make_private_dir(const std::string& path);

}  // namespace supervise::sys
