// SPDX-License-Identifier: GPL-2.0
/*
 * The step engine (run.h): divergences recorded and printed, and the
 * checks a scenario's steps are made of - the device's view of a range
 * (its dump) against every CPU view the target offers (pagemap, extents,
 * bytes) and the audit, no leaf where the CPU maps nothing, device accesses
 * that must fail or be seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "run.h"

const char * const verdict_names[] = {
	[V_AGREE] = "agree",
	[V_DIVERGE] = "diverge",
	[V_NA] = "n/a",
	[V_REFUSED] = "refused",
	[V_ERROR] = "error",
};

/*
 * Record a divergence; one that continues the last record (the same
 * finding, the next page) extends it.  Returns the new record, for its
 * values, or NULL when it was merged or no room was left.
 */
struct divergence *div_add(struct run *r, const char *what, const char *view,
			   unsigned long addr, long page, size_t pages)
{
	struct divergence *d = r->nr_divs ? &r->divs[r->nr_divs - 1] : NULL;

	r->diverged++;
	if (pages && d && d->pages && d->what == what && d->view == view &&
	    d->addr + d->pages * PAGE == addr) {
		d->pages += pages;
		return NULL;
	}
	if (r->nr_divs == MAX_DIVS) {
		r->more_divs++;
		return NULL;
	}
	d = &r->divs[r->nr_divs++];
	*d = (struct divergence){ .what = what, .view = view, .addr = addr,
				  .page = page, .pages = pages };
	return d;
}

static void pfn_text(char *buf, size_t len, unsigned long long pfn)
{
	if (pfn == HMM_DAX_NO_PFN)
		snprintf(buf, len, "none");
	else if (pfn == HMM_DAX_HOLE_PFN)
		snprintf(buf, len, "hole");
	else
		snprintf(buf, len, "%#llx", pfn);
}

/* A divergence of one page: the device's value against the CPU's. */
void add_div(struct run *r, const char *what, const char *view,
	     unsigned long addr, unsigned long long dev,
	     unsigned long long cpu)
{
	struct divergence *d = div_add(r, what, view, addr, -1, 1);

	if (!d)
		return;
	d->nr_vals = 2;
	d->val[0].key = "device";
	pfn_text(d->val[0].text, sizeof(d->val[0].text), dev);
	d->val[1].key = "cpu";
	pfn_text(d->val[1].text, sizeof(d->val[1].text), cpu);
}

void leaf_levels_text(char *buf, size_t len, unsigned int levels)
{
	int l;

	buf[0] = 0;
	for (l = HMM_DAX_NR_LEVELS - 1; l >= 0; l--)
		if (levels & (1U << l))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
				 buf[0] ? "," : "", hmm_dax_level_str(l));
}

/*
 * "levels": the leaf levels of a bit mask, largest first; in text (@fmt,
 * may be NULL) the same levels joined by commas.
 */
void out_levels(unsigned int levels, const char *fmt)
{
	char text[16];
	int l;

	leaf_levels_text(text, sizeof(text), levels);
	if (fmt)
		out_text(fmt, text);
	out_open_array("levels");
	for (l = HMM_DAX_NR_LEVELS - 1; l >= 0; l--)
		if (levels & (1U << l))
			out_str(NULL, NULL, hmm_dax_level_str(l));
	out_close_array();
}

void begin_step(struct run *r, const char *step)
{
	r->step = step;
	r->unread = NULL;
	r->step_levels = 0;
	r->nr_divs = 0;
	r->more_divs = 0;
}

static void print_div(const struct run *r, const struct divergence *d)
{
	unsigned int k;

	out_open_object(NULL);
	out_str("step", "    diverge [%s]", r->step);
	if (d->pages) {
		out_hex("addr", " %#lx", d->addr);
		if (d->page >= 0)
			out_u64("page", " page %llu", d->page);
		out_u64("pages", " +%llu pages:", d->pages);
	}
	out_str("what", d->nr_vals ? " %s;" : " %s", d->what);
	for (k = 0; k < d->nr_vals; k++) {
		out_text(k ? ", %s " : " %s ", d->val[k].key);
		out_str(d->val[k].key, "%s", d->val[k].text);
	}
	if (d->view)
		out_str("view", " (%s)", d->view);
	out_text("\n");
	out_close_object();
}

/*
 * Print the step: its name, the pages it compared, the leaves it saw (a
 * compare run; opencl dumps no leaves), what OpenCL did not read, and its
 * divergences.
 */
void end_step(struct run *r, size_t pages, size_t leaves)
{
	unsigned int i;

	out_open_object(NULL);
	out_str("step", NULL, r->step);
	out_u64("pages", NULL, pages);
	if (!r->ocl) {
		out_u64("leaves", NULL, leaves);
		out_levels(r->step_levels, NULL);
	}
	if (r->unread) {
		out_text("    [%s] ", r->step);
		out_str("opencl_not_read", "not read by OpenCL: %s\n",
			r->unread);
	}
	out_open_array("divergences");
	for (i = 0; i < r->nr_divs; i++)
		print_div(r, &r->divs[i]);
	out_close_array();
	out_u64("more", r->more_divs ? "    ... %llu more\n" : NULL,
		r->more_divs);
	out_close_object();
}

static unsigned long long tag_of(const struct run *r, size_t off)
{
	return 0x6864000000000000ULL ^ ((unsigned long long)r->t->kind << 40) ^
	       off;
}

/* CPU stores: a tag in the first 16 bytes of every page (cheap, unique). */
void fill_tags(struct run *r, char *addr, size_t len, unsigned int salt)
{
	size_t off;

	for (off = 0; off < len; off += PAGE) {
		unsigned long long *p = (unsigned long long *)(addr + off);

		p[0] = tag_of(r, addr + off - r->map);
		p[1] = salt;
	}
}

/* The device's pfn (or HMM_DAX_NO_PFN) and leaf flags of every page. */
static int device_view(struct run *r, char *addr, size_t len,
		       unsigned long long *pfn, unsigned char *flags,
		       size_t *nr_leaves)
{
	unsigned long start = (unsigned long)addr, end = start + len, a;
	struct hmm_dax_leaf *lv;
	size_t n, i;
	int ret;

	for (i = 0; i < len / PAGE; i++) {
		pfn[i] = HMM_DAX_NO_PFN;
		flags[i] = 0;
	}
	ret = hmm_dax_dump(r->ctx, addr, len, &lv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		unsigned long ls = lv[i].addr, le = ls +
			hmm_dax_level_size(lv[i].level);

		r->levels |= 1U << lv[i].level;
		r->step_levels |= 1U << lv[i].level;
		for (a = ls > start ? ls : start; a < le && a < end; a += PAGE) {
			pfn[(a - start) / PAGE] = lv[i].pfn + (a - ls) / PAGE;
			flags[(a - start) / PAGE] = lv[i].flags | 0x80;
		}
	}
	*nr_leaves = n;
	free(lv);
	return 0;
}

static void compare_pfns(struct run *r, char *addr, size_t n,
			 const unsigned long long *dev,
			 const unsigned char *flags,
			 const unsigned long long *cpu, const char *view)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned long a = (unsigned long)addr + i * PAGE;

		if (!flags[i])
			continue;
		if (cpu[i] == HMM_DAX_HOLE_PFN) {
			if (!(flags[i] & HMM_DAX_LEAF_ZERO))
				add_div(r, "a file hole, but not a zero-page leaf",
					view, a, dev[i], cpu[i]);
		} else if (cpu[i] != dev[i]) {
			add_div(r, "pfn", view, a, dev[i], cpu[i]);
		}
	}
}

/* The bytes of [addr, addr + len) through the device and through the CPU. */
static void compare_window(struct run *r, char *addr, size_t len,
			   unsigned char *buf, size_t chunk)
{
	size_t off, i;
	int ret;

	for (off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		ret = hmm_dax_read(r->ctx, addr + off, buf, n, NULL);
		if (ret) {
			add_div(r, "device read failed", "bytes",
				(unsigned long)addr + off, -ret, 0);
			continue;
		}
		if (!memcmp(buf, addr + off, n))
			continue;
		for (i = 0; i < n; i += PAGE)
			if (memcmp(buf + i, addr + off + i, PAGE))
				add_div(r, "bytes", "bytes",
					(unsigned long)addr + off + i,
					*(unsigned long long *)(buf + i),
					*(unsigned long long *)(addr + off + i));
	}
}

/*
 * The bytes through the device and through the CPU, on the windows of
 * the range: all of it up to 64 MiB, else its first, middle and last 2 MiB
 * (hmm_dax_windows(); the pfns and the audit cover every page).
 */
static void compare_bytes(struct run *r, char *addr, size_t len)
{
	unsigned long woff[3], wlen;
	unsigned int w, nw = hmm_dax_windows(len, woff, &wlen);
	unsigned char *buf = malloc(SZ_2M);

	if (!buf)
		return;
	for (w = 0; w < nw; w++)
		compare_window(r, addr + woff[w], wlen, buf, SZ_2M);
	free(buf);
}

static const char *stale_what(unsigned int reason)
{
	return reason & HMM_DAX_STALE_ABSENT ?
	       "stale leaf: the CPU maps nothing" :
	       reason & HMM_DAX_STALE_PFN ? "stale leaf: another pfn" :
	       reason & HMM_DAX_STALE_WRITE ?
	       "stale leaf: writable, the CPU's is read-only" :
	       reason & HMM_DAX_STALE_LEVEL ?
	       "stale leaf: larger than the CPU's" :
	       "stale leaf: dead or wrong pgmap";
}

static void audit_range(struct run *r, char *addr, size_t len)
{
	struct hmm_dax_stale *st;
	size_t n, i;
	int ret;

	ret = hmm_dax_audit(r->ctx, addr, len, &st, &n, NULL);
	if (ret) {
		add_div(r, "audit failed", "audit", (unsigned long)addr, -ret, 0);
		return;
	}
	for (i = 0; i < n; i++)
		add_div(r, stale_what(st[i].reason), "audit", st[i].addr,
			st[i].dev_pfn, st[i].cpu_pfn);
	free(st);
}

/* The CPU's views of the pages that have a leaf, against the device's. */
static void compare_cpu_views(struct run *r, char *addr, size_t n,
			      const unsigned long long *dev,
			      const unsigned char *flags,
			      unsigned long long *cpu)
{
	int ret;

	if (r->or->pagemap && !hmm_dax_pagemap(addr, n * PAGE, (__u64 *)cpu))
		compare_pfns(r, addr, n, dev, flags, cpu, "pagemap");
	if (!r->or->ext || r->private_map)
		return;
	ret = hmm_dax_extents_pfns(r->or->ext, addr - r->map, n * PAGE,
				   (__u64 *)cpu);
	if (ret)
		add_div(r, "FIEMAP failed", "extents", (unsigned long)addr,
			-ret, 0);
	else
		compare_pfns(r, addr, n, dev, flags, cpu, "extents");
}

/*
 * Compare the device view of [addr, addr + len) with every CPU view: the
 * pfns of pagemap and of the extents, the audit, and with CHECK_FULL a leaf
 * on every page and the bytes.
 */
void check_views(struct run *r, char *addr, size_t len, const char *step,
		 unsigned int check)
{
	size_t n = len / PAGE, i, leaves = 0;
	unsigned long long *dev, *cpu;
	unsigned char *flags;
	int ret;

	begin_step(r, step);
	dev = malloc(n * sizeof(*dev));
	cpu = malloc(n * sizeof(*cpu));
	flags = malloc(n);
	if (!dev || !cpu || !flags) {
		add_div(r, "out of memory", "-", (unsigned long)addr, 0, 0);
		goto out;
	}
	ret = device_view(r, addr, len, dev, flags, &leaves);
	if (ret) {
		add_div(r, "dump failed", "dump", (unsigned long)addr, -ret, 0);
		goto out;
	}
	if (check & CHECK_FULL)
		for (i = 0; i < n; i++)
			if (!flags[i])
				add_div(r, "no device leaf", "dump",
					(unsigned long)addr + i * PAGE,
					HMM_DAX_NO_PFN, 0);
	compare_cpu_views(r, addr, n, dev, flags, cpu);
	audit_range(r, addr, len);
	if (check & CHECK_FULL)
		compare_bytes(r, addr, len);
out:
	end_step(r, n, leaves);
	free(dev);
	free(cpu);
	free(flags);
}

/* No leaf may survive in [addr, addr + len). */
void expect_no_leaves(struct run *r, char *addr, size_t len, const char *step)
{
	struct hmm_dax_leaf *lv;
	size_t n, i;
	int ret;

	begin_step(r, step);
	ret = hmm_dax_dump(r->ctx, addr, len, &lv, &n);
	if (ret)
		add_div(r, "dump failed", "dump", (unsigned long)addr, -ret, 0);
	for (i = 0; !ret && i < n; i++)
		add_div(r, "a leaf survived", "dump", lv[i].addr, lv[i].pfn,
			HMM_DAX_NO_PFN);
	if (!ret)
		free(lv);
	end_step(r, len / PAGE, ret ? 0 : n);
}

/* Mirror again and compare everything. */
void remirror(struct run *r, char *addr, size_t len, unsigned int flags,
	      const char *step)
{
	int ret = hmm_dax_mirror(r->ctx, addr, len, flags | r->entry, NULL);

	if (ret) {
		begin_step(r, step);
		add_div(r, "mirror failed", "mirror", (unsigned long)addr,
			-ret, 0);
		end_step(r, len / PAGE, 0);
		return;
	}
	check_views(r, addr, len, step, CHECK_FULL);
}

/* A device access that must fail: a success is a divergence. */
void expect_access_error(struct run *r, char *addr, int write,
			 const char *what, const char *step)
{
	unsigned char b = 0xee;
	int ret;

	ret = write ? hmm_dax_write(r->ctx, addr, &b, 1, NULL) :
		      hmm_dax_read(r->ctx, addr, &b, 1, NULL);
	begin_step(r, step);
	if (!ret)
		add_div(r, what, "errno", (unsigned long)addr, 0, 0);
	end_step(r, 1, 0);
}

void expect_bytes(struct run *r, const char *addr, const void *want,
		  size_t len, const char *what, const char *step)
{
	const char *w = want;
	size_t i;

	begin_step(r, step);
	for (i = 0; i < len; i += PAGE)
		if (memcmp(addr + i, w + i, PAGE))
			add_div(r, what, "bytes", (unsigned long)addr + i,
				*(const unsigned long long *)(w + i),
				*(const unsigned long long *)(addr + i));
	end_step(r, len / PAGE, 0);
}

/*
 * The device writes two pages of @byte across mid(); the CPU must read
 * them.  @acc (may be NULL) gets the write's demand faults and time.
 */
void device_write_seen(struct run *r, int byte, const char *step,
		       const char *unseen, struct hmm_dax_access *acc)
{
	unsigned char buf[2 * PAGE];
	int ret;

	memset(buf, byte, sizeof(buf));
	ret = hmm_dax_write(r->ctx, mid(r) - PAGE, buf, sizeof(buf), acc);
	begin_step(r, step);
	if (ret)
		add_div(r, "device write failed", "errno",
			(unsigned long)mid(r) - PAGE, -ret, 0);
	end_step(r, 2, 0);
	expect_bytes(r, mid(r) - PAGE, buf, sizeof(buf), unseen, "cpu read");
}

/* The leaf flags of the page at addr (0 if none) and its pfn. */
unsigned int leaf_flags_at(struct run *r, char *addr, unsigned long long *pfn)
{
	unsigned int flags = 0;
	struct hmm_dax_leaf *lv;
	size_t n;

	*pfn = HMM_DAX_NO_PFN;
	if (hmm_dax_dump(r->ctx, addr, PAGE, &lv, &n))
		return 0;
	if (n) {
		flags = lv[0].flags | 0x80;
		*pfn = lv[0].pfn + ((unsigned long)addr - lv[0].addr) / PAGE;
	}
	free(lv);
	return flags;
}

/*
 * Whether the module holds no dev_pagemap reference now (its counts are
 * module-wide, so any open mirror may ask); @held says how many it does.
 */
int pgmap_refs_balanced(struct hmm_dax_ctx *monitor, unsigned long long *held)
{
	struct hmm_dax_stats st;

	*held = 0;
	if (hmm_dax_stats(monitor, &st))
		return 0;
	*held = st.pgmap_gets - st.pgmap_puts;
	return !*held;
}

/* A step: no dev_pagemap reference may be held (@what if one is). */
void expect_refs_balanced(struct run *r, const char *what, const char *step)
{
	unsigned long long held;

	begin_step(r, step);
	if (!pgmap_refs_balanced(r->monitor, &held))
		add_div(r, what, "stats", 0, held, 0);
	end_step(r, 0, 0);
}

/* The page at the middle of the mapping: where scenarios write and cut. */
char *mid(struct run *r)
{
	return r->map + (r->len / 2 & ~(PAGE - 1));
}

/* Map the target again (the old mapping is gone): 0 or exit 2. */
int map_again(struct run *r)
{
	r->map = target_map(r->t, r->len, r->private_map);
	if (r->map != MAP_FAILED)
		return 0;
	r->map = NULL;
	return out_error("%s: mmap again: %s", r->t->path, strerror(errno));
}

/* Map the target again, tag it and mirror it: 0 or exit 2. */
int remap(struct run *r, const char *step)
{
	int ret = map_again(r);

	if (ret)
		return ret;
	fill_tags(r, r->map, r->len, 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, step);
	return 0;
}

/* The scenario does not apply here: @fmt with @arg says why.  Returns 0. */
int not_applicable(struct run *r, const char *fmt, const char *arg)
{
	snprintf(r->na_buf, sizeof(r->na_buf), fmt, arg);
	r->na = r->na_buf;
	return 0;
}

/* Write @val to a /proc or /sys file: 0 or -errno. */
int write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
