#pragma once
// Small, exact file I/O for kernel interface files (cgroupfs, procfs) and state files;
// directory listings; private directories; flock(2).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervise/sys/fd.h"

namespace supervise::sys {

// Whole file as text. Throws SystemError.
std::string read_file(const std::string& path);
// As read_file, but nothing when the file cannot be read (gone, no permission).
std::optional<std::string> try_read_file(const std::string& path);
// A state file of ours (record, ticket, pool metadata), which anyone who could write the
// state directory may have replaced: nothing when it does not exist or cannot be read
// (no permission, an I/O error); "" (reads as corrupt) when it is a symlink, not a
// regular file (a FIFO would hang us), larger than `most`, or owned by another user than
// us and root (whatever it says, we did not write it).
inline constexpr size_t kMaxStateFile = 64 * 1024;
std::optional<std::string> read_state_file(const std::string& path, size_t most = kMaxStateFile);
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
// Leading blanks skipped, then an unsigned integer ("max" and garbage give nothing); what
// follows it is ignored. For kernel files: user input wants parse_whole_number().
std::optional<std::uint64_t> parse_u64(std::string_view text);

bool path_exists(const std::string& path);

// A file a user named for our output (--result): where it is missing or a regular file it
// is replaced atomically (write_file_atomic: its directory must be writable); a character
// device, a pipe or one of our descriptors (/dev/stdout, /proc/self/fd/N) is written in
// place (appended); anything else (a symlink to a file, which rename would replace, a
// directory, a block device) is refused. check_output_file says so before
// anything is done (UsageError / SystemError); write_output_file writes.
void check_output_file(const std::string& path);
void write_output_file(const std::string& path, std::string_view text);

struct DirectoryEntry {
    std::string name;
    bool is_directory = false;
};
// The entries of a directory, without "." and ".."; without any other name starting
// with '.' unless hidden is set. Empty when the directory cannot be read.
std::vector<DirectoryEntry> list_directory(const std::string& path, bool hidden = false);
// Removes a directory and the files in it (not recursive: it holds no directories).
void remove_directory(const std::string& path);

// mkdir 0700 (fine if it exists), then refuses anything one user could use against
// another: a symlink, not a directory, another (non-root) user's, writable by others
// without the sticky bit. `what` names it in messages ("state directory"). Throws
// UsageError / SystemError.
void make_private_dir(const std::string& path, const std::string& what = "");

// The way to a state directory, checked before it is used: every directory on the way is
// root's or ours and not writable by others without the sticky bit (/tmp; the group write
// bit of our own user-private group does not count), so nobody else
// can swap a directory under us; a symlink on the way is followed only when it is root's
// or ours, and the path itself is never a symlink ("LINK/." included). Relative paths
// start at the working directory; "." and ".." are resolved. Returns the absolute path,
// its symlinks resolved. Throws UsageError (naming `what`), SystemError.
std::string check_path_to(const std::string& path, const std::string& what);

// An exclusive flock(2) on a file, held until release() or destruction.
class FileLock {
  public:
    // Opens path (never through a symlink; created 0600 when missing if create is set)
    // and waits for the lock. Nothing when path does not exist and create is not set.
    // Throws SystemError, UsageError (not a regular file).
    static std::optional<FileLock> wait(const std::string& path, bool create);
    // Creates path, which must not exist yet, and locks it at once: a file whose lock
    // shows that its creator still lives. `what` names it in errors. Throws SystemError.
    static FileLock create_exclusive(const std::string& path, const std::string& what);
    // Whether a live process holds a lock on path (false when path is gone, or unlocked).
    static bool held_elsewhere(const std::string& path);

    int fd() const { return fd_.get(); }
    void release() { fd_.reset(); }
    // Whether path still names the file we hold the lock on (not unlinked or replaced
    // while we waited for it).
    bool still_at(const std::string& path) const;

  private:
    explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace supervise::sys
