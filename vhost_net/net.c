// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost net backend: /dev/vhost-net, its ioctls, and attaching tap and
 * macvtap sockets as the backend of each ring. The data path is in tx.c
 * and rx.c; the core library (vhost.ko) does the rings and the worker.
 */
#include <linux/file.h>
#include <linux/if_tap.h>
#include <linux/if_tun.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>

#include "control.h"

/*
 * Guest features we implement (VHOST_FEATURES brings ACCESS_PLATFORM, the
 * device IOTLB). RING_RESET needs nothing more than what a backend swap
 * does: the VMM detaches one ring's backend (SET_BACKEND -1), sets the
 * ring up again with SET_VRING_* and attaches it; the other ring keeps
 * running.
 */
#define VHOST_NET_FEATURES \
	(VHOST_FEATURES | \
	 BIT_ULL(VHOST_NET_F_VIRTIO_NET_HDR) | \
	 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) | \
	 BIT_ULL(VIRTIO_F_RING_RESET))

/* The IOTLB message formats: MSG_V2 and BATCH (vhost/iotlb.c). */
#define VHOST_NET_BACKEND_FEATURES VHOST_BACKEND_FEATURES

/*
 * Start waiting on the vq's backend socket; with batch > 0, wake the
 * handler only after that many wakeups. Caller must hold vq->mutex.
 */
int vhost_net_enable_vq_batched(struct vhost_net *n, struct vhost_virtqueue *vq,
				unsigned int batch)
{
	struct vhost_net_virtqueue *nvq =
		container_of(vq, struct vhost_net_virtqueue, vq);
	struct socket *sock = vhost_vq_get_backend(vq);

	if (!sock)
		return 0;
	return vhost_poll_start_batched(&n->poll[nvq - n->vqs], sock->file,
					batch);
}

/* Start waiting on the vq's backend socket. Caller must hold vq->mutex. */
int vhost_net_enable_vq(struct vhost_net *n, struct vhost_virtqueue *vq)
{
	return vhost_net_enable_vq_batched(n, vq, 0);
}

/* Stop waiting on the vq's backend socket. Caller must hold vq->mutex. */
void vhost_net_disable_vq(struct vhost_net *n, struct vhost_virtqueue *vq)
{
	struct vhost_net_virtqueue *nvq =
		container_of(vq, struct vhost_net_virtqueue, vq);

	if (vhost_vq_get_backend(vq))
		vhost_poll_stop(&n->poll[nvq - n->vqs]);
}

static u64 vhost_net_busy_clock(void)
{
	return local_clock() >> 10;	/* ~microseconds */
}

/*
 * VHOST_SET_VRING_BUSYLOOP_TIMEOUT: before going to sleep, spin for up to
 * that many microseconds (guest notifications stay off) waiting for
 * ready(). Gives up early if other work is queued on the worker or the
 * CPU is wanted. Returns true if ready() became true.
 */
bool vhost_net_busy_poll(struct vhost_net *n, struct vhost_virtqueue *vq,
			 bool (*ready)(struct vhost_net *n))
{
	u64 end = vhost_net_busy_clock() + vq->busyloop_timeout;

	while (!need_resched() && !signal_pending(current) &&
	       vhost_net_busy_clock() < end) {
		if (vhost_dev_has_work(&n->dev))
			return false;
		if (ready(n))
			return true;
		cpu_relax();
	}
	return false;
}

static void vhost_net_tx_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq =
		container_of(work, struct vhost_virtqueue, poll.work);

	vhost_net_handle_tx(vhost_net_from_vq(vq));
}

static void vhost_net_rx_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq =
		container_of(work, struct vhost_virtqueue, poll.work);

	vhost_net_handle_rx(vhost_net_from_vq(vq));
}

static void vhost_net_tx_sock(struct vhost_work *work)
{
	struct vhost_net *n = container_of(work, struct vhost_net,
					   poll[VHOST_NET_VQ_TX].work);

	vhost_net_handle_tx(n);
}

static void vhost_net_rx_sock(struct vhost_work *work)
{
	struct vhost_net *n = container_of(work, struct vhost_net,
					   poll[VHOST_NET_VQ_RX].work);

	vhost_net_handle_rx(n);
}

static int vhost_net_open(struct inode *inode, struct file *f)
{
	struct vhost_net *n;
	int i;

	n = kvzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!n)
		return -ENOMEM;
	if (vhost_net_tx_batch_init(&n->vqs[VHOST_NET_VQ_TX])) {
		kvfree(n);
		return -ENOMEM;
	}
	n->vqs[VHOST_NET_VQ_TX].vq.handle_kick = vhost_net_tx_kick;
	n->vqs[VHOST_NET_VQ_RX].vq.handle_kick = vhost_net_rx_kick;
	for (i = 0; i < VHOST_NET_VQ_MAX; i++)
		n->vq_ptrs[i] = &n->vqs[i].vq;
	vhost_dev_init(&n->dev, n->vq_ptrs, VHOST_NET_VQ_MAX,
		       VHOST_NET_PKT_WEIGHT, VHOST_NET_BYTE_WEIGHT);
	vhost_poll_init(&n->poll[VHOST_NET_VQ_TX], vhost_net_tx_sock, EPOLLOUT,
			&n->dev, NULL);
	vhost_poll_init(&n->poll[VHOST_NET_VQ_RX], vhost_net_rx_sock, EPOLLIN,
			&n->dev, NULL);
	vhost_net_register(n);
	f->private_data = n;
	return 0;
}

static void vhost_net_put_socket(struct socket *sock)
{
	if (sock)
		fput(sock->file);
}

/*
 * Detach the backend of one vq, returning its socket for the caller to put
 * after a flush. Caller must hold dev->mutex.
 */
static struct socket *vhost_net_stop_vq(struct vhost_net *n,
					struct vhost_virtqueue *vq)
{
	struct vhost_net_virtqueue *nvq =
		container_of(vq, struct vhost_net_virtqueue, vq);
	struct socket *sock;

	mutex_lock(&vq->mutex);
	sock = vhost_vq_get_backend(vq);
	vhost_net_disable_vq(n, vq);
	/* Timers off; a held signal is delivered by the caller's flush. */
	vhost_pace_stop(vq);
	vhost_net_rx_batch_detach(nvq);
	vq->private_data = NULL;
	vhost_net_set_ifname(n, nvq - n->vqs, "-");
	mutex_unlock(&vq->mutex);
	return sock;
}

static void vhost_net_stop(struct vhost_net *n, struct socket **tx,
			   struct socket **rx)
{
	*tx = vhost_net_stop_vq(n, &n->vqs[VHOST_NET_VQ_TX].vq);
	*rx = vhost_net_stop_vq(n, &n->vqs[VHOST_NET_VQ_RX].vq);
}

static void vhost_net_vq_reset(struct vhost_net *n)
{
	int i;

	for (i = 0; i < VHOST_NET_VQ_MAX; i++) {
		n->vqs[i].vhost_hlen = 0;
		n->vqs[i].sock_hlen = 0;
		n->vqs[i].done_idx = 0;
	}
}

static int vhost_net_release(struct inode *inode, struct file *f)
{
	struct vhost_net *n = f->private_data;
	struct socket *tx, *rx;

	/* First withdraw it from procfs and genetlink: they use it unlocked. */
	vhost_net_unregister(n);
	mutex_lock(&n->dev.mutex);
	vhost_net_stop(n, &tx, &rx);
	vhost_dev_stop(&n->dev);
	vhost_dev_flush(&n->dev);
	vhost_dev_cleanup(&n->dev);
	vhost_net_vq_reset(n);
	mutex_unlock(&n->dev.mutex);
	vhost_net_put_socket(tx);
	vhost_net_put_socket(rx);
	vhost_net_tx_batch_free(&n->vqs[VHOST_NET_VQ_TX]);
	kvfree(n);
	return 0;
}

/*
 * Resolve a backend fd: -1 means none; tap (tun) and macvtap (tap) files
 * are accepted, anything else is -ENOTSOCK. Referencing both helpers makes
 * this module depend on tun and tap, as the stock vhost_net does. On
 * success the file reference is kept; drop it with vhost_net_put_socket().
 */
static struct socket *vhost_net_get_socket(int fd)
{
	struct socket *sock;
	struct file *file;

	if (fd == -1)
		return NULL;
	file = fget(fd);
	if (!file)
		return ERR_PTR(-ENOTSOCK);
	sock = tun_get_socket(file);
	if (!IS_ERR(sock))
		return sock;
	sock = tap_get_socket(file);
	if (!IS_ERR(sock))
		return sock;
	fput(file);
	return ERR_PTR(-ENOTSOCK);
}

/*
 * VHOST_NET_SET_BACKEND: attach (fd), detach (-1) or replace the socket of
 * one ring, also while it runs. The old socket is released only after a
 * flush, so no handler can still be using it.
 */
static long vhost_net_set_backend(struct vhost_net *n, unsigned int index,
				  int fd)
{
	struct socket *sock, *oldsock;
	struct vhost_virtqueue *vq;
	char ifname[IFNAMSIZ];
	long r;

	mutex_lock(&n->dev.mutex);
	r = vhost_dev_check_owner(&n->dev);
	if (r)
		goto err;
	if (index >= VHOST_NET_VQ_MAX) {
		r = -ENOBUFS;
		goto err;
	}
	vq = &n->vqs[index].vq;

	mutex_lock(&vq->mutex);
	/* The ring must be addressable before anything runs on it. */
	if (!vhost_vq_access_ok(vq)) {
		r = -EFAULT;
		goto err_vq;
	}
	sock = vhost_net_get_socket(fd);
	if (IS_ERR(sock)) {
		r = PTR_ERR(sock);
		goto err_vq;
	}

	oldsock = vhost_vq_get_backend(vq);
	if (sock != oldsock) {
		vhost_net_disable_vq(n, vq);
		/* Old timers must not poll the new socket early; re-judged below. */
		vhost_pace_stop(vq);
		if (index == VHOST_NET_VQ_RX)
			vhost_net_rx_batch_attach(&n->vqs[index], sock);
		vq->private_data = sock;
		n->vqs[index].done_idx = 0;
		r = vhost_vq_init_access(vq);
		if (r)
			goto err_used;
		r = vhost_net_enable_vq(n, vq);
		if (r)
			goto err_used;
	}
	mutex_unlock(&vq->mutex);

	if (sock != oldsock) {
		/*
		 * Outside vq->mutex, as it takes the RTNL. dev->mutex keeps
		 * sock attached meanwhile.
		 */
		vhost_net_backend_name(sock, ifname, sizeof(ifname));
		vhost_net_set_ifname(n, index, ifname);
	}

	/* Same socket again: this drops the extra reference only. */
	if (oldsock) {
		vhost_dev_flush(&n->dev);
		vhost_net_put_socket(oldsock);
	}
	mutex_unlock(&n->dev.mutex);
	return 0;

err_used:
	vhost_net_disable_vq(n, vq);
	/* Nothing was taken from sock: no pass ran under vq->mutex. */
	if (index == VHOST_NET_VQ_RX)
		vhost_net_rx_batch_attach(&n->vqs[index], oldsock);
	vq->private_data = oldsock;
	if (oldsock) {
		vhost_vq_init_access(vq);
		vhost_net_enable_vq(n, vq);
	}
	vhost_net_put_socket(sock);
err_vq:
	mutex_unlock(&vq->mutex);
err:
	mutex_unlock(&n->dev.mutex);
	return r;
}

static long vhost_net_set_owner(struct vhost_net *n)
{
	long r;

	mutex_lock(&n->dev.mutex);
	r = vhost_dev_set_owner(&n->dev);
	mutex_unlock(&n->dev.mutex);
	return r;
}

static long vhost_net_reset_owner(struct vhost_net *n)
{
	struct socket *tx = NULL, *rx = NULL;
	long r;

	mutex_lock(&n->dev.mutex);
	r = vhost_dev_check_owner(&n->dev);
	if (r)
		goto out;
	vhost_net_stop(n, &tx, &rx);
	vhost_dev_flush(&n->dev);
	r = vhost_dev_reset_owner(&n->dev);
	vhost_net_vq_reset(n);
out:
	mutex_unlock(&n->dev.mutex);
	vhost_net_put_socket(tx);
	vhost_net_put_socket(rx);
	return r;
}

/*
 * Stock lets anyone set features, even on a device another process owns.
 * We refuse that (-EPERM) once there is an owner, and, like stock, allow
 * it before VHOST_SET_OWNER. Caller must hold dev->mutex.
 */
static long vhost_net_check_owner_if_any(struct vhost_net *n)
{
	if (!vhost_dev_has_owner(&n->dev))
		return 0;
	return vhost_dev_check_owner(&n->dev);
}

static long vhost_net_set_features(struct vhost_net *n, u64 features)
{
	size_t hdr_len, vhost_hlen, sock_hlen;
	long r;
	int i;

	/* num_buffers is present with mergeable buffers and in VERSION_1. */
	hdr_len = features & (BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |
			      BIT_ULL(VIRTIO_F_VERSION_1)) ?
		  sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		  sizeof(struct virtio_net_hdr);
	if (features & BIT_ULL(VHOST_NET_F_VIRTIO_NET_HDR)) {
		/* The tap has no vnet header: we add and strip it. */
		vhost_hlen = hdr_len;
		sock_hlen = 0;
	} else {
		vhost_hlen = 0;
		sock_hlen = hdr_len;
	}

	mutex_lock(&n->dev.mutex);
	r = vhost_net_check_owner_if_any(n);
	if (r)
		goto out;
	r = vhost_dev_set_features(&n->dev, features);
	if (r)
		goto out;
	for (i = 0; i < VHOST_NET_VQ_MAX; i++) {
		mutex_lock(&n->vqs[i].vq.mutex);
		n->vqs[i].vhost_hlen = vhost_hlen;
		n->vqs[i].sock_hlen = sock_hlen;
		mutex_unlock(&n->vqs[i].vq.mutex);
	}
	vhost_dev_flush(&n->dev);
out:
	mutex_unlock(&n->dev.mutex);
	return r;
}

static long vhost_net_ioctl(struct file *f, unsigned int ioctl,
			    unsigned long arg)
{
	struct vhost_net *n = f->private_data;
	void __user *argp = (void __user *)arg;
	u64 __user *featurep = argp;
	struct vhost_vring_file backend;
	u64 features;
	long r;

	switch (ioctl) {
	case VHOST_NET_SET_BACKEND:
		if (copy_from_user(&backend, argp, sizeof(backend)))
			return -EFAULT;
		return vhost_net_set_backend(n, backend.index, backend.fd);
	/* Feature ioctls work before VHOST_SET_OWNER, as in stock. */
	case VHOST_GET_FEATURES:
		features = VHOST_NET_FEATURES;
		return copy_to_user(featurep, &features, sizeof(features)) ?
		       -EFAULT : 0;
	case VHOST_SET_FEATURES:
		if (copy_from_user(&features, featurep, sizeof(features)))
			return -EFAULT;
		if (features & ~VHOST_NET_FEATURES)
			return -EOPNOTSUPP;
		return vhost_net_set_features(n, features);
	case VHOST_GET_BACKEND_FEATURES:
		features = VHOST_NET_BACKEND_FEATURES;
		return copy_to_user(featurep, &features, sizeof(features)) ?
		       -EFAULT : 0;
	case VHOST_SET_BACKEND_FEATURES:
		if (copy_from_user(&features, featurep, sizeof(features)))
			return -EFAULT;
		if (features & ~VHOST_NET_BACKEND_FEATURES)
			return -EOPNOTSUPP;
		mutex_lock(&n->dev.mutex);
		r = vhost_net_check_owner_if_any(n);
		if (!r)
			vhost_dev_set_backend_features(&n->dev, features);
		mutex_unlock(&n->dev.mutex);
		return r;
	case VHOST_SET_OWNER:
		return vhost_net_set_owner(n);
	case VHOST_RESET_OWNER:
		return vhost_net_reset_owner(n);
	default:
		/*
		 * Unknown numbers, including VHOST_{SET,GET}_VRING_ENDIAN
		 * (like a stock kernel built without cross-endian support:
		 * only native-endian legacy and VERSION_1 rings exist), get
		 * -ENOTTY before any ownership or argument check.
		 */
		if (!vhost_ioctl_is_known(ioctl))
			return -ENOTTY;
		mutex_lock(&n->dev.mutex);
		r = vhost_dev_ioctl(&n->dev, ioctl, argp);
		if (r == -ENOIOCTLCMD)
			r = vhost_vring_ioctl(&n->dev, ioctl, argp);
		else
			vhost_dev_flush(&n->dev);
		mutex_unlock(&n->dev.mutex);
		return r;
	}
}

/* IOTLB messages on the device file: MISS out, UPDATE/INVALIDATE in. */
static ssize_t vhost_net_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *f = iocb->ki_filp;
	struct vhost_net *n = f->private_data;

	return vhost_iotlb_read(&n->dev, to, f->f_flags & O_NONBLOCK);
}

static ssize_t vhost_net_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vhost_net *n = iocb->ki_filp->private_data;

	return vhost_iotlb_write(&n->dev, from);
}

static __poll_t vhost_net_poll(struct file *f, poll_table *wait)
{
	struct vhost_net *n = f->private_data;

	return vhost_iotlb_poll(&n->dev, f, wait);
}

static const struct file_operations vhost_net_fops = {
	.owner          = THIS_MODULE,
	.release        = vhost_net_release,
	.read_iter      = vhost_net_read_iter,
	.write_iter     = vhost_net_write_iter,
	.poll           = vhost_net_poll,
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
	int r;

	r = vhost_net_procfs_init();
	if (r)
		return r;
	r = vhost_net_genl_init();
	if (r)
		goto err_procfs;
	r = misc_register(&vhost_net_misc);
	if (r)
		goto err_genl;
	return 0;

err_genl:
	vhost_net_genl_exit();
err_procfs:
	vhost_net_procfs_exit();
	return r;
}
module_init(vhost_net_init);

/* No device is open: each holds a module reference through its file. */
static void __exit vhost_net_exit(void)
{
	misc_deregister(&vhost_net_misc);
	vhost_net_genl_exit();
	vhost_net_procfs_exit();
}
module_exit(vhost_net_exit);

MODULE_VERSION(LWVHOST_VERSION);
MODULE_LICENSE("GPL v2");
MODULE_AUTHOR("lwvhost developers");
MODULE_DESCRIPTION("lwvhost: host kernel accelerator for virtio net");
MODULE_ALIAS_MISCDEV(VHOST_NET_MINOR);
MODULE_ALIAS("devname:vhost-net");
