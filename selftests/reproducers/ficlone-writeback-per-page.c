// SPDX-License-Identifier: GPL-2.0
/*
 * ficlone-writeback-per-page DIR - the invalidations FICLONE's writeback
 * sends for a mapped page-cache file.  Needs the hmm_dax module (an mmu
 * notifier is the only way to see them): /dev/hmm_dax0.
 *
 * DIR is a directory on an xfs made with reflink=1 where new files are
 * not DAX.  Write a 512 KiB file (pwrite: dirty page cache), map it
 * shared, mirror it writable, FICLONE it, and read the mirror's
 * invalidation log.  Found on
 * 6.1: writeback write-protects the dirty pages one at a time, one
 * PROTECTION_PAGE notification per 4 KiB page (128 here); 6.12 and 7.2
 * send one per contiguous run (4 of 1 MiB for 4 MiB).  Correct either way,
 * but a mirroring device pays one invalidation per page.  "Present" is
 * the one-per-page behaviour.
 */
#include "repro.h"

#include <sys/ioctl.h>
#include <linux/fs.h>
#include "../../kernel/hmm_dax_uapi.h"

#define LEN	(128 * SZ_4K)

int main(int argc, char **argv)
{
	struct hmm_dax_event ev[HMM_DAX_EVENT_LOG];
	struct hmm_dax_events e = {
		.events = (uintptr_t)ev, .max = HMM_DAX_EVENT_LOG,
	};
	struct hmm_dax_range r = { .len = LEN };
	unsigned int i, prot = 0, small = 0;
	char path[4096];
	struct statx stx;
	int a, b, mfd;
	char *m;

	repro_name = "ficlone-writeback-per-page";
	if (argc != 2)
		repro_cannot("usage: %s DIR (reflink xfs, files not DAX)",
			     argv[0]);
	mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	if (mfd < 0)
		repro_cannot("/dev/hmm_dax0: %s (load hmm_dax.ko)",
			     strerror(errno));
	snprintf(path, sizeof(path), "%s/.ficlone-a", argv[1]);
	unlink(path);
	a = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (a < 0 || fallocate(a, 0, 0, LEN))
		repro_cannot("%s: %s", path, strerror(errno));
	unlink(path);
	if (!statx(a, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) &&
	    (stx.stx_attributes & STATX_ATTR_DAX))
		repro_cannot("new files in %s are DAX", argv[1]);
	m = malloc(LEN);
	if (!m)
		repro_cannot("malloc: %s", strerror(errno));
	memset(m, 0x5a, LEN);
	if (pwrite(a, m, LEN, 0) != LEN)
		repro_cannot("pwrite: %s", strerror(errno));
	free(m);
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	if (m == MAP_FAILED)
		repro_cannot("mmap: %s", strerror(errno));
	r.addr = (uintptr_t)m;
	r.flags = HMM_DAX_MIRROR_WRITE;
	if (ioctl(mfd, HMM_DAX_MIRROR, &r) || ioctl(mfd, HMM_DAX_EVENTS, &e))
		repro_cannot("HMM_DAX_MIRROR: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/.ficlone-b", argv[1]);
	unlink(path);
	b = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b < 0)
		repro_cannot("%s: %s", path, strerror(errno));
	unlink(path);
	if (ioctl(b, FICLONE, a))
		repro_cannot("FICLONE: %s (no reflink here)", strerror(errno));
	if (ioctl(mfd, HMM_DAX_EVENTS, &e))
		repro_cannot("HMM_DAX_EVENTS: %s", strerror(errno));
	for (i = 0; i < e.count; i++) {
		if (ev[i].event != HMM_DAX_EV_PROTECTION_PAGE)
			continue;
		prot++;
		small += ev[i].end - ev[i].start == SZ_4K;
	}
	repro_verdict(small >= LEN / SZ_4K,
		      "FICLONE of %lu pages sent %u PROTECTION_PAGE, %u of them 4 KiB (%llu lost)",
		      LEN / SZ_4K, prot, small, (unsigned long long)e.lost);
}
