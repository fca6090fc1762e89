// SPDX-License-Identifier: GPL-2.0
// The procfs backend: /proc/lwvhost/<id>/{info,stats,<dir>_<knob>}.
//
// The root is injectable so tests can point it at a copy of a fixture tree.
#pragma once

#include "client/backend.h"

#include <string>

namespace lwvhost::client {

class ProcfsBackend : public Backend {
public:
	explicit ProcfsBackend(std::string root = kProcRoot) : root_(std::move(root)) {}

	// True if root is a readable directory (the module is loaded).
	bool available() const;

	const char *name() const override { return "procfs"; }
	bool atomic_set() const override { return false; }
	std::optional<std::vector<Device>> list(Error *err) override;
	std::optional<Device> get(uint32_t id, Error *err) override;
	// One write per knob (rx first, then tx, knobs in table order). NOT
	// atomic: if a write fails, the writes before it stay applied, and
	// err->message says which file failed and which were already written.
	bool set(uint32_t id, const ParamUpdate &u, Error *err) override;

private:
	std::string dev_dir(uint32_t id) const;
	std::string root_;
};

// One-value files (sysfs module parameters, procfs knobs).
std::optional<uint32_t> read_value_file(const std::string &path, Error *err);
bool write_value_file(const std::string &path, uint32_t v, Error *err);

}  // namespace lwvhost::client
