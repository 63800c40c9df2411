// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax stress: threads that mirror, read and write through the device
 * and invalidate (MADV_DONTNEED, mprotect) the same mapping at once, for a
 * given time; then an audit of the whole range and a byte comparison.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hmm-dax.h"

enum { OP_MIRROR, OP_READ, OP_WRITE, OP_DONTNEED, OP_MPROTECT, NR_OPS };
static const char * const op_names[NR_OPS] = {
	"mirror", "device_read", "device_write", "dontneed", "mprotect",
};

struct stress {
	struct target *t;
	struct hmm_dax_ctx *ctx;
	char *map;
	size_t units;		/* t->size / unit */
	struct timespec end;
	unsigned long long ops[NR_OPS];
	unsigned long long refused[NR_OPS];	/* -EPERM, -EFAULT: expected */
	unsigned long long errors[NR_OPS];	/* anything else */
	int first_error;
};

static int expired(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static void count(struct stress *s, int op, int ret)
{
	__atomic_add_fetch(&s->ops[op], 1, __ATOMIC_RELAXED);
	if (ret == -EPERM || ret == -EFAULT) {
		__atomic_add_fetch(&s->refused[op], 1, __ATOMIC_RELAXED);
	} else if (ret) {
		__atomic_add_fetch(&s->errors[op], 1, __ATOMIC_RELAXED);
		__atomic_compare_exchange_n(&s->first_error, &(int){ 0 }, ret,
					    0, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	}
}

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = (unsigned int)(unsigned long)pthread_self();
	size_t unit = s->t->unit, pages = s->t->size / SZ_4K;
	unsigned char buf[2 * SZ_4K];
	char *u, *p;
	int ret;

	memset(buf, 0x3c, sizeof(buf));
	while (!expired(&s->end)) {
		int op = rand_r(&seed) % NR_OPS;

		u = s->map + (rand_r(&seed) % s->units) * unit;
		p = s->map + (rand_r(&seed) % (pages - 1)) * SZ_4K;
		switch (op) {
		case OP_MIRROR:
			ret = hmm_dax_mirror(s->ctx, u, unit, rand_r(&seed) & 1 ?
					     HMM_DAX_MIRROR_WRITE : 0, NULL);
			break;
		case OP_READ:
			ret = hmm_dax_read(s->ctx, p, buf, sizeof(buf), NULL);
			break;
		case OP_WRITE:
			ret = hmm_dax_write(s->ctx, p, buf, sizeof(buf), NULL);
			break;
		case OP_DONTNEED:
			ret = madvise(p, SZ_4K, MADV_DONTNEED) ? -errno : 0;
			break;
		default:
			ret = mprotect(u, unit, PROT_READ) ? -errno : 0;
			if (!ret)
				ret = mprotect(u, unit, PROT_READ | PROT_WRITE) ?
				      -errno : 0;
			break;
		}
		count(s, op, ret);
	}
	return NULL;
}

static void print_counts(const struct stress *s)
{
	unsigned int i;

	out_open_object("operations");
	for (i = 0; i < NR_OPS; i++) {
		out_open_object(op_names[i]);
		out_text("  %-13s ", op_names[i]);
		out_u64("count", "%llu", s->ops[i]);
		out_u64("refused", " (refused %llu,", s->refused[i]);
		out_u64("errors", " errors %llu)\n", s->errors[i]);
		out_close_object();
	}
	out_close_object();
}

/* After the threads: the audit must be clean and the bytes equal. */
static unsigned long long stress_check(struct stress *s)
{
	unsigned long long bad = 0;
	struct hmm_dax_stale *st;
	struct hmm_dax_audit a;
	unsigned char *buf;
	size_t n, off;
	int ret;

	ret = hmm_dax_audit(s->ctx, s->map, s->t->size, &st, &n, &a);
	if (ret)
		return out_error("HMM_DAX_AUDIT: %s", strerror(-ret)), ~0ULL;
	out_u64("audited_leaves", "audit: %llu leaves,", a.leaves);
	out_u64("stale_leaves", " %llu stale\n", a.nr_stale);
	print_stale(st, n);
	free(st);
	bad += a.nr_stale;
	buf = malloc(SZ_2M);
	if (!buf)
		return out_error("out of memory"), ~0ULL;
	for (off = 0; off < s->t->size; off += SZ_2M) {
		size_t len = s->t->size - off < SZ_2M ? s->t->size - off : SZ_2M;

		if (hmm_dax_read(s->ctx, s->map + off, buf, len, NULL) ||
		    memcmp(buf, s->map + off, len))
			bad++;
	}
	free(buf);
	out_u64("byte_mismatches", "bytes: %llu 2 MiB chunks differ\n",
		bad - a.nr_stale);
	return bad;
}

int cmd_stress(const struct opts *o, int argc, char **argv)
{
	struct stress s = { 0 };
	unsigned long long bad, total;
	pthread_t th[64];
	struct target t;
	unsigned int i, n = 0, left;
	int ret;

	(void)argc;
	ret = target_open(&t, argv[0], o->size);
	if (ret)
		return ret;
	s.t = &t;
	s.units = t.size / t.unit;
	if (!s.units || t.size % t.unit) {
		ret = out_error("--size %zu is not a multiple of the target's %zu-byte unit",
				t.size, t.unit);
		goto err_target;
	}
	s.map = target_map(&t, t.size, 0);
	if (s.map == MAP_FAILED) {
		ret = out_error("%s: mmap: %s", t.path, strerror(errno));
		goto err_target;
	}
	ret = open_ctx(&s.ctx, o->device);
	if (ret)
		goto err_map;
	clock_gettime(CLOCK_MONOTONIC, &s.end);
	s.end.tv_sec += o->seconds;
	for (i = 0; i < o->threads; i++)
		if (!pthread_create(&th[n], NULL, stress_thread, &s))
			n++;
	if (!n) {
		ret = out_error("pthread_create failed");
		goto err_ctx;
	}
	for (left = o->seconds; left && !expired(&s.end); left--) {
		for (i = 0, total = 0; i < NR_OPS; i++)
			total += __atomic_load_n(&s.ops[i], __ATOMIC_RELAXED);
		out_progress("stress %s: %u s left, %llu operations", t.path,
			     left, total);
		sleep(1);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	out_str("target", "target %s", t.path);
	out_u64("threads", ": %llu threads,", n);
	out_u64("seconds", " %llu s\n", o->seconds);
	print_counts(&s);
	bad = stress_check(&s);
	if (bad == ~0ULL) {
		ret = HMM_DAX_EXIT_ERROR;
		goto err_ctx;
	}
	for (i = 0, total = 0; i < NR_OPS; i++)
		total += s.errors[i];
	if (s.first_error)
		out_str("first_error", "first unexpected error: %s\n",
			strerror(-s.first_error));
	ret = bad || total ? HMM_DAX_EXIT_DIVERGE : 0;
	out_str("verdict", "verdict: %s\n", ret ? "diverge" : "agree");
err_ctx:
	hmm_dax_close(s.ctx);
err_map:
	munmap(s.map, t.size);
err_target:
	target_close(&t);
	return ret;
}
