// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_races - mirrors racing invalidations, and a mirroring process's
 * exit, on every target (hmm_dax_target.h)
 *
 * concurrent: threads mirror small pieces while others invalidate them;
 * race_window: an invalidation lands inside the driver's install window
 * (widened by its debug parameter inject_delay_ms) and must be retried;
 * process_exit: the mirror of a process that exits is emptied and its
 * file refuses every command.  The race of fsdax writeback against a
 * write mirror, msync_race, is a file's and runs in hmm_dax_file.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <sched.h>
#include <sys/wait.h>

#include "hmm_dax_target.h"

#define DEBUGFS_DIR	"/sys/kernel/debug/hmm_dax"

/* Fixture mirror (hmm_dax_target.h), on every target. */
FIXTURE(mirror);

FIXTURE_VARIANT_ADD(mirror, ext4) {
	VARIANT_FSDAX("HMM_DAX_EXT4"),
};

FIXTURE_VARIANT_ADD(mirror, xfs) {
	VARIANT_FSDAX("HMM_DAX_XFS"),
};

FIXTURE_VARIANT_ADD(mirror, devdax_2m) {
	VARIANT_DEVDAX_2M,
};

FIXTURE_VARIANT_ADD(mirror, devdax_1g) {
	VARIANT_DEVDAX_1G,
};

FIXTURE_VARIANT_ADD(mirror, tmpfs) {
	VARIANT_TMPFS,
};

FIXTURE_SETUP(mirror)
{
	HMM_DAX_MARK();
	hmm_dax_target_setup(_metadata, self, variant);
}

FIXTURE_TEARDOWN(mirror)
{
	hmm_dax_target_teardown(_metadata, self);
}

/*
 * The values of debugfs mirror<id>/stats whose names match the shell
 * pattern @name, summed into @val: 0, -ENOENT if none matches, or -errno.
 */
static int debugfs_stat(__u64 id, const char *name, unsigned long long *val)
{
	char path[PATH_MAX], key[64];
	unsigned long long v;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/mirror%llu/stats", id);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	*val = 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!fnmatch(name, key, 0)) {
			*val += v;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* The leaves of every level (leaves_*) in debugfs, or -errno. */
static long long debugfs_leaves(__u64 id)
{
	unsigned long long v;
	int ret = debugfs_stat(id, "leaves_*", &v);

	return ret ? ret : (long long)v;
}

/* A mirroring process's exit empties its mirror; others get EPERM. */
TEST_F_TIMEOUT(mirror, process_exit, MIRROR_TIMEOUT)
{
	struct {
		int ret;
		int fd;
		__u64 id;
	} msg = { 0 };
	int to_parent[2], to_child[2], status, pidfd, fd;
	struct hmm_dax_range r = {
		.addr = (uintptr_t)self->map,
		.len = SZ_4K,
	};
	struct hmm_dax_dump d = {
		.addr = (uintptr_t)self->map,
		.len = SZ_4K,
	};
	struct hmm_dax_stats s;
	unsigned long long v;
	char dir[PATH_MAX];
	long long leaves;
	pid_t pid;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(to_parent[0]);
		close(to_child[1]);
		msg.fd = open("/dev/hmm_dax1", O_RDWR);
		msg.ret = msg.fd < 0 ? -errno :
			  mirror(msg.fd, self->map, self->size, 0, NULL);
		if (!msg.ret) {
			msg.ret = stats(msg.fd, &s);
			msg.id = s.id;
		}
		if (write(to_parent[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		/* until the parent closes its end */
		while (read(to_child[0], &status, sizeof(status)) > 0)
			;
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(sizeof(msg), read(to_parent[0], &msg, sizeof(msg)));
	ASSERT_EQ(0, msg.ret) TH_LOG("child: %s", strerror(-msg.ret));
	snprintf(dir, sizeof(dir), DEBUGFS_DIR "/mirror%llu", msg.id);
	leaves = debugfs_leaves(msg.id);
	TH_LOG("mirror %llu of the child: %lld leaves", msg.id, leaves);
	ASSERT_LT(0, leaves) TH_LOG("%s/stats: %s", dir,
				    strerror(leaves < 0 ? -leaves : 0));

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd) TH_LOG("pidfd_open: %s", strerror(errno));
	fd = syscall(SYS_pidfd_getfd, pidfd, msg.fd, 0);
	ASSERT_LE(0, fd) TH_LOG("pidfd_getfd: %s", strerror(errno));
	close(pidfd);
	close(to_child[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	EXPECT_EQ(0, debugfs_leaves(msg.id));
	if (!debugfs_stat(msg.id, "invalidations", &v))
		TH_LOG("after the exit: %llu invalidations", v);
	EXPECT_EQ(EPERM, ioctl_errno(fd, HMM_DAX_STATS, &s));
	EXPECT_EQ(EPERM, ioctl_errno(fd, HMM_DAX_MIRROR, &r));
	EXPECT_EQ(EPERM, ioctl_errno(fd, HMM_DAX_DUMP, &d));
	EXPECT_EQ(EPERM, ioctl_errno(fd, HMM_DAX_RESET, NULL));
	close(fd);
	EXPECT_NE(0, access(dir, F_OK))
		TH_LOG("%s outlived the last file of its mirror", dir);
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
}

/*
 * concurrent: two threads mirror small pieces while two others invalidate
 * the piece each is on, so that invalidations land between
 * hmm_range_fault() and the driver's mmu_interval_read_retry().  Rounds end
 * at a barrier where the audit must find nothing stale.
 *
 *   mirror thread i:  mirror(piece p), p over its half, cur[i] = p
 *   thrash thread i:  on each new cur[i]: wait a varying number of
 *                     loads (to sweep the window on parallel CPUs),
 *                     invalidate piece cur[i] (MADV_DONTNEED, or munmap
 *                     + mmap of its device-dax unit), CPU-touch a piece
 *                     ahead
 *
 * Under single-threaded TCG the vCPUs take turns: each turn of the thrash
 * CPU finds the mirror thread stopped at a random point, inside the window
 * as often as it spends there.  No sleeps: everything is counted.
 */
#define CONC_ROUNDS	32
#define CONC_PIECE	(4 * SZ_4K)
#define CONC_JITTER	4096	/* longest delay before an invalidation */

struct conc {
	int mfd;
	int fd;			/* the target, for device-dax remaps */
	char *base;		/* the working range: the mapping's start */
	unsigned long len;	/* and its length */
	unsigned long unit;	/* device-dax: munmap/mmap unit; 0: madvise */
	pthread_barrier_t go, stop;
	unsigned long cur[2];	/* the piece mirror thread i is on */
	int busy[2];		/* mirror thread i is in its round */
	unsigned long mirrors, ebusy, efault, ops;
	int err;		/* first unexpected errno */
	const char *err_what;
};

struct conc_thread {
	struct conc *c;
	int i;			/* which half of the working range */
	int cpu;		/* -1: not pinned */
	pthread_t tid;
};

static void conc_fail(struct conc *c, const char *what, int err)
{
	int none = 0;

	if (__atomic_compare_exchange_n(&c->err, &none, err, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		c->err_what = what;
}

static void conc_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *conc_mirror(void *arg)
{
	struct conc_thread *t = arg;
	struct conc *c = t->c;
	unsigned long n = c->len / CONC_PIECE / 2, first = t->i * n, p;
	unsigned int r;
	int ret;

	conc_pin(t->cpu);
	for (r = 0; r < CONC_ROUNDS; r++) {
		pthread_barrier_wait(&c->go);
		for (p = first; p < first + n; p++) {
			__atomic_store_n(&c->cur[t->i], p, __ATOMIC_SEQ_CST);
			ret = mirror(c->mfd, c->base + p * CONC_PIECE,
				     CONC_PIECE, 0, NULL);
			__atomic_add_fetch(&c->mirrors, 1, __ATOMIC_RELAXED);
			if (ret == -EBUSY)
				__atomic_add_fetch(&c->ebusy, 1,
						   __ATOMIC_RELAXED);
			else if (ret == -EFAULT && c->unit)
				/* between a munmap and its mmap */
				__atomic_add_fetch(&c->efault, 1,
						   __ATOMIC_RELAXED);
			else if (ret)
				conc_fail(c, "mirror", -ret);
		}
		__atomic_store_n(&c->busy[t->i], 0, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&c->stop);
	}
	return NULL;
}

/* Invalidate piece p, as thrash thread i. */
static void conc_invalidate(struct conc *c, int i, unsigned long p)
{
	unsigned long half = c->len / 2, off = p * CONC_PIECE, u;
	char *piece = c->base + off, *m;

	if (c->unit && (c->unit <= half || i == 0)) {
		u = off & ~(c->unit - 1);
		if (munmap(c->base + u, c->unit))
			conc_fail(c, "munmap", errno);
		m = mmap(c->base + u, c->unit, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, c->fd, u);
		if (m != c->base + u)
			conc_fail(c, "mmap", errno);
		return;
	}
	/* device-dax: the unit is thread 0's to remap; it may be unmapped */
	if (madvise(piece, CONC_PIECE, MADV_DONTNEED) &&
	    !(c->unit && errno == ENOMEM))
		conc_fail(c, "madvise", errno);
	if (!c->unit && off % half + 3 * CONC_PIECE <= half)
		cpu_touch(piece + 2 * CONC_PIECE, CONC_PIECE);
}

/* A delay counted in loads, not in time. */
static void conc_delay(unsigned long n)
{
	static int sink;

	while (n--)
		(void)__atomic_load_n(&sink, __ATOMIC_RELAXED);
}

static void *conc_thrash(void *arg)
{
	struct conc_thread *t = arg;
	struct conc *c = t->c;
	unsigned long p, last;
	unsigned int r;

	conc_pin(t->cpu);
	for (r = 0; r < CONC_ROUNDS; r++) {
		pthread_barrier_wait(&c->go);
		last = ULONG_MAX;
		while (__atomic_load_n(&c->busy[t->i], __ATOMIC_SEQ_CST)) {
			p = __atomic_load_n(&c->cur[t->i], __ATOMIC_SEQ_CST);
			if (p == last) {
				sched_yield();
				continue;
			}
			last = p;
			conc_delay((p * 2654435761UL + r) % CONC_JITTER);
			p = __atomic_load_n(&c->cur[t->i], __ATOMIC_SEQ_CST);
			conc_invalidate(c, t->i, p);
			__atomic_add_fetch(&c->ops, 1, __ATOMIC_RELAXED);
		}
		pthread_barrier_wait(&c->stop);
	}
	return NULL;
}

/* Mirrors racing invalidations of their own pieces leave nothing stale. */
TEST_F_TIMEOUT(mirror, concurrent, MIRROR_TIMEOUT)
{
	struct conc c = {
		.mfd = self->mfd,
		.fd = self->fd,
		.base = self->map,
		.len = self->size < TARGET_SIZE ? self->size : TARGET_SIZE,
		.unit = variant->target == TARGET_DEVDAX ? variant->align : 0,
	};
	struct hmm_dax_stats s0, s1;
	struct conc_thread t[4];
	unsigned int r, i, bad_rounds = 0;
	long stale, total = 0;
	cpu_set_t cpus;
	int ncpu = 1;

	if (!sched_getaffinity(0, sizeof(cpus), &cpus))
		ncpu = CPU_COUNT(&cpus);
	ASSERT_EQ(0, pthread_barrier_init(&c.go, NULL, 5));
	ASSERT_EQ(0, pthread_barrier_init(&c.stop, NULL, 5));
	ASSERT_EQ(0, stats(self->mfd, &s0));
	c.busy[0] = 1;
	c.busy[1] = 1;
	for (i = 0; i < 4; i++) {
		t[i].c = &c;
		t[i].i = i % 2;
		/* mirrors on one CPU, invalidations on another */
		t[i].cpu = ncpu >= 2 ? i / 2 : -1;
		ASSERT_EQ(0, pthread_create(&t[i].tid, NULL,
					    i < 2 ? conc_mirror : conc_thrash,
					    &t[i]));
	}
	for (r = 0; r < CONC_ROUNDS; r++) {
		__atomic_store_n(&c.busy[0], 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&c.busy[1], 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&c.go);
		pthread_barrier_wait(&c.stop);
		/* all four threads wait at go: nothing is in flight */
		stale = audit_stale(_metadata, self->mfd, c.base, c.len);
		if (stale) {
			bad_rounds++;
			total += stale > 0 ? stale : 0;
			TH_LOG("round %u: %ld stale leaves", r, stale);
		}
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i].tid, NULL);
	ASSERT_EQ(0, stats(self->mfd, &s1));
	TH_LOG("%d CPUs; %lu mirrors (%lu EBUSY, %lu EFAULT), %lu invalidating ops",
	       ncpu, c.mirrors, c.ebusy, c.efault, c.ops);
	TH_LOG("stats: %llu retries, %llu invalidations",
	       s1.retries - s0.retries, s1.invalidations - s0.invalidations);
	ASSERT_EQ(0, c.err) TH_LOG("%s: %s", c.err_what, strerror(c.err));
	EXPECT_EQ(0, bad_rounds) TH_LOG("%ld stale leaves in all", total);
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, c.base, c.len));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	pthread_barrier_destroy(&c.go);
	pthread_barrier_destroy(&c.stop);
}

static int race_dontneed(struct race *rc)
{
	return madvise(rc->addr, rc->len, MADV_DONTNEED);
}

/* An invalidation inside the install window is retried, never installed. */
TEST_F_TIMEOUT(mirror, race_window, MIRROR_TIMEOUT)
{
	struct race rc = {
		.mfd = self->mfd,
		.addr = self->map,
		.len = SZ_2M,
		.invalidate = race_dontneed,
	};

	race_rounds(_metadata, &rc, self->map, self->size);
}

TEST_HARNESS_MAIN
