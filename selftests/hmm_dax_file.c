// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_file - what only a file has, on the file targets: ext4 and xfs
 * mounted -o dax, and tmpfs, the control (hmm_dax_target.h)
 *
 * Truncation, a punched hole, munmap() of 4 KiB inside a huge leaf, a
 * MAP_PRIVATE mapping and its copies on write (after a fork() too), the
 * fall back from 2 MiB to 4 KiB entries where a VMA, another mapping or
 * the file's extents do not allow a PMD, and fsdax writeback racing a
 * write mirror.  Device-dax has none of these: no file size, no extents,
 * no MAP_PRIVATE, VMAs of whole alignment units, no dirty tracking; the
 * devdax fixture of hmm_dax_environment checks that it refuses the
 * munmap() and the MAP_PRIVATE mappings.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "hmm_dax_target.h"

/*
 * Fixture mirror (hmm_dax_target.h), on the file targets alone:
 * device-dax has nothing these tests apply.
 */
FIXTURE(mirror);

FIXTURE_VARIANT_ADD(mirror, ext4) {
	VARIANT_FSDAX("HMM_DAX_EXT4"),
};

FIXTURE_VARIANT_ADD(mirror, xfs) {
	VARIANT_FSDAX("HMM_DAX_XFS"),
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

/* munmap() of 4 KiB in a huge leaf: no leaf over the hole or a VMA edge. */
TEST_F_TIMEOUT(mirror, partial_munmap, MIRROR_TIMEOUT)
{
	struct hmm_dax_leaf *lv = NULL;
	char *end = self->map + self->size, *hole, *block;
	__u64 split, whole;
	struct ev_log log;
	char buf[64];
	bool huge;
	long n, i;

	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size, 0, NULL));
	hole = hole_in_leaf(self->mfd, self->map, self->size, &huge);
	ev_drain(self->mfd);
	ASSERT_EQ(0, munmap(hole, SZ_4K));

	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	ev_splits(&log, &split, &whole);
	if (huge)
		TH_LOG("the huge leaf around the hole was %s", split ?
		       "split" : "zapped whole");
	else
		TH_LOG("no huge leaf (PTEs only): nothing to split");
	EXPECT_LE(1, ev_count(&log, -1, hole, SZ_4K));
	EXPECT_EQ(0, dump_count(self->mfd, hole, SZ_4K));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));

	ASSERT_EQ(0, mirror(self->mfd, self->map, hole - self->map, 0, NULL));
	ASSERT_EQ(0, mirror(self->mfd, hole + SZ_4K, end - hole - SZ_4K, 0,
			    NULL));
	block = (char *)((uintptr_t)hole & ~(SZ_2M - 1));
	n = dump(self->mfd, block, SZ_2M, &lv);
	ASSERT_LT(0, n);
	log_levels(_metadata, "2 MiB around the hole, re-mirrored", lv, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(HMM_DAX_LEVEL_PTE, lv[i].level)
			TH_LOG("%s leaf at %#llx crosses a VMA edge",
			       hmm_dax_level_str(lv[i].level), lv[i].addr);
	}
	EXPECT_EQ(0, dump_count(self->mfd, hole, SZ_4K));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map,
				   hole - self->map));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, hole + SZ_4K,
				   end - hole - SZ_4K));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, hole, buf, sizeof(buf)));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
}

/* Truncation zaps the leaves beyond EOF; the device cannot read there. */
TEST_F_TIMEOUT(mirror, truncate, MIRROR_TIMEOUT)
{
	unsigned long half = self->size / 2;
	struct ev_log log;
	char buf[64];

	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size, 0, NULL));
	ev_drain(self->mfd);
	ASSERT_EQ(0, ftruncate(self->fd, half));

	EXPECT_EQ(0, dump_count(self->mfd, self->map + half, half));
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_LE(1, ev_count(&log, HMM_DAX_EV_CLEAR, self->map + half, half));
	TH_LOG("%ld leaves left below EOF (fsdax unmaps the whole file)",
	       dump_count(self->mfd, self->map, half));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, self->map + half, buf,
				    sizeof(buf)));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, self->map + self->size - SZ_4K,
				    buf, sizeof(buf)));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map, half));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, half, 0));
	EXPECT_EQ(0, dump_count(self->mfd, self->map + half, half));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
}

/*
 * truncate_partial: the new size falls inside a mirrored 2 MiB leaf.  The
 * leaf must go (split, or zapped whole: the event log says which) so that
 * nothing maps the part above the new size; below it the device still
 * reads the CPU's bytes, and a device access beyond EOF fails, never
 * returning stale bytes.  The CPU refaults the page holding the new EOF
 * with 4 KiB entries, and the mirror must follow.
 */
TEST_F_TIMEOUT(mirror, truncate_partial, MIRROR_TIMEOUT)
{
	unsigned long eof = self->size / 2 + 5 * SZ_4K;
	unsigned long leaf = eof & ~(SZ_2M - 1);
	struct hmm_dax_leaf *lv = NULL;
	__u64 split, whole;
	struct ev_log log;
	char buf[64];
	long n, i;

	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size, 0, NULL));
	ev_drain(self->mfd);
	ASSERT_EQ(0, ftruncate(self->fd, eof));

	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	ev_splits(&log, &split, &whole);
	TH_LOG("the leaf holding the new EOF: %llu split, %llu zapped whole",
	       (unsigned long long)split, (unsigned long long)whole);
	EXPECT_LE(1, ev_count(&log, -1, self->map + eof, self->size - eof));
	EXPECT_EQ(0, dump_count(self->mfd, self->map + eof,
				self->size - eof));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, self->map + eof, buf,
				    sizeof(buf)));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, self->map + leaf + SZ_2M - 64,
				    buf, sizeof(buf)));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map, eof));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, eof, 0));

	/* the re-mirrored piece below EOF: never larger than the CPU's */
	ASSERT_EQ(0, mirror(self->mfd, self->map + leaf, eof - leaf, 0, NULL));
	n = dump(self->mfd, self->map + leaf, eof - leaf, &lv);
	log_levels(_metadata, "re-mirrored below the new EOF", lv, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(HMM_DAX_LEVEL_PTE, lv[i].level)
			TH_LOG("leaf %#llx is %s: the file ends inside it",
			       lv[i].addr, hmm_dax_level_str(lv[i].level));
	EXPECT_EQ(0, dump_count(self->mfd, self->map + eof,
				self->size - eof));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
}

/*
 * The leaves meeting [addr, addr + len), logged as what: how many are
 * larger than 4 KiB (each logged), or -errno.
 */
static long huge_leaves(struct __test_metadata *_metadata, int fd,
			const void *addr, unsigned long len, const char *what)
{
	struct hmm_dax_leaf *lv = NULL;
	long n = dump(fd, addr, len, &lv), i, huge = 0;

	if (n < 0)
		return n;
	log_levels(_metadata, what, lv, n);
	for (i = 0; i < n; i++) {
		if (lv[i].level == HMM_DAX_LEVEL_PTE)
			continue;
		if (huge++ < 4)
			TH_LOG("%s leaf at %#llx",
			       hmm_dax_level_str(lv[i].level), lv[i].addr);
	}
	free(lv);
	return huge;
}

/*
 * pmd_fallback_private: a MAP_PRIVATE mapping written by the CPU, and by
 * the device.  The written pages become anonymous copies mapped with
 * 4 KiB entries; the mirror must hold each copy, never the DAX pfn, and
 * the file must keep its bytes.
 */
TEST_F_TIMEOUT(mirror, pmd_fallback_private, MIRROR_TIMEOUT)
{
	unsigned long off = SZ_2M + 3 * SZ_4K, off2 = off + 5 * SZ_4K;
	struct hmm_dax_leaf *lv = NULL;
	unsigned char in[64], back[64];
	struct ev_log log;
	char *p;
	long n;

	p = hmm_dax_mmap_aligned(self->size, SZ_2M, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mirror(self->mfd, p, self->size, 0, NULL));
	n = dump(self->mfd, p, self->size, &lv);
	log_levels(_metadata, "private, read mirror", lv, n);
	free(lv);
	lv = NULL;
	ev_drain(self->mfd);

	p[off] ^= 0xff;		/* copy-on-write */
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_LE(1, ev_count(&log, -1, p + off, SZ_4K));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p, self->size));
	ASSERT_EQ(0, mirror(self->mfd, p + SZ_2M, SZ_2M, 0, NULL));
	EXPECT_EQ(0, huge_leaves(_metadata, self->mfd, p + off, SZ_4K,
				 "the CPU-written page"));
	n = dump(self->mfd, p + off, SZ_4K, &lv);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, lv[0].flags & HMM_DAX_LEAF_DEVICE)
		TH_LOG("the written page is still the DAX pfn %#llx", lv[0].pfn);
	free(lv);
	lv = NULL;

	pattern_fill(in, off2, sizeof(in), 7);
	ASSERT_EQ(0, dev_write(self->mfd, p + off2, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(p + off2, in, sizeof(in)));
	n = dump(self->mfd, p + off2, SZ_4K, &lv);
	ASSERT_EQ(1, n);
	EXPECT_EQ(HMM_DAX_LEVEL_PTE, lv[0].level);
	EXPECT_EQ(0, lv[0].flags & HMM_DAX_LEAF_DEVICE)
		TH_LOG("the device wrote the DAX pfn %#llx", lv[0].pfn);
	EXPECT_EQ((ssize_t)sizeof(back), pread(self->fd, back, sizeof(back),
					       off2));
	EXPECT_EQ(-1, pattern_diff(back, off2, sizeof(back), 0))
		TH_LOG("the device's private write reached the file");
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
	munmap(p, self->size);
}

/*
 * pmd_fallback_partial_vma: a VMA that covers only part of a 2 MiB range
 * gets 4 KiB entries there; the whole 2 MiB after it may be huge.
 */
TEST_F_TIMEOUT(mirror, pmd_fallback_partial_vma, MIRROR_TIMEOUT)
{
	unsigned long len = 2 * SZ_2M;
	struct hmm_dax_range r;
	struct ev_log log;
	__u32 level;
	char *p;

	/*
	 * FIEMAP first: on 6.1 its FIEMAP_FLAG_SYNC writes back (write-
	 * protects, with notifications) every DAX entry of the file.
	 */
	level = expected_level(variant->target, variant->align, self->fd,
			       SZ_2M);
	p = hmm_dax_mmap_aligned(len, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
				 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, SZ_4K));
	ev_drain(self->mfd);
	ASSERT_EQ(0, mirror(self->mfd, p + SZ_4K, len - SZ_4K, 0, &r));
	TH_LOG("installed %llu/%llu/%llu leaves (4K/2M/1G), %llu retries",
	       r.leaves[0], r.leaves[1], r.leaves[2], r.retries);
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_EQ(0, huge_leaves(_metadata, self->mfd, p + SZ_4K,
				 SZ_2M - SZ_4K, "the partly covered 2 MiB"));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p + SZ_4K,
				len - SZ_4K));
	if (level == HMM_DAX_LEVEL_PMD)
		EXPECT_EQ(1, huge_leaves(_metadata, self->mfd, p + SZ_2M,
					 SZ_2M, "the covered 2 MiB"));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	munmap(p + SZ_4K, len - SZ_4K);
}

/*
 * pmd_fallback_pte_first: 4 KiB entries installed first through another
 * mapping (one that cannot take 2 MiB entries: its address is 4 KiB off
 * the file offset's 2 MiB alignment) make the aligned mapping fall back
 * to 4 KiB there too; the mirror must follow, and a 2 MiB range nobody
 * touched may still be huge.
 */
TEST_F_TIMEOUT(mirror, pmd_fallback_pte_first, MIRROR_TIMEOUT)
{
	__u32 level;
	char *res, *q;

	level = expected_level(variant->target, variant->align, self->fd,
			       2 * SZ_2M);	/* before any mapping: see above */
	res = hmm_dax_mmap_aligned(2 * SZ_2M, SZ_2M, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	q = mmap(res + SZ_4K, SZ_2M, PROT_READ, MAP_SHARED | MAP_FIXED,
		 self->fd, SZ_2M);
	ASSERT_EQ(res + SZ_4K, q) TH_LOG("mmap: %s", strerror(errno));
	cpu_touch(q, SZ_2M);

	ASSERT_EQ(0, mirror(self->mfd, self->map + SZ_2M, 2 * SZ_2M, 0,
			    NULL));
	EXPECT_EQ(0, huge_leaves(_metadata, self->mfd, self->map + SZ_2M,
				 SZ_2M, "after 4 KiB entries from another mapping"));
	if (level == HMM_DAX_LEVEL_PMD)
		EXPECT_EQ(1, huge_leaves(_metadata, self->mfd,
					 self->map + 2 * SZ_2M, SZ_2M,
					 "untouched 2 MiB"));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map + SZ_2M,
				   SZ_2M));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	munmap(res, 2 * SZ_2M);
}

/* A punched hole loses its leaves; the device reads zeros there. */
TEST_F_TIMEOUT(mirror, punch_hole, MIRROR_TIMEOUT)
{
	struct hmm_dax_leaf *lv = NULL;
	char *hole = self->map + SZ_2M;
	char *buf = malloc(SZ_2M);
	struct ev_log log;
	long n, i;
	int ret;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size, 0, NULL));
	ev_drain(self->mfd);
	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, SZ_2M, SZ_2M))
		TH_LOG("punch hole: %s", strerror(errno));

	EXPECT_EQ(0, dump_count(self->mfd, hole, SZ_2M));
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_LE(1, ev_count(&log, HMM_DAX_EV_CLEAR, hole, SZ_2M));
	TH_LOG("%ld leaves left outside the hole",
	       dump_count(self->mfd, self->map, self->size));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));

	memset(buf, 0xff, SZ_2M);
	ret = dev_read(self->mfd, hole, buf, SZ_2M);
	ASSERT_EQ(0, ret) TH_LOG("device read of the hole: %s",
				 strerror(-ret));
	for (i = 0; i < (long)SZ_2M && !buf[i]; i++)
		;
	EXPECT_EQ((long)SZ_2M, i) TH_LOG("the device reads %#x at hole + %#lx",
					 (unsigned char)buf[i], i);
	EXPECT_EQ(0, memcmp(buf, hole, SZ_2M));
	n = dump(self->mfd, hole, SZ_2M, &lv);
	log_levels(_metadata, "hole after the device read", lv, n);
	for (i = 0; i < n; i++) {
		if (!(lv[i].flags & HMM_DAX_LEAF_ZERO))
			continue;
		EXPECT_EQ(0, lv[i].flags & (HMM_DAX_LEAF_WRITE |
					    HMM_DAX_LEAF_DEVICE))
			TH_LOG("zero-page leaf at %#llx flags %#x",
			       lv[i].addr, lv[i].flags);
	}
	if (n > 0)
		TH_LOG("the hole re-faulted to %s (flags %#x)",
		       lv[0].flags & HMM_DAX_LEAF_ZERO ? "the zero page" :
		       "new pages", lv[0].flags);
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map, SZ_2M));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, hole + SZ_2M,
				   self->size - 2 * SZ_2M));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, SZ_2M, 0));
	EXPECT_TRUE(cpu_has_pattern(_metadata, hole + SZ_2M, 2 * SZ_2M,
				    self->size - 2 * SZ_2M, 0));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
	free(buf);
}

/*
 * A file whose blocks are not 2 MiB-aligned on the device (its first 4 KiB
 * collapsed away, so every 2 MiB of the file starts 4 KiB into a device
 * 2 MiB) cannot have PMD entries: the CPU and the mirror use 4 KiB leaves.
 */
TEST_F_TIMEOUT(mirror, pmd_fallback_misaligned_extent, MIRROR_TIMEOUT)
{
	unsigned long len = self->size - SZ_2M, off;
	struct hmm_dax_leaf *lv = NULL;
	long n, huge;
	int ret;

	ret = fallocate(self->fd, FALLOC_FL_COLLAPSE_RANGE, 0, SZ_4K) ?
	      errno : 0;
	if (variant->target == TARGET_TMPFS) {
		/* the control: tmpfs has no extents to collapse */
		TH_LOG("FALLOC_FL_COLLAPSE_RANGE on tmpfs: %s",
		       ret ? strerror(ret) : "0");
		EXPECT_EQ(EOPNOTSUPP, ret);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("FALLOC_FL_COLLAPSE_RANGE: %s",
				 strerror(ret));
	log_extents(_metadata, self->fd, 0, len);
	for (off = 0; off < len; off += SZ_2M)
		ASSERT_EQ(HMM_DAX_LEVEL_PTE,
			  expected_level(variant->target, variant->align,
					 self->fd, off))
			TH_LOG("2 MiB at %#lx is still 2 MiB-aligned on the device",
			       off);
	ASSERT_EQ(0, mirror(self->mfd, self->map, len, 0, NULL));
	huge = huge_leaves(_metadata, self->mfd, self->map, len,
			   "misaligned extent");
	EXPECT_EQ(0, huge);
	n = dump(self->mfd, self->map, len, &lv);
	log_levels(_metadata, "misaligned extent", lv, n);
	EXPECT_EQ((long)(len / SZ_4K), n);
	EXPECT_EQ(0, check_leaves(_metadata, variant->pgmap, lv, n,
				  self->map, len, -1));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, len));
	/* the bytes moved down by 4 KiB in both views */
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, SZ_4K, len, 0));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map, len));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
}

/* fork() write-protects a private mirror; a device write then copies. */
TEST_F_TIMEOUT(mirror, fork_private, MIRROR_TIMEOUT)
{
	unsigned long half = self->size / 2, qoff = half + 3 * SZ_4K;
	struct hmm_dax_leaf *lv = NULL, before;
	const struct hmm_dax_leaf *l;
	unsigned char byte = 0xa5, c;
	struct ev_log log;
	char *p, *q;
	int status;
	pid_t pid;
	long n;

	p = hmm_dax_mmap_aligned(self->size, SZ_2M, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	if (variant->target == TARGET_TMPFS)
		madvise(p, self->size, MADV_NOHUGEPAGE);
	q = p + qoff;

	/* first half: anonymous copies, writable; second: the file's pages */
	ASSERT_EQ(0, mirror(self->mfd, p, half, HMM_DAX_MIRROR_WRITE, NULL));
	ASSERT_EQ(0, mirror(self->mfd, p + half, half, 0, NULL));
	n = dump(self->mfd, p, self->size, &lv);
	ASSERT_LT(0, n);
	log_levels(_metadata, "before fork", lv, n);
	l = leaf_at(lv, n, p);
	ASSERT_NE(NULL, l);
	EXPECT_EQ(HMM_DAX_LEAF_WRITE,
		  l->flags & (HMM_DAX_LEAF_WRITE | HMM_DAX_LEAF_DEVICE));
	l = leaf_at(lv, n, q);
	ASSERT_NE(NULL, l);
	before = *l;
	EXPECT_EQ(0, before.flags & HMM_DAX_LEAF_WRITE);
	free(lv);
	lv = NULL;
	ev_drain(self->mfd);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* copy on write, in the child only */
		pattern_fill(p, 0, self->size, 9);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_LE(1, ev_count(&log, HMM_DAX_EV_PROTECTION_PAGE, p,
			      self->size));
	n = dump(self->mfd, p, self->size, &lv);
	log_levels(_metadata, "after fork", lv, n);
	EXPECT_EQ(0, count_flags(lv, n, HMM_DAX_LEAF_WRITE));
	free(lv);
	lv = NULL;
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p, self->size));
	EXPECT_TRUE(cpu_has_pattern(_metadata, p, 0, self->size, 0));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, p, self->size));

	ASSERT_EQ(0, dev_write(self->mfd, q, &byte, 1));
	n = dump(self->mfd, q, SZ_4K, &lv);
	ASSERT_EQ(1, n);
	TH_LOG("written page: %s leaf pfn %#llx flags %#x, now %s pfn %#llx flags %#x",
	       hmm_dax_level_str(before.level), before.pfn, before.flags,
	       hmm_dax_level_str(lv[0].level), lv[0].pfn, lv[0].flags);
	EXPECT_EQ(HMM_DAX_LEAF_WRITE,
		  lv[0].flags & (HMM_DAX_LEAF_WRITE | HMM_DAX_LEAF_DEVICE));
	EXPECT_NE(before.pfn + ((uintptr_t)q - before.addr) / SZ_4K,
		  lv[0].pfn + ((uintptr_t)q - lv[0].addr) / SZ_4K);
	EXPECT_EQ(byte, (unsigned char)*q);
	ASSERT_EQ(1, pread(self->fd, &c, 1, qoff));
	EXPECT_EQ(pattern_byte(qoff, 0), c)
		TH_LOG("a private write reached the file");
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, p, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	free(lv);
	munmap(p, self->size);
}

static int race_msync(struct race *rc)
{
	return msync(rc->addr, rc->len, MS_SYNC);
}

/*
 * msync_race: fsdax writeback write-protecting the range inside the window
 * of a write mirror.  A driver that installed what hmm_range_fault() saw
 * would hold a writable leaf over a write-protected CPU entry, and device
 * writes would escape the next writeback; the re-check must retry.
 */
TEST_F_TIMEOUT(mirror, msync_race, MIRROR_TIMEOUT)
{
	struct race rc = {
		.mfd = self->mfd,
		.addr = self->map,
		.len = SZ_2M,
		.flags = HMM_DAX_MIRROR_WRITE,
		.invalidate = race_msync,
	};

	if (variant->target != TARGET_FSDAX)
		HMM_DAX_SKIP(return, "msync write-protects nothing on tmpfs");
	race_rounds(_metadata, &rc, self->map, self->size);
}

TEST_HARNESS_MAIN
