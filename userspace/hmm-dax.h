/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm-dax: what the commands share - output (print.c), targets
 * (target.c), the command table (hmm-dax.c), the uapi records' printers
 * (show.c) and the kernel log (kmsg.c).  Which file holds what:
 * Documentation/layout.rst.
 */
#ifndef _HMM_DAX_TOOL_H
#define _HMM_DAX_TOOL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include "libhmmdax.h"
#include "hmm_dax_helpers.h"

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
int target_devdax_set(struct target *t, int enable);
int target_devdax_rebind(struct target *t);
void target_label(const struct target *t, char *buf, size_t len);

/* Sets of target kinds, for the scenarios that apply to some only. */
#define KIND_BIT(kind)	(1U << (kind))
#define K_FILES		(KIND_BIT(TARGET_FILE) | KIND_BIT(TARGET_DAXFILE))
#define K_DEVDAX	KIND_BIT(TARGET_DEVDAX)
#define K_ALL		(K_FILES | K_DEVDAX | KIND_BIT(TARGET_ANON))

/*
 * The command table (hmm-dax.c): each command's entry lists the options it
 * takes, one bit each, and how many TARGETs; the parser, the usage lines
 * and "help" are all made from it.
 */
#define OPT_SIZE	0x0001
#define OPT_OFFSET	0x0002
#define OPT_LEN		0x0004
#define OPT_WRITE	0x0008	/* --write, --snapshot and --no-mirror */
#define OPT_SNAPSHOT	0x0010	/* exclude each other */
#define OPT_NO_MIRROR	0x0020
#define OPT_SCENARIO	0x0040
#define OPT_PATTERN	0x0080
#define OPT_THREADS	0x0100
#define OPT_SECONDS	0x0200
#define OPT_SIZES	0x0400
#define OPT_PEER	0x0800
#define OPT_CLDEV	0x1000	/* --device after the command: OpenCL's */
#define OPT_SEED	0x2000
#define OPT_UNLOCKED	0x4000
#define OPT_RANGE	(OPT_OFFSET | OPT_LEN)
#define OPT_MODES	(OPT_WRITE | OPT_SNAPSHOT)

/* The options of one run of a command. */
struct opts {
	unsigned int device;	/* /dev/hmm_dax<N> (-d N) */
	size_t size;
	size_t offset;
	size_t len;
	int len_set;
	unsigned int mirror_flags;
	unsigned int entry;	/* HMM_DAX_MIRROR_UNLOCKED or 0 */
	int no_mirror;
	const char *scenario;
	const char *pattern;
	unsigned int threads;
	unsigned int seconds;
	const char *sizes;	/* bench: comma-separated sizes */
	const char *peer;	/* bench: a test_hmm device node */
	unsigned int cl_device;	/* opencl: the OpenCL device's number */
	unsigned long long seed;	/* fuzz */
	int seed_set;
};

/* A command: its options in @o, its TARGETs in argv[0 .. argc - 1]. */
typedef int hmm_dax_cmd_fn(const struct opts *o, int argc, char **argv);
hmm_dax_cmd_fn cmd_mirror, cmd_dump, cmd_read, cmd_write, cmd_stats,
	cmd_events, cmd_audit, cmd_compare, cmd_stress, cmd_fuzz, cmd_bench,
	cmd_opencl, cmd_devices;

int parse_size(const char *s, size_t *out);
int open_ctx(struct hmm_dax_ctx **ctx, unsigned int device);

/* How each uapi record prints (show.c). */
void print_mirror(const struct hmm_dax_range *r);
void print_leaves(const struct hmm_dax_leaf *lv, size_t n);
void print_events(const struct hmm_dax_event *ev, size_t n);
void print_stale(const struct hmm_dax_stale *st, size_t n);
void print_stats(const struct hmm_dax_stats *st);
void print_access(const char *what, const struct hmm_dax_access *a);
void print_bytes(const unsigned char *b, size_t len, unsigned long addr);

/* The kernel's reports in its log (kmsg.c). */
void kmsg_open(void);
void kmsg_close(void);
unsigned int kmsg_scan(const char *what, char *line, size_t len);

#endif /* _HMM_DAX_TOOL_H */
