// SPDX-License-Identifier: LGPL-2.1
/*
 * The CPU views a mirror is compared with, each usable alone:
 *
 *  bytes    a CPU load through the mapping;
 *  pagemap  the pfns of /proc/self/pagemap (CAP_SYS_ADMIN for real pfns);
 *  extents  pfns from where the data lives, without any page table: the
 *           physical ranges of a device-dax device (libdaxctl), or an fsdax
 *           file's FIEMAP extents plus the physical address of its
 *           namespace's data area (libndctl).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include "libhmmdax.h"

#define HMM_DAX_PAGE		4096ULL
#define BIT_ULL(n)		(1ULL << (n))
#define PM_PRESENT		BIT_ULL(63)
#define PM_PFN_MASK		((1ULL << 55) - 1)

/**
 * hmm_dax_cpu_bytes() - the bytes a CPU load through the mapping reads
 * @addr: first address
 * @buf: (out) @len bytes
 * @len: bytes to read
 *
 * The loads fault in whatever the CPU has not mapped yet.
 *
 * Return: 0.
 */
int hmm_dax_cpu_bytes(const void *addr, void *buf, size_t len)
{
	memcpy(buf, addr, len);
	return 0;
}

/**
 * hmm_dax_pagemap() - pfns of [@addr, @addr + @len) from /proc/self/pagemap
 * @addr: page-aligned start
 * @len: page-aligned length
 * @pfns: (out) one pfn per page, HMM_DAX_NO_PFN where nothing is mapped
 *
 * Reading pagemap walks the page tables and may change them: see
 * hmm_dax_pagemap_perturbs().
 *
 * Return: 0, -EINVAL for an unaligned range, -EPERM if the kernel hid the
 * pfns (no CAP_SYS_ADMIN), or the negative errno of open(2) or pread(2).
 */
int hmm_dax_pagemap(const void *addr, size_t len, __u64 *pfns)
{
	size_t n = len / HMM_DAX_PAGE, i, done = 0;
	unsigned long start = (unsigned long)addr;
	int fd, ret = 0;
	ssize_t got;

	if (start % HMM_DAX_PAGE || len % HMM_DAX_PAGE)
		return -EINVAL;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < n) {
		got = pread(fd, pfns + done, (n - done) * sizeof(*pfns),
			    (start / HMM_DAX_PAGE + done) * sizeof(*pfns));
		if (got <= 0) {
			ret = got ? -errno : -EIO;
			goto out;
		}
		done += got / sizeof(*pfns);
	}
	for (i = 0; i < n; i++) {
		if (!(pfns[i] & PM_PRESENT)) {
			pfns[i] = HMM_DAX_NO_PFN;
			continue;
		}
		pfns[i] &= PM_PFN_MASK;
		if (!pfns[i])
			ret = -EPERM;
	}
out:
	close(fd);
	return ret;
}

/**
 * hmm_dax_pagemap_perturbs() - whether reading pagemap changes a mapping
 * @ctx: a context whose mirror may be changed
 * @addr: page-aligned start of a mapping that may be changed
 * @len: page-aligned length
 * @zapped: (out) device leaves the read zapped
 *
 * Mirrors the range, reads its pagemap and counts the invalidations the
 * read sent to the mirror.  Some kernels split, and for DAX thereby zap, a
 * 1 GiB leaf when pagemap walks it.  Use a scratch mapping of the same
 * target: the one being measured must not be perturbed.
 *
 * Return: 1 if the read sent invalidations that met the mirror, 0 if not,
 * or a negative errno.
 */
int hmm_dax_pagemap_perturbs(struct hmm_dax_ctx *ctx, void *addr, size_t len,
			     __u64 *zapped)
{
	struct hmm_dax_event *ev;
	size_t n, i, l;
	__u64 *pfns;
	int ret;

	*zapped = 0;
	pfns = malloc(len / HMM_DAX_PAGE * sizeof(*pfns));
	if (!pfns)
		return -ENOMEM;
	ret = hmm_dax_mirror(ctx, addr, len, 0, NULL);
	if (!ret)
		ret = hmm_dax_events(ctx, &ev, &n, NULL);
	if (ret)
		goto out;
	free(ev);
	ret = hmm_dax_pagemap(addr, len, pfns);
	if (ret)
		goto out;
	ret = hmm_dax_events(ctx, &ev, &n, NULL);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
			*zapped += ev[i].zapped[l];
	free(ev);
	ret = n > 0;
out:
	free(pfns);
	return ret;
}

/* One physically contiguous piece of a device-dax device. */
struct hmm_dax_range_map {
	__u64 offset;		/* file offset */
	__u64 phys;
	__u64 size;
};

enum { HMM_DAX_EXT_DEVDAX, HMM_DAX_EXT_FSDAX };

struct hmm_dax_extents {
	int fd;
	int kind;
	__u64 base;		/* fsdax: physical address of sector 0 */
	struct hmm_dax_range_map *map;	/* devdax */
	size_t nr;
	char source[160];
};

/* The physical ranges of the device-dax device whose node is @rdev. */
static int hmm_dax_devdax_ranges(struct hmm_dax_extents *ext, dev_t rdev)
{
	struct daxctl_mapping *mapping;
	struct daxctl_region *region;
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dev, *found = NULL;
	void *tmp;
	int ret;

	ret = daxctl_new(&ctx);
	if (ret)
		return ret;
	daxctl_set_log_priority(ctx, 0);
	daxctl_region_foreach(ctx, region)
		daxctl_dev_foreach(region, dev)
			if (makedev(daxctl_dev_get_major(dev),
				    daxctl_dev_get_minor(dev)) == rdev)
				found = dev;
	ret = -ENODEV;
	if (!found)
		goto out;
	daxctl_mapping_foreach(found, mapping) {
		tmp = realloc(ext->map, (ext->nr + 1) * sizeof(*ext->map));
		ret = -ENOMEM;
		if (!tmp)
			goto out;
		ext->map = tmp;
		ext->map[ext->nr].offset =
			daxctl_mapping_get_offset(mapping) * HMM_DAX_PAGE;
		ext->map[ext->nr].phys = daxctl_mapping_get_start(mapping);
		ext->map[ext->nr].size = daxctl_mapping_get_size(mapping);
		ext->nr++;
	}
	if (!ext->nr) {
		/* a kernel without mapping<N> objects: one range */
		ext->map = calloc(1, sizeof(*ext->map));
		ret = -ENOMEM;
		if (!ext->map)
			goto out;
		ext->map[0].phys = daxctl_dev_get_resource(found);
		ext->map[0].size = daxctl_dev_get_size(found);
		ext->nr = 1;
	}
	snprintf(ext->source, sizeof(ext->source),
		 "libdaxctl: %s, %zu physical range%s from %#llx",
		 daxctl_dev_get_devname(found), ext->nr, ext->nr > 1 ? "s" : "",
		 (unsigned long long)ext->map[0].phys);
	ret = 0;
out:
	daxctl_unref(ctx);
	return ret;
}

/* Whether /dev/@name is the block device @dev. */
static int hmm_dax_is_blockdev(const char *name, dev_t dev)
{
	char path[64];
	struct stat st;

	if (!name)
		return 0;
	snprintf(path, sizeof(path), "/dev/%s", name);
	return !stat(path, &st) && S_ISBLK(st.st_mode) && st.st_rdev == dev;
}

/* The physical address of sector 0 of the pmem block device @dev. */
static int hmm_dax_pmem_base(struct hmm_dax_extents *ext, dev_t dev)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_bus *bus;
	struct ndctl_ctx *ctx;
	struct ndctl_pfn *pfn;
	const char *blk;
	int ret;

	ret = ndctl_new(&ctx);
	if (ret)
		return ret;
	ndctl_set_log_priority(ctx, 0);
	ret = -ENODEV;
	ndctl_bus_foreach(ctx, bus)
	ndctl_region_foreach(bus, region)
	ndctl_namespace_foreach(region, ndns) {
		pfn = ndctl_namespace_get_pfn(ndns);
		if (pfn && ndctl_pfn_is_enabled(pfn)) {
			/* fsdax: the pfn device's resource is its data area */
			blk = ndctl_pfn_get_block_device(pfn);
			ext->base = ndctl_pfn_get_resource(pfn);
		} else {
			blk = ndctl_namespace_get_block_device(ndns);
			ext->base = ndctl_namespace_get_resource(ndns);
		}
		if (!hmm_dax_is_blockdev(blk, dev))
			continue;
		snprintf(ext->source, sizeof(ext->source),
			 "libndctl + FIEMAP: /dev/%s (%s), data at %#llx", blk,
			 ndctl_namespace_get_devname(ndns),
			 (unsigned long long)ext->base);
		ret = ext->base == ULLONG_MAX ? -ENXIO : 0;
		goto out;
	}
out:
	ndctl_unref(ctx);
	return ret;
}

/**
 * hmm_dax_extents_new() - the extents oracle of one open target
 * @ext: (out) the oracle
 * @fd: an open device-dax node or a file on a DAX filesystem; it must stay
 *	open while @ext is used
 *
 * Return: 0; -EOPNOTSUPP if @fd is a file the kernel does not access with
 * DAX (statx STATX_ATTR_DAX clear) or neither a file nor a character device;
 * -ENODEV if no device-dax device or pmem namespace holds it; -ENOMEM; or the
 * negative errno of a library call.
 */
int hmm_dax_extents_new(struct hmm_dax_extents **ext, int fd)
{
	struct hmm_dax_extents *x;
	struct statx stx;
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = fd;
	if (S_ISCHR(st.st_mode)) {
		x->kind = HMM_DAX_EXT_DEVDAX;
		ret = hmm_dax_devdax_ranges(x, st.st_rdev);
	} else if (S_ISREG(st.st_mode)) {
		x->kind = HMM_DAX_EXT_FSDAX;
		ret = -errno;
		if (!statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
			ret = stx.stx_attributes & STATX_ATTR_DAX ?
				hmm_dax_pmem_base(x, st.st_dev) : -EOPNOTSUPP;
	} else {
		ret = -EOPNOTSUPP;
	}
	if (ret) {
		hmm_dax_extents_free(x);
		return ret;
	}
	*ext = x;
	return 0;
}

/**
 * hmm_dax_extents_free() - free an extents oracle
 * @ext: the oracle, or NULL
 */
void hmm_dax_extents_free(struct hmm_dax_extents *ext)
{
	if (!ext)
		return;
	free(ext->map);
	free(ext);
}

/**
 * hmm_dax_extents_source() - where the oracle's pfns come from, for reports
 * @ext: the oracle
 *
 * Return: a string owned by @ext.
 */
const char *hmm_dax_extents_source(const struct hmm_dax_extents *ext)
{
	return ext->source;
}

static void hmm_dax_devdax_pfns(struct hmm_dax_extents *ext, __u64 offset,
				size_t n, __u64 *pfns)
{
	size_t i, r;

	for (i = 0; i < n; i++) {
		__u64 off = offset + i * HMM_DAX_PAGE;

		pfns[i] = HMM_DAX_NO_PFN;
		for (r = 0; r < ext->nr; r++)
			if (off >= ext->map[r].offset &&
			    off - ext->map[r].offset < ext->map[r].size)
				pfns[i] = (ext->map[r].phys + off -
					   ext->map[r].offset) / HMM_DAX_PAGE;
	}
}

/*
 * Never FIEMAP_FLAG_SYNC: on DAX it would write back the file, and DAX
 * writeback write-protects the CPU's entries, which is an invalidation of
 * the very mirror being measured.
 */
static int hmm_dax_fsdax_pfns(struct hmm_dax_extents *ext, __u64 offset,
			      size_t n, __u64 *pfns)
{
	const unsigned int max = 256;
	__u64 end = offset + n * HMM_DAX_PAGE, cur = offset, size, a;
	struct fiemap_extent *fe;
	struct fiemap *fm;
	struct stat st;
	unsigned int i;
	int ret = 0;

	if (fstat(ext->fd, &st))
		return -errno;
	size = (st.st_size + HMM_DAX_PAGE - 1) & ~(HMM_DAX_PAGE - 1);
	for (i = 0; i < n; i++)
		pfns[i] = offset + i * HMM_DAX_PAGE < size ? HMM_DAX_HOLE_PFN :
							     HMM_DAX_NO_PFN;
	fm = calloc(1, sizeof(*fm) + max * sizeof(*fe));
	if (!fm)
		return -ENOMEM;
	while (cur < end && cur < size) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = cur;
		fm->fm_length = end - cur;
		fm->fm_extent_count = max;
		if (ioctl(ext->fd, FS_IOC_FIEMAP, fm)) {
			ret = -errno;
			break;
		}
		if (!fm->fm_mapped_extents)
			break;
		for (i = 0; i < fm->fm_mapped_extents; i++) {
			fe = &fm->fm_extents[i];
			cur = fe->fe_logical + fe->fe_length;
			if (fe->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
				continue;	/* reads as a hole */
			for (a = fe->fe_logical; a < cur; a += HMM_DAX_PAGE) {
				if (a < offset || a >= end || a >= size)
					continue;
				pfns[(a - offset) / HMM_DAX_PAGE] =
					fe->fe_flags & FIEMAP_EXTENT_UNKNOWN ?
					HMM_DAX_NO_PFN :
					(ext->base + fe->fe_physical +
					 (a - fe->fe_logical)) / HMM_DAX_PAGE;
			}
			if (fe->fe_flags & FIEMAP_EXTENT_LAST)
				cur = end;
		}
	}
	free(fm);
	return ret;
}

/**
 * hmm_dax_extents_pfns() - the pfns where the target's data lives
 * @ext: the oracle
 * @offset: page-aligned offset in the file or device
 * @len: page-aligned length
 * @pfns: (out) one per page: a pfn, HMM_DAX_HOLE_PFN for a file page with no
 *	  written block, HMM_DAX_NO_PFN beyond the end of the file or device
 *
 * Files are asked again on every call: blocks move under truncate, hole
 * punching and copy-on-write.
 *
 * Return: 0, -EINVAL for an unaligned range, or the negative errno of
 * FIEMAP.
 */
int hmm_dax_extents_pfns(struct hmm_dax_extents *ext, __u64 offset,
			 size_t len, __u64 *pfns)
{
	if (offset % HMM_DAX_PAGE || len % HMM_DAX_PAGE)
		return -EINVAL;
	if (ext->kind == HMM_DAX_EXT_DEVDAX) {
		hmm_dax_devdax_pfns(ext, offset, len / HMM_DAX_PAGE, pfns);
		return 0;
	}
	return hmm_dax_fsdax_pfns(ext, offset, len / HMM_DAX_PAGE, pfns);
}
