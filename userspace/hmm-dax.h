/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm-dax: what the subcommands share - output (print.c), targets
 * (target.c) and the command table (hmm-dax.c).
 */
#ifndef _HMM_DAX_TOOL_H
#define _HMM_DAX_TOOL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include "libhmmdax.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define fallthrough	__attribute__((__fallthrough__))
#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define SZ_1G		0x40000000UL

/* Exit statuses of every subcommand. */
#define HMM_DAX_EXIT_AGREE	0
#define HMM_DAX_EXIT_DIVERGE	1
#define HMM_DAX_EXIT_ERROR	2

/*
 * Output: each value is printed once, through these calls, which write
 * either text or JSON (-j, -p pretty), so the two cannot drift.  A NULL
 * text format prints nothing in text mode; a NULL key is for array members.
 */
void out_init(int json, int pretty);
int out_json(void);
void out_open_object(const char *key);
void out_close_object(void);
void out_open_array(const char *key);
void out_close_array(void);
void out_u64(const char *key, const char *fmt, unsigned long long v);
void out_hex(const char *key, const char *fmt, unsigned long long v);
void out_str(const char *key, const char *fmt, const char *s);
void out_bool(const char *key, const char *fmt, int v);
void out_double(const char *key, const char *fmt, double v);
void out_text(const char *fmt, ...) __printf(1, 2);
int out_error(const char *fmt, ...) __printf(1, 2);
void out_progress(const char *fmt, ...) __printf(1, 2);
int out_finish(int status);
extern const char *hmm_dax_cmd_name;

/* Targets: a device-dax node, a file (DAX or not), or anonymous memory. */
enum target_kind { TARGET_ANON, TARGET_FILE, TARGET_DAXFILE, TARGET_DEVDAX };

struct target {
	char path[4096];
	enum target_kind kind;
	int fd;
	int created;		/* the tool made the file: unlink it */
	size_t size;		/* bytes the tool maps */
	size_t unit;		/* largest leaf the target can get */
	size_t capacity;	/* devdax: the device's bytes */
	char kind_name[16];	/* anon, file, fsdax, devdax */
	char dev[32];		/* devdax: daxX.Y */
};

int target_open(struct target *t, const char *path, size_t size);
void target_close(struct target *t);
void *target_map(struct target *t, size_t len, int private_map);
int target_is_dax(int fd);
void *map_aligned(size_t len, size_t align, int prot, int flags, int fd);
int target_devdax_set(struct target *t, int enable);
int target_devdax_rebind(struct target *t);
void target_label(const struct target *t, char *buf, size_t len);

/* Sets of target kinds, for the scenarios that apply to some only. */
#define KIND_BIT(kind)	(1U << (kind))
#define K_FILES		(KIND_BIT(TARGET_FILE) | KIND_BIT(TARGET_DAXFILE))
#define K_DEVDAX	KIND_BIT(TARGET_DEVDAX)
#define K_ALL		(K_FILES | K_DEVDAX | KIND_BIT(TARGET_ANON))

/* Options shared by the subcommands (parsed in hmm-dax.c). */
struct opts {
	unsigned int device;	/* /dev/hmm_dax<N> */
	size_t size;
	size_t offset;
	size_t len;
	int len_set;
	unsigned int mirror_flags;
	int no_mirror;
	const char *scenario;
	const char *pattern;
	unsigned int threads;
	unsigned int seconds;
	int keep;
	const char *sizes;	/* bench: comma-separated sizes */
	const char *peer;	/* bench: a test_hmm device node */
	unsigned int cl_device;	/* opencl: the OpenCL device's number */
	unsigned long long seed;	/* fuzz */
	int seed_set;
};

int parse_size(const char *s, size_t *out);
int cmd_mirror(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_opencl(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);

/* Option parsing of one subcommand: which options it takes. */
#define OPT_SIZE	0x001
#define OPT_RANGE	0x002	/* --offset, --len */
#define OPT_MIRROR	0x004	/* --write, --snapshot, --no-mirror */
#define OPT_SCENARIO	0x008
#define OPT_PATTERN	0x010
#define OPT_STRESS	0x020	/* --threads, --seconds */
#define OPT_KEEP	0x040
#define OPT_BYTES	0x080	/* --offset and --len need no alignment */
#define OPT_BENCH	0x100	/* --sizes, --peer */
#define OPT_CLDEV	0x200	/* --device: an OpenCL device */
#define OPT_SEED	0x400	/* --seed */
int parse_opts(int argc, char **argv, unsigned int allowed, struct opts *o);
int open_ctx(struct hmm_dax_ctx **ctx, unsigned int device);

/* compare.c and stress.c share the scenario steps */
void print_leaves(const struct hmm_dax_leaf *lv, size_t n);
void print_events(const struct hmm_dax_event *ev, size_t n);
void print_stale(const struct hmm_dax_stale *st, size_t n);
void leaf_levels_text(char *buf, size_t len, unsigned int levels);
int pgmap_refs_balanced(struct hmm_dax_ctx *monitor, unsigned long long *held);
int scenario_invalidate(const char *name, struct target *t,
			struct hmm_dax_ctx *ctx, char **map, size_t len);

/* OpenCL devices through the ICD loader (opencl.c), for devices.c too */
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

#endif /* _HMM_DAX_TOOL_H */
