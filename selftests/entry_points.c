// SPDX-License-Identifier: GPL-2.0
/*
 * entry_points - the HMM entry points the running kernel offers the
 * hmm_dax driver, one a line: "locked" (hmm_range_fault() under
 * mmap_read_lock(), every kernel), then "unlocked"
 * (hmm_range_fault_unlocked_timeout(), 7.3 on) where a mirror with
 * HMM_DAX_MIRROR_UNLOCKED is taken rather than refused with EOPNOTSUPP.
 * run_tests.sh runs the mirroring programs of the suite through each.
 * Exit status 1, with the reason, when /dev/hmm_dax0 cannot say.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "hmm_dax_uapi.h"

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct hmm_dax_range r = { .len = page,
				   .flags = HMM_DAX_MIRROR_UNLOCKED };
	int fd, ret;
	char *p;

	fd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "entry_points: /dev/hmm_dax0: %s\n",
			strerror(errno));
		return 1;
	}
	p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "entry_points: mmap: %s\n", strerror(errno));
		return 1;
	}
	p[0] = 1;
	r.addr = (uintptr_t)p;
	ret = ioctl(fd, HMM_DAX_MIRROR, &r) ? errno : 0;
	munmap(p, page);
	close(fd);
	puts("locked");
	if (!ret) {
		puts("unlocked");
		return 0;
	}
	if (ret == EOPNOTSUPP)
		return 0;
	fprintf(stderr, "entry_points: HMM_DAX_MIRROR with HMM_DAX_MIRROR_UNLOCKED: %s\n",
		strerror(ret));
	return 1;
}
