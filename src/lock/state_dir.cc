#include <unistd.h>

#include <cstdlib>

#include "supervise/error.h"
#include "supervise/lock.h"
#include "supervise/sys/files.h"

namespace supervise {

std::string open_state_dir(const std::string& override_path) {
    std::string path = override_path;
    if (path.empty()) {
        if (::geteuid() == 0) {
            path = "/run/supervise";
        } else {
            const char* runtime = std::getenv("XDG_RUNTIME_DIR");
            if (!runtime || !*runtime)
                throw UsageError(
                    "XDG_RUNTIME_DIR is not set: give --state-dir DIR (or "
                    "SUPERVISE_STATE_DIR) for the lock state");
            path = std::string(runtime) + "/supervise";
        }
    }
    path = sys::check_path_to(path, "state directory");
    sys::make_private_dir(path, "state directory");
    return path;
}

}  // namespace supervise
