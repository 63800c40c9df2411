// SPDX-License-Identifier: GPL-2.0
/*
 * bench's peer: the kernel's own HMM test driver (lib/test_hmm.c, --peer
 * /dev/hmm_dmirror0) over the same mapping - HMM_DMIRROR_SNAPSHOT and
 * HMM_DMIRROR_READ, timed here (CLOCK_MONOTONIC) as the CPU reads are,
 * and its table memory as the growth of the radix_tree_node slab (its
 * table is an xarray) while the mirror is open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "bench.h"
#include "test_hmm_uapi.h"

/* The radix_tree_node slab's bytes in use (root only), or 0. */
static unsigned long long xarray_bytes(void)
{
	unsigned long long active, size, bytes = 0;
	char line[512], name[64];
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %*u %llu", name, &active, &size) == 3 &&
		    !strcmp(name, "radix_tree_node"))
			bytes = active * size;
	fclose(f);
	return bytes;
}

static int peer_cmd(int fd, unsigned long req, char *addr, void *buf,
		    size_t len, unsigned long long *ns,
		    unsigned long long *faults)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (unsigned long)addr,
		.ptr = (unsigned long)buf,
		.npages = len / SZ_4K,
	};
	unsigned long long t0 = now_ns();

	if (ioctl(fd, req, &cmd))
		return -errno;
	*ns += now_ns() - t0;
	if (faults)
		*faults += cmd.faults;
	return 0;
}

/* HMM_DMIRROR_READ over [map, map + size), in PEER_CHUNK steps. */
static int peer_read(int fd, char *map, size_t size, char *buf,
		     unsigned long long *ns, unsigned long long *faults)
{
	size_t off;
	int ret = 0;

	for (off = 0; !ret && off < size; off += PEER_CHUNK)
		ret = peer_cmd(fd, HMM_DMIRROR_READ, map + off, buf,
			       size - off < PEER_CHUNK ? size - off : PEER_CHUNK,
			       ns, faults);
	return ret;
}

/* HMM_DMIRROR_SNAPSHOT, the cheapest of BENCH_ROUNDS, as hmm-dax's mirror. */
static int peer_snapshot(int fd, char *map, unsigned char *perm, size_t size,
			 unsigned long long *ns)
{
	unsigned long long round_ns;
	unsigned int round;
	int ret = 0;

	for (round = 0; round < BENCH_ROUNDS && !ret; round++) {
		round_ns = 0;
		ret = peer_cmd(fd, HMM_DMIRROR_SNAPSHOT, map, perm, size,
			       &round_ns, NULL);
		if (!ret && (!round || round_ns < *ns))
			*ns = round_ns;
	}
	return ret;
}

/* test_hmm over the same mapping: a snapshot, then a read (fault+copy). */
void peer_run(const char *dev, char *map, size_t size, char *buf,
	      struct peer *p)
{
	unsigned long long before;
	unsigned char *perm;
	int fd, ret;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(p->why, sizeof(p->why), "%s: %s", dev, strerror(errno));
		return;
	}
	perm = malloc(size / SZ_4K);
	if (!perm) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		goto close;
	}
	ret = peer_snapshot(fd, map, perm, size, &p->snapshot_ns);
	before = xarray_bytes();
	if (!ret)
		ret = peer_read(fd, map, size, buf, &p->read_ns, &p->faults);
	if (!ret)
		p->table_bytes = xarray_bytes() - before;
	/* again, its table full: the copy alone */
	if (!ret)
		ret = peer_read(fd, map, size, buf, &p->reread_ns, NULL);
	if (ret)
		snprintf(p->why, sizeof(p->why), "%s: %s", dev, strerror(-ret));
	else
		p->ok = 1;
	free(perm);
close:
	close(fd);
}

/*
 * test_hmm's mirroring: its first read faults and fills its table and
 * copies, the second only copies.  Wall time on both sides.  The copy
 * dominates both and its noise can swamp the difference, so the goal uses
 * the snapshot instead: hmm_range_fault() alone, in test_hmm's 32-page
 * steps, a lower bound of what test_hmm's mirroring costs.
 */
unsigned long long peer_mirror_ns(const struct peer *p)
{
	return p->read_ns > p->reread_ns ? p->read_ns - p->reread_ns : 0;
}
