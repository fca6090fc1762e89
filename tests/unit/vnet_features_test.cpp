// SPDX-License-Identifier: GPL-2.0
#include "vnet/features.h"

#include <gtest/gtest.h>

using namespace vnet;

namespace {
// What stock vhost_net offers on 6.1/6.12 (VHOST_NET_FEATURES plus the
// bits vnet does not implement).
const uint64_t kStockOffer = fbit(F_NOTIFY_ON_EMPTY) | fbit(F_INDIRECT_DESC) |
			     fbit(F_EVENT_IDX) | fbit(F_LOG_ALL) | fbit(F_VHOST_NET_HDR) |
			     fbit(F_VERSION_1) | fbit(F_MRG_RXBUF) | fbit(F_ACCESS_PLATFORM);
}  // namespace

TEST(Negotiate, IntersectionOfRequestAndOffer)
{
	auto n = negotiate(fbit(F_VERSION_1) | fbit(F_EVENT_IDX), kStockOffer);
	ASSERT_TRUE(n.ok) << n.error;
	EXPECT_EQ(n.features, fbit(F_VERSION_1) | fbit(F_EVENT_IDX));
	EXPECT_EQ(n.dropped, 0u);
	// Nothing the driver did not ask for sneaks in (LOG_ALL, ACCESS_PLATFORM).
	EXPECT_FALSE(n.has(F_LOG_ALL));
	EXPECT_FALSE(n.has(F_ACCESS_PLATFORM));
}

TEST(Negotiate, HeaderLengthFollowsFeatures)
{
	EXPECT_EQ(negotiate(0, kStockOffer).hdr_len, 10u);
	EXPECT_EQ(negotiate(fbit(F_MRG_RXBUF), kStockOffer).hdr_len, 12u);
	EXPECT_EQ(negotiate(fbit(F_VERSION_1), kStockOffer).hdr_len, 12u);
	EXPECT_EQ(negotiate(fbit(F_VERSION_1) | fbit(F_MRG_RXBUF), kStockOffer).hdr_len, 12u);
	EXPECT_EQ(negotiate(fbit(F_INDIRECT_DESC) | fbit(F_EVENT_IDX), kStockOffer).hdr_len, 10u);
}

TEST(Negotiate, VhostAddsHeader)
{
	auto n = negotiate(fbit(F_VHOST_NET_HDR), kStockOffer);
	ASSERT_TRUE(n.ok);
	EXPECT_TRUE(n.vhost_adds_hdr);
	EXPECT_FALSE(negotiate(fbit(F_VERSION_1), kStockOffer).vhost_adds_hdr);
}

TEST(Negotiate, StrictRefusesWhatIsNotOffered)
{
	const uint64_t offer = fbit(F_VERSION_1) | fbit(F_INDIRECT_DESC);
	auto n = negotiate(fbit(F_VERSION_1) | fbit(F_EVENT_IDX) | fbit(F_MRG_RXBUF), offer);
	EXPECT_FALSE(n.ok);
	EXPECT_NE(n.error.find("EVENT_IDX"), std::string::npos) << n.error;
	EXPECT_NE(n.error.find("MRG_RXBUF"), std::string::npos) << n.error;
}

TEST(Negotiate, LenientDropsAndReports)
{
	const uint64_t offer = fbit(F_VERSION_1);
	auto n = negotiate(fbit(F_VERSION_1) | fbit(F_EVENT_IDX), offer, false);
	ASSERT_TRUE(n.ok);
	EXPECT_EQ(n.features, fbit(F_VERSION_1));
	EXPECT_EQ(n.dropped, fbit(F_EVENT_IDX));
}

TEST(Negotiate, UnimplementedRequestIsAnError)
{
	auto n = negotiate(fbit(F_ACCESS_PLATFORM), kStockOffer);
	EXPECT_FALSE(n.ok);
	EXPECT_NE(n.error.find("ACCESS_PLATFORM"), std::string::npos);
	EXPECT_FALSE(negotiate(fbit(F_LOG_ALL), kStockOffer).ok);
}

TEST(Negotiate, NotifyOnEmptyIgnoredWithEventIdx)
{
	auto n = negotiate(fbit(F_NOTIFY_ON_EMPTY) | fbit(F_EVENT_IDX), kStockOffer);
	ASSERT_TRUE(n.ok);
	EXPECT_FALSE(n.has(F_NOTIFY_ON_EMPTY));
	EXPECT_EQ(n.ignored, fbit(F_NOTIFY_ON_EMPTY));
	auto m = negotiate(fbit(F_NOTIFY_ON_EMPTY), kStockOffer);
	EXPECT_TRUE(m.has(F_NOTIFY_ON_EMPTY));
}

TEST(FeatureNames, KnownAndUnknownBits)
{
	EXPECT_EQ(feature_name(F_EVENT_IDX), "EVENT_IDX");
	EXPECT_EQ(feature_name(5), "bit5");
	auto v = feature_names(fbit(F_MRG_RXBUF) | fbit(F_VERSION_1));
	ASSERT_EQ(v.size(), 2u);
	EXPECT_EQ(v[0], "MRG_RXBUF");
	EXPECT_EQ(v[1], "VERSION_1");
}
