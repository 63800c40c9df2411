// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap-dax-pud DEVDAX - /proc/PID/pagemap over a 1 GiB device-dax leaf.
 *
 * DEVDAX is a 1 GiB-aligned device-dax node.  A child maps one unit,
 * writes it (a 1 GiB PUD leaf), reads its own pagemap entry of a page in
 * it and exits.  Expected: the entry says present, and nothing is logged.
 * The bug: pagemap's walker has no PUD-leaf case; it reports the page not
 * present and splits the PUD, which for DAX zaps it, and on 7.2 and 7.3 the
 * 1 GiB then stays in the mm's file-page count ("BUG: Bad rss-counter
 * state ... MM_FILEPAGES val:262144" at exit).
 */
#include "repro.h"

static int fd;

static int child(void *arg)
{
	__u64 e;
	char *m;

	(void)arg;
	m = repro_map(SZ_1G, SZ_1G, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (m == MAP_FAILED)
		return 3;
	m[SZ_2M] = 0x5a;
	e = repro_pagemap(m + SZ_2M);
	printf("  pagemap entry %#llx: %s\n", (unsigned long long)e,
	       e & REPRO_PM_PRESENT ? "present" : "not present");
	return e & REPRO_PM_PRESENT ? 0 : 2;
}

int main(int argc, char **argv)
{
	unsigned int logged;
	int status;

	repro_name = "pagemap-dax-pud";
	if (argc != 2)
		repro_cannot("usage: %s DEVDAX (a 1 GiB-aligned device-dax node)",
			     argv[0]);
	fd = repro_open_devdax_1g(argv[1]);
	repro_log_open();
	status = repro_in_child(child, NULL);
	if (status == 3 || status < 0)
		repro_cannot("mapping %s failed (child status %d)", argv[1],
			     status);
	/* a "Bad rss-counter" line may come later: the verdict is "bad pud" */
	logged = repro_log_scan("bad pud");
	repro_verdict(status || logged,
		      "pagemap reported the written 1 GiB leaf %s; %u \"bad pud\" report%s",
		      status ? "not present" : "present", logged,
		      logged == 1 ? "" : "s");
}
