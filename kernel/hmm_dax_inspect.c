// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_inspect.c - looking at a mirror: dump, audit, event log, stats,
 * reset.
 *
 * Results are gathered under the table lock into kernel buffers of bounded
 * size and copied to user space after it is dropped: a fault on the user
 * buffer may invalidate, and the notifier takes the same lock.
 */
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hmm_dax.h"
#include "hmm_dax_trace.h"

#define HMM_DAX_BATCH	128	/* leaves or reports per copy to user */
#define HMM_DAX_VA_END	BIT_ULL(HMM_DAX_DEVPT_VA_BITS)

static u64 hmm_dax_leaf_end(const struct hmm_dax_devpt_leaf *leaf)
{
	return leaf->addr + hmm_dax_devpt_level_size(leaf->level);
}

struct hmm_dax_dump_ctx {
	struct hmm_dax_leaf *buf;
	unsigned int n;
	unsigned int cap;
	bool show_pfns;
	u64 resume;
};

static int hmm_dax_dump_leaf(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	struct hmm_dax_dump_ctx *c = arg;
	struct hmm_dax_leaf *out;

	if (c->n == c->cap)
		return 1;
	out = &c->buf[c->n++];
	out->addr = leaf->addr;
	out->level = leaf->level;
	out->flags = leaf->flags;
	out->pfn = c->show_pfns ? leaf->pfn : 0;
	if (!c->show_pfns)
		out->flags |= HMM_DAX_LEAF_PFN_HIDDEN;
	c->resume = hmm_dax_leaf_end(leaf);
	return 0;
}

static int hmm_dax_count_leaf(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	(*(u64 *)arg)++;
	return 0;
}

/**
 * hmm_dax_dump() - HMM_DAX_DUMP, on a validated request
 * @m: the mirror
 * @d: the request; count and total filled in
 *
 * Each batch is consistent; a dump that needs several batches may see
 * invalidations between them.
 *
 * Return: 0, -EFAULT, -ENOMEM.
 */
int hmm_dax_dump(struct hmm_dax_mirror *m, struct hmm_dax_dump *d)
{
	struct hmm_dax_leaf __user *ubuf = u64_to_user_ptr(d->leaves);
	struct hmm_dax_dump_ctx c = { .show_pfns = m->show_pfns };
	u64 addr = d->addr, end = d->addr + d->len, rest = 0;
	int ret = 0;

	c.buf = kmalloc_array(HMM_DAX_BATCH, sizeof(*c.buf), GFP_KERNEL);
	if (!c.buf)
		return -ENOMEM;
	d->count = 0;
	while (d->count < d->max && addr < end) {
		c.n = 0;
		c.cap = min_t(u64, HMM_DAX_BATCH, d->max - d->count);
		c.resume = end;
		mutex_lock(&m->lock);
		if (!hmm_dax_devpt_walk(&m->pt, addr, end, hmm_dax_dump_leaf,
					&c))
			c.resume = end;
		mutex_unlock(&m->lock);
		if (copy_to_user(ubuf + d->count, c.buf, c.n * sizeof(*c.buf))) {
			ret = -EFAULT;
			goto out;
		}
		d->count += c.n;
		addr = c.resume;
	}
	if (addr < end) {
		mutex_lock(&m->lock);
		hmm_dax_devpt_walk(&m->pt, addr, end, hmm_dax_count_leaf, &rest);
		mutex_unlock(&m->lock);
	}
	d->total = d->count + rest;
out:
	kfree(c.buf);
	return ret;
}

/**
 * hmm_dax_stats() - HMM_DAX_STATS
 * @m: the mirror
 * @s: filled in
 */
void hmm_dax_stats(struct hmm_dax_mirror *m, struct hmm_dax_stats *s)
{
	unsigned int l;

	mutex_lock(&m->lock);
	*s = m->stats;
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		s->leaves[l] = m->pt.nr_leaves[l];
	s->table_bytes = hmm_dax_devpt_bytes(&m->pt);
	mutex_unlock(&m->lock);
	s->nonblock_busy = atomic64_read(&m->nonblock_busy);
	s->pgmap_gets = atomic64_read(&hmm_dax_pgmap_gets);
	s->pgmap_puts = atomic64_read(&hmm_dax_pgmap_puts);
}

/**
 * hmm_dax_events() - HMM_DAX_EVENTS: drain the oldest events
 * @m: the mirror
 * @e: the request; count and lost filled in
 *
 * Events leave the log only once they were copied out.
 *
 * Return: 0, -EFAULT, -ENOMEM.
 */
int hmm_dax_events(struct hmm_dax_mirror *m, struct hmm_dax_events *e)
{
	struct hmm_dax_event *buf;
	unsigned int i, n;
	u64 lost;

	buf = kmalloc_array(e->max, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&m->lock);
	n = min_t(u64, e->max, m->ev_count);
	for (i = 0; i < n; i++)
		buf[i] = m->events[(m->ev_head + i) % HMM_DAX_EVENT_LOG];
	lost = m->ev_lost;
	mutex_unlock(&m->lock);

	if (copy_to_user(u64_to_user_ptr(e->events), buf, n * sizeof(*buf))) {
		kfree(buf);
		return -EFAULT;
	}
	/* Drop what was copied, unless the ring moved on meanwhile. */
	mutex_lock(&m->lock);
	while (n && m->ev_count &&
	       m->events[m->ev_head].seq <= buf[n - 1].seq) {
		m->ev_head = (m->ev_head + 1) % HMM_DAX_EVENT_LOG;
		m->ev_count--;
	}
	m->ev_lost -= min(lost, m->ev_lost);
	mutex_unlock(&m->lock);
	e->count = n;
	e->lost = lost;
	kfree(buf);
	return 0;
}

/**
 * hmm_dax_reset() - HMM_DAX_RESET: drop every leaf and the event log
 * @m: the mirror
 */
void hmm_dax_reset(struct hmm_dax_mirror *m)
{
	struct hmm_dax_devpt_zap zap = {};
	struct mem_cgroup *old;

	mutex_lock(&m->lock);
	old = hmm_dax_charge_begin(m);
	hmm_dax_devpt_unmap(&m->pt, 0, HMM_DAX_VA_END, HMM_DAX_GFP_LOCKED,
			    &zap);
	hmm_dax_charge_end(old);
	m->ev_head = 0;
	m->ev_count = 0;
	m->ev_lost = 0;
	mutex_unlock(&m->lock);
}

/* Audit: what one chunk's comparison found. */
struct hmm_dax_audit_ctx {
	const struct hmm_range *range;
	struct hmm_dax_stale *buf;
	unsigned int n;
	bool show_pfns;
	u64 last_leaf;		/* leaf already counted (address), or ~0 */
	u64 last_stale;		/* leaf already reported stale, or ~0 */
	u64 skip_to;		/* audit resumes here: a whole PUD agreed */
	u64 leaves;
	u64 nr_stale;
};

static unsigned int hmm_dax_audit_page(const struct hmm_dax_devpt_leaf *leaf,
				       u64 va, unsigned long cpu)
{
	unsigned int reason = 0;
	u64 pfn = leaf->pfn + ((va - leaf->addr) >> PAGE_SHIFT);

	if (!(cpu & HMM_PFN_VALID) || (cpu & HMM_PFN_ERROR))
		return HMM_DAX_STALE_ABSENT;
	if (hmm_dax_hmm_pfn(cpu) != pfn)
		reason |= HMM_DAX_STALE_PFN;
	if ((leaf->flags & HMM_DAX_DEVPT_WRITE) && !(cpu & HMM_PFN_WRITE))
		reason |= HMM_DAX_STALE_WRITE;
	if (leaf->level * HMM_DAX_DEVPT_BITS > hmm_pfn_to_map_order(cpu))
		reason |= HMM_DAX_STALE_LEVEL;
	return reason;
}

static unsigned int hmm_dax_audit_pgmap(const struct hmm_dax_devpt_leaf *leaf)
{
	unsigned int type;

	if (!(leaf->flags & HMM_DAX_DEVPT_DEVICE))
		return 0;
	if (!hmm_dax_pgmap_check(leaf->pfn, &type) ||
	    type != HMM_DAX_DEVPT_TYPE_OF(leaf->flags))
		return HMM_DAX_STALE_PGMAP;
	return 0;
}

static int hmm_dax_audit_leaf(const struct hmm_dax_devpt_leaf *leaf, void *arg)
{
	struct hmm_dax_audit_ctx *c = arg;
	const struct hmm_range *range = c->range;
	u64 start = max_t(u64, leaf->addr, range->start);
	u64 end = min_t(u64, hmm_dax_leaf_end(leaf), range->end);
	unsigned int reason = 0;
	unsigned long cpu = 0;
	u64 va;

	if (leaf->addr != c->last_leaf) {
		c->last_leaf = leaf->addr;
		c->leaves++;
		reason = hmm_dax_audit_pgmap(leaf);
	}
	/* On return va is the first page that differs, or end. */
	for (va = start; !reason && va < end; va += PAGE_SIZE) {
		cpu = range->hmm_pfns[(va - range->start) >> PAGE_SHIFT];
		reason = hmm_dax_audit_page(leaf, va, cpu);
		if (reason)
			break;
	}
	if (!reason) {
		cpu = range->hmm_pfns[(start - range->start) >> PAGE_SHIFT];
		/* The CPU maps this whole 1 GiB with the same leaf. */
		if (leaf->level == HMM_DAX_PUD &&
		    hmm_pfn_to_map_order(cpu) >= HMM_DAX_PUD * HMM_DAX_DEVPT_BITS)
			c->skip_to = hmm_dax_leaf_end(leaf);
		return 0;
	}
	if (leaf->addr == c->last_stale)
		return 0;
	c->last_stale = leaf->addr;
	c->nr_stale++;
	if (c->n < HMM_DAX_BATCH) {
		struct hmm_dax_stale *s = &c->buf[c->n++];

		s->addr = va;
		s->level = leaf->level;
		s->reason = reason;
		s->dev_pfn = leaf->pfn + ((va - leaf->addr) >> PAGE_SHIFT);
		s->cpu_pfn = (cpu & HMM_PFN_VALID) ? hmm_dax_hmm_pfn(cpu) : 0;
		if (!c->show_pfns) {
			s->dev_pfn = 0;
			s->cpu_pfn = 0;
		}
	}
	return 0;
}

/* Compare the leaves meeting one chunk; returns with the lock dropped. */
static int hmm_dax_audit_chunk(struct hmm_dax_mirror *m, struct hmm_range *range,
			       struct hmm_dax_audit_ctx *c)
{
	struct hmm_dax_range r = {};
	int ret;

	ret = hmm_dax_range_fault(m, range, NULL, &r);
	if (ret)
		return ret;
	c->range = range;
	hmm_dax_devpt_walk(&m->pt, range->start, range->end,
			   hmm_dax_audit_leaf, c);
	mutex_unlock(&m->lock);
	return 0;
}

/**
 * hmm_dax_audit() - HMM_DAX_AUDIT, on a validated request
 * @m: the mirror
 * @a: the request; leaves, nr_stale and count filled in
 *
 * Return: 0, -EFAULT, -ENOMEM, -EBUSY, -EINTR.
 */
int hmm_dax_audit(struct hmm_dax_mirror *m, struct hmm_dax_audit *a)
{
	struct hmm_dax_stale __user *ubuf = u64_to_user_ptr(a->stale);
	struct hmm_dax_audit_ctx c = {
		.show_pfns = m->show_pfns,
		.last_leaf = ~0ULL,
		.last_stale = ~0ULL,
	};
	struct hmm_range range = { .notifier = &m->notifier };
	u64 addr = a->addr, end = a->addr + a->len, t0 = ktime_get_ns();
	int ret = 0;

	a->count = 0;
	range.hmm_pfns = kmalloc_array(HMM_DAX_DEVPT_ENTRIES,
				       sizeof(*range.hmm_pfns), GFP_KERNEL);
	c.buf = kmalloc_array(HMM_DAX_BATCH, sizeof(*c.buf), GFP_KERNEL);
	if (!range.hmm_pfns || !c.buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (addr < end) {
		u64 first;
		bool found;

		mutex_lock(&m->lock);
		found = hmm_dax_next_leaf(m, addr, end, &first);
		mutex_unlock(&m->lock);
		if (!found)
			break;
		addr = max(addr, first);
		range.start = addr;
		range.end = min(end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
		c.n = 0;
		c.skip_to = 0;
		ret = hmm_dax_audit_chunk(m, &range, &c);
		if (ret)
			break;
		if (c.n && a->count < a->max) {
			unsigned int n = min_t(u64, c.n, a->max - a->count);

			if (copy_to_user(ubuf + a->count, c.buf,
					 n * sizeof(*c.buf))) {
				ret = -EFAULT;
				break;
			}
			a->count += n;
		}
		addr = max(range.end, c.skip_to);
		cond_resched();
	}
	a->leaves = c.leaves;
	a->nr_stale = c.nr_stale;
	a->ns = ktime_get_ns() - t0;
	mutex_lock(&m->lock);
	m->stats.audits++;
	m->stats.stale += c.nr_stale;
	hmm_dax_note_peak(m, HMM_DAX_DEVPT_ENTRIES * sizeof(*range.hmm_pfns) +
			  HMM_DAX_BATCH * sizeof(*c.buf));
	mutex_unlock(&m->lock);
	trace_hmm_dax_audit(m->stats.id, a->addr, a->addr + a->len, c.leaves,
			    c.nr_stale, ret);
out:
	kfree(c.buf);
	kfree(range.hmm_pfns);
	return ret;
}
