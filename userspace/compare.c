// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax compare: for each target and scenario, map the target, mirror it,
 * compare the device's view with every CPU view available (pfns from
 * pagemap and from the extents, bytes), apply the scenario's change, check
 * that no stale leaf survives (dump and audit), mirror again and compare
 * again (scenarios.c, steps.c).  Every difference is a divergence, printed
 * with the address, both views and the step that saw it; the verdicts end
 * in one table, scenario by target.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/* A table cell: the verdict, the leaf levels, "*" for a kernel report. */
static void cell_text(char *buf, size_t len, const struct cell *cl)
{
	char lv[16];

	leaf_levels_text(lv, sizeof(lv), cl->levels);
	snprintf(buf, len, "%s %s%s", verdict_names[cl->v],
		 cl->v == V_NA ? "" : lv, cl->kernel_log ? " *" : "");
}

static void print_table(char labels[][16], struct cell (*cells)[NR_SCENARIOS],
			unsigned int nt, const unsigned int *which,
			unsigned int ns)
{
	unsigned int i, s, marks = 0;
	char c[32];

	out_text("\n%-17s", "scenario");
	for (i = 0; i < nt; i++)
		out_text(" %-15s", labels[i]);
	out_text("\n");
	for (s = 0; s < ns; s++) {
		out_text("%-17s", scenarios[which[s]].name);
		for (i = 0; i < nt; i++) {
			cell_text(c, sizeof(c), &cells[i][which[s]]);
			marks += !!cells[i][which[s]].kernel_log;
			out_text(" %-15s", c);
		}
		out_text("\n");
	}
	if (marks)
		out_text("%s\n",
			 "* the kernel logged a warning during the scenario (kernel: lines above)");
}

/*
 * The target's heading, its oracles, and what probing them made the
 * kernel say.
 */
static void print_target(const struct target *t, const char *label,
			 const struct oracles *or)
{
	out_str("target", "target %s", t->path);
	out_str("label", " (%s", label);
	out_str("kind", ", %s)", t->kind_name);
	out_u64("size", ", %llu bytes\n", t->size);
	print_oracles(or);
	kmsg_scan(NULL, NULL, 0);
}

struct compare {
	const struct opts *o;
	struct hmm_dax_ctx *monitor;
	unsigned int which[NR_SCENARIOS], ns;
	int named;
	unsigned int diverged, refused;
};

/* Every chosen scenario on one target, into @cells: 0 or exit 2. */
static int compare_target(struct compare *c, const char *path, char *label,
			  size_t label_len, struct cell *cells)
{
	struct run proto = { .monitor = c->monitor, .device = c->o->device,
			     .entry = c->o->entry, .named = c->named };
	const struct scenario *sc;
	struct oracles or;
	struct target t;
	unsigned int s;
	enum verdict v;
	int ret;

	ret = target_open(&t, path, c->o->size);
	if (!ret) {
		target_label(&t, label, label_len);
		ret = probe_oracles(&t, &or, c->o->device);
	}
	if (ret) {
		target_close(&t);
		return ret;
	}
	proto.t = &t;
	proto.or = &or;
	out_open_object(NULL);
	print_target(&t, label, &or);
	out_open_array("scenarios");
	for (s = 0; s < c->ns && !ret; s++) {
		sc = &scenarios[c->which[s]];
		out_progress("[%s %u/%u] %s ...", label, s + 1, c->ns, sc->name);
		v = run_scenario(&proto, sc, &cells[c->which[s]]);
		if (v == V_ERROR)
			ret = HMM_DAX_EXIT_ERROR;
		c->diverged += v == V_DIVERGE;
		c->refused += v == V_REFUSED;
	}
	out_close_array();
	out_close_object();
	hmm_dax_extents_free(or.ext);
	target_close(&t);
	return ret;
}

int cmd_compare(const struct opts *o, int argc, char **argv)
{
	struct compare c = { .o = o };
	struct cell (*cells)[NR_SCENARIOS];
	char (*labels)[16];
	int i, ret;

	ret = scenario_select(o->scenario, BODY_COMPARE, c.which, &c.ns);
	if (ret)
		return ret;
	c.named = o->scenario && strcmp(o->scenario, "all");
	ret = open_ctx(&c.monitor, o->device);
	if (ret)
		return ret;
	kmsg_open();
	out_str("entry_point", "entry point: %s\n", hmm_dax_entry_str(o->entry));
	cells = calloc(argc, sizeof(*cells));
	labels = calloc(argc, sizeof(*labels));
	if (!cells || !labels) {
		ret = out_error("out of memory");
		goto out;
	}
	out_open_array("targets");
	for (i = 0; i < argc && !ret; i++)
		ret = compare_target(&c, argv[i], labels[i], sizeof(labels[i]),
				     cells[i]);
	out_close_array();
	if (ret)
		goto out;
	print_table(labels, cells, argc, c.which, c.ns);
	/*
	 * A refusal named on its own is an environment error (exit 2): the
	 * kernel would not map what was asked.  Under "all" it is a cell.
	 */
	c.refused = c.named && c.refused;
	out_str("verdict", "\nverdict: %s\n", c.diverged ? "diverge" :
		c.refused ? "refused" : "agree");
	ret = c.diverged ? HMM_DAX_EXIT_DIVERGE :
	      c.refused ? HMM_DAX_EXIT_ERROR : HMM_DAX_EXIT_AGREE;
out:
	free(cells);
	free(labels);
	hmm_dax_close(c.monitor);
	kmsg_close();
	return ret;
}
