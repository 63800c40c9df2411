// SPDX-License-Identifier: GPL-2.0
/*
 * How bench's numbers print: one row per target and size, each column's
 * header as wide as its values (one table of columns for both), then the
 * table bytes per leaf level and the goals of the performance model, each
 * with the value measured and whether it met it.  Numbers only: nothing
 * here passes or fails on speed.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "bench.h"

static double ratio(unsigned long long a, unsigned long long b)
{
	return b ? (double)a / b : 0;
}

/* MB/s from bytes and ns. */
static double mbps(size_t bytes, unsigned long long ns)
{
	return ns ? bytes * 1e3 / ns : 0;
}

/* The text table's columns: a header and its values, at one width. */
enum bench_col {
	C_TARGET, C_SIZE, C_LEAF, C_FAULT, C_INSTALL, C_AUDIT, C_DEV_MB,
	C_CPU_MB, C_TABLE, C_PEAK, C_INV, C_INV_NS, C_IF, C_DC, C_BLEAF,
	C_SNAP, C_MEM, NR_COLS	/* C_SNAP on: the peer's, with --peer */
};

static const struct {
	const char *head;
	int width;
	const char *conv;	/* printf's conversion, after the width */
} cols[NR_COLS] = {
	[C_TARGET] = { "target", 24, "s" },
	[C_SIZE] = { "MiB", 5, "llu" },
	[C_LEAF] = { "leaf", 4, "s" },
	[C_FAULT] = { "fault_ns", 11, "llu" },
	[C_INSTALL] = { "install_ns", 10, "llu" },
	[C_AUDIT] = { "audit_ns", 10, "llu" },
	[C_DEV_MB] = { "dev_MB", 6, "llu" },
	[C_CPU_MB] = { "cpu_MB", 6, "llu" },
	[C_TABLE] = { "table_B", 8, "llu" },
	[C_PEAK] = { "peak_B", 8, "llu" },
	[C_INV] = { "inv", 3, "s" },
	[C_INV_NS] = { "inv_ns", 7, "llu" },
	[C_IF] = { "i/f", 5, ".3f" },
	[C_DC] = { "d/c", 5, ".2f" },
	[C_BLEAF] = { "B/leaf", 7, ".1f" },
	[C_SNAP] = { "snap/mir", 8, ".1f" },
	[C_MEM] = { "mem_ratio", 9, ".4f" },
};

/* Column @col's text format: the first left-aligned, the others right. */
static const char *col_fmt(char *fmt, size_t len, enum bench_col col)
{
	snprintf(fmt, len, col == C_TARGET ? "%%-%d%s" : " %%%d%s",
		 cols[col].width, cols[col].conv);
	return fmt;
}

static void col_u64(enum bench_col col, const char *key,
		    unsigned long long v)
{
	char fmt[16];

	out_u64(key, col_fmt(fmt, sizeof(fmt), col), v);
}

static void col_str(enum bench_col col, const char *key, const char *s)
{
	char fmt[16];

	out_str(key, col_fmt(fmt, sizeof(fmt), col), s);
}

static void col_double(enum bench_col col, const char *key, double v)
{
	char fmt[16];

	out_double(key, col_fmt(fmt, sizeof(fmt), col), v);
}

/* Columns [from, to) without a value: "-" in each. */
static void col_none(enum bench_col from, enum bench_col to)
{
	for (; from < to; from++)
		out_text(" %*s", cols[from].width, "-");
}

/* The header of the table, with the peer's columns for --peer. */
void bench_header(int peer)
{
	unsigned int c;

	for (c = 0; c < (peer ? NR_COLS : C_SNAP); c++)
		out_text(c ? " %*s" : "%-*s", cols[c].width, cols[c].head);
	out_text("\n");
}

static void print_peer(const struct bench_cell *c)
{
	const struct peer *p = &c->peer;

	if (!p->ok) {
		col_none(C_SNAP, NR_COLS);
		out_str("peer_error", "  peer: %s", p->why);
		return;
	}
	out_open_object("peer");
	out_u64("snapshot_ns", NULL, p->snapshot_ns);
	out_u64("read_ns", NULL, p->read_ns);
	out_u64("reread_ns", NULL, p->reread_ns);
	out_u64("mirror_ns", NULL, peer_mirror_ns(p));
	out_u64("faults", NULL, p->faults);
	out_u64("table_bytes", NULL, p->table_bytes);
	out_double("speedup", NULL,
		   ratio(peer_mirror_ns(p), c->mirror_wall_ns));
	col_double(C_SNAP, "snapshot_speedup",
		   ratio(p->snapshot_ns, c->mirror_wall_ns));
	col_double(C_MEM, "memory_ratio", ratio(c->table_bytes, p->table_bytes));
	out_close_object();
}

/* One row: a target at one size (@peer: --peer was given). */
void bench_print_cell(const char *path, const struct bench_cell *c, int peer)
{
	unsigned int l;

	out_open_object(NULL);
	col_str(C_TARGET, "target", path);
	out_str("kind", NULL, c->kind);
	col_u64(C_SIZE, "size", c->size >> 20);
	if (c->na[0]) {
		out_str("not_applicable", "  n/a: %s\n", c->na);
		out_close_object();
		return;
	}
	col_str(C_LEAF, "leaf", hmm_dax_level_str(c->top_level));
	out_open_object("leaves");
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		out_u64(hmm_dax_level_str(l), NULL, c->r.leaves[l]);
	out_close_object();
	col_u64(C_FAULT, "fault_ns", c->r.fault_ns);
	col_u64(C_INSTALL, "install_ns", c->r.install_ns);
	out_u64("mirror_wall_ns", NULL, c->mirror_wall_ns);
	col_u64(C_AUDIT, "audit_ns", c->audit_ns);
	out_u64("device_read_ns", NULL, c->dev_read_ns);
	out_u64("device_read_wall_ns", NULL, c->dev_read_wall_ns);
	out_u64("cpu_read_ns", NULL, c->cpu_read_ns);
	col_u64(C_DEV_MB, "device_read_MBps", mbps(c->size, c->dev_read_ns));
	col_u64(C_CPU_MB, "cpu_read_MBps", mbps(c->size, c->cpu_read_ns));
	col_u64(C_TABLE, "table_bytes", c->table_bytes);
	col_u64(C_PEAK, "peak_bytes", c->peak_bytes);
	if (c->inv_level >= 0) {
		out_open_object("invalidate");
		col_str(C_INV, "level", hmm_dax_level_str(c->inv_level));
		col_u64(C_INV_NS, "ns", c->inv_ns);
		out_str("event", NULL, hmm_dax_event_str(c->inv_event));
		out_close_object();
	} else {
		col_none(C_INV, C_IF);
	}
	out_open_object("ratios");
	col_double(C_IF, "install_per_fault",
		   ratio(c->r.install_ns, c->r.fault_ns));
	col_double(C_DC, "device_read_per_cpu_read",
		   ratio(c->cpu_read_ns, c->dev_read_ns));
	col_double(C_BLEAF, "table_bytes_per_leaf",
		   ratio(c->table_bytes, c->nr_leaves));
	out_close_object();
	if (peer)
		print_peer(c);
	out_text("\n");
	out_close_object();
}

struct goal {
	const char *name;
	const char *op;		/* "<=" or ">=" */
	double limit;
	double value;
	int seen;
};

static void goal_note(struct goal *g, double v, int worst_is_max)
{
	if (!g->seen || (worst_is_max ? v > g->value : v < g->value))
		g->value = v;
	g->seen = 1;
}

/*
 * The goals of the performance model (DESIGN.md section 5), each from the
 * cells it is about, worst value over them.
 */
void bench_goals(struct bench_cell **cells, struct target *kinds,
		 unsigned int nt, unsigned int ns)
{
	struct goal g[] = {
		{ "install/fault, devdax at 1 GiB", "<=", 1.15, 0, 0 },
		{ "invalidate 1G / invalidate 4K", "<=", 2, 0, 0 },
		{ "device read / CPU read", ">=", 0.5, 0, 0 },
		{ "table bytes, 1 GiB of devdax-1G", "<=", 4096, 0, 0 },
		{ "peak driver bytes, mirroring 2 GiB", "<=", 1 << 20, 0, 0 },
		{ "test_hmm snapshot / mirror, 1 GiB devdax-1G", ">=", 10, 0, 0 },
		{ "test_hmm snapshot / mirror, 4 KiB leaves", ">=", 1, 0, 0 },
	};
	unsigned long long inv1g = 0, inv4k = 0;
	const struct bench_cell *per_level[HMM_DAX_NR_LEVELS] = {};
	unsigned int i, j;

	for (i = 0; i < nt; i++) {
		int devdax = kinds[i].kind == TARGET_DEVDAX;

		for (j = 0; j < ns; j++) {
			struct bench_cell *c = &cells[i][j];

			if (c->na[0])
				continue;
			if (devdax && c->size == SZ_1G)
				goal_note(&g[0], ratio(c->r.install_ns,
						       c->r.fault_ns), 1);
			if (c->size == SZ_1G && c->inv_level == HMM_DAX_LEVEL_PUD)
				inv1g = c->inv_ns;
			if (c->inv_level == HMM_DAX_LEVEL_PTE &&
			    (!inv4k || c->size == SZ_1G))
				inv4k = c->inv_ns;
			goal_note(&g[2], ratio(c->cpu_read_ns, c->dev_read_ns),
				  0);
			if (devdax && kinds[i].unit == SZ_1G &&
			    c->size == SZ_1G) {
				goal_note(&g[3], c->table_bytes, 1);
				if (c->peer.ok)
					goal_note(&g[5],
						  ratio(c->peer.snapshot_ns,
							c->mirror_wall_ns), 0);
			}
			if (c->size == 2 * SZ_1G)
				goal_note(&g[4], c->peak_bytes, 1);
			if (c->top_level == HMM_DAX_LEVEL_PTE && c->peer.ok)
				goal_note(&g[6], ratio(c->peer.snapshot_ns,
						       c->mirror_wall_ns), 0);
			if (!per_level[c->top_level] ||
			    per_level[c->top_level]->size < c->size)
				per_level[c->top_level] = c;
		}
	}
	if (inv1g && inv4k)
		goal_note(&g[1], ratio(inv1g, inv4k), 1);

	out_text("\ntable bytes per leaf, the largest cell of each level:\n");
	out_open_object("table_bytes_per_leaf");
	for (i = 0; i < HMM_DAX_NR_LEVELS; i++) {
		if (!per_level[i])
			continue;
		out_text("  %-3s", hmm_dax_level_str(i));
		out_double(hmm_dax_level_str(i), " %.1f",
			   ratio(per_level[i]->table_bytes,
				 per_level[i]->nr_leaves));
		out_text(" (%llu bytes, %llu leaves)\n",
			 per_level[i]->table_bytes, per_level[i]->nr_leaves);
	}
	out_close_object();

	out_text("\ngoals (worst value over the cells each is about):\n");
	out_open_array("goals");
	for (i = 0; i < ARRAY_SIZE(g); i++) {
		out_open_object(NULL);
		out_str("goal", "  %-42s", g[i].name);
		out_str("op", " %s", g[i].op);
		out_double("limit", " %-9g", g[i].limit);
		if (g[i].seen) {
			int met = g[i].op[0] == '<' ? g[i].value <= g[i].limit :
						      g[i].value >= g[i].limit;

			out_double("value", " measured %-10.4g", g[i].value);
			out_bool("met", " met: %s\n", met);
		} else {
			out_str("value", " not measured (%s)\n",
				"no cell of this run is about it");
		}
		out_close_object();
	}
	out_close_array();
}

