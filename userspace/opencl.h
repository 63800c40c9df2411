/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opencl.h - OpenCL devices through the ICD loader (opencl_dev.c, for
 * "devices" and "opencl"), and the OpenCL view of a run (opencl.c): an
 * OpenCL kernel's checksum of every page, beside the CPU's and the
 * mirror's, for the opencl bodies of the scenarios.
 */
#ifndef _HMM_DAX_OPENCL_H
#define _HMM_DAX_OPENCL_H

#include "run.h"

struct _cl_platform_id;
struct _cl_device_id;
struct opencl_dev {
	struct _cl_platform_id *platform;
	struct _cl_device_id *id;
};

int opencl_devices(struct opencl_dev **devs, unsigned int *n, char *why,
		   size_t len);
int opencl_pci(const struct opencl_dev *d, char *buf, size_t len);
void opencl_print_device(const struct opencl_dev *d, unsigned int index);
const char *opencl_err_name(int err);
int opencl_fail(const char *what, int err);
unsigned long long opencl_max_alloc(const struct opencl_dev *d);

/* A page's checksum: FNV-1a over its 32-bit words, in C and OpenCL C. */
#define PAGE_WORDS	(PAGE / 4)
#define SUM_SEED	2166136261u
#define SUM_PRIME	16777619u

/* One OpenCL device set up for a run: its queue and the two kernels. */
struct _cl_context;
struct _cl_command_queue;
struct _cl_program;
struct _cl_kernel;
struct opencl {
	struct opencl_dev dev;
	struct _cl_context *ctx;
	struct _cl_command_queue *q;
	struct _cl_program *prog;
	struct _cl_kernel *sum, *fill;
	size_t max_alloc;
};

int ocl_open(struct opencl **cl, unsigned int index);
void ocl_close(struct opencl *cl);

/* The OpenCL view of one target, kept across its scenarios. */
struct ocl_run;
int ocl_run_new(struct ocl_run **o, struct opencl *cl, size_t pages);
void ocl_run_free(struct ocl_run *o);
void ocl_print_buffers(const struct ocl_run *o);

/* The words a page holds after a write of the pattern @salt. */
#define SALT_CPU	0xc0c0c0c0u
#define SALT_MIRROR	0xd5d5d5d5u
#define SALT_OPENCL	0x0c10c10cu

/*
 * What pages [first, first + n) must hold after a step wrote or emptied
 * them: the pattern of @salt, or zeros (@salt 0); @what is the divergence
 * when the CPU reads otherwise.
 */
struct ocl_expect {
	size_t first, n;
	unsigned int salt;
	const char *what;
};

int ocl_start(struct run *r);
void ocl_stop(struct run *r);
size_t ocl_pages(const struct run *r);
size_t ocl_mid_page(const struct run *r);
size_t ocl_written_pages(const struct run *r);
void ocl_check(struct run *r, const char *step, size_t n,
	       const struct ocl_expect *e);
int ocl_cpu_write(struct run *r, size_t first, size_t n, unsigned int salt);
int ocl_mirror_write(struct run *r, size_t first, size_t n,
		     unsigned int salt);
void ocl_kernel_write(struct run *r, size_t first, size_t n,
		      unsigned int salt);
void ocl_expect_mirror_error(struct run *r, size_t pg, const char *what,
			     const char *step, const char *unread);
int ocl_rebuffer(struct run *r);

#endif /* _HMM_DAX_OPENCL_H */
