// SPDX-License-Identifier: GPL-2.0
// Encoding and decoding of lwvhost generic netlink messages with libnl's
// message and attribute helpers. No sockets: unit tests build messages with
// the same helpers and decode them.
#pragma once

#include "client/device.h"

#include <optional>
#include <string>

struct nl_msg;
struct nlmsghdr;
struct nlattr;

namespace lwvhost::client {

// Appends LWVHOST_A_DEV_ID and one LWVHOST_A_DEV_VQ nest per direction that
// u touches, to a message whose genetlink header is already in place.
// Returns a negative libnl error code on failure (message too small).
int put_dev_set_attrs(nl_msg *msg, uint32_t id, const ParamUpdate &u);

// Decodes a device message (DEV_GET reply or DEV_ADD_NTF): every attribute
// after the genetlink header. Unknown attributes are skipped; a known one
// of the wrong size is an error.
std::optional<Device> parse_device_msg(const nlmsghdr *nlh, std::string *err);

// LWVHOST_A_DEV_ID of a message (DEV_DEL_NTF carries only that).
std::optional<uint32_t> parse_dev_id(const nlmsghdr *nlh);

// The extended ack text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR message, or
// "" if it carries none.
std::string extack_message(const nlmsghdr *nlh);

}  // namespace lwvhost::client
