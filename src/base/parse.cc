#include "supervise/parse.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>

#include "supervise/error.h"

namespace supervise {

namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * 1024;
constexpr std::uint64_t kMinimumSize = kMiB;

// Kept well below what std::chrono::nanoseconds can hold (about 292 years), so that a
// caller can add the duration to a clock's now() without overflowing.
constexpr std::int64_t kMaximumDurationDays = 36500;
constexpr std::int64_t kMaximumDurationMs = kMaximumDurationDays * 24 * 3600 * 1000;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// A non-negative decimal number: digits, optionally a point and more digits (".5" is fine,
// "5." is not). No sign, exponent or blanks: in a size or a duration those are typos.
struct Decimal {
    std::uint64_t whole = 0;
    bool whole_overflows = false;
    long double fraction = 0;  // in [0, 1)
    bool has_fraction = false;

    long double value() const {
        return whole_overflows ? std::numeric_limits<long double>::infinity()
                               : static_cast<long double>(whole) + fraction;
    }
    bool is_zero() const { return !whole_overflows && whole == 0 && fraction == 0; }
};

// Takes the number at the start of text and removes it from text.
std::optional<Decimal> take_decimal(std::string_view& text) {
    Decimal number;
    size_t i = 0;
    size_t whole_digits = 0;
    for (; i < text.size() && is_digit(text[i]); ++i, ++whole_digits) {
        unsigned digit = static_cast<unsigned>(text[i] - '0');
        if (number.whole > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            number.whole_overflows = true;
        else
            number.whole = number.whole * 10 + digit;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        // Digits past the 18th weigh less than 1e-18 and are ignored; 10^18 fits in 64 bits.
        std::uint64_t digits = 0;
        std::uint64_t scale = 1;
        size_t fraction_digits = 0;
        for (; i < text.size() && is_digit(text[i]); ++i, ++fraction_digits) {
            if (fraction_digits < 18) {
                digits = digits * 10 + static_cast<unsigned>(text[i] - '0');
                scale *= 10;
            }
        }
        if (fraction_digits == 0) return std::nullopt;
        number.fraction = static_cast<long double>(digits) / static_cast<long double>(scale);
        number.has_fraction = true;
    } else if (whole_digits == 0) {
        return std::nullopt;
    }
    text.remove_prefix(i);
    return number;
}

// Binary multiple of a size suffix: "", "B", "K", "KB", "KiB", ... (case-insensitive).
std::optional<std::uint64_t> size_multiple(std::string_view suffix) {
    static constexpr std::pair<char, std::uint64_t> kMultiples[] = {
        {'k', kKiB}, {'m', kMiB}, {'g', kMiB * kKiB}, {'t', kMiB * kMiB}};
    std::uint64_t multiple = 1;
    for (const auto& [letter, bytes] : kMultiples) {
        if (!suffix.empty() && lower(suffix.front()) == letter) {
            multiple = bytes;
            suffix.remove_prefix(1);
            break;
        }
    }
    auto is = [&](std::string_view unit) {
        if (suffix.size() != unit.size()) return false;
        for (size_t i = 0; i < unit.size(); ++i)
            if (lower(suffix[i]) != unit[i]) return false;
        return true;
    };
    // "1048576B" is bytes, "1048576iB" a typo.
    if (suffix.empty() || is("b") || (multiple != 1 && is("ib"))) return multiple;
    return std::nullopt;
}

UsageError invalid_size(std::string_view text) {
    return UsageError(fmt::format(
        "invalid size '{}' (use a number with K, M, G or T, e.g. 512M, or a percentage of "
        "memory, e.g. 25%)",
        text));
}

UsageError invalid_duration(std::string_view text) {
    return UsageError(fmt::format(
        "invalid duration '{}' (use seconds, e.g. 30, or a number with ms, s, m, h or d, "
        "e.g. 500ms, 1h30m)",
        text));
}

std::uint64_t share_of_memory(std::string_view text, const Decimal& percent,
                              std::uint64_t physical_memory) {
    if (percent.is_zero())
        throw UsageError(fmt::format("size '{}' must be above 0% of memory (e.g. 25%)", text));
    if (percent.value() > 100)
        throw UsageError(fmt::format("size '{}' is above 100% of memory", text));
    if (physical_memory == 0)
        throw UsageError(fmt::format(
            "size '{}' is a share of memory, but the amount of memory is unknown (use e.g. 512M)",
            text));
    // At most physical_memory, so the conversion back cannot overflow.
    return static_cast<std::uint64_t>(
        std::floor(static_cast<long double>(physical_memory) * percent.value() / 100));
}

// Milliseconds in one duration unit at the start of text, removed from text; 0 if none.
std::int64_t take_duration_unit(std::string_view& text) {
    // "ms" before "m".
    static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    for (const auto& [name, milliseconds] : kUnits) {
        if (text.substr(0, name.size()) == name) {
            text.remove_prefix(name.size());
            return milliseconds;
        }
    }
    return 0;
}

}  // namespace

std::uint64_t parse_size(std::string_view text, std::uint64_t physical_memory) {
    std::string_view rest = text;
    auto number = take_decimal(rest);
    if (!number) throw invalid_size(text);

    std::uint64_t bytes = 0;
    if (rest == "%") {
        bytes = share_of_memory(text, *number, physical_memory);
    } else {
        auto multiple = size_multiple(rest);
        // A fraction of a byte is a typo (the unit was forgotten).
        if (!multiple || (*multiple == 1 && number->has_fraction)) throw invalid_size(text);
        auto too_large = [&] { return UsageError(fmt::format("size '{}' is too large", text)); };
        constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
        if (number->whole_overflows || number->whole > kMax / *multiple) throw too_large();
        bytes = number->whole * *multiple;
        auto fraction = static_cast<std::uint64_t>(
            std::llround(number->fraction * static_cast<long double>(*multiple)));
        if (bytes > kMax - fraction) throw too_large();
        bytes += fraction;
    }
    if (bytes < kMinimumSize)
        throw UsageError(
            fmt::format("size '{}' is below the minimum of {}", text, format_size(kMinimumSize)));
    return bytes;
}

std::chrono::milliseconds parse_duration(std::string_view text) {
    std::string_view rest = text;
    long double total = 0;  // milliseconds
    bool first = true;
    do {
        auto number = take_decimal(rest);
        if (!number) throw invalid_duration(text);
        std::int64_t unit = take_duration_unit(rest);
        if (unit == 0) {
            // A plain number means seconds, but only on its own: "1m30" is a typo.
            if (!first || !rest.empty()) throw invalid_duration(text);
            unit = 1000;
        }
        total += number->value() * static_cast<long double>(unit);
        first = false;
    } while (!rest.empty());
    if (total > static_cast<long double>(kMaximumDurationMs))
        throw UsageError(
            fmt::format("duration '{}' is too long (the most is {}d)", text, kMaximumDurationDays));
    // Below the resolution is the resolution, never zero ("no timeout").
    if (total > 0 && total < 1) total = 1;
    return std::chrono::milliseconds(std::llround(total));
}

std::optional<std::uint64_t> parse_whole_number(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || !is_digit(text.front()) || ec != std::errc() ||
        end != text.data() + text.size())
        return std::nullopt;
    return value;
}

double parse_percentage(std::string_view text, double max_percent) {
    std::string_view rest = text;
    auto number = take_decimal(rest);
    if (!number || !(rest.empty() || rest == "%"))
        throw UsageError(fmt::format("invalid percentage '{}' (use a number, e.g. 50%)", text));
    if (number->is_zero()) throw UsageError(fmt::format("percentage '{}' must be above 0%", text));
    if (number->value() > max_percent)
        throw UsageError(fmt::format("percentage '{}' is above {}%", text, max_percent));
    return static_cast<double>(number->value() / 100);
}

std::string format_size(std::uint64_t bytes) {
    static constexpr char kUnits[] = {'K', 'M', 'G', 'T', 'P', 'E'};
    if (bytes < kKiB) return fmt::format("{}B", bytes);
    size_t index = 0;
    std::uint64_t unit = kKiB;
    while (index + 1 < std::size(kUnits) && bytes / unit >= kKiB) {
        unit *= kKiB;
        ++index;
    }
    std::uint64_t whole = bytes / unit;
    // remainder * 10 < 2^64 because unit <= 2^60.
    std::uint64_t tenths = (bytes % unit * 10 + unit / 2) / unit;
    if (tenths == 10) {
        ++whole;
        tenths = 0;
        // 1023.96K shows as 1M, not 1024K.
        if (whole == kKiB && index + 1 < std::size(kUnits)) {
            whole = 1;
            ++index;
        }
    }
    if (tenths == 0) return fmt::format("{}{}", whole, kUnits[index]);
    return fmt::format("{}.{}{}", whole, tenths, kUnits[index]);
}

std::string format_duration(double seconds) {
    if (!(seconds > 0)) return "0s";  // also NaN
    // Under a minute: up to two decimals, trailing zeros dropped.
    if (seconds < 60) {
        auto hundredths = std::llround(seconds * 100);
        if (hundredths < 6000) {
            auto whole = hundredths / 100;
            auto fraction = hundredths % 100;
            if (fraction == 0) return fmt::format("{}s", whole);
            if (fraction % 10 == 0) return fmt::format("{}.{}s", whole, fraction / 10);
            return fmt::format("{}.{:02}s", whole, fraction);
        }
    }
    // Otherwise the two largest units, the smaller one left out when zero: "3m12s", "1h".
    constexpr double kMaxSeconds = 1e15;  // beyond, llround cannot be trusted
    auto total = std::llround(std::min(seconds, kMaxSeconds));
    auto days = total / 86400;
    auto hours = total / 3600 % 24;
    auto minutes = total / 60 % 60;
    auto secs = total % 60;
    auto pair = [](long long major, char major_unit, long long minor, char minor_unit) {
        if (minor == 0) return fmt::format("{}{}", major, major_unit);
        return fmt::format("{}{}{}{}", major, major_unit, minor, minor_unit);
    };
    if (days > 0) return pair(days, 'd', hours, 'h');
    if (hours > 0) return pair(hours, 'h', minutes, 'm');
    return pair(minutes, 'm', secs, 's');
}

std::uint64_t physical_memory_bytes() {
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return 0;  // parse_size then refuses percentages
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

}  // namespace supervise
