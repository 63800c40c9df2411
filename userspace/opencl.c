// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax opencl: a real device's view of the same range.  The mapped
 * target is wrapped in CL_MEM_USE_HOST_PTR buffers (on amdgpu and xe such a
 * buffer is a userptr that the driver itself mirrors with HMM; on PoCL the
 * kernels read the host memory in place); an OpenCL kernel checksums every
 * page and the checksums are compared with the CPU's and with reads through
 * the hmm-dax mirror, before and after each scenario's change.  The buffers
 * live across the change, as a driver's userptr does, so a device that
 * misses an invalidation reads what is no longer there.
 *
 * The device comes through the ICD loader (libOpenCL), never from a vendor
 * library directly: the one the user has installed is the one measured.
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <CL/cl.h>
#include <CL/cl_ext.h>

#include "hmm-dax.h"
#include "hmm_dax_helpers.h"

#define PAGE		SZ_4K
#define PAGE_WORDS	(PAGE / 4)
#define MAX_DIVS	16	/* divergence ranges kept per step */
/* FNV-1a over the 32-bit words of a page, in C and in OpenCL C alike */
#define SUM_SEED	2166136261u
#define SUM_PRIME	16777619u

/*
 * hmm_dax_sum: one work-item per page of the buffer.  hmm_dax_fill: one
 * work-item per word; @base is the buffer's first word in the mapping, so
 * the pattern does not depend on how the range is cut into buffers.
 */
static const char opencl_src[] =
	"__kernel void hmm_dax_sum(__global const uint *p, __global uint *out)\n"
	"{\n"
	"	size_t pg = get_global_id(0);\n"
	"	__global const uint *w = p + pg * PAGE_WORDS;\n"
	"	uint s = SUM_SEED;\n"
	"\n"
	"	for (uint i = 0; i < PAGE_WORDS; i++)\n"
	"		s = (s ^ w[i]) * SUM_PRIME;\n"
	"	out[pg] = s;\n"
	"}\n"
	"\n"
	"__kernel void hmm_dax_fill(__global uint *p, ulong base, uint salt)\n"
	"{\n"
	"	size_t i = get_global_id(0);\n"
	"\n"
	"	p[i] = salt ^ (uint)(base + i);\n"
	"}\n";

static const char *opencl_err_name(cl_int err)
{
	static const struct {
		cl_int err;
		const char *name;
	} names[] = {
		{ CL_DEVICE_NOT_FOUND, "CL_DEVICE_NOT_FOUND" },
		{ CL_DEVICE_NOT_AVAILABLE, "CL_DEVICE_NOT_AVAILABLE" },
		{ CL_COMPILER_NOT_AVAILABLE, "CL_COMPILER_NOT_AVAILABLE" },
		{ CL_MEM_OBJECT_ALLOCATION_FAILURE, "CL_MEM_OBJECT_ALLOCATION_FAILURE" },
		{ CL_OUT_OF_RESOURCES, "CL_OUT_OF_RESOURCES" },
		{ CL_OUT_OF_HOST_MEMORY, "CL_OUT_OF_HOST_MEMORY" },
		{ CL_BUILD_PROGRAM_FAILURE, "CL_BUILD_PROGRAM_FAILURE" },
		{ CL_MAP_FAILURE, "CL_MAP_FAILURE" },
		{ CL_INVALID_VALUE, "CL_INVALID_VALUE" },
		{ CL_INVALID_PLATFORM, "CL_INVALID_PLATFORM" },
		{ CL_INVALID_DEVICE, "CL_INVALID_DEVICE" },
		{ CL_INVALID_HOST_PTR, "CL_INVALID_HOST_PTR" },
		{ CL_INVALID_MEM_OBJECT, "CL_INVALID_MEM_OBJECT" },
		{ CL_INVALID_BUFFER_SIZE, "CL_INVALID_BUFFER_SIZE" },
		{ CL_INVALID_KERNEL_ARGS, "CL_INVALID_KERNEL_ARGS" },
		{ CL_INVALID_WORK_GROUP_SIZE, "CL_INVALID_WORK_GROUP_SIZE" },
		{ CL_INVALID_GLOBAL_OFFSET, "CL_INVALID_GLOBAL_OFFSET" },
		{ CL_INVALID_OPERATION, "CL_INVALID_OPERATION" },
		{ CL_PLATFORM_NOT_FOUND_KHR, "CL_PLATFORM_NOT_FOUND_KHR" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	return "OpenCL error";
}

static int opencl_fail(const char *what, cl_int err)
{
	return out_error("OpenCL: %s: %s (%d)", what, opencl_err_name(err), err);
}

/**
 * opencl_devices() - every OpenCL device the ICD loader offers, numbered in
 * platform order then device order (the N of "opencl --device N")
 * @devs: (out) malloc()ed array, to be freed by the caller
 * @n: (out) its length
 * @why: (out) the reason when there is none
 * @len: bytes at @why
 *
 * Return: 0, or -ENODEV with @why set (no platform, or platforms without
 * devices), or -ENOMEM.
 */
int opencl_devices(struct opencl_dev **devs, unsigned int *n, char *why,
		   size_t len)
{
	cl_platform_id *pl = NULL;
	cl_uint np = 0, nd, i, j;
	const char *vendors;
	cl_int err;

	*devs = NULL;
	*n = 0;
	err = clGetPlatformIDs(0, NULL, &np);
	if (err == CL_PLATFORM_NOT_FOUND_KHR || (!err && !np)) {
		vendors = getenv("OCL_ICD_VENDORS");
		snprintf(why, len, "the OpenCL ICD loader found no platform (no ICD in %s)",
			 vendors ? vendors : "/etc/OpenCL/vendors");
		return -ENODEV;
	}
	if (err) {
		snprintf(why, len, "clGetPlatformIDs: %s (%d)",
			 opencl_err_name(err), err);
		return -ENODEV;
	}
	pl = calloc(np, sizeof(*pl));
	if (!pl || clGetPlatformIDs(np, pl, NULL)) {
		free(pl);
		snprintf(why, len, "cannot list the OpenCL platforms");
		return -ENOMEM;
	}
	for (i = 0; i < np; i++) {
		cl_device_id *ids;
		struct opencl_dev *more;

		if (clGetDeviceIDs(pl[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) || !nd)
			continue;
		ids = calloc(nd, sizeof(*ids));
		more = realloc(*devs, (*n + nd) * sizeof(**devs));
		if (!ids || !more) {
			free(ids);
			free(more ? more : *devs);
			free(pl);
			*devs = NULL;
			*n = 0;
			snprintf(why, len, "out of memory");
			return -ENOMEM;
		}
		*devs = more;
		if (!clGetDeviceIDs(pl[i], CL_DEVICE_TYPE_ALL, nd, ids, NULL))
			for (j = 0; j < nd; j++)
				(*devs)[(*n)++] = (struct opencl_dev){ pl[i], ids[j] };
		free(ids);
	}
	free(pl);
	if (!*n) {
		snprintf(why, len, "%u OpenCL platform%s but no device", np,
			 np == 1 ? "" : "s");
		return -ENODEV;
	}
	return 0;
}

static void dev_str(cl_device_id d, cl_device_info what, char *buf,
		    size_t len)
{
	if (clGetDeviceInfo(d, what, len, buf, NULL))
		snprintf(buf, len, "?");
	buf[len - 1] = 0;
}

static cl_ulong dev_ulong(cl_device_id d, cl_device_info what, size_t size)
{
	cl_ulong v = 0;

	/* cl_uint, cl_bool, size_t and bitfields all fit, little-endian */
	if (clGetDeviceInfo(d, what, size, &v, NULL))
		return 0;
	return v;
}

/**
 * opencl_pci() - the PCI address of an OpenCL device (cl_khr_pci_bus_info)
 * @d: the device
 * @buf: (out) "dddd:bb:dd.f"
 * @len: bytes at @buf
 *
 * Return: 0, or -ENOENT when the device does not say (no extension: a CPU
 * device, or a driver without it).
 */
int opencl_pci(const struct opencl_dev *d, char *buf, size_t len)
{
	cl_device_pci_bus_info_khr pci;
	char ext[8192];

	dev_str(d->id, CL_DEVICE_EXTENSIONS, ext, sizeof(ext));
	if (!strstr(ext, "cl_khr_pci_bus_info") ||
	    clGetDeviceInfo(d->id, CL_DEVICE_PCI_BUS_INFO_KHR, sizeof(pci),
			    &pci, NULL))
		return -ENOENT;
	snprintf(buf, len, "%04x:%02x:%02x.%x", pci.pci_domain, pci.pci_bus,
		 pci.pci_device, pci.pci_function);
	return 0;
}

static const char *dev_type_name(cl_ulong type)
{
	return type & CL_DEVICE_TYPE_GPU ? "gpu" :
	       type & CL_DEVICE_TYPE_CPU ? "cpu" :
	       type & CL_DEVICE_TYPE_ACCELERATOR ? "accelerator" :
	       type & CL_DEVICE_TYPE_CUSTOM ? "custom" : "other";
}

/**
 * opencl_print_device() - an OpenCL device's identity and its memory
 * capabilities (SVM, host pointers), into the object being printed
 * @d: the device
 * @index: its number in opencl_devices()
 */
void opencl_print_device(const struct opencl_dev *d, unsigned int index)
{
	char name[256], vendor[256], version[256], driver[256], plat[256];
	cl_ulong svm = 0, type;

	dev_str(d->id, CL_DEVICE_NAME, name, sizeof(name));
	dev_str(d->id, CL_DEVICE_VENDOR, vendor, sizeof(vendor));
	dev_str(d->id, CL_DEVICE_VERSION, version, sizeof(version));
	dev_str(d->id, CL_DRIVER_VERSION, driver, sizeof(driver));
	if (clGetPlatformInfo(d->platform, CL_PLATFORM_NAME, sizeof(plat),
			      plat, NULL))
		snprintf(plat, sizeof(plat), "?");
	plat[sizeof(plat) - 1] = 0;
	type = dev_ulong(d->id, CL_DEVICE_TYPE, sizeof(cl_device_type));
	/* SVM exists from OpenCL 2.0; "OpenCL 1.x ..." devices have none */
	if (strncmp(version, "OpenCL 1.", 9))
		svm = dev_ulong(d->id, CL_DEVICE_SVM_CAPABILITIES,
				sizeof(cl_device_svm_capabilities));

	out_u64("index", "  opencl %llu:", index);
	out_str("name", " %s", name);
	out_str("type", " (%s", dev_type_name(type));
	out_str("vendor", ", %s", vendor);
	out_str("platform", "; platform %s)\n", plat);
	out_str("version", "    %s", version);
	out_str("driver_version", ", driver %s\n", driver);
	out_bool("host_unified_memory", "    host unified memory: %s",
		 dev_ulong(d->id, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof(cl_bool)));
	out_u64("max_alloc", "; largest buffer %llu bytes",
		dev_ulong(d->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong)));
	out_u64("base_addr_align", "; host pointers aligned to %llu bytes\n",
		dev_ulong(d->id, CL_DEVICE_MEM_BASE_ADDR_ALIGN,
			  sizeof(cl_uint)) / 8);
	out_open_object("svm");
	out_text("    SVM:");
	out_bool("coarse_grain_buffer", " coarse-grain buffer %s",
		 !!(svm & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER));
	out_bool("fine_grain_buffer", ", fine-grain buffer %s",
		 !!(svm & CL_DEVICE_SVM_FINE_GRAIN_BUFFER));
	out_bool("fine_grain_system", ", fine-grain system %s",
		 !!(svm & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM));
	out_bool("atomics", ", atomics %s\n", !!(svm & CL_DEVICE_SVM_ATOMICS));
	out_close_object();
}

/* The OpenCL side of a run: one device, its queue and the two kernels. */
struct opencl {
	struct opencl_dev dev;
	cl_context ctx;
	cl_command_queue q;
	cl_program prog;
	cl_kernel sum, fill;
	size_t max_alloc;
};

static void opencl_release(struct opencl *cl)
{
	if (cl->fill)
		clReleaseKernel(cl->fill);
	if (cl->sum)
		clReleaseKernel(cl->sum);
	if (cl->prog)
		clReleaseProgram(cl->prog);
	if (cl->q)
		clReleaseCommandQueue(cl->q);
	if (cl->ctx)
		clReleaseContext(cl->ctx);
}

static int opencl_build_log(struct opencl *cl)
{
	char log[2048];

	if (clGetProgramBuildInfo(cl->prog, cl->dev.id, CL_PROGRAM_BUILD_LOG,
				  sizeof(log), log, NULL))
		snprintf(log, sizeof(log), "(no build log)");
	log[sizeof(log) - 1] = 0;
	return out_error("OpenCL: the checksum kernels do not build: %s", log);
}

/* Pick device @index, print it, and build the kernels: 0 or exit 2. */
static int opencl_setup(struct opencl *cl, unsigned int index)
{
	struct opencl_dev *devs;
	char why[256], opts[128];
	unsigned int n;
	cl_int err;

	memset(cl, 0, sizeof(*cl));
	if (opencl_devices(&devs, &n, why, sizeof(why)))
		return out_error("no OpenCL device: %s", why);
	if (index >= n) {
		free(devs);
		return out_error("--device %u: there %s only %u OpenCL device%s (see devices)",
				 index, n == 1 ? "is" : "are", n,
				 n == 1 ? "" : "s");
	}
	cl->dev = devs[index];
	free(devs);
	out_open_object("opencl_device");
	opencl_print_device(&cl->dev, index);
	out_close_object();
	cl->max_alloc = dev_ulong(cl->dev.id, CL_DEVICE_MAX_MEM_ALLOC_SIZE,
				  sizeof(cl_ulong));
	cl->ctx = clCreateContext(NULL, 1, &cl->dev.id, NULL, NULL, &err);
	if (!cl->ctx)
		return opencl_fail("clCreateContext", err);
	cl->q = clCreateCommandQueue(cl->ctx, cl->dev.id, 0, &err);
	if (!cl->q)
		return opencl_fail("clCreateCommandQueue", err);
	cl->prog = clCreateProgramWithSource(cl->ctx, 1,
					     (const char *[]){ opencl_src },
					     NULL, &err);
	if (!cl->prog)
		return opencl_fail("clCreateProgramWithSource", err);
	snprintf(opts, sizeof(opts), "-DPAGE_WORDS=%luu -DSUM_SEED=%uu -DSUM_PRIME=%uu",
		 PAGE_WORDS, SUM_SEED, SUM_PRIME);
	out_progress("building the OpenCL kernels ...");
	err = clBuildProgram(cl->prog, 1, &cl->dev.id, opts, NULL, NULL);
	if (err == CL_BUILD_PROGRAM_FAILURE)
		return opencl_build_log(cl);
	if (err)
		return opencl_fail("clBuildProgram", err);
	cl->sum = clCreateKernel(cl->prog, "hmm_dax_sum", &err);
	if (!cl->sum)
		return opencl_fail("clCreateKernel hmm_dax_sum", err);
	cl->fill = clCreateKernel(cl->prog, "hmm_dax_fill", &err);
	if (!cl->fill)
		return opencl_fail("clCreateKernel hmm_dax_fill", err);
	return 0;
}

/* What each view says of each page. */
#define SUM_ERROR	0x1	/* the view could not read the page: sum is the error */
#define SUM_UNREAD	0x2	/* the view was not asked */

enum { V_CPU, V_OPENCL, V_MIRROR, NR_VIEWS };
static const char * const view_names[NR_VIEWS] = { "cpu", "opencl", "mirror" };

struct odiv {
	const char *what;
	unsigned long addr;
	size_t pages;
	__u32 sum[NR_VIEWS];
	unsigned char flags[NR_VIEWS];
};

struct orun {
	struct target *t;
	struct opencl *cl;
	struct hmm_dax_ctx *ctx;
	struct hmm_dax_ctx *monitor;	/* module-wide pgmap counts */
	char *map;
	size_t len, pages;
	cl_mem *bufs;		/* host-pointer buffers over the mapping */
	cl_mem out;		/* the checksums of one buffer */
	unsigned int nr_bufs;
	size_t buf_pages;	/* pages per buffer */
	int zero_copy;
	__u32 *sum[NR_VIEWS];	/* per page */
	unsigned char *flags[NR_VIEWS];
	unsigned char *bounce;	/* mirror reads */
	unsigned int levels;
	unsigned int diverged;
	const char *na;
	char na_buf[160];
	char held[96];		/* what a held reference is */
	/* the current step */
	const char *step;
	struct odiv divs[MAX_DIVS];
	unsigned int nr_divs, more_divs;
};

#define BOUNCE		SZ_2M
#define SALT_TAG	0x68640000u
#define SALT_CPU	0xc0c0c0c0u
#define SALT_MIRROR	0xd5d5d5d5u
#define SALT_OPENCL	0x0c10c10cu

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

#define NO_PAGE		((size_t)-1)	/* a divergence of no page */

static void add_odiv(struct orun *r, const char *what, size_t pg)
{
	struct odiv *d = r->nr_divs ? &r->divs[r->nr_divs - 1] : NULL;
	unsigned long addr = (unsigned long)r->map + pg * PAGE;
	unsigned int i;

	r->diverged++;
	if (pg == NO_PAGE) {
		if (r->nr_divs < MAX_DIVS)
			r->divs[r->nr_divs++] = (struct odiv){ .what = what };
		return;
	}
	if (d && d->what == what && d->addr + d->pages * PAGE == addr) {
		d->pages++;
		return;
	}
	if (r->nr_divs == MAX_DIVS) {
		r->more_divs++;
		return;
	}
	d = &r->divs[r->nr_divs++];
	*d = (struct odiv){ .what = what, .addr = addr, .pages = 1 };
	for (i = 0; i < NR_VIEWS; i++) {
		d->sum[i] = r->sum[i][pg];
		d->flags[i] = r->flags[i][pg];
	}
}

static void begin_ostep(struct orun *r, const char *step)
{
	r->step = step;
	r->nr_divs = 0;
	r->more_divs = 0;
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

/*
 * Print the step: its name, the pages compared, what OpenCL was not asked
 * to read (and why), and the divergences, one per page range.
 */
static void end_ostep(struct orun *r, size_t pages, const char *unread)
{
	static const char * const fmt[NR_VIEWS] = {
		" cpu %s", ", opencl %s", ", mirror %s",
	};
	char text[48];
	unsigned int i, k;

	out_open_object(NULL);
	out_str("step", NULL, r->step);
	out_u64("pages", NULL, pages);
	if (unread) {
		out_text("    [%s] ", r->step);
		out_str("opencl_not_read", "not read by OpenCL: %s\n", unread);
	}
	out_open_array("divergences");
	for (i = 0; i < r->nr_divs; i++) {
		struct odiv *d = &r->divs[i];

		out_open_object(NULL);
		out_str("step", "    DIVERGE [%s]", r->step);
		if (!d->pages) {
			out_str("what", " %s\n", d->what);
			out_close_object();
			continue;
		}
		out_hex("addr", " %#lx", d->addr);
		out_u64("page", " page %llu",
			(d->addr - (unsigned long)r->map) / PAGE);
		out_u64("pages", " +%llu:", d->pages);
		out_str("what", " %s;", d->what);
		for (k = 0; k < NR_VIEWS; k++) {
			sum_text(text, sizeof(text), k, d->sum[k], d->flags[k]);
			out_str(view_names[k], fmt[k], text);
		}
		out_text("\n");
		out_close_object();
	}
	out_close_array();
	out_u64("more", r->more_divs ? "    ... %llu more\n" : NULL,
		r->more_divs);
	out_close_object();
}

static void cpu_view(struct orun *r, size_t first, size_t n)
{
	size_t pg;

	for (pg = first; pg < first + n; pg++) {
		r->sum[V_CPU][pg] = page_sum(r->map + pg * PAGE);
		r->flags[V_CPU][pg] = 0;
	}
}

/*
 * Reads through the device page table, a bounce buffer at a time; when a
 * read fails, page by page, so that only the pages that fail are marked.
 */
static void mirror_view(struct orun *r, size_t first, size_t n)
{
	size_t pg, k, chunk, end = first + n;
	unsigned char *b = r->bounce;
	int ret, err;

	for (pg = first; pg < end; pg += chunk) {
		chunk = end - pg < BOUNCE / PAGE ? end - pg : BOUNCE / PAGE;
		ret = hmm_dax_read(r->ctx, r->map + pg * PAGE, b, chunk * PAGE,
				   NULL);
		for (k = 0; k < chunk; k++) {
			err = ret ? hmm_dax_read(r->ctx, r->map + (pg + k) * PAGE,
						 b + k * PAGE, PAGE, NULL) : 0;
			r->flags[V_MIRROR][pg + k] = err ? SUM_ERROR : 0;
			r->sum[V_MIRROR][pg + k] = err ? (__u32)-err :
						   page_sum(b + k * PAGE);
		}
	}
}

/* The buffer @b covers pages [*lo, *hi); 0 if it meets [first, end). */
static int buf_part(struct orun *r, unsigned int b, size_t first, size_t end,
		    size_t *lo, size_t *hi)
{
	size_t blo = b * r->buf_pages, bhi = blo + r->buf_pages;

	*lo = first > blo ? first : blo;
	*hi = end < bhi ? end : bhi;
	if (*hi > r->pages)
		*hi = r->pages;
	return *lo < *hi;
}

/* OpenCL has no checksum of pages [lo, hi): @err, or not asked (0). */
static void opencl_mark(struct orun *r, size_t lo, size_t hi, cl_int err)
{
	for (; lo < hi; lo++) {
		r->sum[V_OPENCL][lo] = err;
		r->flags[V_OPENCL][lo] = err ? SUM_ERROR : SUM_UNREAD;
	}
}

/* hmm_dax_sum over pages [first, first + n), one launch per buffer. */
static void opencl_view(struct orun *r, size_t first, size_t n)
{
	struct opencl *cl = r->cl;
	size_t lo, hi, off, cnt;
	unsigned int b;
	cl_int err;

	for (b = 0; b < r->nr_bufs; b++) {
		if (!buf_part(r, b, first, first + n, &lo, &hi))
			continue;
		off = lo - b * r->buf_pages;
		cnt = hi - lo;
		err = clSetKernelArg(cl->sum, 0, sizeof(cl_mem), &r->bufs[b]);
		if (!err)
			err = clSetKernelArg(cl->sum, 1, sizeof(cl_mem), &r->out);
		if (!err)
			err = clEnqueueNDRangeKernel(cl->q, cl->sum, 1, &off,
						     &cnt, NULL, 0, NULL, NULL);
		if (!err)
			err = clEnqueueReadBuffer(cl->q, r->out, CL_TRUE,
						  off * 4, cnt * 4,
						  r->sum[V_OPENCL] + lo, 0,
						  NULL, NULL);
		if (err)
			opencl_mark(r, lo, hi, err);
		else
			memset(r->flags[V_OPENCL] + lo, 0, cnt);
	}
}

/*
 * hmm_dax_fill over pages [first, first + n); then map them, so that even
 * a device that copies host-pointer buffers writes them back.
 */
static cl_int opencl_fill(struct orun *r, size_t first, size_t n, __u32 salt)
{
	struct opencl *cl = r->cl;
	size_t lo, hi, off, cnt;
	cl_ulong base;
	unsigned int b;
	cl_int err = 0;
	void *p;

	for (b = 0; b < r->nr_bufs && !err; b++) {
		if (!buf_part(r, b, first, first + n, &lo, &hi))
			continue;
		base = (cl_ulong)b * r->buf_pages * PAGE_WORDS;
		off = (lo - b * r->buf_pages) * PAGE_WORDS;
		cnt = (hi - lo) * PAGE_WORDS;
		err = clSetKernelArg(cl->fill, 0, sizeof(cl_mem), &r->bufs[b]);
		if (!err)
			err = clSetKernelArg(cl->fill, 1, sizeof(base), &base);
		if (!err)
			err = clSetKernelArg(cl->fill, 2, sizeof(salt), &salt);
		if (!err)
			err = clEnqueueNDRangeKernel(cl->q, cl->fill, 1, &off,
						     &cnt, NULL, 0, NULL, NULL);
		if (err)
			break;
		p = clEnqueueMapBuffer(cl->q, r->bufs[b], CL_TRUE, CL_MAP_READ,
				       off * 4, cnt * 4, 0, NULL, NULL, &err);
		if (p)
			err = clEnqueueUnmapMemObject(cl->q, r->bufs[b], p, 0,
						      NULL, NULL);
	}
	if (!err)
		err = clFinish(cl->q);
	return err;
}

/* A CPU write of @n pages of pattern, through a mapping of the buffers. */
static cl_int cpu_fill(struct orun *r, size_t first, size_t n, __u32 salt)
{
	struct opencl *cl = r->cl;
	size_t lo, hi, pg;
	unsigned int b;
	cl_int err = 0;
	char *p;

	for (b = 0; b < r->nr_bufs && !err; b++) {
		if (!buf_part(r, b, first, first + n, &lo, &hi))
			continue;
		p = clEnqueueMapBuffer(cl->q, r->bufs[b], CL_TRUE, CL_MAP_WRITE,
				       (lo - b * r->buf_pages) * PAGE,
				       (hi - lo) * PAGE, 0, NULL, NULL, &err);
		if (!p)
			break;
		for (pg = lo; pg < hi; pg++)
			pattern_page(p + (pg - lo) * PAGE, pg, salt);
		err = clEnqueueUnmapMemObject(cl->q, r->bufs[b], p, 0, NULL,
					      NULL);
	}
	if (!err)
		err = clFinish(cl->q);
	return err;
}

struct expect {
	size_t first, n;
	__u32 salt;		/* pattern pages; 0: zero pages */
	const char *what;	/* the divergence when the CPU reads otherwise */
};

/*
 * A step: the three views of the first @n pages, compared page by page,
 * and (@e) the pages a step wrote or emptied against what they must now
 * hold.
 */
/* The three views of pages [first, first + n), compared page by page. */
static void check_pages(struct orun *r, size_t first, size_t n)
{
	__u32 c, o, m;
	const char *what;
	size_t pg;

	cpu_view(r, first, n);
	mirror_view(r, first, n);
	opencl_view(r, first, n);
	for (pg = first; pg < first + n; pg++) {
		c = r->sum[V_CPU][pg];
		o = r->sum[V_OPENCL][pg];
		m = r->sum[V_MIRROR][pg];
		if (r->flags[V_MIRROR][pg])
			what = "the mirror cannot read it";
		else if (r->flags[V_OPENCL][pg])
			what = "the OpenCL kernel did not run";
		else if (o == c && m == c)
			continue;
		else if (o == c)
			what = "mirror differs";
		else if (m == c)
			what = "opencl differs";
		else if (o == m)
			what = "cpu differs from both devices";
		else
			what = "all three differ";
		add_odiv(r, what, pg);
	}
}

/*
 * A step: the three views of the first @n pages (all of them up to 64 MiB,
 * else their first, middle and last 2 MiB: hmm_dax_windows()), compared
 * page by page, and (@e) the pages a step wrote or emptied against what
 * they must now hold.
 */
static void check(struct orun *r, const char *step, size_t n,
		  const struct expect *e)
{
	unsigned long woff[3], wlen;
	unsigned int w, nw = hmm_dax_windows(n * PAGE, woff, &wlen);
	__u32 want[PAGE_WORDS];
	size_t pg;

	begin_ostep(r, step);
	for (w = 0; w < nw; w++)
		check_pages(r, woff[w] / PAGE, wlen / PAGE);
	if (e)
		cpu_view(r, e->first, e->n);
	for (pg = e ? e->first : 0; e && pg < e->first + e->n; pg++) {
		if (e->salt)
			pattern_page(want, pg, e->salt);
		else
			memset(want, 0, sizeof(want));
		if (page_sum(want) != r->sum[V_CPU][pg])
			add_odiv(r, e->what, pg);
	}
	end_ostep(r, n, NULL);
}

/* A device read of page @pg that must fail: a success is a divergence. */
static void expect_mirror_error(struct orun *r, size_t pg, const char *what,
				const char *step, const char *unread)
{
	int ret;

	begin_ostep(r, step);
	r->flags[V_CPU][pg] = SUM_UNREAD;
	opencl_mark(r, pg, pg + 1, CL_SUCCESS);
	ret = hmm_dax_read(r->ctx, r->map + pg * PAGE, r->bounce, PAGE, NULL);
	r->flags[V_MIRROR][pg] = ret ? SUM_ERROR : 0;
	r->sum[V_MIRROR][pg] = ret ? (__u32)-ret : page_sum(r->bounce);
	if (!ret)
		add_odiv(r, what, pg);
	end_ostep(r, 1, unread);
}

static int o_not_applicable(struct orun *r, const char *fmt, const char *arg)
{
	snprintf(r->na_buf, sizeof(r->na_buf), fmt, arg);
	r->na = r->na_buf;
	return 0;
}

/* CPU tags: the first 16 bytes of every page, unique to the page. */
static void tag_pages(struct orun *r)
{
	size_t pg;

	for (pg = 0; pg < r->pages; pg++) {
		__u32 *w = (__u32 *)(r->map + pg * PAGE);

		w[0] = SALT_TAG ^ r->t->kind;
		w[1] = pg;
		w[2] = (__u32)((unsigned long)r->map >> 12);
		w[3] = ~w[1];
	}
}

static void release_buffers(struct orun *r)
{
	unsigned int b;

	if (r->cl->q)
		clFinish(r->cl->q);
	for (b = 0; b < r->nr_bufs; b++)
		clReleaseMemObject(r->bufs[b]);
	if (r->out)
		clReleaseMemObject(r->out);
	free(r->bufs);
	r->bufs = NULL;
	r->out = NULL;
	r->nr_bufs = 0;
}

/*
 * Wrap the mapping in CL_MEM_USE_HOST_PTR buffers, as large as the device
 * allows (a multiple of 2 MiB when it is cut), and find out whether the
 * device reads the host memory in place (zero-copy): mapping the buffer
 * returns the host pointer itself.  0 or exit 2.
 */
static int make_buffers(struct orun *r)
{
	struct opencl *cl = r->cl;
	size_t max = cl->max_alloc / PAGE, lo, n;
	unsigned int b;
	cl_int err;
	void *p;

	r->buf_pages = r->pages;
	if (max && r->buf_pages > max)
		r->buf_pages = max >= SZ_2M / PAGE ?
			max & ~(SZ_2M / PAGE - 1) : max;
	r->nr_bufs = 0;
	n = (r->pages + r->buf_pages - 1) / r->buf_pages;
	r->bufs = calloc(n, sizeof(*r->bufs));
	if (!r->bufs)
		return out_error("out of memory");
	for (b = 0; b < n; b++) {
		lo = b * r->buf_pages;
		r->bufs[b] = clCreateBuffer(cl->ctx,
					    CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
					    (r->pages - lo < r->buf_pages ?
					     r->pages - lo : r->buf_pages) * PAGE,
					    r->map + lo * PAGE, &err);
		if (!r->bufs[b])
			return opencl_fail("clCreateBuffer(CL_MEM_USE_HOST_PTR)",
					   err);
		r->nr_bufs++;
	}
	r->out = clCreateBuffer(cl->ctx, CL_MEM_READ_WRITE, r->buf_pages * 4,
				NULL, &err);
	if (!r->out)
		return opencl_fail("clCreateBuffer", err);
	p = clEnqueueMapBuffer(cl->q, r->bufs[0], CL_TRUE, CL_MAP_READ, 0,
			       PAGE, 0, NULL, NULL, &err);
	if (!p)
		return opencl_fail("clEnqueueMapBuffer", err);
	r->zero_copy = p == r->map;
	err = clEnqueueUnmapMemObject(cl->q, r->bufs[0], p, 0, NULL, NULL);
	if (!err)
		err = clFinish(cl->q);
	return err ? opencl_fail("clEnqueueUnmapMemObject", err) : 0;
}

/* Two pages across the middle: where every scenario writes. */
static size_t mid_page(const struct orun *r)
{
	return r->pages / 2 ? r->pages / 2 - 1 : 0;
}

static size_t written_pages(const struct orun *r)
{
	return r->pages - mid_page(r) < 2 ? 1 : 2;
}

static int oc_cpu_write(struct orun *r)
{
	struct expect e = { mid_page(r), written_pages(r), SALT_CPU,
			    "the CPU's write is not in memory" };
	cl_int err = cpu_fill(r, e.first, e.n, SALT_CPU);

	if (err)
		return opencl_fail("CPU write through a mapped buffer", err);
	check(r, "after cpu-write", r->pages, &e);
	return 0;
}

static int oc_device_write(struct orun *r)
{
	struct expect e = { mid_page(r), written_pages(r), SALT_MIRROR,
			    "the CPU does not see the mirror's write" };
	__u32 buf[2 * PAGE_WORDS];
	size_t i;
	int ret;

	for (i = 0; i < e.n; i++)
		pattern_page(buf + i * PAGE_WORDS, e.first + i, e.salt);
	ret = hmm_dax_write(r->ctx, r->map + e.first * PAGE, buf, e.n * PAGE,
			    NULL);
	if (ret)
		e.what = "the mirror's write failed";
	check(r, "after device-write", r->pages, &e);
	return 0;
}

static int oc_opencl_write(struct orun *r)
{
	struct expect e = { mid_page(r), written_pages(r), SALT_OPENCL,
			    "the CPU does not see the OpenCL kernel's write" };
	cl_int err = opencl_fill(r, e.first, e.n, e.salt);

	if (err) {
		begin_ostep(r, "opencl-write");
		opencl_mark(r, e.first, e.first + e.n, err);
		add_odiv(r, "the OpenCL kernel's write failed", e.first);
		end_ostep(r, e.n, NULL);
	}
	check(r, "after opencl-write", r->pages, &e);
	return 0;
}

static const char beyond_eof[] =
	"beyond the end of the file a CPU device would take SIGBUS and a GPU a fault";

static int oc_truncate(struct orun *r)
{
	size_t keep = mid_page(r) + 1;
	struct expect e = { keep, r->pages - keep, 0,
			    "the file's new part is not a hole of zeros" };

	if (ftruncate(r->t->fd, keep * PAGE))
		return out_error("ftruncate: %s", strerror(errno));
	check(r, "after truncate, below the end", keep, NULL);
	if (keep < r->pages)
		expect_mirror_error(r, keep,
				    "the mirror read beyond the end of the file",
				    "after truncate, beyond the end", beyond_eof);
	if (ftruncate(r->t->fd, r->t->size))
		return out_error("ftruncate: %s", strerror(errno));
	check(r, "after restoring the size", r->pages, &e);
	return 0;
}

static int oc_punch_hole(struct orun *r)
{
	size_t first = mid_page(r) + 1, n = SZ_2M / PAGE;
	struct expect e = { first, 0, 0, "the hole does not read as zeros" };

	if (first + n > r->pages)
		n = r->pages - first;
	e.n = n;
	if (n && fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   first * PAGE, n * PAGE))
		return out_error("punch hole: %s", strerror(errno));
	check(r, "after punching the hole", r->pages, &e);
	return 0;
}

static int oc_devdax_disable(struct orun *r)
{
	unsigned long long held;
	int ret;

	if (!pgmap_refs_balanced(r->monitor, &held)) {
		begin_ostep(r, "before the unbind");
		snprintf(r->held, sizeof(r->held),
			 "%llu dev_pagemap references held: the unbind would hang",
			 held);
		add_odiv(r, r->held, NO_PAGE);
		end_ostep(r, 0, NULL);
		return 0;
	}
	ret = target_devdax_set(r->t, 0);
	if (ret)
		return out_error("%s: disable: %s", r->t->dev, strerror(-ret));
	expect_mirror_error(r, mid_page(r),
			    "the mirror read an unbound device",
			    "after the unbind",
			    "the device is gone: a CPU device would take SIGBUS and a GPU a fault");
	/* the buffers go with the mapping */
	release_buffers(r);
	munmap(r->map, r->len);
	r->map = NULL;
	ret = target_devdax_rebind(r->t);
	if (ret)
		return ret;
	r->map = target_map(r->t, r->len, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return out_error("%s: mmap after the rebind: %s", r->t->path,
				 strerror(errno));
	}
	tag_pages(r);
	ret = hmm_dax_mirror(r->ctx, r->map, r->len, HMM_DAX_MIRROR_WRITE, NULL);
	if (ret)
		return out_error("mirror after the rebind: %s", strerror(-ret));
	ret = make_buffers(r);
	if (ret)
		return ret;
	check(r, "after the rebind, new buffers", r->pages, NULL);
	return 0;
}

struct oscenario {
	const char *name;
	unsigned int kinds;
	const char *na;		/* why not elsewhere; %s: the kind */
	int (*fn)(struct orun *r);
};

static const struct oscenario oscenarios[] = {
	{ "cpu-write", K_ALL, NULL, oc_cpu_write },
	{ "device-write", K_ALL, NULL, oc_device_write },
	{ "opencl-write", K_ALL, NULL, oc_opencl_write },
	{ "truncate", K_FILES, "%s is not a file", oc_truncate },
	{ "punch-hole", K_FILES, "%s is not a file", oc_punch_hole },
	{ "devdax-disable", K_DEVDAX, "%s cannot be unbound", oc_devdax_disable },
};

enum { OV_AGREE, OV_DIVERGE, OV_NA, OV_ERROR };
static const char * const over_names[] = { "agree", "diverge", "n/a", "error" };

static void close_run(struct orun *r)
{
	release_buffers(r);
	if (r->ctx)
		hmm_dax_close(r->ctx);
	r->ctx = NULL;
	if (r->map)
		munmap(r->map, r->len);
	r->map = NULL;
}

/* One scenario on one target, from a fresh mapping, mirror and buffers. */
static int run_oscenario(struct orun *r, const struct oscenario *sc,
			 unsigned int device)
{
	struct hmm_dax_range out;
	unsigned long long held;
	char lv[16];
	int ret, v, l;

	r->levels = 0;
	r->diverged = 0;
	r->na = NULL;
	out_progress("%s", "");
	out_open_object(NULL);
	out_str("scenario", NULL, sc->name);
	out_open_array("steps");
	if (!(sc->kinds & KIND_BIT(r->t->kind))) {
		o_not_applicable(r, sc->na, r->t->kind_name);
		goto close_steps;
	}
	r->map = target_map(r->t, r->len, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		out_error("%s: mmap %zu bytes: %s", r->t->path, r->len,
			  strerror(errno));
		return OV_ERROR;
	}
	ret = open_ctx(&r->ctx, device);
	if (ret)
		goto err;
	tag_pages(r);
	ret = hmm_dax_mirror(r->ctx, r->map, r->len, HMM_DAX_MIRROR_WRITE, &out);
	if (ret) {
		out_error("%s: mirror: %s", r->t->path, strerror(-ret));
		goto err;
	}
	for (l = 0; l < HMM_DAX_NR_LEVELS; l++)
		if (out.leaves[l])
			r->levels |= 1U << l;
	ret = make_buffers(r);
	if (ret)
		goto err;
	check(r, "before", r->pages, NULL);
	ret = sc->fn(r);
	if (ret)
		goto err;
	close_run(r);
	begin_ostep(r, "teardown");
	if (!pgmap_refs_balanced(r->monitor, &held)) {
		snprintf(r->held, sizeof(r->held),
			 "%llu dev_pagemap references held after the mirror closed",
			 held);
		add_odiv(r, r->held, NO_PAGE);
	}
	end_ostep(r, 0, NULL);
close_steps:
	out_close_array();
	v = r->na ? OV_NA : r->diverged ? OV_DIVERGE : OV_AGREE;
	leaf_levels_text(lv, sizeof(lv), r->levels);
	out_str("verdict", NULL, over_names[v]);
	out_text("  %-15s %-8s %-8s", sc->name,
		 v == OV_DIVERGE ? "DIVERGE" : over_names[v], lv);
	out_open_array("levels");
	for (l = HMM_DAX_NR_LEVELS - 1; l >= 0; l--)
		if (r->levels & (1U << l))
			out_str(NULL, NULL, hmm_dax_level_name(l));
	out_close_array();
	out_u64("divergences", r->diverged ? " %llu divergent pages" : NULL,
		r->diverged);
	out_str("reason", r->na ? " %s" : NULL, r->na ? r->na : "");
	out_text("\n");
	out_close_object();
	return v;
err:
	close_run(r);
	return OV_ERROR;
}

/* The per-page arrays of one target. */
static int alloc_views(struct orun *r)
{
	unsigned int k;

	r->bounce = malloc(BOUNCE);
	for (k = 0; k < NR_VIEWS; k++) {
		r->sum[k] = calloc(r->pages, sizeof(*r->sum[k]));
		r->flags[k] = calloc(r->pages, 1);
		if (!r->sum[k] || !r->flags[k])
			return out_error("out of memory for %zu pages", r->pages);
	}
	return r->bounce ? 0 : out_error("out of memory");
}

static void free_views(struct orun *r)
{
	unsigned int k;

	for (k = 0; k < NR_VIEWS; k++) {
		free(r->sum[k]);
		free(r->flags[k]);
	}
	free(r->bounce);
}

/* Every chosen scenario on one target: 0, or exit 2 on an error. */
static int opencl_target(struct opencl *cl, struct hmm_dax_ctx *monitor,
			 const char *path, const struct opts *o,
			 const unsigned int *which, unsigned int ns,
			 unsigned int *diverged)
{
	struct orun r = { .cl = cl, .monitor = monitor };
	unsigned int s, bufs = 0;
	struct target t;
	char label[16];
	int ret, v;

	ret = target_open(&t, path, o->size);
	if (ret) {
		target_close(&t);
		return ret;
	}
	r.t = &t;
	r.len = t.size;
	r.pages = t.size / PAGE;
	target_label(&t, label, sizeof(label));
	out_open_object(NULL);
	out_str("target", "target %s", t.path);
	out_str("label", " (%s", label);
	out_str("kind", ", %s)", t.kind_name);
	out_u64("size", ", %llu bytes\n", t.size);
	ret = alloc_views(&r);
	out_open_array("scenarios");
	for (s = 0; s < ns && !ret; s++) {
		out_progress("[%s %u/%u] %s ...", label, s + 1, ns,
			     oscenarios[which[s]].name);
		v = run_oscenario(&r, &oscenarios[which[s]], o->device);
		if (v == OV_ERROR)
			ret = HMM_DAX_EXIT_ERROR;
		*diverged += v == OV_DIVERGE;
		if (r.buf_pages && !bufs)
			bufs = (r.pages + r.buf_pages - 1) / r.buf_pages;
	}
	out_close_array();
	if (bufs) {
		out_open_object("buffers");
		out_u64("count", "  OpenCL: %llu CL_MEM_USE_HOST_PTR buffer", bufs);
		out_u64("pages", bufs > 1 ? "s of up to %llu pages" :
			" of %llu pages", r.buf_pages);
		out_bool("zero_copy", ", zero-copy %s", r.zero_copy);
		out_text("%s\n", r.zero_copy ?
			 " (the device reads the mapping in place)" :
			 " (mapping the buffer gave another address: the device may read a copy)");
		out_close_object();
	}
	out_close_object();
	free_views(&r);
	target_close(&t);
	return ret;
}

int cmd_opencl(int argc, char **argv)
{
	unsigned int which[ARRAY_SIZE(oscenarios)], ns = 0, s, i;
	unsigned int diverged = 0;
	struct hmm_dax_ctx *monitor;
	struct opencl cl;
	struct opts o;
	int ret;

	ret = parse_opts(argc, argv, OPT_SIZE | OPT_SCENARIO | OPT_CLDEV, &o);
	if (ret)
		return ret;
	if (optind >= argc)
		return out_error("takes at least one TARGET (see hmm-dax help)");
	for (s = 0; s < ARRAY_SIZE(oscenarios); s++)
		if (!o.scenario || !strcmp(o.scenario, "all") ||
		    !strcmp(o.scenario, oscenarios[s].name))
			which[ns++] = s;
	if (!ns)
		return out_error("--scenario: '%s' is not an opencl scenario (%s)",
				 o.scenario,
				 "cpu-write, device-write, opencl-write, truncate, punch-hole, devdax-disable or all");
	ret = open_ctx(&monitor, o.device);
	if (ret)
		return ret;
	ret = opencl_setup(&cl, o.cl_device);
	out_open_array("targets");
	for (i = optind; i < (unsigned int)argc && !ret; i++)
		ret = opencl_target(&cl, monitor, argv[i], &o, which, ns,
				    &diverged);
	out_close_array();
	opencl_release(&cl);
	hmm_dax_close(monitor);
	if (ret)
		return ret;
	out_str("verdict", "\nverdict: %s\n", diverged ? "diverge" : "agree");
	return diverged ? HMM_DAX_EXIT_DIVERGE : HMM_DAX_EXIT_AGREE;
}
