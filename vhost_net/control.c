// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: the device list, the module-parameter defaults and
 * the one validated setter behind procfs, sysfs and genetlink.
 */
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "control.h"

#define VHOST_NET_KNOB(name, min, max, attr, ...)			\
	{ #name, offsetof(struct vhost_pace_params, name), attr },
const struct vhost_net_knob vhost_net_knobs[VHOST_PACE_KNOB_COUNT] = {
	VHOST_PACE_KNOBS(VHOST_NET_KNOB)
};

#undef VHOST_NET_KNOB

const char * const vhost_net_dir_names[LWVHOST_DIR_COUNT] = {
	[LWVHOST_DIR_RX] = "rx",
	[LWVHOST_DIR_TX] = "tx",
};

/*
 * The open devices, in id order, and the next id (never reused while the
 * module is loaded). A spinlock: nothing may sleep, let alone wait for a
 * device, while holding it.
 */
static DEFINE_SPINLOCK(vhost_net_devs_lock);
static LIST_HEAD(vhost_net_devs);
static u32 vhost_net_next_id = 1;

/*
 * Defaults for new devices: module parameters
 * /sys/module/vhost_net/parameters/<dir>_<knob>, validated by the same
 * check as every other write. Protected by the kernel's param lock for
 * writers; readers take a snapshot under vhost_net_defaults_lock.
 */
static DEFINE_SPINLOCK(vhost_net_defaults_lock);
static struct vhost_pace_params vhost_net_defaults[LWVHOST_DIR_COUNT] = {
	[LWVHOST_DIR_RX] = { .idle_polls = LWVHOST_IDLE_POLLS_DEFAULT },
	[LWVHOST_DIR_TX] = { .idle_polls = LWVHOST_IDLE_POLLS_DEFAULT },
};

struct vhost_net_param {
	enum lwvhost_dir dir;
	int knob;		/* index into vhost_net_knobs */
};

static int vhost_net_param_set(const char *val, const struct kernel_param *kp)
{
	const struct vhost_net_param *np = kp->arg;
	struct vhost_pace_params p;
	const char *why;
	u32 v;
	int r;

	r = kstrtou32(val, 10, &v);
	if (r)
		return r;
	spin_lock(&vhost_net_defaults_lock);
	p = vhost_net_defaults[np->dir];
	*vhost_net_knob(&p, np->knob) = v;
	r = vhost_pace_check(&p, &why);
	if (!r)
		vhost_net_defaults[np->dir] = p;
	spin_unlock(&vhost_net_defaults_lock);
	if (r)
		pr_info("%s_%s=%u refused: %s\n", vhost_net_dir_names[np->dir],
			vhost_net_knobs[np->knob].name, v, why);
	return r;
}

static int vhost_net_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct vhost_net_param *np = kp->arg;
	u32 v;

	spin_lock(&vhost_net_defaults_lock);
	v = *vhost_net_knob(&vhost_net_defaults[np->dir], np->knob);
	spin_unlock(&vhost_net_defaults_lock);
	return sysfs_emit(buffer, "%u\n", v);
}

static const struct kernel_param_ops vhost_net_param_ops = {
	.set = vhost_net_param_set,
	.get = vhost_net_param_get,
};

/*
 * <dir>_<knob> for each direction and knob, the range in the description
 * from the UAPI bounds. The knob's index is its place in VHOST_PACE_KNOBS.
 * checkpatch-ignore: TRAILING_SEMICOLON (VHOST_NET_PARAM is declarations).
 */
#define VHOST_NET_PARAM(dir, DIR, name, min, max, desc)			\
	static struct vhost_net_param vhost_net_param_##dir##_##name = {	\
		LWVHOST_DIR_##DIR,					\
		vhost_net_knob_index_##name };				\
	module_param_cb(dir##_##name, &vhost_net_param_ops,		\
			&vhost_net_param_##dir##_##name, 0644);		\
	MODULE_PARM_DESC(dir##_##name, #DIR " " desc ", "		\
			 __stringify(min) "-" __stringify(max)		\
			 " (default for new devices)");
#define VHOST_NET_RX_PARAM(name, min, max, attr, desc)			\
	VHOST_NET_PARAM(rx, RX, name, min, max, desc)
#define VHOST_NET_TX_PARAM(name, min, max, attr, desc)			\
	VHOST_NET_PARAM(tx, TX, name, min, max, desc)
#define VHOST_NET_KNOB_INDEX(name, ...)		\
	vhost_net_knob_index_##name,

enum { VHOST_PACE_KNOBS(VHOST_NET_KNOB_INDEX) };
VHOST_PACE_KNOBS(VHOST_NET_RX_PARAM)
VHOST_PACE_KNOBS(VHOST_NET_TX_PARAM)

/*
 * A new device: give it an id and the current defaults, and publish it on
 * the list, in procfs and to genetlink listeners.
 */
void vhost_net_register(struct vhost_net *n)
{
	const char *why;
	int dir;

	mutex_init(&n->ctl_mutex);
	spin_lock_init(&n->ifname_lock);
	init_completion(&n->ctl_done);
	refcount_set(&n->ctl_refs, 1);
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++) {
		struct vhost_pace_params p;

		strscpy(n->vqs[dir].ifname, "-", IFNAMSIZ);
		spin_lock(&vhost_net_defaults_lock);
		p = vhost_net_defaults[dir];
		spin_unlock(&vhost_net_defaults_lock);
		/* Cannot fail: the defaults passed the same check. */
		vhost_pace_set_params(&n->vqs[dir].vq, &p, &why);
	}

	spin_lock(&vhost_net_devs_lock);
	n->id = vhost_net_next_id++;
	list_add_tail(&n->node, &vhost_net_devs);
	spin_unlock(&vhost_net_devs_lock);

	vhost_net_procfs_add(n);
	vhost_net_genl_notify(n, LWVHOST_CMD_DEV_ADD_NTF);
}

/*
 * The device is being released: withdraw it from every surface. When this
 * returns no procfs or genetlink operation uses it any more. Must be
 * called before the device's mutexes are taken for the release, although
 * no control operation waits for them.
 */
void vhost_net_unregister(struct vhost_net *n)
{
	spin_lock(&vhost_net_devs_lock);
	list_del(&n->node);
	spin_unlock(&vhost_net_devs_lock);
	/* Waits for procfs readers and writers still inside their handlers. */
	vhost_net_procfs_remove(n);
	vhost_net_genl_notify(n, LWVHOST_CMD_DEV_DEL_NTF);
	/* Wait for genetlink operations that looked it up before. */
	vhost_net_put(n);
	wait_for_completion(&n->ctl_done);
}

/* The first listed device with an id >= min_id (exact: == min_id), referenced. */
static struct vhost_net *vhost_net_get_from(u32 min_id, bool exact)
{
	struct vhost_net *n, *found = NULL;

	spin_lock(&vhost_net_devs_lock);
	list_for_each_entry(n, &vhost_net_devs, node) {
		if (n->id < min_id)
			continue;
		if (!exact || n->id == min_id) {
			refcount_inc(&n->ctl_refs);
			found = n;
		}
		break;
	}
	spin_unlock(&vhost_net_devs_lock);
	return found;
}

struct vhost_net *vhost_net_get(u32 id)
{
	return vhost_net_get_from(id, true);
}

struct vhost_net *vhost_net_get_next(u32 id)
{
	return id == U32_MAX ? NULL : vhost_net_get_from(id + 1, false);
}

void vhost_net_put(struct vhost_net *n)
{
	if (refcount_dec_and_test(&n->ctl_refs))
		complete(&n->ctl_done);
}

void vhost_net_get_pace(struct vhost_net *n, enum lwvhost_dir dir,
			struct vhost_pace_params *p)
{
	vhost_pace_get_params(&n->vqs[dir].vq, p);
}

int vhost_net_set_pace(struct vhost_net *n, unsigned int dir_mask,
		       const struct vhost_pace_params *params,
		       const char **why)
{
	int dir, r;

	lockdep_assert_held(&n->ctl_mutex);
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++) {
		if (!(dir_mask & BIT(dir)))
			continue;
		r = vhost_pace_check(&params[dir], why);
		if (r)
			return r;
	}
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++) {
		if (!(dir_mask & BIT(dir)))
			continue;
		/* Validated above, so this applies. */
		vhost_pace_set_params(&n->vqs[dir].vq, &params[dir], why);
	}
	return 0;
}

int vhost_net_set_knob(struct vhost_net *n, enum lwvhost_dir dir,
		       int knob, u32 value, const char **why)
{
	struct vhost_pace_params p;
	int r;

	mutex_lock(&n->ctl_mutex);
	vhost_net_get_pace(n, dir, &p);
	*vhost_net_knob(&p, knob) = value;
	r = vhost_pace_set_params(&n->vqs[dir].vq, &p, why);
	mutex_unlock(&n->ctl_mutex);
	return r;
}

/* Counters are read without stopping the queue; each u64 load is whole. */
static void vhost_net_copy_stats(struct vhost_vq_stats *dst,
				 const struct vhost_vq_stats *src)
{
	dst->packets = READ_ONCE(src->packets);
	dst->bytes = READ_ONCE(src->bytes);
	dst->kicks = READ_ONCE(src->kicks);
	dst->signals = READ_ONCE(src->signals);
	dst->signals_coalesced = READ_ONCE(src->signals_coalesced);
	dst->polls = READ_ONCE(src->polls);
	dst->empty_polls = READ_ONCE(src->empty_polls);
	dst->timer_wakeups = READ_ONCE(src->timer_wakeups);
	dst->mode_switches = READ_ONCE(src->mode_switches);
	dst->busy_ns = READ_ONCE(src->busy_ns);
	dst->errors = READ_ONCE(src->errors);
	dst->iotlb_misses = READ_ONCE(src->iotlb_misses);
	dst->iotlb_updates = READ_ONCE(src->iotlb_updates);
	dst->iotlb_invalidations = READ_ONCE(src->iotlb_invalidations);
	dst->shared_polls = READ_ONCE(src->shared_polls);
}

void vhost_net_set_ifname(struct vhost_net *n, int index, const char *name)
{
	spin_lock(&n->ifname_lock);
	strscpy(n->vqs[index].ifname, name, IFNAMSIZ);
	spin_unlock(&n->ifname_lock);
}

void vhost_net_snapshot(struct vhost_net *n, struct vhost_net_snapshot *s)
{
	int dir;

	s->id = n->id;
	s->owner_pid = vhost_dev_owner_vnr(&n->dev);
	s->worker_tid = vhost_dev_worker_vnr(&n->dev);
	s->features = READ_ONCE(n->vqs[VHOST_NET_VQ_TX].vq.acked_features);
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++) {
		struct vhost_net_virtqueue *nvq = &n->vqs[dir];
		struct vhost_net_vq_snapshot *v = &s->vq[dir];

		vhost_pace_get_params(&nvq->vq, &v->params);
		vhost_net_copy_stats(&v->stats, &nvq->vq.stats);
		v->polling = vhost_pace_polling(&nvq->vq);
		spin_lock(&n->ifname_lock);
		strscpy(v->ifname, nvq->ifname, IFNAMSIZ);
		spin_unlock(&n->ifname_lock);
	}
}

/*
 * The interface name of a backend socket, for reports only. tun shows it
 * in its fdinfo ("iff:\tNAME"), the only public way to get at it; macvtap
 * has no fdinfo and is reported as "macvtap". Takes the RTNL (tun does),
 * so the caller must not hold a vq mutex.
 */
void vhost_net_backend_name(struct socket *sock, char *name, size_t size)
{
	char buf[64] = "";
	struct seq_file m = {
		.buf = buf,
		.size = sizeof(buf) - 1,
	};
	const struct file_operations *fops;
	char *p, *end;

	strscpy(name, "-", size);
	if (!sock)
		return;
	fops = sock->file->f_op;
	if (!fops->show_fdinfo) {
		strscpy(name, "macvtap", size);
		return;
	}
	fops->show_fdinfo(&m, sock->file);
	buf[min(m.count, sizeof(buf) - 1)] = '\0';
	p = strstr(buf, "iff:\t");
	if (!p)
		return;
	p += strlen("iff:\t");
	end = strchrnul(p, '\n');
	*end = '\0';
	if (*p)
		strscpy(name, p, size);
}
