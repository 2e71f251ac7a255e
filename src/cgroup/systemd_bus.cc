#include "systemd_bus.h"

#include <cstdlib>
#include <map>

#include "libsystemd.h"
#include "spdlog/spdlog.h"

namespace supervise::cgroup::systemd {

namespace {

constexpr const char* kDestination = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";

const Libsystemd& sd() {
    return libsystemd();
}

struct MessageUnref {
    void operator()(sd_bus_message* m) const { sd().sd_bus_message_unref(m); }
};
struct SlotUnref {
    void operator()(sd_bus_slot* s) const { sd().sd_bus_slot_unref(s); }
};
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;
using Slot = std::unique_ptr<sd_bus_slot, SlotUnref>;

// sd_bus_error that frees itself.
struct CallError {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    ~CallError() { sd().sd_bus_error_free(&error); }
    sd_bus_error* get() { return &error; }
};

// "cannot <action> <what>: <D-Bus message or strerror> (<hint>)", one line.
[[noreturn]] void fail(const std::string& action, const std::string& what, int r,
                       const sd_bus_error* error, const std::string& hint = {}) {
    int err = r < 0 ? -r : r;
    if (error && sd().sd_bus_error_is_set(error)) {
        std::string text = "cannot " + action + " " + what + ": " +
                           (error->message ? error->message : error->name);
        if (!hint.empty()) text += " (" + hint + ")";
        throw Error(text);
    }
    throw SystemError(action, what, err, hint);
}

std::uint64_t to_usec(std::chrono::milliseconds ms) {
    return ms.count() <= 0 ? 1 : static_cast<std::uint64_t>(ms.count()) * 1000;
}

void append_property(sd_bus_message* m, const UnitProperty& property) {
    int r = std::visit(
        [&](const auto& value) -> int {
            using T = std::decay_t<decltype(value)>;
            const char* name = property.name.c_str();
            if constexpr (std::is_same_v<T, std::string>) {
                return sd().sd_bus_message_append(m, "(sv)", name, "s", value.c_str());
            } else if constexpr (std::is_same_v<T, bool>) {
                return sd().sd_bus_message_append(m, "(sv)", name, "b", static_cast<int>(value));
            } else if constexpr (std::is_same_v<T, std::uint64_t>) {
                return sd().sd_bus_message_append(m, "(sv)", name, "t", value);
            } else if constexpr (std::is_same_v<T, DeviceValues>) {
                int r = sd().sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0) r = sd().sd_bus_message_append(m, "s", name);
                if (r >= 0) r = sd().sd_bus_message_open_container(m, 'v', "a(st)");
                if (r >= 0) r = sd().sd_bus_message_open_container(m, 'a', "(st)");
                for (const auto& [device, amount] : value)
                    if (r >= 0) r = sd().sd_bus_message_append(m, "(st)", device.c_str(), amount);
                for (int i = 0; i < 3 && r >= 0; ++i) r = sd().sd_bus_message_close_container(m);
                return r;
            } else {
                int r = sd().sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0) r = sd().sd_bus_message_append(m, "s", name);
                if (r >= 0) r = sd().sd_bus_message_open_container(m, 'v', "au");
                if (r >= 0)
                    r = sd().sd_bus_message_append_array(m, 'u', value.data(),
                                                         value.size() * sizeof(std::uint32_t));
                if (r >= 0) r = sd().sd_bus_message_close_container(m);
                if (r >= 0) r = sd().sd_bus_message_close_container(m);
                return r;
            }
        },
        property.value);
    if (r < 0) throw SystemError("build the D-Bus message for property", property.name, -r);
}

}  // namespace

// Collects JobRemoved signals from the moment it exists. It is created before the method
// call that queues a job, so the signal cannot slip by between the reply and the match
// (the bus daemon handles our AddMatch before the call, as they are sent in order).
class JobWatch {
  public:
    explicit JobWatch(sd_bus* bus) : bus_(bus) {
        sd_bus_slot* slot = nullptr;
        int r = sd().sd_bus_match_signal_async(bus, &slot, kDestination, kManagerPath,
                                               kManagerInterface, "JobRemoved", on_job_removed,
                                               nullptr, this);
        if (r < 0) throw SystemError("subscribe to", "systemd job signals", -r);
        slot_.reset(slot);
    }

    // Processes the bus until JobRemoved for `job` arrives; returns its result.
    std::string wait(const std::string& job, const std::string& unit,
                     std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto found = results_.find(job); found != results_.end()) return found->second;
            int r = sd().sd_bus_process(bus_, nullptr);
            if (r < 0) throw SystemError("wait for the systemd job of", unit, -r);
            if (r > 0) continue;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                throw Error("cannot start " + unit + ": systemd job " + job +
                            " did not finish within " + std::to_string(timeout.count() / 1000) +
                            " s (see 'supervise doctor')");
            r = sd().sd_bus_wait(bus_, to_usec(left));
            if (r < 0 && r != -EINTR) throw SystemError("wait for the systemd job of", unit, -r);
        }
    }

  private:
    static int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
        auto* self = static_cast<JobWatch*>(userdata);
        std::uint32_t id = 0;
        const char *path = nullptr, *unit = nullptr, *result = nullptr;
        if (sd().sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
        spdlog::debug("systemd job {} ({}) removed: {}", path, unit, result);
        self->results_[path] = result;
        return 0;
    }

    sd_bus* bus_;
    Slot slot_;
    std::map<std::string, std::string> results_;  // job path → result
};

Bus::Bus(bool user, std::chrono::milliseconds call_timeout) : user_(user) {
    int r = user ? sd().sd_bus_open_user(&bus_) : sd().sd_bus_open_system(&bus_);
    if (r < 0) throw SystemError("connect to the systemd " + manager_name(), "", -r);
    sd().sd_bus_set_method_call_timeout(bus_, to_usec(call_timeout));
}

Bus::~Bus() {
    sd().sd_bus_flush_close_unref(bus_);
}

std::string Bus::manager_name() const {
    return user_ ? "user manager" : "system manager";
}

std::string Bus::address() const {
    const char* address = nullptr;
    if (sd().sd_bus_get_address(bus_, &address) < 0 || !address) return "?";
    return address;
}

std::string Bus::manager_property(const std::string& name) {
    CallError error;
    char* value = nullptr;
    int r = sd().sd_bus_get_property_string(bus_, kDestination, kManagerPath, kManagerInterface,
                                            name.c_str(), error.get(), &value);
    if (r < 0) fail("read", "the " + name + " of the systemd " + manager_name(), r, error.get());
    std::string text(value);
    std::free(value);
    return text;
}

std::string Bus::start_transient_unit(const std::string& unit,
                                      const std::vector<UnitProperty>& properties,
                                      std::chrono::milliseconds job_timeout, bool& queued) {
    queued = false;
    sd_bus_message* raw = nullptr;
    int r = sd().sd_bus_message_new_method_call(bus_, &raw, kDestination, kManagerPath,
                                                kManagerInterface, "StartTransientUnit");
    if (r < 0) throw SystemError("build the D-Bus call to start", unit, -r);
    Message call(raw);
    r = sd().sd_bus_message_append(call.get(), "ss", unit.c_str(), "fail");
    if (r >= 0) r = sd().sd_bus_message_open_container(call.get(), 'a', "(sv)");
    if (r < 0) throw SystemError("build the D-Bus call to start", unit, -r);
    for (const auto& property : properties) append_property(call.get(), property);
    r = sd().sd_bus_message_close_container(call.get());
    if (r >= 0) r = sd().sd_bus_message_append(call.get(), "a(sa(sv))", 0);
    if (r < 0) throw SystemError("build the D-Bus call to start", unit, -r);

    JobWatch watch(bus_);
    CallError error;
    sd_bus_message* reply_raw = nullptr;
    r = sd().sd_bus_call(bus_, call.get(), 0, error.get(), &reply_raw);
    Message reply(reply_raw);
    if (r < 0)
        fail("start", unit, r, error.get(),
             sd().sd_bus_error_has_name(error.get(), "org.freedesktop.systemd1.UnitExists")
                 ? "a run of that name is in progress"
                 : "see 'supervise doctor'");
    queued = true;
    const char* job = nullptr;
    r = sd().sd_bus_message_read(reply.get(), "o", &job);
    if (r < 0) throw SystemError("read the job of", unit, -r);
    std::string job_path(job);
    spdlog::debug("started {} on the systemd {}: job {}", unit, manager_name(), job_path);
    return watch.wait(job_path, unit, job_timeout);
}

std::optional<std::string> Bus::unit_control_group(const std::string& unit,
                                                   const std::string& interface) {
    CallError error;
    sd_bus_message* reply_raw = nullptr;
    int r = sd().sd_bus_call_method(bus_, kDestination, kManagerPath, kManagerInterface, "GetUnit",
                                    error.get(), &reply_raw, "s", unit.c_str());
    Message reply(reply_raw);
    if (r < 0) {
        if (sd().sd_bus_error_has_name(error.get(), "org.freedesktop.systemd1.NoSuchUnit"))
            return std::nullopt;
        fail("look up", unit, r, error.get());
    }
    const char* path = nullptr;
    r = sd().sd_bus_message_read(reply.get(), "o", &path);
    if (r < 0) throw SystemError("read the object path of", unit, -r);

    CallError property_error;
    char* value = nullptr;
    r = sd().sd_bus_get_property_string(bus_, kDestination, path, interface.c_str(), "ControlGroup",
                                        property_error.get(), &value);
    if (r < 0) {
        // The unit was garbage-collected between the two calls.
        if (sd().sd_bus_error_has_name(property_error.get(),
                                       "org.freedesktop.DBus.Error.UnknownObject"))
            return std::nullopt;
        fail("read the ControlGroup of", unit, r, property_error.get());
    }
    std::string text(value);
    std::free(value);
    return text;
}

bool Bus::stop_unit(const std::string& unit, std::chrono::milliseconds job_timeout) {
    JobWatch watch(bus_);
    CallError error;
    sd_bus_message* reply_raw = nullptr;
    int r = sd().sd_bus_call_method(bus_, kDestination, kManagerPath, kManagerInterface, "StopUnit",
                                    error.get(), &reply_raw, "ss", unit.c_str(), "replace");
    Message reply(reply_raw);
    if (r < 0) {
        if (sd().sd_bus_error_has_name(error.get(), "org.freedesktop.systemd1.NoSuchUnit"))
            return false;
        fail("stop", unit, r, error.get());
    }
    const char* job = nullptr;
    r = sd().sd_bus_message_read(reply.get(), "o", &job);
    if (r < 0) throw SystemError("read the job of", unit, -r);
    std::string job_path(job);
    spdlog::debug("stopping {}: job {}", unit, job_path);
    auto result = watch.wait(job_path, unit, job_timeout);
    if (result != "done")
        throw Error("cannot stop " + unit + ": the systemd job ended with '" + result + "'");
    return true;
}

bool Bus::kill_unit(const std::string& unit, int sig) {
    CallError error;
    sd_bus_message* reply_raw = nullptr;
    int r = sd().sd_bus_call_method(bus_, kDestination, kManagerPath, kManagerInterface, "KillUnit",
                                    error.get(), &reply_raw, "ssi", unit.c_str(), "all", sig);
    Message reply(reply_raw);
    if (r < 0) {
        if (sd().sd_bus_error_has_names_sentinel(error.get(), "org.freedesktop.systemd1.NoSuchUnit",
                                                 "org.freedesktop.systemd1.NoSuchProcess", nullptr))
            return false;
        fail("signal the processes of", unit, r, error.get());
    }
    return true;
}

}  // namespace supervise::cgroup::systemd
