// SPDX-License-Identifier: GPL-2.0
#include "netenv.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vnet {

namespace {

// Best effort: a kernel without IPv6 has no such file, which is fine.
void write_sysctl(const std::string &path, const std::string &value)
{
	std::ofstream f(path);
	if (f)
		f << value;
}

sockaddr_in inet_sa(uint32_t addr, uint16_t port = 0)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(addr);
	sa.sin_port = htons(port);
	return sa;
}

Fd inet_ctl_socket()
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		throw SysError("socket(AF_INET)", errno);
	return Fd(s);
}

ifreq ifr_for(const std::string &name)
{
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
	return ifr;
}

void set_up(int ctl, const std::string &name)
{
	ifreq ifr = ifr_for(name);
	VNET_IOCTL(ctl, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	VNET_IOCTL(ctl, SIOCSIFFLAGS, &ifr);
}

}  // namespace

void enter_private_netns()
{
	static bool done = false;
	if (done)
		return;
	if (unshare(CLONE_NEWNET) < 0)
		throw SysError("unshare(CLONE_NEWNET)", errno);
	done = true;
	write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	Fd ctl = inet_ctl_socket();
	set_up(ctl.get(), "lo");
}

Tap::Tap(const TapOptions &opt, const LinkAddrs &addrs)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		throw SysError("open /dev/net/tun", errno);
	fd_ = Fd(fd);
	ifreq ifr = ifr_for("vnet%d");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (opt.vnet_hdr ? IFF_VNET_HDR : 0);
	VNET_IOCTL(fd, TUNSETIFF, &ifr);
	name_ = ifr.ifr_name;
	if (opt.vnet_hdr) {
		int sz = static_cast<int>(opt.hdr_len);
		VNET_IOCTL(fd, TUNSETVNETHDRSZ, &sz);
	}
	if (opt.sndbuf > 0) {
		int sb = opt.sndbuf;
		VNET_IOCTL(fd, TUNSETSNDBUF, &sb);
	}
	write_sysctl("/proc/sys/net/ipv6/conf/" + name_ + "/disable_ipv6", "1");

	Fd ctl = inet_ctl_socket();
	ifreq hw = ifr_for(name_);
	hw.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	std::memcpy(hw.ifr_hwaddr.sa_data, addrs.host_mac.data(), 6);
	VNET_IOCTL(ctl.get(), SIOCSIFHWADDR, &hw);

	ifreq a = ifr_for(name_);
	sockaddr_in sa = inet_sa(addrs.host_ip);
	std::memcpy(&a.ifr_addr, &sa, sizeof(sa));
	VNET_IOCTL(ctl.get(), SIOCSIFADDR, &a);
	ifreq m = ifr_for(name_);
	sockaddr_in mask = inet_sa(addrs.prefix ? ~uint32_t{0} << (32 - addrs.prefix) : 0);
	std::memcpy(&m.ifr_netmask, &mask, sizeof(mask));
	VNET_IOCTL(ctl.get(), SIOCSIFNETMASK, &m);
	set_up(ctl.get(), name_);

	arpreq ar{};
	sockaddr_in pa = inet_sa(addrs.guest_ip);
	std::memcpy(&ar.arp_pa, &pa, sizeof(pa));
	ar.arp_ha.sa_family = ARPHRD_ETHER;
	std::memcpy(ar.arp_ha.sa_data, addrs.guest_mac.data(), 6);
	ar.arp_flags = ATF_PERM | ATF_COM;
	std::strncpy(ar.arp_dev, name_.c_str(), sizeof(ar.arp_dev) - 1);
	VNET_IOCTL(ctl.get(), SIOCSARP, &ar);
}

Fd open_host_socket(const LinkAddrs &addrs)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		throw SysError("socket(AF_INET, SOCK_DGRAM)", errno);
	Fd fd(s);
	// Far more than a window of frames, so the socket never drops; the
	// *FORCE variants ignore the sysctl caps (we are root).
	int sz = 16 << 20;
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
		throw SysError("setsockopt(SO_RCVBUF)", errno);
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
		throw SysError("setsockopt(SO_SNDBUF)", errno);
	sockaddr_in sa = inet_sa(addrs.host_ip, addrs.host_port);
	if (bind(s, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) < 0)
		throw SysError("bind(" + ipv4_to_string(addrs.host_ip) + ":" +
				       std::to_string(addrs.host_port) + ")",
			       errno);
	return fd;
}

}  // namespace vnet
