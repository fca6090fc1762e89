/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every lwvhost source file (see Kbuild). This is the
 * only place that knows about differences between the kernels we support
 * (Debian's 6.1 and 6.12 series); the flags come from compat/probes.mk.
 */
#ifndef _LWVHOST_COMPAT_H
#define _LWVHOST_COMPAT_H

#include <linux/version.h>
#include <linux/eventfd.h>

/* Signal an eventfd once. */
#ifdef COMPAT_EVENTFD_SIGNAL_NO_COUNT
#define compat_eventfd_signal(ctx) eventfd_signal(ctx)
#else
#define compat_eventfd_signal(ctx) eventfd_signal((ctx), 1)
#endif

#endif /* _LWVHOST_COMPAT_H */
