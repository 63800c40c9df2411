/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels hmm_dax builds for
 * (Debian's 6.1, 6.12, sid's 7.2, trixie-backports' 7.3, and kernels built
 * by users).
 *
 * Nothing else in the module tests LINUX_VERSION_CODE or kernel config.
 */
#ifndef _HMM_DAX_COMPAT_H
#define _HMM_DAX_COMPAT_H

#include <linux/version.h>
#include <linux/hmm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include "hmm_dax_uapi.h"

/*
 * get_dev_pagemap() lost its cache argument ("mm/memremap: Remove unused
 * get_dev_pagemap() parameter", 6.19).  hmm_dax keeps its own reference
 * across a run of pages (hmm_dax_pgmap_hold()), so it never passes one.
 */
static inline struct dev_pagemap *hmm_dax_get_dev_pagemap(unsigned long pfn)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
	return get_dev_pagemap(pfn);
#else
	return get_dev_pagemap(pfn, NULL);
#endif
}

/*
 * The pfn in an hmm_range_fault() output entry.  HMM_PFN_ORDER_SHIFT moved
 * in 6.16 (BITS_PER_LONG - 8 to - 11) and new flags came with it; every
 * kernel's HMM_PFN_FLAGS covers its own flag and order bits.
 */
static inline unsigned long hmm_dax_hmm_pfn(unsigned long hmm_pfn)
{
	return hmm_pfn & ~HMM_PFN_FLAGS;
}

/*
 * The huge zero folio is not exported on any of these kernels.  Under a
 * valid hmm_range_fault() result, an order > 0 mapping of a page that is
 * neither ZONE_DEVICE, nor anonymous, nor in a page cache (no mapping) can
 * only be the huge zero page: DAX and shmem huge pages have a mapping,
 * anonymous THPs are anonymous.
 */
static inline bool hmm_dax_is_zero_page(struct page *page, unsigned int order)
{
	struct folio *folio;

	if (is_zero_pfn(page_to_pfn(page)))
		return true;
	if (!order || is_zone_device_page(page))
		return false;
	folio = page_folio(page);
	return !folio_test_anon(folio) && !folio->mapping;
}

/*
 * Whether @page is in the kernel's direct map, through which the device's
 * copies go.  memfd_secret() takes its pages out of it.  The kernel's own
 * test, kernel_page_present(), is not exported; on x86 lookup_address() is,
 * and a page taken out has a non-present entry there.  Other architectures
 * rely on the VMA check alone (hmm_dax_vma_refused()).
 */
static inline bool hmm_dax_page_in_direct_map(struct page *page)
{
#ifdef CONFIG_X86
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)page_address(page), &level);

	return pte && pte_present(*pte);
#else
	return true;
#endif
}

/* The kernel's mmu_notifier_event values are the uapi's HMM_DAX_EV_*. */
static inline void hmm_dax_compat_check(void)
{
	BUILD_BUG_ON(MMU_NOTIFY_UNMAP != HMM_DAX_EV_UNMAP);
	BUILD_BUG_ON(MMU_NOTIFY_CLEAR != HMM_DAX_EV_CLEAR);
	BUILD_BUG_ON(MMU_NOTIFY_PROTECTION_VMA != HMM_DAX_EV_PROTECTION_VMA);
	BUILD_BUG_ON(MMU_NOTIFY_PROTECTION_PAGE != HMM_DAX_EV_PROTECTION_PAGE);
	BUILD_BUG_ON(MMU_NOTIFY_SOFT_DIRTY != HMM_DAX_EV_SOFT_DIRTY);
	BUILD_BUG_ON(MMU_NOTIFY_RELEASE != HMM_DAX_EV_RELEASE);
	BUILD_BUG_ON(MMU_NOTIFY_MIGRATE != HMM_DAX_EV_MIGRATE);
}

/*
 * hmm_range_fault_unlocked_timeout() (7.3): the entry point for a caller
 * that does not hold mmap_lock.  It takes the lock itself, lets a fault
 * handler drop it (7.3 moved page-fault handling out of the page walk),
 * re-reads range->notifier_seq and restarts internally, and returns
 * -EBUSY once @timeout jiffies of retries have passed.  Before 7.3 only
 * hmm_range_fault() under mmap_read_lock() exists: HMM_DAX_MIRROR_UNLOCKED
 * is refused there with -EOPNOTSUPP.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0)
#define HMM_DAX_HAVE_UNLOCKED	1
static inline int hmm_dax_hmm_range_fault_unlocked(struct hmm_range *range,
						   unsigned long timeout)
{
	return hmm_range_fault_unlocked_timeout(range, timeout);
}
#else
#define HMM_DAX_HAVE_UNLOCKED	0
static inline int hmm_dax_hmm_range_fault_unlocked(struct hmm_range *range,
						   unsigned long timeout)
{
	return -EOPNOTSUPP;
}
#endif

#endif /* _HMM_DAX_COMPAT_H */
