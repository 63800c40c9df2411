// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_unbind - what only device-dax has: its device can be unbound
 * under a mirror, on the two device-dax targets (hmm_dax_target.h)
 *
 * Unbinding a mirrored device-dax node from device_dax completes (no
 * reference of the mirror holds it up), zaps every leaf with a CLEAR, and
 * the CPU's next access is SIGBUS; the node is bound again after.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "hmm_dax_target.h"

/* Fixture mirror (hmm_dax_target.h), on the device-dax targets alone. */
FIXTURE(mirror);

FIXTURE_VARIANT_ADD(mirror, devdax_2m) {
	VARIANT_DEVDAX_2M,
};

FIXTURE_VARIANT_ADD(mirror, devdax_1g) {
	VARIANT_DEVDAX_1G,
};

FIXTURE_SETUP(mirror)
{
	HMM_DAX_MARK();
	hmm_dax_target_setup(_metadata, self, variant);
}

FIXTURE_TEARDOWN(mirror)
{
	hmm_dax_target_teardown(_metadata, self);
}

/* Unbinding mirrored device-dax completes, zaps all, SIGBUSes the CPU. */
TEST_F_TIMEOUT(mirror, devdax_disable, MIRROR_TIMEOUT)
{
	struct rlimit nocore = { 0, 0 };
	struct ev_log log;
	int status, fd;
	char buf[64];
	pid_t pid;

	if (access(DEVDAX_DRIVER "/unbind", W_OK))
		HMM_DAX_SKIP(return, "%s/unbind: %s", DEVDAX_DRIVER, strerror(errno));
	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size,
			    HMM_DAX_MIRROR_WRITE, NULL));
	ASSERT_LT(0, dump_count(self->mfd, self->map, self->size));
	/* a leaked reference would make the unbind wait for ever */
	ASSERT_TRUE(pgmap_refs_balanced(_metadata, self->mfd))
		TH_LOG("not unbinding %s: it would hang", self->dax);
	ev_drain(self->mfd);

	self->unbound = true;
	ASSERT_EQ(0, sysfs_write(DEVDAX_DRIVER "/unbind", self->dax));
	/* Whether the node still opens differs by kernel: only say which. */
	fd = open(self->node, O_RDWR | O_CLOEXEC);
	TH_LOG("%s after the unbind: open %s", self->node,
	       fd >= 0 ? "succeeds" : strerror(errno));
	if (fd >= 0)
		close(fd);

	EXPECT_EQ(0, dump_count(self->mfd, self->map, self->size));
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_LE(1, ev_count(&log, HMM_DAX_EV_CLEAR, self->map, self->size));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, self->map, buf, sizeof(buf)));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		setrlimit(RLIMIT_CORE, &nocore);
		cpu_touch(self->map, SZ_4K);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("CPU access after the unbind: status %#x", status);
	EXPECT_EQ(0, dump_count(self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
}

TEST_HARNESS_MAIN
