/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_target.h - the targets of the hmm_dax kselftests, and the
 * fixture over them
 *
 * Run in the hmm-dax guest (selftests/vm/hmm-dax-vm), which provides:
 *
 *   HMM_DAX_EXT4 ----- ext4 -o dax on a 2M-aligned fsdax namespace
 *   HMM_DAX_XFS ------ xfs -o dax (su=2m) on another
 *   HMM_DAX_DEVDAX_2M  /dev/daxX.Y aligned 2M
 *   HMM_DAX_DEVDAX_1G  /dev/daxX.Y aligned 1G
 *   HMM_DAX_KO ------- hmm_dax.ko for the running kernel (loaded)
 *
 * Fixture mirror runs each of its tests on every target its program
 * names (FIXTURE_VARIANT_ADD(mirror, ...) with the VARIANT_* below), each
 * target mapped MAP_SHARED at an address aligned to the largest leaf the
 * CPU can use for it, and mirrored by /dev/hmm_dax0:
 *
 *   variant    target                           CPU leaves  pages
 *   ext4       8 MiB file, ext4 -o dax          PMD, PTE    FS_DAX
 *   xfs        8 MiB file, xfs -o dax           PMD, PTE    FS_DAX
 *   devdax_2m  8 MiB of /dev/daxX.Y, align 2M   PMD         GENERIC
 *   devdax_1g  1 GiB of /dev/daxX.Y, align 1G   PUD         GENERIC
 *   tmpfs      8 MiB file in /tmp (control)     PTE         not ZONE_DEVICE
 *
 *   self->map ---> [ target, self->size bytes ] <--- CPU page table
 *                                               <--- /dev/hmm_dax0 table
 *
 * The programs whose tests apply to files only (hmm_dax_file) add the
 * file targets alone: ext4, xfs and tmpfs.  Each program's FIXTURE_SETUP
 * and FIXTURE_TEARDOWN call hmm_dax_target_setup() and
 * hmm_dax_target_teardown().  A test whose target is missing skips and
 * says which.
 *
 * Fixture poison has targets of its own (hmm_dax_poison.c) of the same
 * kind: its variant has HMM_DAX_TARGET_FIELDS and the VARIANT_* values.
 */
#ifndef _HMM_DAX_TARGET_H
#define _HMM_DAX_TARGET_H

#include "hmm_dax_util.h"

/* Bytes of the file and 2 MiB device-dax targets. */
#define TARGET_SIZE	(4 * SZ_2M)

enum target {
	TARGET_FSDAX,		/* a file on a DAX mount */
	TARGET_DEVDAX,		/* a device-dax node */
	TARGET_TMPFS,		/* a file in /tmp: the non-DAX control */
};

/* The fields of the variant of a fixture over targets. */
#define HMM_DAX_TARGET_FIELDS						\
	const char *env;	/* directory or node, from this variable */ \
	enum target target;						\
	unsigned long size;	/* bytes mapped */			\
	unsigned long align;	/* of the mapping: the largest CPU leaf */ \
	unsigned int pgmap	/* HMM_DAX_PGMAP_* of its pages */

/*
 * The targets (the values of HMM_DAX_TARGET_FIELDS): what each maps, how
 * large and how aligned, and the pgmap type of its pages.
 */
#define VARIANT_FSDAX(var)						\
	.env = var, .target = TARGET_FSDAX, .size = TARGET_SIZE,	\
	.align = SZ_2M, .pgmap = HMM_DAX_PGMAP_FSDAX
#define VARIANT_DEVDAX_2M						\
	.env = "HMM_DAX_DEVDAX_2M", .target = TARGET_DEVDAX,		\
	.size = TARGET_SIZE, .align = SZ_2M, .pgmap = HMM_DAX_PGMAP_GENERIC
#define VARIANT_DEVDAX_1G						\
	.env = "HMM_DAX_DEVDAX_1G", .target = TARGET_DEVDAX,		\
	.size = SZ_1G, .align = SZ_1G, .pgmap = HMM_DAX_PGMAP_GENERIC
#define VARIANT_TMPFS							\
	.env = NULL, .target = TARGET_TMPFS, .size = TARGET_SIZE,	\
	.align = SZ_2M, .pgmap = HMM_DAX_PGMAP_NONE

/*
 * The fixture over targets.  Each program that has it declares it with
 * FIXTURE(mirror); and adds its targets with FIXTURE_VARIANT_ADD(): the
 * data and the variant are these, struct _test_data_mirror and struct
 * _fixture_variant_mirror as the harness names them (and as the functions
 * of the programs that take them name them).
 */
FIXTURE_DATA(mirror) {
	char path[PATH_MAX];	/* the file (fsdax, tmpfs), unlinked after */
	const char *node;	/* the device-dax node */
	char dax[NAME_MAX];	/* its name on the dax bus, daxX.Y */
	int fd;			/* the target */
	int mfd;		/* /dev/hmm_dax0 */
	char *map;		/* the target, MAP_SHARED, self->size bytes */
	unsigned long size;
	bool unbound;		/* devdax_disable unbound the device */
};

FIXTURE_VARIANT(mirror) {
	HMM_DAX_TARGET_FIELDS;
};

/**
 * hmm_dax_target_setup() - the set-up of a fixture over targets
 * @_metadata: the test's
 * @self: the fixture's data
 * @variant: the target
 *
 * Opens the target (a fresh file, or the device-dax node), maps it at
 * self->map and opens /dev/hmm_dax0 at self->mfd.  Skips when the target
 * or the module is missing.  The caller's FIXTURE_SETUP has called
 * HMM_DAX_MARK() first.
 */
static inline void
hmm_dax_target_setup(struct __test_metadata *_metadata,
		     struct _test_data_mirror *self,
		     const struct _fixture_variant_mirror *variant)
{
	const char *where = variant->env ? getenv(variant->env) : "/tmp";
	unsigned long size;
	const char *name;
	void *p;

	self->fd = -1;
	self->mfd = -1;
	self->size = variant->size;
	if (!where)
		HMM_DAX_SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
			     variant->env);
	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");

	if (variant->target == TARGET_DEVDAX) {
		self->node = where;
		name = strrchr(where, '/');
		snprintf(self->dax, sizeof(self->dax), "%s",
			 name ? name + 1 : where);
		self->fd = open(self->node, O_RDWR | O_CLOEXEC);
		if (self->fd < 0 && errno == ENXIO &&
		    !sysfs_write(DEVDAX_DRIVER "/bind", self->dax)) {
			/* an earlier devdax_disable died before its rebind */
			TH_LOG("%s was unbound: bound it again", self->dax);
			self->fd = open(self->node, O_RDWR | O_CLOEXEC);
		}
		ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", self->node,
					      strerror(errno));
		ASSERT_EQ(0, chardev_attr(self->node, "size", &size));
		if (size < self->size)
			HMM_DAX_SKIP(return, "%s has %lu bytes, the test needs %lu",
				     self->node, size, self->size);
	} else {
		/*
		 * A fresh file, allocated and written with pattern 0: every
		 * page has a block (or a page), none read-faults to the zero
		 * page.
		 */
		self->fd = make_file(where, self->size, 0, self->path,
				     sizeof(self->path));
		ASSERT_LE(0, self->fd) TH_LOG("file in %s: %s", where,
					      strerror(-self->fd));
	}
	p = hmm_dax_mmap_aligned(self->size, variant->align,
				 PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
				 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %lu bytes: %s", self->size,
					strerror(errno));
	self->map = p;
	if (variant->target == TARGET_TMPFS)
		madvise(self->map, self->size, MADV_NOHUGEPAGE);

	self->mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->mfd, 0) TH_LOG("open /dev/hmm_dax0: %s",
				       strerror(errno));
}

/**
 * hmm_dax_target_teardown() - the tear-down of a fixture over targets
 * @_metadata: the test's
 * @self: the fixture's data
 *
 * Closes and unmaps what hmm_dax_target_setup() opened, turns the race
 * window off, and binds a device-dax node a test unbound again.
 */
static inline void
hmm_dax_target_teardown(struct __test_metadata *_metadata,
			struct _test_data_mirror *self)
{
	int ret;

	if (!access(RACE_PARAM, W_OK))
		sysfs_write(RACE_PARAM, "0");	/* race_window may have failed */
	if (self->mfd >= 0)
		close(self->mfd);
	if (self->map)
		munmap(self->map, self->size);
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
	if (self->unbound) {
		/* always: a device left unbound fails every later test */
		ret = sysfs_write(DEVDAX_DRIVER "/bind", self->dax);
		EXPECT_EQ(0, ret) TH_LOG("rebind %s: %s", self->dax,
					 strerror(-ret));
		ret = open(self->node, O_RDWR | O_CLOEXEC);
		EXPECT_GE(ret, 0) TH_LOG("%s is not back: %s", self->node,
					 strerror(errno));
		if (ret >= 0)
			close(ret);
	}
}

/*
 * The level of the CPU leaf expected at offset off of the target: PUD or
 * PMD for device-dax, PTE on tmpfs, and on fsdax PMD where FIEMAP shows a
 * 2 MiB-aligned contiguous written extent, else PTE.
 */
static inline __u32 expected_level(enum target target, unsigned long align,
				   int fd, unsigned long off)
{
	switch (target) {
	case TARGET_DEVDAX:
		return align == SZ_1G ? HMM_DAX_LEVEL_PUD : HMM_DAX_LEVEL_PMD;
	case TARGET_FSDAX:
		return fiemap_pmd_ok(fd, off & ~(SZ_2M - 1)) == 1 ?
		       HMM_DAX_LEVEL_PMD : HMM_DAX_LEVEL_PTE;
	default:
		return HMM_DAX_LEVEL_PTE;
	}
}

#endif /* _HMM_DAX_TARGET_H */
