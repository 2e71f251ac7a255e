#include "supervise/sys/fd.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "supervise/error.h"

namespace supervise::sys {

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);  // errors of close() on a pipe or cgroup file are not actionable
    fd_ = fd;
}

Pipe Pipe::create(bool nonblocking_read) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("create", "a pipe", errno);
    Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    if (nonblocking_read) ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return p;
}

UniqueFd reopen(int fd, int flags) {
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    UniqueFd again(::open(path.c_str(), flags | O_CLOEXEC));
    if (!again) throw SystemError("open", path, errno);
    return again;
}

std::size_t pending_bytes(int fd) {
    int bytes = 0;
    return ::ioctl(fd, FIONREAD, &bytes) == 0 && bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
}

}  // namespace supervise::sys
