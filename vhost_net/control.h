/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lwvhost net backend: the control plane. control.c keeps the list of open
 * devices, their ids, the module-parameter defaults and the one setter for
 * the pacing knobs; procfs.c and genl.c are thin surfaces over it.
 */
#ifndef _LWVHOST_CONTROL_H
#define _LWVHOST_CONTROL_H

#include <linux/mutex.h>
#include <uapi/linux/lwvhost.h>

#include "net.h"

/* One pacing knob (VHOST_PACE_KNOBS in vhost.h); indexed 0..COUNT-1. */
struct vhost_net_knob {
	const char *name;	/* "poll_interval_us": files, parameters, messages */
	size_t offset;		/* of the field in struct vhost_pace_params */
	int attr;		/* LWVHOST_A_VQ_* */
};

extern const struct vhost_net_knob vhost_net_knobs[VHOST_PACE_KNOB_COUNT];
/* "rx" / "tx", indexed by enum lwvhost_dir (== the vq index). */
extern const char * const vhost_net_dir_names[LWVHOST_DIR_COUNT];

static inline u32 *vhost_net_knob(struct vhost_pace_params *p, int knob)
{
	return (u32 *)((char *)p + vhost_net_knobs[knob].offset);
}

/* Everything the surfaces report about one direction of a device. */
struct vhost_net_vq_snapshot {
	struct vhost_pace_params params;
	struct vhost_vq_stats stats;
	bool polling;
	char ifname[IFNAMSIZ];
};

struct vhost_net_snapshot {
	u32 id;
	pid_t owner_pid;
	pid_t worker_tid;
	u64 features;
	struct vhost_net_vq_snapshot vq[LWVHOST_DIR_COUNT];
};

void vhost_net_register(struct vhost_net *n);
void vhost_net_unregister(struct vhost_net *n);
/*
 * Look a device up and take a control reference (NULL: no such device);
 * vhost_net_get_next() finds the device with the smallest id above id.
 * The list lock is held only for the lookup. Drop with vhost_net_put().
 */
struct vhost_net *vhost_net_get(u32 id);
struct vhost_net *vhost_net_get_next(u32 id);
void vhost_net_put(struct vhost_net *n);
/* Never sleeps on the device's mutexes. PIDs as current's namespace sees them. */
void vhost_net_snapshot(struct vhost_net *n, struct vhost_net_snapshot *s);
void vhost_net_set_ifname(struct vhost_net *n, int index, const char *name);
void vhost_net_backend_name(struct socket *sock, char *name, size_t size);

/*
 * The one setter. params[dir] is applied to the directions in dir_mask;
 * every one is validated first, so either all are applied or none
 * (-EINVAL, *why says which value is wrong). Caller must hold
 * n->ctl_mutex, under which it read the values it builds on.
 */
int vhost_net_set_pace(struct vhost_net *n, unsigned int dir_mask,
		       const struct vhost_pace_params *params,
		       const char **why);
/* Set one knob of one direction (read-modify-write under ctl_mutex). */
int vhost_net_set_knob(struct vhost_net *n, enum lwvhost_dir dir,
		       int knob, u32 value, const char **why);
void vhost_net_get_pace(struct vhost_net *n, enum lwvhost_dir dir,
			struct vhost_pace_params *p);

/* procfs.c */
int vhost_net_procfs_init(void);
void vhost_net_procfs_exit(void);
void vhost_net_procfs_add(struct vhost_net *n);
void vhost_net_procfs_remove(struct vhost_net *n);

/* genl.c */
int vhost_net_genl_init(void);
void vhost_net_genl_exit(void);
void vhost_net_genl_notify(struct vhost_net *n, u8 cmd);

#endif /* _LWVHOST_CONTROL_H */
