# SPDX-License-Identifier: GPL-2.0
#
# Header probes: detect API differences by looking at the target kernel's
# headers, not its version number, because distributions backport. Each
# probe that matches adds -D<name> to LWVHOST_PROBE_FLAGS; compat.h turns
# the flags into one spelling for the main sources.
#
# $(call lwvhost_probe,header,extended-regex,flag)
lwvhost_probe = $(shell grep -qE '$(2)' $(srctree)/include/$(1) 2>/dev/null && echo -D$(3))

# 6.8+: eventfd_signal(ctx) lost its count argument.
LWVHOST_PROBE_FLAGS += $(call lwvhost_probe,linux/eventfd.h,eventfd_signal\(struct eventfd_ctx \*ctx\),COMPAT_EVENTFD_SIGNAL_NO_COUNT)

# 6.4+: the worker can be a vhost_task (a thread of the owner process).
LWVHOST_PROBE_FLAGS += $(call lwvhost_probe,linux/sched/vhost_task.h,vhost_task_create,COMPAT_HAVE_VHOST_TASK)

# 6.10+: vhost_task_create() takes a handle_kill callback and fn returns bool.
LWVHOST_PROBE_FLAGS += $(call lwvhost_probe,linux/sched/vhost_task.h,handle_kill,COMPAT_VHOST_TASK_HANDLE_KILL)
