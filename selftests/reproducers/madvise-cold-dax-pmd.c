// SPDX-License-Identifier: GPL-2.0
/*
 * madvise-cold-dax-pmd TARGET - MADV_COLD and MADV_PAGEOUT over a 2 MiB DAX
 * leaf.
 *
 * TARGET is a 2 MiB-aligned device-dax node, or a directory on an fsdax
 * mount (a 4 MiB file is made there and removed).  Map 2 MiB at a 2 MiB-
 * aligned address, write it (a 2 MiB PMD leaf), then MADV_COLD and
 * MADV_PAGEOUT it.  Expected: nothing happens to a DAX leaf (there is no
 * page to age or reclaim) and nothing is logged.  The bug (before 6.5):
 * madvise_cold_or_pageout_pte_range() tests pmd_trans_huge(), false for a
 * devmap PMD, then pmd_trans_unstable(), whose
 * pmd_none_or_trans_huge_or_clear_bad() clears the leaf as a bad entry
 * ("bad pmd", mm/pgtable-generic.c) without an mmu notification.
 */
#include "repro.h"

int main(int argc, char **argv)
{
	unsigned int logged, i;
	struct stat st;
	char *m;
	int fd;

	repro_name = "madvise-cold-dax-pmd";
	if (argc != 2)
		repro_cannot("usage: %s DEVDAX|DIR (%s)", argv[0],
			     "a 2 MiB-aligned device-dax node, or a directory on an fsdax mount");
	if (!stat(argv[1], &st) && S_ISDIR(st.st_mode)) {
		fd = repro_dax_file(argv[1], ".madvise-cold-dax-pmd", 2 * SZ_2M);
	} else {
		if (repro_devdax_align(argv[1]) != SZ_2M)
			repro_cannot("%s is not a 2 MiB-aligned device-dax node or a directory",
				     argv[1]);
		fd = open(argv[1], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			repro_cannot("%s: %s", argv[1], strerror(errno));
	}
	m = repro_map(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (m == MAP_FAILED)
		repro_cannot("mmap %s: %s", argv[1], strerror(errno));
	for (i = 0; i < SZ_2M; i += SZ_4K)
		m[i] = 0x5a;
	repro_log_open();
	if (madvise(m, SZ_2M, MADV_COLD) || madvise(m, SZ_2M, MADV_PAGEOUT))
		repro_cannot("madvise: %s", strerror(errno));
	logged = repro_log_scan("bad pmd");
	repro_verdict(logged || m[SZ_4K] != 0x5a,
		      "%u \"bad pmd\" report%s at MADV_COLD and MADV_PAGEOUT",
		      logged, logged == 1 ? "" : "s");
}
