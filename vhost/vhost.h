/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lwvhost core: the device/owner/virtqueue library that backends (vhost_net)
 * embed. Backends recover their own structures with container_of().
 */
#ifndef _LWVHOST_VHOST_H
#define _LWVHOST_VHOST_H

#include <linux/mutex.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct vhost_dev {
	/* Serialises device ioctls and owner changes. */
	struct mutex mutex;
	/* Owner's address space; NULL until VHOST_SET_OWNER. Protected by mutex. */
	struct mm_struct *mm;
	/* Protected by mutex. */
	u64 features;
};

void vhost_dev_init(struct vhost_dev *dev);
long vhost_dev_set_owner(struct vhost_dev *dev);
bool vhost_dev_has_owner(struct vhost_dev *dev);
long vhost_dev_check_owner(struct vhost_dev *dev);
long vhost_dev_ioctl(struct vhost_dev *dev, unsigned int ioctl,
		     void __user *argp);
void vhost_dev_cleanup(struct vhost_dev *dev);

#endif /* _LWVHOST_VHOST_H */
