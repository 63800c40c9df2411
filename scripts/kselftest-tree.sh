#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kselftest-tree.sh KDIR [OBJTREE TARBALL]
#
# make kselftest-tree KDIR=PATH: place the suite in the kernel source tree
# KDIR as tools/testing/selftests/hmm_dax/, a kselftest target like any
# other (Documentation/ci.rst):
#   Makefile          lib.mk: run_tests.sh is the test (TEST_PROGS), the
#                     programs of suite.mk and the helpers are built
#                     (TEST_GEN_PROGS_EXTENDED), module/ is built by the
#                     tree's own external-module build (TEST_GEN_MODS_DIR)
#   config, settings  the kernel options the suite needs (kselftest-merge
#                     takes them), and its timeout
#   *.c, *.h          the suite's sources, with the uapi and helper
#                     headers beside them
#   module/           hmm_dax.ko's sources, Kbuild and a Makefile
# and add hmm_dax to the default TARGETS of tools/testing/selftests/Makefile,
# so that kselftest-all, kselftest-install and kselftest-gen_tar take it.
# Run it again to update the copy; nothing else of the tree is touched.
# With OBJTREE (KDIR's build, O=) and TARBALL, also pack the collection with
# the tree's own make kselftest-gen_tar TARGETS=hmm_dax (its log beside
# TARBALL) and copy the tarball to TARBALL, a copy of the caller's own that
# a later gen_tar of the tree does not change.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

usage="usage: kselftest-tree.sh KDIR [OBJTREE TARBALL] (a kernel source tree)"
kdir=${1:?$usage}
obj=${2:-} tarball=${3:-}
[ -z "$obj" ] || [ -n "$tarball" ] || { echo "$usage" >&2; exit 2; }
sel=$kdir/tools/testing/selftests
[ -f "$sel/lib.mk" ] && [ -f "$sel/Makefile" ] ||
	{ echo "kselftest-tree: $kdir is not a kernel source tree (no tools/testing/selftests/lib.mk)" >&2; exit 2; }
grep -q 'TEST_GEN_MODS_DIR' "$sel/lib.mk" ||
	{ echo "kselftest-tree: $sel/lib.mk has no TEST_GEN_MODS_DIR (6.10 on): the module cannot be built as part of the target" >&2; exit 2; }

dst=$sel/hmm_dax
rm -rf "$dst"
mkdir -p "$dst/module/kernel"

# the suite: its programs and headers, its scripts and files
cp "$top"/selftests/hmm_dax_*.c "$top"/selftests/hmm_dax_*.h \
	"$top"/selftests/known_bugs.h "$top"/selftests/known_bug.c \
	"$top"/selftests/kernel_log.c "$top"/selftests/entry_points.c \
	"$top"/kernel/hmm_dax_uapi.h "$top"/userspace/lib/hmm_dax_helpers.h \
	"$top"/selftests/suite.mk "$top"/selftests/config \
	"$top"/selftests/settings "$dst/"
cp -p "$top"/selftests/run_tests.sh "$top"/selftests/hmm_dax_lib.sh \
	"$top"/selftests/knob_proof.sh "$dst/"
cp "$top"/selftests/tree/Makefile "$dst/Makefile"

# the module
cp "$top"/Kbuild "$dst/module/Kbuild"
cp "$top"/kernel/*.[ch] "$dst/module/kernel/"
cp "$top"/selftests/tree/module.mk "$dst/module/Makefile"

# one of the default targets
if ! grep -q '^TARGETS += hmm_dax$' "$sel/Makefile"; then
	sed -i '0,/^TARGETS += /s//TARGETS += hmm_dax\n&/' "$sel/Makefile"
fi
grep -q '^TARGETS += hmm_dax$' "$sel/Makefile" ||
	{ echo "kselftest-tree: could not add hmm_dax to the TARGETS of $sel/Makefile" >&2; exit 1; }
echo "kselftest-tree: $dst ($(find "$dst" -type f | wc -l) files); hmm_dax is one of the TARGETS"

[ -n "$obj" ] || exit 0
log=${tarball%.tar.gz}.gen_tar.log
make -s -C "$kdir" O="$obj" kselftest-gen_tar TARGETS=hmm_dax >"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; echo "kselftest-tree: kselftest-gen_tar failed (see $log)" >&2; exit 1; }
cp "$obj/kselftest/kselftest_install/kselftest-packages/kselftest.tar.gz" \
	"$tarball"
