// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax - a simulated device that mirrors DAX memory with hmm_range_fault()
 *
 * Module set-up: one misc character device per simulated device,
 * /dev/hmm_dax0 .. /dev/hmm_dax<N-1>, mode 0600.  Each open file is a mirror
 * bound to the opener's mm.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/sched/mm.h>

#include "hmm_dax.h"

static struct hmm_dax_device hmm_dax_devices[HMM_DAX_NR_DEVICES];

static int hmm_dax_open(struct inode *inode, struct file *file)
{
	struct hmm_dax_device *hdev = container_of(file->private_data,
						   struct hmm_dax_device, misc);
	struct hmm_dax_mirror *mirror;

	mirror = kzalloc(sizeof(*mirror), GFP_KERNEL_ACCOUNT);
	if (!mirror)
		return -ENOMEM;
	mirror->hdev = hdev;
	mirror->mm = current->mm;
	mmgrab(mirror->mm);
	file->private_data = mirror;
	return 0;
}

static int hmm_dax_release(struct inode *inode, struct file *file)
{
	struct hmm_dax_mirror *mirror = file->private_data;

	mmdrop(mirror->mm);
	kfree(mirror);
	return 0;
}

static long hmm_dax_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct hmm_dax_mirror *mirror = file->private_data;

	if (current->mm != mirror->mm)
		return -EPERM;

	switch (cmd) {
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hmm_dax_fops = {
	.owner		= THIS_MODULE,
	.open		= hmm_dax_open,
	.release	= hmm_dax_release,
	.unlocked_ioctl	= hmm_dax_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static void hmm_dax_devices_fini(unsigned int count)
{
	while (count--)
		misc_deregister(&hmm_dax_devices[count].misc);
}

static int __init hmm_dax_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < HMM_DAX_NR_DEVICES; i++) {
		struct hmm_dax_device *hdev = &hmm_dax_devices[i];

		hdev->id = i;
		snprintf(hdev->name, sizeof(hdev->name), "hmm_dax%u", i);
		hdev->misc.minor = MISC_DYNAMIC_MINOR;
		hdev->misc.name = hdev->name;
		hdev->misc.fops = &hmm_dax_fops;
		hdev->misc.mode = 0600;
		ret = misc_register(&hdev->misc);
		if (ret)
			goto err_devices;
	}
	pr_info("%u devices\n", HMM_DAX_NR_DEVICES);
	return 0;

err_devices:
	hmm_dax_devices_fini(i);
	return ret;
}

static void __exit hmm_dax_exit(void)
{
	hmm_dax_devices_fini(HMM_DAX_NR_DEVICES);
}

module_init(hmm_dax_init);
module_exit(hmm_dax_exit);
MODULE_DESCRIPTION("Mirror DAX memory with hmm_range_fault() into a simulated device page table");
MODULE_LICENSE("GPL");
