#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# results.py LOG: the test cases LAVA recorded in a lava-run log (its
# "results" records, one YAML document a line), those of the hmm-dax test
# definition as "NAME RESULT", one a line, in the order LAVA got them.

import sys

import yaml


def main():
    with open(sys.argv[1]) as f:
        for line in f:
            try:
                rec = yaml.safe_load(line)
            except yaml.YAMLError:
                continue
            if not isinstance(rec, dict) or rec.get("lvl") != "results":
                continue
            msg = rec.get("msg") or {}
            if str(msg.get("definition", "")).endswith("hmm-dax"):
                print(msg.get("case"), msg.get("result"))


if __name__ == "__main__":
    main()
