/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_bad_input.h - fixture bad_input of the hmm_dax kselftests,
 * shared by hmm_dax_bad_input (ranges and commands) and hmm_dax_bad_memory
 * (memory a mirror refuses, pfns it hides)
 *
 * Each program declares it with FIXTURE(bad_input); its FIXTURE_SETUP
 * marks the test (HMM_DAX_MARK()) and calls bad_input_open(), its
 * FIXTURE_TEARDOWN bad_input_close().
 */
#ifndef _HMM_DAX_BAD_INPUT_H
#define _HMM_DAX_BAD_INPUT_H

#include "hmm_dax_util.h"

/*
 * bad_input: every documented error, with its errno, on a tmpfs file:
 *
 *   self->map  [ file, 2 MiB, MAP_SHARED ][ self->hole: 2 MiB, no VMA ]
 *   self->none [ 4 KiB, PROT_NONE ]
 *
 * After each failing command the mirror has the leaves it had before and
 * the dev_pagemap references are balanced: nothing is left behind.
 */
FIXTURE_DATA(bad_input) {
	char path[PATH_MAX];
	int fd;
	int mfd;
	char *map;
	char *hole;
	char *none;
	unsigned long task_size;
};

/* TASK_SIZE of this process: 47 bits, or 56 with 5-level paging. */
static inline unsigned long task_size(void)
{
	void *p = mmap((void *)(1UL << 47), SZ_4K, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);

	if (p == MAP_FAILED)
		return (1UL << 47) - SZ_4K;
	munmap(p, SZ_4K);
	return (1UL << 56) - SZ_4K;
}

/* The set-up of fixture bad_input, after HMM_DAX_MARK(). */
static inline void bad_input_open(struct __test_metadata *_metadata,
				  struct _test_data_bad_input *self)
{
	char *res, *p;
	int ret;

	self->fd = -1;
	self->mfd = -1;
	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	snprintf(self->path, sizeof(self->path), "/tmp/hmm-dax-bad.XXXXXX");
	self->fd = mkstemp(self->path);
	ASSERT_LE(0, self->fd) TH_LOG("mkstemp: %s", strerror(errno));
	ret = file_fill(self->fd, 0, SZ_2M, 0);
	ASSERT_EQ(0, ret) TH_LOG("write: %s", strerror(-ret));
	p = mmap(NULL, SZ_4K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	self->none = p;
	res = hmm_dax_mmap_aligned(2 * SZ_2M, SZ_2M, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	p = mmap(res, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, 0);
	ASSERT_EQ(res, p) TH_LOG("mmap: %s", strerror(errno));
	self->map = p;
	self->hole = res + SZ_2M;
	ASSERT_EQ(0, munmap(self->hole, SZ_2M));
	self->task_size = task_size();
	self->mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mfd) TH_LOG("open /dev/hmm_dax0: %s",
				       strerror(errno));
}

/* The tear-down of fixture bad_input. */
static inline void bad_input_close(struct _test_data_bad_input *self)
{
	if (self->mfd >= 0)
		close(self->mfd);
	if (self->map)
		munmap(self->map, SZ_2M);
	if (self->none)
		munmap(self->none, SZ_4K);
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
}

/* MIRROR, DUMP and AUDIT of [addr, addr + len) each fail with err. */
static inline void range_fails(struct __test_metadata *_metadata, int fd,
			       __u64 addr, __u64 len, int err)
{
	struct hmm_dax_range r = { .addr = addr, .len = len };
	struct hmm_dax_dump d = { .addr = addr, .len = len };
	struct hmm_dax_audit a = { .addr = addr, .len = len };

	EXPECT_EQ(err, ioctl_errno(fd, HMM_DAX_MIRROR, &r))
		TH_LOG("mirror %#llx+%#llx", addr, len);
	EXPECT_EQ(err, ioctl_errno(fd, HMM_DAX_DUMP, &d))
		TH_LOG("dump %#llx+%#llx", addr, len);
	EXPECT_EQ(err, ioctl_errno(fd, HMM_DAX_AUDIT, &a))
		TH_LOG("audit %#llx+%#llx", addr, len);
}

/* READ and WRITE of [addr, addr + len) each fail with err. */
static inline void access_fails(struct __test_metadata *_metadata, int fd,
				__u64 addr, __u64 len, int err)
{
	static char buf[2 * SZ_4K];
	struct hmm_dax_access a = {
		.addr = addr,
		.len = len,
		.buf = (uintptr_t)buf,
	};
	struct hmm_dax_access w = a;

	EXPECT_EQ(err, ioctl_errno(fd, HMM_DAX_READ, &a))
		TH_LOG("read %#llx+%#llx", addr, len);
	EXPECT_EQ(err, ioctl_errno(fd, HMM_DAX_WRITE, &w))
		TH_LOG("write %#llx+%#llx", addr, len);
}

#endif /* _HMM_DAX_BAD_INPUT_H */
