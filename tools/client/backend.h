// SPDX-License-Identifier: GPL-2.0
// lwvhost client: reading and changing devices.
//
// Two backends implement the same operations:
//   - GenlBackend (genl.h): the generic netlink family "lwvhost"; a dump is
//     one round trip and a set is one atomic DEV_SET request.
//   - ProcfsBackend (procfs.h): /proc/lwvhost/<id>/, for kernels or setups
//     where the family is missing; a set is one file write per knob and is
//     NOT atomic.
// open_backend() picks one.
#pragma once

#include "client/device.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lwvhost::client {

struct Error {
	int code = 0;         // positive errno (ENOENT: no such device/family)
	std::string message;  // for the user: the kernel's extack text if any

	bool set(int c, std::string m)
	{
		code = c;
		message = std::move(m);
		return false;
	}
};

class Backend {
public:
	virtual ~Backend() = default;
	// "genetlink" or "procfs".
	virtual const char *name() const = 0;
	// True if set() applies all of an update or none of it.
	virtual bool atomic_set() const = 0;

	// Every device, sorted by id.
	virtual std::optional<std::vector<Device>> list(Error *err) = 0;
	// One device; err->code is ENOENT if there is no such device.
	virtual std::optional<Device> get(uint32_t id, Error *err) = 0;
	// Applies every knob in u to device id. On failure err->message says
	// why (the kernel's extack message over genetlink, file + errno text
	// over procfs).
	virtual bool set(uint32_t id, const ParamUpdate &u, Error *err) = 0;
};

enum class Prefer { Auto, Genetlink, Procfs };

inline constexpr const char *kProcRoot = "/proc/lwvhost";
inline constexpr const char *kFallbackNotice =
	"genetlink family lwvhost not found; using /proc/lwvhost";

// Auto: genetlink if the family exists, else procfs with *notice set to
// kFallbackNotice. Genetlink/Procfs: only that one. Returns null with *err
// set when the chosen surface is unavailable (ENOENT: lwvhost not loaded).
std::unique_ptr<Backend> open_backend(Prefer p, std::string *notice, Error *err,
				      const std::string &proc_root = kProcRoot);

}  // namespace lwvhost::client
