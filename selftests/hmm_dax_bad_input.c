// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_bad_input - every documented error of the ranges and commands,
 * with its errno, on a tmpfs file (hmm_dax_bad_input.h): zero, unaligned,
 * wrapping ranges, ranges beyond TASK_SIZE or the device's 48 bits, bad
 * flags, requests over their limits, bad pointers, unknown commands.
 * After each, nothing is left behind.
 */
#define _GNU_SOURCE
#include "hmm_dax_bad_input.h"

/* The end of what the device page table covers: 48 bits. */
#define DEVICE_VA_END	0x1000000000000UL

FIXTURE(bad_input);

FIXTURE_SETUP(bad_input)
{
	HMM_DAX_MARK();
	bad_input_open(_metadata, self);
}

FIXTURE_TEARDOWN(bad_input)
{
	bad_input_close(self);
}

/* A zero length is EINVAL for mirror, dump, audit, read and write. */
TEST_F(bad_input, zero_len)
{
	range_fails(_metadata, self->mfd, (uintptr_t)self->map, 0, EINVAL);
	access_fails(_metadata, self->mfd, (uintptr_t)self->map, 0, EINVAL);
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
}

/* Unaligned mirror/dump/audit ranges are EINVAL; accesses may be. */
TEST_F(bad_input, unaligned)
{
	__u64 a = (uintptr_t)self->map;
	unsigned char buf[7];

	range_fails(_metadata, self->mfd, a + 1, SZ_4K, EINVAL);
	range_fails(_metadata, self->mfd, a + SZ_4K / 2, SZ_4K, EINVAL);
	range_fails(_metadata, self->mfd, a, SZ_4K + 1, EINVAL);
	range_fails(_metadata, self->mfd, a, 1, EINVAL);
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));

	ASSERT_EQ(0, dev_read(self->mfd, self->map + SZ_4K - 3, buf,
			      sizeof(buf)));
	EXPECT_EQ(-1, pattern_diff(buf, SZ_4K - 3, sizeof(buf), 0));
	EXPECT_EQ(0, dev_write(self->mfd, self->map + SZ_4K - 3, buf,
			       sizeof(buf)));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
}

/* A range that wraps around the end of the address space is EINVAL. */
TEST_F(bad_input, wrap)
{
	__u64 top = ~0ULL & ~(SZ_4K - 1);

	range_fails(_metadata, self->mfd, top, 2 * SZ_4K, EINVAL);
	access_fails(_metadata, self->mfd, top, 2 * SZ_4K, EINVAL);
	range_fails(_metadata, self->mfd, (uintptr_t)self->map, top, EINVAL);
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
}

/* A range ending beyond TASK_SIZE is EINVAL, not EFAULT. */
TEST_F(bad_input, beyond_task_size)
{
	const __u64 ts = self->task_size;
	const __u64 bad[][2] = {
		{ ts, SZ_4K },
		{ ts - SZ_4K, 2 * SZ_4K },
		{ ts & ~(SZ_2M - 1), SZ_2M + SZ_4K },
		{ 0xffff800000000000ULL, SZ_4K },
	};
	/* the last page the device covers: mapped or not, not EINVAL */
	const __u64 last = (ts < DEVICE_VA_END ? ts : DEVICE_VA_END) - SZ_4K;
	struct hmm_dax_range r = { .addr = last, .len = SZ_4K };
	unsigned int i;

	TH_LOG("TASK_SIZE %#llx", ts);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		range_fails(_metadata, self->mfd, bad[i][0], bad[i][1], EINVAL);
		access_fails(_metadata, self->mfd, bad[i][0], bad[i][1],
			     EINVAL);
	}
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
}

/*
 * With 5-level paging a process can map above the 48 bits the device page
 * table covers.  A request that reaches beyond is refused before anything
 * of it is done (EINVAL), even where the CPU maps every page of it.
 */
TEST_F(bad_input, beyond_device_va)
{
	char *want = (char *)(DEVICE_VA_END - SZ_4K), *p;
	char buf[2 * SZ_4K];

	p = mmap(want, 2 * SZ_4K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		HMM_DAX_SKIP(return, "no 5-level paging: nothing maps at %p (%s)",
			     want, strerror(errno));
	ASSERT_EQ(want, p);
	memset(p, 0x3c, 2 * SZ_4K);
	range_fails(_metadata, self->mfd, (uintptr_t)p, 2 * SZ_4K, EINVAL);
	access_fails(_metadata, self->mfd, (uintptr_t)p, 2 * SZ_4K, EINVAL);
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
	/* the page below the line mirrors as any other */
	EXPECT_EQ(0, dev_read(self->mfd, p, buf, SZ_4K));
	EXPECT_EQ(0x3c, buf[SZ_4K - 1]);
	munmap(p, 2 * SZ_4K);
}

/* Unknown mirror flags and a non-zero reserved field are EINVAL. */
TEST_F(bad_input, flags_reserved)
{
	const __u32 flags[] = { 1U << 3, 1U << 31, ~0U };
	struct hmm_dax_range r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		memset(&r, 0, sizeof(r));
		r.addr = (uintptr_t)self->map;
		r.len = SZ_2M;
		r.flags = flags[i];
		EXPECT_EQ(EINVAL, ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r))
			TH_LOG("flags %#x", flags[i]);
	}
	memset(&r, 0, sizeof(r));
	r.addr = (uintptr_t)self->map;
	r.len = SZ_2M;
	r.reserved = 1;
	EXPECT_EQ(EINVAL, ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
}

/* Requests over their limits: E2BIG, or EINVAL for the event count. */
TEST_F(bad_input, limits)
{
	static struct hmm_dax_leaf lv[4];
	static struct hmm_dax_stale st[4];
	static struct hmm_dax_event ev[4];
	static char buf[SZ_4K];
	struct hmm_dax_dump d = {
		.addr = (uintptr_t)self->map,
		.len = SZ_2M,
		.leaves = (uintptr_t)lv,
		.max = HMM_DAX_MAX_DUMP + 1ULL,
	};
	struct hmm_dax_access a = {
		.addr = (uintptr_t)self->map,
		.len = HMM_DAX_MAX_ACCESS + 1ULL,
		.buf = (uintptr_t)buf,
	};
	struct hmm_dax_access w = a;
	struct hmm_dax_audit au = {
		.addr = (uintptr_t)self->map,
		.len = SZ_2M,
		.stale = (uintptr_t)st,
		.max = HMM_DAX_MAX_AUDIT + 1ULL,
	};
	struct hmm_dax_events e = { .events = (uintptr_t)ev };

	EXPECT_EQ(E2BIG, ioctl_errno(self->mfd, HMM_DAX_DUMP, &d));
	EXPECT_EQ(E2BIG, ioctl_errno(self->mfd, HMM_DAX_READ, &a));
	EXPECT_EQ(E2BIG, ioctl_errno(self->mfd, HMM_DAX_WRITE, &w));
	EXPECT_EQ(E2BIG, ioctl_errno(self->mfd, HMM_DAX_AUDIT, &au));
	EXPECT_EQ(EINVAL, ioctl_errno(self->mfd, HMM_DAX_EVENTS, &e));
	e.max = HMM_DAX_EVENT_LOG + 1;
	EXPECT_EQ(EINVAL, ioctl_errno(self->mfd, HMM_DAX_EVENTS, &e));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));

	d.leaves = 0;
	d.max = 0;
	EXPECT_EQ(0, ioctl_errno(self->mfd, HMM_DAX_DUMP, &d));
	EXPECT_EQ(0, d.total);
	e.max = 1;
	EXPECT_EQ(0, ioctl_errno(self->mfd, HMM_DAX_EVENTS, &e));
	EXPECT_EQ(0, e.count);
}

/* Bad user pointers are EFAULT, and the failed command changes nothing. */
TEST_F(bad_input, bad_pointers)
{
	const unsigned long cmds[] = {
		HMM_DAX_MIRROR, HMM_DAX_DUMP, HMM_DAX_READ, HMM_DAX_WRITE,
		HMM_DAX_STATS, HMM_DAX_EVENTS, HMM_DAX_AUDIT,
	};
	struct hmm_dax_dump d = {
		.addr = (uintptr_t)self->map,
		.len = SZ_2M,
		.leaves = (uintptr_t)self->none,
		.max = 16,
	};
	struct hmm_dax_access a = {
		.addr = (uintptr_t)self->map,
		.len = 64,
		.buf = (uintptr_t)self->none,
	};
	struct hmm_dax_events e = {
		.events = (uintptr_t)self->none,
		.max = 4,
	};
	struct hmm_dax_stats s;
	struct ev_log log;
	unsigned int i;
	__u64 leaves;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, cmds[i], NULL))
			TH_LOG("command %#lx, NULL", cmds[i]);
		EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, cmds[i], self->none))
			TH_LOG("command %#lx, PROT_NONE", cmds[i]);
	}
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));

	ASSERT_EQ(0, mirror(self->mfd, self->map, SZ_2M, 0, NULL));
	ASSERT_EQ(0, stats(self->mfd, &s));
	leaves = stats_leaves(&s);
	ASSERT_LT(0, leaves);
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_DUMP, &d));
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_READ, &a));
	a.buf = 0;
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_READ, &a));
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_WRITE, &a));
	a.buf = (uintptr_t)self->none;
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_WRITE, &a));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, 64, 0));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, leaves));

	ASSERT_EQ(0, madvise(self->map, SZ_4K, MADV_DONTNEED));
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_EVENTS, &e));
	ASSERT_EQ(0, events(self->mfd, &log));
	EXPECT_LE(1, ev_count(&log, HMM_DAX_EV_CLEAR, self->map, SZ_4K))
		TH_LOG("the failed HMM_DAX_EVENTS lost the event");
	ASSERT_EQ(0, stats(self->mfd, &s));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, stats_leaves(&s)));
}

/* Commands not defined, or with another size or type, are ENOTTY. */
TEST_F(bad_input, unknown_command)
{
	const unsigned long cmds[] = {
		_IO(HMM_DAX_IOC_TYPE, 0x08),
		_IOWR(HMM_DAX_IOC_TYPE, 0x08, struct hmm_dax_range),
		_IOWR(HMM_DAX_IOC_TYPE, 0xff, __u64),
		_IOWR(HMM_DAX_IOC_TYPE, 0x00, __u64),
		_IOW(HMM_DAX_IOC_TYPE, 0x00, struct hmm_dax_range),
		_IOR(HMM_DAX_IOC_TYPE, 0x04, __u64),
		_IOWR(HMM_DAX_IOC_TYPE, 0x07, __u64),
		_IOWR('h', 0x00, struct hmm_dax_range),
	};
	static char buf[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(ENOTTY, ioctl_errno(self->mfd, cmds[i], buf))
			TH_LOG("command %#lx", cmds[i]);
	}
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
}

TEST_HARNESS_MAIN
