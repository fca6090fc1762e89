# SPDX-License-Identifier: GPL-2.0
# lwvhost top-level Makefile.
#
#   make modules [KVER=<release>]   out-of-tree vhost.ko + vhost_net.ko, one
#                                   output dir per kernel under build/kmod/
#   make tools                      C++ tools and unit tests (CMake, build/)
#   make check                      unit tests + VM tests on every kernel
#   make check-stress               long reliability run (docs/reliability.md)
#   make debug-kernel               build the lockdep/KASAN/kmemleak 6.12 test
#                                   kernel (cached under build/debug-kernel/)
#   make check-debug                kernel tests on the debug kernel
#                                   (docs/reliability.md); not in make check
#   make check-guest                every nested Linux guest scenario on every
#                                   kernel (make check runs a subset)
#   make bench                      vnet pacing sweep vs stock (docs/bench/)
#   make bench-guest                nested Linux guest benchmark vs stock
#                                   (docs/bench/guest.md)
#   make demo                       install deps, build, boot the VM, swap in
#   make style                      checkpatch on the kernel sources
#   make trace [TRACE_ARGS=...]     record function_graph samples in the VM
#                                   (tools/trace/record-samples --help)
#   make install [DESTDIR= PREFIX= KVER=]   modules into
#                                   /lib/modules/<release>/updates/lwvhost/,
#                                   tools etc. under PREFIX (/usr/local);
#                                   depmod unless DESTDIR is set
#   make uninstall [DESTDIR= PREFIX=]       remove exactly what install put
#   make dkms-install [KVER=]       source to /usr/src/lwvhost-<version>,
#                                   dkms add/build/install (running kernel)
#   make dkms-uninstall             dkms remove, delete the source copy
#   make check-dkms                 DKMS build + modprobe inside a 6.12 VM
#   make deb                        Debian packages lwvhost-dkms and
#                                   lwvhost-tools into build/deb/ (lintian)

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
# The DKMS/package version (dkms.conf's PACKAGE_VERSION must match, a test
# checks) and the module version: git's description of the tree, or, in a
# source copy without git (DKMS), the .version file dkms-install writes.
LWVHOST_RELEASE := 0.1
LWVHOST_VERSION := $(shell cat $(TOP)/.version 2>/dev/null || \
	git -C $(TOP) describe --always --dirty 2>/dev/null || echo $(LWVHOST_RELEASE))

# Default: every installed 6.1 and 6.12 header set (Debian's; the debug
# test kernel is built for explicitly, by make check-debug).
KVERS ?= $(KVER)
ifeq ($(strip $(KVERS)),)
KVERS := $(filter-out %-lwvdebug,$(sort $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/6.1.*/build /lib/modules/6.12.*/build)))))
endif

KSOURCES := Kbuild compat include vhost vhost_net

.PHONY: all modules tools unit check check-unit check-guest check-vm check-stress demo style clean deps bench-guest \
	debug-kernel check-debug \
	trace bench install uninstall dkms-install dkms-uninstall check-dkms deb

all: modules tools

deps:
	bash scripts/install-deps

# Kbuild for 6.1/6.12 writes objects next to the sources, so each kernel
# gets a symlink farm of the sources in its own directory.
modules:
	@test -n "$(KVERS)" || { echo "no 6.1/6.12 kernel headers installed (run scripts/install-deps)" >&2; exit 1; }
	@set -e; for k in $(KVERS); do \
		out=$(BUILD)/kmod/$$k; mkdir -p $$out; \
		find $$out -type l -delete; \
		for s in $(KSOURCES); do [ ! -e $(TOP)/$$s ] || cp -rs $(TOP)/$$s $$out/; done; \
		echo "== modules for $$k"; \
		$(MAKE) -C /lib/modules/$$k/build M=$$out \
			LWVHOST_VERSION=$(LWVHOST_VERSION) modules; \
	done

tools:
	cmake -S $(TOP) -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLWVHOST_VERSION=$(LWVHOST_VERSION) >/dev/null
	cmake --build $(BUILD) -j$$(nproc)

check: modules tools
	tests/run-all

check-unit: tools
	tests/run-all --unit-only

check-guest: modules tools
	LWVHOST_GUEST_RUNS=all /usr/bin/python3 -m pytest -p no:cacheprovider -rfE -s \
		tests/integration/test_nested_guest.py

demo:
	bash scripts/demo

style:
	scripts/checkpatch $(shell find vhost vhost_net compat include -name '*.[ch]')

# Without TRACE_ARGS: the whole reference set (stock, lwvhost event mode,
# lwvhost polling at 50 us) on both kernels.
# Into build/tracefile-samples/; TRACE_OUT=tracefile-samples replaces the
# samples the repository keeps (and the unit tests read).
TRACE_OUT ?= $(BUILD)/tracefile-samples
trace: modules tools
ifeq ($(strip $(TRACE_ARGS)),)
	tools/trace/record-samples --out $(TRACE_OUT) --backend stock
	tools/trace/record-samples --out $(TRACE_OUT) --backend lwvhost --label event
	tools/trace/record-samples --out $(TRACE_OUT) --backend lwvhost \
		--param tx_poll_interval_us=50 --param rx_poll_interval_us=50 --label poll50
else
	tools/trace/record-samples --out $(TRACE_OUT) $(TRACE_ARGS)
endif

# Pacing sweep vs stock (CSV, SVG, Markdown) into build/bench/;
# BENCH_OUT=docs/bench replaces the published results. BENCH_KERNELS picks
# the kernels, SWEEP_ARGS is passed to tools/bench/sweep-in-vm.
BENCH_OUT ?= $(BUILD)/bench
bench: modules tools
	tools/bench/pacing-sweep --out $(BENCH_OUT) $(BENCH_KERNELS)

# Real-guest benchmark: a nested Linux guest over stock and lwvhost (fixed,
# adaptive, tuned), CSV + SVG + Markdown into BENCH_OUT (docs/bench/guest.md
# explains them). BENCH_KERNELS picks the kernels, GUEST_BENCH_ARGS is passed
# to tools/bench/guest-bench-in-vm.
bench-guest: modules tools
	tools/bench/guest-bench --out $(BENCH_OUT) $(BENCH_KERNELS)

clean:
	rm -rf $(BUILD)

# Long reliability run (fuzzing, hostile rings, faults, leaks) on every
# kernel, lwvhost then stock; figures land in build/stress/ (docs/reliability.md).
check-stress: modules tools
	tests/stress/run-stress $(STRESS_ARGS)

# The debug test kernel (tests/vm/debug-kernel.config) and the kernel tests
# on it: every lockdep, KASAN, UBSAN, ODEBUG or kmemleak report fails.
debug-kernel:
	tests/vm/build-debug-kernel 6.12

check-debug: debug-kernel tools
	tests/run-debug $(DEBUG_ARGS)

# Installs what is built (it never builds as root on its own).
PREFIX ?= /usr/local
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BUILD="$(BUILD)" KVERS="$(KVER)"

install:
	$(INSTALL_ENV) bash scripts/install-tree install

uninstall:
	$(INSTALL_ENV) bash scripts/install-tree uninstall

# DKMS builds from a copy of the kernel sources in /usr/src; dkms.conf's MAKE
# runs `make modules KVER=<kernel>` there.
DKMS_SRC = /usr/src/lwvhost-$(LWVHOST_RELEASE)
DKMS_FILES = Makefile dkms.conf COPYING LICENSES $(KSOURCES)

dkms-install:
	@command -v dkms >/dev/null || { echo "dkms-install: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	@if dkms status lwvhost/$(LWVHOST_RELEASE) | grep -q .; then \
		echo "== removing the registered lwvhost/$(LWVHOST_RELEASE) first"; \
		dkms remove lwvhost/$(LWVHOST_RELEASE) --all; fi
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	cp -r $(addprefix $(TOP)/,$(DKMS_FILES)) $(DKMS_SRC)/
	echo "$(LWVHOST_VERSION)" > $(DKMS_SRC)/.version
	dkms add lwvhost/$(LWVHOST_RELEASE)
	@set -e; for k in $(or $(KVER),$(shell uname -r)); do \
		dkms build lwvhost/$(LWVHOST_RELEASE) -k $$k; \
		dkms install lwvhost/$(LWVHOST_RELEASE) -k $$k; \
	done

dkms-uninstall:
	@if dkms status lwvhost/$(LWVHOST_RELEASE) | grep -q .; then \
		dkms remove lwvhost/$(LWVHOST_RELEASE) --all; fi
	rm -rf $(DKMS_SRC)

# Compiling (and depmod) inside the TCG VM takes 4.5-9 min, so it is not part of make check
# (which builds with DKMS on the host and loads the result in the VM).
check-dkms:
	LWVHOST_DKMS_VM_BUILD=1 LWVHOST_KERNELS=6.12 /usr/bin/python3 -m pytest \
		-p no:cacheprovider -rfE -s -k builds_inside_vm tests/integration/test_dkms.py

# Debian packages (debian/): dpkg-buildpackage on a copy of the tree in
# build/deb/, so its outputs stay inside build/; then lintian on them.
# The unit tests are make check's business: DEB_BUILD_OPTIONS=nocheck by
# default (set it to "" for a package build that runs them).
DEB_DIR = $(BUILD)/deb
DEB_BUILD_OPTIONS ?= nocheck parallel=$(shell nproc)
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/lwvhost
	cd $(TOP) && { git ls-files -z --cached --others --exclude-standard 2>/dev/null || \
		find . -path ./build -prune -o -type f -print0; } | \
		xargs -0 cp --parents -t $(DEB_DIR)/lwvhost
	cd $(DEB_DIR)/lwvhost && DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	lintian --fail-on warning,info --info \
		$(DEB_DIR)/*.changes
	@ls $(DEB_DIR)/*.deb
