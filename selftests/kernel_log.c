// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_log - account for every report in the kernel log.
 *
 *   kernel_log [FILE]
 *
 * Reads the kernel log from boot on (/dev/kmsg), or FILE (one message per
 * line, dmesg's "[ seconds] " prefix allowed), and prints each line that
 * reports something wrong (known_bugs.h: hmm_dax_is_kernel_report()) with
 * what was running when it was printed: the last "hmm-dax: WHAT" mark
 * before it ("boot" before the first).  A report is attributed when an
 * entry of known_bugs.h names it and its trigger for the running kernel
 * ($HMM_DAX_RELEASE, "X.Y", stands for it: for a log saved elsewhere).
 *
 * Exit status: 0 when every report is attributed (or there is none), 1
 * when one is not, 2 when the log cannot be read whole (records were
 * overwritten before they were read: boot with a larger log_buf_len).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "known_bugs.h"

#define MARK	"hmm-dax: "

struct scan {
	char trigger[256];
	unsigned int reports;
	unsigned int unattributed;
};

static void scan_line(struct scan *sc, const char *msg)
{
	const struct hmm_dax_known_bug *b;

	if (!strncmp(msg, MARK, strlen(MARK))) {
		snprintf(sc->trigger, sizeof(sc->trigger), "%s",
			 msg + strlen(MARK));
		return;
	}
	if (!hmm_dax_is_kernel_report(msg))
		return;
	sc->reports++;
	b = hmm_dax_known_report(sc->trigger, msg);
	printf("kernel: %s\n", msg);
	if (b) {
		printf("  during %s: known kernel bug %s (%s)\n", sc->trigger,
		       b->id, b->symptom);
	} else {
		printf("  during %s: NOT ATTRIBUTED to any known kernel bug\n",
		       sc->trigger);
		sc->unattributed++;
	}
}

/* /dev/kmsg from its first record; *@lost counts the gaps found. */
static int scan_kmsg(struct scan *sc, unsigned int *lost)
{
	char rec[8192], *msg, *nl;
	unsigned long long seq;
	bool first = true;
	ssize_t n;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			(*lost)++;	/* overwritten before it was read */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		/* the oldest record left is not the first: some were lost */
		if (first && sscanf(rec, "%*u,%llu,", &seq) == 1 && seq)
			(*lost)++;
		first = false;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		scan_line(sc, msg);
	}
	close(fd);
	return 0;
}

static int scan_file(struct scan *sc, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192], *msg, *nl;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		msg = line;
		nl = *msg == '[' ? strstr(msg, "] ") : NULL;
		if (nl)
			msg = nl + 2;
		scan_line(sc, msg);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct scan sc = { .trigger = "boot" };
	unsigned int lost = 0;
	int ret;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: kernel_log [FILE]\n");
		return 2;
	}
	ret = argc == 2 ? scan_file(&sc, argv[1]) : scan_kmsg(&sc, &lost);
	if (ret) {
		fprintf(stderr, "kernel_log: %s: %s\n",
			argc == 2 ? argv[1] : "/dev/kmsg", strerror(-ret));
		return 2;
	}
	printf("%u kernel reports, %u not attributed", sc.reports,
	       sc.unattributed);
	if (lost)
		printf("; %u records were lost before they were read", lost);
	printf("\n");
	if (lost)
		return 2;
	return sc.unattributed ? 1 : 0;
}
