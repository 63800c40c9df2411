// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_pgmap.c - dev_pagemap references: is ZONE_DEVICE memory still
 * there, and may a device be given it?
 *
 * A pfn of ZONE_DEVICE memory is checked against a live dev_pagemap before
 * a leaf of it is installed or audited, and before a device copy touches
 * its struct page.  One reference serves a run of pages of one pgmap
 * (hmm_dax_pgmap_hold()), and is dropped before the table lock is: a
 * mirror never holds one at rest, so teardown (memunmap_pages()) never
 * waits for it.  Gets and puts are counted module-wide (HMM_DAX_STATS,
 * debugfs); fault_inject 0x4 keeps every reference, to prove the counters
 * catch a leak.
 */
#include <linux/atomic.h>
#include <linux/memremap.h>
#include <linux/mm.h>

#include "hmm_dax.h"

atomic64_t hmm_dax_pgmap_gets = ATOMIC64_INIT(0);
atomic64_t hmm_dax_pgmap_puts = ATOMIC64_INIT(0);

/* A dev_pagemap reference, counted: the live pgmap of @pfn, or NULL. */
static struct dev_pagemap *hmm_dax_pgmap_get(unsigned long pfn)
{
	struct dev_pagemap *pgmap = hmm_dax_get_dev_pagemap(pfn);

	if (pgmap)
		atomic64_inc(&hmm_dax_pgmap_gets);
	return pgmap;
}

static void hmm_dax_pgmap_put(struct dev_pagemap *pgmap)
{
	put_dev_pagemap(pgmap);
	atomic64_inc(&hmm_dax_pgmap_puts);
}

/**
 * hmm_dax_pgmap_hold() - a dev_pagemap reference for a run of pages
 * @held: the reference held so far, or NULL; replaced (the old one
 *	  dropped) when it does not cover @pfn
 * @pfn: a ZONE_DEVICE pfn; its struct page is not touched
 *
 * One reference serves every page of its pgmap until
 * hmm_dax_pgmap_release(): the pgmap was live when it was taken, and
 * cannot be torn down while it is held.  A run of 512 pages of one
 * namespace costs one get_dev_pagemap(), not 512.
 *
 * Return: the live pgmap covering @pfn (now *@held), or NULL if it is dead
 * or going away.
 */
struct dev_pagemap *hmm_dax_pgmap_hold(struct dev_pagemap **held,
				       unsigned long pfn)
{
	if (*held && hmm_dax_pgmap_covers(*held, pfn))
		return *held;
	hmm_dax_pgmap_release(held);
	*held = hmm_dax_pgmap_get(pfn);
	return *held;
}

/**
 * hmm_dax_pgmap_release() - drop what hmm_dax_pgmap_hold() holds, if any
 * @held: the reference, NULL afterwards
 */
void hmm_dax_pgmap_release(struct dev_pagemap **held)
{
	if (*held && !hmm_dax_inject(HMM_DAX_INJECT_KEEP_PGMAP))
		hmm_dax_pgmap_put(*held);
	*held = NULL;
}

/**
 * hmm_dax_pgmap_check() - transient dev_pagemap reference: alive, and its type
 * @pfn: a ZONE_DEVICE pfn
 * @type: set to its HMM_DAX_PGMAP_* type when alive
 *
 * The reference is a liveness and type check only and is dropped before
 * returning; coherence comes from the notifier, as in upstream HMM users.
 *
 * Return: false if the pgmap is dead or going away.
 */
bool hmm_dax_pgmap_check(unsigned long pfn, unsigned int *type)
{
	struct dev_pagemap *pgmap = NULL;

	if (!hmm_dax_pgmap_hold(&pgmap, pfn))
		return false;
	*type = hmm_dax_pgmap_type(pgmap);
	hmm_dax_pgmap_release(&pgmap);
	return true;
}
