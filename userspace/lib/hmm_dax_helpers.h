/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_helpers.h - helpers the hmm-dax tool and the kselftest suite
 * share, header-only (no harness, no json-c), so that both judge the same
 * things by the same rule.
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

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

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

	for (i = 0; i < sizeof(hmm_dax_kernel_reports) /
			sizeof(hmm_dax_kernel_reports[0]); i++)
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
