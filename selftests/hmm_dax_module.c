// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_module - the module: its device nodes, the commands it refuses,
 * its debug knobs, and its unload and reload
 *
 * module.unload_reload unloads hmm_dax.ko and loads it again
 * ($HMM_DAX_KO): this program runs after every other but hmm_dax_poison
 * (SUITE_PROGS of selftests/suite.mk).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/wait.h>

#include "hmm_dax_util.h"

/* Path of /dev/hmm_dax<i>. */
static void hmm_dax_node(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "/dev/hmm_dax%u", i);
}

/* module: the device nodes and the life cycle of the module. */
FIXTURE(module) {
	const char *ko;
};

FIXTURE_SETUP(module)
{
	HMM_DAX_MARK();
	if (access("/sys/module/hmm_dax", F_OK))
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	self->ko = getenv("HMM_DAX_KO");
}

FIXTURE_TEARDOWN(module)
{
}

/* Every /dev/hmm_dax<N> is a character device of mode 0600. */
TEST_F(module, device_nodes)
{
	char node[32];
	struct stat st;
	unsigned int i;

	for (i = 0; i < HMM_DAX_NR_DEVICES; i++) {
		hmm_dax_node(node, sizeof(node), i);
		ASSERT_EQ(0, stat(node, &st)) TH_LOG("%s: %s", node,
						     strerror(errno));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600, st.st_mode & 07777);
	}
	hmm_dax_node(node, sizeof(node), HMM_DAX_NR_DEVICES);
	EXPECT_NE(0, access(node, F_OK));
}

/* A command the driver does not know gets -ENOTTY. */
TEST_F(module, unknown_ioctl)
{
	int fd = open("/dev/hmm_dax0", O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(HMM_DAX_IOC_TYPE, 0xff, __u64), NULL));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/* A mirror file used from another mm gets -EPERM. */
TEST_F(module, other_mm)
{
	int fd = open("/dev/hmm_dax0", O_RDWR);
	int status;
	pid_t pid;

	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int ret = ioctl(fd, _IOWR(HMM_DAX_IOC_TYPE, 0xff, __u64), NULL);

		_exit(ret == -1 && errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(fd);
}

/* Whether a kernel log record holds @what. */
static bool kernel_log_has(const char *what)
{
	char rec[2048];
	bool found = false;
	ssize_t n;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return false;
	do {
		/* EPIPE: records were overwritten; read on from the oldest */
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = 0;
			found = strstr(rec, what);
		}
	} while (!found && (n > 0 || (n < 0 && errno == EPIPE)));
	close(fd);
	return found;
}

/* The kernel's taint flags (/proc/sys/kernel/tainted). */
static unsigned long kernel_tainted(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

#define TAINT_TEST_BIT	0x40000UL	/* 1 << TAINT_TEST (18), "N" */

/*
 * The debug knobs take only what they document (fault_inject's bits,
 * inject_delay_ms up to 1000), and setting one warns and taints the kernel
 * (TAINT_TEST), so that they cannot hurt a machine unnoticed.
 */
TEST_F(module, knobs)
{
	if (access(HMM_DAX_INJECT_PARAM, W_OK) || access(RACE_PARAM, W_OK))
		HMM_DAX_SKIP(return, "no writable hmm_dax parameters");
	EXPECT_EQ(-EINVAL, sysfs_write(HMM_DAX_INJECT_PARAM, "0x40"));
	EXPECT_EQ(-EINVAL, sysfs_write(HMM_DAX_INJECT_PARAM, "-1"));
	EXPECT_EQ(-EINVAL, sysfs_write(RACE_PARAM, "1001"));
	EXPECT_EQ(0, sysfs_write(HMM_DAX_INJECT_PARAM, "0"));
	EXPECT_EQ(0, hmm_dax_fault_inject());
	EXPECT_EQ(0, sysfs_write(RACE_PARAM, "1"));
	EXPECT_EQ(0, sysfs_write(RACE_PARAM, "0"));
	EXPECT_NE(0, kernel_tainted() & TAINT_TEST_BIT)
		TH_LOG("tainted %#lx: no TAINT_TEST after a knob was set",
		       kernel_tainted());
	EXPECT_TRUE(kernel_log_has("misbehaves on purpose"))
		TH_LOG("no warning in the kernel log");
}

static int hmm_dax_nodes_present(void)
{
	char node[32];
	unsigned int i;
	int n = 0;

	for (i = 0; i < HMM_DAX_NR_DEVICES; i++) {
		hmm_dax_node(node, sizeof(node), i);
		n += !access(node, F_OK);
	}
	return n;
}

/*
 * An open file pins the module; once closed, the module unloads leaving no
 * node, sysfs or debugfs entry behind, and loads again.
 */
TEST_F(module, unload_reload)
{
	int fd, kofd;

	if (!self->ko)
		HMM_DAX_SKIP(return, "HMM_DAX_KO not set: run under hmm-dax-vm");
	kofd = open(self->ko, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(kofd, 0) TH_LOG("%s: %s", self->ko, strerror(errno));

	fd = open("/dev/hmm_dax1", O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_NE(0, syscall(SYS_delete_module, "hmm_dax", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);

	ASSERT_EQ(0, syscall(SYS_delete_module, "hmm_dax", O_NONBLOCK))
		TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_EQ(0, hmm_dax_nodes_present());
	EXPECT_NE(0, access("/sys/module/hmm_dax", F_OK));
	EXPECT_NE(0, access("/sys/class/misc/hmm_dax0", F_OK));
	EXPECT_NE(0, access("/sys/kernel/debug/hmm_dax", F_OK));

	ASSERT_EQ(0, syscall(SYS_finit_module, kofd, "", 0))
		TH_LOG("finit_module: %s", strerror(errno));
	close(kofd);
	EXPECT_EQ(HMM_DAX_NR_DEVICES, hmm_dax_nodes_present());
}

TEST_HARNESS_MAIN
