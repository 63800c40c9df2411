// SPDX-License-Identifier: GPL-2.0
/*
 * known_bug - the table of known_bugs.h for shell tests.
 *
 *   known_bug ID     exit 0 and print the XFAIL reason if the known bug ID
 *                    applies to the running kernel, else exit 1
 *   known_bug --list print the table, one entry per line
 *   known_bug --applies
 *                    the entries that apply to the running kernel: ID, a
 *                    tab and the XFAIL reason, one per line
 *
 * Exit 2 on a usage error or an ID the table does not have.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "known_bugs.h"

#define NBUGS ARRAY_SIZE(hmm_dax_known_bugs)

static void print_kv(unsigned int kv)
{
	if (kv)
		printf("%u.%u", kv >> 8, kv & 0xff);
	else
		printf("-");
}

static void print_reason(const struct hmm_dax_known_bug *b)
{
	printf("known kernel bug: %s (fixed by \"%s\", %u.%u)\n", b->symptom,
	       b->fix, b->fixed >> 8, b->fixed & 0xff);
}

int main(int argc, char **argv)
{
	const struct hmm_dax_known_bug *b;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: known_bug ID | --list\n");
		return 2;
	}
	if (!strcmp(argv[1], "--applies")) {
		for (i = 0; i < NBUGS; i++) {
			b = hmm_dax_known_bug(hmm_dax_known_bugs[i].id);
			if (b) {
				printf("%s\t", b->id);
				print_reason(b);
			}
		}
		return 0;
	}
	if (!strcmp(argv[1], "--list")) {
		for (i = 0; i < NBUGS; i++) {
			b = &hmm_dax_known_bugs[i];
			printf("%s\t", b->id);
			print_kv(b->from);
			printf("\t");
			print_kv(b->fixed);
			printf("\t%s\t%s\n", b->fix ? b->fix : "(no fix)",
			       b->symptom);
		}
		return 0;
	}
	for (i = 0; i < NBUGS; i++)
		if (!strcmp(hmm_dax_known_bugs[i].id, argv[1]))
			break;
	if (i == NBUGS) {
		fprintf(stderr, "known_bug: no entry '%s'\n", argv[1]);
		return 2;
	}
	b = hmm_dax_known_bug(argv[1]);
	if (!b)
		return 1;
	print_reason(b);
	return 0;
}
