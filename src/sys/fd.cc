#include "supervise/sys/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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

}  // namespace supervise::sys
