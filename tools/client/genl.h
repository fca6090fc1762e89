// SPDX-License-Identifier: GPL-2.0
// The generic netlink backend (libnl-genl-3) and the device monitor.
#pragma once

#include "client/backend.h"

#include <memory>
#include <optional>
#include <vector>

struct nl_sock;
struct nl_msg;

namespace lwvhost::client {

class GenlBackend : public Backend {
public:
	// Null with err->code == ENOENT if the family "lwvhost" is not
	// registered (module not loaded or not ours).
	static std::unique_ptr<GenlBackend> open(Error *err);
	~GenlBackend() override;

	const char *name() const override { return "genetlink"; }
	bool atomic_set() const override { return true; }
	std::optional<std::vector<Device>> list(Error *err) override;
	std::optional<Device> get(uint32_t id, Error *err) override;
	// One DEV_SET request carrying every knob of both directions; the
	// kernel validates all before applying any.
	bool set(uint32_t id, const ParamUpdate &u, Error *err) override;

private:
	GenlBackend(nl_sock *sk, int family) : sk_(sk), family_(family) {}
	// Sends msg (consumed) and receives until the ack or the end of the
	// dump; device messages are appended to *out if given.
	bool transact(nl_msg *msg, std::vector<Device> *out, Error *err);

	nl_sock *sk_;
	int family_;
};

struct DeviceEvent {
	enum class Kind { Added, Removed };
	Kind kind;
	uint32_t id;
	std::optional<Device> dev;  // Added: the device as it was opened
};

// Subscribes to the "monitor" multicast group. fd() is non-blocking: poll it
// for POLLIN, then call read().
class GenlMonitor {
public:
	static std::unique_ptr<GenlMonitor> open(Error *err);
	~GenlMonitor();
	GenlMonitor(const GenlMonitor &) = delete;
	GenlMonitor &operator=(const GenlMonitor &) = delete;

	int fd() const;
	// Every notification pending now, in order; never blocks. *overrun is
	// set when the kernel dropped notifications (socket buffer full): the
	// caller must re-list to resynchronise.
	std::vector<DeviceEvent> read(bool *overrun, Error *err);

private:
	GenlMonitor(nl_sock *sk, int family) : sk_(sk), family_(family) {}
	nl_sock *sk_;
	int family_;
};

}  // namespace lwvhost::client
