/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_devpt.h - the simulated device page table
 *
 * A radix table of up to four levels of 512-entry nodes, shaped like
 * x86-64's 4-level page tables: leaves live at PTE (4 KiB), PMD (2 MiB) or
 * PUD (1 GiB) level and cover virtual addresses below 2^48.  The root is the
 * lowest node that covers every leaf, as in the kernel's radix tree: an
 * empty table has no node, one 1 GiB leaf needs one node, and the root
 * grows a level at a time when a leaf falls outside it.  It knows nothing
 * of mm: the same code is built into the module and into a host unit-test
 * program.
 *
 * The table is not locked here; its owner serialises every call.
 */
#ifndef _HMM_DAX_DEVPT_H
#define _HMM_DAX_DEVPT_H

#include <linux/types.h>
#include <linux/slab.h>

#define HMM_DAX_DEVPT_SHIFT	12
#define HMM_DAX_DEVPT_BITS	9
#define HMM_DAX_DEVPT_ENTRIES	512	/* 1 << HMM_DAX_DEVPT_BITS */
#define HMM_DAX_DEVPT_LEVELS	4	/* PTE, PMD, PUD and the top */
#define HMM_DAX_DEVPT_VA_BITS	(HMM_DAX_DEVPT_SHIFT + \
				 HMM_DAX_DEVPT_LEVELS * HMM_DAX_DEVPT_BITS)

/* Leaf levels; the order of a leaf at level L is 9 * L. */
enum hmm_dax_level {
	HMM_DAX_PTE,
	HMM_DAX_PMD,
	HMM_DAX_PUD,
	HMM_DAX_NR_LEAF_LEVELS,
};

/* Leaf flags (6 bits): what the device may do and what the pfn is. */
#define HMM_DAX_DEVPT_WRITE	0x01	/* writable by the device */
#define HMM_DAX_DEVPT_DEVICE	0x02	/* ZONE_DEVICE page */
#define HMM_DAX_DEVPT_ZERO	0x04	/* the (huge) zero page */
#define HMM_DAX_DEVPT_TYPE(t)	(((t) & 3) << 3)	/* pgmap type */
#define HMM_DAX_DEVPT_TYPE_OF(f) (((f) >> 3) & 3)
#define HMM_DAX_DEVPT_FLAGS	0x1f

/**
 * struct hmm_dax_devpt_cache - nodes allocated ahead, outside the owner's lock
 * @node: zeroed nodes
 * @nr: how many @node holds
 *
 * One install in a table whose root covers it needs at most one node per
 * level under the root, so HMM_DAX_DEVPT_LEVELS - 1 nodes cover it.  A root
 * that must grow first takes a node per level it grows, from the cache or
 * from the allocator with the caller's flags.
 */
struct hmm_dax_devpt_cache {
	u64 *node[HMM_DAX_DEVPT_LEVELS - 1];
	unsigned int nr;
};

/**
 * struct hmm_dax_devpt - one device page table
 * @root: the root node, NULL when the table is empty
 * @height: the level of @root's entries (HMM_DAX_PTE .. the top, 3)
 * @base: the first address @root covers, aligned to what it covers
 * @cache: if set, new nodes come from it before the allocator
 * @nr_nodes: nodes allocated, the root included
 * @nr_leaves: leaves present, per level
 */
struct hmm_dax_devpt {
	u64 *root;
	unsigned int height;
	u64 base;
	struct hmm_dax_devpt_cache *cache;
	unsigned long nr_nodes;
	unsigned long nr_leaves[HMM_DAX_NR_LEAF_LEVELS];
};

/**
 * struct hmm_dax_devpt_ptes - where a run of 4 KiB leaves goes
 * @node: the PTE node of one 2 MiB block, NULL before the first use
 * @base: the first address of that block
 *
 * Filled by hmm_dax_devpt_ptes_get(), used by hmm_dax_devpt_map_pte(): an
 * owner that installs many 4 KiB leaves walks the table once per 2 MiB.
 * Valid until the table is next changed by anything else.
 */
struct hmm_dax_devpt_ptes {
	u64 *node;
	u64 base;
};

/**
 * struct hmm_dax_devpt_leaf - one leaf, as found by lookup or walk
 * @addr: first virtual address the leaf maps
 * @pfn: pfn at @addr
 * @level: enum hmm_dax_level
 * @flags: HMM_DAX_DEVPT_* flags
 */
struct hmm_dax_devpt_leaf {
	u64 addr;
	u64 pfn;
	unsigned int level;
	unsigned int flags;
};

/**
 * struct hmm_dax_devpt_zap - what an unmap removed
 * @leaves: leaves removed, per level
 * @split: huge leaves split because the range covered part of them
 * @whole: huge leaves zapped whole because a split could not allocate
 */
struct hmm_dax_devpt_zap {
	unsigned long leaves[HMM_DAX_NR_LEAF_LEVELS];
	unsigned long split[HMM_DAX_NR_LEAF_LEVELS];
	unsigned long whole[HMM_DAX_NR_LEAF_LEVELS];
};

typedef int (*hmm_dax_devpt_fn)(const struct hmm_dax_devpt_leaf *leaf,
				void *arg);

/**
 * hmm_dax_devpt_level_size() - bytes mapped by one leaf at @level
 * @level: enum hmm_dax_level
 */
static inline u64 hmm_dax_devpt_level_size(unsigned int level)
{
	return 1ULL << (HMM_DAX_DEVPT_SHIFT + level * HMM_DAX_DEVPT_BITS);
}

/**
 * hmm_dax_devpt_bytes() - memory held by the table's nodes
 * @pt: the table
 */
static inline unsigned long hmm_dax_devpt_bytes(const struct hmm_dax_devpt *pt)
{
	return pt->nr_nodes * HMM_DAX_DEVPT_ENTRIES * sizeof(u64);
}

/*
 * A table entry: a leaf is pfn << 12 | flags << 2 | PRESENT, a node's entry
 * is the node's address | TABLE | PRESENT, an empty entry is 0 (devpt.rst).
 * Here only for hmm_dax_devpt_map_pte(), which is inline.
 */
#define HMM_DAX_DEVPT_E_PRESENT		0x1ULL
#define HMM_DAX_DEVPT_E_TABLE		0x2ULL
#define HMM_DAX_DEVPT_E_FLAGS_SHIFT	2

static inline bool hmm_dax_devpt_e_leaf(u64 e)
{
	return (e & (HMM_DAX_DEVPT_E_PRESENT | HMM_DAX_DEVPT_E_TABLE)) ==
	       HMM_DAX_DEVPT_E_PRESENT;
}

static inline u64 hmm_dax_devpt_mk_leaf(u64 pfn, unsigned int flags)
{
	return pfn << HMM_DAX_DEVPT_SHIFT |
	       (u64)(flags & HMM_DAX_DEVPT_FLAGS) << HMM_DAX_DEVPT_E_FLAGS_SHIFT |
	       HMM_DAX_DEVPT_E_PRESENT;
}

/* The index of @addr in a node whose entries are at @level. */
static inline unsigned int hmm_dax_devpt_index(u64 addr, unsigned int level)
{
	return (addr >> (HMM_DAX_DEVPT_SHIFT + level * HMM_DAX_DEVPT_BITS)) &
	       (HMM_DAX_DEVPT_ENTRIES - 1);
}

/* Bytes of address space a node whose entries are at @level covers. */
static inline u64 hmm_dax_devpt_node_span(unsigned int level)
{
	return hmm_dax_devpt_level_size(level) << HMM_DAX_DEVPT_BITS;
}

/**
 * hmm_dax_devpt_map_pte() - install one 4 KiB leaf in a PTE node got before
 * @pt: the table
 * @ptes: from hmm_dax_devpt_ptes_get(), no change to @pt since
 * @addr: virtual address in the block of @ptes, 4 KiB aligned
 * @pfn: pfn at @addr
 * @flags: HMM_DAX_DEVPT_* flags
 *
 * The same as hmm_dax_devpt_map() of a 4 KiB leaf, without the walk.
 * Inline: the 4 KiB install calls it 512 times per node, and a call per
 * leaf cost a quarter of the install (bench.rst).
 *
 * Return: 0, or -EINVAL for an address outside the block, or a bad pfn
 * or flags.
 */
static inline int hmm_dax_devpt_map_pte(struct hmm_dax_devpt *pt,
					struct hmm_dax_devpt_ptes *ptes,
					u64 addr, u64 pfn, unsigned int flags)
{
	u64 *slot;

	if (!ptes->node ||
	    addr - ptes->base >= hmm_dax_devpt_node_span(HMM_DAX_PTE) ||
	    (addr & ((1ULL << HMM_DAX_DEVPT_SHIFT) - 1)) ||
	    pfn >> (64 - HMM_DAX_DEVPT_SHIFT) || (flags & ~HMM_DAX_DEVPT_FLAGS))
		return -EINVAL;
	slot = &ptes->node[hmm_dax_devpt_index(addr, HMM_DAX_PTE)];
	pt->nr_leaves[HMM_DAX_PTE] += !hmm_dax_devpt_e_leaf(*slot);
	*slot = hmm_dax_devpt_mk_leaf(pfn, flags);
	return 0;
}

int hmm_dax_devpt_cache_fill(struct hmm_dax_devpt_cache *cache, gfp_t gfp);
void hmm_dax_devpt_cache_drain(struct hmm_dax_devpt_cache *cache);
void hmm_dax_devpt_init(struct hmm_dax_devpt *pt);
void hmm_dax_devpt_fini(struct hmm_dax_devpt *pt);
int hmm_dax_devpt_map(struct hmm_dax_devpt *pt, u64 addr, u64 pfn,
		      unsigned int level, unsigned int flags, gfp_t gfp);
int hmm_dax_devpt_ptes_get(struct hmm_dax_devpt *pt, u64 addr,
			   struct hmm_dax_devpt_ptes *ptes, gfp_t gfp);
void hmm_dax_devpt_unmap(struct hmm_dax_devpt *pt, u64 start, u64 end,
			 gfp_t gfp, struct hmm_dax_devpt_zap *zap);
bool hmm_dax_devpt_lookup(const struct hmm_dax_devpt *pt, u64 addr,
			  struct hmm_dax_devpt_leaf *leaf);
int hmm_dax_devpt_walk(const struct hmm_dax_devpt *pt, u64 start, u64 end,
		       hmm_dax_devpt_fn fn, void *arg);

#endif /* _HMM_DAX_DEVPT_H */
