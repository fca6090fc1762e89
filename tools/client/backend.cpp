// SPDX-License-Identifier: GPL-2.0
#include "client/backend.h"

#include "client/genl.h"
#include "client/procfs.h"

#include <cerrno>

namespace lwvhost::client {

std::unique_ptr<Backend> open_backend(Prefer p, std::string *notice, Error *err,
				      const std::string &proc_root)
{
	notice->clear();
	if (p != Prefer::Procfs) {
		Error gerr;
		if (auto g = GenlBackend::open(&gerr))
			return g;
		if (p == Prefer::Genetlink || gerr.code != ENOENT) {
			*err = gerr;
			return nullptr;
		}
	}
	auto pb = std::make_unique<ProcfsBackend>(proc_root);
	if (!pb->available()) {
		err->set(ENOENT, p == Prefer::Procfs
					 ? proc_root + " not found (lwvhost vhost_net not loaded?)"
					 : "lwvhost not loaded: genetlink family lwvhost not found "
					   "and no " + proc_root);
		return nullptr;
	}
	if (p == Prefer::Auto)
		*notice = kFallbackNotice;
	return pb;
}

}  // namespace lwvhost::client
