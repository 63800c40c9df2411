// SPDX-License-Identifier: GPL-2.0
/*
 * Targets: what the tool maps and mirrors.  "anon" is private anonymous
 * memory; a character device must be a device-dax node; anything else is a
 * file, created (and removed at the end) when it does not exist and a size
 * is given.  A file is "fsdax" when statx() says the kernel accesses it with
 * DAX, a plain "file" (a non-DAX control) otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <daxctl/libdaxctl.h>

#include "hmm-dax.h"

#define DEFAULT_SIZE	(16 * 1024 * 1024UL)

/* The device-dax device of node @rdev, in @ctx; NULL if there is none. */
static struct daxctl_dev *target_daxctl_dev(struct daxctl_ctx *ctx,
					    dev_t rdev)
{
	struct daxctl_region *region;
	struct daxctl_dev *dev;

	daxctl_region_foreach(ctx, region)
		daxctl_dev_foreach(region, dev)
			if (makedev(daxctl_dev_get_major(dev),
				    daxctl_dev_get_minor(dev)) == rdev)
				return dev;
	return NULL;
}

static int target_devdax(struct target *t, dev_t rdev, size_t size)
{
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dev;
	size_t dev_size;
	int ret;

	ret = daxctl_new(&ctx);
	if (ret)
		return out_error("%s: libdaxctl: %s", t->path, strerror(-ret));
	daxctl_set_log_priority(ctx, 0);
	dev = target_daxctl_dev(ctx, rdev);
	if (!dev) {
		daxctl_unref(ctx);
		return out_error("%s: a character device but not a device-dax device",
				 t->path);
	}
	snprintf(t->dev, sizeof(t->dev), "%s", daxctl_dev_get_devname(dev));
	t->unit = daxctl_dev_get_align(dev);
	dev_size = daxctl_dev_get_size(dev);
	t->capacity = dev_size;
	daxctl_unref(ctx);
	if (!t->unit)
		t->unit = SZ_2M;
	/* one --size for several targets: a device-dax one rounds it up */
	if (!size)
		size = DEFAULT_SIZE;
	t->size = (size + t->unit - 1) / t->unit * t->unit;
	if (t->size > dev_size)
		return out_error("%s: --size %zu is larger than %s (%zu bytes)",
				 t->path, t->size, t->dev, dev_size);
	t->kind = TARGET_DEVDAX;
	snprintf(t->kind_name, sizeof(t->kind_name), "devdax");
	return 0;
}

static int target_file(struct target *t, size_t size)
{
	struct stat st;
	int dax;

	t->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0 && errno == ENOENT && size) {
		t->fd = open(t->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		t->created = t->fd >= 0;
	}
	if (t->fd < 0)
		return out_error("%s: %s%s", t->path, strerror(errno),
				 errno == ENOENT ? " (give --size to create it)" : "");
	if (fstat(t->fd, &st))
		return out_error("%s: %s", t->path, strerror(errno));
	if (S_ISCHR(st.st_mode))
		return target_devdax(t, st.st_rdev, size);
	if (!S_ISREG(st.st_mode))
		return out_error("%s: not a regular file or a device-dax node",
				 t->path);
	if (!size)
		size = st.st_size;
	if (!size || size % SZ_4K)
		return out_error("%s: size %zu is not a non-zero multiple of 4 KiB (use --size)",
				 t->path, size);
	if ((size_t)st.st_size < size && !t->created)
		return out_error("%s: %lld bytes, --size asks %zu (%s)", t->path,
				 (long long)st.st_size, size,
				 "only a file the tool creates is sized");
	if (t->created && fallocate(t->fd, 0, 0, size))
		return out_error("%s: fallocate %zu: %s", t->path, size,
				 strerror(errno));
	t->size = size;
	t->unit = SZ_2M;
	dax = hmm_dax_fd_is_dax(t->fd);
	if (dax < 0)
		return out_error("%s: statx: %s", t->path, strerror(-dax));
	t->kind = dax ? TARGET_DAXFILE : TARGET_FILE;
	snprintf(t->kind_name, sizeof(t->kind_name), "%s",
		 t->kind == TARGET_DAXFILE ? "fsdax" : "file");
	return 0;
}

/* Open @path as a target of @size bytes (0: the default); 0 or exit 2. */
int target_open(struct target *t, const char *path, size_t size)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (strlen(path) >= sizeof(t->path))
		return out_error("target path too long");
	snprintf(t->path, sizeof(t->path), "%s", path);
	if (strcmp(path, "anon"))
		return target_file(t, size);
	t->kind = TARGET_ANON;
	snprintf(t->kind_name, sizeof(t->kind_name), "anon");
	t->size = size ? size : DEFAULT_SIZE;
	t->unit = SZ_2M;
	if (t->size % SZ_4K)
		return out_error("--size %zu is not a multiple of 4 KiB", t->size);
	return 0;
}

void target_close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->created)
		unlink(t->path);
	t->fd = -1;
	t->created = 0;
}

/* Map the first @len bytes of @t, shared (or private), read and write. */
void *target_map(struct target *t, size_t len, int private_map)
{
	int flags = private_map ? MAP_PRIVATE : MAP_SHARED;

	/* aligned, so that the CPU and the mirror can use the largest leaves */
	if (t->kind == TARGET_ANON)
		return hmm_dax_mmap_aligned(len, t->unit, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return hmm_dax_mmap_aligned(len, t->unit, PROT_READ | PROT_WRITE, flags,
				    t->fd, 0);
}

/* Unbind (@enable 0) or bind a device-dax target's driver: 0 or -errno. */
int target_devdax_set(struct target *t, int enable)
{
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dev;
	struct stat st;
	int ret;

	if (stat(t->path, &st))
		return -errno;
	ret = daxctl_new(&ctx);
	if (ret)
		return ret;
	daxctl_set_log_priority(ctx, 0);
	dev = target_daxctl_dev(ctx, st.st_rdev);
	if (!dev)
		ret = -ENODEV;
	else if (enable)
		ret = daxctl_dev_enable_devdax(dev);
	else
		ret = daxctl_dev_disable(dev);
	daxctl_unref(ctx);
	return ret;
}

/*
 * After target_devdax_set(@t, 0): bind the driver again and open the node
 * afresh (the device comes back for new opens only).  0 or exit 2.
 */
int target_devdax_rebind(struct target *t)
{
	int ret;

	close(t->fd);
	t->fd = -1;
	ret = target_devdax_set(t, 1);
	if (ret)
		return out_error("%s: enable: %s", t->dev, strerror(-ret));
	t->fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0)
		return out_error("%s: open after the rebind: %s", t->path,
				 strerror(errno));
	return 0;
}

/* A short name for the table: ext4-dax, xfs-dax, devdax-2M, anon, ... */
void target_label(const struct target *t, char *buf, size_t len)
{
	struct statfs sfs;
	const char *fs = "file";

	switch (t->kind) {
	case TARGET_ANON:
		snprintf(buf, len, "anon");
		return;
	case TARGET_DEVDAX:
		snprintf(buf, len, "devdax-%s",
			 hmm_dax_level_str(t->unit >= SZ_1G ? 2 : 1));
		return;
	default:
		break;
	}
	if (!fstatfs(t->fd, &sfs))
		fs = sfs.f_type == 0xEF53 ? "ext4" :
		     sfs.f_type == 0x58465342 ? "xfs" :
		     sfs.f_type == 0x01021994 ? "tmpfs" : "file";
	snprintf(buf, len, "%s%s", fs, t->kind == TARGET_DAXFILE ? "-dax" : "");
}
