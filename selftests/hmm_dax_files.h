/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_files.h - files and test patterns for the hmm_dax kselftests
 *
 * The pattern: every test target is written with pattern_fill() of a
 * seed, a word per 8 bytes of offset, so that a misplaced or stale byte
 * shows wherever it is read from (the CPU, the device, read(2)).
 *
 * Files: make_file() creates a file, allocated and written with a seed
 * (no page of it read-faults to the zero page); make_dir() a directory
 * whose new files are DAX on a dax=inode mount; fiemap_pmd_ok() tells
 * whether 2 MiB of a file can be mapped by one PMD.  sysfs_write() writes
 * the knobs of sysfs, procfs and tracefs.
 *
 * Header-only (static inline functions), like the other headers of the
 * suite: each program includes the ones it uses; hmm_dax_util.h includes
 * this one, hmm_dax_target.h both.
 */
#ifndef _HMM_DAX_FILES_H
#define _HMM_DAX_FILES_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "hmm_dax_harness.h"
#include "hmm_dax_uapi.h"

#ifndef FS_IOC_FIEMAP
#define FS_IOC_FIEMAP	_IOWR('f', 11, struct fiemap)
#endif

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_1G	0x40000000UL

/* Write a string to a sysfs file: 0 or -errno. */
static inline int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The test pattern: a word per 8 bytes of offset, different for every
 * seed, so that any misplaced or stale byte shows.
 */
static inline __u64 pattern_word(unsigned long off, unsigned int seed)
{
	return (off / 8 + 1) * 0x9e3779b97f4a7c15ULL +
	       seed * 0x100000001b3ULL;
}

static inline unsigned char pattern_byte(unsigned long off, unsigned int seed)
{
	return pattern_word(off & ~7UL, seed) >> (8 * (off & 7));
}

/* Fill p, which is at offset off of the target, with the pattern. */
static inline void pattern_fill(void *p, unsigned long off, unsigned long len,
				unsigned int seed)
{
	unsigned char *b = p;
	unsigned long i = 0;

	if (!((uintptr_t)p & 7) && !(off & 7))
		for (; i + 8 <= len; i += 8)
			*(__u64 *)(b + i) = pattern_word(off + i, seed);
	for (; i < len; i++)
		b[i] = pattern_byte(off + i, seed);
}

/* Index of the first byte of p (at offset off) off the pattern, or -1. */
static inline long pattern_diff(const void *p, unsigned long off,
				unsigned long len, unsigned int seed)
{
	const unsigned char *b = p;
	unsigned long i = 0;

	if (!((uintptr_t)p & 7) && !(off & 7))
		for (; i + 8 <= len; i += 8)
			if (*(const __u64 *)(b + i) !=
			    pattern_word(off + i, seed))
				break;
	for (; i < len; i++)
		if (b[i] != pattern_byte(off + i, seed))
			return i;
	return -1;
}

/* Index of the first byte where a and b differ, or -1. */
static inline long first_diff(const void *a, const void *b, unsigned long len)
{
	const unsigned char *x = a, *y = b;
	unsigned long i;

	if (!memcmp(a, b, len))
		return -1;
	for (i = 0; x[i] == y[i]; i++)
		;
	return i;
}

/* Write the pattern into [off, off + len) of a file: 0 or -errno. */
static inline int file_fill(int fd, unsigned long off, unsigned long len,
			    unsigned int seed)
{
	unsigned long chunk = 1UL << 20, done, n;
	char *buf = malloc(chunk);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (done = 0; done < len && !ret; done += n) {
		n = len - done < chunk ? len - done : chunk;
		pattern_fill(buf, off + done, n, seed);
		if (pwrite(fd, buf, n, off + done) != (ssize_t)n)
			ret = errno ? -errno : -EIO;
	}
	free(buf);
	return ret;
}

/* ---- files ---- */

/*
 * Whether the 2 MiB of fd at off are one written, physically contiguous,
 * 2 MiB-aligned run of blocks, which a DAX PMD fault needs: 1 yes, 0 no,
 * -errno if FIEMAP failed.
 */
static inline int fiemap_pmd_ok(int fd, unsigned long off)
{
	const __u32 bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			  FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_INLINE |
			  FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_UNWRITTEN;
	unsigned int i, max = 64;
	__u64 cur = off, phys = 0, at;
	struct fiemap *fm;
	int ret = 0;

	fm = calloc(1, sizeof(*fm) + max * sizeof(fm->fm_extents[0]));
	if (!fm)
		return -ENOMEM;
	fm->fm_start = off;
	fm->fm_length = SZ_2M;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = max;
	if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < fm->fm_mapped_extents && cur < off + SZ_2M; i++) {
		struct fiemap_extent *fe = &fm->fm_extents[i];

		if (fe->fe_logical > cur || (fe->fe_flags & bad))
			goto out;
		at = fe->fe_physical + (cur - fe->fe_logical);
		if (cur == off)
			phys = at;
		if (phys % SZ_2M || at != phys + (cur - off))
			goto out;
		cur = fe->fe_logical + fe->fe_length;
	}
	ret = cur >= off + SZ_2M;
out:
	free(fm);
	return ret;
}

/* Log the extents of [off, off + len) of fd. */
static inline void log_extents(struct __test_metadata *_metadata, int fd,
			       unsigned long off, unsigned long len)
{
	unsigned int i, max = 64;
	struct fiemap *fm;

	fm = calloc(1, sizeof(*fm) + max * sizeof(fm->fm_extents[0]));
	if (!fm)
		return;
	fm->fm_start = off;
	fm->fm_length = len;
	fm->fm_extent_count = max;
	if (ioctl(fd, FS_IOC_FIEMAP, fm))
		TH_LOG("FIEMAP at %#lx: %s", off, strerror(errno));
	else
		for (i = 0; i < fm->fm_mapped_extents; i++)
			TH_LOG("extent: file %#llx disk %#llx len %#llx flags %#x",
			       fm->fm_extents[i].fe_logical,
			       fm->fm_extents[i].fe_physical,
			       fm->fm_extents[i].fe_length,
			       fm->fm_extents[i].fe_flags);
	free(fm);
}

/*
 * A fresh directory under root (dir gets its path) whose new files are
 * DAX, on a dax=inode mount, when dax is set (FS_XFLAG_DAX is inherited).
 * 0 or -errno.
 */
static inline int make_dir(const char *root, bool dax, char *dir, size_t len)
{
	int fd, ret = 0;

	snprintf(dir, len, "%s/hmm-dax-dir.XXXXXX", root);
	if (!mkdtemp(dir))
		return -errno;
	if (!dax)
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = hmm_dax_set_xflag_dax(fd, true);
	close(fd);
	return ret;
}

/*
 * A new file in dir of len bytes, allocated and written with seed, its
 * path in path: its descriptor, or -errno.
 */
static inline int make_file(const char *dir, unsigned long len,
			    unsigned int seed, char *path, size_t plen)
{
	int fd, ret;

	if (snprintf(path, plen, "%s/hmm-dax-file.XXXXXX", dir) >= (int)plen)
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = fallocate(fd, 0, 0, len) ? -errno : file_fill(fd, 0, len, seed);
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	return fd;
}

#endif /* _HMM_DAX_FILES_H */
