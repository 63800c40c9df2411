// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax compare: for each target and scenario, map the target, mirror it,
 * compare the device's view with every CPU view available (pfns from
 * pagemap and from the extents, bytes), apply the scenario's change, check
 * that no stale leaf survives (dump and audit), mirror again and compare
 * again.  Every difference is a divergence, printed with the address, both
 * views and the step that saw it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "hmm-dax.h"
#include "hmm_dax_helpers.h"

#define PAGE		SZ_4K
#define CHECK_FULL	0x1	/* every page must have a leaf; bytes too */
#define MAX_DIVS	16	/* divergence records kept per step */
#define RACE_ROUNDS	4

struct oracles {
	int pagemap;
	char pagemap_why[160];
	struct hmm_dax_extents *ext;
	char ext_why[160];
};

struct divergence {
	const char *what;
	const char *view;	/* the CPU view that disagrees */
	unsigned long addr;
	size_t pages;
	unsigned long long dev;
	unsigned long long cpu;
};

/* /dev/kmsg, read from where compare started: the kernel's own reports. */
static int kmsg_fd = -1;

struct run {
	struct target *t;
	struct oracles *or;
	struct hmm_dax_ctx *ctx;
	struct hmm_dax_ctx *monitor;	/* module-wide pgmap counts */
	char *map;
	size_t len;
	int private_map;
	unsigned int levels;		/* leaf levels seen, bit per level */
	unsigned int diverged;
	unsigned int events;
	unsigned int event_kinds[HMM_DAX_EV_EXCLUSIVE + 1];
	const char *na;			/* not applicable: why */
	char na_buf[160];
	const char *refused;		/* the kernel refused: why */
	const char *refused_log;	/* and its log line holding this */
	char refused_buf[256];
	/* the current step */
	const char *step;
	unsigned int step_levels;	/* leaf levels it saw */
	struct divergence divs[MAX_DIVS];
	unsigned int nr_divs, more_divs;
};

struct scenario {
	const char *name;
	int private_map;
	unsigned int kinds;	/* the target kinds it applies to */
	const char *na;		/* why not elsewhere; %s: the kind */
	int (*fn)(struct run *r);
};

static unsigned long long tag_of(const struct run *r, size_t off)
{
	return 0x6864000000000000ULL ^ ((unsigned long long)r->t->kind << 40) ^
	       off;
}

/* CPU stores: a tag in the first 16 bytes of every page (cheap, unique). */
static void fill_tags(struct run *r, char *addr, size_t len, unsigned int salt)
{
	size_t off;

	for (off = 0; off < len; off += PAGE) {
		unsigned long long *p = (unsigned long long *)(addr + off);

		p[0] = tag_of(r, addr + off - r->map);
		p[1] = salt;
	}
}

static void add_div(struct run *r, const char *what, const char *view,
		    unsigned long addr, unsigned long long dev,
		    unsigned long long cpu)
{
	struct divergence *d = r->nr_divs ? &r->divs[r->nr_divs - 1] : NULL;

	r->diverged++;
	if (d && d->what == what && d->view == view &&
	    d->addr + d->pages * PAGE == addr) {
		d->pages++;
		return;
	}
	if (r->nr_divs == MAX_DIVS) {
		r->more_divs++;
		return;
	}
	d = &r->divs[r->nr_divs++];
	*d = (struct divergence){ what, view, addr, 1, dev, cpu };
}

/* "levels": the leaf levels of a bit mask, largest first (JSON only). */
static void out_levels(unsigned int levels)
{
	int l;

	out_open_array("levels");
	for (l = HMM_DAX_NR_LEVELS - 1; l >= 0; l--)
		if (levels & (1U << l))
			out_str(NULL, NULL, hmm_dax_level_name(l));
	out_close_array();
}

static void begin_step(struct run *r, const char *step)
{
	r->step = step;
	r->step_levels = 0;
	r->nr_divs = 0;
	r->more_divs = 0;
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

/* Print the step: its name, counts and divergences. */
static void end_step(struct run *r, size_t pages, size_t leaves)
{
	char dev[24], cpu[24];
	unsigned int i;

	out_open_object(NULL);
	out_str("step", NULL, r->step);
	out_u64("pages", NULL, pages);
	out_u64("leaves", NULL, leaves);
	out_levels(r->step_levels);
	out_open_array("divergences");
	for (i = 0; i < r->nr_divs; i++) {
		struct divergence *d = &r->divs[i];

		pfn_text(dev, sizeof(dev), d->dev);
		pfn_text(cpu, sizeof(cpu), d->cpu);
		out_open_object(NULL);
		out_str("step", "    DIVERGE [%s]", r->step);
		out_hex("addr", " %#lx", d->addr);
		out_u64("pages", " +%llu pages:", d->pages);
		out_str("what", " %s;", d->what);
		out_str("device", " device %s", dev);
		out_str("cpu", ", cpu %s", cpu);
		out_str("view", " (%s)\n", d->view);
		out_close_object();
	}
	out_close_array();
	out_u64("more", r->more_divs ? "    ... %llu more\n" : NULL,
		r->more_divs);
	out_close_object();
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
		add_div(r, st[i].reason & HMM_DAX_STALE_ABSENT ?
			"stale leaf: the CPU maps nothing" :
			st[i].reason & HMM_DAX_STALE_PFN ?
			"stale leaf: another pfn" :
			st[i].reason & HMM_DAX_STALE_WRITE ?
			"stale leaf: writable, the CPU's is read-only" :
			st[i].reason & HMM_DAX_STALE_LEVEL ?
			"stale leaf: larger than the CPU's" :
			"stale leaf: dead or wrong pgmap", "audit",
			st[i].addr, st[i].dev_pfn, st[i].cpu_pfn);
	free(st);
}

/*
 * Compare the device view of [addr, addr + len) with every CPU view: the
 * pfns of pagemap and of the extents, the audit, and with CHECK_FULL a leaf
 * on every page and the bytes.
 */
static void check_views(struct run *r, char *addr, size_t len,
			const char *step, unsigned int check)
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
	if (r->or->pagemap && !hmm_dax_pagemap(addr, len, (__u64 *)cpu))
		compare_pfns(r, addr, n, dev, flags, cpu, "pagemap");
	if (r->or->ext && !r->private_map) {
		ret = hmm_dax_extents_pfns(r->or->ext, addr - r->map, len,
					   (__u64 *)cpu);
		if (ret)
			add_div(r, "FIEMAP failed", "extents",
				(unsigned long)addr, -ret, 0);
		else
			compare_pfns(r, addr, n, dev, flags, cpu, "extents");
	}
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
static void expect_no_leaves(struct run *r, char *addr, size_t len,
			     const char *step)
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
static void remirror(struct run *r, char *addr, size_t len,
		     unsigned int flags, const char *step)
{
	int ret = hmm_dax_mirror(r->ctx, addr, len, flags, NULL);

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
static void expect_access_error(struct run *r, char *addr, int write,
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

static void expect_bytes(struct run *r, const char *addr, const void *want,
			 size_t len, const char *what, const char *step)
{
	size_t i;

	begin_step(r, step);
	for (i = 0; i < len; i += PAGE)
		if (memcmp(addr + i, (const char *)want + i, PAGE))
			add_div(r, what, "bytes", (unsigned long)addr + i,
				*(const unsigned long long *)((const char *)want + i),
				*(const unsigned long long *)(addr + i));
	end_step(r, len / PAGE, 0);
}

static char *mid(struct run *r)
{
	return r->map + (r->len / 2 & ~(PAGE - 1));
}

static int not_applicable(struct run *r, const char *fmt, const char *arg)
{
	snprintf(r->na_buf, sizeof(r->na_buf), fmt, arg);
	r->na = r->na_buf;
	return 0;
}

/*
 * The device writes two pages of @byte across mid(); the CPU must read
 * them.  @acc (may be NULL) gets the write's demand faults and time.
 */
static void device_write_seen(struct run *r, int byte, const char *step,
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

static int sc_cpu_write(struct run *r)
{
	fill_tags(r, mid(r) - PAGE, 2 * PAGE, 0xc0);
	memset(mid(r) - PAGE + 16, 0x5a, 2 * PAGE - 16);
	check_views(r, r->map, r->len, "after cpu-write", CHECK_FULL);
	return 0;
}

static int sc_device_write(struct run *r)
{
	device_write_seen(r, 0xd5, "device-write",
			  "the CPU does not see the device's write", NULL);
	check_views(r, r->map, r->len, "after device-write", CHECK_FULL);
	return 0;
}

static int remap(struct run *r, const char *step)
{
	r->map = target_map(r->t, r->len, r->private_map);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return out_error("%s: mmap again: %s", r->t->path,
				 strerror(errno));
	}
	fill_tags(r, r->map, r->len, 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, step);
	return 0;
}

static int sc_munmap(struct run *r)
{
	munmap(r->map, r->len);
	expect_no_leaves(r, r->map, r->len, "after munmap");
	return remap(r, "mirror of a new mapping");
}

static int sc_partial_munmap(struct run *r)
{
	size_t u = r->t->kind == TARGET_DEVDAX ? r->t->unit : PAGE;
	char *hole = mid(r), *rest = hole + u;

	if (u >= r->len)
		return not_applicable(r, "the mapping is one %s unit: munmap inside it is EINVAL",
				      hmm_dax_level_name(u == SZ_1G ? 2 : 1));
	if (munmap(hole, u))
		return out_error("munmap %zu bytes: %s", u, strerror(errno));
	expect_no_leaves(r, hole, u, "after munmap of the hole");
	check_views(r, r->map, hole - r->map, "after munmap, below", 0);
	check_views(r, rest, r->map + r->len - rest, "after munmap, above", 0);
	remirror(r, r->map, hole - r->map, HMM_DAX_MIRROR_WRITE,
		 "re-mirror below the hole");
	remirror(r, rest, r->map + r->len - rest, HMM_DAX_MIRROR_WRITE,
		 "re-mirror above the hole");
	return 0;
}

static int sc_mremap(struct run *r)
{
	char *to, *old = r->map;

	to = map_aligned(r->len, r->t->unit, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (to == MAP_FAILED)
		return out_error("mmap: %s", strerror(errno));
	if (mremap(old, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED, to) !=
	    to)
		return out_error("mremap: %s", strerror(errno));
	r->map = to;
	expect_no_leaves(r, old, r->len, "after mremap, old range");
	check_views(r, to, r->len, "after mremap, new range", 0);
	remirror(r, to, r->len, HMM_DAX_MIRROR_WRITE, "mirror of the new range");
	return 0;
}

static int sc_mprotect(struct run *r)
{
	if (mprotect(r->map, r->len, PROT_READ))
		return out_error("mprotect: %s", strerror(errno));
	check_views(r, r->map, r->len, "after mprotect(PROT_READ)", 0);
	expect_access_error(r, mid(r), 1,
			    "a device write to read-only memory succeeded",
			    "device write after mprotect");
	remirror(r, r->map, r->len, 0, "read mirror of the read-only range");
	if (mprotect(r->map, r->len, PROT_READ | PROT_WRITE))
		return out_error("mprotect: %s", strerror(errno));
	return 0;
}

static int sc_madvise_dontneed(struct run *r)
{
	if (madvise(mid(r), PAGE, MADV_DONTNEED))
		return out_error("madvise: %s", strerror(errno));
	expect_no_leaves(r, mid(r), PAGE, "after MADV_DONTNEED, its page");
	check_views(r, r->map, r->len, "after MADV_DONTNEED", 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/*
 * Cut the file to @size: nothing may stay mirrored beyond it, a device
 * read there must fail, and below it the views agree before and after a
 * re-mirror.  The size comes back after @check (may be NULL) has looked.
 */
static int truncate_to(struct run *r, size_t size,
		       void (*check)(struct run *r, size_t size))
{
	if (ftruncate(r->t->fd, size))
		return out_error("ftruncate: %s", strerror(errno));
	expect_no_leaves(r, r->map + size, r->len - size,
			 "after truncate, beyond the end");
	check_views(r, r->map, size, "after truncate, below the end", 0);
	expect_access_error(r, r->map + size, 0,
			    "a device read beyond the end of the file succeeded",
			    "device read beyond the end");
	remirror(r, r->map, size, HMM_DAX_MIRROR_WRITE, "re-mirror to the end");
	if (check)
		check(r, size);
	if (ftruncate(r->t->fd, r->t->size))
		return out_error("ftruncate: %s", strerror(errno));
	return 0;
}

static int sc_truncate(struct run *r)
{
	return truncate_to(r, mid(r) - r->map + PAGE, NULL);
}

static int sc_punch_hole(struct run *r)
{
	if (fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      mid(r) - r->map, SZ_2M))
		return out_error("punch hole: %s", strerror(errno));
	expect_no_leaves(r, mid(r), SZ_2M, "after punching the hole, in it");
	check_views(r, r->map, r->len, "after punching the hole", 0);
	remirror(r, r->map, r->len, 0, "read mirror over the hole");
	return 0;
}

/*
 * msync: a device write through a writable leaf, then msync(MS_SYNC).
 * fsdax writeback write-protects the entries it flushes: no leaf may stay
 * writable over them (the audit), the next device write must demand-fault,
 * and after fsync() a fresh open must read it.  Device-dax has no fsync
 * (msync is EINVAL there) and tracks no dirty entries; neither does tmpfs.
 */
static int sc_msync(struct run *r)
{
	unsigned char buf[2 * PAGE], back[2 * PAGE];
	int want = r->t->kind == TARGET_DEVDAX ? EINVAL : 0, err, fd;
	unsigned long a = (unsigned long)mid(r) - PAGE;
	struct hmm_dax_access acc;

	device_write_seen(r, 0xd7, "device write before msync",
			  "the CPU does not see the device's write", NULL);
	err = msync(r->map, r->len, MS_SYNC) ? errno : 0;
	begin_step(r, "msync(MS_SYNC)");
	if (err != want)
		add_div(r, "msync: unexpected status", "errno", a, err, want);
	end_step(r, 0, 0);
	check_views(r, r->map, r->len, "after msync", 0);

	memset(&acc, 0, sizeof(acc));
	device_write_seen(r, 0xd8, "device write after msync",
			  "the CPU does not see the device's write", &acc);
	begin_step(r, "demand faults of that write");
	if (r->t->kind == TARGET_DAXFILE && !acc.faults)
		add_div(r, "no demand fault: a leaf stayed writable through writeback",
			"faults", a, 0, 1);
	end_step(r, 2, 0);
	if (!(K_FILES & KIND_BIT(r->t->kind)))
		return 0;
	memset(buf, 0xd8, sizeof(buf));
	if (fsync(r->t->fd))
		return out_error("fsync: %s", strerror(errno));
	fd = open(r->t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return out_error("%s: open: %s", r->t->path, strerror(errno));
	err = pread(fd, back, sizeof(back), a - (unsigned long)r->map) !=
	      (ssize_t)sizeof(back);
	close(fd);
	begin_step(r, "fresh open after fsync");
	if (err || memcmp(back, buf, sizeof(back)))
		add_div(r, "a fresh open does not read the device's write",
			"bytes", a, buf[0], err ? 0 : back[0]);
	end_step(r, 2, 0);
	return 0;
}

static int sc_fork_private(struct run *r)
{
	unsigned char buf[2 * PAGE], want[2 * PAGE];
	int status, ret;
	pid_t pid;

	memcpy(want, mid(r) - PAGE, sizeof(want));
	pid = fork();
	if (pid < 0)
		return out_error("fork: %s", strerror(errno));
	if (!pid) {
		memset(mid(r) - PAGE, 0xcc, 2 * PAGE);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return out_error("waitpid: %s", strerror(errno));
	check_views(r, r->map, r->len, "after fork and the child's write", 0);
	begin_step(r, "device read after fork");
	ret = hmm_dax_read(r->ctx, mid(r) - PAGE, buf, sizeof(buf), NULL);
	if (ret)
		add_div(r, "device read failed", "errno",
			(unsigned long)mid(r) - PAGE, -ret, 0);
	else if (memcmp(buf, want, sizeof(buf)))
		add_div(r, "the device sees other bytes than the parent", "bytes",
			(unsigned long)mid(r) - PAGE,
			*(unsigned long long *)buf,
			*(unsigned long long *)want);
	end_step(r, 2, 0);
	device_write_seen(r, 0xd7, "device write after fork",
			  "the parent does not see the device's write", NULL);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/* The child mirrors and writes through its own device, then just exits. */
static void exit_child(struct run *r, unsigned int device)
{
	unsigned char buf[2 * PAGE];
	struct hmm_dax_ctx *ctx;

	memset(buf, 0xe1, sizeof(buf));
	if (hmm_dax_open(&ctx, device) ||
	    hmm_dax_mirror(ctx, r->map, r->len, HMM_DAX_MIRROR_WRITE, NULL) ||
	    hmm_dax_write(ctx, mid(r) - PAGE, buf, sizeof(buf), NULL))
		_exit(3);
	_exit(0);	/* mm torn down with the mirror open, then the file */
}

static int sc_process_exit(struct run *r)
{
	unsigned char want[2 * PAGE];
	int status;
	pid_t pid;

	if (r->t->kind == TARGET_ANON)
		memcpy(want, mid(r) - PAGE, sizeof(want));
	else
		memset(want, 0xe1, sizeof(want));
	pid = fork();
	if (pid < 0)
		return out_error("fork: %s", strerror(errno));
	if (!pid)
		exit_child(r, 0);
	if (waitpid(pid, &status, 0) != pid)
		return out_error("waitpid: %s", strerror(errno));
	begin_step(r, "child's mirror and device write");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		add_div(r, "the child's mirror or device write failed", "errno",
			(unsigned long)mid(r), status, 0);
	end_step(r, 2, 0);
	expect_bytes(r, mid(r) - PAGE, want, sizeof(want),
		     r->t->kind == TARGET_ANON ?
		     "the child's private write reached the parent" :
		     "the parent does not see the child's device write",
		     "cpu read");
	check_views(r, r->map, r->len, "after the child's exit", 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
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

static int sc_devdax_disable(struct run *r)
{
	unsigned long long held;
	int ret;

	if (!pgmap_refs_balanced(r->monitor, &held)) {
		begin_step(r, "before the unbind");
		add_div(r, "dev_pagemap references held: the unbind would hang",
			"stats", (unsigned long)r->map, held, 0);
		end_step(r, 0, 0);
		return 0;
	}
	ret = target_devdax_set(r->t, 0);
	if (ret)
		return out_error("%s: disable: %s", r->t->dev, strerror(-ret));
	expect_no_leaves(r, r->map, r->len, "after the unbind");
	expect_access_error(r, mid(r), 0,
			    "a device read of an unbound device succeeded",
			    "device read after the unbind");
	munmap(r->map, r->len);
	r->map = NULL;
	ret = target_devdax_rebind(r->t);
	return ret ? ret : remap(r, "mirror after the rebind");
}

struct race {
	struct run *r;
	pid_t tid;
	int done;
	int ret;
};

static void *race_mirror(void *arg)
{
	struct race *rc = arg;

	__atomic_store_n(&rc->tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	rc->ret = hmm_dax_mirror(rc->r->ctx, mid(rc->r),
				 rc->r->t->unit > SZ_2M ? PAGE : SZ_2M,
				 HMM_DAX_MIRROR_WRITE, NULL);
	__atomic_store_n(&rc->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int race_dontneed(void *arg)
{
	struct race *rc = arg;

	return madvise(mid(rc->r), PAGE, MADV_DONTNEED);
}

static int write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Invalidate while a mirror is between hmm_range_fault() and its table
 * lock.  The driver's inject_delay_ms holds the mirror there; the tool sets
 * it for this scenario and restores it.  A hit is counted by the rule of
 * hmm_dax_helpers.h, which the kselftest race_window applies too.
 */
static int sc_race(struct run *r)
{
	char old[16] = "0";
	unsigned int round, hit = 0;
	struct race rc;
	pthread_t th;
	ssize_t n;
	int fd, ret;

	fd = open(HMM_DAX_DELAY_PARAM, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return not_applicable(r, "no writable " HMM_DAX_DELAY_PARAM " (%s)",
				      strerror(errno));
	n = read(fd, old, sizeof(old) - 1);
	close(fd);
	old[n > 0 ? n : 1] = 0;
	ret = write_param(HMM_DAX_DELAY_PARAM, HMM_DAX_RACE_WINDOW_MS);
	if (ret)
		return out_error("%s: %s", HMM_DAX_DELAY_PARAM, strerror(-ret));
	for (round = 0; round < RACE_ROUNDS; round++) {
		hmm_dax_reset(r->ctx);
		memset(&rc, 0, sizeof(rc));
		rc.r = r;
		if (pthread_create(&th, NULL, race_mirror, &rc))
			break;
		while (!__atomic_load_n(&rc.tid, __ATOMIC_ACQUIRE))
			;
		hit += hmm_dax_race_once(rc.tid, &rc.done, race_dontneed, &rc);
		pthread_join(th, NULL);
		check_views(r, r->map, r->len, "after a mirror raced an invalidation",
			    0);
	}
	write_param(HMM_DAX_DELAY_PARAM, old);
	if (!hit) {
		char rounds[16];

		snprintf(rounds, sizeof(rounds), "%u", RACE_ROUNDS);
		return not_applicable(r, "the race window was not hit in %s rounds",
				      rounds);
	}
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/* Every leaf of the 2 MiB holding the end of the file is a 4 KiB one. */
static void end_leaves_small(struct run *r, size_t size)
{
	size_t base = size & ~(SZ_2M - 1), n, i;
	struct hmm_dax_leaf *lv;
	int ret;

	begin_step(r, "leaves of the 2 MiB holding the end");
	ret = hmm_dax_dump(r->ctx, r->map + base, size - base, &lv, &n);
	if (ret)
		add_div(r, "dump failed", "dump", (unsigned long)r->map + base,
			-ret, 0);
	for (i = 0; !ret && i < n; i++)
		if (lv[i].level != HMM_DAX_LEVEL_PTE)
			add_div(r, "a leaf larger than 4 KiB across the end of the file",
				"dump", lv[i].addr, lv[i].pfn, 0);
	if (!ret)
		free(lv);
	end_step(r, (size - base) / PAGE, ret ? 0 : n);
}

/*
 * truncate-partial: the new end of the file is 20 KiB into the 2 MiB leaf
 * below mid(): as truncate, and the piece of that 2 MiB below the end
 * re-mirrors with leaves no larger than the CPU's 4 KiB entries.
 */
static int sc_truncate_partial(struct run *r)
{
	size_t base = (mid(r) - r->map - 1) & ~(SZ_2M - 1);

	return truncate_to(r, base + 5 * PAGE, end_leaves_small);
}

/* The leaf flags of the page at addr; 0 if none. */
static unsigned int leaf_flags_at(struct run *r, char *addr,
				  unsigned long long *pfn)
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
 * pmd-fallback: a private mapping of huge leaves written by the CPU and
 * by the device.  The written pages fall back to 4 KiB anonymous copies:
 * the mirror must hold the copies, never the DAX pfn, no leaf larger than
 * the CPU's, and the file keeps its bytes.
 */
static int sc_pmd_fallback(struct run *r)
{
	unsigned char orig[3 * PAGE], back[3 * PAGE];
	char *dev = mid(r) - PAGE, *cpu = mid(r) + PAGE;
	unsigned long long pfn;
	unsigned int flags;
	int fd = r->t->fd, i;

	if (fd >= 0 &&
	    pread(fd, orig, sizeof(orig), dev - r->map) != sizeof(orig))
		return out_error("%s: read: %s", r->t->path, strerror(errno));
	memset(cpu + 16, 0xc5, PAGE - 16);
	check_views(r, r->map, r->len, "after a CPU write to the private mapping",
		    0);
	device_write_seen(r, 0xd9, "device write to the private mapping",
			  "the CPU does not see the device's write", NULL);
	remirror(r, r->map, r->len, 0, "re-mirror");
	begin_step(r, "the written pages' leaves");
	for (i = 0; i < 3; i++) {
		flags = leaf_flags_at(r, dev + i * PAGE, &pfn);
		if (!flags || (flags & HMM_DAX_LEAF_DEVICE) ||
		    HMM_DAX_LEAF_TYPE(flags) != HMM_DAX_PGMAP_NONE)
			add_div(r, "a written page is not an anonymous copy",
				"dump", (unsigned long)dev + i * PAGE, pfn, 0);
	}
	end_step(r, 3, 0);
	if (fd < 0)
		return 0;
	begin_step(r, "the file keeps its bytes");
	if (pread(fd, back, sizeof(back), dev - r->map) != sizeof(back) ||
	    memcmp(back, orig, sizeof(orig)))
		add_div(r, "a private write reached the file", "bytes",
			(unsigned long)dev, back[16], orig[16]);
	end_step(r, 3, 0);
	return 0;
}

/* FIEMAP flags of the extent holding off; -errno (-ENOENT: a hole). */
static long extent_flags(int fd, size_t off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe;
	} x = {
		.fm.fm_start = off,
		.fm.fm_length = PAGE,
		.fm.fm_extent_count = 1,
	};

	if (ioctl(fd, FS_IOC_FIEMAP, &x.fm))
		return -errno;
	if (!x.fm.fm_mapped_extents || x.fe.fe_logical > off)
		return -ENOENT;
	return x.fe.fe_flags;
}

/*
 * map-sync: the target mapped MAP_SHARED_VALIDATE | MAP_SYNC.  On fsdax
 * the 2 MiB at mid() is made an unwritten extent first; the device's
 * write fault must leave it written (the synchronous fault made the
 * allocation durable) and the views must agree.  A non-DAX file must be
 * refused with EOPNOTSUPP.
 */
static int sc_map_sync(struct run *r)
{
	const int flags = MAP_SHARED_VALIDATE | MAP_SYNC;
	size_t off = (mid(r) - r->map) & ~(SZ_2M - 1);
	char *m;
	long ext;

	if (r->t->kind == TARGET_ANON)
		return not_applicable(r, "%s memory has no MAP_SYNC", "anonymous");
	if (r->t->kind == TARGET_DAXFILE &&
	    (fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       off, SZ_2M) ||
	     fallocate(r->t->fd, FALLOC_FL_KEEP_SIZE, off, SZ_2M)))
		return out_error("make an unwritten extent: %s", strerror(errno));
	m = map_aligned(r->len, r->t->unit, PROT_READ | PROT_WRITE, flags,
			r->t->fd);
	if (m == MAP_FAILED && errno == EOPNOTSUPP &&
	    r->t->kind == TARGET_FILE)
		return not_applicable(r, "the kernel refuses MAP_SYNC of a non-DAX file (%s)",
				      strerror(EOPNOTSUPP));
	begin_step(r, "MAP_SYNC");
	if (m == MAP_FAILED)
		add_div(r, "MAP_SYNC refused", "errno", 0, errno, 0);
	else if (r->t->kind == TARGET_FILE)
		add_div(r, "MAP_SYNC of a non-DAX file was accepted", "errno",
			(unsigned long)m, 0, EOPNOTSUPP);
	end_step(r, 0, 0);
	if (m == MAP_FAILED || r->t->kind == TARGET_FILE) {
		if (m != MAP_FAILED)
			munmap(m, r->len);
		return 0;
	}
	munmap(r->map, r->len);
	r->map = m;
	if (r->t->kind == TARGET_DAXFILE) {
		ext = extent_flags(r->t->fd, off);
		begin_step(r, "the extent before the write");
		if (ext < 0 || !(ext & FIEMAP_EXTENT_UNWRITTEN))
			add_div(r, "not an unwritten extent", "extents",
				(unsigned long)m + off, ext, 0);
		end_step(r, 0, 0);
	}
	device_write_seen(r, 0xda, "device write through MAP_SYNC",
			  "the CPU does not see the device's write", NULL);
	if (r->t->kind == TARGET_DAXFILE) {
		ext = extent_flags(r->t->fd, mid(r) - m);
		begin_step(r, "the extent when the write returned");
		if (ext < 0 || (ext & FIEMAP_EXTENT_UNWRITTEN))
			add_div(r, "the written extent is still unwritten",
				"extents", (unsigned long)mid(r), ext, 0);
		end_step(r, 0, 0);
	}
	fill_tags(r, r->map, r->len, 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/*
 * reflink-cow: FICLONE the target into a new file B, then a device write
 * into the target.  The shared blocks must be unshared: the written page
 * moves to a new pfn (fsdax), B keeps the old bytes, and the views agree.
 */
static int sc_reflink_cow(struct run *r)
{
	unsigned char old[2 * PAGE], back[2 * PAGE];
	unsigned long long before, after;
	char clone[sizeof(r->t->path) + 16];
	int fd, err;

	/* the blocks under mid() now, which the clone will share */
	memcpy(old, mid(r) - PAGE, sizeof(old));
	leaf_flags_at(r, mid(r), &before);
	snprintf(clone, sizeof(clone), "%s.clone", r->t->path);
	fd = open(clone, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return out_error("%s: %s", clone, strerror(errno));
	unlink(clone);
	if (ioctl(fd, FICLONE, r->t->fd)) {
		err = errno;
		close(fd);
		return not_applicable(r, "FICLONE: %s (the file system shares no blocks)",
				      strerror(err));
	}
	check_views(r, r->map, r->len, "after FICLONE", 0);
	device_write_seen(r, 0xdb, "device write into the shared blocks",
			  "the CPU does not see the device's write", NULL);
	leaf_flags_at(r, mid(r), &after);
	begin_step(r, "unshared");
	if (r->t->kind == TARGET_DAXFILE && before == after)
		add_div(r, "the written page kept the shared pfn", "dump",
			(unsigned long)mid(r), after, before);
	err = pread(fd, back, sizeof(back), mid(r) - PAGE - r->map) !=
	      (ssize_t)sizeof(back);
	if (err || memcmp(back, old, sizeof(old)))
		add_div(r, "the clone sees the device's write", "bytes",
			(unsigned long)mid(r) - PAGE, back[0], old[0]);
	end_step(r, 2, 0);
	close(fd);
	/* a read mirror: a write one would unshare every block */
	remirror(r, r->map, r->len, 0, "read mirror after the write");
	return 0;
}

static int set_dax_flag(int fd, int on)
{
	struct fsxattr fa;

	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa))
		return -errno;
	fa.fsx_xflags = on ? fa.fsx_xflags | FS_XFLAG_DAX :
			     fa.fsx_xflags & ~FS_XFLAG_DAX;
	return ioctl(fd, FS_IOC_FSSETXATTR, &fa) ? -errno : 0;
}

/*
 * Unmap and close the target, evict its inode, open it again at the same
 * descriptor (the extents oracle holds it).  0 or exit 2.
 */
static int reload_inode(struct run *r)
{
	int fd, old = r->t->fd, ret;

	munmap(r->map, r->len);
	r->map = NULL;
	close(old);
	sync();
	ret = write_param("/proc/sys/vm/drop_caches", "2");
	if (ret) {
		r->t->fd = open(r->t->path, O_RDWR | O_CLOEXEC);
		return out_error("drop_caches: %s", strerror(-ret));
	}
	fd = open(r->t->path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && fd != old) {
		dup3(fd, old, O_CLOEXEC);
		close(fd);
	}
	r->t->fd = fd < 0 ? -1 : old;
	if (fd < 0)
		return out_error("%s: open again: %s", r->t->path,
				 strerror(errno));
	return 0;
}

/* After a reload: statx says want, and the leaves are of that kind. */
static int flip_check(struct run *r, int want, const char *step)
{
	struct hmm_dax_extents *ext = r->or->ext;
	unsigned long long pfn;
	unsigned int flags;
	int ret;

	r->map = target_map(r->t, r->len, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return out_error("%s: mmap again: %s", r->t->path,
				 strerror(errno));
	}
	if (!want)
		r->or->ext = NULL;	/* page cache: no extents view */
	remirror(r, r->map, r->len, 0, step);
	r->or->ext = ext;
	ret = target_is_dax(r->t->fd);
	flags = leaf_flags_at(r, mid(r), &pfn);
	begin_step(r, "statx and the leaves");
	if (ret != want)
		add_div(r, "statx STATX_ATTR_DAX is not what the flag says",
			"statx", (unsigned long)mid(r), ret, want);
	if (!!(flags & HMM_DAX_LEAF_DEVICE) != want)
		add_div(r, want ? "a page-cache leaf on a DAX file" :
			"a DAX leaf on a page-cache file", "dump",
			(unsigned long)mid(r), pfn, 0);
	end_step(r, 1, 0);
	return 0;
}

/*
 * dax-flag-flip: flip FS_XFLAG_DAX of the target on a dax=inode mount.
 * While it is mapped nothing changes; once the inode is evicted, a new
 * mapping and mirror are what statx says.  The flag is flipped back the
 * same way.
 */
static int sc_dax_flag_flip(struct run *r)
{
	int was = r->t->kind == TARGET_DAXFILE, ignored, ret;

	ret = set_dax_flag(r->t->fd, !was);
	if (ret)
		return not_applicable(r, "FS_IOC_FSSETXATTR: %s",
				      strerror(-ret));
	check_views(r, r->map, r->len, "flag flipped, still mapped", CHECK_FULL);
	begin_step(r, "statx while mapped");
	if (target_is_dax(r->t->fd) != was)
		add_div(r, "the DAX state changed under the mapping", "statx",
			(unsigned long)r->map, !was, was);
	end_step(r, 0, 0);
	ret = reload_inode(r);
	if (ret)
		return ret;
	ignored = target_is_dax(r->t->fd) == was;
	if (!ignored)
		ret = flip_check(r, !was, "mirror after the reload");
	if (!ret) {
		ret = set_dax_flag(r->t->fd, was);
		/* 6.1's xfs: no FS_XFLAG_DAX on a reflinked file (EINVAL) */
		ret = ret ? out_error("%s: flipping FS_XFLAG_DAX back: %s (%s %s)",
				      r->t->path, strerror(-ret),
				      "the file is left",
				      was ? "without it" : "with it") :
			    reload_inode(r);
	}
	if (!ret)
		ret = flip_check(r, was, "mirror after flipping back");
	if (!ret && ignored)
		return not_applicable(r, "the mount ignores FS_XFLAG_DAX (%s)",
				      "not dax=inode");
	return ret;
}

/* The SIGBUS that MADV_HWPOISON sends the caller: taken, and ignored. */
static void poison_sigbus(int sig)
{
	(void)sig;
}

/*
 * poison: MADV_HWPOISON on the page at mid().  The mirror must drop it, a
 * device read there must fail, and the rest must agree; a file then gets
 * the lost 2 MiB punched out and written again, and mirrors normally.  The
 * poison stays until reboot, so only --scenario poison runs it.
 */
static int scenario_named;

static int sc_poison(struct run *r)
{
	struct sigaction sa = { .sa_handler = poison_sigbus }, old;
	size_t lost = r->t->kind == TARGET_DEVDAX ? r->t->unit : SZ_2M;
	size_t base = (mid(r) - r->map) & ~(lost - 1);
	int err;

	if (!scenario_named)
		return not_applicable(r, "destructive: %s",
				      "the poison stays until reboot, so it runs only when named");
	sigaction(SIGBUS, &sa, &old);
	err = madvise(mid(r), PAGE, MADV_HWPOISON) ? errno : 0;
	sigaction(SIGBUS, &old, NULL);
	if (err)
		return out_error("MADV_HWPOISON: %s%s", strerror(err),
				 err == EPERM ? " (needs CAP_SYS_ADMIN)" :
				 err == EINVAL ? " (no CONFIG_MEMORY_FAILURE?)" :
				 "");
	expect_no_leaves(r, mid(r), PAGE, "after MADV_HWPOISON, its page");
	expect_access_error(r, mid(r), 0,
			    "a device read of the poisoned page succeeded",
			    "device read of the poisoned page");
	if (base)
		remirror(r, r->map, base, 0, "re-mirror below the lost unit");
	if (base + lost < r->len)
		remirror(r, r->map + base + lost, r->len - base - lost, 0,
			 "re-mirror above the lost unit");
	if (!(K_FILES & KIND_BIT(r->t->kind)))
		return 0;
	if (fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      base, lost) ||
	    fallocate(r->t->fd, FALLOC_FL_KEEP_SIZE, base, lost))
		return out_error("punch out the poison: %s", strerror(errno));
	munmap(r->map, r->len);
	return remap(r, "mirror after punching out the poison");
}

/*
 * misaligned-devdax: mappings that break a device-dax node's alignment (an
 * address 4 KiB off, half a unit, MAP_PRIVATE) must each be refused.  All
 * refused is verdict "refused" with the kernel's reason, never agreement;
 * one accepted is a divergence.
 */
static int sc_misaligned_devdax(struct run *r)
{
	static const char * const what[] = {
		"an address 4 KiB off the alignment", "half a unit",
		"MAP_PRIVATE",
	};
	size_t u = r->t->unit, len[] = { u, u / 2, u };
	char *res, *at[3], *m;
	unsigned int i, refused = 0;
	int err = 0;

	res = map_aligned(2 * u, u, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (res == MAP_FAILED)
		return out_error("mmap: %s", strerror(errno));
	at[0] = res + PAGE;
	at[1] = res;
	at[2] = res;
	begin_step(r, "misaligned mappings");
	for (i = 0; i < 3; i++) {
		m = mmap(at[i], len[i], PROT_READ, MAP_FIXED |
			 (i == 2 ? MAP_PRIVATE : MAP_SHARED), r->t->fd, 0);
		if (m == MAP_FAILED) {
			err = errno;
			refused++;
			continue;
		}
		add_div(r, what[i], "mmap", (unsigned long)m, 0, EINVAL);
	}
	end_step(r, 0, 0);
	munmap(res, 2 * u);
	if (refused == 3) {
		/* the kernel's log line is added when the log is read */
		snprintf(r->refused_buf, sizeof(r->refused_buf),
			 "the kernel refuses: %s", strerror(err));
		r->refused = r->refused_buf;
		r->refused_log = "dax_mmap";
	}
	return 0;
}

static const struct scenario scenarios[] = {
	{ "cpu-write", 0, K_ALL, NULL, sc_cpu_write },
	{ "device-write", 0, K_ALL, NULL, sc_device_write },
	{ "munmap", 0, K_ALL, NULL, sc_munmap },
	{ "partial-munmap", 0, K_ALL, NULL, sc_partial_munmap },
	{ "mremap", 0, K_ALL, NULL, sc_mremap },
	{ "mprotect", 0, K_ALL, NULL, sc_mprotect },
	{ "madvise-dontneed", 0, K_ALL, NULL, sc_madvise_dontneed },
	{ "truncate", 0, K_FILES, "%s is not a file", sc_truncate },
	{ "punch-hole", 0, K_FILES, "%s is not a file", sc_punch_hole },
	{ "msync", 0, K_ALL, NULL, sc_msync },
	{ "fork-private", 1, K_ALL & ~K_DEVDAX,
	  "%s refuses MAP_PRIVATE", sc_fork_private },
	{ "process-exit", 0, K_ALL, NULL, sc_process_exit },
	{ "devdax-disable", 0, K_DEVDAX, "%s cannot be unbound",
	  sc_devdax_disable },
	{ "race", 0, K_ALL, NULL, sc_race },
	{ "truncate-partial", 0, K_FILES, "%s is not a file",
	  sc_truncate_partial },
	{ "pmd-fallback", 1, K_ALL & ~K_DEVDAX,
	  "%s refuses MAP_PRIVATE", sc_pmd_fallback },
	{ "map-sync", 0, K_ALL, NULL, sc_map_sync },
	/* before reflink-cow, which leaves the file reflinked */
	{ "dax-flag-flip", 0, K_FILES, "%s is not a file", sc_dax_flag_flip },
	{ "reflink-cow", 0, K_FILES, "%s is not a file", sc_reflink_cow },
	{ "misaligned-devdax", 0, K_DEVDAX, "%s is not device-dax",
	  sc_misaligned_devdax },
	{ "poison", 0, K_ALL, NULL, sc_poison },	/* last: it is for good */
};

#define NR_SCENARIOS ARRAY_SIZE(scenarios)

static const struct scenario *find_scenario(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_SCENARIOS; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/*
 * For "hmm-dax events --scenario": apply only the scenario's change to a
 * mirrored mapping, so the kernel's invalidations can be printed.
 */
int scenario_invalidate(const char *name, struct target *t,
			struct hmm_dax_ctx *ctx, char **map, size_t len)
{
	char *m = *map + (len / 2 & ~(PAGE - 1));

	if (!find_scenario(name))
		return out_error("--scenario: unknown scenario '%s'", name);
	if (!strcmp(name, "munmap")) {
		munmap(*map, len);
		*map = NULL;
	} else if (!strcmp(name, "partial-munmap")) {
		munmap(m, t->kind == TARGET_DEVDAX ? t->unit : PAGE);
	} else if (!strcmp(name, "mprotect")) {
		mprotect(*map, len, PROT_READ);
	} else if (!strcmp(name, "madvise-dontneed")) {
		madvise(m, PAGE, MADV_DONTNEED);
	} else if (!strcmp(name, "truncate") && t->fd >= 0) {
		if (ftruncate(t->fd, m - *map + PAGE))
			return out_error("ftruncate: %s", strerror(errno));
	} else if (!strcmp(name, "punch-hole") && t->fd >= 0) {
		if (fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      m - *map, SZ_2M))
			return out_error("punch hole: %s", strerror(errno));
	} else if (!strcmp(name, "devdax-disable") && t->kind == TARGET_DEVDAX) {
		if (target_devdax_set(t, 0) || target_devdax_set(t, 1))
			return out_error("%s: disable and enable failed", t->dev);
	} else {
		return out_error("--scenario %s: %s", name,
				 "events applies munmap, partial-munmap, mprotect, madvise-dontneed, truncate, punch-hole or devdax-disable");
	}
	(void)ctx;
	return 0;
}

/* Which CPU views can be used for this target, measured now. */
static int probe_oracles(struct target *t, struct oracles *or,
			 unsigned int device)
{
	struct hmm_dax_ctx *ctx;
	__u64 zapped;
	char *map;
	int ret;

	memset(or, 0, sizeof(*or));
	ret = t->fd < 0 ? 0 : hmm_dax_extents_new(&or->ext, t->fd);
	if (t->fd < 0)
		snprintf(or->ext_why, sizeof(or->ext_why), "not a file");
	else if (ret)
		snprintf(or->ext_why, sizeof(or->ext_why), "%s",
			 ret == -EOPNOTSUPP ? "not DAX memory" :
			 ret == -ENODEV ? "no pmem namespace or dax device holds it" :
			 strerror(-ret));
	/* a scratch mapping: the probe may change what it maps */
	map = target_map(t, t->size, 0);
	if (map == MAP_FAILED)
		return out_error("%s: mmap %zu bytes: %s", t->path, t->size,
				 strerror(errno));
	ret = open_ctx(&ctx, device);
	if (ret) {
		munmap(map, t->size);
		return ret;
	}
	ret = hmm_dax_pagemap_perturbs(ctx, map, t->size, &zapped);
	if (ret == 1)
		snprintf(or->pagemap_why, sizeof(or->pagemap_why),
			 "reading it zapped %llu device leaves of a scratch mapping: it changes the mapping it reports",
			 (unsigned long long)zapped);
	else if (ret == -EPERM)
		snprintf(or->pagemap_why, sizeof(or->pagemap_why),
			 "pfns hidden (needs CAP_SYS_ADMIN)");
	else if (ret)
		snprintf(or->pagemap_why, sizeof(or->pagemap_why), "%s",
			 strerror(-ret));
	or->pagemap = !ret;
	hmm_dax_close(ctx);
	munmap(map, t->size);
	return 0;
}

static void print_oracles(const struct oracles *or)
{
	out_open_object("oracles");
	out_text("  oracles: bytes; ");
	out_open_object("pagemap");
	out_bool("usable", "pagemap %s", or->pagemap);
	out_str("why", or->pagemap ? NULL : " (%s)", or->pagemap_why);
	out_close_object();
	out_open_object("extents");
	out_bool("usable", "; extents %s", !!or->ext);
	out_str(or->ext ? "source" : "why", " (%s)\n",
		or->ext ? hmm_dax_extents_source(or->ext) : or->ext_why);
	out_close_object();
	out_close_object();
}

enum verdict { V_AGREE, V_DIVERGE, V_NA, V_REFUSED, V_ERROR };
static const char * const verdict_names[] = {
	"agree", "diverge", "n/a", "refused", "error",
};

struct cell {
	enum verdict v;
	unsigned int levels;
	unsigned int kernel_log;	/* kernel warnings seen */
};

void leaf_levels_text(char *buf, size_t len, unsigned int levels)
{
	int l;

	buf[0] = 0;
	for (l = HMM_DAX_NR_LEVELS - 1; l >= 0; l--)
		if (levels & (1U << l))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
				 buf[0] ? "," : "", hmm_dax_level_name(l));
}

static void count_events(struct run *r)
{
	struct hmm_dax_event *ev;
	size_t n;

	size_t i;

	if (!hmm_dax_events(r->ctx, &ev, &n, NULL)) {
		r->events += n;
		for (i = 0; i < n; i++)
			if (ev[i].event < ARRAY_SIZE(r->event_kinds))
				r->event_kinds[ev[i].event]++;
		free(ev);
	}
}

/*
 * Kernel messages that say the kernel itself found something wrong while a
 * scenario ran ("bad pud", a WARNING, a BUG): printed with the scenario and
 * marked in the table.  They are the kernel's findings, not divergences.
 */
static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/*
 * Read the kernel's new log records: print the ones that report something
 * wrong, and copy the last one holding @what (may be NULL) into @line.
 * Returns how many reported something wrong.
 */
static unsigned int kmsg_scan(const char *what, char *line, size_t len)
{
	unsigned int found = 0;
	char rec[2048], *msg, *nl;
	ssize_t n;

	out_open_array("kernel_log");
	while (kmsg_fd >= 0) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (what && strstr(msg, what))
			snprintf(line, len, "%s", msg);
		if (!hmm_dax_is_kernel_report(msg))
			continue;
		out_str(NULL, "    kernel: %s\n", msg);
		found++;
	}
	out_close_array();
	return found;
}

/* One scenario on one target, from a fresh mapping and mirror. */
static enum verdict run_scenario(struct target *t, struct oracles *or,
				 struct hmm_dax_ctx *monitor,
				 const struct scenario *sc, unsigned int device,
				 struct cell *cell)
{
	struct run r = {
		.t = t, .or = or, .monitor = monitor, .len = t->size,
		.private_map = sc->private_map,
	};
	unsigned long long held;
	enum verdict v = V_AGREE;
	char lv[16], label[32];
	int ret;

	/* in the kernel log, for what the scenario makes the kernel report */
	target_label(t, label, sizeof(label));
	hmm_dax_mark("compare %s %s %s", sc->name, label, t->path);
	out_progress("%s", "");
	out_open_object(NULL);
	out_str("scenario", NULL, sc->name);
	out_open_array("steps");
	if (!(sc->kinds & (1U << t->kind))) {
		not_applicable(&r, sc->na, t->kind_name);
		goto close_steps;
	}
	r.map = target_map(t, r.len, r.private_map);
	if (r.map == MAP_FAILED) {
		out_error("%s: mmap %zu bytes: %s", t->path, r.len,
			  strerror(errno));
		return V_ERROR;
	}
	if (open_ctx(&r.ctx, device)) {
		munmap(r.map, r.len);
		return V_ERROR;
	}
	fill_tags(&r, r.map, r.len, 0);
	remirror(&r, r.map, r.len, HMM_DAX_MIRROR_WRITE, "mirror");
	count_events(&r);
	ret = sc->fn(&r);
	count_events(&r);
	hmm_dax_close(r.ctx);
	if (r.map)
		munmap(r.map, r.len);
	if (ret)
		return V_ERROR;
	begin_step(&r, "teardown");
	if (!pgmap_refs_balanced(r.monitor, &held))
		add_div(&r, "dev_pagemap references held after the mirror closed",
			"stats", 0, held, 0);
	end_step(&r, 0, 0);
close_steps:
	out_close_array();
	if (r.refused) {
		char why[sizeof(r.refused_buf) - 64] = "no log line";
		size_t at = strlen(r.refused_buf);

		cell->kernel_log = kmsg_scan(r.refused_log, why, sizeof(why));
		snprintf(r.refused_buf + at, sizeof(r.refused_buf) - at,
			 " (%s)", why);
	} else {
		cell->kernel_log = kmsg_scan(NULL, NULL, 0);
	}
	if (r.na)
		v = V_NA;
	else if (r.diverged)
		v = V_DIVERGE;
	else if (r.refused)
		v = V_REFUSED;
	leaf_levels_text(lv, sizeof(lv), r.levels);
	out_str("verdict", NULL, verdict_names[v]);
	out_text("  %-17s %-8s %-8s", sc->name, v == V_DIVERGE ? "DIVERGE" : verdict_names[v],
		 lv);
	out_levels(r.levels);
	out_u64("divergences", r.diverged ? " %llu divergences" : NULL,
		r.diverged);
	out_u64("events", NULL, r.events);
	out_open_object("event_kinds");
	for (ret = 0; ret < (int)ARRAY_SIZE(r.event_kinds); ret++)
		if (r.event_kinds[ret])
			out_u64(hmm_dax_event_name(ret), NULL,
				r.event_kinds[ret]);
	out_close_object();
	out_str("reason", r.na || r.refused ? " %s" : NULL,
		r.na ? r.na : r.refused ? r.refused : "");
	out_text("\n");
	out_close_object();
	cell->v = v;
	cell->levels = r.levels;
	return v;
}

static void print_table(char labels[][16], struct cell (*cells)[NR_SCENARIOS],
			unsigned int nt, const unsigned int *which,
			unsigned int ns)
{
	unsigned int i, s, marks = 0;
	char lv[16], c[32];

	out_text("\n%-17s", "scenario");
	for (i = 0; i < nt; i++)
		out_text(" %-15s", labels[i]);
	out_text("\n");
	for (s = 0; s < ns; s++) {
		out_text("%-17s", scenarios[which[s]].name);
		for (i = 0; i < nt; i++) {
			struct cell *cl = &cells[i][which[s]];

			leaf_levels_text(lv, sizeof(lv), cl->levels);
			snprintf(c, sizeof(c), "%s %s%s", cl->v == V_DIVERGE ?
				 "DIVERGE" : verdict_names[cl->v],
				 cl->v == V_NA ? "" : lv,
				 cl->kernel_log ? " *" : "");
			marks += !!cl->kernel_log;
			out_text(" %-15s", c);
		}
		out_text("\n");
	}
	if (marks)
		out_text("%s\n",
			 "* the kernel logged a warning during the scenario (kernel: lines above)");
}

int cmd_compare(int argc, char **argv)
{
	unsigned int which[NR_SCENARIOS], ns = 0, nt, i, s, diverged = 0;
	unsigned int refused = 0;
	struct cell (*cells)[NR_SCENARIOS] = NULL;
	char (*labels)[16] = NULL;
	struct hmm_dax_ctx *monitor;
	const struct scenario *sc;
	struct oracles or;
	struct target t;
	struct opts o;
	enum verdict v;
	int ret;

	ret = parse_opts(argc, argv, OPT_SIZE | OPT_SCENARIO, &o);
	if (ret)
		return ret;
	nt = argc - optind;
	if (!nt)
		return out_error("takes at least one TARGET (see hmm-dax help)");
	if (!o.scenario || !strcmp(o.scenario, "all")) {
		for (s = 0; s < NR_SCENARIOS; s++)
			which[ns++] = s;
	} else {
		sc = find_scenario(o.scenario);
		if (!sc)
			return out_error("--scenario: unknown scenario '%s' (see man hmm-dax)",
					 o.scenario);
		which[ns++] = sc - scenarios;
		scenario_named = 1;
	}
	ret = open_ctx(&monitor, o.device);
	if (ret)
		return ret;
	kmsg_open();
	cells = calloc(nt, sizeof(*cells));
	labels = calloc(nt, sizeof(*labels));
	if (!cells || !labels) {
		ret = out_error("out of memory");
		goto out;
	}
	out_open_array("targets");
	for (i = 0; i < nt; i++) {
		ret = target_open(&t, argv[optind + i], o.size);
		if (ret)
			goto out;
		target_label(&t, labels[i], sizeof(labels[i]));
		ret = probe_oracles(&t, &or, o.device);
		if (ret) {
			target_close(&t);
			goto out;
		}
		out_open_object(NULL);
		out_str("target", "target %s", t.path);
		out_str("label", " (%s", labels[i]);
		out_str("kind", ", %s)", t.kind_name);
		out_u64("size", ", %llu bytes\n", t.size);
		print_oracles(&or);
		/* what the pagemap probe made the kernel say */
		kmsg_scan(NULL, NULL, 0);
		out_open_array("scenarios");
		for (s = 0; s < ns; s++) {
			out_progress("[%s %u/%u] %s ...", labels[i], s + 1, ns,
				     scenarios[which[s]].name);
			v = run_scenario(&t, &or, monitor, &scenarios[which[s]],
					 o.device, &cells[i][which[s]]);
			if (v == V_ERROR) {
				ret = HMM_DAX_EXIT_ERROR;
				break;
			}
			diverged += v == V_DIVERGE;
			refused += v == V_REFUSED;
		}
		out_close_array();
		out_close_object();
		hmm_dax_extents_free(or.ext);
		target_close(&t);
		if (ret)
			goto out;
	}
	out_close_array();
	print_table(labels, cells, nt, which, ns);
	/*
	 * A refusal named on its own is an environment error (exit 2): the
	 * kernel would not map what was asked.  Under "all" it is a cell.
	 */
	refused = scenario_named && refused;
	out_str("verdict", "\nverdict: %s\n", diverged ? "diverge" :
		refused ? "refused" : "agree");
	ret = diverged ? HMM_DAX_EXIT_DIVERGE :
	      refused ? HMM_DAX_EXIT_ERROR : HMM_DAX_EXIT_AGREE;
out:
	free(cells);
	free(labels);
	hmm_dax_close(monitor);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	return ret;
}
