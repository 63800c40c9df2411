// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_reflink - blocks shared between files, and the per-inode DAX
 * flag, on the dax=inode mounts of the test bed
 *
 * reflink: FICLONE and FIDEDUPERANGE take a mirror's write access away
 * from the blocks they share, and a write (CPU or device) moves the
 * written file alone to new blocks.  inode: FS_XFLAG_DAX on a mirrored
 * file takes effect when its inode is next loaded, and the mirror then
 * holds the pages statx says.
 */
#define _GNU_SOURCE
#include "hmm_dax_util.h"

/* Evict clean inodes and dentries, so that a flag change takes effect. */
static int evict_inodes(void)
{
	sync();
	return sysfs_write("/proc/sys/vm/drop_caches", "2");
}

/* Leaves meeting [addr, addr + len) with all of flags, or -errno. */
static long count_flags_in(int fd, const void *addr, unsigned long len,
			   __u32 flags)
{
	struct hmm_dax_leaf *lv = NULL;
	long n = dump(fd, addr, len, &lv);

	if (n > 0)
		n = count_flags(lv, n, flags);
	free(lv);
	return n;
}

/*
 * reflink: FICLONE and FIDEDUPERANGE on the xfs made with reflink=1 and
 * mounted dax=inode.  Variant fsdax makes its files in a directory with
 * FS_XFLAG_DAX (so they are DAX); variant pagecache in one without (the
 * non-DAX control, on the same file system).  File A is mirrored writable;
 * sharing its blocks with B must take the mirror's write access away, and
 * a later write to A, by the CPU or the device, must move A (and only A)
 * to new blocks.
 */
#define REFLINK_SIZE	(2 * SZ_2M)

FIXTURE(reflink) {
	char dir[PATH_MAX - 16];
	char a[PATH_MAX], b[PATH_MAX];
	int fa, fb, mfd;
	char *ma, *mb;
};

FIXTURE_VARIANT(reflink) {
	bool dax;
};

FIXTURE_VARIANT_ADD(reflink, fsdax) {
	.dax = true,
};

FIXTURE_VARIANT_ADD(reflink, pagecache) {
	.dax = false,
};

FIXTURE_SETUP(reflink)
{
	const char *root = getenv("HMM_DAX_XFS_REFLINK");
	int ret;

	HMM_DAX_MARK();
	self->fa = -1;
	self->fb = -1;
	self->mfd = -1;
	if (!root)
		HMM_DAX_SKIP(return,
			     "HMM_DAX_XFS_REFLINK not set: run under selftests/vm/hmm-dax-vm");
	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	ret = make_dir(root, variant->dax, self->dir, sizeof(self->dir));
	ASSERT_EQ(0, ret) TH_LOG("directory in %s: %s", root, strerror(-ret));
	self->fa = make_file(self->dir, REFLINK_SIZE, 0, self->a,
			     sizeof(self->a));
	ASSERT_LE(0, self->fa) TH_LOG("file A: %s", strerror(-self->fa));
	ASSERT_EQ(variant->dax, hmm_dax_fd_is_dax(self->fa));
	snprintf(self->b, sizeof(self->b), "%s/b", self->dir);
	self->fb = open(self->b, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->fb);
	self->ma = hmm_dax_mmap_aligned(REFLINK_SIZE, SZ_2M,
					PROT_READ | PROT_WRITE, MAP_SHARED,
					self->fa, 0);
	ASSERT_NE(MAP_FAILED, self->ma);
	self->mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mfd);
}

FIXTURE_TEARDOWN(reflink)
{
	if (self->mfd >= 0)
		close(self->mfd);
	if (self->ma && self->ma != MAP_FAILED)
		munmap(self->ma, REFLINK_SIZE);
	if (self->mb && self->mb != MAP_FAILED)
		munmap(self->mb, REFLINK_SIZE);
	if (self->fa >= 0)
		close(self->fa);
	if (self->fb >= 0)
		close(self->fb);
	if (self->a[0])
		unlink(self->a);
	if (self->b[0])
		unlink(self->b);
	if (self->dir[0])
		rmdir(self->dir);
}

/*
 * Mirror A writable, then share its blocks: FICLONE into B, or, with
 * dedupe, FIDEDUPERANGE of B (same bytes, its own blocks) onto A's.
 * Leaves B mapped at mb and mirrored.  The pfn of A at off before.
 */
static __u64 reflink_share(struct __test_metadata *_metadata,
			   struct _test_data_reflink *self, bool dax, bool dedupe,
			   unsigned long off)
{
	struct file_dedupe_range *dr;
	struct ev_log log;
	__u64 pfn;
	int ret;

	if (dedupe) {
		ASSERT_EQ(0, fallocate(self->fb, 0, 0, REFLINK_SIZE));
		ASSERT_EQ(0, file_fill(self->fb, 0, REFLINK_SIZE, 0));
	}
	ASSERT_EQ(0, mirror(self->mfd, self->ma, REFLINK_SIZE,
			    HMM_DAX_MIRROR_WRITE, NULL));
	pfn = leaf_pfn(self->mfd, self->ma + off);
	ASSERT_NE(0, pfn);
	ev_drain(self->mfd);
	if (dedupe) {
		dr = calloc(1, sizeof(*dr) + sizeof(dr->info[0]));
		ASSERT_NE(NULL, dr);
		dr->src_offset = 0;
		dr->src_length = REFLINK_SIZE;
		dr->dest_count = 1;
		dr->info[0].dest_fd = self->fb;
		ret = ioctl(self->fa, FIDEDUPERANGE, dr) ? -errno : 0;
		TH_LOG("FIDEDUPERANGE: %s, status %d, %llu bytes deduped",
		       ret ? strerror(-ret) : "0", dr->info[0].status,
		       (unsigned long long)dr->info[0].bytes_deduped);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(FILE_DEDUPE_RANGE_SAME, dr->info[0].status);
		ASSERT_EQ(REFLINK_SIZE, dr->info[0].bytes_deduped);
		free(dr);
	} else {
		ret = ioctl(self->fb, FICLONE, self->fa) ? -errno : 0;
		TH_LOG("FICLONE: %s", ret ? strerror(-ret) : "0");
		ASSERT_EQ(0, ret);
	}
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	TH_LOG("after sharing: A is %s, B is %s",
	       hmm_dax_fd_is_dax(self->fa) == 1 ? "DAX" : "not DAX",
	       hmm_dax_fd_is_dax(self->fb) == 1 ? "DAX" : "not DAX");
	/* no leaf of A may stay writable over blocks now shared */
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->ma, REFLINK_SIZE));
	EXPECT_EQ(0, count_flags_in(self->mfd, self->ma, REFLINK_SIZE,
				    HMM_DAX_LEAF_WRITE));
	self->mb = hmm_dax_mmap_aligned(REFLINK_SIZE, SZ_2M,
					PROT_READ | PROT_WRITE, MAP_SHARED,
					self->fb, 0);
	ASSERT_NE(MAP_FAILED, self->mb);
	ASSERT_EQ(0, mirror(self->mfd, self->mb, REFLINK_SIZE, 0, NULL));
	ASSERT_EQ(0, mirror(self->mfd, self->ma, REFLINK_SIZE, 0, NULL));
	/* fsdax: both files' leaves are the same pmem pages now */
	if (dax) {
		EXPECT_EQ(leaf_pfn(self->mfd, self->ma + off),
			  leaf_pfn(self->mfd, self->mb + off));
	}
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->mb,
				   REFLINK_SIZE));
	return pfn;
}

/*
 * After a write of seed 1 to the page of A at off (by the CPU or the
 * device): A holds it, at a new pfn on fsdax; B and B's mirror keep seed 0
 * at the shared pfn.
 */
static void reflink_check_unshared(struct __test_metadata *_metadata,
				   struct _test_data_reflink *self, bool dax,
				   unsigned long off, __u64 shared)
{
	char *back = malloc(SZ_4K);
	__u64 a, b;

	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, mirror(self->mfd, self->ma, REFLINK_SIZE, 0, NULL));
	a = leaf_pfn(self->mfd, self->ma + off);
	b = leaf_pfn(self->mfd, self->mb + off);
	TH_LOG("A's page: pfn %#llx (shared %#llx); B's: %#llx",
	       (unsigned long long)a, (unsigned long long)shared,
	       (unsigned long long)b);
	if (dax) {
		EXPECT_NE(shared, a);
		EXPECT_EQ(shared, b);
	}
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->ma, REFLINK_SIZE));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->mb, REFLINK_SIZE));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->ma,
				   REFLINK_SIZE));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->mb,
				   REFLINK_SIZE));
	EXPECT_EQ(-1, pattern_diff(self->ma + off, off, SZ_4K, 1));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->mb, 0, REFLINK_SIZE, 0));
	EXPECT_EQ(SZ_4K, pread(self->fb, back, SZ_4K, off));
	EXPECT_EQ(-1, pattern_diff(back, off, SZ_4K, 0));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(back);
}

static void reflink_write(struct __test_metadata *_metadata,
			  struct _test_data_reflink *self, bool dax, bool dedupe,
			  bool device)
{
	unsigned long off = SZ_2M + 3 * SZ_4K;
	char *buf = malloc(SZ_4K);
	__u64 shared, faults = 0;
	struct ev_log log;

	ASSERT_NE(NULL, buf);
	/* FIDEDUPERANGE keeps A's blocks: B now maps them */
	shared = reflink_share(_metadata, self, dax, dedupe, off);
	ev_drain(self->mfd);
	pattern_fill(buf, off, SZ_4K, 1);
	if (device) {
		ASSERT_EQ(0, dev_access(self->mfd, HMM_DAX_WRITE,
					self->ma + off, buf, SZ_4K, &faults));
		TH_LOG("device write into A: %llu demand faults",
		       (unsigned long long)faults);
		EXPECT_LE(1, faults);
	} else {
		memcpy(self->ma + off, buf, SZ_4K);
	}
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	if (dax)
		EXPECT_LE(1, ev_count(&log, -1, self->ma + off, SZ_4K));
	reflink_check_unshared(_metadata, self, dax, off, shared);
	free(buf);
}

/* A CPU write to a cloned file moves it alone to new blocks. */
TEST_F_TIMEOUT(reflink, clone_cpu_write, MIRROR_TIMEOUT)
{
	reflink_write(_metadata, self, variant->dax, false, false);
}

/* A device write to a cloned file moves it alone to new blocks. */
TEST_F_TIMEOUT(reflink, clone_device_write, MIRROR_TIMEOUT)
{
	reflink_write(_metadata, self, variant->dax, false, true);
}

/* A device write to a deduplicated file moves it alone to new blocks. */
TEST_F_TIMEOUT(reflink, dedupe_device_write, MIRROR_TIMEOUT)
{
	reflink_write(_metadata, self, variant->dax, true, true);
}

/*
 * inode: FS_XFLAG_DAX on a mirrored file of a dax=inode mount (ext4 and
 * xfs), and on tmpfs, the control.  The flag is stored at once but the
 * kernel applies it only when the inode is next loaded: while the file is
 * mapped nothing changes; after it is closed and evicted, a new mapping
 * and mirror are what statx's STATX_ATTR_DAX says.
 */
#define INODE_SIZE	(2 * SZ_2M)

FIXTURE(inode) {
	char path[PATH_MAX];
	int fd, mfd;
	char *map;
};

FIXTURE_VARIANT(inode) {
	const char *env;
};

FIXTURE_VARIANT_ADD(inode, ext4) {
	.env = "HMM_DAX_EXT4_INODE",
};

FIXTURE_VARIANT_ADD(inode, xfs) {
	.env = "HMM_DAX_XFS_REFLINK",
};

FIXTURE_VARIANT_ADD(inode, tmpfs) {
	.env = NULL,
};

FIXTURE_SETUP(inode)
{
	const char *root = variant->env ? getenv(variant->env) : "/tmp";

	HMM_DAX_MARK();
	self->fd = -1;
	self->mfd = -1;
	if (!root)
		HMM_DAX_SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
			     variant->env);
	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	self->fd = make_file(root, INODE_SIZE, 0, self->path,
			     sizeof(self->path));
	ASSERT_LE(0, self->fd) TH_LOG("file in %s: %s", root,
				      strerror(-self->fd));
	self->mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mfd);
}

FIXTURE_TEARDOWN(inode)
{
	if (self->mfd >= 0)
		close(self->mfd);
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, INODE_SIZE);
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
}

/*
 * Map and mirror the file; its leaves must be fsdax pages when statx says
 * DAX, page-cache pages otherwise, and agree with the CPU.
 */
static void inode_check(struct __test_metadata *_metadata,
			struct _test_data_inode *self, int dax, const char *when)
{
	struct hmm_dax_leaf *lv = NULL;
	long n;

	if (!self->map) {
		self->map = hmm_dax_mmap_aligned(INODE_SIZE, SZ_2M,
						 PROT_READ | PROT_WRITE,
						 MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, self->map);
	}
	EXPECT_EQ(dax, hmm_dax_fd_is_dax(self->fd)) TH_LOG("%s: statx", when);
	ASSERT_EQ(0, mirror(self->mfd, self->map, INODE_SIZE, 0, NULL));
	n = dump(self->mfd, self->map, INODE_SIZE, &lv);
	log_levels(_metadata, when, lv, n);
	EXPECT_EQ(0, check_leaves(_metadata, dax ? HMM_DAX_PGMAP_FSDAX :
				  HMM_DAX_PGMAP_NONE, lv, n, self->map,
				  INODE_SIZE, -1)) TH_LOG("%s", when);
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, INODE_SIZE));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map,
				   INODE_SIZE));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, INODE_SIZE, 0));
	free(lv);
}

/* Unmap, close, evict, open again. */
static void inode_reload(struct __test_metadata *_metadata,
			 struct _test_data_inode *self)
{
	ASSERT_EQ(0, munmap(self->map, INODE_SIZE));
	self->map = NULL;
	close(self->fd);
	ASSERT_EQ(0, evict_inodes());
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

/* The mirror follows FS_XFLAG_DAX each time the inode is loaded. */
TEST_F_TIMEOUT(inode, dax_flag_flip, MIRROR_TIMEOUT)
{
	int ret;

	inode_check(_metadata, self, 0, "before the flag");
	ret = hmm_dax_set_xflag_dax(self->fd, true);
	if (!variant->env) {
		TH_LOG("FS_XFLAG_DAX on tmpfs: %s",
		       ret ? strerror(-ret) : "set");
		EXPECT_NE(0, ret);
		inode_check(_metadata, self, 0, "control");
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("FS_IOC_FSSETXATTR: %s", strerror(-ret));
	EXPECT_EQ(1, hmm_dax_xflag_dax(self->fd));
	inode_check(_metadata, self, 0, "flag set, still mapped");

	inode_reload(_metadata, self);
	inode_check(_metadata, self, 1, "flag set, inode reloaded");

	ASSERT_EQ(0, hmm_dax_set_xflag_dax(self->fd, false));
	EXPECT_EQ(0, hmm_dax_xflag_dax(self->fd));
	inode_check(_metadata, self, 1, "flag cleared, still mapped");

	inode_reload(_metadata, self);
	inode_check(_metadata, self, 0, "flag cleared, inode reloaded");
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
}

TEST_HARNESS_MAIN
