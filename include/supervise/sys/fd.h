#pragma once
// Owning wrapper of a file descriptor: outside sys/, descriptors are closed only by it.

#include <cstddef>
#include <utility>

namespace supervise::sys {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

  private:
    int fd_ = -1;
};

// A pipe whose ends are close-on-exec.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
    static Pipe create(bool nonblocking_read = false);
};

// Opens fd's pipe (or fifo) again through /proc/self/fd: a file description of its own, so
// its O_NONBLOCK (flags) is not the one other holders of fd share. Throws SystemError.
UniqueFd reopen(int fd, int flags);
// Bytes waiting to be read in a pipe (FIONREAD); 0 when that cannot be told.
std::size_t pending_bytes(int fd);

}  // namespace supervise::sys
