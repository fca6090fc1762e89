// SPDX-License-Identifier: GPL-2.0
// lwvhost_client: generic netlink message encoding and decoding, with
// messages built by libnl itself (no sockets).
#include "client/genl_msg.h"

#include <cstring>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <vector>

using namespace lwvhost::client;

namespace {

constexpr int kFamily = 0x1d;

struct Msg {
	Msg(int cmd) : m(nlmsg_alloc())
	{
		genlmsg_put(m, 1, 1, kFamily, 0, 0, uint8_t(cmd), LWVHOST_GENL_VERSION);
	}
	~Msg() { nlmsg_free(m); }
	nlmsghdr *hdr() { return nlmsg_hdr(m); }
	nl_msg *m;
};

void put_vq(nl_msg *m, Dir dir, const char *ifname, Params p, Mode mode, uint64_t base,
	    bool with_budget = true)
{
	nlattr *vq = nla_nest_start(m, LWVHOST_A_DEV_VQ | NLA_F_NESTED);
	nla_put_u32(m, LWVHOST_A_VQ_DIR, uint32_t(dir));
	nla_put_string(m, LWVHOST_A_VQ_IFNAME, ifname);
	nla_put_u32(m, LWVHOST_A_VQ_POLL_INTERVAL_US, p.poll_interval_us);
	nla_put_u32(m, LWVHOST_A_VQ_IDLE_POLLS, p.idle_polls);
	nla_put_u32(m, LWVHOST_A_VQ_COALESCE_USECS, p.coalesce_usecs);
	nla_put_u32(m, LWVHOST_A_VQ_COALESCE_FRAMES, p.coalesce_frames);
	nla_put_u32(m, LWVHOST_A_VQ_MODE, uint32_t(mode));
	nlattr *st = nla_nest_start(m, LWVHOST_A_VQ_STATS | NLA_F_NESTED);
	for (int a = LWVHOST_A_STAT_PACKETS; a <= LWVHOST_A_STAT_MAX; a++)
		nla_put_u64(m, a, base + uint64_t(a));
	nla_nest_end(m, st);
	// The knob numbered after the stats; a kernel without it sends none.
	if (with_budget)
		nla_put_u32(m, LWVHOST_A_VQ_LATENCY_BUDGET_US, p.latency_budget_us);
	nla_nest_end(m, vq);
}

}  // namespace

TEST(GenlMsg, DecodesADeviceMessage)
{
	Msg msg(LWVHOST_CMD_DEV_GET);
	nla_put_u32(msg.m, LWVHOST_A_DEV_ID, 42);
	nla_put_u32(msg.m, LWVHOST_A_DEV_OWNER_PID, 1234);
	nla_put_u32(msg.m, LWVHOST_A_DEV_WORKER_TID, 1240);
	nla_put_u64(msg.m, LWVHOST_A_DEV_FEATURES, 0x130008000ull);
	put_vq(msg.m, Dir::Tx, "tap7", {50, 16, 0, 32}, Mode::Poll, 1000);
	put_vq(msg.m, Dir::Rx, "", {0, 8, 20, 0, 750}, Mode::Event, 2000);
	nla_put_u32(msg.m, 200, 1);  // from a newer kernel: ignored

	std::string err;
	auto d = parse_device_msg(msg.hdr(), &err);
	ASSERT_TRUE(d) << err;
	EXPECT_EQ(d->id, 42u);
	EXPECT_EQ(d->owner_pid, 1234u);
	EXPECT_EQ(d->worker_tid, 1240u);
	EXPECT_EQ(d->features, 0x130008000ull);
	const Vq &tx = d->at(Dir::Tx), &rx = d->at(Dir::Rx);
	EXPECT_EQ(tx.dir, Dir::Tx);
	EXPECT_EQ(tx.ifname, "tap7");
	EXPECT_EQ(tx.params, (Params{50, 16, 0, 32}));
	EXPECT_EQ(tx.mode, Mode::Poll);
	EXPECT_EQ(tx.stats.packets, 1000u + LWVHOST_A_STAT_PACKETS);
	EXPECT_EQ(tx.stats.errors, 1000u + LWVHOST_A_STAT_ERRORS);
	EXPECT_EQ(rx.ifname, "");
	EXPECT_EQ(rx.params, (Params{0, 8, 20, 0, 750}));
	EXPECT_EQ(rx.stats.busy_ns, 2000u + LWVHOST_A_STAT_BUSY_NS);
	EXPECT_EQ(rx.stats.signals_coalesced, 2000u + LWVHOST_A_STAT_SIGNALS_COALESCED);
	EXPECT_EQ(parse_dev_id(msg.hdr()), 42u);
}

TEST(GenlMsg, AKernelWithoutTheLatencyBudgetReadsAsOff)
{
	Msg msg(LWVHOST_CMD_DEV_GET);
	nla_put_u32(msg.m, LWVHOST_A_DEV_ID, 3);
	put_vq(msg.m, Dir::Rx, "tap0", {25, 8, 0, 0}, Mode::Event, 0, false);
	put_vq(msg.m, Dir::Tx, "tap0", {25, 8, 0, 0, 400}, Mode::Event, 0, false);
	std::string err;
	auto d = parse_device_msg(msg.hdr(), &err);
	ASSERT_TRUE(d) << err;
	EXPECT_EQ(d->at(Dir::Rx).params, (Params{25, 8, 0, 0, 0}));
	EXPECT_EQ(d->at(Dir::Tx).params, (Params{25, 8, 0, 0, 0}));
}

TEST(GenlMsg, RejectsMalformedDevices)
{
	std::string err;
	{
		Msg msg(LWVHOST_CMD_DEV_GET);
		nla_put_u32(msg.m, LWVHOST_A_DEV_OWNER_PID, 1);
		EXPECT_FALSE(parse_device_msg(msg.hdr(), &err));
		EXPECT_EQ(err, "device message without LWVHOST_A_DEV_ID");
		EXPECT_FALSE(parse_dev_id(msg.hdr()));
	}
	{
		Msg msg(LWVHOST_CMD_DEV_GET);
		nla_put_u64(msg.m, LWVHOST_A_DEV_ID, 1);
		EXPECT_FALSE(parse_device_msg(msg.hdr(), &err));
		EXPECT_EQ(err, "device attribute 1 has the wrong size");
	}
	{
		Msg msg(LWVHOST_CMD_DEV_GET);
		nla_put_u32(msg.m, LWVHOST_A_DEV_ID, 1);
		nlattr *vq = nla_nest_start(msg.m, LWVHOST_A_DEV_VQ);
		nla_put_u32(msg.m, LWVHOST_A_VQ_POLL_INTERVAL_US, 5);
		nla_nest_end(msg.m, vq);
		EXPECT_FALSE(parse_device_msg(msg.hdr(), &err));
		EXPECT_EQ(err, "vq nest without a direction");
	}
	{
		Msg msg(LWVHOST_CMD_DEV_GET);
		nla_put_u32(msg.m, LWVHOST_A_DEV_ID, 1);
		nlattr *vq = nla_nest_start(msg.m, LWVHOST_A_DEV_VQ);
		nla_put_u32(msg.m, LWVHOST_A_VQ_DIR, LWVHOST_DIR_TX);
		nla_put_u64(msg.m, LWVHOST_A_VQ_LATENCY_BUDGET_US, 500);
		nla_nest_end(msg.m, vq);
		EXPECT_FALSE(parse_device_msg(msg.hdr(), &err));
		EXPECT_EQ(err, "latency_budget_us is not a u32");
	}
	{
		Msg msg(LWVHOST_CMD_DEV_GET);
		nla_put_u32(msg.m, LWVHOST_A_DEV_ID, 1);
		put_vq(msg.m, Dir::Rx, "a", {}, Mode::Event, 0);
		put_vq(msg.m, Dir::Rx, "a", {}, Mode::Event, 0);
		EXPECT_FALSE(parse_device_msg(msg.hdr(), &err));
		EXPECT_EQ(err, "two rx vq nests");
	}
	{
		Msg msg(LWVHOST_CMD_DEV_GET);
		nla_put_u32(msg.m, LWVHOST_A_DEV_ID, 1);
		nlattr *vq = nla_nest_start(msg.m, LWVHOST_A_DEV_VQ);
		nla_put_u32(msg.m, LWVHOST_A_VQ_DIR, LWVHOST_DIR_COUNT);
		nla_nest_end(msg.m, vq);
		EXPECT_FALSE(parse_device_msg(msg.hdr(), &err));
		EXPECT_EQ(err, "bad vq direction");
	}
}

TEST(GenlMsg, DevSetCarriesBothDirectionsInOneMessage)
{
	ParamUpdate u;
	u.set(Dir::Tx, Knob::PollIntervalUs, 50);
	u.set(Dir::Tx, Knob::CoalesceFrames, 0);
	u.set(Dir::Rx, Knob::CoalesceUsecs, 20);
	u.set(Dir::Rx, Knob::IdlePolls, 4);
	u.set(Dir::Rx, Knob::LatencyBudgetUs, 10000);
	Msg msg(LWVHOST_CMD_DEV_SET);
	ASSERT_EQ(put_dev_set_attrs(msg.m, 7, u), 0);

	auto *gh = static_cast<genlmsghdr *>(nlmsg_data(msg.hdr()));
	EXPECT_EQ(gh->cmd, LWVHOST_CMD_DEV_SET);
	uint32_t id = 0;
	int nests = 0;
	ParamUpdate seen;
	nlattr *a;
	int rem;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		if (nla_type(a) == LWVHOST_A_DEV_ID) {
			id = nla_get_u32(a);
			continue;
		}
		ASSERT_EQ(nla_type(a), LWVHOST_A_DEV_VQ);
		// Strict kernel policies insist on the nested flag.
		EXPECT_TRUE(a->nla_type & NLA_F_NESTED);
		nests++;
		nlattr *tb[LWVHOST_A_VQ_MAX + 1];
		ASSERT_EQ(nla_parse_nested(tb, LWVHOST_A_VQ_MAX, a, nullptr), 0);
		ASSERT_TRUE(tb[LWVHOST_A_VQ_DIR]);
		Dir dir = Dir(nla_get_u32(tb[LWVHOST_A_VQ_DIR]));
		EXPECT_FALSE(tb[LWVHOST_A_VQ_MODE]);
		EXPECT_FALSE(tb[LWVHOST_A_VQ_STATS]);
		for (const auto &k : knobs())
			if (tb[k.nl_attr])
				seen.set(dir, k.knob, nla_get_u32(tb[k.nl_attr]));
		EXPECT_EQ(bool(tb[LWVHOST_A_VQ_LATENCY_BUDGET_US]), dir == Dir::Rx);
		if (dir == Dir::Rx && tb[LWVHOST_A_VQ_LATENCY_BUDGET_US]) {
			EXPECT_EQ(nla_get_u32(tb[LWVHOST_A_VQ_LATENCY_BUDGET_US]), 10000u);
		}
	}
	EXPECT_EQ(id, 7u);
	EXPECT_EQ(nests, 2);
	EXPECT_EQ(seen, u);
}

TEST(GenlMsg, DevSetOmitsUntouchedDirections)
{
	ParamUpdate u;
	u.set(Dir::Rx, Knob::PollIntervalUs, 10);
	Msg msg(LWVHOST_CMD_DEV_SET);
	ASSERT_EQ(put_dev_set_attrs(msg.m, 3, u), 0);
	auto *gh = static_cast<genlmsghdr *>(nlmsg_data(msg.hdr()));
	int nests = 0;
	nlattr *a;
	int rem;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem)
		nests += nla_type(a) == LWVHOST_A_DEV_VQ;
	EXPECT_EQ(nests, 1);
}

namespace {

// An NLMSG_ERROR message as the kernel builds it: error code, the request's
// header (or, uncapped, the whole request), then the ack TLVs.
std::vector<char> error_msg(int error, const std::string &text, bool capped,
			    size_t request_payload = 12)
{
	std::vector<char> buf(8192, 0);
	auto *nlh = reinterpret_cast<nlmsghdr *>(buf.data());
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
	size_t off = NLMSG_HDRLEN;
	auto *e = reinterpret_cast<nlmsgerr *>(buf.data() + off);
	e->error = error;
	e->msg.nlmsg_len = uint32_t(NLMSG_HDRLEN + request_payload);
	e->msg.nlmsg_type = kFamily;
	off += sizeof(nlmsgerr);
	if (!capped)
		off += NLMSG_ALIGN(request_payload);
	// An attribute before the message, as the kernel may add.
	auto *offs = reinterpret_cast<nlattr *>(buf.data() + off);
	offs->nla_type = NLMSGERR_ATTR_OFFS;
	offs->nla_len = NLA_HDRLEN + 4;
	off += NLA_ALIGN(offs->nla_len);
	if (!text.empty()) {
		auto *m = reinterpret_cast<nlattr *>(buf.data() + off);
		m->nla_type = NLMSGERR_ATTR_MSG;
		m->nla_len = uint16_t(NLA_HDRLEN + text.size() + 1);
		std::memcpy(buf.data() + off + NLA_HDRLEN, text.c_str(), text.size() + 1);
		off += NLA_ALIGN(m->nla_len);
	}
	nlh->nlmsg_len = uint32_t(off);
	buf.resize(off);
	return buf;
}

const nlmsghdr *hdr(const std::vector<char> &b)
{
	return reinterpret_cast<const nlmsghdr *>(b.data());
}

}  // namespace

TEST(GenlMsg, ExtackMessageCappedAndUncapped)
{
	auto capped = error_msg(-EINVAL, "tx poll_interval_us out of range", true);
	EXPECT_EQ(extack_message(hdr(capped)), "tx poll_interval_us out of range");
	auto full = error_msg(-EINVAL, "idle_polls must be at least 1", false, 36);
	EXPECT_EQ(extack_message(hdr(full)), "idle_polls must be at least 1");
}

TEST(GenlMsg, ExtackAbsent)
{
	auto none = error_msg(-EPERM, "", true);
	EXPECT_EQ(extack_message(hdr(none)), "");
	auto plain = error_msg(-EPERM, "ignored without the flag", true);
	reinterpret_cast<nlmsghdr *>(plain.data())->nlmsg_flags = 0;
	EXPECT_EQ(extack_message(hdr(plain)), "");
	// A TLV whose length runs past the message is not read.
	auto bad = error_msg(-EINVAL, "abc", true);
	auto *nlh = reinterpret_cast<nlmsghdr *>(bad.data());
	nlh->nlmsg_len -= 4;
	EXPECT_EQ(extack_message(nlh), "");
}
