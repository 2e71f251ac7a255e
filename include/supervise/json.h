#pragma once
// The one JSON library for everything supervise writes and reads: nlohmann::json (Debian's
// nlohmann-json3-dev). Objects keep their fields in the order they were added.

#include <nlohmann/json.hpp>
#include <string>

namespace supervise {

using Json = nlohmann::ordered_json;

// One line, a space after every ':' and ',', as supervise(1) shows it:
// {"exit_code": 0, "signal": null}. Bytes that are not UTF-8 become U+FFFD.
std::string to_text(const Json& json);

}  // namespace supervise
