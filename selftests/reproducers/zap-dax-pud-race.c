// SPDX-License-Identifier: GPL-2.0
/*
 * zap-dax-pud-race DEVDAX [SECONDS] - MADV_DONTNEED racing a fault of a
 * 1 GiB device-dax leaf.
 *
 * DEVDAX is a 1 GiB-aligned device-dax node.  A child maps one unit; one
 * thread touches it (faulting the 1 GiB PUD leaf in) while another
 * MADV_DONTNEEDs pieces of it, for SECONDS (default 20); the child exits.
 * Expected: nothing logged.  The bug: zap_pud_range() (mm/memory.c, 6.12
 * to 7.3) tests pud_trans_huge() on an empty or just split PUD, a
 * concurrent fault installs the huge PUD, and pud_none_or_clear_bad() then
 * finds a leaf where it expects a table and clears it ("bad pud",
 * mm/pgtable-generic.c) with no mmu notification; the leaf's 1 GiB stays
 * in the mm's file-page count ("BUG: Bad rss-counter state ...
 * MM_FILEPAGES val:262144" when the mm is freed).  The verdict counts the
 * "bad pud" lines.  A race: "absent" means not seen in SECONDS.
 */
#include "repro.h"

#include <pthread.h>
#include <time.h>

static char *m;
static int stop;

static void *toucher(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		m[SZ_2M] = 1;
	return NULL;
}

static void *zapper(void *arg)
{
	unsigned long off = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		madvise(m + off, SZ_2M, MADV_DONTNEED);
		off = (off + 17 * SZ_2M) % SZ_1G;
	}
	return NULL;
}

static int fd;

static int child(void *arg)
{
	unsigned int seconds = *(unsigned int *)arg;
	pthread_t a, b;

	m = repro_map(SZ_1G, SZ_1G, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (m == MAP_FAILED)
		return 3;
	if (pthread_create(&a, NULL, toucher, NULL) ||
	    pthread_create(&b, NULL, zapper, NULL))
		return 3;
	sleep(seconds);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int seconds = 20, logged;
	int status;

	repro_name = "zap-dax-pud-race";
	if (argc < 2 || argc > 3)
		repro_cannot("usage: %s DEVDAX [SECONDS] (a 1 GiB-aligned device-dax node)",
			     argv[0]);
	if (argc == 3) {
		unsigned long v;
		char *end;

		errno = 0;
		v = strtoul(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || !v || v > 3600)
			repro_cannot("SECONDS '%s' is not a whole number from 1 to 3600",
				     argv[2]);
		seconds = v;
	}
	fd = repro_open_devdax_1g(argv[1]);
	repro_log_open();
	status = repro_in_child(child, &seconds);
	if (status)
		repro_cannot("the racing child failed (status %d)", status);
	/*
	 * "bad pud" alone: a "Bad rss-counter" line may be an earlier
	 * process's, whose mm the kernel frees (and checks) later, in
	 * whichever task drops the last lazy reference to it.
	 */
	logged = repro_log_scan("bad pud");
	repro_verdict(logged, "%u \"bad pud\" report%s in %u s of faults racing MADV_DONTNEED",
		      logged, logged == 1 ? "" : "s", seconds);
}
