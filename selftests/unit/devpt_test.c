// SPDX-License-Identifier: GPL-2.0
/*
 * devpt_test - the device page table (kernel/hmm_dax_devpt.c) on the host,
 * built with the stand-in headers in include/ and the kselftest harness.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "../../kernel/hmm_dax_devpt.h"

long unit_live_allocs;
long unit_fail_allocs;

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define VA_END	0x1000000000000ULL	/* 2^HMM_DAX_DEVPT_VA_BITS */

FIXTURE(devpt) {
	struct hmm_dax_devpt pt;
	struct hmm_dax_devpt_zap zap;
};

FIXTURE_SETUP(devpt)
{
	unit_live_allocs = 0;
	unit_fail_allocs = 0;
	hmm_dax_devpt_init(&self->pt);
	memset(&self->zap, 0, sizeof(self->zap));
}

FIXTURE_TEARDOWN(devpt)
{
	hmm_dax_devpt_fini(&self->pt);
	EXPECT_EQ(0, self->pt.nr_nodes);
	EXPECT_EQ(0, unit_live_allocs);
}

static void expect_leaf(struct __test_metadata *_metadata,
			struct hmm_dax_devpt *pt, u64 addr, u64 leaf_addr,
			u64 pfn, unsigned int level)
{
	struct hmm_dax_devpt_leaf leaf;

	ASSERT_TRUE(hmm_dax_devpt_lookup(pt, addr, &leaf))
		TH_LOG("no leaf at %#llx", (unsigned long long)addr);
	EXPECT_EQ(leaf_addr, leaf.addr);
	EXPECT_EQ(pfn, leaf.pfn);
	EXPECT_EQ(level, leaf.level);
}

/* An empty table holds no node, maps nothing, and unmaps as a no-op. */
TEST_F(devpt, empty_table)
{
	struct hmm_dax_devpt_leaf leaf;

	EXPECT_EQ(0, self->pt.nr_nodes);
	EXPECT_EQ(0, hmm_dax_devpt_bytes(&self->pt));
	EXPECT_FALSE(hmm_dax_devpt_lookup(&self->pt, SZ_1G, &leaf));
	EXPECT_EQ(0, hmm_dax_devpt_walk(&self->pt, 0, ~0ULL, NULL, NULL));
	hmm_dax_devpt_unmap(&self->pt, 0, ~0ULL, GFP_KERNEL, &self->zap);
	EXPECT_EQ(0, self->pt.nr_nodes);
}

/*
 * Nodes filled into a cache beforehand are enough for any one leaf under a
 * root that covers it, with the allocator failing: the install an owner
 * does under its lock.  A root that must grow needs more, and a failed
 * install changes no leaf.
 */
TEST_F(devpt, cache_covers_one_leaf)
{
	struct hmm_dax_devpt_cache cache = {};

	ASSERT_EQ(0, hmm_dax_devpt_map(&self->pt, 0, 0, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_cache_fill(&cache, GFP_KERNEL));
	EXPECT_EQ(HMM_DAX_DEVPT_LEVELS - 1, cache.nr);
	self->pt.cache = &cache;
	unit_fail_allocs = 1000;
	ASSERT_EQ(0, hmm_dax_devpt_map(&self->pt, 5 * SZ_1G + 3 * SZ_4K, 77,
				       HMM_DAX_PTE, 0, GFP_NOWAIT));
	EXPECT_EQ(1, cache.nr);
	EXPECT_EQ(-ENOMEM, hmm_dax_devpt_map(&self->pt, 9 * SZ_1G, 0,
					     HMM_DAX_PTE, 0, GFP_NOWAIT));
	EXPECT_EQ(0, cache.nr);
	/* 1 TiB is outside the root, which would have to grow */
	EXPECT_EQ(-ENOMEM, hmm_dax_devpt_map(&self->pt, 1024 * SZ_1G, 0,
					     HMM_DAX_PMD, 0, GFP_NOWAIT));
	unit_fail_allocs = 0;
	self->pt.cache = NULL;
	expect_leaf(_metadata, &self->pt, 5 * SZ_1G + 3 * SZ_4K,
		    5 * SZ_1G + 3 * SZ_4K, 77, HMM_DAX_PTE);
	expect_leaf(_metadata, &self->pt, 2 * SZ_4K, 0, 0, HMM_DAX_PUD);
	EXPECT_EQ(HMM_DAX_PUD, self->pt.height);
	EXPECT_EQ(1, self->pt.nr_leaves[HMM_DAX_PTE]);

	/* A partly used cache is drained without leaking. */
	ASSERT_EQ(0, hmm_dax_devpt_cache_fill(&cache, GFP_KERNEL));
	self->pt.cache = &cache;
	ASSERT_EQ(0, hmm_dax_devpt_map(&self->pt, 6 * SZ_1G, 0, HMM_DAX_PMD,
				       0, GFP_NOWAIT));
	self->pt.cache = NULL;
	EXPECT_EQ(2, cache.nr);
	hmm_dax_devpt_cache_drain(&cache);
	EXPECT_EQ(0, cache.nr);
}

/* A 1 GiB leaf is one entry of one node and maps every address in it. */
TEST_F(devpt, pud_leaf)
{
	unsigned int flags = HMM_DAX_DEVPT_WRITE | HMM_DAX_DEVPT_DEVICE |
			     HMM_DAX_DEVPT_TYPE(2);
	struct hmm_dax_devpt_leaf leaf;

	ASSERT_EQ(0, hmm_dax_devpt_map(&self->pt, SZ_1G, 0x40000, HMM_DAX_PUD,
				       flags, GFP_KERNEL));
	EXPECT_EQ(1, self->pt.nr_nodes);
	EXPECT_EQ(4096, hmm_dax_devpt_bytes(&self->pt));
	EXPECT_EQ(1, self->pt.nr_leaves[HMM_DAX_PUD]);
	ASSERT_TRUE(hmm_dax_devpt_lookup(&self->pt, SZ_1G + 5 * SZ_4K + 7,
					 &leaf));
	EXPECT_EQ(SZ_1G, leaf.addr);
	EXPECT_EQ(0x40000, leaf.pfn);
	EXPECT_EQ(HMM_DAX_PUD, leaf.level);
	EXPECT_EQ(flags, leaf.flags);
	EXPECT_EQ(2, HMM_DAX_DEVPT_TYPE_OF(leaf.flags));
	EXPECT_FALSE(hmm_dax_devpt_lookup(&self->pt, 2 * SZ_1G, &leaf));
	EXPECT_FALSE(hmm_dax_devpt_lookup(&self->pt, SZ_1G - 1, &leaf));
}

/*
 * The root is the lowest node that covers every leaf: it grows a level at
 * a time for a leaf outside it or above its height, keeps every leaf it
 * had, and goes when the table is empty.
 */
TEST_F(devpt, root_grows_and_goes)
{
	struct hmm_dax_devpt *pt = &self->pt;
	const u64 far = 300 * 512 * SZ_1G;	/* another 512 GiB */

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_1G + SZ_4K, 1, HMM_DAX_PTE, 0,
				       GFP_KERNEL));
	EXPECT_EQ(HMM_DAX_PTE, pt->height);
	EXPECT_EQ(1, pt->nr_nodes);
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_1G + SZ_2M, 512, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	EXPECT_EQ(HMM_DAX_PMD, pt->height);
	EXPECT_EQ(2, pt->nr_nodes);
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, 3 * SZ_1G, 0, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	EXPECT_EQ(HMM_DAX_PUD, pt->height);
	EXPECT_EQ(3, pt->nr_nodes);
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, far, 0, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	EXPECT_EQ(HMM_DAX_DEVPT_LEVELS - 1, pt->height);
	EXPECT_EQ(5, pt->nr_nodes);
	expect_leaf(_metadata, pt, SZ_1G + SZ_4K, SZ_1G + SZ_4K, 1,
		    HMM_DAX_PTE);
	expect_leaf(_metadata, pt, SZ_1G + SZ_2M + 1, SZ_1G + SZ_2M, 512,
		    HMM_DAX_PMD);
	expect_leaf(_metadata, pt, 3 * SZ_1G, 3 * SZ_1G, 0, HMM_DAX_PUD);
	expect_leaf(_metadata, pt, far + SZ_2M, far, 0, HMM_DAX_PUD);

	hmm_dax_devpt_unmap(pt, 0, far, GFP_KERNEL, &self->zap);
	EXPECT_EQ(2, pt->nr_nodes);	/* the root and far's node */
	hmm_dax_devpt_unmap(pt, far, far + SZ_1G, GFP_KERNEL, &self->zap);
	EXPECT_EQ(0, pt->nr_nodes);
	EXPECT_EQ(NULL, pt->root);
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, far, 0, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	EXPECT_EQ(1, pt->nr_nodes);
}

/*
 * A run of 4 KiB leaves through one hmm_dax_devpt_ptes_get(): the table is
 * as hmm_dax_devpt_map() would make it, with one walk for the block.
 */
TEST_F(devpt, ptes_run)
{
	struct hmm_dax_devpt *pt = &self->pt;
	struct hmm_dax_devpt_ptes ptes;
	u64 i, base = 7 * SZ_1G;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, base, 0x1000, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_ptes_get(pt, base + 5 * SZ_4K, &ptes,
					    GFP_KERNEL));
	/* the 2 MiB leaf was split: 512 leaves of its pfns */
	EXPECT_EQ(0, pt->nr_leaves[HMM_DAX_PMD]);
	EXPECT_EQ(512, pt->nr_leaves[HMM_DAX_PTE]);
	for (i = 0; i < 512; i += 2)
		ASSERT_EQ(0, hmm_dax_devpt_map_pte(pt, &ptes, base + i * SZ_4K,
						   0x9000 + i,
						   HMM_DAX_DEVPT_WRITE));
	EXPECT_EQ(512, pt->nr_leaves[HMM_DAX_PTE]);
	expect_leaf(_metadata, pt, base + 4 * SZ_4K, base + 4 * SZ_4K,
		    0x9004, HMM_DAX_PTE);
	expect_leaf(_metadata, pt, base + 5 * SZ_4K, base + 5 * SZ_4K,
		    0x1005, HMM_DAX_PTE);
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map_pte(pt, &ptes, base + SZ_2M, 1,
						 0));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map_pte(pt, &ptes, base + 1, 1, 0));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map_pte(pt, &ptes, base, 1, 0x20));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_ptes_get(pt, VA_END, &ptes,
						  GFP_KERNEL));
	EXPECT_EQ(512, pt->nr_leaves[HMM_DAX_PTE]);
}

/* Bad level, alignment, address or flags are -EINVAL and change nothing. */
TEST_F(devpt, map_bad_input)
{
	struct hmm_dax_devpt *pt = &self->pt;

	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map(pt, SZ_2M + SZ_4K, 512,
					     HMM_DAX_PMD, 0, GFP_KERNEL));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map(pt, SZ_2M, 513, HMM_DAX_PMD, 0,
					     GFP_KERNEL));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map(pt, 0, 0, HMM_DAX_NR_LEAF_LEVELS,
					     0, GFP_KERNEL));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map(pt, VA_END, 0, HMM_DAX_PTE, 0,
					     GFP_KERNEL));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map(pt, 0, 0, HMM_DAX_PTE, 0x20,
					     GFP_KERNEL));
	EXPECT_EQ(-EINVAL, hmm_dax_devpt_map(pt, 0, 1ULL << 52, HMM_DAX_PTE,
					     0, GFP_KERNEL));
	EXPECT_EQ(0, pt->nr_nodes);
	EXPECT_EQ(0, pt->nr_leaves[HMM_DAX_PTE]);
}

/* Unmapping one 4K page of a 1G leaf splits twice and keeps the rest. */
TEST_F(devpt, unmap_splits)
{
	struct hmm_dax_devpt *pt = &self->pt;
	struct hmm_dax_devpt_leaf leaf;
	u64 base = 0x80000;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_1G, base, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	hmm_dax_devpt_unmap(pt, SZ_1G + SZ_2M + SZ_4K, SZ_1G + SZ_2M + 2 * SZ_4K,
			    GFP_KERNEL, &self->zap);
	EXPECT_EQ(1, self->zap.split[HMM_DAX_PUD]);
	EXPECT_EQ(1, self->zap.split[HMM_DAX_PMD]);
	EXPECT_EQ(1, self->zap.leaves[HMM_DAX_PTE]);
	EXPECT_EQ(0, self->zap.whole[HMM_DAX_PUD] + self->zap.whole[HMM_DAX_PMD]);
	EXPECT_EQ(0, pt->nr_leaves[HMM_DAX_PUD]);
	EXPECT_EQ(511, pt->nr_leaves[HMM_DAX_PMD]);
	EXPECT_EQ(511, pt->nr_leaves[HMM_DAX_PTE]);
	EXPECT_EQ(3, pt->nr_nodes);
	EXPECT_FALSE(hmm_dax_devpt_lookup(pt, SZ_1G + SZ_2M + SZ_4K, &leaf));
	expect_leaf(_metadata, pt, SZ_1G + SZ_2M, SZ_1G + SZ_2M, base + 512,
		    HMM_DAX_PTE);
	expect_leaf(_metadata, pt, SZ_1G + SZ_2M + 2 * SZ_4K,
		    SZ_1G + SZ_2M + 2 * SZ_4K, base + 514, HMM_DAX_PTE);
	expect_leaf(_metadata, pt, SZ_1G + 2 * SZ_2M + 1, SZ_1G + 2 * SZ_2M,
		    base + 1024, HMM_DAX_PMD);
}

/* Where a split cannot allocate, the whole huge leaf goes and is recorded. */
TEST_F(devpt, unmap_whole_without_memory)
{
	struct hmm_dax_devpt *pt = &self->pt;
	struct hmm_dax_devpt_leaf leaf;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M, 512, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, 2 * SZ_2M, 1024, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	unit_fail_allocs = 1;
	hmm_dax_devpt_unmap(pt, SZ_2M + SZ_4K, SZ_2M + 2 * SZ_4K, GFP_NOWAIT,
			    &self->zap);
	EXPECT_EQ(1, self->zap.whole[HMM_DAX_PMD]);
	EXPECT_EQ(0, self->zap.split[HMM_DAX_PMD]);
	EXPECT_EQ(1, self->zap.leaves[HMM_DAX_PMD]);
	EXPECT_FALSE(hmm_dax_devpt_lookup(pt, SZ_2M, &leaf));
	EXPECT_FALSE(hmm_dax_devpt_lookup(pt, 2 * SZ_2M - SZ_4K, &leaf));
	expect_leaf(_metadata, pt, 2 * SZ_2M, 2 * SZ_2M, 1024, HMM_DAX_PMD);
}

/* Unmapping everything frees every node, the root too. */
TEST_F(devpt, unmap_all_frees_nodes)
{
	struct hmm_dax_devpt *pt = &self->pt;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, 0, 7, HMM_DAX_PTE, 0, GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, 3 * SZ_1G, 0, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, VA_END - SZ_2M, 512, HMM_DAX_PMD,
				       0, GFP_KERNEL));
	hmm_dax_devpt_unmap(pt, 0, ~0ULL, GFP_KERNEL, &self->zap);
	EXPECT_EQ(0, pt->nr_nodes);
	EXPECT_EQ(0, unit_live_allocs);
	EXPECT_EQ(1, self->zap.leaves[HMM_DAX_PTE]);
	EXPECT_EQ(1, self->zap.leaves[HMM_DAX_PMD]);
	EXPECT_EQ(1, self->zap.leaves[HMM_DAX_PUD]);
	EXPECT_EQ(0, pt->nr_leaves[HMM_DAX_PTE] + pt->nr_leaves[HMM_DAX_PMD] +
		     pt->nr_leaves[HMM_DAX_PUD]);
}

/* A partial unmap that empties nodes frees them. */
TEST_F(devpt, unmap_frees_empty_nodes)
{
	struct hmm_dax_devpt *pt = &self->pt;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, 0, 0x40000, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_1G + SZ_4K, 3, HMM_DAX_PTE, 0,
				       GFP_KERNEL));
	EXPECT_EQ(3, pt->nr_nodes);
	hmm_dax_devpt_unmap(pt, SZ_1G, SZ_1G + 2 * SZ_4K, GFP_KERNEL,
			    &self->zap);
	EXPECT_EQ(1, self->zap.leaves[HMM_DAX_PTE]);
	EXPECT_EQ(1, pt->nr_nodes);
	EXPECT_EQ(1, unit_live_allocs);
}

/* A small leaf installed inside a larger one splits it. */
TEST_F(devpt, map_splits_covering_leaf)
{
	struct hmm_dax_devpt *pt = &self->pt;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M, 512, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M + 3 * SZ_4K, 99, HMM_DAX_PTE,
				       0, GFP_KERNEL));
	EXPECT_EQ(0, pt->nr_leaves[HMM_DAX_PMD]);
	EXPECT_EQ(512, pt->nr_leaves[HMM_DAX_PTE]);
	expect_leaf(_metadata, pt, SZ_2M + 3 * SZ_4K, SZ_2M + 3 * SZ_4K, 99,
		    HMM_DAX_PTE);
	expect_leaf(_metadata, pt, SZ_2M + 4 * SZ_4K, SZ_2M + 4 * SZ_4K, 516,
		    HMM_DAX_PTE);
}

/* A huge leaf installed over smaller ones replaces them and their node. */
TEST_F(devpt, map_replaces_subtree)
{
	struct hmm_dax_devpt *pt = &self->pt;

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M, 1, HMM_DAX_PTE, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M + SZ_4K, 2, HMM_DAX_PTE, 0,
				       GFP_KERNEL));
	EXPECT_EQ(1, pt->nr_nodes);
	/* the root grows to PMD height, and the PTE node goes */
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M, 512, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	EXPECT_EQ(1, pt->nr_nodes);
	EXPECT_EQ(0, pt->nr_leaves[HMM_DAX_PTE]);
	EXPECT_EQ(1, pt->nr_leaves[HMM_DAX_PMD]);
	expect_leaf(_metadata, pt, SZ_2M + SZ_4K, SZ_2M, 512, HMM_DAX_PMD);
}

struct walk_log {
	u64 addr[8];
	int n;
	int stop_at;
};

static int walk_record(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	struct walk_log *log = arg;

	if (log->n < 8)
		log->addr[log->n] = leaf->addr;
	return ++log->n == log->stop_at ? 7 : 0;
}

/* walk visits every leaf meeting the range, in address order, and stops. */
TEST_F(devpt, walk)
{
	struct hmm_dax_devpt *pt = &self->pt;
	struct walk_log log = {};

	ASSERT_EQ(0, hmm_dax_devpt_map(pt, 2 * SZ_1G, 0, HMM_DAX_PUD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_2M, 512, HMM_DAX_PMD, 0,
				       GFP_KERNEL));
	ASSERT_EQ(0, hmm_dax_devpt_map(pt, SZ_4K, 1, HMM_DAX_PTE, 0,
				       GFP_KERNEL));
	EXPECT_EQ(0, hmm_dax_devpt_walk(pt, 0, ~0ULL, walk_record, &log));
	ASSERT_EQ(3, log.n);
	EXPECT_EQ(SZ_4K, log.addr[0]);
	EXPECT_EQ(SZ_2M, log.addr[1]);
	EXPECT_EQ(2 * SZ_1G, log.addr[2]);

	memset(&log, 0, sizeof(log));
	EXPECT_EQ(0, hmm_dax_devpt_walk(pt, SZ_2M + SZ_4K, 2 * SZ_1G + 1,
					walk_record, &log));
	ASSERT_EQ(2, log.n);
	EXPECT_EQ(SZ_2M, log.addr[0]);

	memset(&log, 0, sizeof(log));
	log.stop_at = 2;
	EXPECT_EQ(7, hmm_dax_devpt_walk(pt, 0, ~0ULL, walk_record, &log));
	EXPECT_EQ(2, log.n);
}

/*
 * Random maps and unmaps in a 4 GiB window agree, page by page, with a flat
 * model, and the leaf counters add up to the pages mapped.  The window
 * straddles a 512 GiB boundary, so the root grows to the top and goes when
 * the window empties.
 */
#define WIN_BASE	(0x10000000000ULL - 2 * SZ_1G)	/* 1 TiB - 2 GiB */
#define WIN_PAGES	(4 * SZ_1G / SZ_4K)

struct model_check {
	u64 *model;
	u64 pages;
	int bad;
};

static int model_walk(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	struct model_check *mc = arg;
	u64 first = (leaf->addr - WIN_BASE) / SZ_4K, i;
	u64 n = hmm_dax_devpt_level_size(leaf->level) / SZ_4K;

	for (i = 0; i < n; i++)
		if (mc->model[first + i] != leaf->pfn + i + 1)
			mc->bad++;
	mc->pages += n;
	return 0;
}

TEST_F(devpt, random_against_model)
{
	struct hmm_dax_devpt *pt = &self->pt;
	u64 *model = calloc(WIN_PAGES, sizeof(*model));
	u64 mapped = 0, i, op;

	ASSERT_NE(NULL, model);
	srandom(20261123);
	for (op = 0; op < 3000; op++) {
		unsigned int level = random() % HMM_DAX_NR_LEAF_LEVELS;
		u64 n = hmm_dax_devpt_level_size(level) / SZ_4K;
		u64 first = (random() % (WIN_PAGES / n)) * n;

		if (random() % 3) {
			u64 pfn = (random() % (1U << 20)) * n;

			ASSERT_EQ(0, hmm_dax_devpt_map(pt, WIN_BASE + first * SZ_4K,
						       pfn, level, 0, GFP_KERNEL));
			for (i = 0; i < n; i++) {
				mapped += !model[first + i];
				model[first + i] = pfn + i + 1;
			}
		} else {
			u64 len = 1 + random() % (2 * n);

			first = random() % WIN_PAGES;
			if (first + len > WIN_PAGES)
				len = WIN_PAGES - first;
			hmm_dax_devpt_unmap(pt, WIN_BASE + first * SZ_4K,
					    WIN_BASE + (first + len) * SZ_4K,
					    GFP_KERNEL, &self->zap);
			for (i = 0; i < len; i++) {
				mapped -= !!model[first + i];
				model[first + i] = 0;
			}
		}
		ASSERT_EQ(mapped, pt->nr_leaves[HMM_DAX_PTE] +
				  512 * pt->nr_leaves[HMM_DAX_PMD] +
				  512 * 512 * pt->nr_leaves[HMM_DAX_PUD])
			TH_LOG("after op %llu", (unsigned long long)op);
		if (op % 100 == 99) {
			struct model_check mc = { .model = model };

			hmm_dax_devpt_walk(pt, 0, ~0ULL, model_walk, &mc);
			ASSERT_EQ(0, mc.bad) TH_LOG("after op %llu",
						    (unsigned long long)op);
			ASSERT_EQ(mapped, mc.pages);
		}
	}
	EXPECT_EQ(0, self->zap.whole[HMM_DAX_PMD] + self->zap.whole[HMM_DAX_PUD]);
	free(model);
}

TEST_HARNESS_MAIN
