// SPDX-License-Identifier: GPL-2.0
/*
 * mremap-dax-pud DEVDAX - mremap() of a mapped 1 GiB device-dax leaf.
 *
 * DEVDAX is a 1 GiB-aligned device-dax node.  A child maps one unit,
 * writes it (the fault installs a 1 GiB PUD leaf), moves the mapping with
 * mremap(MREMAP_FIXED) to another 1 GiB-aligned address, reads the byte
 * back there and exits.  Expected: the leaf moves, the byte is there and
 * the kernel logs nothing.  The bug: the move finds a huge PUD where it
 * expects a page table and clears it as bad ("bad pud",
 * mm/pgtable-generic.c); on 7.2 and 7.3 the 1 GiB also stays in the mm's
 * file-page count, reported when the child exits ("BUG: Bad rss-counter
 * state ... MM_FILEPAGES val:262144").
 */
#include "repro.h"

static int fd;

static int child(void *arg)
{
	char *from, *to;

	(void)arg;
	from = repro_map(SZ_1G, SZ_1G, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	to = repro_map(SZ_1G, SZ_1G, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (from == MAP_FAILED || to == MAP_FAILED)
		return 3;
	from[SZ_2M] = 0x5a;
	if (mremap(from, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
		return 3;
	return to[SZ_2M] == 0x5a ? 0 : 2;
}

int main(int argc, char **argv)
{
	unsigned int logged;
	int status;

	repro_name = "mremap-dax-pud";
	if (argc != 2)
		repro_cannot("usage: %s DEVDAX (a 1 GiB-aligned device-dax node)",
			     argv[0]);
	fd = repro_open_devdax_1g(argv[1]);
	repro_log_open();
	status = repro_in_child(child, NULL);
	if (status == 3 || status < 0)
		repro_cannot("mapping or moving %s failed (child status %d)",
			     argv[1], status);
	/* a "Bad rss-counter" line may come later: the verdict is "bad pud" */
	logged = repro_log_scan("bad pud");
	repro_verdict(logged || status,
		      "%u \"bad pud\" report%s; the byte %s the move",
		      logged, logged == 1 ? "" : "s",
		      status ? "did not survive" : "survived");
}
