// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_sync - writeback and synchronous faults, on every target
 * (hmm_dax_target.h)
 *
 * msync(): fsdax writeback write-protects what it flushes and tells the
 * mirror, whose next device write must fault again so that the next
 * writeback flushes it too; device-dax and tmpfs track no dirty entries
 * and keep the mirror as it was.  MAP_SYNC: a device write fault commits
 * the file system's metadata before it returns, as a CPU one does.
 * These run on device-dax too, unlike the file-only tests of hmm_dax_file.
 */
#define _GNU_SOURCE
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "hmm_dax_target.h"

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
 * How many times the file system holding fd has made its metadata durable:
 * jbd2's committed transactions for ext4 (/proc/fs/jbd2/<dev>-8/info), log
 * forces for xfs (/sys/fs/xfs/<dev>/stats/stats).  -errno if neither.
 */
static long long fs_commits(int fd)
{
	char link[PATH_MAX], path[PATH_MAX + 64], line[256];
	unsigned long long v[4];
	long long n = -ENOENT;
	const char *dev;
	struct statfs sfs;
	struct stat st;
	ssize_t len;
	FILE *f;

	if (fstat(fd, &st) || fstatfs(fd, &sfs))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u",
		 major(st.st_dev), minor(st.st_dev));
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = 0;
	dev = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (sfs.f_type == EXT4_SUPER_MAGIC)
		snprintf(path, sizeof(path), "/proc/fs/jbd2/%s-8/info", dev);
	else if (sfs.f_type == XFS_SUPER_MAGIC)
		snprintf(path, sizeof(path), "/sys/fs/xfs/%s/stats/stats", dev);
	else
		return -EOPNOTSUPP;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sfs.f_type == EXT4_SUPER_MAGIC &&
		    sscanf(line, "%llu transactions", &v[0]) == 1) {
			n = v[0];
			break;
		}
		if (sfs.f_type == XFS_SUPER_MAGIC &&
		    sscanf(line, "log %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3]) == 4) {
			n = v[3];
			break;
		}
	}
	fclose(f);
	return n;
}

/* ---- tracing ---- */

#define TRACEFS		"/sys/kernel/tracing"
#define WRITEBACK_EVENT	TRACEFS "/events/fs_dax/dax_writeback_one/enable"

/* Turn the fs_dax writeback tracepoint on (empty buffer) or off: 0 or -errno. */
static int trace_writeback(bool on)
{
	int ret = sysfs_write(WRITEBACK_EVENT, on ? "1" : "0");
	int fd;

	if (ret || !on)
		return ret;
	/*
	 * Only an open with O_TRUNC empties the buffer: the events of an
	 * earlier run (the other entry point's, on a file that got the
	 * same inode number) must not count.
	 */
	fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Pages of [first, first + n) that the traced writeback flushed in file
 * @ino (dax_writeback_one: "ino %#lx pgoff %#lx pglen %#lx").
 */
static unsigned long traced_writeback(unsigned long ino, unsigned long first,
				      unsigned long n)
{
	unsigned long i, o, l, lo, hi, done = 0;
	char line[512], *at;
	FILE *f = fopen(TRACEFS "/trace", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		at = strstr(line, "dax_writeback_one:");
		at = at ? strstr(at, " ino ") : NULL;
		if (!at || sscanf(at, " ino %lx pgoff %lx pglen %lx", &i, &o,
				  &l) != 3 || i != ino)
			continue;
		lo = o > first ? o : first;
		hi = o + l < first + n ? o + l : first + n;
		if (hi > lo)
			done += hi - lo;
	}
	fclose(f);
	return done;
}

/*
 * The second half of msync: a second device write through the leaves
 * msync left, then fsync().  fsdax: the write faults again, re-dirtying
 * the entry, and the fsync flushes every page of it (the fs_dax writeback
 * tracepoint, where there is one); a fresh open reads the device's bytes.
 */
static void msync_then_fsync(struct __test_metadata *_metadata,
			     struct _test_data_mirror *self,
			     const struct _fixture_variant_mirror *variant,
			     unsigned long off, unsigned long len, char *buf,
			     char *back)
{
	bool fsdax = variant->target == TARGET_FSDAX, traced;
	char *win = self->map + off;
	unsigned long flushed;
	__u64 faults = 0;
	int ret, fd2;

	pattern_fill(buf, off, len, 2);
	ASSERT_EQ(0, dev_access(self->mfd, HMM_DAX_WRITE, win, buf, len,
				&faults));
	TH_LOG("second device write: %llu demand faults",
	       (unsigned long long)faults);
	/* fsdax: the write fault re-dirties the entry; elsewhere none */
	EXPECT_EQ(fsdax, faults > 0);
	traced = fsdax && !trace_writeback(true);
	ret = fsync(self->fd) ? errno : 0;
	TH_LOG("fsync: %s", ret ? strerror(ret) : "0");
	if (traced) {
		/* what keeps a device write safe: its dirty DAX entry */
		struct stat st;

		ASSERT_EQ(0, fstat(self->fd, &st));
		flushed = traced_writeback(st.st_ino, off / SZ_4K,
					   len / SZ_4K);
		trace_writeback(false);
		TH_LOG("fsync flushed %lu of the %lu pages the device wrote",
		       flushed, len / SZ_4K);
		EXPECT_EQ(len / SZ_4K, flushed);
	} else if (fsdax) {
		TH_LOG("no %s: the flush is not checked", WRITEBACK_EVENT);
	}
	if (variant->target == TARGET_DEVDAX) {
		EXPECT_EQ(EINVAL, ret);
		EXPECT_EQ(-1, first_diff(win, buf, len));
	} else {
		EXPECT_EQ(0, ret);
		fd2 = open(self->path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd2);
		EXPECT_EQ((ssize_t)len, pread(fd2, back, len, off));
		EXPECT_EQ(-1, first_diff(back, buf, len));
		close(fd2);
	}
}

/*
 * msync(MS_SYNC) after a device write through a writable leaf.  fsdax
 * writeback write-protects each CPU entry it flushes and tells notifiers,
 * so afterwards no mirror leaf may be writable where the CPU's is not (the
 * audit), the next device write must demand-fault again, re-dirtying the
 * entry, and a second fsync() must flush that write too (the fs_dax
 * writeback tracepoint shows every page of it flushed): a fresh open reads
 * the device's bytes.  Device-dax and tmpfs track no dirty entries: msync
 * must leave the mirror alone there.
 */
TEST_F_TIMEOUT(mirror, msync, MIRROR_TIMEOUT)
{
	unsigned long off = self->size / 2, len = SZ_2M;
	bool fsdax = variant->target == TARGET_FSDAX;
	struct hmm_dax_leaf *lv = NULL;
	char *buf = malloc(len), *back = malloc(len);
	char *win = self->map + off;
	struct ev_log log;
	__u64 faults = 0;
	long n, writable;
	int ret;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size,
			    HMM_DAX_MIRROR_WRITE, NULL));
	pattern_fill(buf, off, len, 1);
	ASSERT_EQ(0, dev_access(self->mfd, HMM_DAX_WRITE, win, buf, len,
				&faults));
	TH_LOG("first device write: %llu demand faults",
	       (unsigned long long)faults);
	ev_drain(self->mfd);
	ret = msync(self->map, self->size, MS_SYNC) ? errno : 0;
	TH_LOG("msync(MS_SYNC): %s", ret ? strerror(ret) : "0");
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	n = dump(self->mfd, win, len, &lv);
	log_levels(_metadata, "after msync", lv, n);
	writable = n > 0 ? count_flags(lv, n, HMM_DAX_LEAF_WRITE) : 0;
	TH_LOG("%ld of %ld leaves still writable", writable, n);
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	if (fsdax) {
		EXPECT_EQ(0, ret);
		EXPECT_LE(1, ev_count(&log, HMM_DAX_EV_PROTECTION_PAGE, win,
				      len));
		EXPECT_EQ(0, writable);
	} else {
		/* device-dax has no fsync: msync(MS_SYNC) is EINVAL */
		EXPECT_EQ(variant->target == TARGET_DEVDAX ? EINVAL : 0, ret);
		EXPECT_EQ(0, ev_count(&log, -1, self->map, self->size));
		EXPECT_EQ(n, writable);
		EXPECT_LE(1, n);
	}

	msync_then_fsync(_metadata, self, variant, off, len, buf, back);
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
	free(buf);
	free(back);
}

/* map_sync on tmpfs, the non-DAX control: MAP_SYNC is refused. */
static void map_sync_refused(struct __test_metadata *_metadata,
			     struct _test_data_mirror *self)
{
	const int sync = MAP_SHARED_VALIDATE | MAP_SYNC;
	char *p;

	p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, sync,
		 self->fd, 0);
	TH_LOG("MAP_SYNC of a tmpfs file: %s",
	       p == MAP_FAILED ? strerror(errno) : "mapped");
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EOPNOTSUPP, errno);
	if (p != MAP_FAILED)
		munmap(p, self->size);
}

/* map_sync on device-dax: a device write through MAP_SYNC lands. */
static void map_sync_devdax(struct __test_metadata *_metadata,
			    struct _test_data_mirror *self,
			    const struct _fixture_variant_mirror *variant,
			    const char *buf)
{
	const int sync = MAP_SHARED_VALIDATE | MAP_SYNC;
	__u64 faults = 0;
	char *p;

	p = hmm_dax_mmap_aligned(variant->align, variant->align,
				 PROT_READ | PROT_WRITE, sync, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("MAP_SYNC of %s: %s",
					self->node, strerror(errno));
	ASSERT_EQ(0, dev_access(self->mfd, HMM_DAX_WRITE, p, buf,
				SZ_4K, &faults));
	TH_LOG("device write through MAP_SYNC: %llu demand faults",
	       (unsigned long long)faults);
	EXPECT_EQ(-1, first_diff(p, buf, SZ_4K));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p,
				variant->align));
	munmap(p, variant->align);
}

/* Two fresh files of @len beside the target, allocated, never written. */
static void map_sync_files(struct __test_metadata *_metadata,
			   struct _test_data_mirror *self, unsigned long len,
			   int fd[2])
{
	char dir[PATH_MAX - 32], path[2][PATH_MAX];
	long flags;
	int i;

	snprintf(dir, sizeof(dir), "%.*s",
		 (int)(strrchr(self->path, '/') - self->path), self->path);
	for (i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/hmm-dax-sync.XXXXXX",
			 dir);
		fd[i] = mkostemp(path[i], O_CLOEXEC);
		ASSERT_LE(0, fd[i]) TH_LOG("mkstemp: %s", strerror(errno));
		unlink(path[i]);
		ASSERT_EQ(0, fallocate(fd[i], 0, 0, len));
		ASSERT_EQ(1, hmm_dax_fd_is_dax(fd[i]));
		flags = hmm_dax_extent_flags(fd[i], 0);
		ASSERT_LE(0, flags) TH_LOG("FIEMAP: %s", strerror(-flags));
		ASSERT_TRUE(flags & FIEMAP_EXTENT_UNWRITTEN)
			TH_LOG("fallocated extent flags %#lx", flags);
	}
}

/*
 * map_sync on fsdax: device and CPU write faults through MAP_SYNC commit
 * the file system's metadata; a device write through MAP_SHARED does not.
 */
static void map_sync_fsdax(struct __test_metadata *_metadata,
			   struct _test_data_mirror *self, const char *buf,
			   char *back)
{
	const int sync = MAP_SHARED_VALIDATE | MAP_SYNC;
	unsigned long len = 2 * SZ_2M;
	char path[PATH_MAX], *p, *q;
	long long c0, c1, c2, c3;
	int fd[2] = { -1, -1 }, i, fd2;
	__u64 faults = 0;
	long flags;

	map_sync_files(_metadata, self, len, fd);
	ASSERT_LE(0, fs_commits(fd[0])) TH_LOG("no commit count: %s",
					       strerror(-fs_commits(fd[0])));
	p = hmm_dax_mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE, sync,
				 fd[0], 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("MAP_SYNC: %s", strerror(errno));
	q = hmm_dax_mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd[1], 0);
	ASSERT_NE(MAP_FAILED, q);

	/* the device's write fault through MAP_SYNC */
	ASSERT_EQ(0, syncfs(fd[0]));
	c0 = fs_commits(fd[0]);
	ASSERT_EQ(0, dev_access(self->mfd, HMM_DAX_WRITE, p, buf, SZ_4K,
				&faults));
	c1 = fs_commits(fd[0]);
	flags = hmm_dax_extent_flags(fd[0], 0);
	TH_LOG("device write through MAP_SYNC: %llu demand faults, %lld commits, extent flags %#lx",
	       (unsigned long long)faults, c1 - c0, flags);
	EXPECT_LE(1, faults);
	EXPECT_LT(c0, c1);
	EXPECT_LE(0, flags);
	EXPECT_FALSE(flags & FIEMAP_EXTENT_UNWRITTEN);

	/* a CPU write fault through MAP_SYNC, into the other 2 MiB */
	ASSERT_EQ(0, syncfs(fd[0]));
	c2 = fs_commits(fd[0]);
	p[SZ_2M] = 1;
	c3 = fs_commits(fd[0]);
	TH_LOG("CPU write through MAP_SYNC: %lld commits", c3 - c2);
	EXPECT_LT(c2, c3);

	/* the same device write through a plain shared mapping */
	ASSERT_EQ(0, syncfs(fd[1]));
	c2 = fs_commits(fd[1]);
	ASSERT_EQ(0, dev_access(self->mfd, HMM_DAX_WRITE, q, buf, SZ_4K,
				&faults));
	c3 = fs_commits(fd[1]);
	TH_LOG("device write through MAP_SHARED: %llu demand faults, %lld commits",
	       (unsigned long long)faults, c3 - c2);
	EXPECT_EQ(c2, c3);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd[0]);
	fd2 = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(SZ_4K, pread(fd2, back, SZ_4K, 0));
	EXPECT_EQ(-1, first_diff(back, buf, SZ_4K));
	close(fd2);
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p, len));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, q, len));
	munmap(p, len);
	munmap(q, len);
	for (i = 0; i < 2; i++)
		close(fd[i]);
}

/*
 * A write fault through MAP_SYNC into a never-written (unwritten) extent
 * makes the block allocation durable before the fault returns: the
 * synchronous-fault path runs for a device write fault as for a CPU one,
 * and the file system's commit count advances during it, which a plain
 * MAP_SHARED write fault does not do.  Device-dax takes MAP_SYNC and has
 * no metadata to commit; the non-DAX control refuses MAP_SYNC.
 */
TEST_F_TIMEOUT(mirror, map_sync, MIRROR_TIMEOUT)
{
	char *buf = malloc(SZ_4K), *back = malloc(SZ_4K);

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	pattern_fill(buf, 0, SZ_4K, 3);
	if (variant->target == TARGET_TMPFS)
		map_sync_refused(_metadata, self);
	else if (variant->target == TARGET_DEVDAX)
		map_sync_devdax(_metadata, self, variant, buf);
	else
		map_sync_fsdax(_metadata, self, buf, back);
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(buf);
	free(back);
}

TEST_HARNESS_MAIN
