// SPDX-License-Identifier: GPL-2.0
// lwvhostctl: thin readers of the system around the devices (module
// parameters in sysfs, the worker's CPU time in procfs). Roots are
// injectable for tests.
#pragma once

#include "format.h"

#include "client/backend.h"

#include <optional>
#include <string>

namespace lwvhost::ctl {

inline constexpr const char *kParamRoot = "/sys/module/vhost_net/parameters";

// {rx,tx}_<knob> under root.
std::optional<Defaults> read_defaults(client::Error *err,
				      const std::string &root = kParamRoot);
// One write per knob in u (rx first); not atomic: the message of a failed
// write lists those already done.
bool write_defaults(const client::ParamUpdate &u, client::Error *err,
		    const std::string &root = kParamRoot);

// CPU time of the device's worker in ns: schedstat's run time when the
// kernel has it, else utime+stime from stat. Looks the worker up by name
// (vhost-<owner>) if the device reports no tid.
std::optional<uint64_t> worker_cpu_ns(const Device &d, const std::string &proc = "/proc");

}  // namespace lwvhost::ctl
