#include <cstdio>

#include "cli.h"
#include "supervise/record.h"

namespace supervise::cli {

void message(const GlobalOptions& global, const std::string& text) {
    if (global.verbosity < 0) return;
    std::fprintf(stderr, "supervise: %s\n", printable(text).c_str());
}

void error_message(const std::string& text) {
    std::fprintf(stderr, "supervise: %s\n", printable(text).c_str());
}

WarningSink warning_sink(const GlobalOptions& global) {
    return [global](const std::string& text) { message(global, "warning: " + text); };
}

}  // namespace supervise::cli
