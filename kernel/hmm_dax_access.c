// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_access.c - the device's view of bytes: reads and writes that go
 * through the device page table, as a DMA engine behind an IOMMU would.
 *
 * Bytes are copied under the table lock, so no invalidation can remove a
 * leaf while it is being used; user memory is touched only outside the lock
 * (a fault there may invalidate, and the notifier takes the same lock), via
 * a bounce buffer.  A page without a usable leaf is demand-faulted like a
 * replayable device fault, and the copy resumes.  A page marked hardware
 * poisoned is never read or written: the access fails as a device's would
 * on consuming poison.
 */
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hmm_dax.h"

#define HMM_DAX_BOUNCE		SZ_64K
#define HMM_DAX_FAULT_TRIES	16	/* faults undone before the copy */

/*
 * Poisoned memory: memory_failure() marks the page, or for a compound DAX
 * page (device-dax, and fsdax where its folios are large) the head, which
 * stands for the whole folio the CPU lost.
 */
static bool hmm_dax_page_poisoned(struct page *page)
{
	return PageHWPoison(page) || PageHWPoison(compound_head(page));
}

/*
 * Copy between @buf and device addresses [@addr, @addr + @len) while leaves
 * allow it; returns the bytes copied, short at the first page with no
 * usable leaf, or at a poisoned page (*@poisoned set).
 */
static size_t hmm_dax_copy_locked(struct hmm_dax_mirror *m, u64 addr,
				  void *buf, size_t len, bool write,
				  bool *poisoned)
{
	size_t done = 0;

	lockdep_assert_held(&m->lock);
	while (done < len) {
		u64 va = addr + done;
		size_t off = offset_in_page(va);
		size_t n = min_t(size_t, len - done, PAGE_SIZE - off);
		struct hmm_dax_devpt_leaf leaf;
		struct page *page;
		void *p;

		if (!hmm_dax_devpt_lookup(&m->pt, va, &leaf) ||
		    (write && !(leaf.flags & HMM_DAX_DEVPT_WRITE)))
			break;
		page = pfn_to_page(leaf.pfn + ((va - leaf.addr) >> PAGE_SHIFT));
		if (hmm_dax_page_poisoned(page)) {
			*poisoned = true;
			break;
		}
		p = kmap_local_page(page);
		if (write)
			memcpy(p + off, buf + done, n);
		else
			memcpy(buf + done, p + off, n);
		kunmap_local(p);
		done += n;
	}
	return done;
}

static int hmm_dax_copy(struct hmm_dax_mirror *m, u64 addr, void *buf,
			size_t len, bool write, struct hmm_dax_access *a)
{
	unsigned int tries = 0;
	size_t done = 0;

	while (done < len) {
		struct hmm_dax_range r = {};
		u64 page = (addr + done) & PAGE_MASK;
		bool poisoned = false;
		size_t n;
		u64 t0;
		int ret;

		t0 = ktime_get_ns();
		mutex_lock(&m->lock);
		n = hmm_dax_copy_locked(m, addr + done, buf + done, len - done,
					write, &poisoned);
		mutex_unlock(&m->lock);
		a->ns += ktime_get_ns() - t0;
		done += n;
		if (poisoned)
			return -EHWPOISON;
		if (done == len)
			break;
		if (n)
			tries = 0;
		if (tries++ == HMM_DAX_FAULT_TRIES)
			return -EBUSY;

		a->faults++;
		ret = hmm_dax_mirror_range(m, page, page + PAGE_SIZE,
					   write ? HMM_DAX_MIRROR_WRITE : 0, &r);
		mutex_lock(&m->lock);
		m->stats.demand_faults++;
		mutex_unlock(&m->lock);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * hmm_dax_access() - HMM_DAX_READ or HMM_DAX_WRITE, on a validated request
 * @m: the mirror
 * @a: the request; faults and ns filled in
 * @write: copy from the user buffer into device memory
 *
 * Return: 0, -EFAULT for a bad buffer or an address the CPU cannot fault,
 * -EPERM for a write to memory mapped read-only, -EHWPOISON for a page
 * marked hardware poisoned (nothing of it is copied), -EBUSY, -ENOMEM.
 */
int hmm_dax_access(struct hmm_dax_mirror *m, struct hmm_dax_access *a,
		   bool write)
{
	size_t chunk = min_t(u64, a->len, HMM_DAX_BOUNCE);
	char __user *ubuf = u64_to_user_ptr(a->buf);
	u64 addr = a->addr, end = a->addr + a->len;
	void *bounce;
	int ret = 0;

	bounce = kmalloc(chunk, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (addr < end) {
		size_t n = min_t(u64, end - addr, chunk);

		if (write && copy_from_user(bounce, ubuf, n)) {
			ret = -EFAULT;
			break;
		}
		ret = hmm_dax_copy(m, addr, bounce, n, write, a);
		if (ret)
			break;
		if (!write && copy_to_user(ubuf, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		addr += n;
		ubuf += n;
		cond_resched();
	}
	kfree(bounce);

	mutex_lock(&m->lock);
	if (write)
		m->stats.writes += addr - a->addr;
	else
		m->stats.reads += addr - a->addr;
	hmm_dax_note_peak(m, chunk);
	mutex_unlock(&m->lock);
	return ret;
}
