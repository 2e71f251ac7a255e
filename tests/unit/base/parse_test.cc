#include "supervise/parse.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include "supervise/error.h"

namespace supervise {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t kK = 1024;
constexpr std::uint64_t kM = kK * kK;
constexpr std::uint64_t kG = kM * kK;
constexpr std::uint64_t kT = kG * kK;
constexpr std::uint64_t kMemory = 16 * kG;

// The message of the UsageError that call throws; a failure if it throws none.
template <typename Call>
std::string usage_error_of(Call call) {
    try {
        call();
    } catch (const UsageError& error) {
        return error.what();
    }
    ADD_FAILURE() << "no UsageError thrown";
    return {};
}

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

std::string size_error(std::string_view text, std::uint64_t memory = kMemory) {
    return usage_error_of([&] { parse_size(text, memory); });
}

std::string duration_error(std::string_view text) {
    return usage_error_of([&] { parse_duration(text); });
}

std::string percentage_error(std::string_view text, double max_percent = 100) {
    return usage_error_of([&] { parse_percentage(text, max_percent); });
}

// --- parse_size ---

TEST(ParseSize, PlainNumberIsBytes) {
    EXPECT_EQ(parse_size("1048576", kMemory), kM);
    EXPECT_EQ(parse_size("2000000", kMemory), 2000000u);
    EXPECT_EQ(parse_size("18446744073709551615", kMemory),
              std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseSize, AcceptsBytesSuffixAlone) {
    EXPECT_EQ(parse_size("2097152B", kMemory), 2 * kM);
    EXPECT_EQ(parse_size("2097152b", kMemory), 2 * kM);
}

TEST(ParseSize, SuffixesAreBinaryMultiples) {
    EXPECT_EQ(parse_size("2048K", kMemory), 2 * kM);
    EXPECT_EQ(parse_size("512M", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("4G", kMemory), 4 * kG);
    EXPECT_EQ(parse_size("2T", kMemory), 2 * kT);
}

TEST(ParseSize, SuffixIsCaseInsensitive) {
    EXPECT_EQ(parse_size("2048k", kMemory), 2 * kM);
    EXPECT_EQ(parse_size("512m", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("4g", kMemory), 4 * kG);
    EXPECT_EQ(parse_size("2t", kMemory), 2 * kT);
}

TEST(ParseSize, AcceptsTrailingBOrIB) {
    EXPECT_EQ(parse_size("512MB", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("512MiB", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("512mib", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("512MIB", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("512Mb", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("4GiB", kMemory), 4 * kG);
    EXPECT_EQ(parse_size("2048KiB", kMemory), 2 * kM);
    EXPECT_EQ(parse_size("1TB", kMemory), kT);
}

TEST(ParseSize, AcceptsFractions) {
    EXPECT_EQ(parse_size("1.5G", kMemory), 1610612736u);
    EXPECT_EQ(parse_size("0.5G", kMemory), 512 * kM);
    EXPECT_EQ(parse_size(".5G", kMemory), 512 * kM);
    EXPECT_EQ(parse_size("1.25M", kMemory), kM + kM / 4);
    EXPECT_EQ(parse_size("2.5T", kMemory), 2 * kT + kT / 2);
    EXPECT_EQ(parse_size("1.50000000000000000000000G", kMemory), 1610612736u);
}

TEST(ParseSize, RoundsFractionsToWholeBytes) {
    EXPECT_EQ(parse_size("1024.3K", kMemory), kM + 307);  // 307.2 bytes
    EXPECT_EQ(parse_size("1024.9K", kMemory), kM + 922);  // 921.6 bytes
}

TEST(ParseSize, PercentageIsShareOfPhysicalMemory) {
    EXPECT_EQ(parse_size("25%", kMemory), 4 * kG);
    EXPECT_EQ(parse_size("100%", kMemory), kMemory);
    EXPECT_EQ(parse_size("12.5%", kMemory), 2 * kG);
    EXPECT_EQ(parse_size("50%", 3 * kM + 1), 3 * kM / 2);  // rounded down
}

TEST(ParseSize, AcceptsExactlyTheMinimum) {
    EXPECT_EQ(parse_size("1M", kMemory), kM);
    EXPECT_EQ(parse_size("1024K", kMemory), kM);
    EXPECT_EQ(parse_size("1048576", kMemory), kM);
}

TEST(ParseSize, RefusesEmpty) {
    EXPECT_TRUE(contains(size_error(""), "invalid size ''"));
}

TEST(ParseSize, RefusesNegative) {
    EXPECT_TRUE(contains(size_error("-512M"), "'-512M'"));
    EXPECT_TRUE(contains(size_error("-1"), "'-1'"));
    EXPECT_TRUE(contains(size_error("-25%"), "'-25%'"));
}

TEST(ParseSize, RefusesGarbage) {
    for (const char* text :
         {"abc",    "M",   "G512",  "512 M", " 512M",   "512M ",  "5.M",      "5.",
          ".",      "1e9", "+512M", "512MM", "512MiBs", "512MBi", "0x100000", "1,5G",
          "1.5.5G", "%",   "25 %",  "25%%",  "25%M",    "512M%",  "1.5.G",    "512\tM"}) {
        std::string message = size_error(text);
        EXPECT_TRUE(contains(message, "invalid size '" + std::string(text) + "'"));
    }
}

TEST(ParseSize, RefusesUnknownSuffix) {
    EXPECT_TRUE(contains(size_error("12X"), "'12X'"));
    EXPECT_TRUE(contains(size_error("1P"), "'1P'"));
    EXPECT_TRUE(contains(size_error("1E"), "'1E'"));
    EXPECT_TRUE(contains(size_error("1048576iB"), "'1048576iB'"));
}

TEST(ParseSize, InvalidSizeMessageShowsGoodExamples) {
    EXPECT_EQ(size_error("12X"),
              "invalid size '12X' (use a number with K, M, G or T, e.g. 512M, or a percentage "
              "of memory, e.g. 25%)");
}

TEST(ParseSize, RefusesFractionOfAByte) {
    EXPECT_TRUE(contains(size_error("1048576.5"), "'1048576.5'"));
    EXPECT_TRUE(contains(size_error("1048576.0B"), "'1048576.0B'"));
}

TEST(ParseSize, RefusesZeroPercent) {
    EXPECT_TRUE(contains(size_error("0%"), "'0%'"));
    EXPECT_TRUE(contains(size_error("0.0%"), "'0.0%'"));
}

TEST(ParseSize, RefusesPercentageAbove100) {
    EXPECT_EQ(size_error("150%"), "size '150%' is above 100% of memory");
    EXPECT_TRUE(contains(size_error("100.1%"), "'100.1%'"));
    EXPECT_TRUE(contains(size_error("99999999999999999999999%"), "'99999999999999999999999%'"));
}

TEST(ParseSize, RefusesPercentageWhenMemoryIsUnknown) {
    EXPECT_TRUE(contains(size_error("25%", 0), "'25%'"));
}

TEST(ParseSize, RefusesBelowMinimum) {
    EXPECT_EQ(size_error("512K"), "size '512K' is below the minimum of 1M");
    EXPECT_TRUE(contains(size_error("100K"), "'100K'"));
    EXPECT_TRUE(contains(size_error("0"), "'0'"));
    EXPECT_TRUE(contains(size_error("0M"), "'0M'"));
    EXPECT_TRUE(contains(size_error("1048575"), "'1048575'"));
    EXPECT_TRUE(contains(size_error("0.5M"), "'0.5M'"));
    EXPECT_TRUE(contains(size_error("1%", 64 * kM), "'1%'"));
}

TEST(ParseSize, RefusesOverflow) {
    EXPECT_EQ(parse_size("16777215T", kMemory), 16777215 * kT);
    EXPECT_TRUE(contains(size_error("16777216T"), "'16777216T'"));  // 2^64
    EXPECT_TRUE(contains(size_error("17179869184G"), "'17179869184G'"));
    EXPECT_TRUE(contains(size_error("18446744073709551616"), "'18446744073709551616'"));
    EXPECT_TRUE(contains(size_error("99999999999999999999999G"), "'99999999999999999999999G'"));
    // The fraction rounds up to a whole T.
    EXPECT_TRUE(
        contains(size_error("16777215.99999999999999999T"), "'16777215.99999999999999999T'"));
}

// --- parse_duration ---

TEST(ParseDuration, PlainNumberIsSeconds) {
    EXPECT_EQ(parse_duration("30"), milliseconds(30'000));
    EXPECT_EQ(parse_duration("1.5"), milliseconds(1'500));
    EXPECT_EQ(parse_duration("0.25"), milliseconds(250));
    EXPECT_EQ(parse_duration(".5"), milliseconds(500));
}

TEST(ParseDuration, AcceptsEachUnit) {
    EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
    EXPECT_EQ(parse_duration("10s"), milliseconds(10'000));
    EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
    EXPECT_EQ(parse_duration("2h"), milliseconds(7'200'000));
    EXPECT_EQ(parse_duration("2d"), milliseconds(172'800'000));
}

TEST(ParseDuration, AcceptsFractionsOfUnits) {
    EXPECT_EQ(parse_duration("1.5h"), milliseconds(5'400'000));
    EXPECT_EQ(parse_duration("0.5m"), milliseconds(30'000));
    EXPECT_EQ(parse_duration("2.5s"), milliseconds(2'500));
    EXPECT_EQ(parse_duration("0.5d"), milliseconds(43'200'000));
}

TEST(ParseDuration, AcceptsCombinations) {
    EXPECT_EQ(parse_duration("1h30m"), milliseconds(5'400'000));
    EXPECT_EQ(parse_duration("2m30s"), milliseconds(150'000));
    EXPECT_EQ(parse_duration("1m500ms"), milliseconds(60'500));
    EXPECT_EQ(parse_duration("1d2h3m4s5ms"), milliseconds(93'784'005));
}

TEST(ParseDuration, AcceptsZero) {
    EXPECT_EQ(parse_duration("0"), milliseconds(0));
    EXPECT_EQ(parse_duration("0s"), milliseconds(0));
    EXPECT_EQ(parse_duration("0ms"), milliseconds(0));
    EXPECT_EQ(parse_duration("0.0"), milliseconds(0));
}

TEST(ParseDuration, RoundsToMilliseconds) {
    EXPECT_EQ(parse_duration("1.0006"), milliseconds(1'001));
    // below the resolution is the resolution: never 0, which would mean "none"
    EXPECT_EQ(parse_duration("0.0004s"), milliseconds(1));
    EXPECT_EQ(parse_duration("0.1ms"), milliseconds(1));
    EXPECT_EQ(parse_duration("0"), milliseconds(0));
    EXPECT_EQ(parse_duration("1.5ms"), milliseconds(2));
}

TEST(ParseDuration, RefusesEmpty) {
    EXPECT_TRUE(contains(duration_error(""), "invalid duration ''"));
}

TEST(ParseDuration, RefusesNegative) {
    EXPECT_TRUE(contains(duration_error("-5"), "'-5'"));
    EXPECT_TRUE(contains(duration_error("-5s"), "'-5s'"));
    EXPECT_TRUE(contains(duration_error("1h-30m"), "'1h-30m'"));
}

TEST(ParseDuration, RefusesGarbage) {
    for (const char* text :
         {"abc",   "s",   "5x", "5 s", " 5s", "5s ", "1h 30m", "1m30", "5sec", "5S", "5M",
          "1..5s", "5.s", "5.", "1e3", "+5",  "5us", "h1",     "1,5s", "30%",  "1hh"}) {
        std::string message = duration_error(text);
        EXPECT_TRUE(contains(message, "invalid duration '" + std::string(text) + "'"));
    }
}

TEST(ParseDuration, InvalidDurationMessageShowsGoodExamples) {
    EXPECT_EQ(duration_error("5x"),
              "invalid duration '5x' (use seconds, e.g. 30, or a number with ms, s, m, h or d, "
              "e.g. 500ms, 1h30m)");
}

TEST(ParseDuration, RefusesOverflow) {
    EXPECT_EQ(parse_duration("36500d"), milliseconds(36500LL * 86'400'000));
    EXPECT_TRUE(contains(duration_error("36501d"), "duration '36501d' is too long"));
    EXPECT_TRUE(contains(duration_error("99999999999999999999999"), "'99999999999999999999999'"));
    EXPECT_TRUE(contains(duration_error("9223372036854775807ms"), "'9223372036854775807ms'"));
    EXPECT_TRUE(contains(duration_error("18446744073709551616d"), "'18446744073709551616d'"));
}

// --- parse_percentage ---

TEST(ParsePercentage, AcceptsWithOrWithoutPercentSign) {
    EXPECT_DOUBLE_EQ(parse_percentage("50%", 100), 0.5);
    EXPECT_DOUBLE_EQ(parse_percentage("50", 100), 0.5);
    EXPECT_DOUBLE_EQ(parse_percentage("12.5", 100), 0.125);
    EXPECT_DOUBLE_EQ(parse_percentage("0.5%", 100), 0.005);
}

TEST(ParsePercentage, AcceptsExactlyTheMaximum) {
    EXPECT_DOUBLE_EQ(parse_percentage("100%", 100), 1.0);
    EXPECT_DOUBLE_EQ(parse_percentage("400", 400), 4.0);
}

TEST(ParsePercentage, AcceptsAboveHundredWhenMaximumAllows) {
    EXPECT_DOUBLE_EQ(parse_percentage("250%", 400), 2.5);
}

TEST(ParsePercentage, RefusesZero) {
    EXPECT_EQ(percentage_error("0%"), "percentage '0%' must be above 0%");
    EXPECT_TRUE(contains(percentage_error("0"), "'0'"));
    EXPECT_TRUE(contains(percentage_error("0.000"), "'0.000'"));
}

TEST(ParsePercentage, RefusesAboveMaximum) {
    EXPECT_EQ(percentage_error("150%"), "percentage '150%' is above 100%");
    EXPECT_EQ(percentage_error("100.5", 100), "percentage '100.5' is above 100%");
    EXPECT_EQ(percentage_error("401%", 400), "percentage '401%' is above 400%");
    EXPECT_EQ(percentage_error("50%", 12.5), "percentage '50%' is above 12.5%");
    EXPECT_TRUE(contains(percentage_error("99999999999999999999999"), "'99999999999999999999999'"));
}

TEST(ParsePercentage, RefusesGarbage) {
    for (const char* text : {"", "%", "abc", "fifty", "-5%", "-5", "50%%", "50 %", " 50", "50.",
                             "5e1", "50%x", "+50"}) {
        std::string message = percentage_error(text);
        EXPECT_TRUE(contains(message, "invalid percentage '" + std::string(text) + "'"));
    }
}

TEST(ParsePercentage, InvalidPercentageMessageShowsGoodExample) {
    EXPECT_EQ(percentage_error("abc"), "invalid percentage 'abc' (use a number, e.g. 50%)");
}

// --- format_size ---

TEST(FormatSize, WholeUnits) {
    EXPECT_EQ(format_size(1024), "1K");
    EXPECT_EQ(format_size(512 * kM), "512M");
    EXPECT_EQ(format_size(4 * kG), "4G");
    EXPECT_EQ(format_size(2 * kT), "2T");
    EXPECT_EQ(format_size(1023 * kM), "1023M");
}

TEST(FormatSize, BelowOneKiBIsBytes) {
    EXPECT_EQ(format_size(0), "0B");
    EXPECT_EQ(format_size(1), "1B");
    EXPECT_EQ(format_size(123), "123B");
    EXPECT_EQ(format_size(1023), "1023B");
}

TEST(FormatSize, AtMostOneDecimal) {
    EXPECT_EQ(format_size(1610612736), "1.5G");
    EXPECT_EQ(format_size(1536), "1.5K");
    EXPECT_EQ(format_size(kM + kM / 4), "1.3M");  // 1.25 rounds half up
    EXPECT_EQ(format_size(kG + kG / 10), "1.1G");
    EXPECT_EQ(format_size(3 * kG + kG / 3), "3.3G");
}

TEST(FormatSize, DropsPointZero) {
    EXPECT_EQ(format_size(kG + 1), "1G");
    EXPECT_EQ(format_size(kM + kM / 100), "1M");  // 1.01M
}

TEST(FormatSize, RoundingUpMovesToTheNextUnit) {
    EXPECT_EQ(format_size(kM - 1), "1M");
    EXPECT_EQ(format_size(kG - 1), "1G");
    EXPECT_EQ(format_size(2 * kK - 1), "2K");
}

TEST(FormatSize, LargestValue) {
    EXPECT_EQ(format_size(std::numeric_limits<std::uint64_t>::max()), "16E");
    EXPECT_EQ(format_size(1024 * kT), "1P");
}

TEST(FormatSize, RoundTripsWithParseSize) {
    for (const char* text : {"1M", "512M", "1.5G", "4G", "2T", "2.5T", "1023M", "1.1G"})
        EXPECT_EQ(format_size(parse_size(text, kMemory)), text);
}

// --- format_duration ---

TEST(FormatDuration, UnderAMinuteIsSecondsWithUpToTwoDecimals) {
    EXPECT_EQ(format_duration(45), "45s");
    EXPECT_EQ(format_duration(0.25), "0.25s");
    EXPECT_EQ(format_duration(1.5), "1.5s");
    EXPECT_EQ(format_duration(12.34), "12.34s");
    EXPECT_EQ(format_duration(12.346), "12.35s");
    EXPECT_EQ(format_duration(59.99), "59.99s");
    EXPECT_EQ(format_duration(0.05), "0.05s");
}

TEST(FormatDuration, Zero) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(0.001), "0s");
}

TEST(FormatDuration, MinutesAndSeconds) {
    EXPECT_EQ(format_duration(192.4), "3m12s");
    EXPECT_EQ(format_duration(60), "1m");
    EXPECT_EQ(format_duration(59.999), "1m");
    EXPECT_EQ(format_duration(150), "2m30s");
    EXPECT_EQ(format_duration(3599), "59m59s");
}

TEST(FormatDuration, HoursAndMinutes) {
    EXPECT_EQ(format_duration(7322), "2h2m");
    EXPECT_EQ(format_duration(3600), "1h");
    EXPECT_EQ(format_duration(3659), "1h");
    EXPECT_EQ(format_duration(5400), "1h30m");
}

TEST(FormatDuration, DaysAndHours) {
    EXPECT_EQ(format_duration(86400), "1d");
    EXPECT_EQ(format_duration(90061), "1d1h");
    EXPECT_EQ(format_duration(10 * 86400 + 3 * 3600 + 59 * 60), "10d3h");
}

TEST(FormatDuration, NegativeOrNotANumberIsZero) {
    EXPECT_EQ(format_duration(-3), "0s");
    EXPECT_EQ(format_duration(std::nan("")), "0s");
}

TEST(FormatDuration, HugeValuesDoNotOverflow) {
    EXPECT_FALSE(format_duration(1e300).empty());
    EXPECT_FALSE(format_duration(std::numeric_limits<double>::infinity()).empty());
}

// --- physical_memory_bytes ---

TEST(ParseWholeNumber, DigitsOnly) {
    EXPECT_EQ(parse_whole_number("0"), 0u);
    EXPECT_EQ(parse_whole_number("18446744073709551615"), 18446744073709551615u);
    for (const char* bad :
         {"", " 1", "1 ", "+1", "-1", "1e3", "0x10", "12a", "18446744073709551616"})
        EXPECT_FALSE(parse_whole_number(bad)) << bad;
}

TEST(PhysicalMemoryBytes, IsWholePagesOfPlausibleSize) {
    std::uint64_t bytes = physical_memory_bytes();
    EXPECT_GE(bytes, 64 * kM);
    EXPECT_EQ(bytes % static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)), 0u);
}

TEST(PhysicalMemoryBytes, MatchesMemTotal) {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    while (meminfo >> key && key != "MemTotal:") meminfo.ignore(256, '\n');
    ASSERT_TRUE(meminfo >> kib);
    // MemTotal is in kB, so it may differ from whole pages by less than a page.
    auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    std::uint64_t expected = kib * 1024;
    std::uint64_t actual = physical_memory_bytes();
    EXPECT_LT(actual > expected ? actual - expected : expected - actual, page);
}

}  // namespace
}  // namespace supervise
