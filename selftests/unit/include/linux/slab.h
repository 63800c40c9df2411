/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host stand-in for the kernel's <linux/slab.h>, for the unit tests: kzalloc
 * is aligned like the kernel's for power-of-two sizes, counts what is live,
 * and fails on demand (unit_fail_allocs).
 */
#ifndef _HMM_DAX_UNIT_SLAB_H
#define _HMM_DAX_UNIT_SLAB_H
#include <stdlib.h>
#include <string.h>

#define GFP_KERNEL		0x1u
#define GFP_KERNEL_ACCOUNT	0x3u
#define GFP_NOWAIT		0x4u

extern long unit_live_allocs;	/* kzalloc'd and not yet kfree'd */
extern long unit_fail_allocs;	/* this many next kzallocs fail */

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	void *p;

	(void)gfp;
	if (unit_fail_allocs > 0) {
		unit_fail_allocs--;
		return NULL;
	}
	p = aligned_alloc(size, size);
	if (p) {
		memset(p, 0, size);
		unit_live_allocs++;
	}
	return p;
}

static inline void kfree(void *p)
{
	if (p)
		unit_live_allocs--;
	free(p);
}
#endif
