// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax fuzz: commands with random and boundary fields, against two
 * mirrors of one target, while racer threads munmap, mprotect, madvise,
 * mremap, fork and exit over the same range.
 *
 *   [ guard ][ region: the target, --size bytes ][ guard ]   PROT_NONE guards
 *
 * Seeded: every thread draws from a generator of its own, seeded from
 * --seed, so a seed replays the same commands and racer operations (the
 * interleaving may differ).  Device writes go only to the region and its
 * guards, or to addresses nothing can map.  A racer never leaves a hole
 * another mapping could take: it replaces a piece (mmap MAP_FIXED) instead
 * of unmapping it, and moves a piece away and back at once (mremap).
 *
 * At the end, the racers stopped and the region mapped afresh: every
 * command failed only with an errno its command documents, both mirrors
 * mirror the region again and audit clean over the whole address space,
 * the dev_pagemap references are balanced once they are closed, and the
 * kernel logged no report.  A failure prints the seed to replay it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "hmm-dax.h"
#include "hmm_dax_helpers.h"

#define FUZZ_RACERS_MAX	8
#define FUZZ_RECENT	16	/* commands shown after a failure */
#define FUZZ_BUF	(256 * 1024)
#define FUZZ_REMIRROR_TRIES	10	/* EBUSY retries of the final mirror */

struct fuzz {
	struct target *t;
	char *map;		/* the region */
	size_t len;
	size_t grain;		/* what a racer changes at once */
	int mfd[2];
	unsigned long long seed;
	struct timespec end;
	int stop;
	unsigned long long cmds;
	unsigned long long racer_ops;
	unsigned long long odd;	/* errnos no command documents */
	char recent[FUZZ_RECENT][160];
	unsigned int nrecent;
};

struct racer {
	struct fuzz *f;
	unsigned long long rng;
	char *scratch;		/* a reservation to mremap pieces into */
};

/* xorshift64*: the same numbers for the same seed, on every machine. */
static unsigned long long rnd(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned long long rnd_below(unsigned long long *s,
				    unsigned long long n)
{
	return n ? rnd(s) % n : 0;
}

static int expired(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static int fuzz_open(unsigned int device)
{
	char node[32];

	snprintf(node, sizeof(node), "/dev/hmm_dax%u",
		 device % HMM_DAX_NR_DEVICES);
	return open(node, O_RDWR | O_CLOEXEC);
}

/* Map the target's bytes [off, off + n) over the region's, in place. */
static int fuzz_map_at(struct fuzz *f, size_t off, size_t n, int prot)
{
	int anon = f->t->kind == TARGET_ANON;
	void *p = mmap(f->map + off, n, prot,
		       MAP_FIXED | (anon ? MAP_PRIVATE | MAP_ANONYMOUS :
				   MAP_SHARED), anon ? -1 : f->t->fd, off);

	return p == MAP_FAILED ? -errno : 0;
}

/* ---- the racers ---- */

static void racer_fork(struct fuzz *f, unsigned long long *rng, int child_mirrors)
{
	size_t off = rnd_below(rng, f->len / SZ_4K) * SZ_4K;
	struct hmm_dax_stats s;
	pid_t pid = fork();
	int fd, status, bad = 0;

	if (pid < 0)
		return;
	if (!pid) {
		/* the parent's mirror is not this mm's: EPERM */
		bad = !ioctl(f->mfd[0], HMM_DAX_STATS, &s) || errno != EPERM;
		(void)__atomic_load_n(f->map + off, __ATOMIC_RELAXED);
		if (child_mirrors) {
			/* a mirror of its own, left for exit to tear down */
			fd = fuzz_open(2);
			if (fd >= 0) {
				struct hmm_dax_range r = {
					.addr = (unsigned long)f->map,
					.len = f->len,
				};

				ioctl(fd, HMM_DAX_MIRROR, &r);
			}
		}
		_exit(bad);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status))
		__atomic_add_fetch(&f->odd, 1, __ATOMIC_RELAXED);
}

static void racer_op(struct racer *rc)
{
	struct fuzz *f = rc->f;
	size_t grains = f->len / f->grain;
	size_t off = rnd_below(&rc->rng, grains) * f->grain;
	size_t n = off + 2 * f->grain <= f->len && rnd_below(&rc->rng, 2) ?
		   2 * f->grain : f->grain;
	static const int advice[] = {
		MADV_DONTNEED, MADV_FREE, MADV_PAGEOUT, MADV_COLD,
	};
	void *p;

	switch (rnd_below(&rc->rng, 6)) {
	case 0:		/* munmap, as a replacement: no hole ever */
		fuzz_map_at(f, off, n, PROT_READ | PROT_WRITE);
		break;
	case 1:
		mprotect(f->map + off, n, rnd_below(&rc->rng, 2) ?
			 PROT_READ : PROT_NONE);
		mprotect(f->map + off, n, PROT_READ | PROT_WRITE);
		break;
	case 2:
		madvise(f->map + off, n,
			advice[rnd_below(&rc->rng, ARRAY_SIZE(advice))]);
		break;
	case 3:		/* mremap away and back */
		p = mremap(f->map + off, n, n, MREMAP_MAYMOVE | MREMAP_FIXED,
			   rc->scratch);
		if (p != MAP_FAILED &&
		    mremap(p, n, n, MREMAP_MAYMOVE | MREMAP_FIXED,
			   f->map + off) == MAP_FAILED)
			fuzz_map_at(f, off, n, PROT_READ | PROT_WRITE);
		break;
	case 4:
		racer_fork(f, &rc->rng, 0);
		break;
	default:	/* a process that mirrors and exits */
		racer_fork(f, &rc->rng, 1);
		break;
	}
	__atomic_add_fetch(&f->racer_ops, 1, __ATOMIC_RELAXED);
}

static void *racer_thread(void *arg)
{
	struct racer *rc = arg;

	while (!__atomic_load_n(&rc->f->stop, __ATOMIC_RELAXED))
		racer_op(rc);
	return NULL;
}

/* ---- the commands ---- */

/* An address: mostly in or around the region, else a boundary. */
static unsigned long long fuzz_addr(struct fuzz *f, unsigned long long *rng,
				    int in_region)
{
	static const unsigned long long edges[] = {
		0, SZ_4K, 1ULL << 47, (1ULL << 47) - SZ_4K, 1ULL << 48,
		(1ULL << 48) - SZ_4K, (1ULL << 56) - SZ_4K,
		0xffff800000000000ULL, ~0ULL & ~(SZ_4K - 1), ~0ULL,
	};
	unsigned long long base = (unsigned long)f->map - f->grain;
	unsigned long long span = f->len + 2 * f->grain;
	unsigned int pick = rnd_below(rng, 10);

	if (pick < 6 || in_region)
		return base + rnd_below(rng, span / SZ_4K) * SZ_4K;
	if (pick < 8)
		return base + rnd_below(rng, span);
	return edges[rnd_below(rng, ARRAY_SIZE(edges))];
}

static unsigned long long fuzz_len(struct fuzz *f, unsigned long long *rng)
{
	static const unsigned long long edges[] = {
		0, 1, SZ_4K - 1, SZ_4K, SZ_4K + 1, SZ_2M, SZ_1G, 1ULL << 40,
		~0ULL & ~(SZ_4K - 1), ~0ULL,
	};

	if (rnd_below(rng, 4))
		return (1 + rnd_below(rng, f->len / SZ_4K)) * SZ_4K;
	return edges[rnd_below(rng, ARRAY_SIZE(edges))];
}

/* A user pointer to a buffer: mostly @good, else one that is not. */
static unsigned long long fuzz_ptr(unsigned long long *rng, void *good)
{
	static const unsigned long long bad[] = {
		0, 8, 0xffff888000000000ULL, ~0ULL & ~7ULL,
	};

	if (rnd_below(rng, 8))
		return (unsigned long)good;
	return bad[rnd_below(rng, ARRAY_SIZE(bad))];
}

/*
 * A count for an array of @cap entries in the fuzz buffer: within it, or
 * beyond the command's @limit (refused whole), never between the two.
 */
static unsigned long long fuzz_max(unsigned long long *rng, size_t cap,
				   unsigned long long limit)
{
	if (rnd_below(rng, 8))
		return rnd_below(rng, cap + 1);
	return limit + 1 + rnd_below(rng, 1ULL << 40);
}

/*
 * The range of a device read or write: in and around the region, never
 * past its guards, at most the fuzz buffer; or, rarely, one the kernel
 * refuses whole.  A write never reaches user memory but the region's.
 */
static void fuzz_access(struct fuzz *f, unsigned long long *rng, bool write,
			struct hmm_dax_access *a)
{
	static const unsigned long long nowhere[] = {
		0, SZ_4K, (1ULL << 56) - SZ_4K, 0xffff800000000000ULL,
		~0ULL & ~(SZ_4K - 1),
	};
	static const unsigned long long lens[] = {
		0, HMM_DAX_MAX_ACCESS + 1ULL, ~0ULL,
	};
	unsigned long long end = (unsigned long)f->map + f->len + f->grain;

	a->addr = fuzz_addr(f, rng, 1) + rnd_below(rng, SZ_4K);
	if (a->addr >= end)
		a->addr = end - 1;
	a->len = 1 + rnd_below(rng, end - a->addr < FUZZ_BUF ?
				    end - a->addr : FUZZ_BUF);
	if (!rnd_below(rng, 8))
		a->addr = write ? nowhere[rnd_below(rng, ARRAY_SIZE(nowhere))] :
			  fuzz_addr(f, rng, 0);
	if (!rnd_below(rng, 16))
		a->len = lens[rnd_below(rng, ARRAY_SIZE(lens))];
}

/* The errnos each command documents (hmm_dax_uapi.h); EFAULT for all. */
static const struct {
	const char *name;
	int errnos[7];		/* ends at 0 */
} fuzz_cmds[] = {
	{ "mirror", { EINVAL, EPERM, EBUSY, ENOMEM, EINTR, EOPNOTSUPP } },
	{ "dump", { EINVAL, E2BIG, ENOMEM } },
	{ "read", { EINVAL, E2BIG, EBUSY, ENOMEM, EINTR } },
	{ "write", { EINVAL, E2BIG, EPERM, EBUSY, ENOMEM, EINTR } },
	{ "stats", { 0 } },
	{ "events", { EINVAL, ENOMEM } },
	{ "audit", { EINVAL, E2BIG, EBUSY, ENOMEM, EINTR } },
	{ "reset", { 0 } },
	{ "unknown", { ENOTTY } },
};

/* Whether command @c documents @err. */
static bool fuzz_documented(unsigned int c, int err)
{
	const int *e;

	if (!err || err == EFAULT)
		return true;
	for (e = fuzz_cmds[c].errnos; *e; e++)
		if (*e == err)
			return true;
	return false;
}

/* One command; records it, and counts an errno it does not document. */
static void fuzz_cmd(struct fuzz *f, unsigned long long *rng, void *buf)
{
	unsigned int c = rnd_below(rng, ARRAY_SIZE(fuzz_cmds));
	int fd = f->mfd[rnd_below(rng, 2)], ret, err;
	union {
		struct hmm_dax_range r;
		struct hmm_dax_dump d;
		struct hmm_dax_access a;
		struct hmm_dax_stats s;
		struct hmm_dax_events e;
		struct hmm_dax_audit au;
	} u;
	unsigned long cmd;
	char *line;

	memset(&u, 0, sizeof(u));
	switch (c) {
	case 0:
		u.r.addr = fuzz_addr(f, rng, 0);
		u.r.len = fuzz_len(f, rng);
		/* mostly valid: write, snapshot or neither, either entry */
		u.r.flags = rnd_below(rng, 8) ? rnd_below(rng, 3) |
			    (rnd_below(rng, 2) ? HMM_DAX_MIRROR_UNLOCKED : 0) :
			    rnd(rng);
		u.r.reserved = !rnd_below(rng, 16);
		cmd = HMM_DAX_MIRROR;
		break;
	case 1:
		u.d.addr = fuzz_addr(f, rng, 0);
		u.d.len = fuzz_len(f, rng);
		u.d.leaves = fuzz_ptr(rng, buf);
		u.d.max = fuzz_max(rng, FUZZ_BUF / sizeof(struct hmm_dax_leaf),
				   HMM_DAX_MAX_DUMP);
		cmd = HMM_DAX_DUMP;
		break;
	case 2:
	case 3:
		fuzz_access(f, rng, c == 3, &u.a);
		u.a.buf = fuzz_ptr(rng, buf);
		cmd = c == 2 ? HMM_DAX_READ : HMM_DAX_WRITE;
		break;
	case 4:
		cmd = HMM_DAX_STATS;
		break;
	case 5:
		u.e.events = fuzz_ptr(rng, buf);
		u.e.max = fuzz_max(rng, HMM_DAX_EVENT_LOG, HMM_DAX_EVENT_LOG);
		cmd = HMM_DAX_EVENTS;
		break;
	case 6:
		u.au.addr = fuzz_addr(f, rng, 0);
		u.au.len = fuzz_len(f, rng);
		u.au.stale = rnd_below(rng, 4) ? fuzz_ptr(rng, buf) : 0;
		u.au.max = fuzz_max(rng, FUZZ_BUF / sizeof(struct hmm_dax_stale),
				    HMM_DAX_MAX_AUDIT);
		cmd = HMM_DAX_AUDIT;
		break;
	case 7:
		cmd = HMM_DAX_RESET;
		break;
	default:
		cmd = _IOWR(HMM_DAX_IOC_TYPE, 0x08 + rnd_below(rng, 0xf0),
			    struct hmm_dax_range);
		break;
	}
	ret = ioctl(fd, cmd, !rnd_below(rng, 64) ? NULL : &u);
	err = ret ? errno : 0;
	line = f->recent[f->nrecent++ % FUZZ_RECENT];
	snprintf(line, sizeof(f->recent[0]),
		 "%s %#llx+%#llx flags/max %#llx: %s", fuzz_cmds[c].name,
		 (unsigned long long)u.r.addr, (unsigned long long)u.r.len,
		 c == 0 ? (unsigned long long)u.r.flags :
		 (unsigned long long)u.d.max, err ? strerror(err) : "ok");
	f->cmds++;
	if (!fuzz_documented(c, err)) {
		if (!f->odd)
			out_str("first_odd", "undocumented errno: %s\n", line);
		f->odd++;
	}
}

/* ---- the end ---- */

/*
 * The end of what the audit may cover: TASK_SIZE, 2^47 - 4 KiB with
 * 4-level paging; with 5-level paging (a page maps at 2^47) the 48 bits
 * the device page table covers.
 */
static unsigned long long fuzz_top(void)
{
	void *p = mmap((void *)(1UL << 47), SZ_4K, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return (1ULL << 47) - SZ_4K;
	munmap(p, SZ_4K);
	return 1ULL << 48;
}

/*
 * HMM_DAX_MIRROR of the restored region, again while it is EBUSY (the
 * driver gives a range up after a second of invalidations; a write mirror
 * over zero-page entries invalidates them itself, and a debug kernel under
 * TCG can spend that second on one chunk): 0, or -1 with errno.
 */
static int fuzz_remirror(int fd, struct hmm_dax_range *r)
{
	unsigned int tries;
	int ret = -1;

	for (tries = 1; tries <= FUZZ_REMIRROR_TRIES; tries++) {
		ret = ioctl(fd, HMM_DAX_MIRROR, r);
		if (!ret || errno != EBUSY)
			break;
	}
	if (tries > 1)
		out_text("mirror of the restored region: %u tries (EBUSY)\n",
			 tries > FUZZ_REMIRROR_TRIES ? FUZZ_REMIRROR_TRIES : tries);
	return ret;
}

/* Both mirrors mirror the region and audit clean everywhere: stale leaves. */
static unsigned long long fuzz_audit(struct fuzz *f)
{
	unsigned long long top = fuzz_top();
	unsigned long long stale = 0;
	struct hmm_dax_stale st[8];
	struct hmm_dax_audit a;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct hmm_dax_range r = {
			.addr = (unsigned long)f->map, .len = f->len,
			.flags = HMM_DAX_MIRROR_WRITE,
		};

		if (fuzz_remirror(f->mfd[i], &r)) {
			out_str("remirror", "mirror of the restored region: %s\n",
				strerror(errno));
			stale++;
		}
		memset(&a, 0, sizeof(a));
		a.addr = SZ_4K;
		a.len = top - SZ_4K;
		a.stale = (unsigned long)st;
		a.max = ARRAY_SIZE(st);
		if (ioctl(f->mfd[i], HMM_DAX_AUDIT, &a)) {
			out_str("audit", "audit: %s\n", strerror(errno));
			stale++;
		}
		stale += a.nr_stale;
		print_stale(st, a.count);
	}
	return stale;
}

/* References held once every mirror is closed. */
static long long fuzz_refs(struct fuzz *f, unsigned int device)
{
	struct hmm_dax_stats s;
	int fd;

	close(f->mfd[0]);
	close(f->mfd[1]);
	f->mfd[0] = -1;
	f->mfd[1] = -1;
	fd = fuzz_open(device);
	if (fd < 0 || ioctl(fd, HMM_DAX_STATS, &s)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return s.pgmap_gets - s.pgmap_puts;
}

static int fuzz_setup(struct fuzz *f, struct target *t, unsigned int device)
{
	size_t align = t->unit, guard;
	char *res;

	f->t = t;
	f->len = t->size;
	f->grain = t->kind == TARGET_DEVDAX ? t->unit : SZ_4K;
	guard = f->grain;
	res = mmap(NULL, f->len + 2 * guard + align, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return out_error("mmap: %s", strerror(errno));
	f->map = (char *)(((unsigned long)res + guard + align - 1) &
			  ~(align - 1));
	if (fuzz_map_at(f, 0, f->len, PROT_READ | PROT_WRITE))
		return out_error("%s: mmap: %s", t->path, strerror(errno));
	f->mfd[0] = fuzz_open(device);
	f->mfd[1] = fuzz_open(device + 1);
	if (f->mfd[0] < 0 || f->mfd[1] < 0)
		return out_error("open /dev/hmm_dax%u and the next: %s", device,
				 strerror(errno));
	return 0;
}

int cmd_fuzz(const struct opts *o, int argc, char **argv)
{
	struct racer racers[FUZZ_RACERS_MAX];
	struct fuzz f = { .mfd = { -1, -1 } };
	unsigned long long stale, reports, rng;
	pthread_t th[FUZZ_RACERS_MAX];
	unsigned int i, n = 0;
	long long held;
	struct target t;
	void *buf;
	int ret;

	(void)argc;
	if (o->threads > FUZZ_RACERS_MAX)
		return out_error("--threads: at most %u racers", FUZZ_RACERS_MAX);
	f.seed = o->seed_set ? o->seed : (unsigned long long)time(NULL);
	ret = target_open(&t, argv[0], o->size ? o->size : 16 * SZ_2M);
	if (ret)
		return ret;
	buf = malloc(FUZZ_BUF);
	ret = buf ? fuzz_setup(&f, &t, o->device) : out_error("out of memory");
	if (ret)
		goto out;
	memset(buf, 0x5a, FUZZ_BUF);
	out_u64("seed", "fuzz: seed %llu", f.seed);
	out_str("target", ", %s", t.path);
	out_u64("threads", ", %llu racers", o->threads);
	out_u64("seconds", ", %llu s", o->seconds);
	out_hex("region", "; the region at %#llx", (unsigned long)f.map);
	out_u64("region_bytes", " (%llu bytes)\n", f.len);
	hmm_dax_mark("fuzz seed %llu %s", f.seed, t.path);
	kmsg_open();

	clock_gettime(CLOCK_MONOTONIC, &f.end);
	f.end.tv_sec += o->seconds;
	for (i = 0; i < o->threads; i++) {
		racers[i].f = &f;
		racers[i].rng = f.seed * 2 + 2 * i + 3;
		racers[i].scratch = mmap(NULL, 2 * f.grain, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS |
					 MAP_NORESERVE, -1, 0);
		if (racers[i].scratch != MAP_FAILED &&
		    !pthread_create(&th[n], NULL, racer_thread, &racers[i]))
			n++;
	}
	rng = f.seed * 2 + 1;
	while (!expired(&f.end)) {
		fuzz_cmd(&f, &rng, buf);
		if (!(f.cmds % 4096))
			out_progress("fuzz %s: %llu commands, %llu racer operations",
				     t.path, f.cmds, f.racer_ops);
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);

	/* the region afresh, then the checks */
	ret = fuzz_map_at(&f, 0, f.len, PROT_READ | PROT_WRITE);
	stale = fuzz_audit(&f);
	held = fuzz_refs(&f, o->device);
	reports = kmsg_scan(NULL, NULL, 0);
	kmsg_close();
	out_u64("commands", "%llu commands,", f.cmds);
	out_u64("racer_operations", " %llu racer operations,", f.racer_ops);
	out_u64("undocumented_errors", " %llu undocumented errors,", f.odd);
	out_u64("stale_leaves", " %llu stale leaves,", stale);
	out_u64("references_held", " %llu references held,",
		held < 0 ? ~0ULL : (unsigned long long)held);
	out_u64("kernel_reports", " %llu kernel reports\n", reports);
	ret = ret || f.odd || stale || held || reports ?
	      HMM_DAX_EXIT_DIVERGE : 0;
	if (ret) {
		out_open_array("recent_commands");
		for (i = 0; i < FUZZ_RECENT && i < f.nrecent; i++)
			out_str(NULL, "  %s\n",
				f.recent[(f.nrecent + i) % FUZZ_RECENT]);
		out_close_array();
		out_text("replay: hmm-dax fuzz --seed %llu --seconds %u --threads %u %s\n",
			 f.seed, o->seconds, o->threads, t.path);
	}
	out_str("verdict", "verdict: %s\n", ret ? "fail" : "clean");
out:
	if (f.mfd[0] >= 0)
		close(f.mfd[0]);
	if (f.mfd[1] >= 0)
		close(f.mfd[1]);
	free(buf);
	target_close(&t);
	return ret;
}
