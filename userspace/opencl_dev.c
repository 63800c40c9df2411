// SPDX-License-Identifier: GPL-2.0
/*
 * OpenCL devices through the ICD loader (libOpenCL), never from a vendor
 * library directly: the one the user has installed is the one listed and
 * measured.  Devices are numbered in platform order, then device order.
 * ocl_open() sets one up for a run: its context, queue and the two
 * kernels that read and write pages (opencl_view.c uses them).
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CL/cl.h>
#include <CL/cl_ext.h>

#include "opencl.h"

/* The name of an OpenCL error code: "CL_OUT_OF_RESOURCES", ... */
const char *opencl_err_name(int err)
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

/* The largest buffer the device allocates, in bytes (0: it does not say). */
unsigned long long opencl_max_alloc(const struct opencl_dev *d)
{
	return dev_ulong(d->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong));
}

/* An OpenCL call failed: report it; exit 2. */
int opencl_fail(const char *what, int err)
{
	return out_error("OpenCL: %s: %s (%d)", what, opencl_err_name(err), err);
}

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

/* Release what ocl_open() made. */
void ocl_close(struct opencl *cl)
{
	if (!cl)
		return;
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
	free(cl);
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

/* The device's context, queue and the two kernels, built: 0 or exit 2. */
static int opencl_build(struct opencl *cl)
{
	char opts[128];
	cl_int err;

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

/*
 * Pick OpenCL device @index, print it ("opencl_device") and build the
 * kernels: 0, or exit 2 (reported) with *@clp NULL.
 */
int ocl_open(struct opencl **clp, unsigned int index)
{
	struct opencl_dev *devs;
	struct opencl *cl;
	unsigned int n;
	char why[256];
	int ret;

	*clp = NULL;
	if (opencl_devices(&devs, &n, why, sizeof(why)))
		return out_error("no OpenCL device: %s", why);
	if (index >= n) {
		free(devs);
		return out_error("--device %u: there %s only %u OpenCL device%s (see devices)",
				 index, n == 1 ? "is" : "are", n,
				 n == 1 ? "" : "s");
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		free(devs);
		return out_error("out of memory");
	}
	cl->dev = devs[index];
	free(devs);
	out_open_object("opencl_device");
	opencl_print_device(&cl->dev, index);
	out_close_object();
	cl->max_alloc = opencl_max_alloc(&cl->dev);
	ret = opencl_build(cl);
	if (ret) {
		ocl_close(cl);
		return ret;
	}
	*clp = cl;
	return 0;
}
