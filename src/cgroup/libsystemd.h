#pragma once
// libsystemd, loaded when the systemd driver first needs it (dlopen), as systemd's own
// tools load their optional libraries. Linking it would load it, and the libraries it
// links (gcrypt, lzma, zstd, lz4, cap), into every run: ~1 ms of start-up and ~1 MiB of
// mappings that the direct drivers never use.

#include <systemd/sd-bus.h>

namespace supervise::cgroup::systemd {

#define SUPERVISE_LIBSYSTEMD_FUNCTIONS(X) \
    X(sd_bus_call)                        \
    X(sd_bus_call_method)                 \
    X(sd_bus_error_free)                  \
    X(sd_bus_error_has_name)              \
    X(sd_bus_error_has_names_sentinel)    \
    X(sd_bus_error_is_set)                \
    X(sd_bus_flush_close_unref)           \
    X(sd_bus_get_address)                 \
    X(sd_bus_get_property_string)         \
    X(sd_bus_match_signal_async)          \
    X(sd_bus_message_append)              \
    X(sd_bus_message_append_array)        \
    X(sd_bus_message_close_container)     \
    X(sd_bus_message_new_method_call)     \
    X(sd_bus_message_open_container)      \
    X(sd_bus_message_read)                \
    X(sd_bus_message_unref)               \
    X(sd_bus_open_system)                 \
    X(sd_bus_open_user)                   \
    X(sd_bus_process)                     \
    X(sd_bus_set_method_call_timeout)     \
    X(sd_bus_slot_unref)                  \
    X(sd_bus_wait)

// The functions of libsystemd.so.0 that supervise calls, under their own names.
struct Libsystemd {
#define SUPERVISE_LIBSYSTEMD_MEMBER(name) decltype(&::name) name;
    SUPERVISE_LIBSYSTEMD_FUNCTIONS(SUPERVISE_LIBSYSTEMD_MEMBER)
#undef SUPERVISE_LIBSYSTEMD_MEMBER
};

// Loads libsystemd.so.0 on the first call (thread-safe); throws Error naming the library
// and what to install when it or one of its functions is missing.
const Libsystemd& libsystemd();

}  // namespace supervise::cgroup::systemd
