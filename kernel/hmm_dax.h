/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax.h - types shared by the hmm_dax module's files
 */
#ifndef _HMM_DAX_H
#define _HMM_DAX_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/hmm.h>
#include <linux/memcontrol.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>

#include "compat.h"
#include "hmm_dax_devpt.h"
#include "hmm_dax_uapi.h"

/*
 * fault_inject bits: break the driver on purpose to prove the tests fail
 * (0x1 to 0x10), or make a device read meet a media error (0x20).  Setting
 * any of them warns and taints the kernel (hmm_dax_main.c).
 */
#define HMM_DAX_INJECT_IGNORE_INVALIDATE	0x1
#define HMM_DAX_INJECT_SKIP_RETRY		0x2
#define HMM_DAX_INJECT_KEEP_PGMAP		0x4
#define HMM_DAX_INJECT_LEAF_TOO_LARGE		0x8
#define HMM_DAX_INJECT_LEAK			0x10
#define HMM_DAX_INJECT_MEDIA_ERROR		0x20
#define HMM_DAX_INJECT_ALL			0x3f

/* The most inject_delay_ms may hold a mirror between fault and re-check. */
#define HMM_DAX_INJECT_DELAY_MAX_MS		1000

/*
 * Allocations under the table lock.  The notifier takes that lock from
 * reclaim, so they must not reclaim themselves, and as they may run in a
 * reclaimer's context (PF_MEMALLOC) they must not dip into the reserves
 * either.  They are charged to the mirror's memory cgroup, never to
 * whichever task caused an invalidation (hmm_dax_charge_begin()).
 */
#define HMM_DAX_GFP_LOCKED	(GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC | \
				 __GFP_ACCOUNT)

extern unsigned int hmm_dax_fault_inject;
extern unsigned int hmm_dax_inject_delay_ms;
extern atomic64_t hmm_dax_pgmap_gets;
extern atomic64_t hmm_dax_pgmap_puts;

static inline bool hmm_dax_inject(unsigned int bit)
{
	return READ_ONCE(hmm_dax_fault_inject) & bit;
}

/**
 * struct hmm_dax_device - one simulated device, /dev/hmm_dax<id>
 * @misc: the character device
 * @id: index in 0 .. HMM_DAX_NR_DEVICES - 1
 * @name: "hmm_dax<id>", the device node's name
 */
struct hmm_dax_device {
	struct miscdevice misc;
	unsigned int id;
	char name[16];
};

/**
 * struct hmm_dax_mirror - one open file: a device mirroring one mm
 * @hdev: the device it was opened on
 * @mm: the mm of the opener; ioctls from any other mm get -EPERM
 * @notifier: interval notifier over the whole of @mm
 * @lock: serialises @pt, @events and @stats between the ioctls and the
 *	  notifier; taken in reclaim, so nothing may allocate with
 *	  reclaim while holding it
 * @pt: the device page table
 * @stats: counters; the pgmap fields are filled in when read
 * @events: the invalidation log, a ring of HMM_DAX_EVENT_LOG entries
 * @ev_head: index of the oldest entry
 * @ev_count: entries in the ring
 * @ev_seq: number of the last event logged
 * @ev_lost: entries dropped since the log was last drained
 * @nonblock_busy: non-blockable invalidations refused (no @lock needed)
 * @show_pfns: the opener had CAP_SYS_ADMIN
 * @memcg: the opener's memory cgroup, charged for the table
 * @debugfs: the mirror's debugfs directory
 */
struct hmm_dax_mirror {
	struct hmm_dax_device *hdev;
	struct mm_struct *mm;
	struct mmu_interval_notifier notifier;
	struct mutex lock;	/* see above: not held while allocating */
	struct hmm_dax_devpt pt;
	struct hmm_dax_stats stats;
	struct hmm_dax_event *events;
	unsigned int ev_head;
	unsigned int ev_count;
	u64 ev_seq;
	u64 ev_lost;
	atomic64_t nonblock_busy;
	bool show_pfns;
	bool unlocked;		/* the entry point: HMM_DAX_MIRROR_UNLOCKED */
	struct mem_cgroup *memcg;
	struct dentry *debugfs;
};

/**
 * hmm_dax_charge_begin() - charge allocations to the mirror's owner
 * @m: the mirror
 *
 * Return: the memory cgroup to give back to hmm_dax_charge_end().
 */
static inline struct mem_cgroup *hmm_dax_charge_begin(struct hmm_dax_mirror *m)
{
	return set_active_memcg(m->memcg);
}

/**
 * hmm_dax_charge_end() - end what hmm_dax_charge_begin() began
 * @old: what it returned
 */
static inline void hmm_dax_charge_end(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

/**
 * struct hmm_dax_vma - bounds of the VMA a chunk was faulted in
 * @start: vm_start
 * @end: vm_end
 */
struct hmm_dax_vma {
	u64 start;
	u64 end;
};

/* dev_pagemap checks, inline: the 4 KiB install asks them of every page. */

/**
 * hmm_dax_pgmap_type() - the HMM_DAX_PGMAP_* type of a dev_pagemap
 * @pgmap: a live dev_pagemap
 *
 * Return: FSDAX, GENERIC (device-dax) or OTHER, which a device is never
 * given (P2PDMA, device-private and coherent memory belong to drivers).
 */
static inline unsigned int
hmm_dax_pgmap_type(const struct dev_pagemap *pgmap)
{
	switch (pgmap->type) {
	case MEMORY_DEVICE_FS_DAX:
		return HMM_DAX_PGMAP_FSDAX;
	case MEMORY_DEVICE_GENERIC:
		return HMM_DAX_PGMAP_GENERIC;
	default:
		return HMM_DAX_PGMAP_OTHER;
	}
}

/**
 * hmm_dax_pgmap_covers() - whether @pfn is in one of @pgmap's ranges
 * @pgmap: a dev_pagemap the caller holds a reference to
 * @pfn: any pfn
 *
 * Return: true if @pfn is memory of @pgmap, so ZONE_DEVICE memory.
 */
static inline bool hmm_dax_pgmap_covers(const struct dev_pagemap *pgmap,
					unsigned long pfn)
{
	phys_addr_t phys = PFN_PHYS(pfn);
	int i;

	for (i = 0; i < pgmap->nr_range; i++)
		if (phys >= pgmap->ranges[i].start &&
		    phys <= pgmap->ranges[i].end)
			return true;
	return false;
}

/* hmm_dax_pgmap.c */
struct dev_pagemap *hmm_dax_pgmap_hold(struct dev_pagemap **held,
				       unsigned long pfn);
void hmm_dax_pgmap_release(struct dev_pagemap **held);
bool hmm_dax_pgmap_check(unsigned long pfn, unsigned int *type);

/* hmm_dax_mirror.c */
void hmm_dax_note_peak(struct hmm_dax_mirror *m, unsigned long transient);
bool hmm_dax_next_leaf(struct hmm_dax_mirror *m, u64 start, u64 end,
		       u64 *addr);
int hmm_dax_range_fault(struct hmm_dax_mirror *m, struct hmm_range *range,
			struct hmm_dax_vma *vma, struct hmm_dax_range *r);
int hmm_dax_mirror_range(struct hmm_dax_mirror *m, u64 start, u64 end,
			 u32 flags, struct hmm_dax_range *r);
struct hmm_dax_mirror *hmm_dax_mirror_create(struct hmm_dax_device *hdev,
					     bool show_pfns);
void hmm_dax_mirror_destroy(struct hmm_dax_mirror *m);
int hmm_dax_mirror(struct hmm_dax_mirror *m, struct hmm_dax_range *r);

/* hmm_dax_access.c */
int hmm_dax_access(struct hmm_dax_mirror *m, struct hmm_dax_access *a,
		   bool write);

/* hmm_dax_inspect.c */
int hmm_dax_dump(struct hmm_dax_mirror *m, struct hmm_dax_dump *d);
void hmm_dax_stats(struct hmm_dax_mirror *m, struct hmm_dax_stats *s);
int hmm_dax_events(struct hmm_dax_mirror *m, struct hmm_dax_events *e);
int hmm_dax_audit(struct hmm_dax_mirror *m, struct hmm_dax_audit *a);
void hmm_dax_reset(struct hmm_dax_mirror *m);

/* hmm_dax_debugfs.c */
int hmm_dax_debugfs_init(void);
void hmm_dax_debugfs_fini(void);
void hmm_dax_debugfs_add(struct hmm_dax_mirror *m);
void hmm_dax_debugfs_remove(struct hmm_dax_mirror *m);

#endif /* _HMM_DAX_H */
