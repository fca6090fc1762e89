// SPDX-License-Identifier: GPL-2.0
#include "client/json.h"

#include <cstdio>

namespace lwvhost::client {

nlohmann::json to_json(const Params &p)
{
	nlohmann::json j = nlohmann::json::object();
	for (const auto &k : knobs())
		j[k.name] = p.*k.field;
	return j;
}

nlohmann::json to_json(const Stats &s)
{
	nlohmann::json j = nlohmann::json::object();
	for (const auto &f : stat_fields())
		j[f.name] = s.*f.field;
	return j;
}

nlohmann::json to_json(const Vq &vq)
{
	return {{"ifname", vq.ifname},
		{"mode", mode_name(vq.mode)},
		{"params", to_json(vq.params)},
		{"stats", to_json(vq.stats)}};
}

nlohmann::json to_json(const Device &d)
{
	char feat[32];
	std::snprintf(feat, sizeof(feat), "0x%llx", (unsigned long long)d.features);
	nlohmann::json j = {{"id", d.id},
			    {"owner_pid", d.owner_pid},
			    {"worker_tid", d.worker_tid},
			    {"features", feat}};
	for (Dir dir : kDirs)
		j[dir_name(dir)] = to_json(d.at(dir));
	return j;
}

}  // namespace lwvhost::client
