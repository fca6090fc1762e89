// SPDX-License-Identifier: GPL-2.0
#include "client/genl.h"

#include "client/genl_msg.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace lwvhost::client {

namespace {

// libnl error codes are its own; turn the common ones back into errno.
int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_PERM:
		return EPERM;
	case NLE_INVAL:
		return EINVAL;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NODEV:
		return ENODEV;
	default:
		return EIO;
	}
}

struct SockCloser {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
using SockPtr = std::unique_ptr<nl_sock, SockCloser>;

// Connects a generic netlink socket and resolves the family.
SockPtr connect_family(int *family, Error *err)
{
	SockPtr sk(nl_socket_alloc());
	if (!sk) {
		err->set(ENOMEM, "cannot allocate a netlink socket");
		return nullptr;
	}
	int rc = genl_connect(sk.get());
	if (rc < 0) {
		err->set(nl_to_errno(rc),
			 std::string("generic netlink: ") + nl_geterror(rc));
		return nullptr;
	}
	rc = genl_ctrl_resolve(sk.get(), LWVHOST_GENL_NAME);
	if (rc < 0) {
		err->set(ENOENT, "genetlink family " LWVHOST_GENL_NAME " not found");
		return nullptr;
	}
	*family = rc;
	return sk;
}

struct Transaction {
	int family;
	std::vector<Device> *out;
	bool done = false;
	int error = 0;
	std::string message;
};

int on_valid(nl_msg *msg, void *arg)
{
	auto *t = static_cast<Transaction *>(arg);
	nlmsghdr *nlh = nlmsg_hdr(msg);
	if (nlh->nlmsg_type != t->family || !t->out)
		return NL_OK;
	std::string perr;
	auto d = parse_device_msg(nlh, &perr);
	if (!d) {
		t->error = EPROTO;
		t->message = "bad device message from the kernel: " + perr;
		t->done = true;
		return NL_STOP;
	}
	t->out->push_back(std::move(*d));
	return NL_OK;
}

int on_done(nl_msg *, void *arg)
{
	static_cast<Transaction *>(arg)->done = true;
	return NL_STOP;
}

int on_error(sockaddr_nl *, nlmsgerr *e, void *arg)
{
	auto *t = static_cast<Transaction *>(arg);
	// libnl hands out the payload of the NLMSG_ERROR message; its header
	// (flags, length) sits right before it.
	const auto *nlh = reinterpret_cast<const nlmsghdr *>(
		reinterpret_cast<const char *>(e) - NLMSG_HDRLEN);
	t->error = -e->error;
	t->message = extack_message(nlh);
	t->done = true;
	return NL_STOP;
}

}  // namespace

std::unique_ptr<GenlBackend> GenlBackend::open(Error *err)
{
	int family = 0;
	SockPtr sk = connect_family(&family, err);
	if (!sk)
		return nullptr;
	int one = 1;
	int fd = nl_socket_get_fd(sk.get());
	// Ask for the kernel's extended ack messages, without an echo of our
	// request in front of them. Kernels without these still work, with
	// errno text only.
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	// Acks are requested per message: dumps end with NLMSG_DONE instead.
	nl_socket_disable_auto_ack(sk.get());
	nl_socket_enable_msg_peek(sk.get());
	return std::unique_ptr<GenlBackend>(new GenlBackend(sk.release(), family));
}

GenlBackend::~GenlBackend()
{
	nl_socket_free(sk_);
}

bool GenlBackend::transact(nl_msg *msg, std::vector<Device> *out, Error *err)
{
	Transaction t{family_, out};
	nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return err->set(ENOMEM, "cannot allocate netlink callbacks");
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);

	int rc = nl_send_auto(sk_, msg);
	nlmsg_free(msg);
	while (rc >= 0 && !t.done)
		rc = nl_recvmsgs(sk_, cb);
	nl_cb_put(cb);
	if (t.error) {
		if (t.message.empty())
			t.message = std::strerror(t.error);
		return err->set(t.error, t.message);
	}
	if (rc < 0)
		return err->set(nl_to_errno(rc), std::string("netlink: ") + nl_geterror(rc));
	return true;
}

std::optional<std::vector<Device>> GenlBackend::list(Error *err)
{
	nl_msg *msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, NLM_F_DUMP,
				 LWVHOST_CMD_DEV_GET, LWVHOST_GENL_VERSION)) {
		nlmsg_free(msg);
		err->set(ENOMEM, "cannot build a netlink message");
		return std::nullopt;
	}
	std::vector<Device> out;
	if (!transact(msg, &out, err))
		return std::nullopt;
	std::sort(out.begin(), out.end(),
		  [](const Device &a, const Device &b) { return a.id < b.id; });
	return out;
}

std::optional<Device> GenlBackend::get(uint32_t id, Error *err)
{
	nl_msg *msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, NLM_F_ACK,
				 LWVHOST_CMD_DEV_GET, LWVHOST_GENL_VERSION) ||
	    nla_put_u32(msg, LWVHOST_A_DEV_ID, id) < 0) {
		nlmsg_free(msg);
		err->set(ENOMEM, "cannot build a netlink message");
		return std::nullopt;
	}
	std::vector<Device> out;
	if (!transact(msg, &out, err)) {
		if (err->code == ENODEV || err->code == ENOENT)
			err->set(ENOENT, "no device " + std::to_string(id));
		return std::nullopt;
	}
	for (auto &d : out)
		if (d.id == id)
			return d;
	err->set(ENOENT, "no device " + std::to_string(id));
	return std::nullopt;
}

bool GenlBackend::set(uint32_t id, const ParamUpdate &u, Error *err)
{
	nl_msg *msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, NLM_F_ACK,
				 LWVHOST_CMD_DEV_SET, LWVHOST_GENL_VERSION) ||
	    put_dev_set_attrs(msg, id, u) < 0) {
		nlmsg_free(msg);
		return err->set(ENOMEM, "cannot build a netlink message");
	}
	if (!transact(msg, nullptr, err)) {
		if (err->code == ENODEV || err->code == ENOENT)
			err->set(ENOENT, "no device " + std::to_string(id));
		return false;
	}
	return true;
}

// ---- monitor ---------------------------------------------------------

namespace {

struct MonitorRead {
	int family;
	std::vector<DeviceEvent> *events;
	std::string error;
};

int on_notification(nl_msg *msg, void *arg)
{
	auto *r = static_cast<MonitorRead *>(arg);
	nlmsghdr *nlh = nlmsg_hdr(msg);
	if (nlh->nlmsg_type != r->family || !genlmsg_valid_hdr(nlh, 0))
		return NL_OK;
	auto *gh = static_cast<genlmsghdr *>(nlmsg_data(nlh));
	if (gh->cmd == LWVHOST_CMD_DEV_ADD_NTF) {
		std::string perr;
		auto d = parse_device_msg(nlh, &perr);
		if (!d) {
			r->error = "bad DEV_ADD notification: " + perr;
			return NL_OK;
		}
		r->events->push_back({DeviceEvent::Kind::Added, d->id, std::move(d)});
	} else if (gh->cmd == LWVHOST_CMD_DEV_DEL_NTF) {
		auto id = parse_dev_id(nlh);
		if (!id) {
			r->error = "DEV_DEL notification without a device id";
			return NL_OK;
		}
		r->events->push_back({DeviceEvent::Kind::Removed, *id, std::nullopt});
	}
	return NL_OK;
}

}  // namespace

std::unique_ptr<GenlMonitor> GenlMonitor::open(Error *err)
{
	int family = 0;
	SockPtr sk = connect_family(&family, err);
	if (!sk)
		return nullptr;
	int grp = genl_ctrl_resolve_grp(sk.get(), LWVHOST_GENL_NAME,
					LWVHOST_GENL_MCGRP_MONITOR);
	if (grp < 0) {
		err->set(ENOENT, "genetlink family " LWVHOST_GENL_NAME " has no '"
				 LWVHOST_GENL_MCGRP_MONITOR "' group");
		return nullptr;
	}
	int rc = nl_socket_add_membership(sk.get(), grp);
	if (rc >= 0)
		rc = nl_socket_set_nonblocking(sk.get());
	if (rc < 0) {
		err->set(nl_to_errno(rc), std::string("monitor: ") + nl_geterror(rc));
		return nullptr;
	}
	// Notifications are unsolicited: no sequence numbers to check.
	nl_socket_disable_seq_check(sk.get());
	nl_socket_enable_msg_peek(sk.get());
	return std::unique_ptr<GenlMonitor>(new GenlMonitor(sk.release(), family));
}

GenlMonitor::~GenlMonitor()
{
	nl_socket_free(sk_);
}

int GenlMonitor::fd() const
{
	return nl_socket_get_fd(sk_);
}

std::vector<DeviceEvent> GenlMonitor::read(bool *overrun, Error *err)
{
	std::vector<DeviceEvent> events;
	MonitorRead r{family_, &events, {}};
	*overrun = false;
	nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		err->set(ENOMEM, "cannot allocate netlink callbacks");
		return events;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_notification, &r);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM,
		  [](nl_msg *, void *) { return int(NL_OK); }, nullptr);
	// nl_recvmsgs_report() returns the number of messages handled, and
	// -NLE_AGAIN (libnl 3.7; 0 in some versions) once the non-blocking
	// socket is empty.
	for (;;) {
		int rc = nl_recvmsgs_report(sk_, cb);
		if (rc > 0)
			continue;
		if (rc == 0 || rc == -NLE_AGAIN)
			break;
		if (rc == -NLE_NOMEM) {  // ENOBUFS: the kernel dropped some
			*overrun = true;
			continue;
		}
		if (rc < 0)
			err->set(nl_to_errno(rc), std::string("monitor: ") + nl_geterror(rc));
		break;
	}
	nl_cb_put(cb);
	if (!r.error.empty() && err->message.empty())
		err->set(EPROTO, r.error);
	return events;
}

}  // namespace lwvhost::client
