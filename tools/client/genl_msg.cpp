// SPDX-License-Identifier: GPL-2.0
#include "client/genl_msg.h"

#include <cstring>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

namespace lwvhost::client {

namespace {

bool get_u32(const nlattr *a, uint32_t *v)
{
	if (nla_len(a) != sizeof(uint32_t))
		return false;
	std::memcpy(v, nla_data(a), sizeof(*v));
	return true;
}

bool get_u64(const nlattr *a, uint64_t *v)
{
	if (nla_len(a) != sizeof(uint64_t))
		return false;
	std::memcpy(v, nla_data(a), sizeof(*v));
	return true;
}

bool parse_stats_nest(const nlattr *nest, Stats &st, std::string *err)
{
	const nlattr *a;
	int rem;
	nla_for_each_nested(a, const_cast<nlattr *>(nest), rem) {
		for (const auto &s : stat_fields()) {
			if (nla_type(a) != s.nl_attr)
				continue;
			if (!get_u64(a, &(st.*s.field))) {
				*err = std::string("stat ") + s.name + " is not a u64";
				return false;
			}
		}
	}
	return true;
}

bool parse_vq_nest(const nlattr *nest, Device &d, bool seen[2], std::string *err)
{
	Vq vq;
	bool have_dir = false;
	const nlattr *a;
	int rem;
	nla_for_each_nested(a, const_cast<nlattr *>(nest), rem) {
		uint32_t v;
		switch (nla_type(a)) {
		case LWVHOST_A_VQ_DIR:
			if (!get_u32(a, &v) || v >= LWVHOST_DIR_COUNT) {
				*err = "bad vq direction";
				return false;
			}
			vq.dir = Dir(v);
			have_dir = true;
			break;
		case LWVHOST_A_VQ_IFNAME: {
			const char *s = static_cast<const char *>(nla_data(a));
			vq.ifname.assign(s, strnlen(s, size_t(nla_len(a))));
			break;
		}
		case LWVHOST_A_VQ_MODE:
			if (!get_u32(a, &v)) {
				*err = "vq mode is not a u32";
				return false;
			}
			vq.mode = Mode(v);
			break;
		case LWVHOST_A_VQ_STATS:
			if (!parse_stats_nest(a, vq.stats, err))
				return false;
			break;
		default:
			for (const auto &k : knobs()) {
				if (nla_type(a) != k.nl_attr)
					continue;
				if (!get_u32(a, &(vq.params.*k.field))) {
					*err = std::string(k.name) + " is not a u32";
					return false;
				}
			}
			break;
		}
	}
	if (!have_dir) {
		*err = "vq nest without a direction";
		return false;
	}
	if (seen[index(vq.dir)]) {
		*err = std::string("two ") + dir_name(vq.dir) + " vq nests";
		return false;
	}
	seen[index(vq.dir)] = true;
	d.at(vq.dir) = vq;
	return true;
}

}  // namespace

int put_dev_set_attrs(nl_msg *msg, uint32_t id, const ParamUpdate &u)
{
	int rc = nla_put_u32(msg, LWVHOST_A_DEV_ID, id);
	if (rc < 0)
		return rc;
	for (Dir d : kDirs) {
		if (!u.touches(d))
			continue;
		nlattr *nest = nla_nest_start(msg, LWVHOST_A_DEV_VQ | NLA_F_NESTED);
		if (!nest)
			return -NLE_NOMEM;
		rc = nla_put_u32(msg, LWVHOST_A_VQ_DIR, uint32_t(d));
		for (const auto &k : knobs())
			if (auto v = u.get(d, k.knob); v && rc >= 0)
				rc = nla_put_u32(msg, k.nl_attr, *v);
		if (rc < 0)
			return rc;
		nla_nest_end(msg, nest);
	}
	return 0;
}

std::optional<Device> parse_device_msg(const nlmsghdr *nlh, std::string *err)
{
	auto *h = const_cast<nlmsghdr *>(nlh);
	if (!genlmsg_valid_hdr(h, 0)) {
		*err = "truncated genetlink message";
		return std::nullopt;
	}
	auto *gh = static_cast<genlmsghdr *>(nlmsg_data(h));
	Device d;
	bool have_id = false;
	bool seen[2] = {false, false};
	const nlattr *a;
	int rem;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		bool ok = true;
		switch (nla_type(a)) {
		case LWVHOST_A_DEV_ID:
			ok = get_u32(a, &d.id);
			have_id = ok;
			break;
		case LWVHOST_A_DEV_OWNER_PID:
			ok = get_u32(a, &d.owner_pid);
			break;
		case LWVHOST_A_DEV_WORKER_TID:
			ok = get_u32(a, &d.worker_tid);
			break;
		case LWVHOST_A_DEV_FEATURES:
			ok = get_u64(a, &d.features);
			break;
		case LWVHOST_A_DEV_VQ:
			if (!parse_vq_nest(a, d, seen, err))
				return std::nullopt;
			break;
		default:
			break;
		}
		if (!ok) {
			*err = "device attribute " + std::to_string(nla_type(a)) +
			       " has the wrong size";
			return std::nullopt;
		}
	}
	if (!have_id) {
		*err = "device message without LWVHOST_A_DEV_ID";
		return std::nullopt;
	}
	return d;
}

std::optional<uint32_t> parse_dev_id(const nlmsghdr *nlh)
{
	auto *h = const_cast<nlmsghdr *>(nlh);
	if (!genlmsg_valid_hdr(h, 0))
		return std::nullopt;
	auto *gh = static_cast<genlmsghdr *>(nlmsg_data(h));
	const nlattr *a;
	int rem;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		uint32_t id;
		if (nla_type(a) == LWVHOST_A_DEV_ID && get_u32(a, &id))
			return id;
	}
	return std::nullopt;
}

std::string extack_message(const nlmsghdr *nlh)
{
	if (nlh->nlmsg_type != NLMSG_ERROR || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return {};
	const auto *base = reinterpret_cast<const char *>(nlh);
	size_t len = nlh->nlmsg_len;
	if (len < NLMSG_HDRLEN + sizeof(nlmsgerr))
		return {};
	const auto *e = reinterpret_cast<const nlmsgerr *>(base + NLMSG_HDRLEN);
	// The original request follows the error code: just its header when
	// the ack is capped, all of it otherwise.
	size_t off = NLMSG_HDRLEN + sizeof(nlmsgerr);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(nlmsghdr);
	while (off + NLA_HDRLEN <= len) {
		const auto *a = reinterpret_cast<const nlattr *>(base + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			const char *s = base + off + NLA_HDRLEN;
			return std::string(s, strnlen(s, a->nla_len - NLA_HDRLEN));
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return {};
}

}  // namespace lwvhost::client
