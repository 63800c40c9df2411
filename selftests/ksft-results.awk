#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0
#
# ksft-results.awk - per-test results of a run_kselftest.sh output, named
# and judged by the rules KernelCI's kselftest runner documents for its
# parser (Linaro's test-definitions, automated/linux/kselftest: the
# nested-TAP parse-output.py), one "NAME RESULT" a line:
#
#  - A test is a line "ok N DESCRIPTION" or "not ok N DESCRIPTION" at some
#    depth: run_kselftest.sh prefixes each line of a test program's output
#    with "# ", so a program's own TAP is one level deeper than the
#    runner's "ok N selftests: COLLECTION: PROGRAM".
#  - The description ends at the first "#"; what follows is the directive.
#    RESULT is "fail" for "not ok", "skip" for "ok" with a SKIP directive,
#    "pass" for any other "ok" (an XFAIL directive is a pass).
#  - A test's name: its description with a leading "selftests:" dropped,
#    "[NNN]" removed, every run of characters other than letters, digits,
#    "_" and "-" made one "_", and leading or trailing "_" trimmed; a
#    skipped test keeps the words of its SKIP reason in its name.  A test
#    nested in another is named "PARENT_CHILD", and is listed before it.
#  - A name seen before gets "_dupN" (the Nth time it appears).
#
# With -v bare=1 a skipped test's name leaves its reason out, so that the
# same test can be matched across runs whose skip reasons differ.  Used by
# scripts/kselftest-check.sh and scripts/lava.sh to set the results of the
# kselftest collection beside make check's (ksft-compare.sh).

function slug(s) {
	gsub(/\[[0-9]+\]/, "", s)
	gsub(/[^A-Za-z0-9_-]+/, "_", s)
	gsub(/^_+|_+$/, "", s)
	gsub(/_-/, "__", s)
	return s
}

# one test line at depth d: its name and result, its children named
function test_line(d, line,    ok, desc, dir, name, result, i, n, c) {
	ok = line !~ /^not ok/
	sub(/^(not )?ok [0-9]+ */, "", line)
	desc = line
	dir = ""
	if ((i = index(line, "#")) > 0) {
		desc = substr(line, 1, i - 1)
		dir = substr(line, i + 1)
		sub(/^[ \t]+/, "", dir)
	}
	sub(/[ \t]+$/, "", desc)
	sub(/^selftests:/, "", desc)
	result = ok ? "pass" : "fail"
	if (ok && toupper(substr(dir, 1, 4)) == "SKIP") {
		result = "skip"
		if (!bare)
			desc = desc " " substr(dir, 5)
	}
	name = slug(desc)
	if (name == "")
		name = "unknown"
	# the children, gathered since this test's previous sibling
	n = 0
	for (c = 1; c <= nkids[d + 1]; c++) {
		kid_name[d, ++n] = name "_" kname[d + 1, c]
		kid_res[d, n] = kres[d + 1, c]
	}
	nkids[d + 1] = 0
	for (c = 1; c <= n; c++) {
		kname[d, ++nkids[d]] = kid_name[d, c]
		kres[d, nkids[d]] = kid_res[d, c]
	}
	kname[d, ++nkids[d]] = name
	kres[d, nkids[d]] = result
}

{
	line = $0
	sub(/\r$/, "", line)
	for (d = 0; line !~ /^(not )?ok [0-9]+/ && line ~ /^#/; d++)
		sub(/^# ?/, "", line)
	if (line ~ /^(not )?ok [0-9]+( |$)/)
		test_line(d, line)
}

END {
	for (c = 1; c <= nkids[0]; c++) {
		name = kname[0, c]
		if (seen[name]++)
			name = name "_dup" seen[name]
		print name, kres[0, c]
	}
}
