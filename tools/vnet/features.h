// SPDX-License-Identifier: GPL-2.0
// Feature negotiation between vnet (the driver) and a vhost-net backend.
//
// Pure: negotiate() takes what the command line asked for and what
// VHOST_GET_FEATURES offered and returns the set to VHOST_SET_FEATURES plus
// everything that follows from it (header length, who adds the header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vnet {

// Bit numbers, from the virtio spec and <linux/vhost_types.h>.
enum FeatureBit : unsigned {
	F_MRG_RXBUF = 15,	 // VIRTIO_NET_F_MRG_RXBUF
	F_NOTIFY_ON_EMPTY = 24,	 // VIRTIO_F_NOTIFY_ON_EMPTY
	F_LOG_ALL = 26,		 // VHOST_F_LOG_ALL
	F_VHOST_NET_HDR = 27,	 // VHOST_NET_F_VIRTIO_NET_HDR (vhost adds the header)
	F_INDIRECT_DESC = 28,	 // VIRTIO_RING_F_INDIRECT_DESC
	F_EVENT_IDX = 29,	 // VIRTIO_RING_F_EVENT_IDX
	F_VERSION_1 = 32,	 // VIRTIO_F_VERSION_1
	F_ACCESS_PLATFORM = 33,	 // VIRTIO_F_ACCESS_PLATFORM (IOTLB)
};

constexpr uint64_t fbit(unsigned b) { return uint64_t{1} << b; }

// Features this driver implements and may therefore request.
constexpr uint64_t kDriverFeatures = fbit(F_MRG_RXBUF) | fbit(F_NOTIFY_ON_EMPTY) |
				     fbit(F_VHOST_NET_HDR) | fbit(F_INDIRECT_DESC) |
				     fbit(F_EVENT_IDX) | fbit(F_VERSION_1);

// "EVENT_IDX" etc.; unknown bits come out as "bit<N>".
std::string feature_name(unsigned bit);
std::vector<std::string> feature_names(uint64_t features);

struct Negotiation {
	bool ok = false;
	std::string error;       // set when !ok
	uint64_t features = 0;   // to pass to VHOST_SET_FEATURES
	uint64_t dropped = 0;    // requested but not offered
	uint64_t ignored = 0;    // offered and requested, dropped by a rule
	size_t hdr_len = 0;      // virtio-net header: 10 or 12 bytes
	bool vhost_adds_hdr = false;  // tap without IFF_VNET_HDR, vhost strips/adds
	bool has(unsigned b) const { return features & fbit(b); }
};

// requested ∩ offered, then the dependency rules:
//  - a request the driver does not implement is an error;
//  - with `strict`, any requested feature the backend does not offer is an
//    error (the oracle must not silently test something else); otherwise it is
//    dropped and reported in `dropped`;
//  - NOTIFY_ON_EMPTY is meaningless with EVENT_IDX (the spec ignores it) and
//    is dropped into `ignored`;
//  - the header is virtio_net_hdr_mrg_rxbuf (12 bytes) when MRG_RXBUF or
//    VERSION_1 is negotiated, else virtio_net_hdr (10 bytes).
Negotiation negotiate(uint64_t requested, uint64_t offered, bool strict = true);

}  // namespace vnet
