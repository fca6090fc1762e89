# lwvhost top-level Makefile.
#
#   make modules [KVER=<release>]   out-of-tree vhost.ko + vhost_net.ko, one
#                                   output dir per kernel under build/kmod/
#   make tools                      C++ tools and unit tests (CMake, build/)
#   make check                      unit tests + VM tests on every kernel
#   make check-stress               long reliability run (docs/reliability.md)
#   make check-guest                nested Linux guest over vhost-net on every
#                                   kernel (make check runs it on 6.1 only)
#   make demo                       install deps, build, boot the VM, swap in
#   make style                      checkpatch on the kernel sources
#   make trace [TRACE_ARGS=...]     record function_graph samples in the VM
#                                   (tools/trace/record-samples --help)

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
LWVHOST_VERSION := $(shell git -C $(TOP) describe --always --dirty 2>/dev/null || echo 0.1)

# Default: every installed 6.1 and 6.12 header set.
KVERS ?= $(KVER)
ifeq ($(strip $(KVERS)),)
KVERS := $(sort $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/6.1.*/build /lib/modules/6.12.*/build))))
endif

KSOURCES := Kbuild compat include vhost vhost_net

.PHONY: all modules tools unit check check-unit check-guest check-vm check-stress demo style clean deps trace bench

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
	cmake -S $(TOP) -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$$(nproc)

check: modules tools
	tests/run-all

check-unit: tools
	tests/run-all --unit-only

check-guest: modules
	LWVHOST_GUEST_KERNELS=6.1,6.12 /usr/bin/python3 -m pytest -p no:cacheprovider -rfE -s \
		tests/integration/test_nested_guest.py

demo:
	bash scripts/demo

style:
	scripts/checkpatch $(shell find vhost vhost_net compat include -name '*.[ch]')

trace: tools
	tools/trace/record-samples $(TRACE_ARGS)

# Pacing sweep vs stock (CSV, SVG, Markdown into docs/bench/); BENCH_KERNELS
# picks the kernels, SWEEP_ARGS is passed to tools/bench/sweep-in-vm.
bench: modules tools
	tools/bench/pacing-sweep $(BENCH_KERNELS)

clean:
	rm -rf $(BUILD)

# Long reliability run (fuzzing, hostile rings, faults, leaks) on every
# kernel, lwvhost then stock; figures land in build/stress/ (docs/reliability.md).
check-stress: modules tools
	tests/stress/run-stress $(STRESS_ARGS)
