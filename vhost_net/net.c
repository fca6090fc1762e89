// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: /dev/vhost-net.
 */
#include <linux/file.h>
#include <linux/if_tap.h>
#include <linux/if_tun.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>

#include "vhost.h"

/* Features offered to the guest side; only what the data path implements. */
#define VHOST_NET_FEATURES \
	((1ULL << VHOST_NET_F_VIRTIO_NET_HDR) | \
	 (1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
	 (1ULL << VIRTIO_F_VERSION_1))

struct vhost_net {
	struct vhost_dev dev;
};

/*
 * Resolve a backend fd to the socket of a tap/macvtap device. Referencing
 * both helpers is what makes this module depend on tun and tap, as stock
 * vhost_net does.
 */
static struct socket *vhost_net_get_tap_socket(struct file *file)
{
	struct socket *sock;

	sock = tun_get_socket(file);
	if (!IS_ERR(sock))
		return sock;
	return tap_get_socket(file);
}

static int vhost_net_open(struct inode *inode, struct file *f)
{
	struct vhost_net *n;

	n = kvzalloc(sizeof(*n), GFP_KERNEL | __GFP_RETRY_MAYFAIL);
	if (!n)
		return -ENOMEM;
	vhost_dev_init(&n->dev);
	f->private_data = n;
	return 0;
}

static int vhost_net_release(struct inode *inode, struct file *f)
{
	struct vhost_net *n = f->private_data;

	vhost_dev_cleanup(&n->dev);
	kvfree(n);
	return 0;
}

static long vhost_net_set_backend(struct vhost_net *n,
				  struct vhost_vring_file __user *argp)
{
	struct vhost_vring_file backend;
	struct socket *sock;
	struct file *file;
	long r;

	if (copy_from_user(&backend, argp, sizeof(backend)))
		return -EFAULT;
	r = vhost_dev_check_owner(&n->dev);
	if (r)
		return r;
	if (backend.fd == -1)
		return 0;
	file = fget(backend.fd);
	if (!file)
		return -EBADF;
	sock = vhost_net_get_tap_socket(file);
	fput(file);
	/* The skeleton recognises tap sockets but has no data path yet. */
	return IS_ERR(sock) ? PTR_ERR(sock) : -EOPNOTSUPP;
}

static long vhost_net_ioctl(struct file *f, unsigned int ioctl,
			    unsigned long arg)
{
	struct vhost_net *n = f->private_data;
	void __user *argp = (void __user *)arg;
	u64 __user *featurep = argp;
	u64 features = VHOST_NET_FEATURES;
	long r;

	switch (ioctl) {
	case VHOST_GET_FEATURES:
		return copy_to_user(featurep, &features, sizeof(features)) ?
		       -EFAULT : 0;
	case VHOST_NET_SET_BACKEND:
		mutex_lock(&n->dev.mutex);
		r = vhost_net_set_backend(n, argp);
		mutex_unlock(&n->dev.mutex);
		return r;
	default:
		mutex_lock(&n->dev.mutex);
		r = vhost_dev_ioctl(&n->dev, ioctl, argp);
		mutex_unlock(&n->dev.mutex);
		return r;
	}
}

static const struct file_operations vhost_net_fops = {
	.owner          = THIS_MODULE,
	.release        = vhost_net_release,
	.unlocked_ioctl = vhost_net_ioctl,
	.compat_ioctl   = compat_ptr_ioctl,
	.open           = vhost_net_open,
	.llseek		= noop_llseek,
};

static struct miscdevice vhost_net_misc = {
	.minor = VHOST_NET_MINOR,
	.name = "vhost-net",
	.fops = &vhost_net_fops,
};

static int __init vhost_net_init(void)
{
	return misc_register(&vhost_net_misc);
}
module_init(vhost_net_init);

static void __exit vhost_net_exit(void)
{
	misc_deregister(&vhost_net_misc);
}
module_exit(vhost_net_exit);

MODULE_VERSION(LWVHOST_VERSION);
MODULE_LICENSE("GPL v2");
MODULE_AUTHOR("lwvhost developers");
MODULE_DESCRIPTION("lwvhost: host kernel accelerator for virtio net");
MODULE_ALIAS_MISCDEV(VHOST_NET_MINOR);
MODULE_ALIAS("devname:vhost-net");
