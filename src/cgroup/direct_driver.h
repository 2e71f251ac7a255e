#pragma once
// What the cgroup2 and hybrid drivers share: a run cgroup that supervise created itself
// (and therefore removes), in <base>/supervise/<name> of every hierarchy it uses.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "supervise/cgroup.h"
#include "supervise/sys/fd.h"

namespace supervise::cgroup {

class OwnedRunCgroup final : public RunCgroup {
  public:
    // view: the run's directories (the "supervise" directories above them are removed
    // with them when no other run uses them).
    OwnedRunCgroup(CgroupView view, DriverKind driver, WarningSink warn);
    ~OwnedRunCgroup() override;

    int clone_into_fd() const override { return unified_fd_.get(); }
    std::vector<std::string> join_files() const override { return view_.v1_tasks_files(); }
    void enter(pid_t pid, bool cloned_into) override;
    const CgroupIdentity& identity() const override { return identity_; }
    const std::string& unified_path() const override { return view_.unified; }
    std::vector<std::string> owned_directories() const override { return view_.directories(); }
    bool populated() const override { return view_.populated(); }
    bool wait_until_empty(std::chrono::milliseconds timeout) const override {
        return view_.wait_until_empty(timeout);
    }
    CgroupStats stats() const override { return view_.stats(); }
    std::optional<std::uint64_t> memory_usage() const override { return view_.memory_usage(); }
    std::optional<std::uint64_t> memory_working_set() const override {
        return view_.memory_working_set();
    }
    void signal_all(int sig) override { view_.signal_all(sig); }
    void remove() override;

  private:
    CgroupView view_;
    CgroupIdentity identity_;
    sys::UniqueFd unified_fd_;
    WarningSink warn_;
    bool removed_ = false;
};

// mkdir <parent>/<name>, creating <parent> when missing; retries when a concurrent run
// removes an empty parent between the two steps. Throws SystemError with a hint.
void make_run_directory(const std::string& parent, const std::string& name,
                        const std::function<void()>& prepare_parent);

// The CFS quota in microseconds per period for a CPU share in percent of one CPU (at
// least the kernel's minimum of 1 ms).
std::int64_t cpu_quota_usec(double percent, std::int64_t period_usec);
// io.max's line for one device: "MAJ:MIN rbps=... wbps=...".
std::string io_max_line(const IoMax& limit);
// Sets the I/O weight of a run's cgroup (v1: its blkio directory) through the file this
// kernel has; UsageError when it has none.
void set_io_weight(const std::string& dir, std::uint32_t weight, bool v1);

// Text of a directory's cgroup.controllers / cgroup.subtree_control as a set of words.
bool has_word(const std::string& file, const std::string& word);

}  // namespace supervise::cgroup
