#include "supervise/record.h"

#include <fmt/format.h>

#include <chrono>
#include <sstream>
#include <stdexcept>

namespace supervise {

std::string escape_value(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string unescape_value(std::string_view value) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            out += value[i + 1] == 'n' ? '\n' : value[i + 1];
            ++i;
        } else {
            out += value[i];
        }
    }
    return out;
}

RecordWriter& RecordWriter::raw(std::string_view key, std::string_view value) {
    text_.append(key).append("=").append(value).append("\n");
    return *this;
}

RecordWriter& RecordWriter::field(std::string_view key, std::string_view value) {
    return raw(key, escape_value(value));
}

RecordWriter& RecordWriter::field(std::string_view key, double value) {
    return raw(key, fmt::format("{}", value));
}

std::string RecordWriter::finish() const {
    return text_ + "end=1\n";
}

RecordFields record_lines(const std::string& text) {
    RecordFields fields;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (auto equals = line.find('='); equals != std::string::npos)
            fields.emplace_back(line.substr(0, equals), line.substr(equals + 1));
    return fields;
}

std::optional<RecordFields> record_fields(const std::string& text) {
    RecordFields fields;
    bool version = false, end = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto equals = line.find('=');
        if (equals == std::string::npos) return std::nullopt;
        std::string key = line.substr(0, equals), value = line.substr(equals + 1);
        if (key == "version") version = value == "1";
        if (key == "end") end = value == "1";
        fields.emplace_back(std::move(key), std::move(value));
    }
    if (!version || !end) return std::nullopt;
    return fields;
}

namespace {
template <typename Parse>
auto whole_number(const std::string& value, Parse parse) {
    size_t used = 0;
    auto number = parse(value, &used);  // throws std::invalid_argument / std::out_of_range
    if (value.empty() || used != value.size()) throw std::invalid_argument(value);
    return number;
}
}  // namespace

std::uint64_t field_u64(const std::string& value) {
    // stoull accepts "-1" (and wraps it): a count or an id never has a sign
    if (value.empty() || value[0] < '0' || value[0] > '9') throw std::invalid_argument(value);
    return whole_number(value, [](const std::string& v, size_t* n) { return std::stoull(v, n); });
}
int field_int(const std::string& value) {
    return whole_number(value, [](const std::string& v, size_t* n) { return std::stoi(v, n); });
}
double field_double(const std::string& value) {
    return whole_number(value, [](const std::string& v, size_t* n) { return std::stod(v, n); });
}

std::string name_hash(const std::string& text) {
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return fmt::format("{:016x}", hash);
}

std::string encode_file_name(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '-' || (c == '.' && i > 0);
        if (plain)
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    if (out.size() > 200) return "h-" + name_hash(name);
    return out;
}

std::optional<std::string> decode_file_name(const std::string& file_name) {
    bool hashed = file_name.size() == 18 && file_name.starts_with("h-") &&
                  file_name.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
    if (hashed) return std::nullopt;
    std::string name;
    for (size_t i = 0; i < file_name.size(); ++i) {
        if (file_name[i] != '%') {
            name += file_name[i];
            continue;
        }
        auto hex = i + 2 < file_name.size() ? file_name.substr(i + 1, 2) : "";
        if (hex.size() != 2 || hex.find_first_not_of("0123456789ABCDEF") != std::string::npos)
            return std::nullopt;
        name += static_cast<char>(std::stoi(hex, nullptr, 16));
        i += 2;
    }
    if (name.empty() || encode_file_name(name) != file_name) return std::nullopt;
    return name;
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
            out += fmt::format("\\u{:04x}", next);
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

bool valid_utf8(const std::string& text) {
    size_t i = 0;
    while (i < text.size()) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        size_t length = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xE  ? 3
                        : (c >> 3) == 0x1E ? 4
                                           : 0;
        if (length == 0 || i + length > text.size()) return false;
        std::uint32_t code = length == 1 ? c : c & (0x7F >> length);
        for (size_t j = 1; j < length; ++j) {
            unsigned char next = static_cast<unsigned char>(text[i + j]);
            if ((next >> 6) != 0x2) return false;
            code = (code << 6) | (next & 0x3F);
        }
        // overlong forms, surrogates, beyond Unicode
        if ((length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
            (length == 4 && code < 0x10000) || (code >= 0xD800 && code <= 0xDFFF) ||
            code > 0x10FFFF)
            return false;
        i += length;
    }
    return true;
}

std::string clip(std::string_view text, size_t most) {
    if (text.size() <= most) return std::string(text);
    size_t end = most - 3;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end)) + "...";
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace supervise
