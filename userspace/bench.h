/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what hmm-dax bench measures (bench.c), the peer beside it
 * (bench_peer.c: lib/test_hmm.c over the same mapping) and how the
 * numbers print (bench_report.c).
 */
#ifndef _HMM_DAX_BENCH_H
#define _HMM_DAX_BENCH_H

#include <time.h>

#include "hmm-dax.h"

#define PEER_CHUNK	(256 * 1024 * 1024UL)	/* test_hmm vmallocs this */
#define BENCH_ROUNDS	3	/* mirrors and peer snapshots timed per cell */

struct peer {
	int ok;			/* measured */
	char why[128];		/* why not */
	unsigned long long snapshot_ns, read_ns, reread_ns, faults, table_bytes;
};

struct bench_cell {
	unsigned int entry;	/* HMM_DAX_MIRROR_UNLOCKED or 0 */
	size_t size;
	char kind[16];		/* the target's kind_name */
	char na[160];		/* not measured, and why */
	struct hmm_dax_range r;
	unsigned long long mirror_wall_ns, audit_ns, audit_leaves;
	unsigned long long dev_read_ns, dev_read_wall_ns, cpu_read_ns;
	unsigned long long table_bytes, peak_bytes, nr_leaves;
	unsigned int top_level;
	int inv_level;		/* -1: no single-leaf event seen */
	unsigned long long inv_ns;
	unsigned int inv_event;
	struct peer peer;
};

static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void peer_run(const char *dev, char *map, size_t size, char *buf,
	      struct peer *p);
unsigned long long peer_mirror_ns(const struct peer *p);
void bench_header(int peer);
void bench_print_cell(const char *path, const struct bench_cell *c, int peer);
void bench_goals(struct bench_cell **cells, struct target *kinds,
		 unsigned int nt, unsigned int ns);

#endif /* _HMM_DAX_BENCH_H */
