// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_access.c - the device's view of bytes: reads and writes that go
 * through the device page table, as a DMA engine behind an IOMMU would.
 *
 * Bytes are copied under the table lock, so no invalidation can remove a
 * leaf while it is being used; user memory is touched only outside the lock
 * (a fault there may invalidate, and the notifier takes the same lock), via
 * a bounce buffer.  A page without a usable leaf is demand-faulted like a
 * replayable device fault, and the copy resumes.
 *
 * Each page is checked before a byte of it is copied, as a device would
 * fault: a ZONE_DEVICE page must have a live dev_pagemap of a type a device
 * can reach (one reference per run of pages of one pgmap, held across
 * their copy, so a teardown that did not unmap first cannot free the
 * memory under it), no page may be marked hardware poisoned, and every
 * page must be in the kernel's direct map.
 * Reads from ZONE_DEVICE memory (pmem, device-dax) use the machine-check
 * safe copy, as the pmem and dax drivers do: a media error ends the access
 * with -EHWPOISON and nothing of that page is handed out.
 *
 * What the device writes is marked dirty, as a DMA write must be: a
 * writable CPU entry is not a dirty one (MADV_FREE and swap-in leave clean
 * writable entries), and reclaim drops clean pages.  DAX pages have no
 * dirty flag that writeback reads: their writable CPU entry exists only
 * after a write fault that dirtied the DAX entry, and writeback
 * write-protects the entry (and so zaps the leaf) before it cleans it.
 */
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/memremap.h>
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
 * A read of @n bytes at @src from ZONE_DEVICE memory: the bytes not copied
 * because of a media error.  fault_inject 0x20 makes every such read meet
 * one half-way through.
 */
static size_t hmm_dax_copy_mc(void *dst, const void *src, size_t n)
{
	size_t half = n / 2;

	if (hmm_dax_inject(HMM_DAX_INJECT_MEDIA_ERROR))
		return half + copy_mc_to_kernel(dst, src, n - half);
	return copy_mc_to_kernel(dst, src, n);
}

/*
 * Copy @n bytes between @buf and the page of @leaf that maps @va, within
 * that page; a ZONE_DEVICE page's pgmap is held in *@held for the pages
 * after it.  Returns 0 or the error that ends the access: -ENXIO (the
 * pgmap is gone), -EOPNOTSUPP (a pgmap type a device cannot reach),
 * -EHWPOISON (marked poisoned, or a media error during the read), -EACCES
 * (not in the kernel's direct map).
 */
static int hmm_dax_copy_page(const struct hmm_dax_devpt_leaf *leaf, u64 va,
			     void *buf, size_t n, bool write,
			     struct dev_pagemap **held)
{
	unsigned long pfn = leaf->pfn + ((va - leaf->addr) >> PAGE_SHIFT);
	struct dev_pagemap *pgmap = NULL;
	const char *why = NULL;
	struct page *page;
	int ret = 0;
	void *p;

	if (leaf->flags & HMM_DAX_DEVPT_DEVICE) {
		pgmap = hmm_dax_pgmap_hold(held, pfn);
		if (!pgmap) {
			why = "its dev_pagemap is gone";
			ret = -ENXIO;
			goto out;
		}
		if (hmm_dax_pgmap_type(pgmap) == HMM_DAX_PGMAP_OTHER) {
			why = "its dev_pagemap is not fsdax or device-dax";
			ret = -EOPNOTSUPP;
			goto out;
		}
	}
	page = pfn_to_page(pfn);
	if (hmm_dax_page_poisoned(page)) {
		ret = -EHWPOISON;	/* as memory_failure() reported it */
		goto out;
	}
	if (!hmm_dax_page_in_direct_map(page)) {
		why = "not in the kernel's direct map";
		ret = -EACCES;
		goto out;
	}
	p = kmap_local_page(page) + offset_in_page(va);
	if (write) {
		memcpy(p, buf, n);
		if (!pgmap)
			set_page_dirty(page);
	} else if (!pgmap) {
		memcpy(buf, p, n);
	} else if (hmm_dax_copy_mc(buf, p, n)) {
		why = "a media error";
		ret = -EHWPOISON;
	}
	kunmap_local(p);
out:
	if (why)
		pr_debug("%s: %s: pfn %#lx at %#llx: %s\n", current->comm,
			 write ? "write" : "read", pfn, va, why);
	return ret;
}

/*
 * Copy between @buf and device addresses [@addr, @addr + @len) while leaves
 * allow it; returns the bytes copied, short at the first page with no
 * usable leaf, or at a page that ends the access (*@err set).
 */
static size_t hmm_dax_copy_locked(struct hmm_dax_mirror *m, u64 addr,
				  void *buf, size_t len, bool write, int *err)
{
	struct dev_pagemap *pgmap = NULL;
	size_t done = 0;

	lockdep_assert_held(&m->lock);
	while (done < len) {
		u64 va = addr + done;
		size_t n = min_t(size_t, len - done,
				 PAGE_SIZE - offset_in_page(va));
		struct hmm_dax_devpt_leaf leaf;

		if (!hmm_dax_devpt_lookup(&m->pt, va, &leaf) ||
		    (write && !(leaf.flags & HMM_DAX_DEVPT_WRITE)))
			break;
		*err = hmm_dax_copy_page(&leaf, va, buf + done, n, write,
					 &pgmap);
		if (*err)
			break;
		done += n;
	}
	hmm_dax_pgmap_release(&pgmap);
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
		size_t n;
		int ret = 0;
		u64 t0;

		t0 = ktime_get_ns();
		mutex_lock(&m->lock);
		n = hmm_dax_copy_locked(m, addr + done, buf + done, len - done,
					write, &ret);
		mutex_unlock(&m->lock);
		a->ns += ktime_get_ns() - t0;
		done += n;
		if (ret)
			return ret;
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
 * The user buffer receives whole bounce buffers only: on an error, nothing
 * of the bounce buffer that met it is copied out.
 *
 * Return: 0, -EFAULT for a bad buffer or an address the CPU cannot fault,
 * -EPERM for a write to memory mapped read-only, -EHWPOISON for a page
 * marked hardware poisoned or a media error met while reading it, -EACCES
 * for memory outside the kernel's direct map, -ENXIO for ZONE_DEVICE
 * memory whose dev_pagemap is gone, -EOPNOTSUPP for ZONE_DEVICE memory
 * that is neither fsdax nor device-dax, -EBUSY, -ENOMEM.
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
