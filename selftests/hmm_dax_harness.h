/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_harness.h - what the hmm_dax kselftests add to kselftest_harness.h
 *
 * HMM_DAX_SKIP()
 *	The harness's SKIP() sets the result to "skip" whatever happened
 *	before: a failed EXPECT_*() followed by SKIP() would be reported as
 *	a skip.  HMM_DAX_SKIP() skips only a test that has not failed; one
 *	that has is left to fail, with the skip's reason logged.  The suite
 *	uses it for every skip (selftests/unit/run.sh checks that no bare
 *	SKIP() is left, and skip_test.c that the rule holds).
 *
 * HMM_DAX_MARK()
 *	At the start of each test (its fixture's set-up), write the test's
 *	name to the kernel log as "hmm-dax: test FIXTURE.VARIANT.TEST", with
 *	" (fault_inject 0xN)" when a knob is on, so that every kernel report
 *	that follows is attributed to the test that provoked it
 *	(kernel_log.c, known_bugs.h).
 *
 * Known kernel bugs
 *	The tests an entry of known_bugs.h names are registered with the
 *	harness's own XFAIL_ADD() mechanism when the entry applies to the
 *	running kernel: they report XFAIL when they fail and XPASS (a failure
 *	of the run) when they pass; on every other kernel they are plain
 *	tests.  HMM_DAX_MARK() logs the entry in such a test's output.
 */
#ifndef _HMM_DAX_HARNESS_H
#define _HMM_DAX_HARNESS_H

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "known_bugs.h"

#define HMM_DAX_SKIP(statement, fmt, ...) do {				\
	if (_metadata->exit_code == KSFT_FAIL)				\
		TH_LOG("not skipped: a check above failed");		\
	else								\
		do {							\
			SKIP(break, fmt, ##__VA_ARGS__);		\
		} while (0);						\
	statement;							\
} while (0)

/* The name the harness gives a test: FIXTURE.VARIANT.TEST or FIXTURE.TEST. */
static inline void hmm_dax_test_name(char *buf, size_t len,
				     const struct __fixture_metadata *f,
				     const struct __fixture_variant_metadata *v,
				     const struct __test_metadata *t)
{
	const char *vname = v ? v->name : "";

	snprintf(buf, len, "%s.%s%s%s", f->name, vname, *vname ? "." : "",
		 t->name);
}

/*
 * At the start of a test: mark it in the kernel log, and say which known
 * kernel bug it is expected to fail for on this kernel, if any.
 * @variant_data is the test's variant (none for a fixture without).
 */
static inline void hmm_dax_mark_test(struct __test_metadata *_metadata,
				     const void *variant_data)
{
	const struct __fixture_variant_metadata *v;
	const struct hmm_dax_known_bug *kb;
	char name[160];

	for (v = _metadata->fixture->variant; v; v = v->next)
		if (v->data == variant_data)
			break;
	hmm_dax_test_name(name, sizeof(name), _metadata->fixture, v,
			  _metadata);
	hmm_dax_mark("test %s", name);
	kb = hmm_dax_known_bug_of_test(name);
	if (kb)
		TH_LOG("expected to fail here: known kernel bug %s, %s (fix: %u.%u)",
		       kb->id, kb->symptom, kb->fixed >> 8, kb->fixed & 0xff);
}

#define HMM_DAX_MARK()	hmm_dax_mark_test(_metadata, variant)

/* Register the known kernel bugs' tests as XFAIL, once all tests are. */
static void __attribute__((constructor(KSELFTEST_PRIO_XFAIL + 1)))
hmm_dax_known_xfails(void)
{
	struct __fixture_variant_metadata *v, no_variant = { .name = "" };
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	struct __test_xfail *xf;
	char name[160];

	for (f = __fixture_list; f; f = f->next) {
		for (v = f->variant ? f->variant : &no_variant; v; v = v->next) {
			for (t = f->tests; t; t = t->next) {
				hmm_dax_test_name(name, sizeof(name), f, v, t);
				if (!hmm_dax_known_bug_of_test(name) ||
				    v == &no_variant)
					continue;
				xf = calloc(1, sizeof(*xf));
				if (!xf)
					abort();
				xf->fixture = f;
				xf->variant = v;
				xf->test = t;
				__register_xfail(xf);
			}
		}
	}
}

#endif /* _HMM_DAX_HARNESS_H */
