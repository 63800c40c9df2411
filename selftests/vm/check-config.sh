#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-config.sh CONFIG
#
# Whether a kernel's configuration (its .config, /boot/config-*, or
# /proc/config.gz; gzip is read as such) has every option selftests/config
# asks for, built in or as a module.  Options of a section of that file
# that starts with "# optional" are not asked for.  Prints the missing
# ones on one line and exits 1, or prints nothing and exits 0; exit 2 when
# CONFIG cannot be read.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/../config

[ $# -eq 1 ] || { echo "usage: check-config.sh CONFIG" >&2; exit 2; }
case "$1" in
*.gz) cfg=$(gzip -dc "$1") ;;
*) cfg=$(cat "$1") ;;
esac || { echo "check-config: cannot read $1" >&2; exit 2; }

missing=$(awk '
	/^# optional/ { optional = 1; next }
	/^$/ { optional = 0; next }
	!optional && /^CONFIG_[A-Z0-9_]+=[ym]$/ { sub(/=.*/, ""); print }
' "$frag" | while read -r opt; do
	grep -qE "^$opt=[ym]$" <<<"$cfg" || echo "$opt"
done)
[ -z "$missing" ] && exit 0
echo $missing
exit 1
