/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm-dax: the kernel bugs the suite is known to meet, with their evidence.
 *
 * An entry does two things, each only on the kernels from <= version <
 * fixed (fixed 0: no fix is known, every kernel from @from on):
 *  - Known failures.  The tests @tests names are expected to fail on those
 *    kernels, if the bug has a known upstream fix (@fix names the fixing
 *    commit): the suite registers them with the harness's XFAIL mechanism
 *    (hmm_dax_harness.h), so that they report XFAIL ("known kernel bug")
 *    when they fail and XPASS, a failure, when they pass.  On any other
 *    kernel they are plain tests.  Entries without a fix never turn a
 *    failure into an XFAIL.
 *  - Known kernel reports.  A kernel log line of @report printed while a
 *    trigger of @triggers ran (kernel_log.c; each test, compare scenario,
 *    fuzz run and shell test marks itself in the log as "hmm-dax: WHAT")
 *    is attributed to the entry, and does not fail the run.  Every other
 *    report does.
 * An entry is never a way to hide a bug of hmm-dax's own: each one says
 * what was measured, on which kernels, and what the public record says.
 *
 * @tests, @report and @triggers are lists of shell patterns (fnmatch)
 * separated by '|': test names as the harness prints them
 * (fixture.variant.test), kernel log lines, and marks ("test NAME",
 * "compare SCENARIO LABEL PATH", "fuzz seed N PATH", "tool WHAT").
 * @reproducer names the standalone program of selftests/reproducers/ that
 * shows the bug without the suite (Documentation/reproducers.rst has its
 * report); NULL where there is none, and the entry says why.
 *
 * Used by the suite, known_bug.c (for the shell tests) and kernel_log.c.
 */
#ifndef HMM_DAX_KNOWN_BUGS_H
#define HMM_DAX_KNOWN_BUGS_H

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "hmm_dax_helpers.h"

#define HMM_DAX_KV(major, minor)	((major) << 8 | (minor))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct hmm_dax_known_bug {
	const char *id;
	const char *fix;	/* subject of the fixing commit, or NULL */
	const char *commit;	/* its mainline commit, where known */
	unsigned int from;	/* first affected release */
	unsigned int fixed;	/* first release with the fix, 0 if none */
	const char *symptom;
	const char *tests;	/* tests expected to fail, or NULL */
	const char *report;	/* what it prints in the kernel log, or NULL */
	const char *triggers;	/* what makes it print that */
	const char *reproducer;	/* selftests/reproducers/ program, or NULL */
};

static const struct hmm_dax_known_bug hmm_dax_known_bugs[] = {
	/*
	 * Measured here (mirror.devdax_1g.mprotect_readonly and
	 * `hmm-dax compare --scenario mprotect` on the 1 GiB device-dax
	 * node): Debian's 6.1.0-56 sends no notification and leaves the
	 * mirror's writable 1 GiB leaf stale, the CPU's next access faults
	 * the unit in again; 6.12.117 and 7.2.13 send PROTECTION_VMA and keep
	 * a read-only 1 GiB leaf.  Before the fix change_pud_range() had no
	 * huge-PUD case and cleared a DAX PUD as a bad entry: 6.1.0-57 logs
	 * "bad pud" (mm/pgtable-generic.c) as it does.  The fix is
	 * patch 7/7 of Peter Xu's "mm/mprotect: fix dax puds" series (v5,
	 * August 2024, merged for 6.12-rc1); it names a00cc7d9dd93 ("mm,
	 * x86: add support for PUD-sized transparent hugepages", 4.11) as
	 * the bug's origin and carries no stable tag: no 6.1.y backport.
	 */
	{
		.id = "mprotect-dax-pud",
		.fix = "mm/mprotect: fix dax pud handlings",
		.commit = "cb0f01beb166",
		.from = HMM_DAX_KV(4, 11),
		.fixed = HMM_DAX_KV(6, 12),
		.symptom = "mprotect() clears a 1 GiB device-dax leaf without an invalidation",
		.tests = "mirror.devdax_1g.mprotect_readonly",
		.report = "*bad pud*",
		.triggers = "test mirror.devdax_1g.mprotect_readonly|compare mprotect devdax-1G *",
		.reproducer = "mprotect-dax-pud",
	},
	/*
	 * From the public record, not measured here (no 6.15 or 6.16
	 * kernel in Debian): "device/dax: properly refcount device dax
	 * pages when mapping" (6.15) maps device-dax PUDs without the devmap
	 * bit, while hmm_vma_walk_pud() still asked for pud_devmap(), so
	 * hmm_range_fault() no longer reports 1 GiB device-dax leaves at
	 * PUD order.  Alistair Popple's "mm: convert pXd_devmap checks to
	 * vma_is_dax" (patch 1/14 of "mm: Remove pXX_devmap callers", v3,
	 * June 2025, after 6.16-rc1) drops the condition; 7.2.13's mm/hmm.c
	 * tests pud_leaf() alone and reports PUD leaves (measured).
	 */
	{
		.id = "hmm-pud-devmap",
		.fix = "mm: convert pXd_devmap checks to vma_is_dax",
		.commit = NULL,
		.from = HMM_DAX_KV(6, 15),
		.fixed = HMM_DAX_KV(6, 17),
		.symptom = "hmm_range_fault() reports a 1 GiB device-dax leaf below PUD order",
		.tests = "mirror.devdax_1g.leaf_level",
		.reproducer = NULL,
	},
	/*
	 * Measured here on 6.1.0-56, 6.12.117, 7.2.13 and the 6.12 debug
	 * kernel: mremap() of a 1 GiB device-dax leaf logs "bad pud" from
	 * mm/pgtable-generic.c (the move finds a huge PUD where it expects
	 * a table, and clears it).  7.2.13 also leaves the mm's count of
	 * file pages 262144 (1 GiB) too high, and logs "BUG: Bad rss-counter
	 * state ... MM_FILEPAGES val:262144" when the process exits: for
	 * `hmm-dax compare`, after its last scenario on the target.
	 * `hmm-dax compare` prints the lines with the mremap scenario on
	 * devdax-1G, whose views then agree.  In one
	 * full make check on 6.1, mirror.devdax_1g.mremap then read other
	 * bytes through the device than through the CPU (0xfa against 0xd0
	 * at one address, pfns equal); ten runs of it alone passed.  No
	 * upstream fix is known to hmm-dax.
	 */
	{
		.id = "mremap-dax-pud",
		.fix = NULL,
		.commit = NULL,
		.from = HMM_DAX_KV(6, 1),
		.fixed = 0,
		.symptom = "mremap() of a 1 GiB device-dax leaf clears it as a bad PUD",
		.report = "*bad pud*|*BUG: Bad rss-counter state*type:MM_FILEPAGES val:262144*",
		.triggers = "test mirror.devdax_1g.mremap|compare * devdax-1G *",
		.reproducer = "mremap-dax-pud",
	},
	/*
	 * Measured here on 6.1.0-57 (not on 6.12.117 or 7.2.13):
	 * reflink.fsdax.clone_cpu_write, a CPU write to a FICLONEd DAX file
	 * on xfs, logs "WARNING: ... at fs/dax.c:380 dax_insert_entry" and
	 * "... at fs/dax.c:404 dax_disassociate_entry": 6.1 keeps one
	 * page->mapping per DAX page, and a page two files share trips
	 * dax_associate_entry()'s WARN_ON_ONCE(page->mapping).  The test's
	 * checks pass.  Shiyang Ruan's series "fsdax,xfs: fix warning
	 * messages" (v2.2, December 2022, merged for 6.2) introduces a
	 * share count for such pages; its first patch is named below.
	 */
	{
		.id = "fsdax-reflink-mapping",
		.fix = "fsdax: introduce page->share for fsdax in reflink mode",
		.commit = "169004265860",
		.from = HMM_DAX_KV(6, 1),
		.fixed = HMM_DAX_KV(6, 2),
		.symptom = "a write to a reflinked fsdax file warns in dax_associate_entry()",
		.report = "*WARNING:*at fs/dax.c:* dax_[di]*_entry+*",
		.triggers = "test reflink.fsdax.*|compare reflink-cow *",
		.reproducer = "fsdax-reflink-mapping",
	},
	/*
	 * Found here by `hmm-dax fuzz` on 6.1.0-57, then measured alone:
	 * MADV_COLD or MADV_PAGEOUT over a 2 MiB DAX leaf (device-dax, and
	 * fsdax on ext4 and xfs) logs "bad pmd" (mm/pgtable-generic.c) and
	 * clears the PMD with no mmu notification, so a mirror's leaf goes
	 * stale (the CPU's next access faults the unit in again).  6.12.117
	 * and 7.2.13 log nothing and keep the leaf.  In 6.1
	 * madvise_cold_or_pageout_pte_range() tests pmd_trans_huge(), false
	 * for a devmap PMD, then pmd_trans_unstable(), whose
	 * pmd_none_or_trans_huge_or_clear_bad() does not know devmap PMDs
	 * and calls pmd_clear_bad().  Hugh Dickins's series "mm: allow
	 * pte_offset_map[_lock]() to fail" (6.5) replaced that check: from
	 * it, __pte_offset_map() leaves devmap PMDs alone.
	 */
	{
		.id = "madvise-cold-dax-pmd",
		.fix = "mm/madvise: clean up pte_offset_map_lock() scans",
		.commit = NULL,
		.from = HMM_DAX_KV(5, 4),
		.fixed = HMM_DAX_KV(6, 5),
		.symptom = "MADV_COLD and MADV_PAGEOUT clear a 2 MiB DAX leaf as a bad PMD",
		/* ext4 and xfs, where the files have 2 MiB extents */
		.tests = "mirror.[ex]*.madvise_cold|mirror.devdax_2m.madvise_cold",
		.report = "*bad pmd*",
		.triggers = "test mirror.*.madvise_cold|fuzz *",
		.reproducer = "madvise-cold-dax-pmd",
	},
	/*
	 * Seen once, in the debug lane (6.12.117 with KASAN and lockdep,
	 * whose slowness widens races): mirror.devdax_1g.concurrent, where
	 * mirrors fault a 1 GiB device-dax unit in while other threads
	 * MADV_DONTNEED pieces of it, logged "bad pud ...(82000002000000a7)".
	 * Suspected race, read in 6.12's and 7.2's zap_pud_range(): under
	 * mmap_read_lock it tests pud_trans_huge()/pud_devmap() (false: the
	 * PUD is empty), a concurrent fault installs the huge PUD, then
	 * pud_none_or_clear_bad() finds a leaf where it expects a table and
	 * clears it, with no mmu notification.  The PMD level has
	 * pmd_none_or_trans_huge_or_clear_bad() for that race; the PUD
	 * level has no such test (7.3's zap_pud_range() is the same).
	 * Measured again on 7.3.4 without debug options, in one make check:
	 * mirror.devdax_1g.concurrent through
	 * hmm_range_fault_unlocked_timeout() logged the "bad pud" and, when
	 * the test's process exited, "BUG: Bad rss-counter state ...
	 * MM_FILEPAGES val:262144": the cleared PUD's 1 GiB was never
	 * uncounted, as with mremap-dax-pud.  Its reproducer, with the CPU
	 * alone, logs "bad pud" within 20 s on 6.1.0-57, 6.12.117, 7.2.13 and
	 * 7.3.4.  No fix known to hmm-dax.
	 */
	{
		.id = "zap-dax-pud-race",
		.fix = NULL,
		.commit = NULL,
		.from = HMM_DAX_KV(4, 11),
		.fixed = 0,
		.symptom = "a zap racing a 1 GiB device-dax fault clears the new PUD as bad",
		.report = "*bad pud*|*BUG: Bad rss-counter state*type:MM_FILEPAGES val:262144*",
		.triggers = "test mirror.devdax_1g.concurrent",
		.reproducer = "zap-dax-pud-race",
	},
	/*
	 * Measured here on 6.1.0-57, 6.12.117 and 7.2.13: a file of a
	 * device-dax node (an open descriptor, or a mapping) that is still
	 * open when the device is unbound and bound again, and is closed
	 * after that, leaves the node failing every open() with ENXIO
	 * until the next unbind and bind.  Suspected: dev_dax_probe()
	 * re-initialises the same struct cdev (cdev_init() and cdev_add()
	 * on the dax inode's i_cdev), and the old file's release puts a
	 * reference of the old cdev on the new one.  No upstream fix is
	 * known to hmm-dax; the suite closes every file of a node before
	 * binding it again.
	 */
	{
		.id = "devdax-rebind-open",
		.fix = NULL,
		.commit = NULL,
		.from = HMM_DAX_KV(6, 1),
		.fixed = 0,
		.symptom = "a device-dax file closed after a rebind makes the node fail to open",
		.reproducer = "devdax-rebind-open",
	},
	/*
	 * Measured here on 6.1.0-56, 6.12.117 and 7.2.13: reading
	 * /proc/PID/pagemap over a 1 GiB device-dax leaf reports it not
	 * present and zaps it (pagemap's walker has no pud_entry and splits
	 * the PUD).  No upstream fix: libhmmdax's oracle tests for it
	 * (hmm_dax_pagemap_perturbs()) and never reads pagemap over the range
	 * it measures.
	 */
	{
		.id = "pagemap-dax-pud",
		.fix = NULL,
		.commit = NULL,
		.from = HMM_DAX_KV(4, 11),
		.fixed = 0,
		.symptom = "reading /proc/PID/pagemap over a 1 GiB device-dax leaf zaps it",
		.reproducer = "pagemap-dax-pud",
	},
	/*
	 * Measured here on 7.2.13 and 7.3.4 (poison.*.madv_hwpoison, and
	 * its reproducer): MADV_HWPOISON of one page of a 2 MiB fsdax
	 * mapping marks the head of the 2 MiB folio, not the page, so a
	 * device loses all 512 pages; 6.1.0-57 and 6.12.117 mark the page
	 * alone.  mf_generic_kill_procs() calls SetPageHWPoison() on
	 * &pfn_folio(pfn)->page in all four; fsdax pages became large
	 * folios in 6.15 ("fs/dax: properly refcount fs dax pages").  The
	 * test accepts either unit and reports which (no fix known).
	 */
	{
		.id = "hwpoison-fsdax-head",
		.fix = NULL,
		.commit = NULL,
		.from = HMM_DAX_KV(6, 15),
		.fixed = 0,
		.symptom = "MADV_HWPOISON of one fsdax page marks the head of its 2 MiB folio",
		.reproducer = "hwpoison-fsdax-head",
	},
	/*
	 * Measured here on 6.1.0-57 (reflink.pagecache.*): writeback at
	 * FICLONE of a page-cache file written with write() notifies once
	 * per 4 KiB page (1024 PROTECTION_PAGE for 4 MiB); 6.12.117 and
	 * 7.2.13 once per large folio (4 of 1 MiB).  A cost, not a
	 * corruption: 6.1's buffered write path makes order-0 folios; "iomap:
	 * create large folios in the buffered write path" (6.6) changed it
	 * (read in the sources, not bisected).
	 */
	{
		.id = "ficlone-writeback-per-page",
		.fix = "iomap: create large folios in the buffered write path",
		.commit = NULL,
		.from = HMM_DAX_KV(5, 4),
		.fixed = HMM_DAX_KV(6, 6),
		.symptom = "writeback at FICLONE notifies once per 4 KiB page",
		.reproducer = "ficlone-writeback-per-page",
	},
};

/* Whether @s matches one of the '|'-separated shell patterns of @list. */
static inline bool hmm_dax_pattern_match(const char *list, const char *s)
{
	char pat[256];
	const char *p = list, *bar;
	size_t n;

	while (p && *p) {
		bar = strchr(p, '|');
		n = bar ? (size_t)(bar - p) : strlen(p);
		if (n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = 0;
			if (!fnmatch(pat, s, 0))
				return true;
		}
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/*
 * The running kernel's release as HMM_DAX_KV(), or 0 if unreadable.
 * $HMM_DAX_RELEASE ("X.Y") stands for it where set: to read a log saved
 * on another kernel, and for the host tests of the table.
 */
static inline unsigned int hmm_dax_running_kv(void)
{
	const char *release = getenv("HMM_DAX_RELEASE");
	unsigned int major, minor;
	struct utsname u;

	if (!release || !*release)
		release = uname(&u) ? "" : u.release;
	if (sscanf(release, "%u.%u", &major, &minor) != 2)
		return 0;
	return HMM_DAX_KV(major, minor);
}

/* Whether the running kernel is one @b is about. */
static inline bool hmm_dax_known_bug_kernel(const struct hmm_dax_known_bug *b)
{
	unsigned int kv = hmm_dax_running_kv();

	return kv >= b->from && (!b->fixed || kv < b->fixed);
}

/*
 * hmm_dax_known_bug() - the entry @id if its tests are expected to fail on
 * the running kernel: it has a fix and the kernel is older than that fix.
 * NULL otherwise.
 */
static inline const struct hmm_dax_known_bug *hmm_dax_known_bug(const char *id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hmm_dax_known_bugs); i++) {
		const struct hmm_dax_known_bug *b = &hmm_dax_known_bugs[i];

		if (strcmp(b->id, id))
			continue;
		if (!b->fix || !hmm_dax_known_bug_kernel(b))
			return NULL;
		return b;
	}
	return NULL;
}

/* The entry that expects test @name to fail on the running kernel, or NULL. */
static inline const struct hmm_dax_known_bug *
hmm_dax_known_bug_of_test(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hmm_dax_known_bugs); i++) {
		const struct hmm_dax_known_bug *b = &hmm_dax_known_bugs[i];

		if (b->tests && hmm_dax_pattern_match(b->tests, name) &&
		    hmm_dax_known_bug(b->id))
			return b;
	}
	return NULL;
}

/*
 * The entry that accounts for kernel report @line, printed while the mark
 * @trigger was the last one in the log, on the running kernel; or NULL.
 */
static inline const struct hmm_dax_known_bug *
hmm_dax_known_report(const char *trigger, const char *line)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hmm_dax_known_bugs); i++) {
		const struct hmm_dax_known_bug *b = &hmm_dax_known_bugs[i];

		if (b->report && hmm_dax_pattern_match(b->report, line) &&
		    hmm_dax_pattern_match(b->triggers, trigger) &&
		    hmm_dax_known_bug_kernel(b))
			return b;
	}
	return NULL;
}

#endif /* HMM_DAX_KNOWN_BUGS_H */
