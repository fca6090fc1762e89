// SPDX-License-Identifier: GPL-2.0
#include "selftest.h"

namespace vnet {

std::vector<SelftestCase> selftest_cases(const RunOptions &base)
{
	std::vector<SelftestCase> cases;
	const SizeSpec mixed{16, kMaxUdpPayload};
	auto make = [&](Mode m, bool v1, bool event_idx, bool indirect, bool mrg) {
		SelftestCase c;
		c.opts = base;
		c.opts.mode = m;
		c.opts.sizes = mixed;
		c.opts.frames = m == Mode::rr ? 100 : 600;
		c.opts.rate = 0;
		c.opts.batch = 0;
		c.opts.window = 0;
		c.opts.inject_bad_gpa = false;
		DeviceOptions &d = c.opts.dev;
		d.requested = (v1 ? fbit(F_VERSION_1) : 0) | (event_idx ? fbit(F_EVENT_IDX) : 0) |
			      (indirect ? fbit(F_INDIRECT_DESC) : 0) | (mrg ? fbit(F_MRG_RXBUF) : 0);
		d.indirect = indirect;
		d.mrg_buf = 512;
		d.sndbuf = 0;
		// Legacy cases on a small ring so the indexes wrap the ring often.
		d.ring = v1 ? 256 : 64;
		c.label = to_string(m) + (v1 ? " v1" : " legacy") + (event_idx ? " event_idx" : "") +
			  (indirect ? " indirect" : "") + (mrg ? " mrg_rxbuf" : "") +
			  " ring=" + std::to_string(d.ring);
		c.expect_merged = mrg && m != Mode::tx;
		return c;
	};
	for (Mode m : {Mode::tx, Mode::rx, Mode::rr})
		for (bool v1 : {false, true})
			for (bool ev : {false, true})
				for (bool ind : {false, true})
					for (bool mrg : {false, true})
						cases.push_back(make(m, v1, ev, ind, mrg));

	// vhost adds/strips the header itself (tap without IFF_VNET_HDR).
	for (Mode m : {Mode::tx, Mode::rx})
		for (bool v1 : {false, true}) {
			auto c = make(m, v1, true, false, v1);
			c.opts.dev.requested |= fbit(F_VHOST_NET_HDR);
			c.label += " vhost_net_hdr";
			cases.push_back(c);
		}
	// A tap with a finite sndbuf: vhost_net's TX path without batching.
	{
		auto c = make(Mode::tx, true, true, false, true);
		c.opts.dev.sndbuf = 1 << 20;
		c.label += " sndbuf=1M";
		cases.push_back(c);
	}
	// One frame per kick, at a paced rate.
	{
		auto c = make(Mode::tx, true, true, false, true);
		c.opts.batch = 1;
		c.opts.rate = 20000;
		c.opts.frames = 300;
		c.label += " batch=1 rate=20000";
		cases.push_back(c);
	}
	// The 16-bit ring indexes wrap (more than 65536 buffers on each ring).
	for (Mode m : {Mode::tx, Mode::rx}) {
		auto c = make(m, true, true, false, false);
		c.opts.frames = 66000;
		c.opts.sizes = {16, 16};
		c.label += " frames=66000 (index wrap)";
		cases.push_back(c);
	}
	// A descriptor pointing into a hole of the memory table must be
	// reported on the err eventfd.
	{
		auto c = make(Mode::tx, true, true, false, false);
		c.opts.inject_bad_gpa = true;
		c.opts.frames = 1;
		c.label = "err-eventfd: TX descriptor at unmapped guest-physical address";
		cases.push_back(c);
	}
	return cases;
}

std::vector<std::string> selftest_checks(const SelftestCase &c, const RunResult &r)
{
	std::vector<std::string> f;
	if (c.opts.inject_bad_gpa)
		return f;
	if (r.packets != c.opts.frames)
		f.push_back("delivered " + std::to_string(r.packets) + " of " +
			    std::to_string(c.opts.frames));
	if (r.txq.kicks + r.rxq.kicks == 0)
		f.push_back("no kicks at all");
	if (!r.straddling_buffers)
		f.push_back("no buffer straddles a memory region (translation not exercised)");
	if (c.expect_merged && c.opts.sizes.max + 42 + r.neg.hdr_len > c.opts.dev.mrg_buf &&
	    !r.merged_frames)
		f.push_back("mergeable RX never merged buffers");
	return f;
}

std::vector<SelftestOutcome> run_selftest(const RunOptions &base, const std::string &filter,
					  const std::function<void(const SelftestOutcome &)> &on_case)
{
	std::vector<SelftestOutcome> out;
	for (const auto &c : selftest_cases(base)) {
		if (!filter.empty() && c.label.find(filter) == std::string::npos)
			continue;
		SelftestOutcome o;
		o.label = c.label;
		try {
			o.result = run(c.opts);
			for (auto &msg : selftest_checks(c, o.result))
				o.result.failures.push_back(msg);
		} catch (const std::exception &e) {
			o.result.opts = c.opts;
			o.error = e.what();
			o.result.failures.push_back(e.what());
		}
		if (on_case)
			on_case(o);
		out.push_back(std::move(o));
	}
	return out;
}

}  // namespace vnet
