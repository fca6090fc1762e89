// SPDX-License-Identifier: GPL-2.0
#include "features.h"

namespace vnet {

std::string feature_name(unsigned bit)
{
	switch (bit) {
	case F_MRG_RXBUF: return "MRG_RXBUF";
	case F_NOTIFY_ON_EMPTY: return "NOTIFY_ON_EMPTY";
	case F_LOG_ALL: return "LOG_ALL";
	case F_VHOST_NET_HDR: return "VHOST_NET_HDR";
	case F_INDIRECT_DESC: return "INDIRECT_DESC";
	case F_EVENT_IDX: return "EVENT_IDX";
	case F_VERSION_1: return "VERSION_1";
	case F_ACCESS_PLATFORM: return "ACCESS_PLATFORM";
	case 30: return "BAD_FEATURE";
	case 34: return "RING_PACKED";
	case 40: return "RING_RESET";
	default: return "bit" + std::to_string(bit);
	}
}

std::vector<std::string> feature_names(uint64_t features)
{
	std::vector<std::string> out;
	for (unsigned b = 0; b < 64; b++)
		if (features & fbit(b))
			out.push_back(feature_name(b));
	return out;
}

static std::string join_names(uint64_t features)
{
	std::string s;
	for (auto &n : feature_names(features))
		s += (s.empty() ? "" : ",") + n;
	return s;
}

Negotiation negotiate(uint64_t requested, uint64_t offered, bool strict)
{
	Negotiation n;
	if (uint64_t unknown = requested & ~kDriverFeatures) {
		n.error = "driver does not implement " + join_names(unknown);
		return n;
	}
	n.dropped = requested & ~offered;
	if (strict && n.dropped) {
		n.error = "backend does not offer " + join_names(n.dropped);
		return n;
	}
	uint64_t f = requested & offered;
	if ((f & fbit(F_EVENT_IDX)) && (f & fbit(F_NOTIFY_ON_EMPTY))) {
		n.ignored |= fbit(F_NOTIFY_ON_EMPTY);
		f &= ~fbit(F_NOTIFY_ON_EMPTY);
	}
	n.features = f;
	n.hdr_len = (f & (fbit(F_MRG_RXBUF) | fbit(F_VERSION_1))) ? 12 : 10;
	n.vhost_adds_hdr = f & fbit(F_VHOST_NET_HDR);
	n.ok = true;
	return n;
}

}  // namespace vnet
