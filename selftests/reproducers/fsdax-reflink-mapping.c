// SPDX-License-Identifier: GPL-2.0
/*
 * fsdax-reflink-mapping DIR - a CPU write to a reflinked fsdax file.
 *
 * DIR is a directory on an xfs made with reflink=1 and mounted with DAX
 * (dax=always, or dax=inode with FS_XFLAG_DAX on DIR).  Write a 2 MiB file
 * A through a shared mapping, FICLONE it into B, read B through a shared
 * mapping (its faults map the pages A's entries still own), then map A
 * again and write one page.  Expected: the write unshares the page, B
 * keeps the old bytes, and nothing is logged.  The bug (6.1): fsdax keeps one page->mapping per DAX
 * page, and a page two files share trips dax_associate_entry()'s
 * WARN_ON_ONCE(page->mapping) ("WARNING: ... at fs/dax.c ...
 * dax_insert_entry", "... dax_disassociate_entry").
 */
#include "repro.h"

#include <sys/ioctl.h>
#include <linux/fs.h>

int main(int argc, char **argv)
{
	unsigned int logged, i, sum = 0;
	char path[4096], old;
	int a, b;
	char *m;

	repro_name = "fsdax-reflink-mapping";
	if (argc != 2)
		repro_cannot("usage: %s DIR (on a reflink xfs mounted with DAX)",
			     argv[0]);
	a = repro_dax_file(argv[1], ".fsdax-reflink-a", SZ_2M);
	m = repro_map(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, a);
	if (m == MAP_FAILED)
		repro_cannot("mmap: %s", strerror(errno));
	for (i = 0; i < SZ_2M; i += SZ_4K)
		m[i] = 0x11;
	munmap(m, SZ_2M);
	if (fsync(a))
		repro_cannot("fsync: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/.fsdax-reflink-b", argv[1]);
	unlink(path);
	b = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b < 0)
		repro_cannot("%s: %s", path, strerror(errno));
	unlink(path);
	if (ioctl(b, FICLONE, a))
		repro_cannot("FICLONE: %s (no reflink on this file system)",
			     strerror(errno));
	repro_log_open();
	m = repro_map(SZ_2M, SZ_2M, PROT_READ, MAP_SHARED, b);
	if (m == MAP_FAILED)
		repro_cannot("mmap B: %s", strerror(errno));
	for (i = 0; i < SZ_2M; i += SZ_4K)
		sum += m[i];
	munmap(m, SZ_2M);
	m = repro_map(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, a);
	if (m == MAP_FAILED)
		repro_cannot("mmap again: %s", strerror(errno));
	m[SZ_4K] = 0x22;
	munmap(m, SZ_2M);
	if (pread(b, &old, 1, SZ_4K) != 1)
		repro_cannot("read B: %s", strerror(errno));
	logged = repro_log_scan("WARNING:|BUG:");
	repro_verdict(logged || old != 0x11,
		      "%u kernel report%s; the clone reads %#x (0x11 expected; its pages summed %#x)",
		      logged, logged == 1 ? "" : "s", old & 0xff, sum);
}
