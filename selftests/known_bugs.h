/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm-dax: the kernel bugs the suite is known to meet, with their evidence.
 *
 * A test reports "known kernel bug" (the kselftest XFAIL) only when all of
 * these hold:
 *  - the bug has a known upstream fix (@fix names the fixing commit),
 *  - the running kernel is older than that fix: from <= version < fixed,
 *  - the test saw exactly @symptom, and nothing else went wrong.
 * The same symptom on any other kernel, or any other failure on these, is
 * a plain failure.  An entry is never a way to hide a bug of hmm-dax's own:
 * each one says what was measured, on which kernels, and what the public
 * record says.  Entries without a fix describe kernel behaviour the suite
 * and the tool work around; they never turn a failure into an XFAIL.
 *
 * Used by hmm_dax_tests.c and by known_bug.c (for the shell tests).
 */
#ifndef HMM_DAX_KNOWN_BUGS_H
#define HMM_DAX_KNOWN_BUGS_H

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#define HMM_DAX_KV(major, minor)	((major) << 8 | (minor))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct hmm_dax_known_bug {
	const char *id;
	const char *fix;	/* subject of the fixing commit, or NULL */
	const char *commit;	/* its mainline commit, where known */
	unsigned int from;	/* first affected release */
	unsigned int fixed;	/* first release with the fix */
	const char *symptom;
};

static const struct hmm_dax_known_bug hmm_dax_known_bugs[] = {
	/*
	 * Measured here (mirror.devdax_1g.mprotect_readonly and
	 * `hmm-dax compare --scenario mprotect` on the 1 GiB device-dax
	 * node): Debian's 6.1.0-56 sends no notification and leaves the
	 * mirror's writable 1 GiB leaf stale, the CPU's next access faults
	 * the unit in again; 6.12.117 and 7.2.13 send PROTECTION_VMA and keep
	 * a read-only 1 GiB leaf.  Before the fix change_pud_range() had no
	 * huge-PUD case and cleared a DAX PUD as a bad entry.  The fix is
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
	},
	/*
	 * Measured here on 6.1.0-56, 6.12.117 and 7.2.13: reading
	 * /proc/PID/pagemap over a 1 GiB device-dax leaf reports it not
	 * present and zaps it (pagemap's walker has no pud_entry and splits
	 * the PUD).  No upstream fix: libhmmdax's oracle tests for it
	 * (hmm_dax_pagemap_perturbs()) and never reads pagemap over the range
	 * it measures.
	 */
	/*
	 * Measured here on 6.1.0-56, 6.12.117, 7.2.13 and the 6.12 debug
	 * kernel: mremap() of a 1 GiB device-dax leaf logs "bad pud" from
	 * mm/pgtable-generic.c (the move finds a huge PUD where it expects
	 * a table, and clears it).  `hmm-dax compare` prints the line with
	 * the mremap scenario on devdax-1G, whose views then agree.  In one
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
	},
	{
		.id = "pagemap-dax-pud",
		.fix = NULL,
		.commit = NULL,
		.from = HMM_DAX_KV(4, 11),
		.fixed = 0,
		.symptom = "reading /proc/PID/pagemap over a 1 GiB device-dax leaf zaps it",
	},
};

/* The running kernel's release as HMM_DAX_KV(), or 0 if unreadable. */
static inline unsigned int hmm_dax_running_kv(void)
{
	unsigned int major, minor;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return HMM_DAX_KV(major, minor);
}

/*
 * hmm_dax_known_bug() - the entry @id if it applies to the running kernel:
 * it has a fix and the kernel is older than that fix.  NULL otherwise.
 */
static inline const struct hmm_dax_known_bug *hmm_dax_known_bug(const char *id)
{
	unsigned int kv = hmm_dax_running_kv();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hmm_dax_known_bugs); i++) {
		const struct hmm_dax_known_bug *b = &hmm_dax_known_bugs[i];

		if (strcmp(b->id, id))
			continue;
		if (!b->fix || kv < b->from || kv >= b->fixed)
			return NULL;
		return b;
	}
	return NULL;
}

#endif /* HMM_DAX_KNOWN_BUGS_H */
