// SPDX-License-Identifier: GPL-2.0
/*
 * The oracles: which CPU views of a target compare can trust, measured on
 * the kernel it runs on.  The bytes always; pagemap's pfns unless reading
 * pagemap changes the mapping it reports (it zaps device leaves on some
 * kernels) or hides the pfns; the file's extents (FIEMAP, through the pmem
 * namespace or dax device under them) for a DAX file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "run.h"

/* Which CPU views can be used for this target, measured now. */
int probe_oracles(struct target *t, struct oracles *or, unsigned int device)
{
	struct hmm_dax_ctx *ctx;
	__u64 zapped;
	char *map;
	int ret;

	memset(or, 0, sizeof(*or));
	ret = t->fd < 0 ? 0 : hmm_dax_extents_new(&or->ext, t->fd);
	if (t->fd < 0)
		snprintf(or->ext_why, sizeof(or->ext_why), "not a file");
	else if (ret)
		snprintf(or->ext_why, sizeof(or->ext_why), "%s",
			 ret == -EOPNOTSUPP ? "not DAX memory" :
			 ret == -ENODEV ? "no pmem namespace or dax device holds it" :
			 strerror(-ret));
	/* a scratch mapping: the probe may change what it maps */
	map = target_map(t, t->size, 0);
	if (map == MAP_FAILED)
		return out_error("%s: mmap %zu bytes: %s", t->path, t->size,
				 strerror(errno));
	ret = open_ctx(&ctx, device);
	if (ret) {
		munmap(map, t->size);
		return ret;
	}
	ret = hmm_dax_pagemap_perturbs(ctx, map, t->size, &zapped);
	if (ret == 1)
		snprintf(or->pagemap_why, sizeof(or->pagemap_why),
			 "reading it zapped %llu device leaves of a scratch mapping: it changes the mapping it reports",
			 (unsigned long long)zapped);
	else if (ret == -EPERM)
		snprintf(or->pagemap_why, sizeof(or->pagemap_why),
			 "pfns hidden (needs CAP_SYS_ADMIN)");
	else if (ret)
		snprintf(or->pagemap_why, sizeof(or->pagemap_why), "%s",
			 strerror(-ret));
	or->pagemap = !ret;
	hmm_dax_close(ctx);
	munmap(map, t->size);
	return 0;
}

void print_oracles(const struct oracles *or)
{
	out_open_object("oracles");
	out_text("  oracles: bytes; ");
	out_open_object("pagemap");
	out_bool("usable", "pagemap %s", or->pagemap);
	out_str("why", or->pagemap ? NULL : " (%s)", or->pagemap_why);
	out_close_object();
	out_open_object("extents");
	out_bool("usable", "; extents %s", !!or->ext);
	out_str(or->ext ? "source" : "why", " (%s)\n",
		or->ext ? hmm_dax_extents_source(or->ext) : or->ext_why);
	out_close_object();
	out_close_object();
}
