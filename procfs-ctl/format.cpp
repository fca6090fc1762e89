// SPDX-License-Identifier: GPL-2.0
#include "format.h"

#include "client/json.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace lwvhost::ctl {

using client::dir_name;
using client::kDirs;
using client::knob_info;
using client::knobs;
using client::mode_name;
using client::stat_fields;

namespace {

std::string hex(uint64_t v)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return buf;
}

std::string ifname_or_dash(const std::string &s)
{
	return s.empty() ? "-" : s;
}

// The interface(s) a device's queues use: one name if both agree.
std::string ifnames(const Device &d)
{
	const auto &rx = d.at(Dir::Rx).ifname, &tx = d.at(Dir::Tx).ifname;
	if (rx == tx)
		return ifname_or_dash(rx);
	return ifname_or_dash(rx) + "," + ifname_or_dash(tx);
}

std::string pair(const std::string &rx, const std::string &tx)
{
	return rx + "/" + tx;
}

std::string pid_or_dash(uint32_t v)
{
	return v ? std::to_string(v) : "-";
}

std::string upper(std::string s)
{
	for (auto &c : s)
		c = char(std::toupper(static_cast<unsigned char>(c)));
	return s;
}

std::string fixed(double v, int decimals)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return buf;
}

// The last knob of the first release: dump put the knobs up to it before
// the counters, and the knobs added since come after them.
constexpr client::Knob kLastFirstDumpKnob = client::Knob::CoalesceFrames;
// The counters dump had before latency_budget_us was appended; the ones
// added since come after it.
constexpr size_t kCountersBeforeBudget = 14;

// A queue's columns of dump (those after id .. mode), name and value, in
// their order: columns are only ever appended (lwvhostctl.8).
std::vector<std::pair<std::string, uint64_t>> dump_vq_cells(const client::Vq &q)
{
	std::vector<std::pair<std::string, uint64_t>> out;
	for (const auto &k : knobs())
		if (k.knob <= kLastFirstDumpKnob)
			out.emplace_back(k.name, q.params.*k.field);
	const auto &stats = stat_fields();
	for (size_t i = 0; i < kCountersBeforeBudget; i++)
		out.emplace_back(stats[i].name, q.stats.*stats[i].field);
	for (const auto &k : knobs())
		if (k.knob > kLastFirstDumpKnob)
			out.emplace_back(k.name, q.params.*k.field);
	for (size_t i = kCountersBeforeBudget; i < stats.size(); i++)
		out.emplace_back(stats[i].name, q.stats.*stats[i].field);
	return out;
}

}  // namespace

std::string fmt_rate(double v)
{
	return fixed(v, v < 100 ? 1 : 0);
}

std::string render_columns(const std::vector<std::vector<std::string>> &rows)
{
	std::vector<size_t> w;
	for (const auto &r : rows)
		for (size_t i = 0; i < r.size(); i++) {
			if (w.size() <= i)
				w.push_back(0);
			w[i] = std::max(w[i], r[i].size());
		}
	std::string out;
	for (const auto &r : rows) {
		std::string line;
		for (size_t i = 0; i < r.size(); i++) {
			line += r[i];
			if (i + 1 < r.size())
				line.append(w[i] - r[i].size() + 2, ' ');
		}
		while (!line.empty() && line.back() == ' ')
			line.pop_back();
		out += line + "\n";
	}
	return out;
}

std::string render_list(const std::vector<Device> &devs)
{
	if (devs.empty())
		return "no lwvhost devices\n";
	// The knob columns are headed by the knobs' names, upper-cased.
	std::vector<std::string> head = {"ID", "OWNER", "WORKER", "IFNAME", "MODE"};
	for (const auto &k : knobs())
		head.push_back(upper(k.name));
	std::vector<std::vector<std::string>> rows = {head};
	for (const auto &d : devs) {
		const auto &rx = d.at(Dir::Rx), &tx = d.at(Dir::Tx);
		std::vector<std::string> row = {std::to_string(d.id), pid_or_dash(d.owner_pid),
						pid_or_dash(d.worker_tid), ifnames(d),
						pair(mode_name(rx.mode), mode_name(tx.mode))};
		for (const auto &k : knobs())
			row.push_back(pair(std::to_string(rx.params.*k.field),
					   std::to_string(tx.params.*k.field)));
		rows.push_back(row);
	}
	return render_columns(rows) + "(values rx/tx)\n";
}

std::string render_show(const Device &d)
{
	std::string out = "device " + std::to_string(d.id) + "\n";
	out += render_columns({{"  owner pid", pid_or_dash(d.owner_pid)},
			       {"  worker tid", pid_or_dash(d.worker_tid)},
			       {"  features", hex(d.features)}});
	const auto &rx = d.at(Dir::Rx), &tx = d.at(Dir::Tx);
	std::vector<std::vector<std::string>> rows = {
		{"", "rx", "tx"},
		{"  ifname", ifname_or_dash(rx.ifname), ifname_or_dash(tx.ifname)},
		{"  mode", mode_name(rx.mode), mode_name(tx.mode)}};
	for (const auto &k : knobs())
		rows.push_back({std::string("  ") + k.name,
				std::to_string(rx.params.*k.field),
				std::to_string(tx.params.*k.field)});
	for (const auto &s : stat_fields())
		rows.push_back({std::string("  ") + s.name, std::to_string(rx.stats.*s.field),
				std::to_string(tx.stats.*s.field)});
	return out + render_columns(rows);
}

std::string render_stats(const StatsSample &s)
{
	const Device &d = s.dev;
	bool rates = s.rates[0] || s.rates[1];
	std::vector<std::vector<std::string>> rows;
	std::vector<std::string> head = {"device " + std::to_string(d.id), "rx", "tx"};
	if (rates) {
		head.push_back("rx/s");
		head.push_back("tx/s");
	}
	rows.push_back(head);
	const auto &f = stat_fields();
	for (size_t i = 0; i < f.size(); i++) {
		std::vector<std::string> r = {std::string("  ") + f[i].name,
					      std::to_string(d.at(Dir::Rx).stats.*f[i].field),
					      std::to_string(d.at(Dir::Tx).stats.*f[i].field)};
		if (rates)
			for (Dir dir : kDirs) {
				const auto &cr = s.rates[client::index(dir)];
				r.push_back(cr ? fmt_rate((*cr)[i]) : "-");
			}
		rows.push_back(r);
	}
	return render_columns(rows);
}

nlohmann::json stats_json(const StatsSample &s)
{
	nlohmann::json j = {{"id", s.dev.id}, {"time", s.t_s}};
	for (Dir dir : kDirs) {
		nlohmann::json v = client::to_json(s.dev.at(dir).stats);
		j[dir_name(dir)] = v;
	}
	nlohmann::json r = nlohmann::json::object();
	for (Dir dir : kDirs) {
		const auto &cr = s.rates[client::index(dir)];
		if (!cr)
			continue;
		nlohmann::json v = nlohmann::json::object();
		for (size_t i = 0; i < stat_fields().size(); i++)
			v[stat_fields()[i].name] = (*cr)[i];
		r[dir_name(dir)] = v;
	}
	if (!r.empty())
		j["per_second"] = r;
	return j;
}

const std::vector<std::string> &dump_columns()
{
	static const std::vector<std::string> cols = [] {
		std::vector<std::string> c = {"id", "owner_pid", "worker_tid", "features",
					      "dir", "ifname", "mode"};
		for (const auto &cell : dump_vq_cells(client::Vq{}))
			c.push_back(cell.first);
		return c;
	}();
	return cols;
}

std::string render_dump(const std::vector<Device> &devs, bool header)
{
	std::string out;
	auto row = [&](const std::vector<std::string> &cells) {
		for (size_t i = 0; i < cells.size(); i++)
			out += (i ? "\t" : "") + cells[i];
		out += "\n";
	};
	if (header) {
		auto c = dump_columns();
		c[0] = "#" + c[0];
		row(c);
	}
	for (const auto &d : devs)
		for (Dir dir : kDirs) {
			const auto &q = d.at(dir);
			std::vector<std::string> c = {std::to_string(d.id),
						      std::to_string(d.owner_pid),
						      std::to_string(d.worker_tid), hex(d.features),
						      dir_name(dir), ifname_or_dash(q.ifname),
						      mode_name(q.mode)};
			for (const auto &cell : dump_vq_cells(q))
				c.push_back(std::to_string(cell.second));
			row(c);
		}
	return out;
}

std::string render_top(const std::vector<TopEntry> &rows, double interval_s,
		       const char *backend)
{
	std::string out = "lwvhostctl top: " + std::to_string(rows.size()) +
			  " device(s), every " + fixed(interval_s, 1) + " s, via " + backend +
			  "\n";
	std::vector<std::vector<std::string>> t = {
		{"ID", "DIR", "IFNAME", "MODE",
		 upper(knob_info(client::Knob::PollIntervalUs).name), "PPS", "MBIT/S",
		 "KICKS/S", "SIGNALS/S", "KICK/PKT", "SIG/PKT", "CPU%"}};
	for (const auto &e : rows)
		for (Dir dir : kDirs) {
			const auto &q = e.dev.at(dir);
			const auto &r = e.rates[client::index(dir)];
			std::vector<std::string> c = {
				dir == Dir::Rx ? std::to_string(e.dev.id) : "", dir_name(dir),
				ifname_or_dash(q.ifname), mode_name(q.mode),
				std::to_string(q.params.poll_interval_us)};
			if (r) {
				c.insert(c.end(), {fmt_rate(r->pps), fixed(r->mbit_s, 2),
						   fmt_rate(r->kicks_s), fmt_rate(r->signals_s),
						   fixed(r->kicks_per_pkt, 3),
						   fixed(r->signals_per_pkt, 3)});
			} else {
				c.insert(c.end(), 6, "-");
			}
			// One worker serves both directions: its CPU once per device.
			c.push_back(dir == Dir::Rx && e.cpu_percent ? fixed(*e.cpu_percent, 1)
				    : dir == Dir::Rx ? "-"
						     : "");
			t.push_back(c);
		}
	return out + render_columns(t);
}

nlohmann::json top_json(const std::vector<TopEntry> &rows, double t_s)
{
	nlohmann::json devs = nlohmann::json::array();
	for (const auto &e : rows) {
		nlohmann::json j = {{"id", e.dev.id},
				    {"owner_pid", e.dev.owner_pid},
				    {"worker_tid", e.dev.worker_tid},
				    {"cpu_percent", e.cpu_percent ? nlohmann::json(*e.cpu_percent)
								  : nlohmann::json(nullptr)}};
		for (Dir dir : kDirs) {
			const auto &q = e.dev.at(dir);
			const auto &r = e.rates[client::index(dir)];
			nlohmann::json v = {{"ifname", q.ifname},
					    {"mode", mode_name(q.mode)},
					    {"params", client::to_json(q.params)}};
			if (r)
				v["rates"] = {{"pps", r->pps},
					      {"mbit_s", r->mbit_s},
					      {"kicks_s", r->kicks_s},
					      {"signals_s", r->signals_s},
					      {"polls_s", r->polls_s},
					      {"kicks_per_packet", r->kicks_per_pkt},
					      {"signals_per_packet", r->signals_per_pkt}};
			else
				v["rates"] = nullptr;
			j[dir_name(dir)] = v;
		}
		devs.push_back(j);
	}
	return {{"time", t_s}, {"devices", devs}};
}

std::string render_defaults(const Defaults &d)
{
	std::vector<std::vector<std::string>> rows = {{"module defaults", "rx", "tx"}};
	for (const auto &k : knobs())
		rows.push_back({std::string("  ") + k.name, std::to_string(d[0].*k.field),
				std::to_string(d[1].*k.field)});
	return render_columns(rows);
}

nlohmann::json defaults_json(const Defaults &d)
{
	return {{"rx", client::to_json(d[0])}, {"tx", client::to_json(d[1])}};
}

std::string device_error_text(const client::Error &e)
{
	// Every device read and write needs CAP_NET_ADMIN in the initial user
	// namespace; errno text alone does not say so.
	if (e.code == EPERM || e.code == EACCES)
		return e.message + " (needs CAP_NET_ADMIN)";
	return e.message;
}

}  // namespace lwvhost::ctl
