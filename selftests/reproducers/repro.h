/* SPDX-License-Identifier: GPL-2.0 */
/*
 * repro.h - what the reproducers of the kernel findings share.  Each is one
 * standalone C file that needs the kernel and libc only (one needs the
 * hmm_dax module: it says so), takes what it runs on as arguments, prints
 * what it saw and exits
 *	0  the bug is absent,
 *	1  the bug is present,
 *	4  the machine cannot run it (the reason is printed).
 * Documentation/reproducers.rst has the report of each finding.
 */
#ifndef _REPRO_H
#define _REPRO_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/types.h>

#define REPRO_ABSENT	0
#define REPRO_PRESENT	1
#define REPRO_CANNOT	4

#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define SZ_1G		0x40000000UL

static const char *repro_name = "repro";

/* The machine cannot run the reproducer: say why, exit 4. */
static inline __attribute__((format(printf, 1, 2), noreturn))
void repro_cannot(const char *fmt, ...)
{
	va_list ap;

	printf("%s: cannot run: ", repro_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(REPRO_CANNOT);
}

/* The verdict: print it with what was seen, exit 1 (present) or 0. */
static inline __attribute__((format(printf, 2, 3), noreturn))
void repro_verdict(bool present, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s: ", repro_name, present ? "present" : "absent");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(present ? REPRO_PRESENT : REPRO_ABSENT);
}

/* ---- the kernel log, from where the reproducer started ---- */

static int repro_kmsg = -1;

static inline void repro_log_open(void)
{
	repro_kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (repro_kmsg < 0)
		repro_cannot("/dev/kmsg: %s (needs root)", strerror(errno));
	lseek(repro_kmsg, 0, SEEK_END);
}

/*
 * Read the records logged since the last call: print each that holds one
 * of the '|'-separated strings of @what, and count them.
 */
static inline unsigned int repro_log_scan(const char *what)
{
	char rec[2048], pat[256], *msg, *p, *save;
	unsigned int found = 0;
	ssize_t n;

	for (;;) {
		n = read(repro_kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return found;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = 0;
		snprintf(pat, sizeof(pat), "%s", what);
		for (p = strtok_r(pat, "|", &save); p;
		     p = strtok_r(NULL, "|", &save)) {
			if (!strstr(msg, p))
				continue;
			printf("  kernel: %s\n", msg);
			found++;
			break;
		}
	}
}

/* ---- device-dax and mappings ---- */

/*
 * The name of device-dax node @path's device (dax3.0) into @name: the last
 * component of its /sys/dev/char link.  0, or -1 if it is not one.
 */
static inline int repro_devdax_name(const char *path, char *name, size_t len)
{
	char link[64], target[256], *slash;
	struct stat st;
	ssize_t n;

	if (stat(path, &st) || !S_ISCHR(st.st_mode))
		return -1;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	n = strlen(slash);
	if ((size_t)n >= len)
		return -1;
	memcpy(name, slash, n + 1);
	return strncmp(name, "dax", 3) ? -1 : 0;
}

/* The alignment of device-dax node @path, from sysfs; 0 if not one. */
static inline unsigned long repro_devdax_align(const char *path)
{
	char name[64], sys[128];
	unsigned long align = 0;
	FILE *f;

	if (repro_devdax_name(path, name, sizeof(name)))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/bus/dax/devices/%s/align", name);
	f = fopen(sys, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &align) != 1)
		align = 0;
	fclose(f);
	return align;
}

/* @len bytes of @fd at an address aligned to @align; MAP_FAILED, errno. */
static inline void *repro_map(size_t len, size_t align, int prot, int flags,
			      int fd)
{
	char *res, *a, *p;

	res = mmap(NULL, len + align, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)res + align - 1) & ~(align - 1));
	p = mmap(a, len, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

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

/* Open a 1 GiB-aligned device-dax node, or exit 4 saying why not. */
static inline int repro_open_devdax_1g(const char *path)
{
	unsigned long align = repro_devdax_align(path);
	int fd;

	if (align != SZ_1G)
		repro_cannot("%s is not a 1 GiB-aligned device-dax node (align %lu)",
			     path, align);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		repro_cannot("%s: %s", path, strerror(errno));
	return fd;
}

/* The page-table entry of @addr in /proc/self/pagemap; 0 if unreadable. */
static inline __u64 repro_pagemap(const void *addr)
{
	__u64 e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / SZ_4K * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return e;
}

/* pagemap: bit 63 present, bits 0-54 the pfn (CAP_SYS_ADMIN) */
#define REPRO_PM_PRESENT	0x8000000000000000ULL
#define REPRO_PM_PFN		0x007fffffffffffffULL

/*
 * Create the file @dir/@name of @len bytes, allocated, and check that the
 * kernel accesses it with DAX; exit 4 if it is not DAX.  The file is
 * unlinked at once: it lives as long as the descriptor.
 */
static inline int repro_dax_file(const char *dir, const char *name,
				 size_t len)
{
	char path[4096];
	struct statx stx;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		repro_cannot("%s: %s", path, strerror(errno));
	unlink(path);
	if (fallocate(fd, 0, 0, len))
		repro_cannot("%s: fallocate: %s", path, strerror(errno));
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes & STATX_ATTR_DAX))
		repro_cannot("%s is not on a DAX file system (statx has no STATX_ATTR_DAX)",
			     dir);
	return fd;
}

/* Run @fn(@arg) in a child that exits when it returns: its exit status. */
static inline int repro_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		repro_cannot("fork: %s", strerror(errno));
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif /* _REPRO_H */
