// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log, read from /dev/kmsg from where a command started: the
 * records that say the kernel itself found something wrong ("bad pud", a
 * WARNING, a BUG; hmm_dax_is_kernel_report()) are printed with what ran
 * meanwhile.  They are the kernel's findings, not divergences.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hmm-dax.h"

static int kmsg_fd = -1;

/* Start reading the log at its end; without /dev/kmsg nothing is read. */
void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

void kmsg_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

/* The next record's message, in @rec; 0 when there is none. */
static int kmsg_next(char *rec, size_t len, char **msg)
{
	char *nl;
	ssize_t n;

	while (kmsg_fd >= 0) {
		n = read(kmsg_fd, rec, len - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			return 0;
		rec[n] = 0;
		*msg = strchr(rec, ';');
		if (!*msg)
			continue;
		(*msg)++;
		nl = strchr(*msg, '\n');
		if (nl)
			*nl = 0;
		return 1;
	}
	return 0;
}

/*
 * Read the kernel's new log records ("kernel_log"): print the ones that
 * report something wrong, and copy the last one holding @what (may be
 * NULL) into @line.  Returns how many reported something wrong.
 */
unsigned int kmsg_scan(const char *what, char *line, size_t len)
{
	unsigned int found = 0;
	char rec[2048], *msg;

	out_open_array("kernel_log");
	while (kmsg_next(rec, sizeof(rec), &msg)) {
		if (what && strstr(msg, what))
			snprintf(line, len, "%s", msg);
		if (!hmm_dax_is_kernel_report(msg))
			continue;
		out_str(NULL, "    kernel: %s\n", msg);
		found++;
	}
	out_close_array();
	return found;
}
