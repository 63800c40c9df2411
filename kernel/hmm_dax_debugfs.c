// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_debugfs.c - /sys/kernel/debug/hmm_dax
 *
 *   pgmap_refs            module-wide get_dev_pagemap() gets and puts
 *   mirror<id>/stats      the mirror's counters, "name value" per line
 *   mirror<id>/table      one line per leaf: range, level, pfn, flags
 *
 * Everything is removed with the mirror or the module.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "hmm_dax.h"

static struct dentry *hmm_dax_debugfs_root;

static const char * const hmm_dax_level_names[] = { "pte", "pmd", "pud" };

#define HMM_DAX_STAT(f, n) \
	{ #f, offsetof(struct hmm_dax_stats, f) / sizeof(u64), n }

/* Fields of struct hmm_dax_stats; an array prints as name_pte .. name_pud. */
static const struct {
	const char *name;
	unsigned int index;
	unsigned int n;
} hmm_dax_stat_fields[] = {
	HMM_DAX_STAT(id, 1),
	HMM_DAX_STAT(leaves, HMM_DAX_NR_LEVELS),
	HMM_DAX_STAT(table_bytes, 1),
	HMM_DAX_STAT(peak_bytes, 1),
	HMM_DAX_STAT(mirrors, 1),
	HMM_DAX_STAT(faults, 1),
	HMM_DAX_STAT(retries, 1),
	HMM_DAX_STAT(installed, HMM_DAX_NR_LEVELS),
	HMM_DAX_STAT(invalidations, 1),
	HMM_DAX_STAT(nonblock_busy, 1),
	HMM_DAX_STAT(zapped, HMM_DAX_NR_LEVELS),
	HMM_DAX_STAT(split, HMM_DAX_NR_LEVELS),
	HMM_DAX_STAT(whole, HMM_DAX_NR_LEVELS),
	HMM_DAX_STAT(reads, 1),
	HMM_DAX_STAT(writes, 1),
	HMM_DAX_STAT(demand_faults, 1),
	HMM_DAX_STAT(audits, 1),
	HMM_DAX_STAT(stale, 1),
	HMM_DAX_STAT(pgmap_dead, 1),
	HMM_DAX_STAT(events_lost, 1),
	HMM_DAX_STAT(pgmap_gets, 1),
	HMM_DAX_STAT(pgmap_puts, 1),
};

static int hmm_dax_stats_show(struct seq_file *sf, void *unused)
{
	struct hmm_dax_stats s;
	const u64 *v = (const u64 *)&s;
	unsigned int i, l;

	BUILD_BUG_ON(sizeof(s) % sizeof(u64));
	hmm_dax_stats(sf->private, &s);
	for (i = 0; i < ARRAY_SIZE(hmm_dax_stat_fields); i++) {
		unsigned int idx = hmm_dax_stat_fields[i].index;
		const char *name = hmm_dax_stat_fields[i].name;

		if (hmm_dax_stat_fields[i].n == 1) {
			seq_printf(sf, "%s %llu\n", name, v[idx]);
			continue;
		}
		for (l = 0; l < hmm_dax_stat_fields[i].n; l++)
			seq_printf(sf, "%s_%s %llu\n", name,
				   hmm_dax_level_names[l], v[idx + l]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmm_dax_stats);

static int hmm_dax_table_leaf(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	seq_printf(arg, "%#llx-%#llx %s pfn=%#llx flags=%#x\n", leaf->addr,
		   leaf->addr + hmm_dax_devpt_level_size(leaf->level),
		   hmm_dax_level_names[leaf->level], leaf->pfn, leaf->flags);
	return 0;
}

static int hmm_dax_table_show(struct seq_file *sf, void *unused)
{
	struct hmm_dax_mirror *m = sf->private;

	mutex_lock(&m->lock);
	hmm_dax_devpt_walk(&m->pt, 0, ~0ULL, hmm_dax_table_leaf, sf);
	mutex_unlock(&m->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmm_dax_table);

static int hmm_dax_pgmap_refs_show(struct seq_file *sf, void *unused)
{
	seq_printf(sf, "gets %lld\nputs %lld\n",
		   atomic64_read(&hmm_dax_pgmap_gets),
		   atomic64_read(&hmm_dax_pgmap_puts));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hmm_dax_pgmap_refs);

/**
 * hmm_dax_debugfs_add() - the mirror's directory; failures are not fatal
 * @m: the mirror
 */
void hmm_dax_debugfs_add(struct hmm_dax_mirror *m)
{
	char name[32];

	snprintf(name, sizeof(name), "mirror%llu", m->stats.id);
	m->debugfs = debugfs_create_dir(name, hmm_dax_debugfs_root);
	debugfs_create_file("stats", 0400, m->debugfs, m, &hmm_dax_stats_fops);
	debugfs_create_file("table", 0400, m->debugfs, m, &hmm_dax_table_fops);
}

/**
 * hmm_dax_debugfs_remove() - remove the mirror's directory, waiting for
 * readers
 * @m: the mirror
 */
void hmm_dax_debugfs_remove(struct hmm_dax_mirror *m)
{
	debugfs_remove_recursive(m->debugfs);
	m->debugfs = NULL;
}

/**
 * hmm_dax_debugfs_init() - /sys/kernel/debug/hmm_dax
 *
 * Return: 0; debugfs being absent or failing is not an error.
 */
int hmm_dax_debugfs_init(void)
{
	hmm_dax_debugfs_root = debugfs_create_dir("hmm_dax", NULL);
	debugfs_create_file("pgmap_refs", 0400, hmm_dax_debugfs_root, NULL,
			    &hmm_dax_pgmap_refs_fops);
	return 0;
}

/**
 * hmm_dax_debugfs_fini() - remove /sys/kernel/debug/hmm_dax
 */
void hmm_dax_debugfs_fini(void)
{
	debugfs_remove_recursive(hmm_dax_debugfs_root);
}
