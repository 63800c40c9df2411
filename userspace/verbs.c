// SPDX-License-Identifier: GPL-2.0
/*
 * The single-step commands: each maps TARGET, opens a mirror, mirrors the
 * range (unless told not to), does one thing and prints it (show.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "scenario.h"

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

/*
 * Map the target at @path, open the mirror and mirror (unless --no-mirror).
 * With @bytes, --offset and --len need not be page aligned (read, write).
 */
static int session_start(const struct opts *o, const char *path, int bytes,
			 struct session *s)
{
	struct hmm_dax_range r;
	int ret;

	memset(s, 0, sizeof(*s));
	s->t.fd = -1;
	s->o = *o;
	ret = target_open(&s->t, path, s->o.size);
	if (ret)
		goto err_target;
	if (!bytes && (s->o.offset | s->o.len) % SZ_4K) {
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
			      SZ_4K - 1) & ~(SZ_4K - 1),
			     s->o.mirror_flags | s->o.entry, &r);
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

int cmd_mirror(const struct opts *o, int argc, char **argv)
{
	struct session s;
	int ret;

	(void)argc;
	ret = session_start(o, argv[0], 0, &s);
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

int cmd_dump(const struct opts *o, int argc, char **argv)
{
	struct session s;
	int ret;

	(void)argc;
	ret = session_start(o, argv[0], 0, &s);
	if (ret)
		return ret;
	ret = dump_range(&s);
	session_end(&s);
	return ret;
}

int cmd_read(const struct opts *o, int argc, char **argv)
{
	struct hmm_dax_access a;
	struct session s;
	void *buf;
	int ret;

	(void)argc;
	ret = session_start(o, argv[0], 1, &s);
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

int cmd_write(const struct opts *o, int argc, char **argv)
{
	struct hmm_dax_access a;
	struct session s;
	unsigned long byte = 0xa5;
	char *end;
	void *buf;
	int ret;

	(void)argc;
	if (o->pattern) {
		byte = strtoul(o->pattern, &end, 0);
		if (!*o->pattern || *end || byte > 0xff)
			return out_error("--pattern: '%s' is not a byte",
					 o->pattern);
	}
	ret = session_start(o, argv[0], 1, &s);
	if (ret)
		return ret;
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

int cmd_stats(const struct opts *o, int argc, char **argv)
{
	struct hmm_dax_stats st;
	struct session s;
	int ret;

	(void)argc;
	ret = session_start(o, argv[0], 0, &s);
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

/*
 * A scenario's change alone (its change body) on the session's mapping,
 * for events to print what the kernel sent the mirror.  0 or exit 2.
 */
static int apply_change(struct session *s, const struct scenario *sc)
{
	struct run r = {
		.sc = sc, .t = &s->t, .ctx = s->ctx, .monitor = s->ctx,
		.device = s->o.device, .map = s->map, .len = s->t.size,
	};
	int ret = 0;

	if (!(sc->kinds & KIND_BIT(s->t.kind)))
		not_applicable(&r, sc->na, s->t.kind_name);
	else
		ret = sc->change(&r);
	s->map = r.map;
	if (!ret && r.na)
		ret = out_error("--scenario %s: does not apply: %s", sc->name,
				r.na);
	return ret;
}

int cmd_events(const struct opts *o, int argc, char **argv)
{
	const struct scenario *sc = NULL;
	struct hmm_dax_event *ev;
	struct session s;
	__u64 lost;
	size_t n;
	int ret;

	(void)argc;
	if (o->scenario) {
		sc = scenario_arg(o->scenario, BODY_CHANGE);
		if (!sc)
			return HMM_DAX_EXIT_ERROR;
	}
	ret = session_start(o, argv[0], 0, &s);
	if (ret)
		return ret;
	if (sc) {
		ret = apply_change(&s, sc);
		if (ret)
			goto out;
		out_str("scenario", "after %s:\n", sc->name);
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

int cmd_audit(const struct opts *o, int argc, char **argv)
{
	struct hmm_dax_stale *st;
	struct hmm_dax_audit a;
	struct session s;
	size_t n;
	int ret;

	(void)argc;
	ret = session_start(o, argv[0], 0, &s);
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
