#include "lock/names.h"

#include <unistd.h>

#include <cstdio>

#include "supervise/error.h"
#include "supervise/lock.h"
#include "sys/process.h"

namespace supervise {

namespace lock {

std::string pool_hash(const std::string& name) {
    std::uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : name) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

std::string encode_pool_name(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '-' || (c == '.' && i > 0);
        if (plain) {
            out += static_cast<char>(c);
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", c);
            out += escaped;
        }
    }
    if (out.size() > 200) return "h-" + pool_hash(name);
    return out;
}

std::string slot_cgroup_prefix(const std::string& name, int slot) {
    return "lock-" + pool_hash(name) + "-s" + std::to_string(slot) + "-";
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

}  // namespace lock

void validate_lock_name(const std::string& name) {
    if (name.empty()) throw UsageError("lock name is empty");
    if (name.size() > 255)
        throw UsageError("lock name is " + std::to_string(name.size()) +
                         " bytes long; the most is 255");
    if (!lock::valid_utf8(name)) throw UsageError("lock name is not valid UTF-8");
    for (char c : name)
        if (c == '\0' || c == '\n') throw UsageError("lock name contains a newline or NUL byte");
}

std::string expand_lock_name(const std::string& name, const std::string& dir) {
    if (name != "@project") return name;
    // The git top level, so every checkout is its own lock; the directory outside git.
    std::string top = dir;
    std::string probe = dir;
    for (;;) {
        if (::access((probe + "/.git").c_str(), F_OK) == 0) {
            top = probe;
            break;
        }
        if (probe.empty() || probe == "/") break;
        auto slash = probe.rfind('/');
        probe = slash == 0 || slash == std::string::npos ? "/" : probe.substr(0, slash);
    }
    return "project:" + top;
}

}  // namespace supervise
