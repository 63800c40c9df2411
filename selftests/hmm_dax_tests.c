// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_tests - kselftest suite for the hmm_dax mirror driver
 *
 * Run in the hmm-dax guest (selftests/vm/hmm-dax-vm), which provides:
 *
 *   HMM_DAX_EXT4 ----- ext4 -o dax on a 2M-aligned fsdax namespace
 *   HMM_DAX_XFS ------ xfs -o dax (su=2m) on another
 *   HMM_DAX_DEVDAX_2M  /dev/daxX.Y aligned 2M
 *   HMM_DAX_DEVDAX_1G  /dev/daxX.Y aligned 1G
 *   HMM_DAX_KO ------- hmm_dax.ko for the running kernel (loaded)
 *
 * A test whose target is missing skips and says which.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/stat.h>

#include "kselftest_harness.h"
#include "../kernel/hmm_dax_uapi.h"

#define SZ_2M	0x200000UL
#define SZ_1G	0x40000000UL

/* Path of /dev/hmm_dax<i>. */
static void hmm_dax_node(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "/dev/hmm_dax%u", i);
}

/* A sysfs attribute of a character device, as an unsigned long. */
static int chardev_attr(const char *node, const char *attr, unsigned long *val)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *f;
	int ret;

	if (stat(node, &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(st.st_rdev), minor(st.st_rdev), attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ret = fscanf(f, "%lu", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return ret;
}

/*
 * fsdax: files on the DAX mounts are DAX (statx), and a file on tmpfs, the
 * control, is not.
 */
FIXTURE(fsdax) {
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(fsdax) {
	const char *env;	/* directory, from this variable */
	int dax;		/* expected STATX_ATTR_DAX */
};

FIXTURE_VARIANT_ADD(fsdax, ext4) {
	.env = "HMM_DAX_EXT4", .dax = 1
};

FIXTURE_VARIANT_ADD(fsdax, xfs) {
	.env = "HMM_DAX_XFS", .dax = 1
};

FIXTURE_VARIANT_ADD(fsdax, tmpfs) {
	.env = NULL, .dax = 0
};

FIXTURE_SETUP(fsdax)
{
	const char *dir = variant->env ? getenv(variant->env) : "/tmp";

	self->fd = -1;
	if (!dir)
		SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
		     variant->env);
	snprintf(self->path, sizeof(self->path), "%s/hmm-dax-env.XXXXXX", dir);
	self->fd = mkstemp(self->path);
	ASSERT_GE(self->fd, 0) TH_LOG("mkstemp %s: %s", self->path,
				      strerror(errno));
	ASSERT_EQ(0, fallocate(self->fd, 0, 0, 2 * SZ_2M));
}

FIXTURE_TEARDOWN(fsdax)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

/* The file's statx DAX attribute is what the mount promises. */
TEST_F(fsdax, statx_dax)
{
	struct statx stx;

	ASSERT_EQ(0, statx(self->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS,
			   &stx));
	if (variant->dax)
		ASSERT_TRUE(stx.stx_attributes_mask & STATX_ATTR_DAX)
			TH_LOG("kernel does not report STATX_ATTR_DAX");
	ASSERT_EQ(variant->dax, !!(stx.stx_attributes & STATX_ATTR_DAX));
}

/*
 * devdax: each node has the alignment its name claims, and the kernel holds
 * mappings to it.
 */
FIXTURE(devdax) {
	const char *node;
	int fd;
	unsigned long size;
};

FIXTURE_VARIANT(devdax) {
	const char *env;
	unsigned long align;
};

FIXTURE_VARIANT_ADD(devdax, align_2m) {
	.env = "HMM_DAX_DEVDAX_2M", .align = SZ_2M
};

FIXTURE_VARIANT_ADD(devdax, align_1g) {
	.env = "HMM_DAX_DEVDAX_1G", .align = SZ_1G
};

FIXTURE_SETUP(devdax)
{
	self->fd = -1;
	self->node = getenv(variant->env);
	if (!self->node)
		SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
		     variant->env);
	self->fd = open(self->node, O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", self->node,
				      strerror(errno));
	ASSERT_EQ(0, chardev_attr(self->node, "size", &self->size));
}

FIXTURE_TEARDOWN(devdax)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* sysfs align is the claimed one and the size is a whole number of it. */
TEST_F(devdax, align_attr)
{
	unsigned long align;

	ASSERT_EQ(0, chardev_attr(self->node, "align", &align));
	ASSERT_EQ(variant->align, align);
	ASSERT_NE(0, self->size);
	ASSERT_EQ(0, self->size % align);
}

/* One aligned unit maps and reads; a shorter length or MAP_PRIVATE does not. */
TEST_F(devdax, mmap_alignment)
{
	unsigned long len = variant->align;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %lu: %s", len, strerror(errno));
	ASSERT_EQ(0, (unsigned long)p % variant->align);
	p[len - 1] = 0x5a;	/* faults the whole aligned unit in */
	ASSERT_EQ(0x5a, p[len - 1]);
	ASSERT_EQ(0, munmap(p, len));

	p = mmap(NULL, len / 2, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, len / 2);

	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, len);
}

/* module: the device nodes and the life cycle of the module. */
FIXTURE(module) {
	const char *ko;
};

FIXTURE_SETUP(module)
{
	if (access("/sys/module/hmm_dax", F_OK))
		SKIP(return, "hmm_dax.ko is not loaded");
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
		SKIP(return, "HMM_DAX_KO not set: run under hmm-dax-vm");
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
