#include "layout.h"

#include <sstream>
#include <vector>

#include "supervise/sys/files.h"

namespace supervise::cgroup {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    return parts;
}

// mountinfo escapes blanks in paths as \040 etc.
std::string unescape(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = 0;
            bool octal = true;
            for (size_t j = 1; j <= 3; ++j) {
                char c = text[i + j];
                if (c < '0' || c > '7') octal = false;
                value = value * 8 + (c - '0');
            }
            if (octal) {
                out += static_cast<char>(value);
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::string join(const std::string& mount, const std::string& path) {
    if (path.empty() || path == "/") return mount;
    return mount + path;
}

}  // namespace

Layout Layout::parse(const std::string& mountinfo, const std::string& proc_self_cgroup) {
    Layout layout;
    std::map<std::string, std::string> mount_roots;  // mount point → root within hierarchy
    std::istringstream lines(mountinfo);
    std::string line;
    while (std::getline(lines, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        auto before = split(line.substr(0, dash), ' ');
        auto after = split(line.substr(dash + 3), ' ');
        if (before.size() < 5 || after.size() < 3) continue;
        std::string root = unescape(before[3]);
        std::string point = unescape(before[4]);
        if (after[0] == "cgroup2") {
            // The first cgroup2 mount wins (a later one is usually a bind mount of it).
            if (layout.unified_mount.empty()) {
                layout.unified_mount = point;
                mount_roots[point] = root;
            }
        } else if (after[0] == "cgroup") {
            for (const auto& option : split(after[2], ',')) {
                std::string option_key;
                if (option == "name=systemd")
                    option_key = "systemd";
                else
                    option_key = option;
                if (option == "memory" || option == "pids" || option == "cpu" ||
                    option == "blkio" || option == "freezer" || option == "name=systemd") {
                    if (!layout.v1_mounts.count(option_key)) {
                        layout.v1_mounts[option_key] = point;
                        mount_roots[point] = root;
                    }
                }
            }
        }
    }

    auto relative = [&](const std::string& mount, std::string path) {
        auto root = mount_roots[mount];
        // Strip the mount's root only as whole components: /a/x.scope2 is not under /a/x.scope.
        if (!root.empty() && root != "/" && path.compare(0, root.size(), root) == 0 &&
            (path.size() == root.size() || path[root.size()] == '/'))
            path = path.substr(root.size());
        if (path.empty()) path = "/";
        return path;
    };

    std::istringstream entries(proc_self_cgroup);
    while (std::getline(entries, line)) {
        auto first = line.find(':');
        auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        if (controllers.empty()) {
            if (!layout.unified_mount.empty())
                layout.self_unified = relative(layout.unified_mount, path);
            continue;
        }
        for (auto controller : split(controllers, ',')) {
            if (controller == "name=systemd") controller = "systemd";
            auto mount = layout.v1_mounts.find(controller);
            if (mount != layout.v1_mounts.end())
                layout.self_v1[controller] = relative(mount->second, path);
        }
    }
    if (layout.self_unified.empty()) layout.self_unified = "/";
    return layout;
}

const Layout& Layout::current() {
    static const Layout layout = parse(sys::try_read_file("/proc/self/mountinfo").value_or(""),
                                       sys::try_read_file("/proc/self/cgroup").value_or(""));
    return layout;
}

std::vector<std::string> Layout::v1_twins(const std::string& unified_dir) const {
    std::vector<std::string> twins;
    if (unified_mount.empty() || unified_dir.rfind(unified_mount + "/", 0) != 0) return twins;
    for (const auto& [controller, mount] : v1_mounts)
        twins.push_back(mount + unified_dir.substr(unified_mount.size()));
    return twins;
}

std::string Layout::own_unified_dir() const {
    return join(unified_mount, self_unified);
}

std::optional<std::string> Layout::own_v1_dir(const std::string& controller) const {
    auto mount = v1_mounts.find(controller);
    if (mount == v1_mounts.end()) return std::nullopt;
    auto self = self_v1.find(controller);
    return join(mount->second, self == self_v1.end() ? "/" : self->second);
}

}  // namespace supervise::cgroup
