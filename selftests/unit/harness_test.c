// SPDX-License-Identifier: GPL-2.0
/*
 * harness_test - the rules hmm_dax_harness.h adds to the kselftest harness,
 * on the host: run.sh runs it under several $HMM_DAX_RELEASE values and
 * reads its TAP.
 *
 *   expect_then_skip     a failed EXPECT before HMM_DAX_SKIP: must fail
 *   skip_alone           HMM_DAX_SKIP with nothing failed: a skip
 *   harness_skip         a failed EXPECT before the harness's own SKIP:
 *                        the harness reports a skip, which is why the
 *                        suite uses HMM_DAX_SKIP
 *   mirror.devdax_1g.*   named by known_bugs.h: XFAIL when they fail on a
 *                        kernel an entry covers, XPASS when they pass there
 */
#define _GNU_SOURCE
#include "../hmm_dax_harness.h"

TEST(expect_then_skip)
{
	EXPECT_EQ(0, 1);
	HMM_DAX_SKIP(return, "must not hide the failure above");
}

TEST(skip_alone)
{
	HMM_DAX_SKIP(return, "nothing failed");
}

TEST(harness_skip)
{
	EXPECT_EQ(0, 1);
	SKIP(return, "the harness's SKIP hides the failure above");
}

FIXTURE(mirror) {
	int unused;
};

FIXTURE_VARIANT(mirror) {
	int unused;
};

FIXTURE_VARIANT_ADD(mirror, devdax_1g) {
	.unused = 0,
};

FIXTURE_SETUP(mirror)
{
	HMM_DAX_MARK();
}

FIXTURE_TEARDOWN(mirror)
{
}

/* known_bugs.h: mprotect-dax-pud, 4.11 to 6.12 */
TEST_F(mirror, mprotect_readonly)
{
	EXPECT_EQ(0, 1);
}

/* known_bugs.h: hmm-pud-devmap, 6.15 to 6.17 */
TEST_F(mirror, leaf_level)
{
	EXPECT_EQ(0, 0);
}

TEST_HARNESS_MAIN
