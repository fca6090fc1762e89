// SPDX-License-Identifier: GPL-2.0
// Thin system-call helpers: owned fds, errors that name the failing call,
// eventfds, a monotonic clock and the busy-wait used to model VM exits.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace vnet {

// A kernel-side failure: names the call (an ioctl's name where there is
// one) and carries errno. vnet reports it and exits 1.
struct SysError : std::runtime_error {
	SysError(const std::string &what_call, int err);
	std::string call;
	int err;
};

// Any other run failure (broken queue, failed check): exit 1.
struct RunError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

class Fd {
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(Fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	Fd &operator=(Fd &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd() { reset(); }
	int get() const { return fd_; }
	explicit operator bool() const { return fd_ >= 0; }
	void reset();

private:
	int fd_ = -1;
};

// ioctl() that throws SysError(name, errno) on failure; returns the result.
int xioctl(int fd, unsigned long req, void *arg, const char *name);
#define VNET_IOCTL(fd, req, arg) ::vnet::xioctl((fd), (req), (arg), #req)

Fd make_eventfd();  // nonblocking, close-on-exec
// Reads a nonblocking eventfd: the counter, or 0 if it was not signalled.
uint64_t eventfd_take(int fd);
void eventfd_kick(int fd);

uint64_t now_ns();  // CLOCK_MONOTONIC
void spin_ns(uint64_t ns);

}  // namespace vnet
