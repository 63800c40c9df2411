// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax - compare what a mirroring device sees of DAX memory with what the
 * CPU sees.  The command table below is the one description of the
 * commands: the option parser, each usage line and "help" are made from
 * it.  An unambiguous prefix of a command's name selects it.  Exit status:
 * 0 the views agree (or the command succeeded), 1 a divergence, 2 a usage
 * or environment error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/* How many TARGETs a command takes. */
enum { ARGS_NONE, ARGS_ONE, ARGS_MANY };

struct hmm_dax_cmd {
	const char *name;
	hmm_dax_cmd_fn *fn;
	unsigned int opts;	/* OPT_* */
	int args;
	const char *help;
};

static hmm_dax_cmd_fn cmd_help;

static const struct hmm_dax_cmd hmm_dax_cmds[] = {
	{ "mirror", cmd_mirror, OPT_SIZE | OPT_RANGE | OPT_MODES | OPT_UNLOCKED,
	  ARGS_ONE,
	  "mirror a range and print the leaves installed" },
	{ "dump", cmd_dump,
	  OPT_SIZE | OPT_RANGE | OPT_MODES | OPT_NO_MIRROR | OPT_UNLOCKED,
	  ARGS_ONE, "mirror, then print the device page table's leaves" },
	{ "read", cmd_read, OPT_SIZE | OPT_RANGE | OPT_UNLOCKED, ARGS_ONE,
	  "read bytes through the device page table (hex dump)" },
	{ "write", cmd_write, OPT_SIZE | OPT_RANGE | OPT_PATTERN | OPT_UNLOCKED,
	  ARGS_ONE,
	  "write bytes through the device page table" },
	{ "stats", cmd_stats,
	  OPT_SIZE | OPT_MODES | OPT_NO_MIRROR | OPT_UNLOCKED, ARGS_ONE,
	  "mirror, then print the mirror's counters" },
	{ "events", cmd_events,
	  OPT_SIZE | OPT_SCENARIO | OPT_MODES | OPT_NO_MIRROR | OPT_UNLOCKED,
	  ARGS_ONE,
	  "mirror, apply a scenario's change, print the kernel's events" },
	{ "audit", cmd_audit, OPT_SIZE | OPT_RANGE | OPT_MODES | OPT_UNLOCKED,
	  ARGS_ONE,
	  "mirror, then check every leaf against the CPU page table" },
	{ "compare", cmd_compare, OPT_SIZE | OPT_SCENARIO | OPT_UNLOCKED,
	  ARGS_MANY,
	  "compare device and CPU views through invalidations" },
	{ "stress", cmd_stress, OPT_SIZE | OPT_THREADS | OPT_SECONDS, ARGS_ONE,
	  "mirrors, device accesses and invalidations from several threads" },
	{ "fuzz", cmd_fuzz, OPT_SIZE | OPT_THREADS | OPT_SECONDS | OPT_SEED,
	  ARGS_ONE,
	  "random commands and boundary fields while racers change the range" },
	{ "bench", cmd_bench, OPT_SIZES | OPT_PEER | OPT_UNLOCKED, ARGS_MANY,
	  "time mirroring, invalidating, auditing and reading, per leaf level" },
	{ "opencl", cmd_opencl,
	  OPT_SIZE | OPT_CLDEV | OPT_SCENARIO | OPT_UNLOCKED, ARGS_MANY,
	  "compare an OpenCL device's view with the CPU's and the mirror's" },
	{ "devices", cmd_devices, 0, ARGS_NONE,
	  "list mirror, DAX, DRM and OpenCL devices" },
	{ "help", cmd_help, 0, ARGS_NONE, "this text" },
};

/*
 * The options, in the order usage lines list them.  Members of a group
 * exclude each other and are listed as one [--a|--b].
 */
static const struct hmm_dax_opt {
	struct option opt;
	unsigned int bit;
	const char *arg;	/* the value's name; NULL: none */
	int group;
	const char *help;
} hmm_dax_opts[] = {
	{ { "size", required_argument, NULL, 's' }, OPT_SIZE, "N", 0,
	  "bytes of each target to map" },
	{ { "offset", required_argument, NULL, 'o' }, OPT_OFFSET, "N", 0,
	  "where the range starts in the mapping" },
	{ { "len", required_argument, NULL, 'l' }, OPT_LEN, "N", 0,
	  "the range's length (default: to the end)" },
	{ { "write", no_argument, NULL, 'w' }, OPT_WRITE, NULL, 1,
	  "mirror writable (HMM_DAX_MIRROR_WRITE)" },
	{ { "snapshot", no_argument, NULL, 'S' }, OPT_SNAPSHOT, NULL, 1,
	  "take what the CPU maps, fault nothing" },
	{ { "no-mirror", no_argument, NULL, 'n' }, OPT_NO_MIRROR, NULL, 1,
	  "do not mirror first" },
	{ { "unlocked", no_argument, NULL, 'U' }, OPT_UNLOCKED, NULL, 0,
	  "mirror through hmm_range_fault_unlocked_timeout() (7.3)" },
	{ { "scenario", required_argument, NULL, 'c' }, OPT_SCENARIO, "NAME", 0,
	  "one scenario (below); compare and opencl: or all" },
	{ { "pattern", required_argument, NULL, 'P' }, OPT_PATTERN, "BYTE", 0,
	  "the byte written (default 0xa5)" },
	{ { "threads", required_argument, NULL, 't' }, OPT_THREADS, "N", 0,
	  "threads, 1 to 64 (default 4)" },
	{ { "seconds", required_argument, NULL, 'T' }, OPT_SECONDS, "N", 0,
	  "how long (default 10)" },
	{ { "seed", required_argument, NULL, 'r' }, OPT_SEED, "N", 0,
	  "the random seed (default: the time)" },
	{ { "sizes", required_argument, NULL, 'z' }, OPT_SIZES, "N,N...", 0,
	  "sizes measured, multiples of 2 MiB (default 64M,256M,1G,2G)" },
	{ { "peer", required_argument, NULL, 'e' }, OPT_PEER, "NODE", 0,
	  "lib/test_hmm's node (/dev/hmm_dmirror0), measured beside" },
	{ { "device", required_argument, NULL, 'D' }, OPT_CLDEV, "N", 0,
	  "the OpenCL device (see devices)" },
};

/* "TARGET [--size N] [--write|--snapshot]": what @cmd takes. */
static void usage_line(const struct hmm_dax_cmd *cmd, char *buf, size_t len)
{
	static const char * const args[] = { "", "TARGET", "TARGET..." };
	const struct hmm_dax_opt *op;
	size_t at, i;
	int group = 0;

	at = snprintf(buf, len, "%s", args[cmd->args]);
	for (i = 0; i < ARRAY_SIZE(hmm_dax_opts) && at < len; i++) {
		op = &hmm_dax_opts[i];
		if (!(cmd->opts & op->bit))
			continue;
		if (op->group && group == op->group) {
			buf[at - 1] = '|';	/* continue the [--a|--b] */
			at += snprintf(buf + at, len - at, "--%s]",
				       op->opt.name);
			continue;
		}
		group = op->group;
		at += snprintf(buf + at, len - at, "%s[--%s%s%s]",
			       at ? " " : "", op->opt.name,
			       op->arg ? " " : "", op->arg ? op->arg : "");
	}
}

static void help_scenarios(void)
{
	static const struct {
		enum scenario_body body;
		char mark;
	} cols[] = {
		{ BODY_COMPARE, 'c' }, { BODY_CHANGE, 'e' }, { BODY_OPENCL, 'o' },
	};
	unsigned int i, k;

	printf("\nscenarios (c: compare, e: events, o: opencl):\n");
	for (i = 0; i < NR_SCENARIOS; i++) {
		printf("  %-18s ", scenarios[i].name);
		for (k = 0; k < ARRAY_SIZE(cols); k++)
			putchar(scenario_has(&scenarios[i], cols[k].body) ?
				cols[k].mark : '-');
		putchar(i % 3 == 2 || i + 1 == NR_SCENARIOS ? '\n' : ' ');
	}
}

static int cmd_help(const struct opts *o, int argc, char **argv)
{
	char usage[256];
	unsigned int i;

	(void)o;
	(void)argc;
	(void)argv;
	printf("usage: hmm-dax [-j|-p] [-d N] COMMAND [ARGS]\n\n"
	       "  -j, --json       JSON output\n"
	       "  -p, --pretty     indented JSON output\n"
	       "  -d, --device N   use /dev/hmm_dax<N> (default 0)\n\n"
	       "TARGET is a device-dax node, a file (fsdax, or a non-DAX\n"
	       "control; created and removed if --size is given and it does\n"
	       "not exist) or \"anon\".  Sizes take K, M and G suffixes.\n\n"
	       "commands:\n");
	for (i = 0; i < ARRAY_SIZE(hmm_dax_cmds); i++) {
		usage_line(&hmm_dax_cmds[i], usage, sizeof(usage));
		printf("  %-8s %s\n", hmm_dax_cmds[i].name,
		       hmm_dax_cmds[i].help);
		if (usage[0])
			printf("  %-8s   %s\n", "", usage);
	}
	printf("\noptions:\n");
	for (i = 0; i < ARRAY_SIZE(hmm_dax_opts); i++)
		printf("  --%-10s %-7s %s\n", hmm_dax_opts[i].opt.name,
		       hmm_dax_opts[i].arg ? hmm_dax_opts[i].arg : "",
		       hmm_dax_opts[i].help);
	help_scenarios();
	printf("\nexit status: 0 agree, 1 divergence, 2 usage or environment error\n");
	return 0;
}

/* "4096", "2M", "1G": 0 or -EINVAL. */
int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'G': case 'g':
		v <<= 10;
		fallthrough;
	case 'M': case 'm':
		v <<= 10;
		fallthrough;
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A non-negative decimal number up to @max: 0 or -EINVAL. */
static int parse_index(const char *arg, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || !*arg || *end || *arg == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_count(const char *name, const char *arg, unsigned int max,
		       unsigned int *out)
{
	size_t v;

	if (parse_size(arg, &v) || !v || v > max)
		return out_error("--%s: '%s' is not a number from 1 to %u", name,
				 arg, max);
	*out = v;
	return 0;
}

/* --write, --snapshot, --no-mirror: one of them at most. */
static int parse_mode(int c, struct opts *o)
{
	if (o->mirror_flags || o->no_mirror)
		return out_error("%s",
				 "--write, --snapshot and --no-mirror exclude each other");
	o->mirror_flags = c == 'w' ? HMM_DAX_MIRROR_WRITE :
			  c == 'S' ? HMM_DAX_MIRROR_SNAPSHOT : 0;
	o->no_mirror = c == 'n';
	return 0;
}

/* One option's value into @o: 0 or exit 2 (reported). */
static int parse_opt(int c, const char *name, const char *arg, struct opts *o)
{
	char *end;

	switch (c) {
	case 's':
		if (parse_size(arg, &o->size) || !o->size)
			return out_error("--size: bad size '%s'", arg);
		return 0;
	case 'o':
		if (parse_size(arg, &o->offset))
			return out_error("--offset: bad size '%s'", arg);
		return 0;
	case 'l':
		if (parse_size(arg, &o->len) || !o->len)
			return out_error("--len: bad size '%s'", arg);
		o->len_set = 1;
		return 0;
	case 'w':
	case 'S':
	case 'n':
		return parse_mode(c, o);
	case 'U':
		o->entry = HMM_DAX_MIRROR_UNLOCKED;
		return 0;
	case 't':
		return parse_count(name, arg, 64, &o->threads);
	case 'T':
		return parse_count(name, arg, 86400, &o->seconds);
	case 'r':
		errno = 0;
		o->seed = strtoull(arg, &end, 0);
		if (errno || !*arg || *end || *arg == '-')
			return out_error("--seed: '%s' is not a number", arg);
		o->seed_set = 1;
		return 0;
	case 'D':
		if (parse_index(arg, UINT_MAX, &o->cl_device))
			return out_error("--device: '%s' is not an OpenCL device number",
					 arg);
		return 0;
	case 'c':
		o->scenario = arg;
		return 0;
	case 'P':
		o->pattern = arg;
		return 0;
	case 'z':
		o->sizes = arg;
		return 0;
	case 'e':
		o->peer = arg;
		return 0;
	}
	return 0;
}

/* Whether @cmd takes its TARGETs, @n of them: 0 or exit 2. */
static int check_args(const struct hmm_dax_cmd *cmd, int n)
{
	if (cmd->args == ARGS_NONE && n)
		return out_error("takes no arguments (see hmm-dax help)");
	if (cmd->args == ARGS_ONE && n != 1)
		return out_error("takes one TARGET (see hmm-dax help)");
	if (cmd->args == ARGS_MANY && !n)
		return out_error("takes at least one TARGET (see hmm-dax help)");
	return 0;
}

/*
 * Parse @cmd's options into @o (the mirror device @device from before
 * the command); the TARGETs are left in argv from optind.  Returns 0 or
 * HMM_DAX_EXIT_ERROR (reported).
 */
static int parse_opts(int argc, char **argv, const struct hmm_dax_cmd *cmd,
		      unsigned int device, struct opts *o)
{
	struct option longopts[ARRAY_SIZE(hmm_dax_opts) + 1];
	const struct hmm_dax_opt *op;
	unsigned int i;
	int c, idx, ret;

	memset(o, 0, sizeof(*o));
	memset(longopts, 0, sizeof(longopts));
	o->device = device;
	o->threads = 4;
	o->seconds = 10;
	for (i = 0; i < ARRAY_SIZE(hmm_dax_opts); i++)
		longopts[i] = hmm_dax_opts[i].opt;
	optind = 0;	/* glibc: start over, and permute */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
		if (c == '?')
			return out_error("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return out_error("%s needs a value", argv[optind - 1]);
		op = &hmm_dax_opts[idx];
		if (c == 'D' && !(cmd->opts & OPT_CLDEV))
			return out_error("%s",
					 "--device after a command names an OpenCL device (opencl only); the mirror device is -d N before the command");
		if (!(cmd->opts & op->bit))
			return out_error("--%s does not apply to %s",
					 op->opt.name, cmd->name);
		ret = parse_opt(c, op->opt.name, optarg, o);
		if (ret)
			return ret;
	}
	return check_args(cmd, argc - optind);
}

static const struct hmm_dax_cmd *find_cmd(const char *name)
{
	const struct hmm_dax_cmd *found = NULL;
	size_t len = strlen(name);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hmm_dax_cmds) && len; i++) {
		if (strncmp(hmm_dax_cmds[i].name, name, len))
			continue;
		if (!strcmp(hmm_dax_cmds[i].name, name))
			return &hmm_dax_cmds[i];
		if (found) {
			out_error("'%s' is ambiguous (%s, %s, ...)", name,
				  found->name, hmm_dax_cmds[i].name);
			return NULL;
		}
		found = &hmm_dax_cmds[i];
	}
	if (!found)
		out_error("unknown command '%s' (see hmm-dax help)", name);
	return found;
}

/* Open /dev/hmm_dax<@device>: 0, or the error reported (exit status). */
int open_ctx(struct hmm_dax_ctx **ctx, unsigned int device)
{
	int ret = hmm_dax_open(ctx, device);

	if (ret)
		return out_error("/dev/hmm_dax%u: %s%s", device, strerror(-ret),
				 ret == -ENOENT ? " (is hmm_dax.ko loaded?)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option global[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct hmm_dax_cmd *cmd;
	int json = 0, pretty = 0, c, ret;
	unsigned int device = 0;
	static char name[64];
	struct opts o;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jpd:h", global, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'p':
			pretty = 1;
			break;
		case 'd':
			if (parse_index(optarg, HMM_DAX_NR_DEVICES - 1, &device)) {
				out_init(json, pretty);
				return out_error("--device: '%s' is not 0 to %u",
						 optarg, HMM_DAX_NR_DEVICES - 1);
			}
			break;
		case 'h':
			return cmd_help(NULL, 0, NULL);
		default:
			out_init(json, pretty);
			return out_error("unknown option '%s' (see hmm-dax help)",
					 argv[optind - 1]);
		}
	}
	out_init(json, pretty);
	if (optind >= argc) {
		cmd_help(NULL, 0, NULL);
		return HMM_DAX_EXIT_ERROR;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return HMM_DAX_EXIT_ERROR;
	snprintf(name, sizeof(name), "hmm-dax %s", cmd->name);
	hmm_dax_cmd_name = name;
	argc -= optind;
	argv += optind;
	ret = parse_opts(argc, argv, cmd, device, &o);
	if (ret)
		return ret;
	return out_finish(cmd->fn(&o, argc - optind, argv + optind));
}
