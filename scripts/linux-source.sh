#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# linux-source.sh DEST
#
# Copy the files hmm-dax takes from Debian's linux-source-6.12 package (the
# kselftest harness, checkpatch and its data, the kselftest runner that
# `make selftests-install` puts beside the suite, and the uapi of the
# benchmark's peer, lib/test_hmm.c) into DEST.  The tarball is
# read once; its extract is kept in the cache directory.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.sh"

dest=$1
tarball=/usr/src/linux-source-6.12.tar.xz
src=$HMM_DAX_CACHE/linux-source-6.12
files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	lib/test_hmm_uapi.h
)
# The runner keeps its layout: DEST/run_kselftest.sh, DEST/kselftest/.
runner=(
	run_kselftest.sh
	kselftest/runner.sh
	kselftest/prefix.pl
	kselftest/module.sh
	kselftest/ktap_helpers.sh
)
sel=tools/testing/selftests
all=("${files[@]}" "${runner[@]/#/$sel/}")

stamp=$(printf '%s\n' "${all[@]}")
if [ ! -f "$src/.done" ] || [ "$tarball" -nt "$src/.done" ] ||
   [ "$(cat "$src/.done")" != "$stamp" ]; then
	[ -f "$tarball" ] || { echo "linux-source: $tarball missing: run make deps" >&2; exit 1; }
	rm -rf "${src:?}"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 \
		"${all[@]/#/linux-source-6.12/}"
	echo "$stamp" >"$src/.done"
fi
mkdir -p "$dest/kselftest"
for f in "${files[@]}"; do
	cp -pu "$src/$f" "$dest/"
done
for f in "${runner[@]}"; do
	cp -pu "$src/$sel/$f" "$dest/$f"
done
