/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_util.h - the device's view, for the hmm_dax kselftests
 *
 * Wrappers of the uapi (kernel/hmm_dax_uapi.h), each returning 0 or -errno:
 * mirror(), dump(), dev_access() and its dev_read() and dev_write(),
 * stats(), events() and the checks made of their results: the leaves a
 * dump gives (check_leaves(), log_levels(), ...), the event log
 * (ev_count(), ev_print(), ...), the audit (audit_stale(), audit_clean())
 * and the dev_pagemap references (pgmap_refs_balanced()).  Then the
 * comparisons of the device's bytes with the CPU's, and the race of an
 * invalidation against the driver's install window (race_rounds()).
 *
 * The names of levels and events are those of hmm_dax_helpers.h, which
 * the tool uses too: 4K, 2M, 1G; unmap, protection-vma, ...
 */
#ifndef _HMM_DAX_UTIL_H
#define _HMM_DAX_UTIL_H

#include <pthread.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "hmm_dax_files.h"

/* Device reads for a comparison go through a buffer this large. */
#define CMP_CHUNK	(16UL << 20)
/* Stale leaves an audit reports (it counts them all). */
#define AUDIT_REPORTS	8
/* Seconds a mirror test may take: TCG is slow, 1 GiB is large. */
#define MIRROR_TIMEOUT	300

#define DEVDAX_DRIVER	"/sys/bus/dax/drivers/device_dax"
#define RACE_PARAM	HMM_DAX_DELAY_PARAM

static inline unsigned long level_size(__u32 level)
{
	return SZ_4K << (9 * level);
}

/* A sysfs attribute of a character device, as an unsigned long. */
static inline int chardev_attr(const char *node, const char *attr,
			       unsigned long *val)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *f;
	int ret;

	if (stat(node, &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(st.st_rdev), minor(st.st_rdev), attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ret = fscanf(f, "%lu", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return ret;
}

/* The hmm_dax module is loaded. */
static inline bool hmm_dax_loaded(void)
{
	return !access("/sys/module/hmm_dax", F_OK);
}

/* A CPU read of every page of [p, p + len): maps what is not mapped. */
static inline void cpu_touch(const char *p, unsigned long len)
{
	unsigned long off;

	for (off = 0; off < len; off += SZ_4K)
		(void)__atomic_load_n(p + off, __ATOMIC_RELAXED);
}

/* ---- the ioctls, each returning 0 or -errno ---- */

static inline int hd_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* ioctl()'s errno, 0 when it succeeded. */
static inline int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/*
 * The entry point the suite's mirrors fault through, from $HMM_DAX_ENTRY:
 * "locked" (or unset) hmm_range_fault() under mmap_read_lock(), the flag 0;
 * "unlocked" hmm_range_fault_unlocked_timeout(), HMM_DAX_MIRROR_UNLOCKED
 * (run_tests.sh runs the mirroring programs through each entry point the
 * kernel offers).  Any other value ends the program: a run that silently
 * took the other path would prove nothing.
 */
static inline unsigned int hmm_dax_entry(void)
{
	const char *e = getenv("HMM_DAX_ENTRY");

	if (!e || !*e || !strcmp(e, "locked"))
		return 0;
	if (!strcmp(e, "unlocked"))
		return HMM_DAX_MIRROR_UNLOCKED;
	fprintf(stderr, "HMM_DAX_ENTRY=%s: not locked or unlocked\n", e);
	exit(1);
}

/*
 * HMM_DAX_MIRROR of [addr, addr + len), through the suite's entry point
 * (hmm_dax_entry()); out (may be NULL) gets the result.
 */
static inline int mirror(int fd, const void *addr, unsigned long len,
			 unsigned int flags, struct hmm_dax_range *out)
{
	struct hmm_dax_range r = {
		.addr = (uintptr_t)addr,
		.len = len,
		.flags = flags | hmm_dax_entry(),
	};
	int ret = hd_ioctl(fd, HMM_DAX_MIRROR, &r);

	if (!ret && out)
		*out = r;
	return ret;
}

/*
 * HMM_DAX_DUMP of [addr, addr + len) into *out, malloc()ed for the caller
 * to free (NULL when empty): the number of leaves, or -errno.  Without out,
 * just the number of leaves meeting the range.
 */
static inline long dump(int fd, const void *addr, unsigned long len,
			struct hmm_dax_leaf **out)
{
	struct hmm_dax_leaf *lv = NULL, *tmp;
	struct hmm_dax_dump d;
	__u64 cap = 0;
	int err;

	for (;;) {
		memset(&d, 0, sizeof(d));
		d.addr = (uintptr_t)addr;
		d.len = len;
		d.leaves = (uintptr_t)lv;
		d.max = cap;
		if (ioctl(fd, HMM_DAX_DUMP, &d)) {
			err = errno;
			free(lv);
			return -err;
		}
		if (!out || d.total <= d.count || cap == HMM_DAX_MAX_DUMP)
			break;
		cap = d.total + 64 < HMM_DAX_MAX_DUMP ?
		      d.total + 64 : HMM_DAX_MAX_DUMP;
		tmp = realloc(lv, cap * sizeof(*lv));
		if (!tmp) {
			free(lv);
			return -ENOMEM;
		}
		lv = tmp;
	}
	if (!out)
		return d.total;
	*out = lv;
	return d.count;
}

/* Leaves meeting [addr, addr + len), or -errno. */
static inline long dump_count(int fd, const void *addr, unsigned long len)
{
	return dump(fd, addr, len, NULL);
}

static inline int dev_access(int fd, unsigned long cmd, const void *addr,
			     const void *buf, unsigned long len, __u64 *faults)
{
	struct hmm_dax_access a = {
		.addr = (uintptr_t)addr,
		.len = len,
		.buf = (uintptr_t)buf,
	};
	int ret = hd_ioctl(fd, cmd, &a);

	if (!ret && faults)
		*faults = a.faults;
	return ret;
}

/* HMM_DAX_READ: [addr, addr + len) through the device into buf. */
static inline int dev_read(int fd, const void *addr, void *buf,
			   unsigned long len)
{
	return dev_access(fd, HMM_DAX_READ, addr, buf, len, NULL);
}

/* HMM_DAX_WRITE: buf through the device into [addr, addr + len). */
static inline int dev_write(int fd, void *addr, const void *buf,
			    unsigned long len)
{
	return dev_access(fd, HMM_DAX_WRITE, addr, buf, len, NULL);
}

/* HMM_DAX_STATS. */
static inline int stats(int fd, struct hmm_dax_stats *s)
{
	return hd_ioctl(fd, HMM_DAX_STATS, s);
}

static inline __u64 stats_leaves(const struct hmm_dax_stats *s)
{
	return s->leaves[0] + s->leaves[1] + s->leaves[2];
}

/* The event log, as drained by one HMM_DAX_EVENTS. */
struct ev_log {
	struct hmm_dax_event ev[HMM_DAX_EVENT_LOG];
	unsigned int n;
	__u64 lost;
};

/* HMM_DAX_EVENTS: drain the whole log (it holds at most one call's). */
static inline int events(int fd, struct ev_log *log)
{
	struct hmm_dax_events e = {
		.events = (uintptr_t)log->ev,
		.max = HMM_DAX_EVENT_LOG,
	};
	int ret = hd_ioctl(fd, HMM_DAX_EVENTS, &e);

	log->n = ret ? 0 : e.count;
	log->lost = ret ? 0 : e.lost;
	return ret;
}

/* Events of type (any if < 0) whose range meets [addr, addr + len). */
static inline unsigned int ev_count(const struct ev_log *log, int type,
				    const void *addr, unsigned long len)
{
	__u64 start = (uintptr_t)addr, end = start + len;
	unsigned int i, n = 0;

	for (i = 0; i < log->n; i++) {
		const struct hmm_dax_event *e = &log->ev[i];

		if ((type < 0 || e->event == (__u32)type) &&
		    e->start < end && e->end > start)
			n++;
	}
	return n;
}

/* Leaves the logged events split, and zapped whole for want of memory. */
static inline void ev_splits(const struct ev_log *log, __u64 *split,
			     __u64 *whole)
{
	unsigned int i, l;

	*split = 0;
	*whole = 0;
	for (i = 0; i < log->n; i++) {
		for (l = 0; l < HMM_DAX_NR_LEVELS; l++) {
			*split += log->ev[i].split[l];
			*whole += log->ev[i].whole[l];
		}
	}
}

static inline void ev_print(struct __test_metadata *_metadata,
			    const struct ev_log *log)
{
	unsigned int i;

	for (i = 0; i < log->n; i++) {
		const struct hmm_dax_event *e = &log->ev[i];

		TH_LOG("event %llu %s [%#llx, %#llx) zap %u/%u/%u split %u/%u/%u whole %u/%u/%u",
		       e->seq, hmm_dax_event_str(e->event), e->start, e->end,
		       e->zapped[0], e->zapped[1], e->zapped[2],
		       e->split[0], e->split[1], e->split[2],
		       e->whole[0], e->whole[1], e->whole[2]);
	}
	if (!log->n)
		TH_LOG("no event logged");
	if (log->lost)
		TH_LOG("%llu events lost", log->lost);
}

/* Drop what the log holds so far. */
static inline void ev_drain(int fd)
{
	struct ev_log *log = malloc(sizeof(*log));

	if (log)
		events(fd, log);
	free(log);
}

/*
 * HMM_DAX_AUDIT of [addr, addr + len): the number of stale leaves, the
 * reported ones logged; -errno (logged) if the audit failed.
 */
static inline long audit_stale(struct __test_metadata *_metadata, int fd,
			       const void *addr, unsigned long len)
{
	struct hmm_dax_stale st[AUDIT_REPORTS];
	struct hmm_dax_audit a = {
		.addr = (uintptr_t)addr,
		.len = len,
		.stale = (uintptr_t)st,
		.max = AUDIT_REPORTS,
	};
	__u64 i;
	int err;

	if (ioctl(fd, HMM_DAX_AUDIT, &a)) {
		err = errno;
		TH_LOG("audit %p+%#lx: %s", addr, len, strerror(err));
		return -err;
	}
	for (i = 0; i < a.count; i++)
		TH_LOG("stale %s leaf at %#llx: dev pfn %#llx cpu pfn %#llx reason%s%s%s%s%s",
		       hmm_dax_level_str(st[i].level), st[i].addr,
		       st[i].dev_pfn, st[i].cpu_pfn,
		       st[i].reason & HMM_DAX_STALE_ABSENT ? " absent" : "",
		       st[i].reason & HMM_DAX_STALE_PFN ? " pfn" : "",
		       st[i].reason & HMM_DAX_STALE_WRITE ? " write" : "",
		       st[i].reason & HMM_DAX_STALE_LEVEL ? " level" : "",
		       st[i].reason & HMM_DAX_STALE_PGMAP ? " pgmap" : "");
	if (a.nr_stale > a.count)
		TH_LOG("... %llu stale leaves in all", a.nr_stale);
	return a.nr_stale;
}

/* The audit ran and found no stale leaf. */
static inline bool audit_clean(struct __test_metadata *_metadata, int fd,
			       const void *addr, unsigned long len)
{
	return audit_stale(_metadata, fd, addr, len) == 0;
}

/* The module's dev_pagemap references are balanced (logged if not). */
static inline bool pgmap_refs_balanced(struct __test_metadata *_metadata,
				       int fd)
{
	struct hmm_dax_stats s;
	int ret = stats(fd, &s);

	if (ret) {
		TH_LOG("stats: %s", strerror(-ret));
		return false;
	}
	if (s.pgmap_gets != s.pgmap_puts)
		TH_LOG("dev_pagemap gets %llu, puts %llu", s.pgmap_gets,
		       s.pgmap_puts);
	return s.pgmap_gets == s.pgmap_puts;
}

/*
 * After a failed command: the mirror has the leaves it had (leaves) and the
 * references are balanced.
 */
static inline bool nothing_left(struct __test_metadata *_metadata, int fd,
				__u64 leaves)
{
	struct hmm_dax_stats s;

	if (stats(fd, &s))
		return false;
	if (stats_leaves(&s) != leaves)
		TH_LOG("%llu leaves, expected %llu", stats_leaves(&s), leaves);
	return stats_leaves(&s) == leaves && pgmap_refs_balanced(_metadata, fd);
}

/* ---- leaves ---- */

static inline unsigned long leaf_size(const struct hmm_dax_leaf *l)
{
	return level_size(l->level);
}

/* The first address of [addr, addr + len) no leaf maps, or addr + len. */
static inline unsigned long leaves_cover(const struct hmm_dax_leaf *lv, long n,
					 const void *addr, unsigned long len)
{
	unsigned long cur = (uintptr_t)addr, end = cur + len;
	long i;

	for (i = 0; i < n && cur < end; i++) {
		if (lv[i].addr > cur)
			break;
		if (lv[i].addr + leaf_size(&lv[i]) > cur)
			cur = lv[i].addr + leaf_size(&lv[i]);
	}
	return cur < end ? cur : end;
}

/* The leaf that maps addr, or NULL. */
static inline const struct hmm_dax_leaf *leaf_at(const struct hmm_dax_leaf *lv,
						 long n, const void *addr)
{
	__u64 a = (uintptr_t)addr;
	long i;

	for (i = 0; i < n; i++)
		if (lv[i].addr <= a && a < lv[i].addr + leaf_size(&lv[i]))
			return &lv[i];
	return NULL;
}

/* Leaves per level. */
static inline void count_levels(const struct hmm_dax_leaf *lv, long n,
				unsigned long cnt[HMM_DAX_NR_LEVELS])
{
	long i;

	memset(cnt, 0, HMM_DAX_NR_LEVELS * sizeof(cnt[0]));
	for (i = 0; i < n; i++)
		if (lv[i].level < HMM_DAX_NR_LEVELS)
			cnt[lv[i].level]++;
}

/* Leaves with all of flags set. */
static inline long count_flags(const struct hmm_dax_leaf *lv, long n,
			       __u32 flags)
{
	long i, c = 0;

	for (i = 0; i < n; i++)
		c += (lv[i].flags & flags) == flags;
	return c;
}

/* The first huge (PMD or PUD) leaf, or NULL. */
static inline const struct hmm_dax_leaf *
first_huge(const struct hmm_dax_leaf *lv, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (lv[i].level > HMM_DAX_LEVEL_PTE)
			return &lv[i];
	return NULL;
}

static inline void log_levels(struct __test_metadata *_metadata,
			      const char *what, const struct hmm_dax_leaf *lv,
			      long n)
{
	unsigned long cnt[HMM_DAX_NR_LEVELS];

	count_levels(lv, n, cnt);
	TH_LOG("%s: %ld leaves: %s %lu, %s %lu, %s %lu; %ld writable",
	       what, n, hmm_dax_level_str(0), cnt[0], hmm_dax_level_str(1),
	       cnt[1], hmm_dax_level_str(2), cnt[2],
	       count_flags(lv, n, HMM_DAX_LEAF_WRITE));
}

/* Two dumps are the same leaves (logged where not). */
static inline bool leaves_equal(struct __test_metadata *_metadata,
				const struct hmm_dax_leaf *a, long na,
				const struct hmm_dax_leaf *b, long nb)
{
	long i;

	if (na != nb) {
		TH_LOG("%ld leaves against %ld", na, nb);
		return false;
	}
	for (i = 0; i < na; i++) {
		if (a[i].addr == b[i].addr && a[i].pfn == b[i].pfn &&
		    a[i].level == b[i].level && a[i].flags == b[i].flags)
			continue;
		TH_LOG("leaf %ld: %#llx %s pfn %#llx flags %#x, or %#llx %s pfn %#llx flags %#x",
		       i, a[i].addr, hmm_dax_level_str(a[i].level), a[i].pfn,
		       a[i].flags, b[i].addr, hmm_dax_level_str(b[i].level),
		       b[i].pfn, b[i].flags);
		return false;
	}
	return true;
}

/*
 * Leaves lv[0..n) cover [addr, addr + len), map pages of pgmap type pgmap
 * (ZONE_DEVICE unless HMM_DAX_PGMAP_NONE, never the zero page), show root
 * their pfns, and are writable as asked: 1 all, 0 none, -1 either.  Returns
 * the number of wrong leaves (the first few logged).
 */
static inline long check_leaves(struct __test_metadata *_metadata,
				unsigned int pgmap,
				const struct hmm_dax_leaf *lv, long n,
				const void *addr, unsigned long len,
				int writable)
{
	bool device = pgmap != HMM_DAX_PGMAP_NONE;
	unsigned long hole = leaves_cover(lv, n, addr, len);
	long i, bad = 0;
	bool ok;

	if (hole != (uintptr_t)addr + len) {
		TH_LOG("no leaf maps %#lx", hole);
		bad++;
	}
	for (i = 0; i < n; i++) {
		const struct hmm_dax_leaf *l = &lv[i];

		ok = !!(l->flags & HMM_DAX_LEAF_DEVICE) == device &&
		     HMM_DAX_LEAF_TYPE(l->flags) == pgmap &&
		     !(l->flags & (HMM_DAX_LEAF_ZERO |
				   HMM_DAX_LEAF_PFN_HIDDEN)) &&
		     l->pfn &&
		     (writable < 0 ||
		      !!(l->flags & HMM_DAX_LEAF_WRITE) == writable);
		if (!ok && bad++ < 4)
			TH_LOG("leaf %#llx %s pfn %#llx flags %#x: want pgmap %u, %s",
			       l->addr, hmm_dax_level_str(l->level), l->pfn,
			       l->flags, pgmap,
			       writable < 0 ? "any access" :
			       writable ? "writable" : "read-only");
	}
	return bad;
}

/*
 * Where to cut a hole: the middle of the first huge leaf of the mirrored
 * range (*huge set), else a page in the middle of the range.
 */
static inline char *hole_in_leaf(int fd, char *map, unsigned long size,
				 bool *huge)
{
	struct hmm_dax_leaf *lv = NULL;
	const struct hmm_dax_leaf *l;
	char *hole = map + size / 2 + 5 * SZ_4K;
	long n = dump(fd, map, size, &lv);

	l = n > 0 ? first_huge(lv, n) : NULL;
	*huge = l;
	if (l)
		hole = (char *)(uintptr_t)(l->addr + leaf_size(l) / 2);
	free(lv);
	return hole;
}

/* The pfn of the leaf mapping addr (0 if none). */
static inline __u64 leaf_pfn(int fd, const void *addr)
{
	struct hmm_dax_leaf *lv = NULL;
	const struct hmm_dax_leaf *l;
	long n = dump(fd, addr, SZ_4K, &lv);
	__u64 pfn = 0;

	l = n > 0 ? leaf_at(lv, n, addr) : NULL;
	if (l)
		pfn = l->pfn + (((uintptr_t)addr - l->addr) / SZ_4K);
	free(lv);
	return pfn;
}

/* ---- comparing the device's bytes with the CPU's ---- */

/* The device reads [addr, addr + len) as the CPU does (logged if not). */
static inline bool dev_equals_cpu_all(struct __test_metadata *_metadata, int fd,
				      const char *addr, unsigned long len)
{
	unsigned long chunk = len < CMP_CHUNK ? len : CMP_CHUNK;
	unsigned long done, n;
	char *buf = malloc(chunk);
	bool ok = true;
	long i;
	int ret;

	if (!buf) {
		TH_LOG("out of memory");
		return false;
	}
	for (done = 0; done < len && ok; done += n) {
		n = len - done < chunk ? len - done : chunk;
		ret = dev_read(fd, addr + done, buf, n);
		if (ret) {
			TH_LOG("device read %p+%#lx: %s", addr + done, n,
			       strerror(-ret));
			ok = false;
			break;
		}
		i = first_diff(buf, addr + done, n);
		if (i >= 0) {
			TH_LOG("at %p the device reads %#x, the CPU %#x",
			       addr + done + i, (unsigned char)buf[i],
			       (unsigned char)addr[done + i]);
			ok = false;
		}
	}
	free(buf);
	return ok;
}

/* The same, on the hmm_dax_windows() of the range. */
static inline bool dev_equals_cpu(struct __test_metadata *_metadata, int fd,
				  const char *addr, unsigned long len)
{
	unsigned long off[3], wlen;
	unsigned int i, n = hmm_dax_windows(len, off, &wlen);
	bool ok = true;

	for (i = 0; i < n; i++)
		ok &= dev_equals_cpu_all(_metadata, fd, addr + off[i], wlen);
	return ok;
}

/* The CPU reads the pattern at [p, p + len), p at offset off (logged). */
static inline bool cpu_has_pattern(struct __test_metadata *_metadata,
				   const char *p, unsigned long off,
				   unsigned long len, unsigned int seed)
{
	unsigned long woff[3], wlen;
	unsigned int i, n = hmm_dax_windows(len, woff, &wlen);
	long d;

	for (i = 0; i < n; i++) {
		d = pattern_diff(p + woff[i], off + woff[i], wlen, seed);
		if (d < 0)
			continue;
		TH_LOG("at %p the CPU reads %#x, pattern %u has %#x",
		       p + woff[i] + d, (unsigned char)p[woff[i] + d], seed,
		       pattern_byte(off + woff[i] + d, seed));
		return false;
	}
	return true;
}

/* The CPU writes the pattern to the hmm_dax_windows() of [p, p + len). */
static inline void cpu_fill(char *p, unsigned long len, unsigned int seed)
{
	unsigned long off[3], wlen;
	unsigned int i, n = hmm_dax_windows(len, off, &wlen);

	for (i = 0; i < n; i++)
		pattern_fill(p + off[i], off[i], wlen, seed);
}

/*
 * ---- races ----
 *
 * An invalidation that lands between hmm_range_fault() and the install
 * must be caught by mmu_interval_read_retry().  The driver's debug
 * parameter inject_delay_ms makes that window a sleep; race_rounds() waits
 * until the mirroring thread is seen asleep in it, then invalidates the
 * range (race->invalidate), and audits once the mirror returned.  What
 * counts as a hit is the rule of hmm_dax_helpers.h, which `hmm-dax compare
 * --scenario race` applies too.  A correct driver retries (the retry
 * counter moves) and audits clean.
 */
#define RACE_ROUNDS	8

struct race {
	int mfd;
	char *addr;
	unsigned long len;
	unsigned int flags;	/* of the mirror */
	int (*invalidate)(struct race *rc);	/* in the window: 0 or -1 */
	pid_t tid;		/* the mirror thread, once it runs */
	int done;		/* the mirror returned */
	int ret;
};

static inline int race_invalidate(void *arg)
{
	struct race *rc = arg;

	return rc->invalidate(rc);
}

static inline void *race_mirror(void *arg)
{
	struct race *rc = arg;

	__atomic_store_n(&rc->tid, (pid_t)syscall(SYS_gettid),
			 __ATOMIC_SEQ_CST);
	rc->ret = mirror(rc->mfd, rc->addr, rc->len, rc->flags, NULL);
	__atomic_store_n(&rc->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* One round: returns 1 if the invalidation landed in the window, else 0. */
static inline int race_round(struct __test_metadata *_metadata, struct race *rc)
{
	pthread_t t;
	int hit;

	rc->tid = 0;
	rc->done = 0;
	cpu_touch(rc->addr, rc->len);
	ASSERT_EQ(0, pthread_create(&t, NULL, race_mirror, rc)) return 0;
	while (!__atomic_load_n(&rc->tid, __ATOMIC_SEQ_CST))
		;
	hit = hmm_dax_race_once(rc->tid, &rc->done, race_invalidate, rc);
	pthread_join(t, NULL);
	EXPECT_EQ(0, rc->ret) TH_LOG("mirror: %s", strerror(-rc->ret));
	return hit;
}

/*
 * RACE_ROUNDS rounds of @rc over a mapping of @size bytes at @map: the
 * window must be hit at least once, each hit retried, no round stale.
 */
static inline void race_rounds(struct __test_metadata *_metadata,
			       struct race *rc, char *map, unsigned long size)
{
	struct hmm_dax_stats s0, s1;
	unsigned int r, hits = 0, stale_rounds = 0;
	long stale;

	if (access(RACE_PARAM, W_OK))
		HMM_DAX_SKIP(return, "%s: %s", RACE_PARAM, strerror(errno));
	ASSERT_EQ(0, stats(rc->mfd, &s0));
	ASSERT_EQ(0, sysfs_write(RACE_PARAM, HMM_DAX_RACE_WINDOW_MS));
	for (r = 0; r < RACE_ROUNDS; r++) {
		hits += race_round(_metadata, rc);
		stale = audit_stale(_metadata, rc->mfd, map, size);
		if (stale) {
			stale_rounds++;
			TH_LOG("round %u: %ld stale leaves", r, stale);
		}
		ASSERT_EQ(0, hd_ioctl(rc->mfd, HMM_DAX_RESET, NULL));
	}
	EXPECT_EQ(0, sysfs_write(RACE_PARAM, "0"));
	ASSERT_EQ(0, stats(rc->mfd, &s1));
	TH_LOG("%u of %u invalidations landed in the window; %llu retries",
	       hits, RACE_ROUNDS, s1.retries - s0.retries);
	ASSERT_LT(0, hits) TH_LOG("the window was never hit: nothing proven");
	EXPECT_LE(hits, s1.retries - s0.retries);
	EXPECT_EQ(0, stale_rounds);
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, rc->mfd));
}

#endif /* _HMM_DAX_UTIL_H */
