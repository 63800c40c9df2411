#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# render-device.py DEVICE.jinja2 JOB.yaml TEMPLATES OUT.yaml
#
# The device dictionary lava-run needs, rendered as a LAVA server renders
# one for a job: the device file (which extends a device type of
# TEMPLATES, LAVA's device-types directory) through a sandboxed Jinja2
# environment that trims blocks, with the job's context as its variables.
# The result must be YAML.

import os
import sys

import yaml
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: render-device.py DEVICE.jinja2 JOB.yaml TEMPLATES OUT.yaml")
    device, job, templates, out = sys.argv[1:]
    with open(job) as f:
        context = (yaml.safe_load(f) or {}).get("context", {})
    env = SandboxedEnvironment(
        loader=FileSystemLoader([os.path.dirname(os.path.abspath(device)),
                                 templates]),
        trim_blocks=True, autoescape=False)
    text = env.get_template(os.path.basename(device)).render(**context)
    yaml.safe_load(text)
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
