// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_reclaim - a device write survives reclaim of the page it wrote
 *
 * The mirror of memory that reclaim may take (anonymous, shared or a
 * page-cache file) must mark what the device writes dirty, as a DMA write
 * must; see fixture reclaim below.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>
#include <sys/resource.h>

#include "hmm_dax_util.h"

/*
 * reclaim: a writable CPU entry is not a dirty one.  A device write through
 * a leaf of such an entry must mark the page dirty, as a DMA write must,
 * or reclaim drops the page and the write with it.  Each variant brings
 * RECLAIM_PAGES pages into a state where reclaim may find clean entries:
 *
 *   variant        memory                      how
 *   lazyfree       anonymous, private          CPU write, MADV_FREE
 *   swapped_anon   anonymous, private          CPU write, MADV_PAGEOUT
 *                                              (to swap), CPU read
 *   swapped_shmem  anonymous, shared (shmem)   likewise
 *   pagecache      ext4 file, not DAX          CPU write, fsync
 *
 * then mirrors them for write, noting whether that faulted (a clean
 * writable entry needs no fault: which kinds have them differs by kernel),
 * writes the first half through the device and MADV_PAGEOUTs all of them.
 * The second half proves that reclaim ran (dropped, or unmapped); the
 * first must read what the device wrote.
 */
#define RECLAIM_PAGES	16

enum reclaim_kind {
	RECLAIM_LAZYFREE,
	RECLAIM_SWAPPED,
	RECLAIM_PAGECACHE,
};

FIXTURE(reclaim) {
	char path[PATH_MAX];
	int fd;
	int mfd;
	char *map;
};

FIXTURE_VARIANT(reclaim) {
	enum reclaim_kind kind;
	int flags;		/* of mmap() */
};

FIXTURE_VARIANT_ADD(reclaim, lazyfree) {
	.kind = RECLAIM_LAZYFREE, .flags = MAP_PRIVATE | MAP_ANONYMOUS,
};

FIXTURE_VARIANT_ADD(reclaim, swapped_anon) {
	.kind = RECLAIM_SWAPPED, .flags = MAP_PRIVATE | MAP_ANONYMOUS,
};

FIXTURE_VARIANT_ADD(reclaim, swapped_shmem) {
	.kind = RECLAIM_SWAPPED, .flags = MAP_SHARED | MAP_ANONYMOUS,
};

FIXTURE_VARIANT_ADD(reclaim, pagecache) {
	.kind = RECLAIM_PAGECACHE, .flags = MAP_SHARED,
};

/* Whether any swap is on. */
static bool swap_on(void)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;
}

/* Pages of [p, p + n pages) the CPU maps (/proc/self/pagemap), or -errno. */
static long mapped_pages(char *p, unsigned long n)
{
	__u64 e[RECLAIM_PAGES];
	unsigned long i;
	long r = 0;
	int fd;

	if (n > RECLAIM_PAGES)
		return -EINVAL;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, e, n * sizeof(e[0]),
		  (uintptr_t)p / SZ_4K * sizeof(e[0])) !=
	    (ssize_t)(n * sizeof(e[0])))
		r = -EIO;
	close(fd);
	for (i = 0; r >= 0 && i < n; i++)
		r += e[i] >> 63;	/* present */
	return r;
}

/* The system's pages under writeback (/proc/vmstat), or -1. */
static long writeback_pages(void)
{
	char name[64];
	long v, n = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, "nr_writeback"))
			n = v;
	fclose(f);
	return n;
}

/*
 * Wait, up to 10 s, until no page is under writeback: a page that MADV_PAGEOUT
 * wrote to swap stays mapped by a later one until its write ended.
 */
static bool writeback_done(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (!writeback_pages())
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Page faults this thread took so far. */
static long thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

FIXTURE_SETUP(reclaim)
{
	const unsigned long len = RECLAIM_PAGES * SZ_4K;
	const char *dir = getenv("HMM_DAX_EXT4_INODE");
	cpu_set_t cpu;
	void *p;

	HMM_DAX_MARK();
	self->fd = -1;
	self->mfd = -1;
	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	if (variant->kind == RECLAIM_SWAPPED && !swap_on())
		HMM_DAX_SKIP(return,
			     "no swap on (the test bed puts it on a loop device: CONFIG_BLK_DEV_LOOP)");
	if (variant->kind == RECLAIM_PAGECACHE) {
		/* beside dax/: a page-cache file on a DAX-capable ext4 */
		if (!dir)
			HMM_DAX_SKIP(return,
				     "HMM_DAX_EXT4_INODE not set: run under selftests/vm/hmm-dax-vm");
		self->fd = make_file(dir, len, 0, self->path,
				     sizeof(self->path));
		ASSERT_LE(0, self->fd) TH_LOG("file in %s: %s", dir,
					      strerror(-self->fd));
		ASSERT_EQ(0, hmm_dax_fd_is_dax(self->fd));
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, variant->flags, self->fd,
		 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	self->map = p;
	madvise(self->map, len, MADV_NOHUGEPAGE);
	self->mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mfd);
	/*
	 * One CPU: MADV_PAGEOUT drains only its own CPU's batch of pages
	 * not yet on the LRU, and can reclaim only pages that are.
	 */
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
}

FIXTURE_TEARDOWN(reclaim)
{
	if (self->mfd >= 0)
		close(self->mfd);
	if (self->map)
		munmap(self->map, RECLAIM_PAGES * SZ_4K);
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
}

/* What the device wrote survives reclaim; see above. */
TEST_F(reclaim, device_write_survives)
{
	const unsigned long half = RECLAIM_PAGES / 2 * SZ_4K;
	char *ctl = self->map + half, *buf = malloc(half);
	long faults, mapped;
	unsigned long i;

	ASSERT_NE(NULL, buf);
	cpu_fill(self->map, 2 * half, 1);
	switch (variant->kind) {
	case RECLAIM_LAZYFREE:
		ASSERT_EQ(0, madvise(self->map, 2 * half, MADV_FREE));
		break;
	case RECLAIM_SWAPPED:
		ASSERT_EQ(0, madvise(self->map, 2 * half, MADV_PAGEOUT));
		mapped = mapped_pages(self->map, RECLAIM_PAGES);
		if (mapped)
			HMM_DAX_SKIP(goto out,
				     "MADV_PAGEOUT left %ld pages mapped: nothing swapped in",
				     mapped);
		if (!writeback_done())
			HMM_DAX_SKIP(goto out, "swap writeback did not end in 10 s");
		cpu_touch(self->map, 2 * half);
		EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, 2 * half,
					    1));
		break;
	case RECLAIM_PAGECACHE:
		ASSERT_EQ(0, fsync(self->fd));
		break;
	}

	faults = thread_faults();
	ASSERT_EQ(0, mirror(self->mfd, self->map, 2 * half,
			    HMM_DAX_MIRROR_WRITE, NULL));
	faults = thread_faults() - faults;
	TH_LOG("mirror for write: %ld page faults (%s)", faults,
	       faults ? "no clean writable entry" :
	       "the CPU entries were writable already, and clean");
	pattern_fill(buf, 0, half, 2);
	ASSERT_EQ(0, dev_write(self->mfd, self->map, buf, half));
	ASSERT_EQ(0, madvise(self->map, 2 * half, MADV_PAGEOUT));

	/* the control half: reclaim ran */
	if (variant->kind == RECLAIM_LAZYFREE) {
		for (i = 0; i < half && !ctl[i]; i++)
			;
		if (i < half)
			HMM_DAX_SKIP(goto out,
				     "MADV_PAGEOUT kept clean lazily freed pages: nothing proven");
	} else {
		mapped = mapped_pages(ctl, RECLAIM_PAGES / 2);
		if (mapped)
			HMM_DAX_SKIP(goto out,
				     "MADV_PAGEOUT left %ld clean pages mapped: nothing proven",
				     mapped);
	}
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, half, 2))
		TH_LOG("the device's write was lost to reclaim");
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, 2 * half));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
out:
	free(buf);
}

TEST_HARNESS_MAIN
