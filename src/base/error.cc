#include "supervise/error.h"

#include <cstring>

namespace supervise {

namespace {
std::string compose(const std::string& action, const std::string& path, int error_number,
                    const std::string& hint) {
    std::string text = "cannot " + action;
    if (!path.empty()) text += " " + path;
    text += ": ";
    text += std::strerror(error_number);
    if (!hint.empty()) text += " (" + hint + ")";
    return text;
}
}  // namespace

SystemError::SystemError(const std::string& action, const std::string& path, int error_number,
                         const std::string& hint)
    : Error(compose(action, path, error_number, hint)) {}

}  // namespace supervise
