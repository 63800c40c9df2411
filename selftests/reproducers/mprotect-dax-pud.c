// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect-dax-pud DEVDAX - mprotect(PROT_READ) of a 1 GiB device-dax leaf.
 *
 * DEVDAX is a 1 GiB-aligned device-dax node.  Map one unit, write it (a
 * 1 GiB PUD leaf), make it read-only.  Expected: change_protection() write-
 * protects the huge PUD (with an mmu notification, PROTECTION_VMA) and
 * logs nothing.  The bug (before 6.12): change_pud_range() has no huge-PUD
 * case, and pud_none_or_clear_bad() clears the leaf as a bad entry ("bad
 * pud", mm/pgtable-generic.c) without any notification, so a device that
 * mirrors the mapping keeps a writable leaf.  The read after it faults the
 * unit in again either way.
 */
#include "repro.h"

int main(int argc, char **argv)
{
	unsigned int logged;
	char *m;
	int fd;

	repro_name = "mprotect-dax-pud";
	if (argc != 2)
		repro_cannot("usage: %s DEVDAX (a 1 GiB-aligned device-dax node)",
			     argv[0]);
	fd = repro_open_devdax_1g(argv[1]);
	m = repro_map(SZ_1G, SZ_1G, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (m == MAP_FAILED)
		repro_cannot("mmap %s: %s", argv[1], strerror(errno));
	m[SZ_2M] = 0x5a;
	repro_log_open();
	if (mprotect(m, SZ_1G, PROT_READ))
		repro_cannot("mprotect: %s", strerror(errno));
	logged = repro_log_scan("bad pud");
	repro_verdict(logged || m[SZ_2M] != 0x5a,
		      "%u \"bad pud\" report%s at mprotect; the byte reads %#x",
		      logged, logged == 1 ? "" : "s", m[SZ_2M] & 0xff);
}
