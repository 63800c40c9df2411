// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax opencl: a real device's view of the same range.  For each target
 * and scenario an OpenCL kernel checksums every page through buffers over
 * the mapping, and the checksums are compared with the CPU's and with
 * reads through the hmm-dax mirror, before and after the scenario's change
 * (the opencl bodies of scenarios.c, the view of opencl_view.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "opencl.h"

/* Every chosen scenario on one target: 0, or exit 2 on an error. */
static int opencl_target(struct opencl *cl, struct hmm_dax_ctx *monitor,
			 const char *path, const struct opts *o,
			 const unsigned int *which, unsigned int ns,
			 unsigned int *diverged)
{
	struct run proto = { .monitor = monitor, .device = o->device,
			     .entry = o->entry };
	struct target t;
	unsigned int s;
	enum verdict v;
	char label[16];
	int ret;

	ret = target_open(&t, path, o->size);
	if (ret) {
		target_close(&t);
		return ret;
	}
	proto.t = &t;
	target_label(&t, label, sizeof(label));
	out_open_object(NULL);
	out_str("target", "target %s", t.path);
	out_str("label", " (%s", label);
	out_str("kind", ", %s)", t.kind_name);
	out_u64("size", ", %llu bytes\n", t.size);
	ret = ocl_run_new(&proto.ocl, cl, t.size / PAGE);
	out_open_array("scenarios");
	for (s = 0; s < ns && !ret; s++) {
		out_progress("[%s %u/%u] %s ...", label, s + 1, ns,
			     scenarios[which[s]].name);
		v = run_scenario(&proto, &scenarios[which[s]], NULL);
		if (v == V_ERROR)
			ret = HMM_DAX_EXIT_ERROR;
		*diverged += v == V_DIVERGE;
	}
	out_close_array();
	if (!ret)
		ocl_print_buffers(proto.ocl);
	out_close_object();
	ocl_run_free(proto.ocl);
	target_close(&t);
	return ret;
}

int cmd_opencl(const struct opts *o, int argc, char **argv)
{
	unsigned int which[NR_SCENARIOS], ns, diverged = 0;
	struct hmm_dax_ctx *monitor;
	struct opencl *cl;
	int i, ret;

	ret = scenario_select(o->scenario, BODY_OPENCL, which, &ns);
	if (ret)
		return ret;
	ret = open_ctx(&monitor, o->device);
	if (ret)
		return ret;
	out_str("entry_point", "entry point: %s\n", hmm_dax_entry_str(o->entry));
	ret = ocl_open(&cl, o->cl_device);
	out_open_array("targets");
	for (i = 0; i < argc && !ret; i++)
		ret = opencl_target(cl, monitor, argv[i], o, which, ns,
				    &diverged);
	out_close_array();
	ocl_close(cl);
	hmm_dax_close(monitor);
	if (ret)
		return ret;
	out_str("verdict", "\nverdict: %s\n", diverged ? "diverge" : "agree");
	return diverged ? HMM_DAX_EXIT_DIVERGE : HMM_DAX_EXIT_AGREE;
}
