#include "supervise/json.h"

namespace supervise {

std::string to_text(const Json& json) {
    if (json.is_object()) {
        std::string text = "{";
        for (auto field = json.begin(); field != json.end(); ++field)
            text += (field == json.begin() ? "" : ", ") + Json(field.key()).dump() + ": " +
                    to_text(field.value());
        return text + "}";
    }
    if (json.is_array()) {
        std::string text = "[";
        for (auto item = json.begin(); item != json.end(); ++item)
            text += (item == json.begin() ? "" : ", ") + to_text(*item);
        return text + "]";
    }
    return json.dump();
}

}  // namespace supervise
