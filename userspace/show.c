// SPDX-License-Identifier: GPL-2.0
/*
 * How each record of the uapi (kernel/hmm_dax_uapi.h) prints, in text and
 * JSON alike: a mirror's result, leaves, events, stale leaves, counters, a
 * device access and its bytes.  Levels and events by the words of
 * hmm_dax_helpers.h, as the suite prints them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "hmm-dax.h"

void print_mirror(const struct hmm_dax_range *r)
{
	unsigned int l;

	out_open_object("mirror");
	out_hex("addr", "mirrored %#llx", r->addr);
	out_u64("len", " +%llu:", r->len);
	out_open_object("leaves");
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		out_u64(hmm_dax_level_str(l), " %llu", r->leaves[l]);
	out_close_object();
	out_text(" leaves (4K 2M 1G),");
	out_u64("pages", " %llu pages,", r->pages);
	out_u64("retries", " %llu retries,", r->retries);
	out_u64("fault_ns", " fault %llu ns,", r->fault_ns);
	out_u64("install_ns", " install %llu ns\n", r->install_ns);
	out_close_object();
}

void print_leaves(const struct hmm_dax_leaf *lv, size_t n)
{
	static const char * const types[] = { "-", "fsdax", "generic", "other" };
	size_t i;

	out_open_array("leaves");
	for (i = 0; i < n; i++) {
		out_open_object(NULL);
		out_hex("addr", "  %#014llx", lv[i].addr);
		out_str("level", " %s", hmm_dax_level_str(lv[i].level));
		out_hex("pfn", " pfn %#llx", lv[i].pfn);
		out_bool("write", " write %s", lv[i].flags & HMM_DAX_LEAF_WRITE);
		out_bool("zero", " zero %s", lv[i].flags & HMM_DAX_LEAF_ZERO);
		out_str("pgmap", " pgmap %s\n",
			types[HMM_DAX_LEAF_TYPE(lv[i].flags)]);
		out_close_object();
	}
	out_close_array();
}

/* One per-level count array of an event: " zapped 0/1/0". */
static void print_counts32(const char *key, const __u32 *v)
{
	unsigned int l;

	out_text(" %s", key);
	out_open_array(key);
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		out_u64(NULL, l ? "/%llu" : " %llu", v[l]);
	out_close_array();
}

void print_events(const struct hmm_dax_event *ev, size_t n)
{
	size_t i;

	out_open_array("events");
	for (i = 0; i < n; i++) {
		out_open_object(NULL);
		out_u64("seq", "  #%llu", ev[i].seq);
		out_str("event", " %s", hmm_dax_event_str(ev[i].event));
		out_hex("start", " %#llx", ev[i].start);
		out_hex("end", "-%#llx", ev[i].end);
		out_bool("blockable", " blockable %s",
			 ev[i].flags & HMM_DAX_EVENT_BLOCKABLE);
		out_text(" (4K/2M/1G)");
		print_counts32("zapped", ev[i].zapped);
		print_counts32("split", ev[i].split);
		print_counts32("whole", ev[i].whole);
		out_text("\n");
		out_close_object();
	}
	out_close_array();
}

void print_stale(const struct hmm_dax_stale *st, size_t n)
{
	static const char * const why[] = {
		"absent", "pfn", "write", "level", "pgmap",
	};
	unsigned int b;
	size_t i;

	out_open_array("stale");
	for (i = 0; i < n; i++) {
		out_open_object(NULL);
		out_hex("addr", "  stale %#llx", st[i].addr);
		out_str("level", " %s", hmm_dax_level_str(st[i].level));
		out_hex("dev_pfn", " device pfn %#llx", st[i].dev_pfn);
		out_hex("cpu_pfn", " cpu pfn %#llx", st[i].cpu_pfn);
		out_open_array("reason");
		for (b = 0; b < ARRAY_SIZE(why); b++)
			if (st[i].reason & (1U << b))
				out_str(NULL, " %s", why[b]);
		out_close_array();
		out_text("\n");
		out_close_object();
	}
	out_close_array();
}

void print_access(const char *what, const struct hmm_dax_access *a)
{
	out_open_object(what);
	out_hex("addr", "device %s at %#llx", a->addr);
	out_str("op", " (%s)", what);
	out_u64("len", " +%llu:", a->len);
	out_u64("faults", " %llu demand faults,", a->faults);
	out_u64("ns", " %llu ns\n", a->ns);
	out_close_object();
}

/* Hex dump in text, one hexadecimal string in JSON. */
void print_bytes(const unsigned char *b, size_t len, unsigned long addr)
{
	char *hex = malloc(2 * len + 1);
	size_t i;

	if (!hex)
		return;
	for (i = 0; i < len; i++) {
		sprintf(hex + 2 * i, "%02x", b[i]);
		if (i % 16 == 0)
			out_text("%#014lx ", addr + i);
		out_text(" %02x", b[i]);
		if (i % 16 == 15 || i + 1 == len)
			out_text("\n");
	}
	out_str("data", NULL, hex);
	free(hex);
}

static void print_levels(const char *key, const char *name,
			 const unsigned long long *v)
{
	unsigned int l;

	out_open_array(key);
	out_text("  %-14s", name);
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		out_u64(NULL, " %llu", v[l]);
	out_text("  (4K 2M 1G)\n");
	out_close_array();
}

void print_stats(const struct hmm_dax_stats *st)
{
	const unsigned long long *lv = (const unsigned long long *)st->leaves;

	out_open_object("stats");
	out_u64("id", "mirror %llu\n", st->id);
	print_levels("leaves", "leaves", lv);
	out_u64("table_bytes", "  table_bytes    %llu\n", st->table_bytes);
	out_u64("peak_bytes", "  peak_bytes     %llu\n", st->peak_bytes);
	out_u64("mirrors", "  mirrors        %llu\n", st->mirrors);
	out_u64("faults", "  faults         %llu\n", st->faults);
	out_u64("retries", "  retries        %llu\n", st->retries);
	print_levels("installed", "installed",
		     (const unsigned long long *)st->installed);
	out_u64("invalidations", "  invalidations  %llu\n", st->invalidations);
	out_u64("nonblock_busy", "  nonblock_busy  %llu\n", st->nonblock_busy);
	print_levels("zapped", "zapped", (const unsigned long long *)st->zapped);
	print_levels("split", "split", (const unsigned long long *)st->split);
	print_levels("whole", "whole", (const unsigned long long *)st->whole);
	out_u64("reads", "  reads          %llu\n", st->reads);
	out_u64("writes", "  writes         %llu\n", st->writes);
	out_u64("demand_faults", "  demand_faults  %llu\n", st->demand_faults);
	out_u64("audits", "  audits         %llu\n", st->audits);
	out_u64("stale", "  stale          %llu\n", st->stale);
	out_u64("pgmap_dead", "  pgmap_dead     %llu\n", st->pgmap_dead);
	out_u64("events_lost", "  events_lost    %llu\n", st->events_lost);
	out_u64("pgmap_gets", "  pgmap_gets     %llu\n", st->pgmap_gets);
	out_u64("pgmap_puts", "  pgmap_puts     %llu\n", st->pgmap_puts);
	out_u64("faults_unlocked", "  faults_unlocked %llu\n",
		st->faults_unlocked);
	out_close_object();
}
