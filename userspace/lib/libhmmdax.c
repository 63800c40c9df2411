// SPDX-License-Identifier: LGPL-2.1
/*
 * libhmmdax: a context over one /dev/hmm_dax<N> file and one function per
 * command of the driver (hmm_dax_uapi.h).  Arrays the driver fills are
 * allocated here and sized from the driver's own counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "libhmmdax.h"
#include "hmm_dax_helpers.h"

struct hmm_dax_ctx {
	int fd;
};

static __u64 hmm_dax_ptr(const void *p)
{
	return (__u64)(unsigned long)p;
}

static int hmm_dax_ioctl(struct hmm_dax_ctx *ctx, unsigned long cmd, void *arg)
{
	return ioctl(ctx->fd, cmd, arg) ? -errno : 0;
}

/**
 * hmm_dax_open() - open one mirror device
 * @ctx: (out) the new context
 * @index: N of /dev/hmm_dax<N>
 *
 * Each context is a mirror of the calling process of its own.
 *
 * Return: 0, -ENOMEM, or the negative errno of open(2) (-ENOENT when the
 * module is not loaded).
 */
int hmm_dax_open(struct hmm_dax_ctx **ctx, unsigned int index)
{
	struct hmm_dax_ctx *c;
	char node[32];

	if (index >= HMM_DAX_NR_DEVICES)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(node, sizeof(node), "/dev/hmm_dax%u", index);
	c->fd = open(node, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int ret = -errno;

		free(c);
		return ret;
	}
	*ctx = c;
	return 0;
}

/**
 * hmm_dax_close() - close a mirror: the driver drops every leaf
 * @ctx: context from hmm_dax_open(), or NULL
 */
void hmm_dax_close(struct hmm_dax_ctx *ctx)
{
	if (!ctx)
		return;
	close(ctx->fd);
	free(ctx);
}

/**
 * hmm_dax_get_fd() - the file descriptor of a context, for poll or fstat
 * @ctx: context
 *
 * Return: the descriptor; it stays owned by @ctx.
 */
int hmm_dax_get_fd(struct hmm_dax_ctx *ctx)
{
	return ctx->fd;
}

/**
 * hmm_dax_mirror() - HMM_DAX_MIRROR: mirror [@addr, @addr + @len)
 * @ctx: context
 * @addr: page-aligned start
 * @len: page-aligned length
 * @flags: HMM_DAX_MIRROR_WRITE or HMM_DAX_MIRROR_SNAPSHOT, or 0
 * @out: (out, may be NULL) the driver's result
 *
 * Return: 0 or the driver's negative errno.
 */
int hmm_dax_mirror(struct hmm_dax_ctx *ctx, void *addr, size_t len,
		   unsigned int flags, struct hmm_dax_range *out)
{
	struct hmm_dax_range r = {
		.addr = hmm_dax_ptr(addr), .len = len, .flags = flags,
	};
	int ret;

	ret = hmm_dax_ioctl(ctx, HMM_DAX_MIRROR, &r);
	if (!ret && out)
		*out = r;
	return ret;
}

/**
 * hmm_dax_dump() - HMM_DAX_DUMP: the leaves meeting [@addr, @addr + @len)
 * @ctx: context
 * @addr: page-aligned start
 * @len: page-aligned length
 * @leaves: (out) a malloc'ed array in address order, NULL when empty;
 *	    the caller frees it
 * @count: (out) entries in @leaves
 *
 * Return: 0, -ENOMEM, or the driver's negative errno.
 */
int hmm_dax_dump(struct hmm_dax_ctx *ctx, void *addr, size_t len,
		 struct hmm_dax_leaf **leaves, size_t *count)
{
	struct hmm_dax_dump d = { .addr = hmm_dax_ptr(addr), .len = len };
	struct hmm_dax_leaf *buf = NULL;
	int ret;

	*leaves = NULL;
	*count = 0;
	/* size the array from the driver's count; the table may grow between */
	for (;;) {
		ret = hmm_dax_ioctl(ctx, HMM_DAX_DUMP, &d);
		if (ret)
			break;
		if (d.total <= d.max) {
			*leaves = buf;
			*count = d.count;
			return 0;
		}
		if (d.total > HMM_DAX_MAX_DUMP) {
			ret = -E2BIG;
			break;
		}
		free(buf);
		d.max = d.total + 16 < HMM_DAX_MAX_DUMP ? d.total + 16 :
							  HMM_DAX_MAX_DUMP;
		buf = calloc(d.max, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
		d.leaves = hmm_dax_ptr(buf);
	}
	free(buf);
	return ret;
}

static int hmm_dax_access(struct hmm_dax_ctx *ctx, unsigned long cmd,
			  void *addr, const void *buf, size_t len,
			  struct hmm_dax_access *out)
{
	struct hmm_dax_access a = {
		.addr = hmm_dax_ptr(addr), .len = len, .buf = hmm_dax_ptr(buf),
	};
	int ret;

	ret = hmm_dax_ioctl(ctx, cmd, &a);
	if (!ret && out)
		*out = a;
	return ret;
}

/**
 * hmm_dax_read() - HMM_DAX_READ: device read through the device page table
 * @ctx: context
 * @addr: first address, any alignment
 * @buf: (out) @len bytes
 * @len: 1 .. HMM_DAX_MAX_ACCESS
 * @out: (out, may be NULL) demand faults and copy time
 *
 * Return: 0 or the driver's negative errno (-EFAULT where neither the
 * device nor the CPU can map a page).
 */
int hmm_dax_read(struct hmm_dax_ctx *ctx, void *addr, void *buf, size_t len,
		 struct hmm_dax_access *out)
{
	return hmm_dax_access(ctx, HMM_DAX_READ, addr, buf, len, out);
}

/**
 * hmm_dax_write() - HMM_DAX_WRITE: device write through the device page table
 * @ctx: context
 * @addr: first address, any alignment
 * @buf: @len bytes to write
 * @len: 1 .. HMM_DAX_MAX_ACCESS
 * @out: (out, may be NULL) demand faults and copy time
 *
 * Return: 0 or the driver's negative errno (-EPERM where the CPU maps the
 * memory read-only).
 */
int hmm_dax_write(struct hmm_dax_ctx *ctx, void *addr, const void *buf,
		  size_t len, struct hmm_dax_access *out)
{
	return hmm_dax_access(ctx, HMM_DAX_WRITE, addr, buf, len, out);
}

/**
 * hmm_dax_stats() - HMM_DAX_STATS: the mirror's counters
 * @ctx: context
 * @stats: (out) counters
 *
 * Return: 0 or the driver's negative errno.
 */
int hmm_dax_stats(struct hmm_dax_ctx *ctx, struct hmm_dax_stats *stats)
{
	return hmm_dax_ioctl(ctx, HMM_DAX_STATS, stats);
}

/**
 * hmm_dax_events() - HMM_DAX_EVENTS: drain the whole invalidation log
 * @ctx: context
 * @events: (out) a malloc'ed array, oldest first, NULL when empty
 * @count: (out) entries in @events
 * @lost: (out, may be NULL) events the log dropped
 *
 * Return: 0, -ENOMEM, or the driver's negative errno.
 */
int hmm_dax_events(struct hmm_dax_ctx *ctx, struct hmm_dax_event **events,
		   size_t *count, __u64 *lost)
{
	struct hmm_dax_event *buf, *tmp;
	struct hmm_dax_events e = { .max = HMM_DAX_EVENT_LOG };
	size_t n = 0;
	__u64 dropped = 0;
	int ret = 0;

	*events = NULL;
	*count = 0;
	buf = calloc(HMM_DAX_EVENT_LOG, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	/* events may arrive while draining: keep going until a short read */
	do {
		if (n) {
			tmp = realloc(buf, (n + HMM_DAX_EVENT_LOG) * sizeof(*buf));
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			buf = tmp;
		}
		e.events = hmm_dax_ptr(buf + n);
		ret = hmm_dax_ioctl(ctx, HMM_DAX_EVENTS, &e);
		if (ret)
			break;
		n += e.count;
		dropped += e.lost;
	} while (e.count == e.max);
	if (ret || !n) {
		free(buf);
		buf = NULL;
		n = 0;
	}
	*events = buf;
	*count = n;
	if (lost)
		*lost = dropped;
	return ret;
}

/**
 * hmm_dax_audit() - HMM_DAX_AUDIT: compare the leaves with the CPU
 * @ctx: context
 * @addr: page-aligned start
 * @len: page-aligned length
 * @stale: (out, may be NULL) a malloc'ed array of the reports, NULL when
 *	   there are none
 * @count: (out, may be NULL) entries in @stale
 * @out: (out, may be NULL) leaves checked and stale leaves found
 *
 * Return: 0, -ENOMEM, or the driver's negative errno.
 */
int hmm_dax_audit(struct hmm_dax_ctx *ctx, void *addr, size_t len,
		  struct hmm_dax_stale **stale, size_t *count,
		  struct hmm_dax_audit *out)
{
	struct hmm_dax_audit a = { .addr = hmm_dax_ptr(addr), .len = len };
	struct hmm_dax_stale *buf = NULL;
	int ret;

	if (stale) {
		*stale = NULL;
		buf = calloc(HMM_DAX_MAX_AUDIT, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
		a.stale = hmm_dax_ptr(buf);
		a.max = HMM_DAX_MAX_AUDIT;
	}
	if (count)
		*count = 0;
	ret = hmm_dax_ioctl(ctx, HMM_DAX_AUDIT, &a);
	if (ret || !a.count) {
		free(buf);
		buf = NULL;
	}
	if (ret)
		return ret;
	if (stale)
		*stale = buf;
	if (count)
		*count = a.count;
	if (out)
		*out = a;
	return 0;
}

/**
 * hmm_dax_reset() - HMM_DAX_RESET: drop every leaf and the event log
 * @ctx: context
 *
 * Return: 0 or the driver's negative errno.
 */
int hmm_dax_reset(struct hmm_dax_ctx *ctx)
{
	return ioctl(ctx->fd, HMM_DAX_RESET) ? -errno : 0;
}

/**
 * hmm_dax_level_name() - "4K", "2M" or "1G"
 * @level: HMM_DAX_LEVEL_*
 *
 * The words of hmm_dax_helpers.h, which the tool and the suite print.
 *
 * Return: a static string, "?" for an unknown level.
 */
const char *hmm_dax_level_name(unsigned int level)
{
	return hmm_dax_level_str(level);
}

/**
 * hmm_dax_event_name() - the name of an HMM_DAX_EV_* event
 * @event: HMM_DAX_EV_*
 *
 * The words of hmm_dax_helpers.h: "unmap", "clear", "protection-vma", ...
 *
 * Return: a static string, "?" for an unknown event.
 */
const char *hmm_dax_event_name(unsigned int event)
{
	return hmm_dax_event_str(event);
}
