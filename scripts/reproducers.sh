#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reproducers.sh OUTDIR KERNEL...
#
# make reproducers: every reproducer of selftests/reproducers/ (run.sh) in a
# guest of each KERNEL (an alias or a PATH), then one table, finding by
# kernel: present, absent, or "cannot" (the machine could not run it; the
# reason is in OUTDIR/LABEL.log).  Documentation/reproducers.rst has the
# report of each finding.  Exit 0 when every reproducer ran (whatever it
# found), 1 when a guest failed or a reproducer crashed.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

[ $# -ge 2 ] || { echo "usage: reproducers.sh OUTDIR KERNEL..." >&2; exit 2; }
out=$1
shift
mkdir -p "$out"
labels=()
bad=0
for k in "$@"; do
	label=$(kernel_label "$k")
	labels+=("$label")
	echo "reproducers: $label"
	"$top/selftests/vm/hmm-dax-vm" --kernel "$k" --timeout 900 -- \
		"$top/selftests/reproducers/run.sh" >"$out/$label.log" 2>&1 || {
		tail -n 20 "$out/$label.log" >&2
		echo "reproducers: the guest of $label failed" >&2
		bad=1
	}
done

# the table: a row per reproducer, a column per kernel
names=$(sed -n 's/^result \([^ ]*\) .*/\1/p' "$out"/*.log | awk '!seen[$0]++')
printf '%-28s' finding
printf ' %-9s' "${labels[@]}"
printf '\n'
for n in $names; do
	printf '%-28s' "$n"
	for l in "${labels[@]}"; do
		rc=$(sed -n "s/^result $n \\([0-9]*\\).*/\\1/p" "$out/$l.log" | tail -n 1)
		case $rc in
		0) v=absent ;;
		1) v=present ;;
		4) v=cannot ;;
		'') v=- ;;
		*) v="exit $rc"; bad=1 ;;
		esac
		printf ' %-9s' "$v"
	done
	printf '\n'
done
exit $bad
