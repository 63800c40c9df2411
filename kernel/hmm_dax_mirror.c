// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_mirror.c - mirroring an mm into the device page table
 *
 * Each mirror has one mmu_interval_notifier over the whole mm.  Mirroring
 * walks the range in chunks of at most one PMD (512 pfns, so memory does
 * not grow with the range):
 *
 *   seq = mmu_interval_read_begin()
 *   mmap_read_lock; hmm_range_fault(chunk); mmap_read_unlock   -EBUSY: again
 *     (or, HMM_DAX_MIRROR_UNLOCKED on 7.3: the VMA checked under the lock,
 *     then hmm_range_fault_unlocked_timeout(chunk), which locks itself)
 *   mutex_lock(table)
 *   mmu_interval_read_retry(seq)?                    yes: unlock, again
 *   install leaves at the CPU's mapping order; mutex_unlock
 *
 * The notifier takes the same mutex, bumps the sequence and zaps or splits
 * the leaves in its range, so nothing installed under the lock can outlive
 * the CPU mapping it was read from.  The notifier runs in reclaim: no
 * allocation that may reclaim happens under the mutex (nodes come from a
 * cache filled before taking it, splits use HMM_DAX_GFP_LOCKED, charged to
 * the mirror's owner).
 *
 * Memory a device could not reach is refused before anything is installed:
 * VM_IO and VM_PFNMAP mappings, memfd_secret() (not in the kernel's direct
 * map) and ZONE_DEVICE pages of any type but fsdax and device-dax.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/ktime.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <uapi/linux/magic.h>

#include "hmm_dax.h"
#include "hmm_dax_trace.h"

#define HMM_DAX_RETRY_MS	1000	/* give up on a range that never settles */

static atomic_t hmm_dax_last_id = ATOMIC_INIT(0);

/* Record a new high-water mark of the table plus @transient bytes. */
void hmm_dax_note_peak(struct hmm_dax_mirror *m, unsigned long transient)
{
	u64 now = hmm_dax_devpt_bytes(&m->pt) + transient;

	if (now > m->stats.peak_bytes)
		m->stats.peak_bytes = now;
}

static int hmm_dax_first_leaf(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	*(u64 *)arg = leaf->addr;
	return 1;
}

/**
 * hmm_dax_next_leaf() - address of the first leaf meeting [@start, @end)
 * @m: the mirror, locked
 * @start: first address
 * @end: end address
 * @addr: set to the leaf's first address (may be below @start)
 *
 * Return: true if there is one.
 */
bool hmm_dax_next_leaf(struct hmm_dax_mirror *m, u64 start, u64 end, u64 *addr)
{
	return hmm_dax_devpt_walk(&m->pt, start, end, hmm_dax_first_leaf, addr);
}

static void hmm_dax_log_event(struct hmm_dax_mirror *m,
			      const struct mmu_notifier_range *range,
			      bool blockable, const struct hmm_dax_devpt_zap *zap,
			      u64 ns)
{
	struct hmm_dax_event *ev;
	unsigned int l;

	if (m->ev_count == HMM_DAX_EVENT_LOG) {
		m->ev_head = (m->ev_head + 1) % HMM_DAX_EVENT_LOG;
		m->ev_count--;
		m->ev_lost++;
		m->stats.events_lost++;
	}
	ev = &m->events[(m->ev_head + m->ev_count++) % HMM_DAX_EVENT_LOG];
	*ev = (struct hmm_dax_event){
		.start = range->start,
		.end = range->end,
		.seq = ++m->ev_seq,
		.event = range->event,
		.flags = blockable ? HMM_DAX_EVENT_BLOCKABLE : 0,
		.ns = min_t(u64, ns, U32_MAX),
	};
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++) {
		ev->zapped[l] = zap->leaves[l];
		ev->split[l] = zap->split[l];
		ev->whole[l] = zap->whole[l];
		m->stats.zapped[l] += zap->leaves[l];
		m->stats.split[l] += zap->split[l];
		m->stats.whole[l] += zap->whole[l];
	}
}

/*
 * Fault injection, ignored invalidations: only leaves of device (pmem)
 * memory are left stale.  Leaves of RAM are still zapped, because the page
 * allocator hands a freed page to someone else and a device write through a
 * stale leaf would corrupt it; pmem never goes to the allocator.
 */
static void hmm_dax_inject_unmap_ram(struct hmm_dax_mirror *m, u64 start,
				     u64 end, struct hmm_dax_devpt_zap *zap)
{
	struct hmm_dax_devpt_leaf leaf;
	u64 addr = start, last;

	while (hmm_dax_next_leaf(m, addr, end, &addr) &&
	       hmm_dax_devpt_lookup(&m->pt, max(addr, start), &leaf)) {
		last = min(leaf.addr + hmm_dax_devpt_level_size(leaf.level),
			   end);
		if (!(leaf.flags & HMM_DAX_DEVPT_DEVICE))
			hmm_dax_devpt_unmap(&m->pt, max(addr, start), last,
					    HMM_DAX_GFP_LOCKED, zap);
		addr = last;
	}
}

static bool hmm_dax_invalidate(struct mmu_interval_notifier *mni,
			       const struct mmu_notifier_range *range,
			       unsigned long cur_seq)
{
	struct hmm_dax_mirror *m = container_of(mni, struct hmm_dax_mirror,
						notifier);
	bool blockable = mmu_notifier_range_blockable(range);
	struct hmm_dax_devpt_zap zap = {};
	u64 first, t0;

	if (blockable) {
		mutex_lock(&m->lock);
	} else if (!mutex_trylock(&m->lock)) {
		atomic64_inc(&m->nonblock_busy);
		return false;
	}
	t0 = ktime_get_ns();
	mmu_interval_set_seq(mni, cur_seq);
	m->stats.invalidations++;
	if (hmm_dax_next_leaf(m, range->start, range->end, &first)) {
		struct mem_cgroup *old = hmm_dax_charge_begin(m);

		if (hmm_dax_inject(HMM_DAX_INJECT_IGNORE_INVALIDATE))
			hmm_dax_inject_unmap_ram(m, range->start, range->end,
						 &zap);
		else
			hmm_dax_devpt_unmap(&m->pt, range->start, range->end,
					    HMM_DAX_GFP_LOCKED, &zap);
		hmm_dax_charge_end(old);
		hmm_dax_log_event(m, range, blockable, &zap,
				  ktime_get_ns() - t0);
		trace_hmm_dax_invalidate(m->stats.id, range->start, range->end,
					 range->event, blockable, zap.leaves,
					 zap.split, zap.whole);
	}
	mutex_unlock(&m->lock);
	return true;
}

static const struct mmu_interval_notifier_ops hmm_dax_notifier_ops = {
	.invalidate = hmm_dax_invalidate,
};

/*
 * Fault injection, skipped re-check: skipped only when every valid pfn is
 * pmem, for the reason given above hmm_dax_inject_unmap_ram().
 */
static bool hmm_dax_range_is_pmem(const struct hmm_range *range)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;

	for (i = 0; i < n; i++) {
		unsigned long hpfn = range->hmm_pfns[i];

		if ((hpfn & HMM_PFN_VALID) &&
		    !is_zone_device_page(hmm_pfn_to_page(hpfn)))
			return false;
	}
	return true;
}

/*
 * Why a device may not mirror @vma, or NULL: VM_IO and VM_PFNMAP memory has
 * no pages to mirror (-EFAULT); memfd_secret() memory is not in the
 * kernel's direct map, through which the device's copies go (-EACCES).
 */
static const char *hmm_dax_vma_refused(const struct vm_area_struct *vma,
				       int *err)
{
	*err = -EFAULT;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return "VM_IO or VM_PFNMAP";
	*err = -EACCES;
	if (vma->vm_file &&
	    file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC)
		return "memfd_secret, not in the kernel's direct map";
	*err = 0;
	return NULL;
}

/*
 * Clip @range to the VMA at its start, which a device must be allowed to
 * mirror (hmm_dax_vma_refused()), and note its bounds in @vma; nothing to
 * do without @vma.  Under mmap_read_lock().  0 or a negative errno.
 */
static int hmm_dax_clip_vma(struct hmm_dax_mirror *m, struct hmm_range *range,
			    unsigned long end, struct hmm_dax_vma *vma)
{
	struct vm_area_struct *v;
	const char *why = "no VMA";
	int ret = -EFAULT;

	if (!vma)
		return 0;
	v = vma_lookup(m->mm, range->start);
	if (v)
		why = hmm_dax_vma_refused(v, &ret);
	if (ret) {
		pr_debug("%s: fault: %s at %#lx\n", current->comm, why,
			 range->start);
		return ret;
	}
	vma->start = v->vm_start;
	vma->end = v->vm_end;
	range->end = min_t(unsigned long, end, v->vm_end);
	return 0;
}

/*
 * One try through the locked entry point: the sequence, then the VMA and
 * hmm_range_fault() under one mmap_read_lock().
 */
static int hmm_dax_fault_locked(struct hmm_dax_mirror *m,
				struct hmm_range *range, unsigned long end,
				struct hmm_dax_vma *vma, u64 *ns)
{
	u64 t0;
	int ret;

	range->notifier_seq = mmu_interval_read_begin(&m->notifier);
	mmap_read_lock(m->mm);
	ret = hmm_dax_clip_vma(m, range, end, vma);
	if (!ret) {
		t0 = ktime_get_ns();
		ret = hmm_range_fault(range);
		*ns += ktime_get_ns() - t0;
	}
	mmap_read_unlock(m->mm);
	return ret;
}

/*
 * One try through the unlocked entry point (7.3): the VMA is checked under
 * a lock of its own, then hmm_range_fault_unlocked_timeout() takes
 * mmap_lock itself and may drop it in a fault, re-reading the sequence as
 * it restarts.  The sequence read before the VMA check is the one the
 * caller re-checks, so that any invalidation since the check retries.
 */
static int hmm_dax_fault_unlocked(struct hmm_dax_mirror *m,
				  struct hmm_range *range, unsigned long end,
				  struct hmm_dax_vma *vma, u64 *ns,
				  unsigned long timeout)
{
	unsigned long seq = mmu_interval_read_begin(&m->notifier);
	u64 t0;
	int ret;

	mmap_read_lock(m->mm);
	ret = hmm_dax_clip_vma(m, range, end, vma);
	mmap_read_unlock(m->mm);
	if (ret)
		return ret;
	t0 = ktime_get_ns();
	ret = hmm_dax_hmm_range_fault_unlocked(range,
					       max_t(long, timeout - jiffies, 1));
	*ns += ktime_get_ns() - t0;
	range->notifier_seq = seq;
	return ret;
}

/**
 * hmm_dax_range_fault() - fault a range with the sequence-retry protocol,
 * through the mirror's entry point (@m->unlocked)
 * @m: the mirror
 * @range: start, end, hmm_pfns and default_flags set; end may be lowered
 *	   to the end of the VMA when @vma is given
 * @vma: if not NULL, require a VMA at @range->start that a device may
 *	 mirror (hmm_dax_vma_refused()), clip the range to it and return its
 *	 bounds here
 * @r: counters to add to (faults, retries, fault_ns)
 *
 * Return: 0 with @m->lock held and @range->hmm_pfns valid under it, or an
 * error with the lock not held.
 */
int hmm_dax_range_fault(struct hmm_dax_mirror *m, struct hmm_range *range,
			struct hmm_dax_vma *vma, struct hmm_dax_range *r)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_DAX_RETRY_MS);
	unsigned long end = range->end, faults = 0, retries = 0;
	bool unlocked = READ_ONCE(m->unlocked);
	int ret;

	for (;;) {
		ret = -EBUSY;
		if (time_after(jiffies, timeout))
			break;
		ret = -EINTR;
		if (fatal_signal_pending(current))
			break;
		memset(range->hmm_pfns, 0,
		       ((end - range->start) >> PAGE_SHIFT) *
		       sizeof(*range->hmm_pfns));
		if (unlocked)
			ret = hmm_dax_fault_unlocked(m, range, end, vma,
						     &r->fault_ns, timeout);
		else
			ret = hmm_dax_fault_locked(m, range, end, vma,
						   &r->fault_ns);
		faults++;
		if (ret == -EBUSY) {
			retries++;
			continue;
		}
		if (ret)
			break;

		if (READ_ONCE(hmm_dax_inject_delay_ms))
			msleep_interruptible(READ_ONCE(hmm_dax_inject_delay_ms));
		mutex_lock(&m->lock);
		if ((hmm_dax_inject(HMM_DAX_INJECT_SKIP_RETRY) &&
		     hmm_dax_range_is_pmem(range)) ||
		    !mmu_interval_read_retry(&m->notifier, range->notifier_seq))
			break;
		mutex_unlock(&m->lock);
		retries++;
	}
	/* Locked on success only; the counters are kept under the lock. */
	if (ret)
		mutex_lock(&m->lock);
	m->stats.faults += faults;
	if (unlocked)
		m->stats.faults_unlocked += faults;
	m->stats.retries += retries;
	if (ret)
		mutex_unlock(&m->lock);
	r->retries += retries;
	return ret;
}

/*
 * The largest leaf level that maps @addr as the CPU does: no larger than
 * the CPU's mapping order, aligned in address and pfn, inside the VMA.
 */
static unsigned int hmm_dax_leaf_level(u64 addr, u64 pfn, unsigned int order,
				       const struct hmm_dax_vma *vma)
{
	unsigned int level = min_t(unsigned int, order / HMM_DAX_DEVPT_BITS,
				   HMM_DAX_PUD);

	for (; level > HMM_DAX_PTE; level--) {
		u64 size = hmm_dax_devpt_level_size(level);
		u64 base = addr & ~(size - 1);
		u64 off = (addr - base) >> PAGE_SHIFT;

		if (base >= vma->start && base + size <= vma->end &&
		    pfn >= off && !((pfn - off) & ((size >> PAGE_SHIFT) - 1)))
			break;
	}
	return level;
}

/* Fault injection: one level larger, aligned down, if inside the VMA. */
static unsigned int hmm_dax_inject_level(u64 addr, unsigned int level,
					 const struct hmm_dax_vma *vma)
{
	u64 size, base;

	if (level >= HMM_DAX_PUD)
		return level;
	size = hmm_dax_devpt_level_size(level + 1);
	base = addr & ~(size - 1);
	if (base < vma->start || base + size > vma->end)
		return level;
	return level + 1;
}

/*
 * The leaf flags of a faulted pfn, in *@flags.  Returns 0, -ENXIO for a
 * ZONE_DEVICE page whose pgmap is going away (not installed, counted), or
 * -EOPNOTSUPP for one of a type a device cannot be given.  A ZONE_DEVICE
 * page's pgmap is checked through @pgmap, the reference held for the
 * install's run of pages (hmm_dax_pgmap_hold()); a pfn inside it is
 * ZONE_DEVICE memory without reading its struct page.
 */
static int hmm_dax_leaf_flags(unsigned long hpfn, unsigned int order,
			      struct dev_pagemap **pgmap, unsigned int *flags)
{
	unsigned long pfn = hmm_dax_hmm_pfn(hpfn);
	unsigned int type;

	*flags = 0;
	if (hpfn & HMM_PFN_WRITE)
		*flags |= HMM_DAX_DEVPT_WRITE;
	if (!*pgmap || !hmm_dax_pgmap_covers(*pgmap, pfn)) {
		struct page *page = pfn_to_page(pfn);

		if (!is_zone_device_page(page)) {
			if (hmm_dax_is_zero_page(page, order))
				*flags |= HMM_DAX_DEVPT_ZERO;
			return 0;
		}
		if (!hmm_dax_pgmap_hold(pgmap, pfn))
			return -ENXIO;
	}
	type = hmm_dax_pgmap_type(*pgmap);
	if (type == HMM_DAX_PGMAP_OTHER)
		return -EOPNOTSUPP;
	*flags |= HMM_DAX_DEVPT_DEVICE | HMM_DAX_DEVPT_TYPE(type);
	return 0;
}

static void hmm_dax_debug_unreachable(u64 pfn, u64 addr)
{
	pr_debug("%s: mirror: pfn %#llx at %#llx is ZONE_DEVICE memory of a type a device cannot reach (not fsdax or device-dax)\n",
		 current->comm, pfn, addr);
}

/*
 * 4 KiB leaves from @addr while the CPU maps 4 KiB pages there, to the end
 * of the range or of the 2 MiB block: the common case of a GPU's mirror,
 * with one walk to the PTE node per block (@ptes) and the counters added
 * once per run.  Returns the address after the run; *@ret is set on an
 * error that ends the install.
 */
static u64 hmm_dax_install_ptes(struct hmm_dax_mirror *m,
				const struct hmm_range *range,
				struct hmm_dax_devpt_ptes *ptes,
				struct dev_pagemap **pgmap, u64 addr,
				struct hmm_dax_range *r, int *ret)
{
	u64 end = min_t(u64, range->end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
	const unsigned long *hpfn = &range->hmm_pfns[(addr - range->start) >>
						     PAGE_SHIFT];
	unsigned long n = 0;

	if (!ptes->node || addr - ptes->base >= PMD_SIZE) {
		*ret = hmm_dax_devpt_ptes_get(&m->pt, addr, ptes,
					      HMM_DAX_GFP_LOCKED);
		if (*ret)
			return addr;
	}
	for (; addr < end; addr += PAGE_SIZE, hpfn++) {
		unsigned int flags;
		int err;

		if (!(*hpfn & HMM_PFN_VALID) || (*hpfn & HMM_PFN_ERROR))
			continue;
		if (hmm_pfn_to_map_order(*hpfn))
			break;
		err = hmm_dax_leaf_flags(*hpfn, 0, pgmap, &flags);
		if (err == -EOPNOTSUPP) {
			hmm_dax_debug_unreachable(hmm_dax_hmm_pfn(*hpfn), addr);
			*ret = err;
			break;
		}
		if (err) {
			m->stats.pgmap_dead++;
			continue;
		}
		*ret = hmm_dax_devpt_map_pte(&m->pt, ptes, addr,
					     hmm_dax_hmm_pfn(*hpfn), flags);
		if (*ret)
			break;
		n++;
	}
	r->leaves[HMM_DAX_PTE] += n;
	r->pages += n;
	m->stats.installed[HMM_DAX_PTE] += n;
	return addr;
}

/*
 * Install the leaves for a faulted range, under the lock.  Returns the
 * address up to which the range is mirrored: past the range's end when the
 * last leaf is larger than what was faulted.
 */
static int hmm_dax_install(struct hmm_dax_mirror *m,
			   const struct hmm_range *range,
			   const struct hmm_dax_vma *vma,
			   struct hmm_dax_range *r, u64 *next)
{
	bool too_large = hmm_dax_inject(HMM_DAX_INJECT_LEAF_TOO_LARGE);
	struct hmm_dax_devpt_ptes ptes = {};
	struct dev_pagemap *pgmap = NULL;
	u64 addr = range->start;
	int ret = 0;

	while (addr < range->end) {
		unsigned long hpfn = range->hmm_pfns[(addr - range->start) >>
						     PAGE_SHIFT];
		unsigned int order, level, flags;
		u64 pfn, size, base;
		int err;

		if (!(hpfn & HMM_PFN_VALID) || (hpfn & HMM_PFN_ERROR)) {
			addr += PAGE_SIZE;
			continue;
		}
		order = hmm_pfn_to_map_order(hpfn);
		if (!order && !too_large) {
			addr = hmm_dax_install_ptes(m, range, &ptes, &pgmap,
						    addr, r, &ret);
			if (ret)
				break;
			continue;
		}
		pfn = hmm_dax_hmm_pfn(hpfn);
		err = hmm_dax_leaf_flags(hpfn, order, &pgmap, &flags);
		if (err == -EOPNOTSUPP) {
			hmm_dax_debug_unreachable(pfn, addr);
			ret = err;
			break;
		}
		level = hmm_dax_leaf_level(addr, pfn, order, vma);
		if (too_large) {
			unsigned int fair = level;

			level = hmm_dax_inject_level(addr, level, vma);
			/* A RAM neighbour is someone's page: never write it. */
			if (level != fair && !(flags & HMM_DAX_DEVPT_DEVICE))
				flags &= ~HMM_DAX_DEVPT_WRITE;
		}
		too_large = false;
		size = hmm_dax_devpt_level_size(level);
		base = addr & ~(size - 1);

		if (err) {
			m->stats.pgmap_dead++;
			addr = base + size;
			continue;
		}
		pfn -= (addr - base) >> PAGE_SHIFT;
		pfn &= ~((size >> PAGE_SHIFT) - 1);	/* only moves if injected */
		/*
		 * A leaf larger than 4 KiB (or an injected first one, of any
		 * level) goes through the walk, and may free the PTE node
		 * hmm_dax_install_ptes() keeps in @ptes: forget it.
		 */
		ptes.node = NULL;
		ret = hmm_dax_devpt_map(&m->pt, base, pfn, level, flags,
					HMM_DAX_GFP_LOCKED);
		if (ret)
			break;
		r->leaves[level]++;
		r->pages += size >> PAGE_SHIFT;
		m->stats.installed[level]++;
		addr = base + size;
	}
	hmm_dax_pgmap_release(&pgmap);
	*next = addr;
	return ret;
}

/**
 * hmm_dax_mirror_range() - fault or snapshot [@start, @end) into the table
 * @m: the mirror, not locked
 * @start: first address, page aligned
 * @end: end address, page aligned
 * @flags: HMM_DAX_MIRROR_*
 * @r: outputs to add to (leaves, pages, retries, times)
 *
 * Return: 0 or a negative errno; what was installed before an error stays.
 */
int hmm_dax_mirror_range(struct hmm_dax_mirror *m, u64 start, u64 end,
			 u32 flags, struct hmm_dax_range *r)
{
	unsigned long *pfns;
	struct hmm_range range = {
		.notifier = &m->notifier,
		.default_flags = 0,
		.pfn_flags_mask = 0,
	};
	struct hmm_dax_devpt_cache cache = {};
	u64 addr = start;
	int ret = 0;

	if (!(flags & HMM_DAX_MIRROR_SNAPSHOT))
		range.default_flags = HMM_PFN_REQ_FAULT;
	if (flags & HMM_DAX_MIRROR_WRITE)
		range.default_flags |= HMM_PFN_REQ_WRITE;
	pfns = kmalloc_array(HMM_DAX_DEVPT_ENTRIES, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	range.hmm_pfns = pfns;

	while (addr < end) {
		struct hmm_dax_vma vma;
		struct mem_cgroup *old;
		u64 t0;

		range.start = addr;
		range.end = min(end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
		ret = hmm_dax_devpt_cache_fill(&cache, GFP_KERNEL_ACCOUNT);
		if (ret)
			break;
		ret = hmm_dax_range_fault(m, &range, &vma, r);
		if (ret)
			break;
		t0 = ktime_get_ns();
		m->pt.cache = &cache;
		old = hmm_dax_charge_begin(m);
		ret = hmm_dax_install(m, &range, &vma, r, &addr);
		hmm_dax_charge_end(old);
		m->pt.cache = NULL;
		hmm_dax_note_peak(m, HMM_DAX_DEVPT_ENTRIES * sizeof(*pfns) +
				  (HMM_DAX_DEVPT_LEVELS - 1) *
				  HMM_DAX_DEVPT_ENTRIES * sizeof(u64));
		mutex_unlock(&m->lock);
		r->install_ns += ktime_get_ns() - t0;
		if (ret)
			break;
		addr = max_t(u64, addr, range.end);
		cond_resched();
	}
	hmm_dax_devpt_cache_drain(&cache);
	kfree(pfns);
	return ret;
}

/*
 * Bad input is refused before anything is installed: every page of the
 * range must be in a VMA that a device may mirror.
 */
static int hmm_dax_check_vmas(struct mm_struct *mm, u64 start, u64 end)
{
	struct vm_area_struct *vma;
	const char *why = NULL;
	u64 addr = start;
	int ret = 0;

	mmap_read_lock(mm);
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma) {
			ret = -EFAULT;
			why = "no VMA";
			break;
		}
		why = hmm_dax_vma_refused(vma, &ret);
		if (why)
			break;
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	if (ret)
		pr_debug("%s: mirror: %s at %#llx\n", current->comm, why, addr);
	return ret;
}

/**
 * hmm_dax_mirror() - HMM_DAX_MIRROR, on a validated request
 * @m: the mirror
 * @r: the request; outputs filled in
 *
 * Return: 0 or a negative errno.
 */
int hmm_dax_mirror(struct hmm_dax_mirror *m, struct hmm_dax_range *r)
{
	int ret;

	mutex_lock(&m->lock);
	m->stats.mirrors++;
	mutex_unlock(&m->lock);
	WRITE_ONCE(m->unlocked, r->flags & HMM_DAX_MIRROR_UNLOCKED);
	ret = hmm_dax_check_vmas(m->mm, r->addr, r->addr + r->len);
	if (ret)
		return ret;
	ret = hmm_dax_mirror_range(m, r->addr, r->addr + r->len, r->flags, r);
	trace_hmm_dax_mirror(m->stats.id, r->addr, r->addr + r->len, r->flags,
			     r->leaves, r->retries, ret);
	return ret;
}

/**
 * hmm_dax_mirror_create() - a new mirror of current's mm
 * @hdev: the device being opened
 * @show_pfns: the opener may see physical pfns
 *
 * Return: the mirror or an ERR_PTR().
 */
struct hmm_dax_mirror *hmm_dax_mirror_create(struct hmm_dax_device *hdev,
					     bool show_pfns)
{
	struct hmm_dax_mirror *m;
	int ret = -ENOMEM;

	hmm_dax_compat_check();
	if (!current->mm)
		return ERR_PTR(-EINVAL);
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->events = kcalloc(HMM_DAX_EVENT_LOG, sizeof(*m->events),
			    GFP_KERNEL_ACCOUNT);
	if (!m->events)
		goto err_mirror;
	hmm_dax_devpt_init(&m->pt);
	mutex_init(&m->lock);
	m->hdev = hdev;
	m->show_pfns = show_pfns;
	m->stats.id = atomic_inc_return(&hmm_dax_last_id);
	m->mm = current->mm;
	ret = mmu_interval_notifier_insert(&m->notifier, m->mm, 0,
					   ULONG_MAX & PAGE_MASK,
					   &hmm_dax_notifier_ops);
	if (ret)
		goto err_events;
	/* Keeps the mm_struct, so its address identifies the opener's mm. */
	mmgrab(m->mm);
	m->memcg = get_mem_cgroup_from_mm(m->mm);
	hmm_dax_note_peak(m, 0);
	hmm_dax_debugfs_add(m);
	return m;

err_events:
	kfree(m->events);
err_mirror:
	kfree(m);
	return ERR_PTR(ret);
}

/**
 * hmm_dax_mirror_destroy() - tear down a mirror whose file is released
 * @m: the mirror
 */
void hmm_dax_mirror_destroy(struct hmm_dax_mirror *m)
{
	hmm_dax_debugfs_remove(m);
	mmu_interval_notifier_remove(&m->notifier);
	hmm_dax_devpt_fini(&m->pt);
	mem_cgroup_put(m->memcg);
	mmdrop(m->mm);
	mutex_destroy(&m->lock);
	kfree(m->events);
	kfree(m);
}
