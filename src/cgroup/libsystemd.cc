#include "libsystemd.h"

#include <dlfcn.h>

#include <string>

#include "supervise/error.h"

namespace supervise::cgroup::systemd {

namespace {

constexpr const char* kLibrary = "libsystemd.so.0";

Libsystemd load() {
    // Never unloaded: the handle lives as long as the process.
    void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        throw Error(std::string("cannot use systemd: ") + ::dlerror() +
                    " (install libsystemd0, or choose another driver with --driver)");
    Libsystemd lib{};
    auto find = [&](const char* name) {
        void* symbol = ::dlsym(handle, name);
        if (!symbol)
            throw Error(std::string("cannot use systemd: ") + kLibrary + " has no " + name +
                        " (it is older than systemd 246; upgrade libsystemd0)");
        return symbol;
    };
#define SUPERVISE_LIBSYSTEMD_FIND(name) lib.name = reinterpret_cast<decltype(&::name)>(find(#name));
    SUPERVISE_LIBSYSTEMD_FUNCTIONS(SUPERVISE_LIBSYSTEMD_FIND)
#undef SUPERVISE_LIBSYSTEMD_FIND
    return lib;
}

}  // namespace

const Libsystemd& libsystemd() {
    static const Libsystemd lib = load();
    return lib;
}

}  // namespace supervise::cgroup::systemd
