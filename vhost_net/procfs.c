// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: /proc/lwvhost/<dev-id>/.
 *
 * One file per knob and direction (<dir>_<knob>, one decimal value),
 * "stats" and "info" (name value lines). Opening any of them needs
 * CAP_NET_ADMIN in the initial user namespace, and a knob write is judged
 * on the credentials of whoever opened the file: /proc/lwvhost is in every
 * pid namespace's procfs, and what it shows is the host's business. The
 * directory's data is the device, each knob file's data its descriptor.
 * proc_remove() at release waits for handlers still running, so they may
 * use the device without further locking; none of them waits for the
 * device's mutexes.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "control.h"

static struct proc_dir_entry *vhost_net_proc_root;

struct vhost_net_knob_file {
	enum lwvhost_dir dir;
	int knob;		/* index into vhost_net_knobs */
};

/* Each knob file's data; filled once at module load, read-only after. */
static struct vhost_net_knob_file
vhost_net_knob_files[LWVHOST_DIR_COUNT][VHOST_PACE_KNOB_COUNT];

/* Only a host network administrator may look at or change a device. */
static int vhost_net_proc_allowed(void)
{
	return capable(CAP_NET_ADMIN) ? 0 : -EPERM;
}

static int vhost_net_knob_open(struct inode *inode, struct file *file)
{
	return vhost_net_proc_allowed();
}

static ssize_t vhost_net_knob_read(struct file *file, char __user *buf,
				   size_t count, loff_t *ppos)
{
	struct inode *inode = file_inode(file);
	const struct vhost_net_knob_file *kf = pde_data(inode);
	struct vhost_net *n = proc_get_parent_data(inode);
	struct vhost_pace_params p;
	char text[16];
	int len;

	vhost_net_get_pace(n, kf->dir, &p);
	len = scnprintf(text, sizeof(text), "%u\n", *vhost_net_knob(&p, kf->knob));
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t vhost_net_knob_write(struct file *file, const char __user *buf,
				    size_t count, loff_t *ppos)
{
	struct inode *inode = file_inode(file);
	const struct vhost_net_knob_file *kf = pde_data(inode);
	struct vhost_net *n = proc_get_parent_data(inode);
	const char *why;
	u32 value;
	int r;

	/* The opener's credentials, not those of whoever holds the fd now. */
	if (!file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN))
		return -EPERM;
	r = kstrtou32_from_user(buf, count, 10, &value);
	if (r)
		return r;
	r = vhost_net_set_knob(n, kf->dir, kf->knob, value, &why);
	if (r) {
		pr_debug("device %u: %s_%s=%u refused: %s\n", n->id,
			 vhost_net_dir_names[kf->dir],
			 vhost_net_knobs[kf->knob].name, value, why);
		return r;
	}
	return count;
}

static const struct proc_ops vhost_net_knob_ops = {
	.proc_open = vhost_net_knob_open,
	.proc_read = vhost_net_knob_read,
	.proc_write = vhost_net_knob_write,
	.proc_lseek = default_llseek,
};

static int vhost_net_stats_show(struct seq_file *m, void *v)
{
	struct vhost_net_snapshot *s;
	int dir;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	vhost_net_snapshot(m->private, s);
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++) {
		const struct vhost_vq_stats *st = &s->vq[dir].stats;
		const char *d = vhost_net_dir_names[dir];

		seq_printf(m, "%s_packets %llu\n", d, st->packets);
		seq_printf(m, "%s_bytes %llu\n", d, st->bytes);
		seq_printf(m, "%s_kicks %llu\n", d, st->kicks);
		seq_printf(m, "%s_signals %llu\n", d, st->signals);
		seq_printf(m, "%s_signals_coalesced %llu\n", d,
			   st->signals_coalesced);
		seq_printf(m, "%s_polls %llu\n", d, st->polls);
		seq_printf(m, "%s_empty_polls %llu\n", d, st->empty_polls);
		seq_printf(m, "%s_timer_wakeups %llu\n", d, st->timer_wakeups);
		seq_printf(m, "%s_mode_switches %llu\n", d, st->mode_switches);
		seq_printf(m, "%s_busy_ns %llu\n", d, st->busy_ns);
		seq_printf(m, "%s_errors %llu\n", d, st->errors);
		seq_printf(m, "%s_iotlb_misses %llu\n", d, st->iotlb_misses);
		seq_printf(m, "%s_iotlb_updates %llu\n", d, st->iotlb_updates);
		seq_printf(m, "%s_iotlb_invalidations %llu\n", d,
			   st->iotlb_invalidations);
		seq_printf(m, "%s_shared_polls %llu\n", d, st->shared_polls);
	}
	kfree(s);
	return 0;
}

static int vhost_net_info_show(struct seq_file *m, void *v)
{
	struct vhost_net_snapshot *s;
	int dir;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	vhost_net_snapshot(m->private, s);
	seq_printf(m, "id %u\n", s->id);
	seq_printf(m, "owner_pid %d\n", s->owner_pid);
	seq_printf(m, "worker_tid %d\n", s->worker_tid);
	seq_printf(m, "features 0x%llx\n", s->features);
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++)
		seq_printf(m, "%s_ifname %s\n", vhost_net_dir_names[dir],
			   s->vq[dir].ifname);
	for (dir = 0; dir < LWVHOST_DIR_COUNT; dir++)
		seq_printf(m, "%s_mode %s\n", vhost_net_dir_names[dir],
			   s->vq[dir].polling ? "poll" : "event");
	kfree(s);
	return 0;
}

static int vhost_net_stats_open(struct inode *inode, struct file *file)
{
	return vhost_net_proc_allowed() ?:
	       single_open(file, vhost_net_stats_show, pde_data(inode));
}

static int vhost_net_info_open(struct inode *inode, struct file *file)
{
	return vhost_net_proc_allowed() ?:
	       single_open(file, vhost_net_info_show, pde_data(inode));
}

static const struct proc_ops vhost_net_stats_ops = {
	.proc_open = vhost_net_stats_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static const struct proc_ops vhost_net_info_ops = {
	.proc_open = vhost_net_info_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

void vhost_net_procfs_add(struct vhost_net *n)
{
	struct proc_dir_entry *dir;
	char name[16];
	int d, k;

	if (!vhost_net_proc_root)
		return;
	snprintf(name, sizeof(name), "%u", n->id);
	dir = proc_mkdir_data(name, 0500, vhost_net_proc_root, n);
	if (!dir) {
		pr_warn_ratelimited("device %u: no procfs directory\n", n->id);
		return;
	}
	for (d = 0; d < LWVHOST_DIR_COUNT; d++) {
		for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++) {
			char file[32];

			snprintf(file, sizeof(file), "%s_%s",
				 vhost_net_dir_names[d], vhost_net_knobs[k].name);
			proc_create_data(file, 0600, dir, &vhost_net_knob_ops,
					 (void *)&vhost_net_knob_files[d][k]);
		}
	}
	proc_create_data("stats", 0400, dir, &vhost_net_stats_ops, n);
	proc_create_data("info", 0400, dir, &vhost_net_info_ops, n);
	n->proc = dir;
}

void vhost_net_procfs_remove(struct vhost_net *n)
{
	proc_remove(n->proc);
	n->proc = NULL;
}

int vhost_net_procfs_init(void)
{
	int d, k;

	for (d = 0; d < LWVHOST_DIR_COUNT; d++)
		for (k = 0; k < VHOST_PACE_KNOB_COUNT; k++)
			vhost_net_knob_files[d][k] =
				(struct vhost_net_knob_file){ d, k };
	vhost_net_proc_root = proc_mkdir_mode("lwvhost", 0500, NULL);
	return vhost_net_proc_root ? 0 : -ENOMEM;
}

void vhost_net_procfs_exit(void)
{
	proc_remove(vhost_net_proc_root);
	vhost_net_proc_root = NULL;
}
