/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run.h - the step engine that compare and opencl share (steps.c): one
 * scenario run on one target, cut into steps; each step compares what the
 * device sees with what the CPU sees and records every difference as a
 * divergence, printed with the step, the address, the views' values and
 * the view that disagrees.  A run's verdict follows from its steps.
 */
#ifndef _HMM_DAX_RUN_H
#define _HMM_DAX_RUN_H

#include "hmm-dax.h"

#define PAGE		SZ_4K
#define CHECK_FULL	0x1	/* every page must have a leaf; bytes too */
#define MAX_DIVS	16	/* divergence records kept per step */

enum verdict { V_AGREE, V_DIVERGE, V_NA, V_REFUSED, V_ERROR };

/* The verdict's word, the same in text and JSON: "agree", "diverge", ... */
extern const char * const verdict_names[];

/* One value of a divergence: "device" 0x1234, "cpu" none, ... */
struct div_value {
	const char *key;
	char text[40];
};

/*
 * A divergence: @pages consecutive pages from @addr where the views
 * disagree the same way (@pages 0: a finding about no page).  @page is
 * the first page's index in the mapping when the run counts in pages
 * (opencl), else -1.
 */
struct divergence {
	const char *what;
	const char *view;	/* the CPU view that disagrees, or NULL */
	unsigned long addr;
	long page;
	size_t pages;
	unsigned int nr_vals;
	struct div_value val[3];
};

/* The CPU views a target offers, measured by probe_oracles() (probe.c). */
struct oracles {
	int pagemap;
	char pagemap_why[160];
	struct hmm_dax_extents *ext;
	char ext_why[160];
};

struct scenario;
struct ocl_run;

/* One scenario on one target. */
struct run {
	const struct scenario *sc;
	struct target *t;
	struct oracles *or;
	struct hmm_dax_ctx *ctx;
	struct hmm_dax_ctx *monitor;	/* module-wide pgmap counts */
	struct ocl_run *ocl;		/* the OpenCL view (opencl), or NULL */
	unsigned int device;		/* /dev/hmm_dax<N> */
	unsigned int entry;		/* HMM_DAX_MIRROR_UNLOCKED or 0 */
	int named;			/* the scenario was asked by name */
	char *map;
	size_t len;
	int private_map;
	unsigned int levels;		/* leaf levels seen, bit per level */
	unsigned int diverged;
	unsigned int events;
	unsigned int event_kinds[HMM_DAX_EV_EXCLUSIVE + 1];
	struct hmm_dax_stats st;		/* the mirror's counters at the end */
	bool have_st;
	const char *na;			/* not applicable: why */
	char na_buf[160];
	const char *refused;		/* the kernel refused: why */
	const char *refused_log;	/* and its log line holding this */
	char refused_buf[256];
	/* the current step */
	const char *step;
	const char *unread;		/* what OpenCL did not read, and why */
	unsigned int step_levels;	/* leaf levels it saw */
	struct divergence divs[MAX_DIVS];
	unsigned int nr_divs, more_divs;
};

/* The CPU views of a target (probe.c). */
int probe_oracles(struct target *t, struct oracles *or, unsigned int device);
void print_oracles(const struct oracles *or);

/* Steps and divergences. */
void begin_step(struct run *r, const char *step);
void end_step(struct run *r, size_t pages, size_t leaves);
struct divergence *div_add(struct run *r, const char *what, const char *view,
			   unsigned long addr, long page, size_t pages);
void add_div(struct run *r, const char *what, const char *view,
	     unsigned long addr, unsigned long long dev,
	     unsigned long long cpu);
void out_levels(unsigned int levels, const char *fmt);
void leaf_levels_text(char *buf, size_t len, unsigned int levels);

/* The views, compared. */
void fill_tags(struct run *r, char *addr, size_t len, unsigned int salt);
void check_views(struct run *r, char *addr, size_t len, const char *step,
		 unsigned int check);
void expect_no_leaves(struct run *r, char *addr, size_t len,
		      const char *step);
void remirror(struct run *r, char *addr, size_t len, unsigned int flags,
	      const char *step);
void expect_access_error(struct run *r, char *addr, int write,
			 const char *what, const char *step);
void expect_bytes(struct run *r, const char *addr, const void *want,
		  size_t len, const char *what, const char *step);
void device_write_seen(struct run *r, int byte, const char *step,
		       const char *unseen, struct hmm_dax_access *acc);
unsigned int leaf_flags_at(struct run *r, char *addr, unsigned long long *pfn);
int pgmap_refs_balanced(struct hmm_dax_ctx *monitor, unsigned long long *held);
void expect_refs_balanced(struct run *r, const char *what, const char *step);

/* The run's mapping. */
char *mid(struct run *r);
int map_again(struct run *r);
int remap(struct run *r, const char *step);
int not_applicable(struct run *r, const char *fmt, const char *arg);
int write_param(const char *path, const char *val);

#endif /* _HMM_DAX_RUN_H */
