// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax bench: what mirroring costs, per target and size.  Kernel-side
 * times come from the driver (ktime): hmm_range_fault() alone, installing
 * leaves, one invalidation callback, an audit, a device read.  CPU reads and
 * the peer are timed here (CLOCK_MONOTONIC), both sides alike.
 * The peer, the kernel's own HMM test driver, is measured over the same
 * mapping (bench_peer.c); the numbers print through bench_report.c.
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

#include "bench.h"

#define CHUNK		(64 * 1024 * 1024UL)	/* read buffer */
#define MAX_SIZES	16
#define INV_LEAVES	4	/* single-leaf invalidations timed per cell */
static const size_t default_sizes[] = {
	64UL << 20, 256UL << 20, 1UL << 30, 2UL << 30,
};

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

/*
 * Invalidate single leaves of the largest level, one at a time
 * (MADV_DONTNEED of exactly the leaf), INV_LEAVES times, and keep the
 * cheapest callback: the first run of a code path under TCG pays for its
 * translation.
 */
static void invalidate_leaves(struct hmm_dax_ctx *ctx, char *map,
			      struct bench_cell *c)
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
		    hmm_dax_mirror(ctx, addr, len,
				   HMM_DAX_MIRROR_WRITE | c->entry, NULL))
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

/*
 * Mirror [@map, @map + c->size) BENCH_ROUNDS times, each into a new
 * context (an empty table), and keep the cheapest round: its times in @c,
 * its context in *@ctx.  As for the invalidations, the first run of a code
 * path under TCG pays for its translation, and the guest's other work
 * lands in one round or another.  Returns 0, or the exit status reported.
 */
static int mirror_cheapest(const char *path, unsigned int device, char *map,
			   struct bench_cell *c, struct hmm_dax_ctx **ctx)
{
	unsigned long long t0, ns;
	struct hmm_dax_ctx *next;
	struct hmm_dax_range r;
	unsigned int round;
	int ret = 0;

	*ctx = NULL;
	for (round = 0; round < BENCH_ROUNDS && !ret; round++) {
		ret = open_ctx(&next, device);
		if (ret)
			break;
		memset(&r, 0, sizeof(r));
		t0 = now_ns();
		ret = hmm_dax_mirror(next, map, c->size,
				     HMM_DAX_MIRROR_WRITE | c->entry, &r);
		ns = now_ns() - t0;
		if (ret) {
			ret = out_error("%s: mirror: %s", path, strerror(-ret));
		} else if (!*ctx || ns < c->mirror_wall_ns) {
			if (*ctx)
				hmm_dax_close(*ctx);
			*ctx = next;
			c->r = r;
			c->mirror_wall_ns = ns;
			continue;
		}
		hmm_dax_close(next);
	}
	if (ret && *ctx) {
		hmm_dax_close(*ctx);
		*ctx = NULL;
	}
	return ret;
}

/* Measure one target at one size into @c: 0, or the exit status reported. */
static int bench_cell(const char *path, unsigned int device, struct bench_cell *c,
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

	ret = mirror_cheapest(path, device, map, c, &ctx);
	if (ret)
		goto unmap;
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

/* Whether @c, of target @k holding @capacity bytes, can be measured. */
static int cell_applies(struct bench_cell *c, const struct target *k,
			size_t capacity)
{
	if (k->kind == TARGET_DEVDAX && c->size % k->unit)
		snprintf(c->na, sizeof(c->na),
			 "not a multiple of the device's %s alignment",
			 hmm_dax_level_str(k->unit >= SZ_1G ? HMM_DAX_LEVEL_PUD :
					   HMM_DAX_LEVEL_PMD));
	else if (c->size > capacity)
		snprintf(c->na, sizeof(c->na), "the target holds %zu MiB",
			 capacity >> 20);
	return !c->na[0];
}

/* Every size of one target, each measured and printed: 0 or exit 2. */
static int bench_target(const struct opts *o, const char *path,
			const struct target *k, size_t capacity,
			struct bench_cell *cells, const size_t *sizes,
			unsigned int ns, char *buf)
{
	unsigned int j;
	int ret = 0;

	for (j = 0; j < ns && !ret; j++) {
		struct bench_cell *c = &cells[j];

		c->size = sizes[j];
		c->entry = o->entry;
		out_progress("bench %s %zu MiB", path, c->size >> 20);
		if (cell_applies(c, k, capacity))
			ret = bench_cell(path, o->device, c, buf, o->peer);
		if (!ret)
			bench_print_cell(path, c, !!o->peer);
	}
	return ret;
}

int cmd_bench(const struct opts *o, int argc, char **argv)
{
	size_t sizes[MAX_SIZES], capacity[64];
	struct bench_cell *cells[64] = {};
	struct target kinds[64];
	unsigned int nt = argc, ns, i;
	char *buf = NULL;
	int ret;

	if (nt > ARRAY_SIZE(kinds))
		return out_error("more than %zu targets", ARRAY_SIZE(kinds));
	if (parse_sizes(o->sizes, sizes, &ns))
		return HMM_DAX_EXIT_ERROR;
	if (o->peer && access(o->peer, R_OK | W_OK))
		return out_error("--peer %s: %s (load test_hmm.ko)", o->peer,
				 strerror(errno));
	for (i = 0; i < nt; i++) {
		ret = bench_probe(argv[i], &kinds[i], &capacity[i]);
		target_close(&kinds[i]);
		if (ret)
			goto free;
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
	bench_header(!!o->peer);
	out_open_array("results");
	for (i = 0; i < nt && !ret; i++)
		ret = bench_target(o, argv[i], &kinds[i], capacity[i], cells[i],
				   sizes, ns, buf);
	out_close_array();
	if (!ret) {
		if (o->peer)
			out_str("peer", NULL, o->peer);
		out_str("entry_point", "\nentry point: %s\n",
			hmm_dax_entry_str(o->entry));
		bench_goals(cells, kinds, nt, ns);
	}
free:
	free(buf);
	for (i = 0; i < nt; i++)
		free(cells[i]);
	return ret;
}
