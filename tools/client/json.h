// SPDX-License-Identifier: GPL-2.0
// JSON form of the data model, shared by lwvhostctl --json and the daemon's
// logs. Keys are the table names in device.h.
#pragma once

#include "client/device.h"

#include <nlohmann/json.hpp>

namespace lwvhost::client {

nlohmann::json to_json(const Params &p);
nlohmann::json to_json(const Stats &s);
// {"ifname", "mode", "params", "stats"}
nlohmann::json to_json(const Vq &vq);
// {"id", "owner_pid", "worker_tid", "features" ("0x..." hex string), "rx", "tx"}
nlohmann::json to_json(const Device &d);

}  // namespace lwvhost::client
