// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax - a simulated device that mirrors DAX memory with hmm_range_fault()
 *
 * Module set-up and the ioctl interface: one misc character device per
 * simulated device, /dev/hmm_dax0 .. /dev/hmm_dax<N-1>, mode 0600.  Each
 * open file is a mirror bound to the opener's mm (hmm_dax_mirror.c).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/panic.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hmm_dax.h"

#define CREATE_TRACE_POINTS
#include "hmm_dax_trace.h"

/*
 * The debug knobs.  Setting one to anything but 0 warns once and taints
 * the kernel (TAINT_TEST): they break the driver on purpose, and on a
 * production machine that must not go unnoticed.
 */
static void hmm_dax_knob_set(const struct kernel_param *kp)
{
	if (!*(unsigned int *)kp->arg)
		return;
	pr_warn_once("%s set: the driver misbehaves on purpose, for its own tests; tainting the kernel\n",
		     kp->name);
	add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
}

static int hmm_dax_fault_inject_set(const char *val,
				    const struct kernel_param *kp)
{
	unsigned int bits;
	int ret = kstrtouint(val, 0, &bits);

	if (ret)
		return ret;
	if (bits & ~HMM_DAX_INJECT_ALL) {
		pr_debug("fault_inject: unknown bits %#x\n",
			 bits & ~HMM_DAX_INJECT_ALL);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = bits;
	hmm_dax_knob_set(kp);
	return 0;
}

static int hmm_dax_delay_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, 0,
					HMM_DAX_INJECT_DELAY_MAX_MS);

	if (ret)
		pr_debug("inject_delay_ms: '%s' is not 0 .. %u\n", val,
			 HMM_DAX_INJECT_DELAY_MAX_MS);
	else
		hmm_dax_knob_set(kp);
	return ret;
}

static const struct kernel_param_ops hmm_dax_fault_inject_ops = {
	.set = hmm_dax_fault_inject_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops hmm_dax_delay_ops = {
	.set = hmm_dax_delay_set,
	.get = param_get_uint,
};

unsigned int hmm_dax_fault_inject;
module_param_cb(fault_inject, &hmm_dax_fault_inject_ops,
		&hmm_dax_fault_inject, 0600);
MODULE_PARM_DESC(fault_inject,
		 "debug only, taints the kernel: 0x1 ignore invalidations, 0x2 skip the sequence re-check, 0x4 keep pgmap references, 0x8 leaves one level too large (read-only over RAM), 0x10 leak one allocation per open, 0x20 device reads of pmem meet a media error; what each can damage: Documentation/hmm-dax.rst (default 0)");

unsigned int hmm_dax_inject_delay_ms;
module_param_cb(inject_delay_ms, &hmm_dax_delay_ops, &hmm_dax_inject_delay_ms,
		0600);
MODULE_PARM_DESC(inject_delay_ms,
		 "debug only, taints the kernel: sleep this long (at most 1000 ms, interruptibly) between hmm_range_fault() and the sequence re-check, widening the race the re-check closes (default 0)");

static struct hmm_dax_device hmm_dax_devices[HMM_DAX_NR_DEVICES];

/* Bad input: say which field, for dynamic debug, and return @err. */
#define hmm_dax_bad(err, fmt, ...) \
	({ pr_debug("%s: " fmt "\n", current->comm, ##__VA_ARGS__); (err); })

/*
 * [addr, addr + len) lies in the user address space and in what the
 * device page table covers (48 bits: with 5-level paging TASK_SIZE is
 * larger), so that nothing of a request is done before it is refused.
 */
static int hmm_dax_check_end(const char *cmd, u64 addr, u64 len)
{
	if (addr + len < addr)
		return hmm_dax_bad(-EINVAL, "%s: addr + len wraps", cmd);
	if (addr + len > TASK_SIZE)
		return hmm_dax_bad(-EINVAL, "%s: addr + len beyond TASK_SIZE",
				   cmd);
	if (addr + len > BIT_ULL(HMM_DAX_DEVPT_VA_BITS))
		return hmm_dax_bad(-EINVAL,
				   "%s: addr + len beyond the device's %u-bit address space",
				   cmd, HMM_DAX_DEVPT_VA_BITS);
	return 0;
}

static int hmm_dax_check_range(const char *cmd, u64 addr, u64 len)
{
	if (!len)
		return hmm_dax_bad(-EINVAL, "%s: len is 0", cmd);
	if (!PAGE_ALIGNED(addr))
		return hmm_dax_bad(-EINVAL, "%s: addr %#llx not page aligned",
				   cmd, addr);
	if (!PAGE_ALIGNED(len))
		return hmm_dax_bad(-EINVAL, "%s: len %#llx not page aligned",
				   cmd, len);
	return hmm_dax_check_end(cmd, addr, len);
}

static int hmm_dax_ioc_mirror(struct hmm_dax_mirror *m, struct hmm_dax_range *r)
{
	int ret = hmm_dax_check_range("mirror", r->addr, r->len);

	if (ret)
		return ret;
	if (r->flags & ~(HMM_DAX_MIRROR_WRITE | HMM_DAX_MIRROR_SNAPSHOT |
			 HMM_DAX_MIRROR_UNLOCKED))
		return hmm_dax_bad(-EINVAL, "mirror: unknown flags %#x",
				   r->flags);
	if ((r->flags & HMM_DAX_MIRROR_UNLOCKED) && !HMM_DAX_HAVE_UNLOCKED)
		return hmm_dax_bad(-EOPNOTSUPP,
				   "mirror: UNLOCKED: no hmm_range_fault_unlocked_timeout() in this kernel");
	if ((r->flags & HMM_DAX_MIRROR_WRITE) &&
	    (r->flags & HMM_DAX_MIRROR_SNAPSHOT))
		return hmm_dax_bad(-EINVAL, "mirror: flags WRITE and SNAPSHOT");
	if (r->reserved)
		return hmm_dax_bad(-EINVAL, "mirror: reserved is not 0");
	*r = (struct hmm_dax_range){
		.addr = r->addr, .len = r->len, .flags = r->flags,
	};
	return hmm_dax_mirror(m, r);
}

static int hmm_dax_ioc_dump(struct hmm_dax_mirror *m, struct hmm_dax_dump *d)
{
	int ret = hmm_dax_check_range("dump", d->addr, d->len);

	if (ret)
		return ret;
	if (d->max > HMM_DAX_MAX_DUMP)
		return hmm_dax_bad(-E2BIG, "dump: max %llu > %u", d->max,
				   HMM_DAX_MAX_DUMP);
	d->count = 0;
	d->total = 0;
	return hmm_dax_dump(m, d);
}

static int hmm_dax_ioc_access(struct hmm_dax_mirror *m,
			      struct hmm_dax_access *a, bool write)
{
	const char *cmd = write ? "write" : "read";
	int ret;

	if (!a->len)
		return hmm_dax_bad(-EINVAL, "%s: len is 0", cmd);
	if (a->len > HMM_DAX_MAX_ACCESS)
		return hmm_dax_bad(-E2BIG, "%s: len %llu > %u", cmd, a->len,
				   HMM_DAX_MAX_ACCESS);
	ret = hmm_dax_check_end(cmd, a->addr, a->len);
	if (ret)
		return ret;
	a->faults = 0;
	a->ns = 0;
	return hmm_dax_access(m, a, write);
}

static int hmm_dax_ioc_events(struct hmm_dax_mirror *m,
			      struct hmm_dax_events *e)
{
	if (!e->max || e->max > HMM_DAX_EVENT_LOG)
		return hmm_dax_bad(-EINVAL, "events: max %llu not in 1..%u",
				   e->max, HMM_DAX_EVENT_LOG);
	e->count = 0;
	e->lost = 0;
	return hmm_dax_events(m, e);
}

static int hmm_dax_ioc_audit(struct hmm_dax_mirror *m,
			     struct hmm_dax_audit *a)
{
	int ret = hmm_dax_check_range("audit", a->addr, a->len);

	if (ret)
		return ret;
	if (a->max > HMM_DAX_MAX_AUDIT)
		return hmm_dax_bad(-E2BIG, "audit: max %llu > %u", a->max,
				   HMM_DAX_MAX_AUDIT);
	if (a->max && !a->stale)
		return hmm_dax_bad(-EFAULT, "audit: max %llu but stale is 0",
				   a->max);
	a->leaves = 0;
	a->nr_stale = 0;
	a->count = 0;
	return hmm_dax_audit(m, a);
}

/* One buffer for every command's argument. */
union hmm_dax_ioc_arg {
	struct hmm_dax_range range;
	struct hmm_dax_dump dump;
	struct hmm_dax_access access;
	struct hmm_dax_stats stats;
	struct hmm_dax_events events;
	struct hmm_dax_audit audit;
};

static long hmm_dax_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct hmm_dax_mirror *m = file->private_data;
	void __user *uarg = (void __user *)arg;
	union hmm_dax_ioc_arg u;
	int ret;

	if (current->mm != m->mm)
		return -EPERM;

	switch (cmd) {
	case HMM_DAX_MIRROR:
	case HMM_DAX_DUMP:
	case HMM_DAX_READ:
	case HMM_DAX_WRITE:
	case HMM_DAX_STATS:
	case HMM_DAX_EVENTS:
	case HMM_DAX_AUDIT:
	case HMM_DAX_RESET:
		break;
	default:
		return -ENOTTY;
	}
	/* on the stack: the largest, struct hmm_dax_stats, is 264 bytes */
	BUILD_BUG_ON(sizeof(u) > 320);
	if ((_IOC_DIR(cmd) & _IOC_WRITE) &&
	    copy_from_user(&u, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;

	switch (cmd) {
	case HMM_DAX_MIRROR:
		ret = hmm_dax_ioc_mirror(m, &u.range);
		break;
	case HMM_DAX_DUMP:
		ret = hmm_dax_ioc_dump(m, &u.dump);
		break;
	case HMM_DAX_READ:
		ret = hmm_dax_ioc_access(m, &u.access, false);
		break;
	case HMM_DAX_WRITE:
		ret = hmm_dax_ioc_access(m, &u.access, true);
		break;
	case HMM_DAX_STATS:
		hmm_dax_stats(m, &u.stats);
		ret = 0;
		break;
	case HMM_DAX_EVENTS:
		ret = hmm_dax_ioc_events(m, &u.events);
		break;
	case HMM_DAX_AUDIT:
		ret = hmm_dax_ioc_audit(m, &u.audit);
		break;
	default:	/* HMM_DAX_RESET */
		hmm_dax_reset(m);
		ret = 0;
		break;
	}
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &u, _IOC_SIZE(cmd)))
		ret = -EFAULT;
	return ret;
}

static int hmm_dax_open(struct inode *inode, struct file *file)
{
	struct hmm_dax_device *hdev = container_of(file->private_data,
						   struct hmm_dax_device, misc);
	struct hmm_dax_mirror *m;

	/* Physical pfns only for CAP_SYS_ADMIN, judged at open as pagemap. */
	m = hmm_dax_mirror_create(hdev, file_ns_capable(file, &init_user_ns,
							CAP_SYS_ADMIN));
	if (IS_ERR(m))
		return PTR_ERR(m);
	file->private_data = m;
	/* The debug lane's proof that it finds a leak: nothing keeps this. */
	if (hmm_dax_inject(HMM_DAX_INJECT_LEAK) && !kmalloc(64, GFP_KERNEL))
		pr_warn("hmm_dax: fault_inject 0x10: nothing to leak\n");
	return 0;
}

static int hmm_dax_release(struct inode *inode, struct file *file)
{
	hmm_dax_mirror_destroy(file->private_data);
	return 0;
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

	hmm_dax_debugfs_init();
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
	hmm_dax_debugfs_fini();
	return ret;
}

static void __exit hmm_dax_exit(void)
{
	hmm_dax_devices_fini(HMM_DAX_NR_DEVICES);
	hmm_dax_debugfs_fini();
}

module_init(hmm_dax_init);
module_exit(hmm_dax_exit);
MODULE_DESCRIPTION("Mirror DAX memory with hmm_range_fault() into a simulated device page table");
MODULE_LICENSE("GPL");
