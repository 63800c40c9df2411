/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scenario.h - the scenario table (scenarios.c), which compare, events and
 * opencl share.  A scenario changes a mirrored mapping the way a program
 * or the kernel would; its bodies live by what they exercise:
 *
 *   sc_space.c   the address space: writes, munmap, mremap, mprotect,
 *                madvise, fork, exit, the race, private copies, poison
 *   sc_file.c    the file: truncate, holes, msync, MAP_SYNC, FS_XFLAG_DAX,
 *                reflink
 *   sc_devdax.c  device-dax: unbind, misaligned mappings
 *
 * Each may have three bodies: @compare checks every CPU view against the
 * mirror's step by step (steps.c), @opencl checks an OpenCL device's view
 * with the CPU's and the mirror's (opencl.c), and @change is the scenario's
 * invalidation alone, which "events" applies to print what the kernel
 * sends.  A NULL body: the scenario is not one of that command's.
 */
#ifndef _HMM_DAX_SCENARIO_H
#define _HMM_DAX_SCENARIO_H

#include "run.h"

struct scenario {
	const char *name;
	int private_map;
	unsigned int kinds;	/* the target kinds it applies to */
	const char *na;		/* why not elsewhere; %s: the kind */
	int (*compare)(struct run *r);
	int (*opencl)(struct run *r);
	int (*change)(struct run *r);
};

/* Which body a command runs. */
enum scenario_body { BODY_COMPARE, BODY_OPENCL, BODY_CHANGE };

#define NR_SCENARIOS	22
extern const struct scenario scenarios[NR_SCENARIOS];

const struct scenario *find_scenario(const char *name,
				     enum scenario_body body);
int scenario_has(const struct scenario *sc, enum scenario_body body);
void scenario_names(char *buf, size_t len, enum scenario_body body);
const struct scenario *scenario_arg(const char *name,
				    enum scenario_body body);
int scenario_select(const char *name, enum scenario_body body,
		    unsigned int *which, unsigned int *n);

/* A scenario's verdict in compare's table. */
struct cell {
	enum verdict v;
	unsigned int levels;
	unsigned int kernel_log;	/* kernel reports seen */
};

enum verdict run_scenario(const struct run *proto, const struct scenario *sc,
			  struct cell *cell);

/* The bodies. */
int sc_cpu_write(struct run *r);
int sc_device_write(struct run *r);
int sc_munmap(struct run *r);
int sc_partial_munmap(struct run *r);
int sc_mremap(struct run *r);
int sc_mprotect(struct run *r);
int sc_madvise_dontneed(struct run *r);
int sc_fork_private(struct run *r);
int sc_process_exit(struct run *r);
int sc_race(struct run *r);
int sc_pmd_fallback(struct run *r);
int sc_poison(struct run *r);
int sc_truncate(struct run *r);
int sc_punch_hole(struct run *r);
int sc_msync(struct run *r);
int sc_truncate_partial(struct run *r);
int sc_map_sync(struct run *r);
int sc_dax_flag_flip(struct run *r);
int sc_reflink_cow(struct run *r);
int sc_devdax_disable(struct run *r);
int sc_misaligned_devdax(struct run *r);

int oc_cpu_write(struct run *r);
int oc_device_write(struct run *r);
int oc_opencl_write(struct run *r);
int oc_truncate(struct run *r);
int oc_punch_hole(struct run *r);
int oc_devdax_disable(struct run *r);

int ch_munmap(struct run *r);
int ch_partial_munmap(struct run *r);
int ch_mprotect(struct run *r);
int ch_madvise_dontneed(struct run *r);
int ch_truncate(struct run *r);
int ch_punch_hole(struct run *r);
int ch_devdax_cycle(struct run *r);

#endif /* _HMM_DAX_SCENARIO_H */
