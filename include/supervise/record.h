#pragma once
// The base layer's records and names: "key=value" state files (owner records, waiter
// tickets, task records), file names for arbitrary strings, and wall-clock time.

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supervise {

// Values of "key=value" lines: backslash and newline escaped.
std::string escape_value(std::string_view value);
std::string unescape_value(std::string_view value);

// Writes a record: "version=1", the fields in order, then "end=1" (a record without it
// was cut short).
class RecordWriter {
  public:
    RecordWriter() { raw("version", "1"); }
    // Escaped.
    RecordWriter& field(std::string_view key, std::string_view value);
    template <std::integral T>
    RecordWriter& field(std::string_view key, T value) {
        return raw(key, std::to_string(value));
    }
    // Shortest text that reads back as the same double.
    RecordWriter& field(std::string_view key, double value);
    // Not escaped: for values that cannot hold a newline or backslash.
    RecordWriter& raw(std::string_view key, std::string_view value);
    std::string finish() const;

  private:
    std::string text_;
};

// The "key=value" lines of a record, in order, values still escaped. Nothing when a line
// has no '=', or "version=1" or the closing "end=1" is missing.
using RecordFields = std::vector<std::pair<std::string, std::string>>;
std::optional<RecordFields> record_fields(const std::string& text);
// Every "key=value" line of text, whatever else it holds: for files whose text is only
// informative (a waiter's ticket).
RecordFields record_lines(const std::string& text);
// A field's number, to the last character: "", "2xyz", overflow throw std::invalid_argument.
std::uint64_t field_u64(const std::string& value);
int field_int(const std::string& value);
double field_double(const std::string& value);

// A file name for any string: readable percent-encoding (only [A-Za-z0-9._-] kept, no
// leading '.'), so that no name can escape its directory; names that would encode past
// 200 bytes become "h-<hash>".
std::string encode_file_name(const std::string& name);
// The name encode_file_name made file_name from; nothing for a hashed (long) name, or for
// text it cannot have made.
std::optional<std::string> decode_file_name(const std::string& file_name);
// 64-bit FNV-1a of text, 16 hex digits.
std::string name_hash(const std::string& text);
bool valid_utf8(const std::string& text);
// text for a terminal: control characters (C0 but tab, DEL, and C1 as UTF-8) as \xNN or
// \u00NN, so that no name or command can move the cursor, retitle the window or fake a
// line of ours.
std::string printable(std::string_view text);

// text cut to at most `most` bytes, at a character boundary, with "..." where it was cut:
// a command line in a record stays far below the size a state file may have.
std::string clip(std::string_view text, size_t most = 4096);

// Seconds since the epoch, for records and "held for 3m12s".
double unix_now();

}  // namespace supervise
