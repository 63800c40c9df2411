#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kselftest-check.sh OUTDIR
#
# make kselftest-check: the suite the way KernelCI runs kselftests, on the
# kernel tree hmm-dax builds from linux-source-6.12 (the debug kernel of
# build-kernel.sh --debug, built once and cached):
#  1. place the target in the tree (kselftest-tree.sh) and pack it with the
#     tree's own make kselftest-gen_tar TARGETS=hmm_dax;
#  2. make kselftest-merge on x86_64_defconfig in a scratch objtree: the
#     merged .config must pass the suite's config check (check-config.sh);
#  3. boot that tree's kernel in the test bed (the DAX targets set up, the
#     module not loaded), unpack the tarball and run its
#     run_kselftest.sh -c hmm_dax;
#  4. name and judge every test with KernelCI's parser rules
#     (selftests/ksft-results.awk) into OUTDIR/kernelci.txt, and set them
#     beside the 6.12 suite part of the last make check
#     (build/check/6.12.log; ksft-compare.sh): every test of the one must
#     be in the other with the same result, but for a skip against a pass
#     (environment), which is listed.  Exit 1 otherwise.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

out=${1:?usage: kselftest-check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

obj=$("$here/build-kernel.sh" --debug)
src=$(readlink -f "$obj/source")
echo "kselftest-check: the tree $src, built in $obj"

start=$SECONDS
tarball=$out/kselftest.tar.gz
"$here/kselftest-tree.sh" "$src" "$obj" "$tarball"
echo "kselftest-check: $tarball ($(du -h "$tarball" | cut -f1)) in $((SECONDS - start)) s: $(tar -tzf "$tarball" | grep -c '^\(\./\)\?hmm_dax/') files of hmm_dax"

merge=$HMM_DAX_CACHE/kernel/kselftest-merge
rm -rf "$merge"
mkdir -p "$merge"
{ make -s -C "$src" O="$merge" x86_64_defconfig &&
  make -s -C "$src" O="$merge" kselftest-merge; } >"$merge/merge.log" 2>&1 ||
	{ tail -n 20 "$merge/merge.log" >&2; echo "kselftest-check: kselftest-merge failed" >&2; exit 1; }
grep -q "tools/testing/selftests/hmm_dax/config" "$merge/merge.log" ||
	{ echo "kselftest-check: kselftest-merge did not take hmm_dax/config" >&2; exit 1; }
missing=$("$top/selftests/vm/check-config.sh" "$merge/.config") ||
	{ echo "kselftest-check: the kselftest-merge .config lacks: $missing" >&2; exit 1; }
echo "kselftest-check: kselftest-merge on x86_64_defconfig took hmm_dax/config; its .config passes check-config.sh"

# The guest: the collection's own module (module/hmm_dax.ko), not the
# project's build of it (HMM_DAX_KO of the test bed).  no5lvl: as
# check-debug.sh boots this kernel.
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
cat >"$run/ksft" <<-GUEST
#!/bin/bash
set -o pipefail
unset HMM_DAX_KO
# through a pipe, as KernelCI's runner tees it
mkdir /tmp/ksft && tar -xzf "$tarball" -C /tmp/ksft && cd /tmp/ksft &&
	./run_kselftest.sh -c hmm_dax | cat
GUEST
chmod +x "$run/ksft"
start=$SECONDS
set +e
HMM_DAX_VM_APPEND="no5lvl ${HMM_DAX_VM_APPEND:-}" \
"$top/selftests/vm/hmm-dax-vm" --kernel "$obj" --no-load --add "$run" \
	--timeout 3600 -- /extra/ksft >"$out/run_kselftest.log" 2>&1
rc=$?
set -e
echo "kselftest-check: run_kselftest.sh -c hmm_dax took $((SECONDS - start)) s (boot included), exit $rc"

# the results decide, test by test, beside make check's 6.12 suite part
# (a guest that did not get to run the collection has none: all missing)
awk -f "$top/selftests/ksft-results.awk" "$out/run_kselftest.log" >"$out/kernelci.txt"
"$here/ksft-compare.sh" "$top/build/check/6.12.log" "$out/kernelci.txt" \
	kselftest-check
