// SPDX-License-Identifier: GPL-2.0
/*
 * The single-step subcommands: each maps TARGET, opens a mirror, mirrors the
 * range (unless told not to), does one thing and prints it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hmm-dax.h"

struct session {
	struct opts o;
	struct target t;
	struct hmm_dax_ctx *ctx;
	char *map;
	char *addr;		/* map + offset */
	size_t len;
};

static void session_end(struct session *s)
{
	hmm_dax_close(s->ctx);
	if (s->map && s->map != MAP_FAILED)
		munmap(s->map, s->t.size);
	target_close(&s->t);
}

/* Open /dev/hmm_dax<@device>: 0, or the error reported (exit status). */
int open_ctx(struct hmm_dax_ctx **ctx, unsigned int device)
{
	int ret = hmm_dax_open(ctx, device);

	if (ret)
		return out_error("/dev/hmm_dax%u: %s%s", device, strerror(-ret),
				 ret == -ENOENT ? " (is hmm_dax.ko loaded?)" : "");
	return 0;
}

static void print_mirror(const struct hmm_dax_range *r)
{
	unsigned int l;

	out_open_object("mirror");
	out_hex("addr", "mirrored %#llx", r->addr);
	out_u64("len", " +%llu:", r->len);
	out_open_object("leaves");
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		out_u64(hmm_dax_level_name(l), " %llu", r->leaves[l]);
	out_close_object();
	out_text(" leaves (4K 2M 1G),");
	out_u64("pages", " %llu pages,", r->pages);
	out_u64("retries", " %llu retries,", r->retries);
	out_u64("fault_ns", " fault %llu ns,", r->fault_ns);
	out_u64("install_ns", " install %llu ns\n", r->install_ns);
	out_close_object();
}

/* Map the target, open the mirror and mirror (unless --no-mirror). */
static int session_start(int argc, char **argv, unsigned int allowed,
			 struct session *s)
{
	struct hmm_dax_range r;
	int ret;

	memset(s, 0, sizeof(*s));
	s->t.fd = -1;
	ret = parse_opts(argc, argv, allowed, &s->o);
	if (ret)
		return ret;
	if (argc - optind != 1)
		return out_error("takes one TARGET (see hmm-dax help)");
	ret = target_open(&s->t, argv[optind], s->o.size);
	if (ret)
		goto err_target;
	if (!(allowed & OPT_BYTES) && (s->o.offset | s->o.len) % SZ_4K) {
		ret = out_error("--offset %zu --len %zu: not page aligned",
				s->o.offset, s->o.len);
		goto err_target;
	}
	s->len = s->o.len_set ? s->o.len : s->t.size - s->o.offset;
	if (s->o.offset >= s->t.size || s->len > s->t.size - s->o.offset) {
		ret = out_error("--offset %zu --len %zu is beyond the %zu bytes mapped",
				s->o.offset, s->len, s->t.size);
		goto err_target;
	}
	s->map = target_map(&s->t, s->t.size, 0);
	if (s->map == MAP_FAILED) {
		ret = out_error("%s: mmap %zu bytes: %s", s->t.path, s->t.size,
				strerror(errno));
		goto err_target;
	}
	s->addr = s->map + s->o.offset;
	ret = open_ctx(&s->ctx, s->o.device);
	if (ret)
		goto err_target;
	out_str("target", "%s", s->t.path);
	out_str("kind", " (%s)", s->t.kind_name);
	out_u64("size", ", %llu bytes mapped\n", s->t.size);
	if (s->o.no_mirror)
		return 0;
	ret = hmm_dax_mirror(s->ctx, (void *)((unsigned long)s->addr & ~(SZ_4K - 1)),
			     (s->len + ((unsigned long)s->addr & (SZ_4K - 1)) +
			      SZ_4K - 1) & ~(SZ_4K - 1), s->o.mirror_flags, &r);
	if (ret) {
		ret = out_error("HMM_DAX_MIRROR %#lx +%zu: %s",
				(unsigned long)s->addr, s->len, strerror(-ret));
		goto err_target;
	}
	print_mirror(&r);
	return 0;

err_target:
	session_end(s);
	return ret;
}

void print_leaves(const struct hmm_dax_leaf *lv, size_t n)
{
	static const char * const types[] = { "-", "fsdax", "generic", "other" };
	size_t i;

	out_open_array("leaves");
	for (i = 0; i < n; i++) {
		out_open_object(NULL);
		out_hex("addr", "  %#014llx", lv[i].addr);
		out_str("level", " %s", hmm_dax_level_name(lv[i].level));
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
		out_str("event", " %s", hmm_dax_event_name(ev[i].event));
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
		out_str("level", " %s", hmm_dax_level_name(st[i].level));
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

int cmd_mirror(int argc, char **argv)
{
	struct session s;
	int ret;

	ret = session_start(argc, argv, OPT_SIZE | OPT_RANGE | OPT_MIRROR, &s);
	if (!ret && s.o.no_mirror)
		ret = out_error("--no-mirror does not apply to mirror");
	if (!ret)
		session_end(&s);
	return ret;
}

static int dump_range(struct session *s)
{
	struct hmm_dax_leaf *lv;
	size_t n;
	int ret;

	ret = hmm_dax_dump(s->ctx, s->addr, s->len, &lv, &n);
	if (ret)
		return out_error("HMM_DAX_DUMP: %s", strerror(-ret));
	out_u64("count", "%llu leaves\n", n);
	print_leaves(lv, n);
	free(lv);
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	struct session s;
	int ret;

	ret = session_start(argc, argv, OPT_SIZE | OPT_RANGE | OPT_MIRROR, &s);
	if (ret)
		return ret;
	ret = dump_range(&s);
	session_end(&s);
	return ret;
}

static void print_access(const char *what, const struct hmm_dax_access *a)
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
static void print_bytes(const unsigned char *b, size_t len, unsigned long addr)
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

int cmd_read(int argc, char **argv)
{
	struct hmm_dax_access a;
	struct session s;
	void *buf;
	int ret;

	ret = session_start(argc, argv, OPT_SIZE | OPT_RANGE | OPT_BYTES, &s);
	if (ret)
		return ret;
	if (!s.o.len_set)
		s.len = s.len < 256 ? s.len : 256;
	buf = malloc(s.len);
	ret = buf ? hmm_dax_read(s.ctx, s.addr, buf, s.len, &a) : -ENOMEM;
	if (ret) {
		ret = out_error("HMM_DAX_READ %#lx +%zu: %s",
				(unsigned long)s.addr, s.len, strerror(-ret));
	} else {
		print_access("read", &a);
		print_bytes(buf, s.len, (unsigned long)s.addr);
	}
	free(buf);
	session_end(&s);
	return ret;
}

int cmd_write(int argc, char **argv)
{
	struct hmm_dax_access a;
	struct session s;
	unsigned long byte = 0xa5;
	char *end;
	void *buf;
	int ret;

	ret = session_start(argc, argv,
			    OPT_SIZE | OPT_RANGE | OPT_BYTES | OPT_PATTERN, &s);
	if (ret)
		return ret;
	if (s.o.pattern) {
		byte = strtoul(s.o.pattern, &end, 0);
		if (!*s.o.pattern || *end || byte > 0xff) {
			session_end(&s);
			return out_error("--pattern: '%s' is not a byte",
					 s.o.pattern);
		}
	}
	if (!s.o.len_set)
		s.len = s.len > SZ_4K ? SZ_4K : s.len;
	buf = malloc(s.len);
	if (buf)
		memset(buf, byte, s.len);
	ret = buf ? hmm_dax_write(s.ctx, s.addr, buf, s.len, &a) : -ENOMEM;
	if (ret)
		ret = out_error("HMM_DAX_WRITE %#lx +%zu: %s",
				(unsigned long)s.addr, s.len, strerror(-ret));
	else
		print_access("write", &a);
	free(buf);
	session_end(&s);
	return ret;
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

static void print_stats(const struct hmm_dax_stats *st)
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
	out_close_object();
}

int cmd_stats(int argc, char **argv)
{
	struct hmm_dax_stats st;
	struct session s;
	int ret;

	ret = session_start(argc, argv, OPT_SIZE | OPT_MIRROR, &s);
	if (ret)
		return ret;
	ret = hmm_dax_stats(s.ctx, &st);
	if (ret)
		ret = out_error("HMM_DAX_STATS: %s", strerror(-ret));
	else
		print_stats(&st);
	session_end(&s);
	return ret;
}

int cmd_events(int argc, char **argv)
{
	struct hmm_dax_event *ev;
	struct session s;
	__u64 lost;
	size_t n;
	int ret;

	ret = session_start(argc, argv, OPT_SIZE | OPT_SCENARIO | OPT_MIRROR,
			    &s);
	if (ret)
		return ret;
	if (s.o.scenario) {
		ret = scenario_invalidate(s.o.scenario, &s.t, s.ctx, &s.map,
					  s.t.size);
		if (ret)
			goto out;
		out_str("scenario", "after %s:\n", s.o.scenario);
	}
	ret = hmm_dax_events(s.ctx, &ev, &n, &lost);
	if (ret) {
		ret = out_error("HMM_DAX_EVENTS: %s", strerror(-ret));
		goto out;
	}
	out_u64("count", "%llu events", n);
	out_u64("lost", " (%llu lost)\n", lost);
	print_events(ev, n);
	free(ev);
out:
	session_end(&s);
	return ret;
}

int cmd_audit(int argc, char **argv)
{
	struct hmm_dax_stale *st;
	struct hmm_dax_audit a;
	struct session s;
	size_t n;
	int ret;

	ret = session_start(argc, argv, OPT_SIZE | OPT_RANGE | OPT_MIRROR, &s);
	if (ret)
		return ret;
	ret = hmm_dax_audit(s.ctx, s.addr, s.len, &st, &n, &a);
	if (ret) {
		ret = out_error("HMM_DAX_AUDIT: %s", strerror(-ret));
		goto out;
	}
	out_u64("leaves", "audit: %llu leaves checked,", a.leaves);
	out_u64("nr_stale", " %llu stale\n", a.nr_stale);
	print_stale(st, n);
	free(st);
	ret = a.nr_stale ? HMM_DAX_EXIT_DIVERGE : 0;
out:
	session_end(&s);
	return ret;
}
