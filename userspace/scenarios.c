// SPDX-License-Identifier: GPL-2.0
/*
 * The scenario table (scenario.h) and how one scenario runs on one target:
 * a fresh mapping, tagged and mirrored, the body, the teardown, and the
 * verdict with the kernel's reports that came meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scenario.h"
#include "opencl.h"

#define MAP_FILES	"%s is not a file"
#define MAP_SHARED_ONLY	"%s refuses MAP_PRIVATE"

/*
 * In the order compare and opencl run them.  dax-flag-flip comes before
 * reflink-cow, which leaves the file reflinked; poison is last: it is for
 * good.
 */
const struct scenario scenarios[] = {
	{ "cpu-write", 0, K_ALL, NULL, sc_cpu_write, oc_cpu_write, NULL },
	{ "device-write", 0, K_ALL, NULL, sc_device_write, oc_device_write,
	  NULL },
	{ "opencl-write", 0, K_ALL, NULL, NULL, oc_opencl_write, NULL },
	{ "munmap", 0, K_ALL, NULL, sc_munmap, NULL, ch_munmap },
	{ "partial-munmap", 0, K_ALL, NULL, sc_partial_munmap, NULL,
	  ch_partial_munmap },
	{ "mremap", 0, K_ALL, NULL, sc_mremap, NULL, NULL },
	{ "mprotect", 0, K_ALL, NULL, sc_mprotect, NULL, ch_mprotect },
	{ "madvise-dontneed", 0, K_ALL, NULL, sc_madvise_dontneed, NULL,
	  ch_madvise_dontneed },
	{ "truncate", 0, K_FILES, MAP_FILES, sc_truncate, oc_truncate,
	  ch_truncate },
	{ "punch-hole", 0, K_FILES, MAP_FILES, sc_punch_hole, oc_punch_hole,
	  ch_punch_hole },
	{ "msync", 0, K_ALL, NULL, sc_msync, NULL, NULL },
	{ "fork-private", 1, K_ALL & ~K_DEVDAX, MAP_SHARED_ONLY,
	  sc_fork_private, NULL, NULL },
	{ "process-exit", 0, K_ALL, NULL, sc_process_exit, NULL, NULL },
	{ "devdax-disable", 0, K_DEVDAX, "%s cannot be unbound",
	  sc_devdax_disable, oc_devdax_disable, ch_devdax_cycle },
	{ "race", 0, K_ALL, NULL, sc_race, NULL, NULL },
	{ "truncate-partial", 0, K_FILES, MAP_FILES, sc_truncate_partial,
	  NULL, NULL },
	{ "pmd-fallback", 1, K_ALL & ~K_DEVDAX, MAP_SHARED_ONLY,
	  sc_pmd_fallback, NULL, NULL },
	{ "map-sync", 0, K_ALL, NULL, sc_map_sync, NULL, NULL },
	{ "dax-flag-flip", 0, K_FILES, MAP_FILES, sc_dax_flag_flip, NULL,
	  NULL },
	{ "reflink-cow", 0, K_FILES, MAP_FILES, sc_reflink_cow, NULL, NULL },
	{ "misaligned-devdax", 0, K_DEVDAX, "%s is not device-dax",
	  sc_misaligned_devdax, NULL, NULL },
	{ "poison", 0, K_ALL, NULL, sc_poison, NULL, NULL },
};

_Static_assert(ARRAY_SIZE(scenarios) == NR_SCENARIOS,
	       "NR_SCENARIOS is the number of scenarios");

static const char * const body_cmds[] = {
	[BODY_COMPARE] = "compare", [BODY_OPENCL] = "opencl",
	[BODY_CHANGE] = "events",
};

int scenario_has(const struct scenario *sc, enum scenario_body body)
{
	return body == BODY_COMPARE ? !!sc->compare :
	       body == BODY_OPENCL ? !!sc->opencl : !!sc->change;
}

/* The scenario @name if it has @body, else NULL. */
const struct scenario *find_scenario(const char *name,
				     enum scenario_body body)
{
	unsigned int i;

	for (i = 0; i < NR_SCENARIOS; i++)
		if (!strcmp(scenarios[i].name, name) &&
		    scenario_has(&scenarios[i], body))
			return &scenarios[i];
	return NULL;
}

/* "a, b or c": the scenarios that have @body. */
void scenario_names(char *buf, size_t len, enum scenario_body body)
{
	unsigned int i, n = 0, total = 0;
	size_t at = 0;

	for (i = 0; i < NR_SCENARIOS; i++)
		total += scenario_has(&scenarios[i], body);
	buf[0] = 0;
	for (i = 0; i < NR_SCENARIOS && at < len; i++) {
		if (!scenario_has(&scenarios[i], body))
			continue;
		n++;
		at += snprintf(buf + at, len - at, "%s%s",
			       n == 1 ? "" : n == total ? " or " : ", ",
			       scenarios[i].name);
	}
}

/* The scenario @name of @body's command, or NULL (reported, exit 2). */
const struct scenario *scenario_arg(const char *name, enum scenario_body body)
{
	const struct scenario *sc = find_scenario(name, body);
	char names[512];

	if (sc)
		return sc;
	scenario_names(names, sizeof(names), body);
	out_error("--scenario: '%s' is not a scenario of %s (%s%s)", name,
		  body_cmds[body], names, body == BODY_CHANGE ? "" : ", or all");
	return NULL;
}

/*
 * The scenarios --scenario @name (NULL or "all": every one) selects for
 * @body's command, as indexes into scenarios[]: 0 or exit 2.
 */
int scenario_select(const char *name, enum scenario_body body,
		    unsigned int *which, unsigned int *n)
{
	const struct scenario *sc;
	unsigned int i;

	*n = 0;
	if (!name || !strcmp(name, "all")) {
		for (i = 0; i < NR_SCENARIOS; i++)
			if (scenario_has(&scenarios[i], body))
				which[(*n)++] = i;
		return 0;
	}
	sc = scenario_arg(name, body);
	if (!sc)
		return HMM_DAX_EXIT_ERROR;
	which[(*n)++] = sc - scenarios;
	return 0;
}

static void count_events(struct run *r)
{
	struct hmm_dax_event *ev;
	size_t n, i;

	if (hmm_dax_events(r->ctx, &ev, &n, NULL))
		return;
	r->events += n;
	for (i = 0; i < n; i++)
		if (ev[i].event < ARRAY_SIZE(r->event_kinds))
			r->event_kinds[ev[i].event]++;
	free(ev);
}

/*
 * A step: every fault of the mirror went through the entry point asked
 * for (its counters: faults, and of them faults_unlocked).
 */
static void expect_entry_point(struct run *r)
{
	struct hmm_dax_stats st;
	int ret;

	begin_step(r, "entry point");
	ret = hmm_dax_stats(r->ctx, &st);
	if (!ret) {
		r->st = st;
		r->have_st = true;
	}
	if (ret)
		add_div(r, "stats failed", "stats", 0, -ret, 0);
	else if (r->entry && (!st.faults || st.faults_unlocked != st.faults))
		add_div(r, "a fault did not go through hmm_range_fault_unlocked_timeout()",
			"stats", 0, st.faults_unlocked, st.faults);
	else if (!r->entry && st.faults_unlocked)
		add_div(r, "a fault went through hmm_range_fault_unlocked_timeout()",
			"stats", 0, st.faults_unlocked, 0);
	end_step(r, 0, 0);
}

/* Map, tag and mirror the target, run the body, tear down: 0 or exit 2. */
static int run_body(struct run *r, const struct scenario *sc)
{
	int ret;

	r->map = target_map(r->t, r->len, r->private_map);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return out_error("%s: mmap %zu bytes: %s", r->t->path, r->len,
				 strerror(errno));
	}
	ret = open_ctx(&r->ctx, r->device);
	if (ret)
		goto unmap;
	fill_tags(r, r->map, r->len, 0);
	if (r->ocl)
		ret = ocl_start(r);
	else
		remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "mirror");
	count_events(r);
	if (!ret)
		ret = r->ocl ? sc->opencl(r) : sc->compare(r);
	count_events(r);
	if (!ret)
		expect_entry_point(r);
	if (r->ocl)
		ocl_stop(r);
	hmm_dax_close(r->ctx);
	r->ctx = NULL;
unmap:
	if (r->map)
		munmap(r->map, r->len);
	r->map = NULL;
	return ret;
}

/* The kernel's reports meanwhile; and the log line of a refusal. */
static unsigned int kernel_reports(struct run *r)
{
	char why[sizeof(r->refused_buf) - 64] = "no log line";
	unsigned int found;
	size_t at;

	if (!r->refused)
		return kmsg_scan(NULL, NULL, 0);
	found = kmsg_scan(r->refused_log, why, sizeof(why));
	at = strlen(r->refused_buf);
	snprintf(r->refused_buf + at, sizeof(r->refused_buf) - at, " (%s)",
		 why);
	return found;
}

static void print_verdict(const struct run *r, const struct scenario *sc,
			  enum verdict v)
{
	unsigned int k;

	out_text("  %-17s", sc->name);
	out_str("verdict", " %-8s", verdict_names[v]);
	out_levels(r->levels, " %-8s");
	out_u64("nr_divergences", r->diverged ? " %llu divergences" : NULL,
		r->diverged);
	if (!r->ocl) {
		out_u64("events", NULL, r->events);
		out_open_object("event_kinds");
		for (k = 0; k < ARRAY_SIZE(r->event_kinds); k++)
			if (r->event_kinds[k])
				out_u64(hmm_dax_event_str(k), NULL,
					r->event_kinds[k]);
		out_close_object();
	}
	if (r->have_st) {
		/* for make matrix: what the fault path did, per kernel */
		out_u64("faults", NULL, r->st.faults);
		out_u64("retries", NULL, r->st.retries);
		out_u64("demand_faults", NULL, r->st.demand_faults);
	}
	out_str("reason", r->na || r->refused ? " %s" : NULL,
		r->na ? r->na : r->refused ? r->refused : "");
	out_text("\n");
}

/*
 * One scenario on one target, from a fresh mapping and mirror: compare's
 * body, or with @proto->ocl set opencl's.  @proto holds the target, its
 * oracles, the monitor and the device; @cell (may be NULL) gets the
 * verdict for compare's table.
 */
enum verdict run_scenario(const struct run *proto, const struct scenario *sc,
			  struct cell *cell)
{
	struct run *r = malloc(sizeof(*r));
	unsigned int reports = 0;
	enum verdict v = V_AGREE;
	char label[32];

	if (!r) {
		out_error("out of memory");
		return V_ERROR;
	}
	*r = *proto;
	r->sc = sc;
	r->len = r->t->size;
	r->private_map = sc->private_map;
	/* in the kernel log, for what the scenario makes the kernel report */
	target_label(r->t, label, sizeof(label));
	hmm_dax_mark("%s %s %s %s", r->ocl ? "opencl" : "compare", sc->name,
		     label, r->t->path);
	out_progress("%s", "");
	out_open_object(NULL);
	out_str("scenario", NULL, sc->name);
	out_open_array("steps");
	if (!(sc->kinds & KIND_BIT(r->t->kind))) {
		not_applicable(r, sc->na, r->t->kind_name);
	} else if (!run_body(r, sc)) {
		expect_refs_balanced(r, "dev_pagemap references held after the mirror closed",
				     "teardown");
	} else {
		free(r);
		return V_ERROR;
	}
	out_close_array();
	if (!r->ocl)
		reports = kernel_reports(r);
	if (r->na)
		v = V_NA;
	else if (r->diverged)
		v = V_DIVERGE;
	else if (r->refused)
		v = V_REFUSED;
	print_verdict(r, sc, v);
	out_close_object();
	if (cell)
		*cell = (struct cell){ v, r->levels, reports };
	free(r);
	return v;
}
