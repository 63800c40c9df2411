// SPDX-License-Identifier: GPL-2.0
/*
 * The OpenCL view of a run (opencl.h).  The mapped target is wrapped in
 * CL_MEM_USE_HOST_PTR buffers (on amdgpu and xe such a buffer is a userptr
 * that the driver itself mirrors with HMM; on PoCL the kernels read the
 * host memory in place); an OpenCL kernel checksums every page and the
 * checksums are compared with the CPU's and with reads through the hmm-dax
 * mirror, through the step engine (steps.c).  The buffers live across a
 * scenario's change, as a driver's userptr does, so a device that misses
 * an invalidation reads what is no longer there.
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CL/cl.h>

#include "opencl.h"

#define BOUNCE		SZ_2M

/* What each view says of each page. */
#define SUM_ERROR	0x1	/* the view could not read the page: sum is the error */
#define SUM_UNREAD	0x2	/* the view was not asked */

enum { V_CPU, V_OPENCL, V_MIRROR, NR_VIEWS };
static const char * const view_names[NR_VIEWS] = { "cpu", "opencl", "mirror" };

/* The OpenCL view of a target, kept across its scenarios. */
struct ocl_run {
	struct opencl *cl;
	size_t pages;
	cl_mem *bufs;		/* host-pointer buffers over the mapping */
	cl_mem out;		/* the checksums of one buffer */
	unsigned int nr_bufs;
	size_t buf_pages;	/* pages per buffer */
	unsigned int bufs_seen;	/* buffers of the first scenario that made some */
	int zero_copy;
	__u32 *sum[NR_VIEWS];	/* per page */
	unsigned char *flags[NR_VIEWS];
	unsigned char *bounce;	/* mirror reads */
};

/* The per-page arrays of a target of @pages pages: 0 or exit 2. */
int ocl_run_new(struct ocl_run **op, struct opencl *cl, size_t pages)
{
	struct ocl_run *o = calloc(1, sizeof(*o));
	unsigned int k;

	*op = o;
	if (!o)
		return out_error("out of memory");
	o->cl = cl;
	o->pages = pages;
	o->bounce = malloc(BOUNCE);
	for (k = 0; k < NR_VIEWS; k++) {
		o->sum[k] = calloc(pages, sizeof(*o->sum[k]));
		o->flags[k] = calloc(pages, 1);
		if (!o->sum[k] || !o->flags[k])
			return out_error("out of memory for %zu pages", pages);
	}
	return o->bounce ? 0 : out_error("out of memory");
}

void ocl_run_free(struct ocl_run *o)
{
	unsigned int k;

	if (!o)
		return;
	for (k = 0; k < NR_VIEWS; k++) {
		free(o->sum[k]);
		free(o->flags[k]);
	}
	free(o->bounce);
	free(o);
}

/* The buffers a target's scenarios were read through ("buffers"). */
void ocl_print_buffers(const struct ocl_run *o)
{
	if (!o || !o->bufs_seen)
		return;
	out_open_object("buffers");
	out_u64("count", "  OpenCL: %llu CL_MEM_USE_HOST_PTR buffer",
		o->bufs_seen);
	out_u64("pages", o->bufs_seen > 1 ? "s of up to %llu pages" :
		" of %llu pages", o->buf_pages);
	out_bool("zero_copy", ", zero-copy %s", o->zero_copy);
	out_text("%s\n", o->zero_copy ?
		 " (the device reads the mapping in place)" :
		 " (mapping the buffer gave another address: the device may read a copy)");
	out_close_object();
}

static __u32 page_sum(const void *page)
{
	const __u32 *w = page;
	__u32 s = SUM_SEED;
	size_t i;

	for (i = 0; i < PAGE_WORDS; i++)
		s = (s ^ w[i]) * SUM_PRIME;
	return s;
}

/* The words hmm_dax_fill writes, for page @pg of the mapping. */
static void pattern_page(void *page, size_t pg, __u32 salt)
{
	__u32 *w = page;
	size_t i;

	for (i = 0; i < PAGE_WORDS; i++)
		w[i] = salt ^ (__u32)(pg * PAGE_WORDS + i);
}

/* A view's value of a page: its checksum, or why it has none. */
static void sum_text(char *buf, size_t len, unsigned int view, __u32 sum,
		     unsigned char flags)
{
	if (flags & SUM_UNREAD)
		snprintf(buf, len, "not read");
	else if (!(flags & SUM_ERROR))
		snprintf(buf, len, "%#010x", sum);
	else if (view == V_OPENCL)
		snprintf(buf, len, "%s", opencl_err_name((cl_int)sum));
	else
		snprintf(buf, len, "%s", strerror(sum));
}

/* A divergence at page @pg, with the three views' values of it. */
static void add_page_div(struct run *r, const char *what, size_t pg)
{
	struct ocl_run *o = r->ocl;
	struct divergence *d;
	unsigned int k;

	d = div_add(r, what, NULL, (unsigned long)r->map + pg * PAGE, pg, 1);
	if (!d)
		return;
	d->nr_vals = NR_VIEWS;
	for (k = 0; k < NR_VIEWS; k++) {
		d->val[k].key = view_names[k];
		sum_text(d->val[k].text, sizeof(d->val[k].text), k,
			 o->sum[k][pg], o->flags[k][pg]);
	}
}

static void cpu_view(struct run *r, size_t first, size_t n)
{
	struct ocl_run *o = r->ocl;
	size_t pg;

	for (pg = first; pg < first + n; pg++) {
		o->sum[V_CPU][pg] = page_sum(r->map + pg * PAGE);
		o->flags[V_CPU][pg] = 0;
	}
}

/*
 * Reads through the device page table, a bounce buffer at a time; when a
 * read fails, page by page, so that only the pages that fail are marked.
 */
static void mirror_view(struct run *r, size_t first, size_t n)
{
	struct ocl_run *o = r->ocl;
	size_t pg, k, chunk, end = first + n;
	unsigned char *b = o->bounce;
	int ret, err;

	for (pg = first; pg < end; pg += chunk) {
		chunk = end - pg < BOUNCE / PAGE ? end - pg : BOUNCE / PAGE;
		ret = hmm_dax_read(r->ctx, r->map + pg * PAGE, b, chunk * PAGE,
				   NULL);
		for (k = 0; k < chunk; k++) {
			err = ret ? hmm_dax_read(r->ctx, r->map + (pg + k) * PAGE,
						 b + k * PAGE, PAGE, NULL) : 0;
			o->flags[V_MIRROR][pg + k] = err ? SUM_ERROR : 0;
			o->sum[V_MIRROR][pg + k] = err ? (__u32)-err :
						   page_sum(b + k * PAGE);
		}
	}
}

/* The buffer @b covers pages [*lo, *hi); 0 if it meets [first, end). */
static int buf_part(struct ocl_run *o, unsigned int b, size_t first,
		    size_t end, size_t *lo, size_t *hi)
{
	size_t blo = b * o->buf_pages, bhi = blo + o->buf_pages;

	*lo = first > blo ? first : blo;
	*hi = end < bhi ? end : bhi;
	if (*hi > o->pages)
		*hi = o->pages;
	return *lo < *hi;
}

/* OpenCL has no checksum of pages [lo, hi): @err, or not asked (0). */
static void opencl_mark(struct ocl_run *o, size_t lo, size_t hi, cl_int err)
{
	for (; lo < hi; lo++) {
		o->sum[V_OPENCL][lo] = err;
		o->flags[V_OPENCL][lo] = err ? SUM_ERROR : SUM_UNREAD;
	}
}

/* One launch of hmm_dax_sum over pages [lo, hi) of buffer @b. */
static cl_int opencl_sum(struct ocl_run *o, unsigned int b, size_t lo,
			 size_t hi)
{
	struct opencl *cl = o->cl;
	size_t off = lo - b * o->buf_pages, cnt = hi - lo;
	cl_int err;

	err = clSetKernelArg(cl->sum, 0, sizeof(cl_mem), &o->bufs[b]);
	if (!err)
		err = clSetKernelArg(cl->sum, 1, sizeof(cl_mem), &o->out);
	if (!err)
		err = clEnqueueNDRangeKernel(cl->q, cl->sum, 1, &off, &cnt,
					     NULL, 0, NULL, NULL);
	if (!err)
		err = clEnqueueReadBuffer(cl->q, o->out, CL_TRUE, off * 4,
					  cnt * 4, o->sum[V_OPENCL] + lo, 0,
					  NULL, NULL);
	return err;
}

/* hmm_dax_sum over pages [first, first + n), one launch per buffer. */
static void opencl_view(struct run *r, size_t first, size_t n)
{
	struct ocl_run *o = r->ocl;
	size_t lo, hi;
	unsigned int b;
	cl_int err;

	for (b = 0; b < o->nr_bufs; b++) {
		if (!buf_part(o, b, first, first + n, &lo, &hi))
			continue;
		err = opencl_sum(o, b, lo, hi);
		if (err)
			opencl_mark(o, lo, hi, err);
		else
			memset(o->flags[V_OPENCL] + lo, 0, hi - lo);
	}
}

/* One launch of hmm_dax_fill over pages [lo, hi) of buffer @b. */
static cl_int opencl_fill_part(struct ocl_run *o, unsigned int b, size_t lo,
			       size_t hi, __u32 salt)
{
	struct opencl *cl = o->cl;
	cl_ulong base = (cl_ulong)b * o->buf_pages * PAGE_WORDS;
	size_t off = (lo - b * o->buf_pages) * PAGE_WORDS;
	size_t cnt = (hi - lo) * PAGE_WORDS;
	cl_int err;
	void *p;

	err = clSetKernelArg(cl->fill, 0, sizeof(cl_mem), &o->bufs[b]);
	if (!err)
		err = clSetKernelArg(cl->fill, 1, sizeof(base), &base);
	if (!err)
		err = clSetKernelArg(cl->fill, 2, sizeof(salt), &salt);
	if (!err)
		err = clEnqueueNDRangeKernel(cl->q, cl->fill, 1, &off, &cnt,
					     NULL, 0, NULL, NULL);
	if (err)
		return err;
	/* map what was written: a device that copies writes it back */
	p = clEnqueueMapBuffer(cl->q, o->bufs[b], CL_TRUE, CL_MAP_READ,
			       off * 4, cnt * 4, 0, NULL, NULL, &err);
	if (p)
		err = clEnqueueUnmapMemObject(cl->q, o->bufs[b], p, 0, NULL,
					      NULL);
	return err;
}

/* The three views of pages [first, first + n), compared page by page. */
static void check_pages(struct run *r, size_t first, size_t n)
{
	struct ocl_run *o = r->ocl;
	__u32 c, s, m;
	const char *what;
	size_t pg;

	cpu_view(r, first, n);
	mirror_view(r, first, n);
	opencl_view(r, first, n);
	for (pg = first; pg < first + n; pg++) {
		c = o->sum[V_CPU][pg];
		s = o->sum[V_OPENCL][pg];
		m = o->sum[V_MIRROR][pg];
		if (o->flags[V_MIRROR][pg])
			what = "the mirror cannot read it";
		else if (o->flags[V_OPENCL][pg])
			what = "the OpenCL kernel did not run";
		else if (s == c && m == c)
			continue;
		else if (s == c)
			what = "mirror differs";
		else if (m == c)
			what = "opencl differs";
		else if (s == m)
			what = "cpu differs from both devices";
		else
			what = "all three differ";
		add_page_div(r, what, pg);
	}
}

/*
 * A step: the three views of the first @n pages (all of them up to 64 MiB,
 * else their first, middle and last 2 MiB: hmm_dax_windows()), compared
 * page by page, and (@e, may be NULL) the pages a step wrote or emptied
 * against what they must now hold.
 */
void ocl_check(struct run *r, const char *step, size_t n,
	       const struct ocl_expect *e)
{
	unsigned long woff[3], wlen;
	unsigned int w, nw = hmm_dax_windows(n * PAGE, woff, &wlen);
	__u32 want[PAGE_WORDS];
	size_t pg;

	begin_step(r, step);
	for (w = 0; w < nw; w++)
		check_pages(r, woff[w] / PAGE, wlen / PAGE);
	if (e)
		cpu_view(r, e->first, e->n);
	for (pg = e ? e->first : 0; e && pg < e->first + e->n; pg++) {
		if (e->salt)
			pattern_page(want, pg, e->salt);
		else
			memset(want, 0, sizeof(want));
		if (page_sum(want) != r->ocl->sum[V_CPU][pg])
			add_page_div(r, e->what, pg);
	}
	end_step(r, n, 0);
}

/*
 * A device read of page @pg that must fail: a success is a divergence.
 * @unread says why OpenCL is not asked.
 */
void ocl_expect_mirror_error(struct run *r, size_t pg, const char *what,
			     const char *step, const char *unread)
{
	struct ocl_run *o = r->ocl;
	int ret;

	begin_step(r, step);
	r->unread = unread;
	o->flags[V_CPU][pg] = SUM_UNREAD;
	opencl_mark(o, pg, pg + 1, CL_SUCCESS);
	ret = hmm_dax_read(r->ctx, r->map + pg * PAGE, o->bounce, PAGE, NULL);
	o->flags[V_MIRROR][pg] = ret ? SUM_ERROR : 0;
	o->sum[V_MIRROR][pg] = ret ? (__u32)-ret : page_sum(o->bounce);
	if (!ret)
		add_page_div(r, what, pg);
	end_step(r, 1, 0);
}

/*
 * An OpenCL kernel's write of @n pages of pattern at @first; a failure is
 * the step "opencl-write" and its divergence.
 */
void ocl_kernel_write(struct run *r, size_t first, size_t n, __u32 salt)
{
	struct ocl_run *o = r->ocl;
	size_t lo, hi;
	unsigned int b;
	cl_int err = 0;

	for (b = 0; b < o->nr_bufs && !err; b++)
		if (buf_part(o, b, first, first + n, &lo, &hi))
			err = opencl_fill_part(o, b, lo, hi, salt);
	if (!err)
		err = clFinish(o->cl->q);
	if (!err)
		return;
	begin_step(r, "opencl-write");
	opencl_mark(o, first, first + n, err);
	add_page_div(r, "the OpenCL kernel's write failed", first);
	end_step(r, n, 0);
}

/* A CPU write of @n pages of pattern, through a mapping of the buffers. */
int ocl_cpu_write(struct run *r, size_t first, size_t n, __u32 salt)
{
	struct ocl_run *o = r->ocl;
	cl_command_queue q = o->cl->q;
	size_t lo, hi, pg;
	unsigned int b;
	cl_int err = 0;
	char *p;

	for (b = 0; b < o->nr_bufs && !err; b++) {
		if (!buf_part(o, b, first, first + n, &lo, &hi))
			continue;
		p = clEnqueueMapBuffer(q, o->bufs[b], CL_TRUE, CL_MAP_WRITE,
				       (lo - b * o->buf_pages) * PAGE,
				       (hi - lo) * PAGE, 0, NULL, NULL, &err);
		if (!p)
			break;
		for (pg = lo; pg < hi; pg++)
			pattern_page(p + (pg - lo) * PAGE, pg, salt);
		err = clEnqueueUnmapMemObject(q, o->bufs[b], p, 0, NULL, NULL);
	}
	if (!err)
		err = clFinish(q);
	return err ? opencl_fail("CPU write through a mapped buffer", err) : 0;
}

/* A write of @n (1 or 2) pages of pattern through the mirror: 0 or -errno. */
int ocl_mirror_write(struct run *r, size_t first, size_t n, __u32 salt)
{
	__u32 buf[2 * PAGE_WORDS];
	size_t i;

	for (i = 0; i < n && i < 2; i++)
		pattern_page(buf + i * PAGE_WORDS, first + i, salt);
	return hmm_dax_write(r->ctx, r->map + first * PAGE, buf, i * PAGE,
			     NULL);
}

/* Release the buffers (before the mapping goes); ocl_rebuffer() again. */
void ocl_stop(struct run *r)
{
	struct ocl_run *o = r->ocl;
	unsigned int b;

	if (o->cl->q)
		clFinish(o->cl->q);
	for (b = 0; b < o->nr_bufs; b++)
		clReleaseMemObject(o->bufs[b]);
	if (o->out)
		clReleaseMemObject(o->out);
	free(o->bufs);
	o->bufs = NULL;
	o->out = NULL;
	o->nr_bufs = 0;
}

/* Whether the device reads buffer 0 in place: mapping it gives r->map. */
static int probe_zero_copy(struct run *r)
{
	struct ocl_run *o = r->ocl;
	cl_command_queue q = o->cl->q;
	cl_int err;
	void *p;

	p = clEnqueueMapBuffer(q, o->bufs[0], CL_TRUE, CL_MAP_READ, 0, PAGE, 0,
			       NULL, NULL, &err);
	if (!p)
		return opencl_fail("clEnqueueMapBuffer", err);
	o->zero_copy = p == r->map;
	err = clEnqueueUnmapMemObject(q, o->bufs[0], p, 0, NULL, NULL);
	if (!err)
		err = clFinish(q);
	return err ? opencl_fail("clEnqueueUnmapMemObject", err) : 0;
}

/*
 * Wrap the mapping in CL_MEM_USE_HOST_PTR buffers, as large as the device
 * allows (a multiple of 2 MiB when it is cut), and find out whether the
 * device reads the host memory in place (zero-copy).  0 or exit 2.
 */
int ocl_rebuffer(struct run *r)
{
	struct ocl_run *o = r->ocl;
	size_t max = o->cl->max_alloc / PAGE, lo, n, len;
	unsigned int b;
	cl_int err;

	o->buf_pages = o->pages;
	if (max && o->buf_pages > max)
		o->buf_pages = max >= SZ_2M / PAGE ?
			max & ~(SZ_2M / PAGE - 1) : max;
	n = (o->pages + o->buf_pages - 1) / o->buf_pages;
	o->bufs = calloc(n, sizeof(*o->bufs));
	if (!o->bufs)
		return out_error("out of memory");
	for (b = 0; b < n; b++) {
		lo = b * o->buf_pages;
		len = (o->pages - lo < o->buf_pages ? o->pages - lo :
		       o->buf_pages) * PAGE;
		o->bufs[b] = clCreateBuffer(o->cl->ctx, CL_MEM_READ_WRITE |
					    CL_MEM_USE_HOST_PTR, len,
					    r->map + lo * PAGE, &err);
		if (!o->bufs[b])
			return opencl_fail("clCreateBuffer(CL_MEM_USE_HOST_PTR)",
					   err);
		o->nr_bufs++;
	}
	if (!o->bufs_seen)
		o->bufs_seen = n;
	o->out = clCreateBuffer(o->cl->ctx, CL_MEM_READ_WRITE,
				o->buf_pages * 4, NULL, &err);
	if (!o->out)
		return opencl_fail("clCreateBuffer", err);
	return probe_zero_copy(r);
}

/*
 * The start of an opencl body: mirror the tagged mapping, wrap it in
 * buffers and compare the three views ("before").  0 or exit 2.
 */
int ocl_start(struct run *r)
{
	struct hmm_dax_range out;
	unsigned int l;
	int ret;

	ret = hmm_dax_mirror(r->ctx, r->map, r->len,
			     HMM_DAX_MIRROR_WRITE | r->entry, &out);
	if (ret)
		return out_error("%s: mirror: %s", r->t->path, strerror(-ret));
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		if (out.leaves[l])
			r->levels |= 1U << l;
	ret = ocl_rebuffer(r);
	if (!ret)
		ocl_check(r, "before", r->ocl->pages, NULL);
	return ret;
}

size_t ocl_pages(const struct run *r)
{
	return r->ocl->pages;
}

/* Two pages across the middle: where every opencl body writes. */
size_t ocl_mid_page(const struct run *r)
{
	return r->ocl->pages / 2 ? r->ocl->pages / 2 - 1 : 0;
}

size_t ocl_written_pages(const struct run *r)
{
	return r->ocl->pages - ocl_mid_page(r) < 2 ? 1 : 2;
}
