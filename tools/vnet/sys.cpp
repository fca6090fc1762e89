// SPDX-License-Identifier: GPL-2.0
#include "sys.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace vnet {

namespace {

// "ENOTTY (Inappropriate ioctl for device)": the symbolic errno first, so
// reports can be grepped and compared with the kernel source.
std::string describe_errno(int e)
{
	const char *name = strerrorname_np(e);
	return std::string(name ? name : ("errno " + std::to_string(e)).c_str()) + " (" +
	       std::strerror(e) + ")";
}

}  // namespace

SysError::SysError(const std::string &what_call, int e)
	: std::runtime_error(what_call + ": " + describe_errno(e)), call(what_call), err(e)
{
}

void Fd::reset()
{
	if (fd_ >= 0)
		close(fd_);
	fd_ = -1;
}

int xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	int r = ioctl(fd, req, arg);
	if (r < 0)
		throw SysError(name, errno);
	return r;
}

Fd make_eventfd()
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		throw SysError("eventfd", errno);
	return Fd(fd);
}

uint64_t eventfd_take(int fd)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, sizeof(v));
	if (n == sizeof(v))
		return v;
	if (n < 0 && errno != EAGAIN)
		throw SysError("read(eventfd)", errno);
	return 0;
}

void eventfd_kick(int fd)
{
	uint64_t one = 1;
	if (write(fd, &one, sizeof(one)) != sizeof(one))
		throw SysError("write(kick eventfd)", errno);
}

uint64_t now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

void spin_ns(uint64_t ns)
{
	if (!ns)
		return;
	const uint64_t end = now_ns() + ns;
	while (now_ns() < end)
		;
}

}  // namespace vnet
