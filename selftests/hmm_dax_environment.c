// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_environment - the test bed is what the other programs assume
 *
 * fsdax: files on the DAX mounts are DAX (statx) and a fresh large file
 * maps with 2 MiB leaves; a file on tmpfs, the control, is not DAX.
 * devdax: each device-dax node has the alignment its name claims, maps
 * whole aligned units and refuses what breaks them: a shorter or
 * misaligned mapping, a private one, an munmap() inside a unit; and a
 * device read through a leaf that outlived the node's unbind fails
 * cleanly.  The programs over targets (hmm_dax_target.h) rely on all of it:
 * hmm_dax_file runs its tests on files alone because of what these prove.
 */
#define _GNU_SOURCE
#include <sys/sysmacros.h>

#include "hmm_dax_util.h"

/*
 * fsdax: files on the DAX mounts are DAX (statx), and a file on tmpfs, the
 * control, is not.
 */
FIXTURE(fsdax) {
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(fsdax) {
	const char *env;	/* directory, from this variable */
	int dax;		/* expected STATX_ATTR_DAX */
};

FIXTURE_VARIANT_ADD(fsdax, ext4) {
	.env = "HMM_DAX_EXT4", .dax = 1
};

FIXTURE_VARIANT_ADD(fsdax, xfs) {
	.env = "HMM_DAX_XFS", .dax = 1
};

FIXTURE_VARIANT_ADD(fsdax, tmpfs) {
	.env = NULL, .dax = 0
};

FIXTURE_SETUP(fsdax)
{
	const char *dir = variant->env ? getenv(variant->env) : "/tmp";

	HMM_DAX_MARK();
	self->fd = -1;
	if (!dir)
		HMM_DAX_SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
			     variant->env);
	snprintf(self->path, sizeof(self->path), "%s/hmm-dax-env.XXXXXX", dir);
	self->fd = mkstemp(self->path);
	ASSERT_GE(self->fd, 0) TH_LOG("mkstemp %s: %s", self->path,
				      strerror(errno));
	ASSERT_EQ(0, fallocate(self->fd, 0, 0, 2 * SZ_2M));
}

FIXTURE_TEARDOWN(fsdax)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

/* The file's statx DAX attribute is what the mount promises. */
TEST_F(fsdax, statx_dax)
{
	struct statx stx;

	ASSERT_EQ(0, statx(self->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS,
			   &stx));
	if (variant->dax)
		ASSERT_TRUE(stx.stx_attributes_mask & STATX_ATTR_DAX)
			TH_LOG("kernel does not report STATX_ATTR_DAX");
	ASSERT_EQ(variant->dax, !!(stx.stx_attributes & STATX_ATTR_DAX));
}

#define FRESH_SIZE	(64UL << 20)

/*
 * A fresh large file, allocated and written, maps with 2 MiB leaves on a
 * file system made the way pmem deployments make them (the test bed's ext4
 * with -E stride=512,stripe_width=512, its xfs with su=2m): FIEMAP shows
 * every 2 MiB of it as one aligned extent, and the mirror installs a 2 MiB
 * leaf over each.  tmpfs gets 4 KiB leaves.
 */
TEST_F(fsdax, fresh_file_pmd)
{
	const char *dir = variant->env ? getenv(variant->env) : "/tmp";
	unsigned long off, aligned = 0, cnt[HMM_DAX_NR_LEVELS];
	struct hmm_dax_leaf *lv = NULL;
	char path[PATH_MAX];
	int fd, mfd;
	char *p;
	long n;

	fd = make_file(dir, FRESH_SIZE, 0, path, sizeof(path));
	ASSERT_LE(0, fd) TH_LOG("file in %s: %s", dir, strerror(-fd));
	unlink(path);
	for (off = 0; off < FRESH_SIZE; off += SZ_2M)
		aligned += fiemap_pmd_ok(fd, off) == 1;
	p = hmm_dax_mmap_aligned(FRESH_SIZE, SZ_2M, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, mirror(mfd, p, FRESH_SIZE, 0, NULL));
	n = dump(mfd, p, FRESH_SIZE, &lv);
	ASSERT_LT(0, n);
	count_levels(lv, n, cnt);
	TH_LOG("%lu of %lu blocks aligned; %lu PMD and %lu PTE leaves",
	       aligned, FRESH_SIZE / SZ_2M, cnt[HMM_DAX_LEVEL_PMD],
	       cnt[HMM_DAX_LEVEL_PTE]);
	if (variant->dax) {
		EXPECT_EQ(FRESH_SIZE / SZ_2M, aligned);
		EXPECT_EQ(FRESH_SIZE / SZ_2M, cnt[HMM_DAX_LEVEL_PMD]);
		if (aligned < FRESH_SIZE / SZ_2M)
			log_extents(_metadata, fd, 0, FRESH_SIZE);
	} else {
		EXPECT_EQ(FRESH_SIZE / SZ_4K, cnt[HMM_DAX_LEVEL_PTE]);
	}
	free(lv);
	close(mfd);
	munmap(p, FRESH_SIZE);
	close(fd);
}

/*
 * devdax: each node has the alignment its name claims, and the kernel holds
 * mappings to it.
 */
FIXTURE(devdax) {
	const char *node;
	int fd;
	unsigned long size;
};

FIXTURE_VARIANT(devdax) {
	const char *env;
	unsigned long align;
};

FIXTURE_VARIANT_ADD(devdax, align_2m) {
	.env = "HMM_DAX_DEVDAX_2M", .align = SZ_2M
};

FIXTURE_VARIANT_ADD(devdax, align_1g) {
	.env = "HMM_DAX_DEVDAX_1G", .align = SZ_1G
};

FIXTURE_SETUP(devdax)
{
	HMM_DAX_MARK();
	self->fd = -1;
	self->node = getenv(variant->env);
	if (!self->node)
		HMM_DAX_SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
			     variant->env);
	self->fd = open(self->node, O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", self->node,
				      strerror(errno));
	ASSERT_EQ(0, chardev_attr(self->node, "size", &self->size));
}

FIXTURE_TEARDOWN(devdax)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* sysfs align is the claimed one and the size is a whole number of it. */
TEST_F(devdax, align_attr)
{
	unsigned long align;

	ASSERT_EQ(0, chardev_attr(self->node, "align", &align));
	ASSERT_EQ(variant->align, align);
	ASSERT_NE(0, self->size);
	ASSERT_EQ(0, self->size % align);
}

/* One aligned unit maps and reads; a shorter length or MAP_PRIVATE does not. */
TEST_F(devdax, mmap_alignment)
{
	unsigned long len = variant->align;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %lu: %s", len, strerror(errno));
	ASSERT_EQ(0, (unsigned long)p % variant->align);
	p[len - 1] = 0x5a;	/* faults the whole aligned unit in */
	ASSERT_EQ(0x5a, p[len - 1]);
	ASSERT_EQ(0, munmap(p, len));

	p = mmap(NULL, len / 2, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, len / 2);

	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, len);
}

/*
 * A mapping whose address or file offset breaks the device's alignment is
 * refused (EINVAL): the kernel says why in its log ("unaligned vma").
 */
TEST_F(devdax, mmap_misaligned)
{
	unsigned long len = variant->align;
	char *res, *p;

	res = hmm_dax_mmap_aligned(2 * len, len, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	p = mmap(res + SZ_4K, len, PROT_READ, MAP_SHARED | MAP_FIXED,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno) TH_LOG("MAP_FIXED 4 KiB off: %s",
					strerror(errno));
	if (len > SZ_2M) {
		p = mmap(res + SZ_2M, len, PROT_READ, MAP_SHARED | MAP_FIXED,
			 self->fd, 0);
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(EINVAL, errno) TH_LOG("MAP_FIXED 2 MiB off: %s",
						strerror(errno));
	}
	munmap(res, 2 * len);

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, SZ_4K);
	TH_LOG("offset 4 KiB: %s", p == MAP_FAILED ? strerror(errno) :
	       "mapped");
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, len);
}

/*
 * munmap() of 4 KiB inside an aligned unit is refused (EINVAL): a VMA of
 * device-dax covers whole units, so it has no partial unmap to mirror.
 */
TEST_F(devdax, munmap_inside_unit)
{
	unsigned long len = variant->align;
	char *p;

	p = hmm_dax_mmap_aligned(len, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %lu: %s", len, strerror(errno));
	EXPECT_EQ(-1, munmap(p + len / 2, SZ_4K));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, munmap(p, len));
}

/*
 * A teardown the mirror is not told of.  With fault_inject 0x1 the driver
 * ignores invalidations of pmem, so its leaves outlive an unbind, which
 * frees the device's memory and its struct pages.  A device read through
 * such a leaf must fail (ENXIO: the dev_pagemap reference taken for the
 * copy is refused) without touching either; the device binds again.
 */
TEST_F(devdax, stale_leaf_teardown)
{
	const char *name = strrchr(self->node, '/');
	unsigned long len = variant->align;
	char buf[64];
	int mfd, fd;
	char *p;

	name = name ? name + 1 : self->node;
	if (access(DEVDAX_DRIVER "/unbind", W_OK) ||
	    access(HMM_DAX_INJECT_PARAM, W_OK))
		HMM_DAX_SKIP(return, "no writable %s/unbind or %s",
			     DEVDAX_DRIVER, HMM_DAX_INJECT_PARAM);
	mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	p[0] = 0x5a;
	ASSERT_EQ(0, mirror(mfd, p, len, 0, NULL));
	/* a leaked reference would make the unbind wait for ever */
	ASSERT_TRUE(pgmap_refs_balanced(_metadata, mfd));

	ASSERT_EQ(0, sysfs_write(HMM_DAX_INJECT_PARAM, "0x1"));
	EXPECT_EQ(0, sysfs_write(DEVDAX_DRIVER "/unbind", name));
	ASSERT_EQ(0, sysfs_write(HMM_DAX_INJECT_PARAM, "0"));
	EXPECT_LT(0, dump_count(mfd, p, len)) TH_LOG("no stale leaf: nothing proven");
	EXPECT_EQ(-ENXIO, dev_read(mfd, p, buf, sizeof(buf)));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, mfd));
	EXPECT_EQ(0, hd_ioctl(mfd, HMM_DAX_RESET, NULL));
	close(mfd);
	/*
	 * Every file of the node goes before the bind: one closed after it
	 * leaves the node failing to open (ENXIO) until the next rebind, on
	 * 6.1, 6.12 and 7.2 (known_bugs.h: devdax-rebind-open).
	 */
	munmap(p, len);
	close(self->fd);
	self->fd = -1;

	EXPECT_EQ(0, sysfs_write(DEVDAX_DRIVER "/bind", name));
	fd = open(self->node, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("%s is not back: %s", self->node,
				strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * The unlocked entry point is offered exactly where the kernel has
 * hmm_range_fault_unlocked_timeout() (7.3 on: compat.h): a mirror with
 * HMM_DAX_MIRROR_UNLOCKED is taken there, and refused with EOPNOTSUPP,
 * before anything is faulted, everywhere else.
 */
TEST(unlocked_entry_point)
{
	bool have = hmm_dax_running_kv() >= HMM_DAX_KV(7, 3);
	struct hmm_dax_stats a, b;
	int fd, ret;
	char *p;

	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	fd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, stats(fd, &a));
	ret = mirror(fd, p, SZ_4K, HMM_DAX_MIRROR_UNLOCKED, NULL);
	ASSERT_EQ(0, stats(fd, &b));
	TH_LOG("kernel %s the unlocked entry point: %s",
	       have ? "has" : "lacks", ret ? strerror(-ret) : "mirrored");
	EXPECT_EQ(have ? 0 : -EOPNOTSUPP, ret);
	EXPECT_EQ(have ? 1 : 0, b.faults_unlocked - a.faults_unlocked);
	munmap(p, SZ_4K);
	close(fd);
}

TEST_HARNESS_MAIN
