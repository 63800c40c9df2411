// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax - compare what a mirroring device sees of DAX memory with what the
 * CPU sees.  Commands are dispatched from a table; an unambiguous prefix of a
 * command's name selects it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <daxctl/libdaxctl.h>

#include "../kernel/hmm_dax_uapi.h"

struct hmm_dax_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* List the mirror devices and the DAX devices of this machine. */
static int cmd_devices(int argc, char **argv)
{
	struct daxctl_region *region;
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dev;
	unsigned int i;
	int ret;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "hmm-dax devices: takes no arguments\n");
		return 2;
	}
	printf("mirror devices:%s\n",
	       access("/sys/module/hmm_dax", F_OK) ? " (hmm_dax not loaded)" : "");
	for (i = 0; i < HMM_DAX_NR_DEVICES; i++) {
		char node[32];
		struct stat st;

		snprintf(node, sizeof(node), "/dev/hmm_dax%u", i);
		if (!stat(node, &st))
			printf("  %-16s mode %04o\n", node, st.st_mode & 07777);
	}

	ret = daxctl_new(&ctx);
	if (ret) {
		fprintf(stderr, "hmm-dax devices: libdaxctl: %s\n", strerror(-ret));
		return 2;
	}
	printf("dax devices:\n");
	daxctl_region_foreach(ctx, region)
		daxctl_dev_foreach(region, dev) {
			if (!daxctl_dev_get_size(dev))
				continue;
			printf("  /dev/%-11s region %d size %llu align %lu\n",
			       daxctl_dev_get_devname(dev),
			       daxctl_region_get_id(region),
			       daxctl_dev_get_size(dev),
			       daxctl_dev_get_align(dev));
		}
	daxctl_unref(ctx);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct hmm_dax_cmd hmm_dax_cmds[] = {
	{ "devices", cmd_devices, "list mirror devices and DAX devices" },
	{ "help", cmd_help, "this text" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NR_CMDS ARRAY_SIZE(hmm_dax_cmds)

static int cmd_help(int argc, char **argv)
{
	unsigned int i;

	(void)argc;
	(void)argv;
	printf("usage: hmm-dax COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NR_CMDS; i++)
		printf("  %-10s %s\n", hmm_dax_cmds[i].name, hmm_dax_cmds[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	const struct hmm_dax_cmd *found = NULL;
	unsigned int i;
	size_t len;

	if (argc < 2) {
		cmd_help(0, NULL);
		return 2;
	}
	len = strlen(argv[1]);
	for (i = 0; i < NR_CMDS; i++) {
		if (strncmp(hmm_dax_cmds[i].name, argv[1], len))
			continue;
		if (found) {
			fprintf(stderr, "hmm-dax: '%s' is ambiguous\n", argv[1]);
			return 2;
		}
		found = &hmm_dax_cmds[i];
	}
	if (!found || !len) {
		fprintf(stderr, "hmm-dax: unknown command '%s' (see hmm-dax help)\n",
			argv[1]);
		return 2;
	}
	return found->fn(argc - 1, argv + 1);
}
