// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios that change the file under the mapping (scenario.h): truncate
 * (at a page and inside a huge leaf), punched holes, msync and writeback,
 * MAP_SYNC over an unwritten extent, FS_XFLAG_DAX flipped on a dax=inode
 * mount, and a reflinked copy written through the mirror.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/fs.h>

#include "scenario.h"
#include "opencl.h"

/*
 * Cut the file to @size: nothing may stay mirrored beyond it, a device
 * read there must fail, and below it the views agree before and after a
 * re-mirror.  The size comes back after @check (may be NULL) has looked.
 */
static int truncate_to(struct run *r, size_t size,
		       void (*check)(struct run *r, size_t size))
{
	if (ftruncate(r->t->fd, size))
		return out_error("ftruncate: %s", strerror(errno));
	expect_no_leaves(r, r->map + size, r->len - size,
			 "after truncate, beyond the end");
	check_views(r, r->map, size, "after truncate, below the end", 0);
	expect_access_error(r, r->map + size, 0,
			    "a device read beyond the end of the file succeeded",
			    "device read beyond the end");
	remirror(r, r->map, size, HMM_DAX_MIRROR_WRITE, "re-mirror to the end");
	if (check)
		check(r, size);
	if (ftruncate(r->t->fd, r->t->size))
		return out_error("ftruncate: %s", strerror(errno));
	return 0;
}

/* truncate's change: the file ends a page above mid(). */
int ch_truncate(struct run *r)
{
	if (ftruncate(r->t->fd, mid(r) - r->map + PAGE))
		return out_error("ftruncate: %s", strerror(errno));
	return 0;
}

int sc_truncate(struct run *r)
{
	return truncate_to(r, mid(r) - r->map + PAGE, NULL);
}

/* punch-hole's change: the 2 MiB from mid() become a hole. */
int ch_punch_hole(struct run *r)
{
	if (fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      mid(r) - r->map, SZ_2M))
		return out_error("punch hole: %s", strerror(errno));
	return 0;
}

int sc_punch_hole(struct run *r)
{
	int ret = ch_punch_hole(r);

	if (ret)
		return ret;
	expect_no_leaves(r, mid(r), SZ_2M, "after punching the hole, in it");
	check_views(r, r->map, r->len, "after punching the hole", 0);
	remirror(r, r->map, r->len, 0, "read mirror over the hole");
	return 0;
}

/* Every leaf of the 2 MiB holding the end of the file is a 4 KiB one. */
static void end_leaves_small(struct run *r, size_t size)
{
	size_t base = size & ~(SZ_2M - 1), n, i;
	struct hmm_dax_leaf *lv;
	int ret;

	begin_step(r, "leaves of the 2 MiB holding the end");
	ret = hmm_dax_dump(r->ctx, r->map + base, size - base, &lv, &n);
	if (ret)
		add_div(r, "dump failed", "dump", (unsigned long)r->map + base,
			-ret, 0);
	for (i = 0; !ret && i < n; i++)
		if (lv[i].level != HMM_DAX_LEVEL_PTE)
			add_div(r, "a leaf larger than 4 KiB across the end of the file",
				"dump", lv[i].addr, lv[i].pfn, 0);
	if (!ret)
		free(lv);
	end_step(r, (size - base) / PAGE, ret ? 0 : n);
}

/*
 * truncate-partial: the new end of the file is 20 KiB into the 2 MiB leaf
 * below mid(): as truncate, and the piece of that 2 MiB below the end
 * re-mirrors with leaves no larger than the CPU's 4 KiB entries.
 */
int sc_truncate_partial(struct run *r)
{
	size_t base = (mid(r) - r->map - 1) & ~(SZ_2M - 1);

	return truncate_to(r, base + 5 * PAGE, end_leaves_small);
}

static const char beyond_eof[] =
	"beyond the end of the file a CPU device would take SIGBUS and a GPU a fault";

int oc_truncate(struct run *r)
{
	size_t keep = ocl_mid_page(r) + 1, pages = ocl_pages(r);
	struct ocl_expect e = { keep, pages - keep, 0,
				"the file's new part is not a hole of zeros" };

	if (ftruncate(r->t->fd, keep * PAGE))
		return out_error("ftruncate: %s", strerror(errno));
	ocl_check(r, "after truncate, below the end", keep, NULL);
	if (keep < pages)
		ocl_expect_mirror_error(r, keep,
					"the mirror read beyond the end of the file",
					"after truncate, beyond the end",
					beyond_eof);
	if (ftruncate(r->t->fd, r->t->size))
		return out_error("ftruncate: %s", strerror(errno));
	ocl_check(r, "after restoring the size", pages, &e);
	return 0;
}

int oc_punch_hole(struct run *r)
{
	size_t first = ocl_mid_page(r) + 1, n = SZ_2M / PAGE;
	struct ocl_expect e = { first, 0, 0, "the hole does not read as zeros" };

	if (first + n > ocl_pages(r))
		n = ocl_pages(r) - first;
	e.n = n;
	if (n && fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   first * PAGE, n * PAGE))
		return out_error("punch hole: %s", strerror(errno));
	ocl_check(r, "after punching the hole", ocl_pages(r), &e);
	return 0;
}

/*
 * msync: a device write through a writable leaf, then msync(MS_SYNC).
 * fsdax writeback write-protects the entries it flushes: no leaf may stay
 * writable over them (the audit), the next device write must demand-fault,
 * and after fsync() a fresh open must read it.  Device-dax has no fsync
 * (msync is EINVAL there) and tracks no dirty entries; neither does tmpfs.
 */
int sc_msync(struct run *r)
{
	unsigned char buf[2 * PAGE], back[2 * PAGE];
	int want = r->t->kind == TARGET_DEVDAX ? EINVAL : 0, err, fd;
	unsigned long a = (unsigned long)mid(r) - PAGE;
	struct hmm_dax_access acc;

	device_write_seen(r, 0xd7, "device write before msync",
			  "the CPU does not see the device's write", NULL);
	err = msync(r->map, r->len, MS_SYNC) ? errno : 0;
	begin_step(r, "msync(MS_SYNC)");
	if (err != want)
		add_div(r, "msync: unexpected status", "errno", a, err, want);
	end_step(r, 0, 0);
	check_views(r, r->map, r->len, "after msync", 0);

	memset(&acc, 0, sizeof(acc));
	device_write_seen(r, 0xd8, "device write after msync",
			  "the CPU does not see the device's write", &acc);
	begin_step(r, "demand faults of that write");
	if (r->t->kind == TARGET_DAXFILE && !acc.faults)
		add_div(r, "no demand fault: a leaf stayed writable through writeback",
			"faults", a, 0, 1);
	end_step(r, 2, 0);
	if (!(K_FILES & KIND_BIT(r->t->kind)))
		return 0;
	memset(buf, 0xd8, sizeof(buf));
	if (fsync(r->t->fd))
		return out_error("fsync: %s", strerror(errno));
	fd = open(r->t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return out_error("%s: open: %s", r->t->path, strerror(errno));
	err = pread(fd, back, sizeof(back), a - (unsigned long)r->map) !=
	      (ssize_t)sizeof(back);
	close(fd);
	begin_step(r, "fresh open after fsync");
	if (err || memcmp(back, buf, sizeof(back)))
		add_div(r, "a fresh open does not read the device's write",
			"bytes", a, buf[0], err ? 0 : back[0]);
	end_step(r, 2, 0);
	return 0;
}

/*
 * map-sync: the target mapped MAP_SHARED_VALIDATE | MAP_SYNC.  On fsdax
 * the 2 MiB at mid() is made an unwritten extent first; the device's
 * write fault must leave it written (the synchronous fault made the
 * allocation durable) and the views must agree.  A non-DAX file must be
 * refused with EOPNOTSUPP.
 */
int sc_map_sync(struct run *r)
{
	const int flags = MAP_SHARED_VALIDATE | MAP_SYNC;
	size_t off = (mid(r) - r->map) & ~(SZ_2M - 1);
	char *m;
	long ext;

	if (r->t->kind == TARGET_ANON)
		return not_applicable(r, "%s memory has no MAP_SYNC", "anonymous");
	if (r->t->kind == TARGET_DAXFILE &&
	    (fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       off, SZ_2M) ||
	     fallocate(r->t->fd, FALLOC_FL_KEEP_SIZE, off, SZ_2M)))
		return out_error("make an unwritten extent: %s", strerror(errno));
	m = hmm_dax_mmap_aligned(r->len, r->t->unit, PROT_READ | PROT_WRITE,
				 flags, r->t->fd, 0);
	if (m == MAP_FAILED && errno == EOPNOTSUPP &&
	    r->t->kind == TARGET_FILE)
		return not_applicable(r, "the kernel refuses MAP_SYNC of a non-DAX file (%s)",
				      strerror(EOPNOTSUPP));
	begin_step(r, "MAP_SYNC");
	if (m == MAP_FAILED)
		add_div(r, "MAP_SYNC refused", "errno", 0, errno, 0);
	else if (r->t->kind == TARGET_FILE)
		add_div(r, "MAP_SYNC of a non-DAX file was accepted", "errno",
			(unsigned long)m, 0, EOPNOTSUPP);
	end_step(r, 0, 0);
	if (m == MAP_FAILED || r->t->kind == TARGET_FILE) {
		if (m != MAP_FAILED)
			munmap(m, r->len);
		return 0;
	}
	munmap(r->map, r->len);
	r->map = m;
	if (r->t->kind == TARGET_DAXFILE) {
		ext = hmm_dax_extent_flags(r->t->fd, off);
		begin_step(r, "the extent before the write");
		if (ext < 0 || !(ext & FIEMAP_EXTENT_UNWRITTEN))
			add_div(r, "not an unwritten extent", "extents",
				(unsigned long)m + off, ext, 0);
		end_step(r, 0, 0);
	}
	device_write_seen(r, 0xda, "device write through MAP_SYNC",
			  "the CPU does not see the device's write", NULL);
	if (r->t->kind == TARGET_DAXFILE) {
		ext = hmm_dax_extent_flags(r->t->fd, mid(r) - m);
		begin_step(r, "the extent when the write returned");
		if (ext < 0 || (ext & FIEMAP_EXTENT_UNWRITTEN))
			add_div(r, "the written extent is still unwritten",
				"extents", (unsigned long)mid(r), ext, 0);
		end_step(r, 0, 0);
	}
	fill_tags(r, r->map, r->len, 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/*
 * reflink-cow: FICLONE the target into a new file B, then a device write
 * into the target.  The shared blocks must be unshared: the written page
 * moves to a new pfn (fsdax), B keeps the old bytes, and the views agree.
 */
int sc_reflink_cow(struct run *r)
{
	unsigned char old[2 * PAGE], back[2 * PAGE];
	unsigned long long before, after;
	char clone[sizeof(r->t->path) + 16];
	int fd, err;

	/* the blocks under mid() now, which the clone will share */
	memcpy(old, mid(r) - PAGE, sizeof(old));
	leaf_flags_at(r, mid(r), &before);
	snprintf(clone, sizeof(clone), "%s.clone", r->t->path);
	fd = open(clone, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return out_error("%s: %s", clone, strerror(errno));
	unlink(clone);
	if (ioctl(fd, FICLONE, r->t->fd)) {
		err = errno;
		close(fd);
		return not_applicable(r, "FICLONE: %s (the file system shares no blocks)",
				      strerror(err));
	}
	check_views(r, r->map, r->len, "after FICLONE", 0);
	device_write_seen(r, 0xdb, "device write into the shared blocks",
			  "the CPU does not see the device's write", NULL);
	leaf_flags_at(r, mid(r), &after);
	begin_step(r, "unshared");
	if (r->t->kind == TARGET_DAXFILE && before == after)
		add_div(r, "the written page kept the shared pfn", "dump",
			(unsigned long)mid(r), after, before);
	err = pread(fd, back, sizeof(back), mid(r) - PAGE - r->map) !=
	      (ssize_t)sizeof(back);
	if (err || memcmp(back, old, sizeof(old)))
		add_div(r, "the clone sees the device's write", "bytes",
			(unsigned long)mid(r) - PAGE, back[0], old[0]);
	end_step(r, 2, 0);
	close(fd);
	/* a read mirror: a write one would unshare every block */
	remirror(r, r->map, r->len, 0, "read mirror after the write");
	return 0;
}

/*
 * Unmap and close the target, evict its inode, open it again at the same
 * descriptor (the extents oracle holds it).  0 or exit 2.
 */
static int reload_inode(struct run *r)
{
	int fd, old = r->t->fd, ret;

	munmap(r->map, r->len);
	r->map = NULL;
	close(old);
	sync();
	ret = write_param("/proc/sys/vm/drop_caches", "2");
	if (ret) {
		r->t->fd = open(r->t->path, O_RDWR | O_CLOEXEC);
		return out_error("drop_caches: %s", strerror(-ret));
	}
	fd = open(r->t->path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && fd != old) {
		dup3(fd, old, O_CLOEXEC);
		close(fd);
	}
	r->t->fd = fd < 0 ? -1 : old;
	if (fd < 0)
		return out_error("%s: open again: %s", r->t->path,
				 strerror(errno));
	return 0;
}

/* After a reload: statx says want, and the leaves are of that kind. */
static int flip_check(struct run *r, int want, const char *step)
{
	struct hmm_dax_extents *ext = r->or->ext;
	unsigned long long pfn;
	unsigned int flags;
	int ret;

	ret = map_again(r);
	if (ret)
		return ret;
	if (!want)
		r->or->ext = NULL;	/* page cache: no extents view */
	remirror(r, r->map, r->len, 0, step);
	r->or->ext = ext;
	ret = hmm_dax_fd_is_dax(r->t->fd);
	flags = leaf_flags_at(r, mid(r), &pfn);
	begin_step(r, "statx and the leaves");
	if (ret != want)
		add_div(r, "statx STATX_ATTR_DAX is not what the flag says",
			"statx", (unsigned long)mid(r), ret, want);
	if (!!(flags & HMM_DAX_LEAF_DEVICE) != want)
		add_div(r, want ? "a page-cache leaf on a DAX file" :
			"a DAX leaf on a page-cache file", "dump",
			(unsigned long)mid(r), pfn, 0);
	end_step(r, 1, 0);
	return 0;
}

/*
 * dax-flag-flip: flip FS_XFLAG_DAX of the target on a dax=inode mount.
 * While it is mapped nothing changes; once the inode is evicted, a new
 * mapping and mirror are what statx says.  The flag is flipped back the
 * same way.
 */
int sc_dax_flag_flip(struct run *r)
{
	int was = r->t->kind == TARGET_DAXFILE, ignored, ret;

	ret = hmm_dax_set_xflag_dax(r->t->fd, !was);
	if (ret)
		return not_applicable(r, "FS_IOC_FSSETXATTR: %s",
				      strerror(-ret));
	check_views(r, r->map, r->len, "flag flipped, still mapped", CHECK_FULL);
	begin_step(r, "statx while mapped");
	if (hmm_dax_fd_is_dax(r->t->fd) != was)
		add_div(r, "the DAX state changed under the mapping", "statx",
			(unsigned long)r->map, !was, was);
	end_step(r, 0, 0);
	ret = reload_inode(r);
	if (ret)
		return ret;
	ignored = hmm_dax_fd_is_dax(r->t->fd) == was;
	if (!ignored)
		ret = flip_check(r, !was, "mirror after the reload");
	if (!ret) {
		ret = hmm_dax_set_xflag_dax(r->t->fd, was);
		/* 6.1's xfs: no FS_XFLAG_DAX on a reflinked file (EINVAL) */
		ret = ret ? out_error("%s: flipping FS_XFLAG_DAX back: %s (%s %s)",
				      r->t->path, strerror(-ret),
				      "the file is left",
				      was ? "without it" : "with it") :
			    reload_inode(r);
	}
	if (!ret)
		ret = flip_check(r, was, "mirror after flipping back");
	if (!ret && ignored)
		return not_applicable(r, "the mount ignores FS_XFLAG_DAX (%s)",
				      "not dax=inode");
	return ret;
}
