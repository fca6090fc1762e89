/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lwvhost control interface: generic netlink family "lwvhost".
 *
 * Shared by the vhost_net module and the user-space tools (lwvhostctl,
 * lwvhost-tuned). The same knobs also appear as files under
 * /proc/lwvhost/<dev-id>/ and, as defaults for new devices, as module
 * parameters under /sys/module/vhost_net/parameters/; see
 * docs/interfaces.md.
 *
 * Attribute tree of a device message (DEV_GET reply, DEV_SET request,
 * DEV_ADD/DEV_DEL notification):
 *
 *   LWVHOST_A_DEV_ID            u32  stable for the life of the open file
 *   LWVHOST_A_DEV_OWNER_PID     u32  tgid of the VHOST_SET_OWNER caller (0: none)
 *   LWVHOST_A_DEV_WORKER_TID    u32  tid of the worker thread (0: none yet)
 *   LWVHOST_A_DEV_FEATURES      u64  acked virtio features
 *   LWVHOST_A_DEV_VQ            nest, once per direction:
 *     LWVHOST_A_VQ_DIR              u32  enum lwvhost_dir
 *     LWVHOST_A_VQ_IFNAME           string, backend interface ("" if none)
 *     LWVHOST_A_VQ_POLL_INTERVAL_US u32  0 = stock event mode
 *     LWVHOST_A_VQ_IDLE_POLLS       u32  empty polls before event mode
 *     LWVHOST_A_VQ_COALESCE_USECS   u32  0 = no time-based holding
 *     LWVHOST_A_VQ_COALESCE_FRAMES  u32  0 = no frame-based holding
 *     LWVHOST_A_VQ_MODE             u32  enum lwvhost_mode (read only)
 *     LWVHOST_A_VQ_STATS            nest of LWVHOST_A_STAT_* u64 (read only)
 *     LWVHOST_A_VQ_LATENCY_BUDGET_US u32 adaptive polling, 0 = off; when set
 *                                        it replaces POLL_INTERVAL_US and
 *                                        IDLE_POLLS
 *
 * DEV_SET takes LWVHOST_A_DEV_ID and one or more LWVHOST_A_DEV_VQ nests
 * with LWVHOST_A_VQ_DIR and any of the five writable knobs. Every value is
 * validated before any is applied: the request succeeds or changes
 * nothing. Writes need CAP_NET_ADMIN.
 */
#ifndef _UAPI_LINUX_LWVHOST_H
#define _UAPI_LINUX_LWVHOST_H

#define LWVHOST_GENL_NAME		"lwvhost"
#define LWVHOST_GENL_VERSION		1
#define LWVHOST_GENL_MCGRP_MONITOR	"monitor"

/* Accepted ranges of the knobs (inclusive). */
#define LWVHOST_POLL_INTERVAL_MAX_US	10000
#define LWVHOST_IDLE_POLLS_MIN		1
#define LWVHOST_IDLE_POLLS_MAX		100000
#define LWVHOST_COALESCE_USECS_MAX	10000
#define LWVHOST_COALESCE_FRAMES_MAX	4096
/* coalesce_frames without coalesce_usecs holds a signal at most this long. */
#define LWVHOST_COALESCE_HOLD_MAX_US	1000
#define LWVHOST_IDLE_POLLS_DEFAULT	8
#define LWVHOST_LATENCY_BUDGET_MAX_US	10000

enum lwvhost_dir {
	LWVHOST_DIR_RX,
	LWVHOST_DIR_TX,
	LWVHOST_DIR_COUNT,
};

enum lwvhost_mode {
	LWVHOST_MODE_EVENT,	/* guest notifications on (stock) */
	LWVHOST_MODE_POLL,	/* notifications off, re-polled by a timer */
};

enum {
	LWVHOST_CMD_UNSPEC,
	LWVHOST_CMD_DEV_GET,	/* do (by LWVHOST_A_DEV_ID) or dump (all) */
	LWVHOST_CMD_DEV_SET,
	LWVHOST_CMD_DEV_ADD_NTF,	/* multicast: a device was opened */
	LWVHOST_CMD_DEV_DEL_NTF,	/* multicast: a device was released */

	__LWVHOST_CMD_MAX,
	LWVHOST_CMD_MAX = __LWVHOST_CMD_MAX - 1
};

enum {
	LWVHOST_A_DEV_UNSPEC,
	LWVHOST_A_DEV_ID,
	LWVHOST_A_DEV_OWNER_PID,
	LWVHOST_A_DEV_WORKER_TID,
	LWVHOST_A_DEV_FEATURES,
	LWVHOST_A_DEV_VQ,
	LWVHOST_A_DEV_PAD,

	__LWVHOST_A_DEV_MAX,
	LWVHOST_A_DEV_MAX = __LWVHOST_A_DEV_MAX - 1
};

enum {
	LWVHOST_A_VQ_UNSPEC,
	LWVHOST_A_VQ_DIR,
	LWVHOST_A_VQ_IFNAME,
	LWVHOST_A_VQ_POLL_INTERVAL_US,
	LWVHOST_A_VQ_IDLE_POLLS,
	LWVHOST_A_VQ_COALESCE_USECS,
	LWVHOST_A_VQ_COALESCE_FRAMES,
	LWVHOST_A_VQ_MODE,
	LWVHOST_A_VQ_STATS,
	LWVHOST_A_VQ_LATENCY_BUDGET_US,

	__LWVHOST_A_VQ_MAX,
	LWVHOST_A_VQ_MAX = __LWVHOST_A_VQ_MAX - 1
};

/* Per-virtqueue statistics: monotonically increasing u64 counters. */
enum {
	LWVHOST_A_STAT_UNSPEC,
	LWVHOST_A_STAT_PAD,
	LWVHOST_A_STAT_PACKETS,		/* frames moved */
	LWVHOST_A_STAT_BYTES,		/* bytes moved (vnet header counted unless stripped) */
	LWVHOST_A_STAT_KICKS,		/* guest notifications received */
	LWVHOST_A_STAT_SIGNALS,		/* call eventfd signalled */
	LWVHOST_A_STAT_SIGNALS_COALESCED,	/* signals held back by coalescing */
	LWVHOST_A_STAT_POLLS,		/* handler passes */
	LWVHOST_A_STAT_EMPTY_POLLS,	/* handler passes that found no work */
	LWVHOST_A_STAT_TIMER_WAKEUPS,	/* poll-interval timer expiries */
	LWVHOST_A_STAT_MODE_SWITCHES,	/* event <-> poll transitions */
	LWVHOST_A_STAT_BUSY_NS,		/* time spent in handler passes */
	LWVHOST_A_STAT_ERRORS,		/* ring errors, log faults, rx overlong drops */
	LWVHOST_A_STAT_IOTLB_MISSES,	/* VHOST_IOTLB_MISS messages the vq queued */
	LWVHOST_A_STAT_IOTLB_UPDATES,	/* IOTLB UPDATEs applied (device-wide) */
	LWVHOST_A_STAT_IOTLB_INVALIDATIONS,	/* IOTLB INVALIDATEs applied (device-wide) */
	LWVHOST_A_STAT_SHARED_POLLS,	/* timer polls served by the other vq's expiry */

	__LWVHOST_A_STAT_MAX,
	LWVHOST_A_STAT_MAX = __LWVHOST_A_STAT_MAX - 1
};

#endif /* _UAPI_LINUX_LWVHOST_H */
