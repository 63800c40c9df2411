// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_devpt.c - the simulated device page table (see hmm_dax_devpt.h)
 *
 * An entry is zero (empty), a pointer to the next level's node, or a leaf:
 *
 *   63            12 11   7 6     2   1     0
 *   [ pfn or node  ][  0  ][flags ][table][present]
 *
 * Nodes are 4 KiB and naturally aligned, so a node pointer has its low 12
 * bits clear.  A leaf's flags are HMM_DAX_DEVPT_* shifted by 2.
 *
 * The root's entries are at level pt->height and it covers the 512 of them
 * from pt->base: a table of one 1 GiB leaf is one node at PUD height.  A
 * leaf outside the root, or above its height, grows the root a level at a
 * time (the old root becomes an entry of the new one); the root goes when
 * the table is empty.
 */
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/slab.h>

#include "hmm_dax_devpt.h"

/* Short names, in this file, for the entry encoding of hmm_dax_devpt.h. */
#define E_PRESENT	HMM_DAX_DEVPT_E_PRESENT
#define E_TABLE		HMM_DAX_DEVPT_E_TABLE
#define E_FLAGS_SHIFT	HMM_DAX_DEVPT_E_FLAGS_SHIFT
#define E_ADDR_MASK	(~0xfffULL)
#define NODE_BYTES	(HMM_DAX_DEVPT_ENTRIES * sizeof(u64))
#define e_leaf		hmm_dax_devpt_e_leaf
#define mk_leaf		hmm_dax_devpt_mk_leaf
#define index_of	hmm_dax_devpt_index
#define node_span	hmm_dax_devpt_node_span

static inline bool e_table(u64 e)
{
	return (e & (E_PRESENT | E_TABLE)) == (E_PRESENT | E_TABLE);
}

static inline u64 *e_node(u64 e)
{
	return (u64 *)(uintptr_t)(e & E_ADDR_MASK);
}

static inline u64 e_pfn(u64 e)
{
	return e >> HMM_DAX_DEVPT_SHIFT;
}

static inline unsigned int e_flags(u64 e)
{
	return (e >> E_FLAGS_SHIFT) & HMM_DAX_DEVPT_FLAGS;
}

static inline u64 mk_table(u64 *node)
{
	return (u64)(uintptr_t)node | E_TABLE | E_PRESENT;
}

static inline u64 pages_per(unsigned int level)
{
	return 1ULL << (level * HMM_DAX_DEVPT_BITS);
}

static bool root_covers(const struct hmm_dax_devpt *pt, u64 addr)
{
	return pt->root && addr - pt->base < node_span(pt->height);
}

static u64 *node_alloc(struct hmm_dax_devpt *pt, gfp_t gfp)
{
	struct hmm_dax_devpt_cache *cache = pt->cache;
	u64 *node;

	if (cache && cache->nr)
		node = cache->node[--cache->nr];
	else
		node = kzalloc(NODE_BYTES, gfp);

	if (node)
		pt->nr_nodes++;
	return node;
}

static void node_free(struct hmm_dax_devpt *pt, u64 *node)
{
	kfree(node);
	pt->nr_nodes--;
}

/* Free the subtree below a table entry at @level, counting its leaves. */
static void subtree_free(struct hmm_dax_devpt *pt, u64 e, unsigned int level,
			 struct hmm_dax_devpt_zap *zap)
{
	u64 *node = e_node(e);
	unsigned int i;

	for (i = 0; i < HMM_DAX_DEVPT_ENTRIES; i++) {
		if (e_table(node[i])) {
			subtree_free(pt, node[i], level - 1, zap);
		} else if (e_leaf(node[i])) {
			pt->nr_leaves[level - 1]--;
			if (zap)
				zap->leaves[level - 1]++;
		}
	}
	node_free(pt, node);
}

/* Replace the huge leaf at *slot (at @level) by a node of 512 smaller ones. */
static int leaf_split(struct hmm_dax_devpt *pt, u64 *slot, unsigned int level,
		      gfp_t gfp)
{
	u64 pfn = e_pfn(*slot), step = pages_per(level - 1);
	unsigned int flags = e_flags(*slot), i;
	u64 *node = node_alloc(pt, gfp);

	if (!node)
		return -ENOMEM;
	for (i = 0; i < HMM_DAX_DEVPT_ENTRIES; i++)
		node[i] = mk_leaf(pfn + i * step, flags);
	*slot = mk_table(node);
	pt->nr_leaves[level]--;
	pt->nr_leaves[level - 1] += HMM_DAX_DEVPT_ENTRIES;
	return 0;
}

static bool node_empty(const u64 *node)
{
	unsigned int i;

	for (i = 0; i < HMM_DAX_DEVPT_ENTRIES; i++)
		if (node[i])
			return false;
	return true;
}

/**
 * hmm_dax_devpt_cache_fill() - fill @cache up to its capacity
 * @cache: the cache, zeroed before first use
 * @gfp: allocation flags
 *
 * Lets an owner that installs under a lock it also takes in reclaim (an
 * mmu notifier's) allocate before taking it.
 *
 * Return: 0, or -ENOMEM with what could be allocated kept.
 */
int hmm_dax_devpt_cache_fill(struct hmm_dax_devpt_cache *cache, gfp_t gfp)
{
	while (cache->nr < HMM_DAX_DEVPT_LEVELS - 1) {
		u64 *node = kzalloc(NODE_BYTES, gfp);

		if (!node)
			return -ENOMEM;
		cache->node[cache->nr++] = node;
	}
	return 0;
}

/**
 * hmm_dax_devpt_cache_drain() - free what @cache still holds
 * @cache: the cache
 */
void hmm_dax_devpt_cache_drain(struct hmm_dax_devpt_cache *cache)
{
	while (cache->nr)
		kfree(cache->node[--cache->nr]);
}

/**
 * hmm_dax_devpt_init() - make an empty table
 * @pt: the table
 *
 * An empty table holds no node.
 */
void hmm_dax_devpt_init(struct hmm_dax_devpt *pt)
{
	*pt = (struct hmm_dax_devpt){};
}

/**
 * hmm_dax_devpt_fini() - free a table and everything in it
 * @pt: the table
 */
void hmm_dax_devpt_fini(struct hmm_dax_devpt *pt)
{
	if (!pt->root)
		return;
	subtree_free(pt, mk_table(pt->root), pt->height + 1, NULL);
	pt->root = NULL;
}

/* Make the root cover @addr, with entries at @level or above. */
static int root_grow(struct hmm_dax_devpt *pt, u64 addr, unsigned int level,
		     gfp_t gfp)
{
	u64 *node;

	if (!pt->root) {
		node = node_alloc(pt, gfp);
		if (!node)
			return -ENOMEM;
		pt->root = node;
		pt->height = level;
		pt->base = addr & ~(node_span(level) - 1);
		return 0;
	}
	while (pt->height < level || !root_covers(pt, addr)) {
		node = node_alloc(pt, gfp);
		if (!node)
			return -ENOMEM;
		pt->height++;
		node[index_of(pt->base, pt->height)] = mk_table(pt->root);
		pt->root = node;
		pt->base &= ~(node_span(pt->height) - 1);
	}
	return 0;
}

/*
 * The node whose entries at @level map @addr, made where missing: a larger
 * leaf on the way is split, so the rest of its range stays mapped.
 */
static u64 *node_for(struct hmm_dax_devpt *pt, u64 addr, unsigned int level,
		     gfp_t gfp, int *err)
{
	u64 *table, *slot, *node;
	unsigned int l;

	*err = root_grow(pt, addr, level, gfp);
	if (*err)
		return NULL;
	table = pt->root;
	for (l = pt->height; l > level; l--) {
		slot = &table[index_of(addr, l)];
		if (!*slot) {
			node = node_alloc(pt, gfp);
			if (!node) {
				*err = -ENOMEM;
				return NULL;
			}
			*slot = mk_table(node);
		} else if (e_leaf(*slot)) {
			*err = leaf_split(pt, slot, l, gfp);
			if (*err)
				return NULL;
		}
		table = e_node(*slot);
	}
	return table;
}

/**
 * hmm_dax_devpt_map() - install one leaf
 * @pt: the table
 * @addr: virtual address, aligned to the leaf's size
 * @pfn: pfn at @addr, aligned to the leaf's page count
 * @level: enum hmm_dax_level
 * @flags: HMM_DAX_DEVPT_* flags
 * @gfp: allocation flags for new nodes
 *
 * Whatever mapped the leaf's range before is replaced; a larger leaf that
 * covered it is split first, so the rest of its range stays mapped.
 *
 * Return: 0, -EINVAL for a bad level, alignment or address, -ENOMEM.
 */
int hmm_dax_devpt_map(struct hmm_dax_devpt *pt, u64 addr, u64 pfn,
		      unsigned int level, unsigned int flags, gfp_t gfp)
{
	u64 size = hmm_dax_devpt_level_size(level), *table, *slot;
	int ret;

	if (level >= HMM_DAX_NR_LEAF_LEVELS || (addr & (size - 1)) ||
	    (pfn & (pages_per(level) - 1)) || addr >> HMM_DAX_DEVPT_VA_BITS ||
	    pfn >> (64 - HMM_DAX_DEVPT_SHIFT) || (flags & ~HMM_DAX_DEVPT_FLAGS))
		return -EINVAL;

	table = node_for(pt, addr, level, gfp, &ret);
	if (!table)
		return ret;
	slot = &table[index_of(addr, level)];
	if (e_table(*slot))
		subtree_free(pt, *slot, level, NULL);
	else if (e_leaf(*slot))
		pt->nr_leaves[level]--;
	*slot = mk_leaf(pfn, flags);
	pt->nr_leaves[level]++;
	return 0;
}

/**
 * hmm_dax_devpt_ptes_get() - the PTE node for the 2 MiB block of @addr
 * @pt: the table
 * @addr: any address below 2^48
 * @ptes: filled in for hmm_dax_devpt_map_pte()
 * @gfp: allocation flags for new nodes
 *
 * A 2 MiB leaf over the block is split into 4 KiB ones first.
 *
 * Return: 0, -EINVAL for an address at or above 2^48, -ENOMEM.
 */
int hmm_dax_devpt_ptes_get(struct hmm_dax_devpt *pt, u64 addr,
			   struct hmm_dax_devpt_ptes *ptes, gfp_t gfp)
{
	int ret;

	ptes->node = NULL;
	if (addr >> HMM_DAX_DEVPT_VA_BITS)
		return -EINVAL;
	ptes->node = node_for(pt, addr, HMM_DAX_PTE, gfp, &ret);
	ptes->base = addr & ~(node_span(HMM_DAX_PTE) - 1);
	return ptes->node ? 0 : ret;
}

static void unmap_node(struct hmm_dax_devpt *pt, u64 *table, unsigned int level,
		       u64 base, u64 start, u64 end, gfp_t gfp,
		       struct hmm_dax_devpt_zap *zap)
{
	u64 size = hmm_dax_devpt_level_size(level), s, e;
	unsigned int i = index_of(start, level);

	for (s = base + i * size; i < HMM_DAX_DEVPT_ENTRIES && s < end;
	     i++, s += size) {
		u64 *slot = &table[i];
		bool whole = start <= s && s + size <= end;

		e = *slot;
		if (!e)
			continue;
		if (e_leaf(e) && !whole) {
			zap->split[level]++;
			if (leaf_split(pt, slot, level, gfp)) {
				zap->split[level]--;
				zap->whole[level]++;
				whole = true;
			}
			e = *slot;
		}
		if (e_leaf(e)) {
			pt->nr_leaves[level]--;
			zap->leaves[level]++;
			*slot = 0;
		} else if (whole) {
			subtree_free(pt, e, level, zap);
			*slot = 0;
		} else {
			unmap_node(pt, e_node(e), level - 1, s,
				   start > s ? start : s, end, gfp, zap);
			if (node_empty(e_node(e))) {
				node_free(pt, e_node(e));
				*slot = 0;
			}
		}
	}
}

/**
 * hmm_dax_devpt_unmap() - remove every leaf in [@start, @end)
 * @pt: the table
 * @start: first address (rounded down to 4 KiB)
 * @end: end address, exclusive (rounded up to 4 KiB)
 * @gfp: allocation flags for splits; GFP_NOWAIT where sleeping is not allowed
 * @zap: adds what was removed; must be zeroed by the caller before first use
 *
 * A huge leaf that the range covers only in part is split and only the
 * covered part removed; if the split cannot allocate, the whole leaf goes
 * and @zap->whole records it.  Nodes left empty are freed.
 */
void hmm_dax_devpt_unmap(struct hmm_dax_devpt *pt, u64 start, u64 end,
			 gfp_t gfp, struct hmm_dax_devpt_zap *zap)
{
	u64 limit = 1ULL << HMM_DAX_DEVPT_VA_BITS, page = 1ULL << HMM_DAX_DEVPT_SHIFT;

	start &= ~(page - 1);
	end = end > limit - page ? limit : (end + page - 1) & ~(page - 1);
	if (!pt->root)
		return;
	/* what the root covers */
	if (start < pt->base)
		start = pt->base;
	if (end > pt->base + node_span(pt->height))
		end = pt->base + node_span(pt->height);
	if (start >= end)
		return;
	unmap_node(pt, pt->root, pt->height, pt->base, start, end, gfp, zap);
	if (node_empty(pt->root)) {
		node_free(pt, pt->root);
		pt->root = NULL;
	}
}

/**
 * hmm_dax_devpt_lookup() - find the leaf that maps @addr
 * @pt: the table
 * @addr: any virtual address
 * @leaf: filled in when found; @leaf->pfn is the pfn at @leaf->addr
 *
 * Return: true if a leaf maps @addr.
 */
bool hmm_dax_devpt_lookup(const struct hmm_dax_devpt *pt, u64 addr,
			  struct hmm_dax_devpt_leaf *leaf)
{
	const u64 *table = pt->root;
	int l;

	if (!root_covers(pt, addr))
		return false;
	for (l = pt->height; l >= 0; l--) {
		u64 e = table[index_of(addr, l)];

		if (e_table(e)) {
			table = e_node(e);
			continue;
		}
		if (!e_leaf(e))
			return false;
		leaf->addr = addr & ~(hmm_dax_devpt_level_size(l) - 1);
		leaf->pfn = e_pfn(e);
		leaf->level = l;
		leaf->flags = e_flags(e);
		return true;
	}
	return false;
}

static int walk_node(const u64 *table, unsigned int level, u64 base,
		     u64 start, u64 end, hmm_dax_devpt_fn fn, void *arg)
{
	u64 size = hmm_dax_devpt_level_size(level), s;
	unsigned int i = index_of(start, level);
	int ret;

	for (s = base + i * size; i < HMM_DAX_DEVPT_ENTRIES && s < end;
	     i++, s += size) {
		u64 e = table[i];

		if (e_table(e)) {
			ret = walk_node(e_node(e), level - 1, s,
					start > s ? start : s, end, fn, arg);
		} else if (e_leaf(e)) {
			struct hmm_dax_devpt_leaf leaf = {
				.addr = s, .pfn = e_pfn(e), .level = level,
				.flags = e_flags(e),
			};

			ret = fn(&leaf, arg);
		} else {
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * hmm_dax_devpt_walk() - call @fn for every leaf meeting [@start, @end)
 * @pt: the table
 * @start: first address
 * @end: end address (exclusive)
 * @fn: called in address order; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Return: 0, or what @fn returned to stop the walk.
 */
int hmm_dax_devpt_walk(const struct hmm_dax_devpt *pt, u64 start, u64 end,
		       hmm_dax_devpt_fn fn, void *arg)
{
	if (!pt->root)
		return 0;
	/* what the root covers */
	if (start < pt->base)
		start = pt->base;
	if (end > pt->base + node_span(pt->height))
		end = pt->base + node_span(pt->height);
	if (start >= end)
		return 0;
	return walk_node(pt->root, pt->height, pt->base, start, end, fn, arg);
}
