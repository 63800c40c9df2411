// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios of device-dax (scenario.h): the device unbound under the
 * mirror and bound again, and mappings that break the device's alignment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "scenario.h"
#include "opencl.h"

#define REFS_HELD	"dev_pagemap references held: the unbind would hang"

/*
 * Unbind the device's driver under the mirror.  A held dev_pagemap
 * reference would hang the unbind: then it is a divergence of the step
 * "before the unbind" instead, and *@unbound stays 0.  0 or exit 2.
 */
static int devdax_unbind(struct run *r, int *unbound)
{
	unsigned long long held;
	int ret;

	*unbound = 0;
	if (!pgmap_refs_balanced(r->monitor, &held)) {
		expect_refs_balanced(r, REFS_HELD, "before the unbind");
		return 0;
	}
	ret = target_devdax_set(r->t, 0);
	if (ret)
		return out_error("%s: disable: %s", r->t->dev, strerror(-ret));
	*unbound = 1;
	return 0;
}

/*
 * events' change: unbind the device's driver and bind it again.  The
 * mapping and the descriptor go before the bind: a file of the node closed
 * after it would leave the node failing every open (devdax-rebind-open in
 * selftests/known_bugs.h).
 */
int ch_devdax_cycle(struct run *r)
{
	unsigned long long held;
	int ret;

	if (!pgmap_refs_balanced(r->monitor, &held))
		return out_error("%s: %llu %s", r->t->dev, held, REFS_HELD);
	ret = target_devdax_set(r->t, 0);
	if (ret)
		return out_error("%s: disable: %s", r->t->dev, strerror(-ret));
	munmap(r->map, r->len);
	r->map = NULL;
	return target_devdax_rebind(r->t);
}

int sc_devdax_disable(struct run *r)
{
	int ret, unbound;

	ret = devdax_unbind(r, &unbound);
	if (ret || !unbound)
		return ret;
	expect_no_leaves(r, r->map, r->len, "after the unbind");
	expect_access_error(r, mid(r), 0,
			    "a device read of an unbound device succeeded",
			    "device read after the unbind");
	munmap(r->map, r->len);
	r->map = NULL;
	ret = target_devdax_rebind(r->t);
	return ret ? ret : remap(r, "mirror after the rebind");
}

int oc_devdax_disable(struct run *r)
{
	int ret, unbound;

	ret = devdax_unbind(r, &unbound);
	if (ret || !unbound)
		return ret;
	ocl_expect_mirror_error(r, ocl_mid_page(r),
				"the mirror read an unbound device",
				"after the unbind",
				"the device is gone: a CPU device would take SIGBUS and a GPU a fault");
	/* the buffers go with the mapping */
	ocl_stop(r);
	munmap(r->map, r->len);
	r->map = NULL;
	ret = target_devdax_rebind(r->t);
	if (ret)
		return ret;
	ret = map_again(r);
	if (ret)
		return ret;
	fill_tags(r, r->map, r->len, 0);
	ret = hmm_dax_mirror(r->ctx, r->map, r->len,
			     HMM_DAX_MIRROR_WRITE | r->entry, NULL);
	if (ret)
		return out_error("mirror after the rebind: %s", strerror(-ret));
	ret = ocl_rebuffer(r);
	if (!ret)
		ocl_check(r, "after the rebind, new buffers", ocl_pages(r), NULL);
	return ret;
}

/*
 * misaligned-devdax: mappings that break a device-dax node's alignment (an
 * address 4 KiB off, half a unit, MAP_PRIVATE) must each be refused.  All
 * refused is verdict "refused" with the kernel's reason, never agreement;
 * one accepted is a divergence.
 */
int sc_misaligned_devdax(struct run *r)
{
	static const char * const what[] = {
		"an address 4 KiB off the alignment", "half a unit",
		"MAP_PRIVATE",
	};
	size_t u = r->t->unit, len[] = { u, u / 2, u };
	char *res, *at[3], *m;
	unsigned int i, refused = 0;
	int err = 0;

	res = hmm_dax_mmap_aligned(2 * u, u, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				   -1, 0);
	if (res == MAP_FAILED)
		return out_error("mmap: %s", strerror(errno));
	at[0] = res + PAGE;
	at[1] = res;
	at[2] = res;
	begin_step(r, "misaligned mappings");
	for (i = 0; i < 3; i++) {
		m = mmap(at[i], len[i], PROT_READ, MAP_FIXED |
			 (i == 2 ? MAP_PRIVATE : MAP_SHARED), r->t->fd, 0);
		if (m == MAP_FAILED) {
			err = errno;
			refused++;
			continue;
		}
		add_div(r, what[i], "mmap", (unsigned long)m, 0, EINVAL);
	}
	end_step(r, 0, 0);
	munmap(res, 2 * u);
	if (refused == 3) {
		/* the kernel's log line is added when the log is read */
		snprintf(r->refused_buf, sizeof(r->refused_buf),
			 "the kernel refuses: %s", strerror(err));
		r->refused = r->refused_buf;
		r->refused_log = "dax_mmap";
	}
	return 0;
}
