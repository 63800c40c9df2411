# SPDX-License-Identifier: GPL-2.0
#
# selftests/suite.mk - the hmm_dax kselftest programs, one per topic as in
# tools/testing/selftests/mm, and the header-only helpers they share
# (SUITE_HDRS): lists only, read by the top-level Makefile, by the suite's
# Makefile in a kernel tree (selftests/tree/Makefile) and by run_tests.sh.
#
# SUITE_PROGS is the order run_tests.sh runs them in (it reads this list
# from here): the environment first; then the programs that mirror, where
# hmm_dax_unbind unbinds device-dax; then reflink, reclaim and bad input;
# hmm_dax_module, which unloads and reloads the module, after all of them;
# hmm_dax_poison last, as poison stays until the guest reboots.

SUITE_PROGS := hmm_dax_environment hmm_dax_mirror hmm_dax_unbind \
	hmm_dax_invalidation hmm_dax_sync hmm_dax_file hmm_dax_races \
	hmm_dax_reflink hmm_dax_reclaim hmm_dax_bad_input hmm_dax_bad_memory \
	hmm_dax_module hmm_dax_poison

# The programs that mirror: run_tests.sh runs each through every HMM entry
# point the kernel offers (entry_points, $HMM_DAX_ENTRY).
SUITE_ENTRY_PROGS := hmm_dax_mirror hmm_dax_unbind hmm_dax_invalidation \
	hmm_dax_sync hmm_dax_file hmm_dax_races hmm_dax_reflink \
	hmm_dax_reclaim

SUITE_HDRS := selftests/hmm_dax_files.h selftests/hmm_dax_util.h \
	selftests/hmm_dax_target.h selftests/hmm_dax_bad_input.h

