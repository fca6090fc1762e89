// SPDX-License-Identifier: GPL-2.0
#include "args.h"

#include "client/procfs_text.h"

#include <charconv>
#include <cmath>
#include <iterator>
#include <set>

namespace lwvhost::ctl {

using client::knob_info;

const std::vector<SettingName> &setting_names()
{
	static const std::vector<SettingName> table = [] {
		std::vector<SettingName> t;
		for (const auto &k : client::knobs()) {
			t.push_back({k.name, true, true, k.knob, false});
			t.push_back({std::string("rx_") + k.name, true, false, k.knob, false});
			t.push_back({std::string("tx_") + k.name, false, true, k.knob, false});
		}
		// Short spellings in the style of ethtool -C: those of earlier
		// releases, and the same style for knobs added since.
		const SettingName aliases[] = {
			{"rx-poll-us", true, false, Knob::PollIntervalUs, true},
			{"tx-poll-us", false, true, Knob::PollIntervalUs, true},
			{"rx-usecs", true, false, Knob::CoalesceUsecs, true},
			{"tx-usecs", false, true, Knob::CoalesceUsecs, true},
			{"rx-frames", true, false, Knob::CoalesceFrames, true},
			{"tx-frames", false, true, Knob::CoalesceFrames, true},
			{"idle-polls", true, true, Knob::IdlePolls, true},
			{"rx-idle-polls", true, false, Knob::IdlePolls, true},
			{"tx-idle-polls", false, true, Knob::IdlePolls, true},
			{"budget-us", true, true, Knob::LatencyBudgetUs, true},
			{"rx-budget-us", true, false, Knob::LatencyBudgetUs, true},
			{"tx-budget-us", false, true, Knob::LatencyBudgetUs, true},
		};
		t.insert(t.end(), std::begin(aliases), std::end(aliases));
		return t;
	}();
	return table;
}

std::string settings_help()
{
	std::string out, aliases;
	for (const auto &s : setting_names()) {
		if (s.alias) {
			aliases += (aliases.empty() ? "" : ", ") + s.name;
			continue;
		}
		const auto &k = knob_info(s.knob);
		std::string name = s.name + " N";
		name.resize(std::max<size_t>(name.size() + 1, 24), ' ');
		out += "  " + name + (s.rx && s.tx ? "rx and tx" : s.rx ? "rx" : "tx") + " (" +
		       std::to_string(k.min) + ".." + std::to_string(k.max) + ")\n";
	}
	return out + "  also accepted: " + aliases + "\n";
}

std::optional<ParamUpdate> parse_settings(const std::vector<std::string> &words,
					  std::string *err)
{
	if (words.empty()) {
		*err = "nothing to set (give NAME VALUE pairs, e.g. tx_poll_interval_us 50)";
		return std::nullopt;
	}
	ParamUpdate u;
	// Which name set each (dir, knob), to report conflicts.
	std::string setter[2][client::kKnobCount];
	for (size_t i = 0; i < words.size(); i += 2) {
		const std::string &name = words[i];
		const SettingName *s = nullptr;
		for (const auto &c : setting_names())
			if (name == c.name)
				s = &c;
		if (!s) {
			std::string all;
			for (const auto &c : setting_names())
				if (!c.alias)
					all += (all.empty() ? "" : ", ") + c.name;
			*err = "unknown setting '" + name + "' (one of: " + all + ")";
			return std::nullopt;
		}
		if (i + 1 >= words.size()) {
			*err = "'" + name + "' needs a value";
			return std::nullopt;
		}
		auto v = client::parse_u32(words[i + 1]);
		if (!v) {
			*err = name + " wants an unsigned integer, got '" + words[i + 1] + "'";
			return std::nullopt;
		}
		for (Dir d : client::kDirs) {
			if (!(d == Dir::Rx ? s->rx : s->tx))
				continue;
			std::string &prev = setter[client::index(d)][size_t(s->knob)];
			if (!prev.empty()) {
				*err = prev == name ? name + " given twice"
						    : prev + " and " + name + " both set " +
							      client::dir_name(d) + " " +
							      knob_info(s->knob).name;
				return std::nullopt;
			}
			prev = name;
			u.set(d, s->knob, *v);
		}
	}
	return u;
}

std::optional<DeviceRef> parse_device_ref(const std::string &s, std::string *err)
{
	if (s.empty()) {
		*err = "empty device name";
		return std::nullopt;
	}
	DeviceRef r;
	if (s.find_first_not_of("0123456789") == std::string::npos) {
		r.id = client::parse_u32(s);
		if (!r.id) {
			*err = "device id '" + s + "' is out of range";
			return std::nullopt;
		}
		return r;
	}
	// Interface names: at most IFNAMSIZ - 1 characters, no '/' or spaces.
	if (s.size() > 15 || s.find_first_of("/ \t\n") != std::string::npos) {
		*err = "'" + s + "' is neither a device id nor an interface name";
		return std::nullopt;
	}
	r.ifname = s;
	return r;
}

std::optional<uint32_t> resolve_device(const DeviceRef &ref,
				       const std::vector<Device> &devs, std::string *err)
{
	if (ref.id) {
		for (const auto &d : devs)
			if (d.id == *ref.id)
				return d.id;
		*err = "no device " + std::to_string(*ref.id);
		return std::nullopt;
	}
	std::vector<uint32_t> hits;
	for (const auto &d : devs)
		if (d.at(Dir::Rx).ifname == ref.ifname || d.at(Dir::Tx).ifname == ref.ifname)
			hits.push_back(d.id);
	if (hits.size() == 1)
		return hits[0];
	if (hits.empty()) {
		*err = "no device attached to " + ref.ifname;
	} else {
		*err = ref.ifname + " is attached to several devices (";
		for (size_t i = 0; i < hits.size(); i++)
			*err += (i ? ", " : "") + std::to_string(hits[i]);
		*err += "); give the id";
	}
	return std::nullopt;
}

std::optional<double> parse_seconds(const std::string &s, std::string *err)
{
	double v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) ||
	    v <= 0 || v > 86400) {
		*err = "seconds must be a number in (0, 86400], got '" + s + "'";
		return std::nullopt;
	}
	return v;
}

}  // namespace lwvhost::ctl
