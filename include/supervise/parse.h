#pragma once
// Parsing of the human-friendly values of the command line and environment: sizes,
// durations and percentages. Every function throws UsageError with a message that names
// the bad value and shows a good one.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supervise {

// "512M", "4G", "1.5G", "2T", "1048576" (bytes), "25%" of physical_memory. Suffixes are
// binary (K = 1024) and may be followed by "B" or "iB". Sizes below 1M and percentages
// above 100% are refused.
std::uint64_t parse_size(std::string_view text, std::uint64_t physical_memory);

// "30" (seconds, as timeout(1)), "500ms", "10s", "5m", "1.5h", "2d", "1h30m". Zero is
// allowed (the caller decides what it means: --timeout 0 is "no timeout").
std::chrono::milliseconds parse_duration(std::string_view text);

// Digits only, up to 2^64 - 1: "12", not " 12", "+1", "1e3", "0x10" or "". Nothing
// otherwise (callers word the error: they know which value it was).
std::optional<std::uint64_t> parse_whole_number(std::string_view text);

// "50%" or "50" → 0.5. Must be in (0, max_percent].
double parse_percentage(std::string_view text, double max_percent);

// 536870912 → "512M"; 1610612736 → "1.5G"; below 1K → "123B".
std::string format_size(std::uint64_t bytes);

// 192.4 → "3m12s"; 0.25 → "0.25s"; 7322 → "2h2m".
std::string format_duration(double seconds);

// Bytes of physical memory of this machine (sysconf).
std::uint64_t physical_memory_bytes();

}  // namespace supervise
