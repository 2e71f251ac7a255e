#include "supervise/json.h"

namespace supervise {

namespace {
// Text that is not UTF-8 (a command line in Latin-1, say) becomes U+FFFD: the output is
// always valid JSON, and printing it never fails.
std::string dump(const Json& json) {
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}
}  // namespace

std::string to_text(const Json& json) {
    if (json.is_object()) {
        std::string text = "{";
        for (auto field = json.begin(); field != json.end(); ++field)
            text += (field == json.begin() ? "" : ", ") + dump(Json(field.key())) + ": " +
                    to_text(field.value());
        return text + "}";
    }
    if (json.is_array()) {
        std::string text = "[";
        for (auto item = json.begin(); item != json.end(); ++item)
            text += (item == json.begin() ? "" : ", ") + to_text(*item);
        return text + "]";
    }
    return dump(json);
}

}  // namespace supervise
