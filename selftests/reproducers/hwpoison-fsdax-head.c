// SPDX-License-Identifier: GPL-2.0
/*
 * hwpoison-fsdax-head DIR - MADV_HWPOISON of one page of a 2 MiB fsdax
 * mapping.  Destructive: the poison stays until reboot.  Needs the
 * hmm_dax module (/dev/hmm_dax0): the page flag is not visible to user
 * space otherwise, as fsdax pages are ZONE_DEVICE pages, never online, so
 * /proc/kpageflags reports them as no page and unpoison refuses them.
 *
 * DIR is a directory on an fsdax mount whose files get 2 MiB extents.
 * Map 2 MiB of a new file at a 2 MiB-aligned address, write it, and
 * poison the sixth page (MADV_HWPOISON: as root, CONFIG_MEMORY_FAILURE).
 * Then read every page through the device: hmm_dax refuses a page
 * (EHWPOISON) when it or the head of its folio is marked HWPoison.
 * Expected (6.1, 6.12): the sixth page alone is refused, the rest of the
 * 2 MiB stays usable.  The finding (7.2): mf_generic_kill_procs() marks
 * &folio->page, the head of the 2 MiB folio (fsdax pages are large folios
 * there), not the poisoned page, so the device loses all 512 pages.
 */
#include "repro.h"

#include <signal.h>
#include <sys/ioctl.h>
#include "../../kernel/hmm_dax_uapi.h"

#define VICTIM	5

static void sigbus(int sig)
{
	(void)sig;
}

/* 0 if the device reads page @i of @m, else the errno. */
static int dev_read_page(int mfd, char *m, unsigned int i)
{
	char buf[64];
	struct hmm_dax_access a = {
		.addr = (uintptr_t)(m + i * SZ_4K),
		.len = sizeof(buf),
		.buf = (uintptr_t)buf,
	};

	return ioctl(mfd, HMM_DAX_READ, &a) ? errno : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = sigbus };
	struct hmm_dax_range r = { .len = SZ_2M, .flags = HMM_DAX_MIRROR_WRITE };
	unsigned int i, lost = 0;
	int fd, mfd, victim;
	char *m;

	repro_name = "hwpoison-fsdax-head";
	if (argc != 2)
		repro_cannot("usage: %s DIR (on an fsdax mount)", argv[0]);
	mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	if (mfd < 0)
		repro_cannot("/dev/hmm_dax0: %s (load hmm_dax.ko)",
			     strerror(errno));
	fd = repro_dax_file(argv[1], ".hwpoison-fsdax-head", SZ_2M);
	m = repro_map(SZ_2M, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (m == MAP_FAILED)
		repro_cannot("mmap: %s", strerror(errno));
	for (i = 0; i < SZ_2M; i += SZ_4K)
		m[i] = 0x5a;
	r.addr = (uintptr_t)m;
	if (ioctl(mfd, HMM_DAX_MIRROR, &r))
		repro_cannot("HMM_DAX_MIRROR: %s", strerror(errno));
	if (r.leaves[1] != 1)
		repro_cannot("the file maps as %llu 4 KiB and %llu 2 MiB leaves, not one 2 MiB",
			     (unsigned long long)r.leaves[0],
			     (unsigned long long)r.leaves[1]);
	for (i = 0; i < SZ_2M / SZ_4K; i++)
		if (dev_read_page(mfd, m, i))
			repro_cannot("page %u is refused before the poison: %s (reboot)",
				     i, strerror(dev_read_page(mfd, m, i)));
	/* memory_failure() signals every process that maps the page */
	sigaction(SIGBUS, &sa, NULL);
	if (madvise(m + VICTIM * SZ_4K, SZ_4K, MADV_HWPOISON))
		repro_cannot("MADV_HWPOISON: %s (root and CONFIG_MEMORY_FAILURE)",
			     strerror(errno));
	victim = dev_read_page(mfd, m, VICTIM);
	for (i = 0; i < SZ_2M / SZ_4K; i++)
		lost += i != VICTIM && dev_read_page(mfd, m, i) == EHWPOISON;
	printf("  the poisoned page %u: %s\n", VICTIM,
	       victim ? strerror(victim) : "reads");
	repro_verdict(lost > 0,
		      "the device lost %u other page%s of the 2 MiB (the head %s)",
		      lost, lost == 1 ? "" : "s",
		      dev_read_page(mfd, m, 0) == EHWPOISON ? "among them" :
		      "reads");
}
