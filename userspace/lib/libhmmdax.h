/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libhmmdax - the hmm_dax mirror driver from user space, and the CPU views
 * a mirror is compared with.
 *
 * A context is one open /dev/hmm_dax<N>: one simulated device mirroring the
 * calling process.  Every function returns 0 (or a count) on success and a
 * negative errno on failure, as the driver does; nothing is printed.
 *
 * The CPU-view oracles are independent of each other and of a context:
 *  - bytes: what a CPU load through the mapping reads;
 *  - pagemap: pfns from /proc/self/pagemap (see hmm_dax_pagemap_perturbs():
 *    on some kernels reading it changes the mapping it reports);
 *  - extents: pfns computed without the page tables, from the device-dax
 *    device's physical ranges or an fsdax file's extents plus the physical
 *    base of its namespace, both found through libdaxctl and libndctl.
 */
#ifndef _LIBHMMDAX_H
#define _LIBHMMDAX_H

#include <stddef.h>
#include <linux/types.h>
#include <hmm_dax_uapi.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hmm_dax_ctx;

int hmm_dax_open(struct hmm_dax_ctx **ctx, unsigned int index);
void hmm_dax_close(struct hmm_dax_ctx *ctx);
int hmm_dax_get_fd(struct hmm_dax_ctx *ctx);
int hmm_dax_mirror(struct hmm_dax_ctx *ctx, void *addr, size_t len,
		   unsigned int flags, struct hmm_dax_range *out);
int hmm_dax_dump(struct hmm_dax_ctx *ctx, void *addr, size_t len,
		 struct hmm_dax_leaf **leaves, size_t *count);
int hmm_dax_read(struct hmm_dax_ctx *ctx, void *addr, void *buf, size_t len,
		 struct hmm_dax_access *out);
int hmm_dax_write(struct hmm_dax_ctx *ctx, void *addr, const void *buf,
		  size_t len, struct hmm_dax_access *out);
int hmm_dax_stats(struct hmm_dax_ctx *ctx, struct hmm_dax_stats *stats);
int hmm_dax_events(struct hmm_dax_ctx *ctx, struct hmm_dax_event **events,
		   size_t *count, __u64 *lost);
int hmm_dax_audit(struct hmm_dax_ctx *ctx, void *addr, size_t len,
		  struct hmm_dax_stale **stale, size_t *count,
		  struct hmm_dax_audit *out);
int hmm_dax_reset(struct hmm_dax_ctx *ctx);

/* Bytes of one leaf of @level. */
static inline size_t hmm_dax_level_size(unsigned int level)
{
	return (size_t)4096 << (9 * level);
}

const char *hmm_dax_level_name(unsigned int level);
const char *hmm_dax_event_name(unsigned int event);

/* A page the CPU view has no pfn for (not mapped, or beyond the end). */
#define HMM_DAX_NO_PFN		(~0ULL)
/* A file page with no data block (a hole, or an unwritten extent). */
#define HMM_DAX_HOLE_PFN	(~1ULL)

int hmm_dax_cpu_bytes(const void *addr, void *buf, size_t len);
int hmm_dax_pagemap(const void *addr, size_t len, __u64 *pfns);
int hmm_dax_pagemap_perturbs(struct hmm_dax_ctx *ctx, void *addr, size_t len,
			     __u64 *zapped);

struct hmm_dax_extents;

int hmm_dax_extents_new(struct hmm_dax_extents **ext, int fd);
void hmm_dax_extents_free(struct hmm_dax_extents *ext);
const char *hmm_dax_extents_source(const struct hmm_dax_extents *ext);
int hmm_dax_extents_pfns(struct hmm_dax_extents *ext, __u64 offset,
			 size_t len, __u64 *pfns);

#ifdef __cplusplus
}
#endif

#endif /* _LIBHMMDAX_H */
