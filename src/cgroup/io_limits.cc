// --io-max and --io-weight: parsing, and finding the disk a device or file lives on.

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "supervise/cgroup.h"
#include "supervise/error.h"
#include "supervise/parse.h"
#include "supervise/sys/files.h"

namespace supervise {

namespace {

std::optional<std::pair<unsigned, unsigned>> parse_major_minor(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto major = parse_whole_number(text.substr(0, colon));
    auto minor = parse_whole_number(text.substr(colon + 1));
    if (!major || !minor || *major > 4095 || *minor > 1048575) return std::nullopt;
    return std::pair{static_cast<unsigned>(*major), static_cast<unsigned>(*minor)};
}

// The whole disk of a block device: io.max and blkio.throttle take disks, not partitions
// (/sys/dev/block/M:m of a partition has a "partition" file; its parent directory is the
// disk's).
std::pair<unsigned, unsigned> whole_disk(unsigned major, unsigned minor, const std::string& what) {
    std::string sys = "/sys/dev/block/" + std::to_string(major) + ":" + std::to_string(minor);
    if (!sys::path_exists(sys))
        throw UsageError("--io-max: no block device " + std::to_string(major) + ":" +
                         std::to_string(minor) + " (" + what + ") on this machine");
    if (!sys::path_exists(sys + "/partition")) return {major, minor};
    std::optional<std::pair<unsigned, unsigned>> disk;
    if (auto text = sys::try_read_file(sys + "/../dev")) {
        while (!text->empty() && text->back() == '\n') text->pop_back();
        disk = parse_major_minor(*text);
    }
    if (!disk) throw UsageError("--io-max: cannot find the disk of partition " + what);
    return *disk;
}

}  // namespace

IoMax parse_io_max(const std::string& text) {
    // The device ends at the last ':' before the first '=' (MAJ:MIN has a ':' of its own).
    auto equals = text.find('=');
    auto colon = equals == std::string::npos ? std::string::npos : text.rfind(':', equals);
    if (colon == std::string::npos || colon == 0)
        throw UsageError(
            "--io-max: expected DEVICE:rbps=SIZE,wbps=SIZE (e.g. /dev/sda:wbps=50M), got '" + text +
            "'");
    IoMax limit;
    limit.device = text.substr(0, colon);
    std::string settings = text.substr(colon + 1);
    for (size_t at = 0; at <= settings.size();) {
        auto comma = settings.find(',', at);
        std::string item = settings.substr(at, comma == std::string::npos ? comma : comma - at);
        at = comma == std::string::npos ? settings.size() + 1 : comma + 1;
        auto eq = item.find('=');
        std::string key = item.substr(0, eq),
                    value = eq == std::string::npos ? "" : item.substr(eq + 1);
        if (eq == std::string::npos || value.empty())
            throw UsageError("--io-max: expected KEY=VALUE, got '" + item + "' in '" + text + "'");
        if (key == "rbps" || key == "wbps") {
            auto bytes = parse_size(value, 0);
            (key == "rbps" ? limit.rbps : limit.wbps) = bytes;
        } else if (key == "riops" || key == "wiops") {
            auto count = parse_whole_number(value);
            if (!count || *count == 0)
                throw UsageError("--io-max: " + key + " must be a whole number above 0, got '" +
                                 value + "'");
            (key == "riops" ? limit.riops : limit.wiops) = *count;
        } else {
            throw UsageError("--io-max: unknown key '" + key + "' (use rbps, wbps, riops, wiops)");
        }
    }
    if (auto numbers = parse_major_minor(limit.device)) {
        std::tie(limit.major, limit.minor) =
            whole_disk(numbers->first, numbers->second, limit.device);
        return limit;
    }
    struct stat st;
    if (::stat(limit.device.c_str(), &st) != 0)
        throw UsageError("--io-max: no device '" + limit.device +
                         "' (give a block device, a file on one, or MAJ:MIN)");
    dev_t dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
    std::tie(limit.major, limit.minor) = whole_disk(::major(dev), ::minor(dev), limit.device);
    return limit;
}

std::uint32_t parse_io_weight(const std::string& text) {
    auto weight = parse_whole_number(text);
    if (!weight || *weight < 1 || *weight > 10000)
        throw UsageError("expected a whole number from 1 to 10000 (default 100), got '" + text +
                         "'");
    return static_cast<std::uint32_t>(*weight);
}

namespace cgroup {

std::string io_max_line(const IoMax& limit) {
    std::string line = std::to_string(limit.major) + ":" + std::to_string(limit.minor);
    if (limit.rbps) line += " rbps=" + std::to_string(*limit.rbps);
    if (limit.wbps) line += " wbps=" + std::to_string(*limit.wbps);
    if (limit.riops) line += " riops=" + std::to_string(*limit.riops);
    if (limit.wiops) line += " wiops=" + std::to_string(*limit.wiops);
    return line;
}

void set_io_weight(const std::string& dir, std::uint32_t weight, bool v1) {
    // cgroup v2: io.weight (blk-iocost) and BFQ's io.bfq.weight; v1: blkio.weight (CFQ of old
    // kernels) and BFQ's blkio.bfq.weight. Every one there is set, as systemd does: which
    // one counts depends on each disk's scheduler.
    std::string prefix = v1 ? "blkio" : "io";
    bool set = false;
    for (const auto& [file, value] :
         {std::pair{prefix + ".weight",
                    v1 ? std::to_string(weight) : "default " + std::to_string(weight)},
          std::pair{prefix + ".bfq.weight", std::to_string(weight)}}) {
        if (!sys::path_exists(dir + "/" + file)) continue;
        sys::write_file(dir + "/" + file, value, "set I/O weight in");
        set = true;
    }
    if (!set)
        throw UsageError("cannot enforce --io-weight: no " + prefix + ".weight or " + prefix +
                         ".bfq.weight in " + dir +
                         " (the kernel's iocost controller or the BFQ I/O scheduler provides one)");
}

}  // namespace cgroup

}  // namespace supervise
