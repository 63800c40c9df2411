/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1 */
/*
 * hmm_dax_helpers.h - helpers the hmm-dax tool, libhmmdax and the
 * kselftest suite share, header-only (no harness, no json-c), so that all
 * judge the same things by the same rule and name them by the same words:
 * the names of leaf levels and events, aligned mappings, a file's extent
 * flags and its DAX flag, the byte-comparison windows, the race window,
 * and the marks in the kernel log.
 *
 * Marks: each test, compare scenario, fuzz run and shell test writes
 * "hmm-dax: WHAT" to the kernel log before it runs, with
 * " (fault_inject 0xN)" when a debug knob of the driver is on, so that a
 * kernel report that follows can be attributed to what provoked it
 * (selftests/kernel_log.c, selftests/known_bugs.h).
 *
 * The race window: the driver's debug parameter inject_delay_ms puts an
 * interruptible sleep between hmm_range_fault() and the sequence re-check
 * under the table lock.  A thread is in that window when /proc shows it
 * sleeping (S) in msleep_interruptible().  An invalidation counts as a hit
 * when the mirroring thread was in the window before it and is still there
 * after it returned: it landed wholly inside, and the re-check must retry.
 *
 *   mirror thread:  hmm_range_fault() .. msleep_interruptible() .. re-check
 *   racer:                                 ^ invalidation here
 */
#ifndef _HMM_DAX_HELPERS_H
#define _HMM_DAX_HELPERS_H

#ifndef _GNU_SOURCE
#error "hmm_dax_helpers.h needs _GNU_SOURCE (statx()) before the first #include"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "hmm_dax_uapi.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* ---- the words for the uapi's values, in the tool and the suite alike ---- */

/* A leaf level's name: "4K", "2M" or "1G" ("?" for another value). */
static inline const char *hmm_dax_level_str(unsigned int level)
{
	static const char * const names[HMM_DAX_NR_LEVELS] = {
		"4K", "2M", "1G",
	};

	return level < HMM_DAX_NR_LEVELS ? names[level] : "?";
}

/* An mmu_notifier_event's name (HMM_DAX_EV_*): "unmap", "clear", ... */
static inline const char *hmm_dax_event_str(unsigned int event)
{
	static const char * const names[] = {
		[HMM_DAX_EV_UNMAP] = "unmap",
		[HMM_DAX_EV_CLEAR] = "clear",
		[HMM_DAX_EV_PROTECTION_VMA] = "protection-vma",
		[HMM_DAX_EV_PROTECTION_PAGE] = "protection-page",
		[HMM_DAX_EV_SOFT_DIRTY] = "soft-dirty",
		[HMM_DAX_EV_RELEASE] = "release",
		[HMM_DAX_EV_MIGRATE] = "migrate",
		[HMM_DAX_EV_EXCLUSIVE] = "exclusive",
	};

	return event < ARRAY_SIZE(names) && names[event] ?
	       names[event] : "?";
}

/*
 * The entry point a mirror faults through (HMM_DAX_MIRROR_UNLOCKED in
 * @flags, or not): "locked" (hmm_range_fault() under mmap_read_lock()) or
 * "unlocked" (hmm_range_fault_unlocked_timeout(), 7.3).
 */
static inline const char *hmm_dax_entry_str(unsigned int flags)
{
	return flags & HMM_DAX_MIRROR_UNLOCKED ? "unlocked" : "locked";
}

/* ---- mappings and files ---- */

/*
 * mmap() @len bytes of @fd at @off to an address aligned to @align: reserve
 * @len + @align bytes of PROT_NONE, map over the aligned part with
 * MAP_FIXED and give back the rest.  @fd < 0 with MAP_ANONYMOUS in @flags
 * maps anonymous memory.  MAP_FAILED and errno on failure.
 */
static inline void *hmm_dax_mmap_aligned(size_t len, size_t align, int prot,
					 int flags, int fd, off_t off)
{
	char *res, *a, *p;
	int err;

	res = mmap(NULL, len + align, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)res + align - 1) & ~(align - 1));
	p = mmap(a, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		err = errno;
		munmap(res, len + align);
		errno = err;
		return MAP_FAILED;
	}
	if (a > res)
		munmap(res, a - res);
	if (res + align > a)
		munmap(a + len, res + align - a);
	return a;
}

/* FIEMAP flags of the extent holding byte @off of @fd, or -errno. */
static inline long hmm_dax_extent_flags(int fd, unsigned long off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe;
	} x = {
		.fm.fm_start = off,
		.fm.fm_length = 4096,
		.fm.fm_extent_count = 1,
	};

	if (ioctl(fd, FS_IOC_FIEMAP, &x.fm))
		return -errno;
	if (!x.fm.fm_mapped_extents || x.fe.fe_logical > off)
		return -ENOENT;
	return x.fe.fe_flags;
}

/* Whether the file is DAX now (statx): 1, 0, or -errno. */
static inline int hmm_dax_fd_is_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return -errno;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

/* The file's FS_XFLAG_DAX: 1, 0, or -errno. */
static inline int hmm_dax_xflag_dax(int fd)
{
	struct fsxattr fa;

	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa))
		return -errno;
	return !!(fa.fsx_xflags & FS_XFLAG_DAX);
}

/* Set or clear the file's FS_XFLAG_DAX: 0 or -errno. */
static inline int hmm_dax_set_xflag_dax(int fd, bool on)
{
	struct fsxattr fa;

	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa))
		return -errno;
	fa.fsx_xflags = on ? fa.fsx_xflags | FS_XFLAG_DAX :
			     fa.fsx_xflags & ~FS_XFLAG_DAX;
	return ioctl(fd, FS_IOC_FSSETXATTR, &fa) ? -errno : 0;
}

#define HMM_DAX_INJECT_PARAM	"/sys/module/hmm_dax/parameters/fault_inject"

/* Ranges up to this are compared byte by byte whole. */
#define HMM_DAX_FULL_CHECK	(64UL << 20)
#define HMM_DAX_WINDOW		(2UL << 20)

/*
 * The windows of a range that byte comparisons look at: all of it up to
 * HMM_DAX_FULL_CHECK, else its first, middle and last 2 MiB (1 GiB is too
 * much to compare at every step under TCG; the pfns and the audit still
 * cover every page).  Returns how many, at @off[], each @wlen long.
 */
static inline unsigned int hmm_dax_windows(unsigned long len,
					   unsigned long off[3],
					   unsigned long *wlen)
{
	if (len <= HMM_DAX_FULL_CHECK) {
		off[0] = 0;
		*wlen = len;
		return 1;
	}
	off[0] = 0;
	off[1] = (len / 2) & ~(HMM_DAX_WINDOW - 1);
	off[2] = len - HMM_DAX_WINDOW;
	*wlen = HMM_DAX_WINDOW;
	return 3;
}

/*
 * Kernel log lines that report something wrong: oopses, BUG and WARNING
 * splats, the page-table and page-state reports of mm, and what KASAN,
 * UBSAN, lockdep, RCU, the hung-task detector, DEBUG_LIST, DEBUG_OBJECTS
 * and kmemleak print.
 */
static const char * const hmm_dax_kernel_reports[] = {
	"BUG:", "WARNING:", "Oops", "kernel BUG at", "general protection fault",
	"bad pgd", "bad p4d", "bad pud", "bad pmd", "Bad page map",
	"Bad page state", "KASAN:", "UBSAN:", "possible circular locking",
	"possible recursive locking", "inconsistent lock state",
	"suspicious RCU usage", "detected stall", "rcu: INFO:", "INFO: task",
	"list_add corruption", "list_del corruption", "ODEBUG:",
	"new suspected memory leak",
};

/* Whether kernel log line @line reports something wrong. */
static inline bool hmm_dax_is_kernel_report(const char *line)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hmm_dax_kernel_reports); i++)
		if (strstr(line, hmm_dax_kernel_reports[i]))
			return true;
	return false;
}

/* The driver's fault_inject knobs now: 0 when unreadable. */
static inline unsigned int hmm_dax_fault_inject(void)
{
	unsigned int v = 0;
	FILE *f = fopen(HMM_DAX_INJECT_PARAM, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%u", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * Mark the kernel log: "hmm-dax: " and the formatted text, and the knobs
 * if any is on.  Nothing happens where /dev/kmsg cannot be written.
 */
static inline __attribute__((format(printf, 1, 2)))
void hmm_dax_mark(const char *fmt, ...)
{
	unsigned int inject = hmm_dax_fault_inject();
	char line[320];
	va_list ap;
	int fd, n;

	n = snprintf(line, sizeof(line), "<6>hmm-dax: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (inject && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, " (fault_inject %#x)",
			      inject);
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one open per mark: /dev/kmsg rate-limits each open file */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* the marks serve attribution only: a failed write changes nothing */
	n = write(fd, line, n);
	close(fd);
}

#define HMM_DAX_DELAY_PARAM	"/sys/module/hmm_dax/parameters/inject_delay_ms"
/*
 * Wide enough for an invalidation to end inside it: under TCG a debug
 * kernel's zap, with its TLB shootdown, took over 20 ms.
 */
#define HMM_DAX_RACE_WINDOW_MS	"200"
/* What /proc says of a thread asleep in the window. */
#define HMM_DAX_WINDOW_STATE	'S'
#define HMM_DAX_WINDOW_WCHAN	"msleep_interruptible"

/* Read /proc/self/task/@tid/@file into @buf: its length, or -1. */
static inline ssize_t hmm_dax_task_file(pid_t tid, const char *file,
					char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* The scheduler state letter of one of our threads, 0 if unreadable. */
static inline char hmm_dax_thread_state(pid_t tid)
{
	char buf[256], *p;

	if (hmm_dax_task_file(tid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Whether one of our threads sleeps in the driver's race window. */
static inline bool hmm_dax_thread_in_window(pid_t tid)
{
	char wchan[64];

	return hmm_dax_thread_state(tid) == HMM_DAX_WINDOW_STATE &&
	       hmm_dax_task_file(tid, "wchan", wchan, sizeof(wchan)) > 0 &&
	       !strcmp(wchan, HMM_DAX_WINDOW_WCHAN);
}

/*
 * One race: once @tid is seen in the window, call @invalidate(@arg); the
 * race is a hit when @invalidate returned 0 and @tid is still in the
 * window.  @done is set by the mirroring thread when its mirror returned.
 * Returns 1 for a hit, 0 for a miss (the mirror ended first, or left the
 * window before the invalidation did).
 */
static inline int hmm_dax_race_once(pid_t tid, const int *done,
				    int (*invalidate)(void *arg), void *arg)
{
	while (!__atomic_load_n(done, __ATOMIC_SEQ_CST)) {
		if (hmm_dax_thread_in_window(tid))
			return !invalidate(arg) &&
			       hmm_dax_thread_in_window(tid);
	}
	return 0;
}

#endif /* _HMM_DAX_HELPERS_H */
