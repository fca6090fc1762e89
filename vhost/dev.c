// SPDX-License-Identifier: GPL-2.0
/*
 * lwvhost core: device lifetime and owner binding.
 */
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/vhost.h>

#include "vhost.h"

void vhost_dev_init(struct vhost_dev *dev)
{
	mutex_init(&dev->mutex);
	dev->mm = NULL;
	dev->features = 0;
}
EXPORT_SYMBOL_GPL(vhost_dev_init);

bool vhost_dev_has_owner(struct vhost_dev *dev)
{
	return dev->mm;
}
EXPORT_SYMBOL_GPL(vhost_dev_has_owner);

/* Caller must hold dev->mutex. */
long vhost_dev_check_owner(struct vhost_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	/* Only the process that called VHOST_SET_OWNER may drive the device. */
	return dev->mm == current->mm ? 0 : -EPERM;
}
EXPORT_SYMBOL_GPL(vhost_dev_check_owner);

/* Caller must hold dev->mutex. */
long vhost_dev_set_owner(struct vhost_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	if (dev->mm)
		return -EBUSY;
	if (!current->mm)
		return -EINVAL;
	mmgrab(current->mm);
	dev->mm = current->mm;
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_dev_set_owner);

/* Device-level ioctls. Caller must hold dev->mutex. */
long vhost_dev_ioctl(struct vhost_dev *dev, unsigned int ioctl,
		     void __user *argp)
{
	long r;

	lockdep_assert_held(&dev->mutex);
	if (ioctl == VHOST_SET_OWNER)
		return vhost_dev_set_owner(dev);

	r = vhost_dev_check_owner(dev);
	if (r)
		return r;
	return -ENOIOCTLCMD;
}
EXPORT_SYMBOL_GPL(vhost_dev_ioctl);

void vhost_dev_cleanup(struct vhost_dev *dev)
{
	if (dev->mm) {
		mmdrop(dev->mm);
		dev->mm = NULL;
	}
}
EXPORT_SYMBOL_GPL(vhost_dev_cleanup);

MODULE_VERSION(LWVHOST_VERSION);
MODULE_LICENSE("GPL v2");
MODULE_AUTHOR("lwvhost developers");
MODULE_DESCRIPTION("lwvhost: host kernel accelerator core for virtio");
