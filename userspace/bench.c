// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax bench: what mirroring costs, per target and size.  Kernel-side
 * times come from the driver (ktime): hmm_range_fault() alone, installing
 * leaves, one invalidation callback, an audit, a device read.  CPU reads and
 * the peer are timed here (CLOCK_MONOTONIC), both sides alike.
 *
 * The peer is the kernel's own HMM test driver (lib/test_hmm.c, --peer
 * /dev/hmm_dmirror0): HMM_DMIRROR_SNAPSHOT and HMM_DMIRROR_READ over the
 * same mapping, and its table memory as the growth of the radix_tree_node
 * slab (its table is an xarray) while the mirror is open.
 *
 * Numbers only: nothing here passes or fails on speed.  The goals of the
 * performance model are printed with the value measured and whether it met
 * them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>

#include "hmm-dax.h"
#include "test_hmm_uapi.h"

#define CHUNK		(64 * 1024 * 1024UL)	/* read buffer */
#define PEER_CHUNK	(256 * 1024 * 1024UL)	/* test_hmm vmallocs this */
#define MAX_SIZES	16
#define INV_LEAVES	4	/* single-leaf invalidations timed per cell */
static const size_t default_sizes[] = {
	64UL << 20, 256UL << 20, 1UL << 30, 2UL << 30,
};

struct peer {
	int ok;			/* measured */
	char why[128];		/* why not */
	unsigned long long snapshot_ns, read_ns, reread_ns, faults, table_bytes;
};

struct cell {
	size_t size;
	char kind[16];		/* the target's kind_name */
	char na[160];		/* not measured, and why */
	struct hmm_dax_range r;
	unsigned long long mirror_wall_ns, audit_ns, audit_leaves;
	unsigned long long dev_read_ns, dev_read_wall_ns, cpu_read_ns;
	unsigned long long table_bytes, peak_bytes, nr_leaves;
	unsigned int top_level;
	int inv_level;		/* -1: no single-leaf event seen */
	unsigned long long inv_ns;
	unsigned int inv_event;
	struct peer peer;
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int parse_sizes(const char *s, size_t *sizes, unsigned int *n)
{
	char *copy, *tok, *save;
	int ret = 0;

	if (!s) {
		memcpy(sizes, default_sizes, sizeof(default_sizes));
		*n = ARRAY_SIZE(default_sizes);
		return 0;
	}
	copy = strdup(s);
	if (!copy)
		return out_error("out of memory");
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_SIZES)
			ret = out_error("--sizes: more than %d sizes", MAX_SIZES);
		else if (parse_size(tok, &sizes[*n]) || !sizes[*n] ||
			 sizes[*n] % SZ_2M)
			ret = out_error("--sizes: '%s' is not a multiple of 2 MiB",
					tok);
		else
			(*n)++;
	}
	free(copy);
	if (!ret && !*n)
		ret = out_error("--sizes: no size given");
	return ret;
}

/* Bytes a target can hold: the device's size, or the free space. */
static int bench_probe(const char *path, struct target *t, size_t *capacity)
{
	struct statvfs sv;
	struct sysinfo si;
	struct stat st;
	char *dir;
	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!strcmp(path, "anon")) {
		if (sysinfo(&si))
			return out_error("sysinfo: %s", strerror(errno));
		*capacity = si.freeram * si.mem_unit / 2;
		return target_open(t, path, SZ_2M);
	}
	if (!stat(path, &st)) {
		if (!S_ISCHR(st.st_mode))
			return out_error("%s: exists: %s", path,
					 "bench makes its files (give a new name)");
		ret = target_open(t, path, 0);
		*capacity = t->capacity;
		return ret;
	}
	dir = strdup(path);
	if (!dir)
		return out_error("out of memory");
	ret = statvfs(dirname(dir), &sv);
	free(dir);
	if (ret)
		return out_error("%s: %s", path, strerror(errno));
	*capacity = sv.f_bavail * sv.f_frsize;
	return 0;
}

/* Read [map, map + size) with the CPU into @buf; ns. */
static unsigned long long cpu_read(const char *map, size_t size, char *buf)
{
	unsigned long long t0 = now_ns();
	size_t off;

	for (off = 0; off < size; off += CHUNK)
		memcpy(buf, map + off, size - off < CHUNK ? size - off : CHUNK);
	return now_ns() - t0;
}

/* The radix_tree_node slab's bytes in use (root only), or 0. */
static unsigned long long xarray_bytes(void)
{
	unsigned long long active, size, bytes = 0;
	char line[512], name[64];
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %*u %llu", name, &active, &size) == 3 &&
		    !strcmp(name, "radix_tree_node"))
			bytes = active * size;
	fclose(f);
	return bytes;
}

static int peer_cmd(int fd, unsigned long req, char *addr, void *buf,
		    size_t len, unsigned long long *ns,
		    unsigned long long *faults)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (unsigned long)addr,
		.ptr = (unsigned long)buf,
		.npages = len / SZ_4K,
	};
	unsigned long long t0 = now_ns();

	if (ioctl(fd, req, &cmd))
		return -errno;
	*ns += now_ns() - t0;
	if (faults)
		*faults += cmd.faults;
	return 0;
}

/* HMM_DMIRROR_READ over [map, map + size), in PEER_CHUNK steps. */
static int peer_read(int fd, char *map, size_t size, char *buf,
		     unsigned long long *ns, unsigned long long *faults)
{
	size_t off;
	int ret = 0;

	for (off = 0; !ret && off < size; off += PEER_CHUNK)
		ret = peer_cmd(fd, HMM_DMIRROR_READ, map + off, buf,
			       size - off < PEER_CHUNK ? size - off : PEER_CHUNK,
			       ns, faults);
	return ret;
}

/* test_hmm over the same mapping: a snapshot, then a read (fault+copy). */
static void peer_run(const char *dev, char *map, size_t size, char *buf,
		     struct peer *p)
{
	unsigned long long before;
	unsigned char *perm;
	int fd, ret;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(p->why, sizeof(p->why), "%s: %s", dev, strerror(errno));
		return;
	}
	perm = malloc(size / SZ_4K);
	if (!perm) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		goto close;
	}
	ret = peer_cmd(fd, HMM_DMIRROR_SNAPSHOT, map, perm, size,
		       &p->snapshot_ns, NULL);
	before = xarray_bytes();
	if (!ret)
		ret = peer_read(fd, map, size, buf, &p->read_ns, &p->faults);
	if (!ret)
		p->table_bytes = xarray_bytes() - before;
	/* again, its table full: the copy alone */
	if (!ret)
		ret = peer_read(fd, map, size, buf, &p->reread_ns, NULL);
	if (ret)
		snprintf(p->why, sizeof(p->why), "%s: %s", dev, strerror(-ret));
	else
		p->ok = 1;
	free(perm);
close:
	close(fd);
}

/*
 * Invalidate single leaves of the largest level, one at a time
 * (MADV_DONTNEED of exactly the leaf), INV_LEAVES times, and keep the
 * cheapest callback: the first run of a code path under TCG pays for its
 * translation.
 */
static void invalidate_leaves(struct hmm_dax_ctx *ctx, char *map,
			      struct cell *c)
{
	size_t len = hmm_dax_level_size(c->top_level), n, i, nc = 0;
	struct hmm_dax_event *ev = NULL;
	struct hmm_dax_leaf *lv = NULL;
	__u64 cand[INV_LEAVES], lost;
	unsigned int round;

	c->inv_level = -1;
	if (hmm_dax_dump(ctx, map, c->size, &lv, &n))
		return;
	for (i = 0; i < n && nc < INV_LEAVES; i++)
		if (lv[i].level == c->top_level)
			cand[nc++] = lv[i].addr;
	free(lv);
	/* with fewer leaves than rounds, mirror a zapped one again */
	for (round = 0; nc && round < INV_LEAVES; round++) {
		__u64 leaf = cand[round % nc];
		char *addr = (char *)(uintptr_t)leaf;

		if (round >= nc &&
		    hmm_dax_mirror(ctx, addr, len, HMM_DAX_MIRROR_WRITE, NULL))
			break;
		if (hmm_dax_events(ctx, &ev, &n, &lost) == 0)
			free(ev);
		if (madvise(addr, len, MADV_DONTNEED) ||
		    hmm_dax_events(ctx, &ev, &n, &lost))
			break;
		/* exactly this leaf zapped, nothing split */
		if (n == 1 && ev[0].start == leaf && ev[0].end == leaf + len &&
		    ev[0].zapped[c->top_level] == 1 &&
		    ev[0].zapped[0] + ev[0].zapped[1] + ev[0].zapped[2] == 1 &&
		    (c->inv_level < 0 || ev[0].ns < c->inv_ns)) {
			c->inv_level = c->top_level;
			c->inv_ns = ev[0].ns;
			c->inv_event = ev[0].event;
		}
		free(ev);
	}
}

/* Measure one target at one size into @c: 0, or the exit status reported. */
static int bench_cell(const char *path, unsigned int device, struct cell *c,
		      char *buf, const char *peer)
{
	struct hmm_dax_audit a;
	struct hmm_dax_access acc;
	struct hmm_dax_stats st;
	struct hmm_dax_ctx *ctx;
	unsigned long long t0;
	struct target t;
	size_t off, n;
	char *map;
	int ret;

	if (target_open(&t, path, c->size))
		return HMM_DAX_EXIT_ERROR;
	snprintf(c->kind, sizeof(c->kind), "%s", t.kind_name);
	map = target_map(&t, c->size, 0);
	if (map == MAP_FAILED) {
		ret = out_error("%s: mmap %zu: %s", path, c->size,
				strerror(errno));
		goto close;
	}
	/* every page present and written: the times are the walk's */
	for (off = 0; off < c->size; off += SZ_4K)
		map[off] = (char)(off >> 12);
	c->cpu_read_ns = cpu_read(map, c->size, buf);

	ret = open_ctx(&ctx, device);
	if (ret)
		goto unmap;
	t0 = now_ns();
	ret = hmm_dax_mirror(ctx, map, c->size, HMM_DAX_MIRROR_WRITE, &c->r);
	c->mirror_wall_ns = now_ns() - t0;
	if (ret) {
		ret = out_error("%s: mirror: %s", path, strerror(-ret));
		goto ctx;
	}
	ret = hmm_dax_stats(ctx, &st);
	if (ret) {
		ret = out_error("stats: %s", strerror(-ret));
		goto ctx;
	}
	c->table_bytes = st.table_bytes;
	c->peak_bytes = st.peak_bytes;
	for (n = 0; n < HMM_DAX_NR_LEVELS; n++) {
		c->nr_leaves += c->r.leaves[n];
		if (c->r.leaves[n])
			c->top_level = n;
	}
	ret = hmm_dax_audit(ctx, map, c->size, NULL, NULL, &a);
	if (ret) {
		ret = out_error("%s: audit: %s", path, strerror(-ret));
		goto ctx;
	}
	c->audit_ns = a.ns;
	c->audit_leaves = a.leaves;
	t0 = now_ns();
	for (off = 0; off < c->size; off += CHUNK) {
		n = c->size - off < CHUNK ? c->size - off : CHUNK;
		ret = hmm_dax_read(ctx, map + off, buf, n, &acc);
		if (ret) {
			ret = out_error("%s: device read: %s", path,
					strerror(-ret));
			goto ctx;
		}
		c->dev_read_ns += acc.ns;
	}
	c->dev_read_wall_ns = now_ns() - t0;
	if (peer)
		peer_run(peer, map, c->size, buf, &c->peer);
	invalidate_leaves(ctx, map, c);
ctx:
	hmm_dax_close(ctx);
unmap:
	munmap(map, c->size);	/* the first leaf may be gone already */
close:
	target_close(&t);
	return ret;
}

static double ratio(unsigned long long a, unsigned long long b)
{
	return b ? (double)a / b : 0;
}

/* MB/s from bytes and ns. */
static double mbps(size_t bytes, unsigned long long ns)
{
	return ns ? bytes * 1e3 / ns : 0;
}

/*
 * test_hmm's mirroring: its first read faults and fills its table and
 * copies, the second only copies.  Wall time on both sides.  The copy
 * dominates both and its noise can swamp the difference, so the goal uses
 * the snapshot instead: hmm_range_fault() alone, in test_hmm's 32-page
 * steps, a lower bound of what test_hmm's mirroring costs.
 */
static unsigned long long peer_mirror_ns(const struct peer *p)
{
	return p->read_ns > p->reread_ns ? p->read_ns - p->reread_ns : 0;
}

static void print_cell(const char *path, const struct cell *c)
{
	const struct peer *p = &c->peer;

	out_open_object(NULL);
	out_str("target", "%-24s", path);
	out_str("kind", NULL, c->kind);
	out_u64("size", " %5llu MiB", c->size >> 20);
	if (c->na[0]) {
		out_str("not_applicable", "  n/a: %s\n", c->na);
		out_close_object();
		return;
	}
	out_str("leaf", " %3s", hmm_dax_level_name(c->top_level));
	out_open_object("leaves");
	for (unsigned int l = 0; l < HMM_DAX_NR_LEVELS; l++)
		out_u64(hmm_dax_level_name(l), NULL, c->r.leaves[l]);
	out_close_object();
	out_u64("fault_ns", " %11llu", c->r.fault_ns);
	out_u64("install_ns", " %10llu", c->r.install_ns);
	out_u64("mirror_wall_ns", NULL, c->mirror_wall_ns);
	out_u64("audit_ns", " %10llu", c->audit_ns);
	out_u64("device_read_ns", NULL, c->dev_read_ns);
	out_u64("device_read_wall_ns", NULL, c->dev_read_wall_ns);
	out_u64("cpu_read_ns", NULL, c->cpu_read_ns);
	out_u64("device_read_MBps", " %6llu",
		(unsigned long long)mbps(c->size, c->dev_read_ns));
	out_u64("cpu_read_MBps", " %6llu",
		(unsigned long long)mbps(c->size, c->cpu_read_ns));
	out_u64("table_bytes", " %8llu", c->table_bytes);
	out_u64("peak_bytes", " %8llu", c->peak_bytes);
	if (c->inv_level >= 0) {
		out_open_object("invalidate");
		out_str("level", " %3s", hmm_dax_level_name(c->inv_level));
		out_u64("ns", " %7llu", c->inv_ns);
		out_str("event", NULL, hmm_dax_event_name(c->inv_event));
		out_close_object();
	} else {
		out_text("   -       -");
	}
	out_open_object("ratios");
	out_double("install_per_fault", " %5.3f",
		   ratio(c->r.install_ns, c->r.fault_ns));
	out_double("device_read_per_cpu_read", " %5.2f",
		   ratio(c->cpu_read_ns, c->dev_read_ns));
	out_double("table_bytes_per_leaf", " %7.1f",
		   ratio(c->table_bytes, c->nr_leaves));
	out_close_object();
	if (p->ok) {
		out_open_object("peer");
		out_u64("snapshot_ns", NULL, p->snapshot_ns);
		out_u64("read_ns", NULL, p->read_ns);
		out_u64("reread_ns", NULL, p->reread_ns);
		out_u64("mirror_ns", NULL, peer_mirror_ns(p));
		out_u64("faults", NULL, p->faults);
		out_u64("table_bytes", NULL, p->table_bytes);
		out_double("speedup", NULL,
			   ratio(peer_mirror_ns(p), c->mirror_wall_ns));
		out_double("snapshot_speedup", " %7.1f",
			   ratio(p->snapshot_ns, c->mirror_wall_ns));
		out_double("memory_ratio", " %9.4f",
			   ratio(c->table_bytes, p->table_bytes));
		out_close_object();
	} else if (p->why[0]) {
		out_str("peer_error", "  peer: %s", p->why);
	}
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
static void print_goals(struct cell **cells, struct target *kinds,
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
	const struct cell *per_level[HMM_DAX_NR_LEVELS] = {};
	unsigned int i, j;

	for (i = 0; i < nt; i++) {
		int devdax = kinds[i].kind == TARGET_DEVDAX;

		for (j = 0; j < ns; j++) {
			struct cell *c = &cells[i][j];

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
		out_text("  %-3s", hmm_dax_level_name(i));
		out_double(hmm_dax_level_name(i), " %.1f",
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

int cmd_bench(int argc, char **argv)
{
	size_t sizes[MAX_SIZES], capacity[64];
	struct target kinds[64];
	struct cell *cells[64] = {};
	unsigned int nt, ns, i, j;
	struct opts o;
	char *buf;
	int ret;

	ret = parse_opts(argc, argv, OPT_BENCH, &o);
	if (ret)
		return ret;
	nt = argc - optind;
	if (!nt)
		return out_error("bench: no TARGET (anon, a new file's name, /dev/daxX.Y)");
	if (nt > ARRAY_SIZE(kinds))
		return out_error("bench: more than %zu targets", ARRAY_SIZE(kinds));
	if (parse_sizes(o.sizes, sizes, &ns))
		return HMM_DAX_EXIT_ERROR;
	if (o.peer && access(o.peer, R_OK | W_OK))
		return out_error("--peer %s: %s (load test_hmm.ko)", o.peer,
				 strerror(errno));
	for (i = 0; i < nt; i++) {
		ret = bench_probe(argv[optind + i], &kinds[i], &capacity[i]);
		target_close(&kinds[i]);
		if (ret)
			return ret;
		cells[i] = calloc(ns, sizeof(*cells[i]));
		if (!cells[i]) {
			ret = out_error("out of memory");
			goto free;
		}
	}
	buf = malloc(PEER_CHUNK);
	if (!buf) {
		ret = out_error("out of memory");
		goto free;
	}

	out_text("%-24s %9s %4s %11s %10s %10s %6s %6s %8s %8s %3s %7s %5s %5s %7s%s\n",
		 "target", "size", "leaf", "fault_ns", "install_ns",
		 "audit_ns", "dev_MB", "cpu_MB", "table_B", "peak_B",
		 "inv", "inv_ns", "i/f", "d/c", "B/leaf",
		 o.peer ? " snap/mir mem_ratio" : "");
	out_open_array("results");
	for (i = 0; i < nt && !ret; i++) {
		const char *path = argv[optind + i];
		struct target *k = &kinds[i];

		for (j = 0; j < ns && !ret; j++) {
			struct cell *c = &cells[i][j];

			c->size = sizes[j];
			out_progress("bench %s %zu MiB", path, c->size >> 20);
			if (k->kind == TARGET_DEVDAX && c->size % k->unit)
				snprintf(c->na, sizeof(c->na),
					 "not a multiple of the device's %s alignment",
					 hmm_dax_level_name(k->unit >= SZ_1G ?
							    HMM_DAX_LEVEL_PUD : HMM_DAX_LEVEL_PMD));
			else if (c->size > capacity[i])
				snprintf(c->na, sizeof(c->na),
					 "the target holds %zu MiB",
					 capacity[i] >> 20);
			else
				ret = bench_cell(path, o.device, c, buf, o.peer);
			if (!ret)
				print_cell(path, c);
		}
	}
	out_close_array();
	if (!ret) {
		if (o.peer)
			out_str("peer", NULL, o.peer);
		print_goals(cells, kinds, nt, ns);
	}
	free(buf);
free:
	for (i = 0; i < nt; i++)
		free(cells[i]);
	return ret;
}
