// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax - compare what a mirroring device sees of DAX memory with what the
 * CPU sees.  Subcommands are dispatched from a table; an unambiguous prefix
 * of a subcommand's name selects it.  Exit status: 0 the views agree (or the
 * command succeeded), 1 a divergence, 2 a usage or environment error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmm-dax.h"

struct hmm_dax_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static int cmd_help(int argc, char **argv);

static const struct hmm_dax_cmd hmm_dax_cmds[] = {
	{ "mirror", cmd_mirror,
	  "TARGET [--size N] [--offset N] [--len N] [--write|--snapshot]",
	  "mirror a range and print the leaves installed" },
	{ "dump", cmd_dump,
	  "TARGET [--size N] [--offset N] [--len N] [--write|--snapshot|--no-mirror]",
	  "mirror, then print the device page table's leaves" },
	{ "read", cmd_read, "TARGET [--size N] [--offset N] [--len N]",
	  "read bytes through the device page table (hex dump)" },
	{ "write", cmd_write, "TARGET [--size N] [--offset N] [--len N] [--pattern BYTE]",
	  "write bytes through the device page table" },
	{ "stats", cmd_stats, "TARGET [--size N] [--write|--snapshot|--no-mirror]",
	  "mirror, then print the mirror's counters" },
	{ "events", cmd_events, "TARGET [--size N] [--scenario NAME]",
	  "mirror, apply a scenario's invalidation, print the kernel's events" },
	{ "audit", cmd_audit, "TARGET [--size N] [--offset N] [--len N] [--write|--snapshot]",
	  "mirror, then check every leaf against the CPU page table" },
	{ "compare", cmd_compare, "TARGET... [--size N] [--scenario NAME|all]",
	  "compare device and CPU views through invalidations" },
	{ "stress", cmd_stress, "TARGET [--size N] [--threads N] [--seconds N]",
	  "mirrors, device accesses and invalidations from several threads" },
	{ "fuzz", cmd_fuzz, "TARGET [--size N] [--threads N] [--seconds N] [--seed N]",
	  "random commands and boundary fields while racers change the range" },
	{ "bench", cmd_bench, "TARGET... [--sizes N,N...] [--peer /dev/hmm_dmirror0]",
	  "time mirroring, invalidating, auditing and reading, per leaf level" },
	{ "opencl", cmd_opencl,
	  "TARGET... [--size N] [--device N] [--scenario NAME|all]",
	  "compare an OpenCL device's view with the CPU's and the mirror's" },
	{ "devices", cmd_devices, "",
	  "list mirror, DAX, DRM and OpenCL devices" },
	{ "help", cmd_help, "",
	  "this text" },
};

static int cmd_help(int argc, char **argv)
{
	unsigned int i;

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
	for (i = 0; i < ARRAY_SIZE(hmm_dax_cmds); i++)
		printf("  %-8s %s\n  %-8s   %s\n", hmm_dax_cmds[i].name,
		       hmm_dax_cmds[i].help, "", hmm_dax_cmds[i].usage);
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

static unsigned int global_device;

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

static const struct {
	struct option opt;
	unsigned int need;
} hmm_dax_opts[] = {
	{ { "size", required_argument, NULL, 's' }, OPT_SIZE },
	{ { "offset", required_argument, NULL, 'o' }, OPT_RANGE },
	{ { "len", required_argument, NULL, 'l' }, OPT_RANGE },
	{ { "write", no_argument, NULL, 'w' }, OPT_MIRROR },
	{ { "snapshot", no_argument, NULL, 'S' }, OPT_MIRROR },
	{ { "no-mirror", no_argument, NULL, 'n' }, OPT_MIRROR },
	{ { "scenario", required_argument, NULL, 'c' }, OPT_SCENARIO },
	{ { "pattern", required_argument, NULL, 'P' }, OPT_PATTERN },
	{ { "threads", required_argument, NULL, 't' }, OPT_STRESS },
	{ { "seconds", required_argument, NULL, 'T' }, OPT_STRESS },
	{ { "keep", no_argument, NULL, 'k' }, OPT_KEEP },
	{ { "sizes", required_argument, NULL, 'z' }, OPT_BENCH },
	{ { "peer", required_argument, NULL, 'e' }, OPT_BENCH },
	{ { "device", required_argument, NULL, 'D' }, OPT_CLDEV },
	{ { "seed", required_argument, NULL, 'r' }, OPT_SEED },
};

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

/*
 * Parse a subcommand's options into @o; the targets are left in argv from
 * optind.  Returns 0 or HMM_DAX_EXIT_ERROR (reported).
 */
int parse_opts(int argc, char **argv, unsigned int allowed, struct opts *o)
{
	struct option longopts[ARRAY_SIZE(hmm_dax_opts) + 1];
	unsigned int i;
	char *end;
	int c, idx;

	memset(o, 0, sizeof(*o));
	memset(longopts, 0, sizeof(longopts));
	o->device = global_device;
	o->threads = 4;
	o->seconds = 10;
	for (i = 0; i < ARRAY_SIZE(hmm_dax_opts); i++)
		longopts[i] = hmm_dax_opts[i].opt;
	optind = 0;	/* glibc: start over, and permute */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
		const char *name;

		if (c == '?')
			return out_error("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return out_error("%s needs a value", argv[optind - 1]);
		name = hmm_dax_opts[idx].opt.name;
		if (c == 'D' && !(allowed & OPT_CLDEV))
			return out_error("%s",
					 "--device after a command names an OpenCL device (opencl only); the mirror device is -d N before the command");
		if (!(hmm_dax_opts[idx].need & allowed))
			return out_error("--%s does not apply to this command",
					 name);
		switch (c) {
		case 's':
			if (parse_size(optarg, &o->size) || !o->size)
				return out_error("--size: bad size '%s'", optarg);
			break;
		case 'o':
			if (parse_size(optarg, &o->offset))
				return out_error("--offset: bad size '%s'", optarg);
			break;
		case 'l':
			if (parse_size(optarg, &o->len) || !o->len)
				return out_error("--len: bad size '%s'", optarg);
			o->len_set = 1;
			break;
		case 'w':
		case 'S':
		case 'n':
			if (o->mirror_flags || o->no_mirror)
				return out_error("%s",
					"--write, --snapshot and --no-mirror exclude each other");
			o->mirror_flags = c == 'w' ? HMM_DAX_MIRROR_WRITE :
				c == 'S' ? HMM_DAX_MIRROR_SNAPSHOT : 0;
			o->no_mirror = c == 'n';
			break;
		case 'c':
			o->scenario = optarg;
			break;
		case 'P':
			o->pattern = optarg;
			break;
		case 't':
			if (parse_count(name, optarg, 64, &o->threads))
				return HMM_DAX_EXIT_ERROR;
			break;
		case 'T':
			if (parse_count(name, optarg, 86400, &o->seconds))
				return HMM_DAX_EXIT_ERROR;
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'z':
			o->sizes = optarg;
			break;
		case 'e':
			o->peer = optarg;
			break;
		case 'r':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || !*optarg || *end || *optarg == '-')
				return out_error("--seed: '%s' is not a number",
						 optarg);
			o->seed_set = 1;
			break;
		case 'D':
			if (parse_index(optarg, UINT_MAX, &o->cl_device))
				return out_error("--device: '%s' is not an OpenCL device number",
						 optarg);
			break;
		}
	}
	return 0;
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
	int json = 0, pretty = 0, c;
	static char name[64];

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
			if (parse_index(optarg, HMM_DAX_NR_DEVICES - 1,
					&global_device)) {
				out_init(json, pretty);
				return out_error("--device: '%s' is not 0 to %u",
						 optarg, HMM_DAX_NR_DEVICES - 1);
			}
			break;
		case 'h':
			return cmd_help(0, NULL);
		default:
			out_init(json, pretty);
			return out_error("unknown option '%s' (see hmm-dax help)",
					 argv[optind - 1]);
		}
	}
	out_init(json, pretty);
	if (optind >= argc) {
		cmd_help(0, NULL);
		return HMM_DAX_EXIT_ERROR;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return HMM_DAX_EXIT_ERROR;
	snprintf(name, sizeof(name), "hmm-dax %s", cmd->name);
	hmm_dax_cmd_name = name;
	return out_finish(cmd->fn(argc - optind, argv + optind));
}
