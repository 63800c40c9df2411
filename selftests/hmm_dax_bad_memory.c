// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_bad_memory - memory a mirror refuses, and pfns it hides, on the
 * tmpfs fixture of hmm_dax_bad_input.h
 *
 * memfd_secret() memory (EACCES), PCI peer-to-peer memory (EOPNOTSUPP),
 * ranges not wholly in readable VMAs and VM_IO/VM_PFNMAP mappings
 * (EFAULT); and the pfns of a dump, hidden from a file opened without
 * CAP_SYS_ADMIN.  Nothing is installed or copied for a refused request.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "hmm_dax_bad_input.h"

FIXTURE(bad_input);

FIXTURE_SETUP(bad_input)
{
	HMM_DAX_MARK();
	bad_input_open(_metadata, self);
}

FIXTURE_TEARDOWN(bad_input)
{
	bad_input_close(self);
}

#ifndef __NR_memfd_secret
#define __NR_memfd_secret	447
#endif

/*
 * memfd_secret() memory is not in the kernel's direct map, through which
 * the device's copies go: mirroring it, alone or as part of a range, and
 * device reads and writes of it are refused (EACCES) before anything is
 * installed or copied.
 */
TEST_F(bad_input, secretmem)
{
	char *res, *p, buf[64];
	int fd;

	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0)
		HMM_DAX_SKIP(return,
			     "memfd_secret: %s (CONFIG_SECRETMEM; 6.1 needs secretmem.enable=1)",
			     strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, 2 * SZ_4K));
	/* an anonymous page, then two secret ones */
	res = mmap(NULL, 3 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	p = mmap(res + SZ_4K, 2 * SZ_4K, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(res + SZ_4K, p) TH_LOG("mmap memfd_secret: %s",
					 strerror(errno));
	memset(res, 0x11, 3 * SZ_4K);

	EXPECT_EQ(-EACCES, mirror(self->mfd, p, 2 * SZ_4K, 0, NULL));
	EXPECT_EQ(-EACCES, mirror(self->mfd, p, SZ_4K, HMM_DAX_MIRROR_WRITE,
				  NULL));
	EXPECT_EQ(-EACCES, mirror(self->mfd, p, SZ_4K,
				  HMM_DAX_MIRROR_SNAPSHOT, NULL));
	EXPECT_EQ(-EACCES, mirror(self->mfd, res, 3 * SZ_4K, 0, NULL));
	EXPECT_EQ(0, dump_count(self->mfd, res, 3 * SZ_4K));
	memset(buf, 0x77, sizeof(buf));
	EXPECT_EQ(-EACCES, dev_read(self->mfd, p + 100, buf, sizeof(buf)));
	EXPECT_EQ(0x77, buf[0]);
	EXPECT_EQ(-EACCES, dev_write(self->mfd, p + 100, buf, sizeof(buf)));
	EXPECT_EQ(0x11, p[100]);
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
	munmap(res, 3 * SZ_4K);
	close(fd);
}

/* The allocate file of a PCI device's published peer-to-peer memory. */
static int p2pmem_open(char *name, size_t len)
{
	glob_t g;
	int fd = -1;
	size_t i;

	if (glob("/sys/bus/pci/devices/*/p2pmem/allocate", 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc && fd < 0; i++) {
		fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			snprintf(name, len, "%s", g.gl_pathv[i]);
	}
	globfree(&g);
	return fd;
}

/*
 * PCI peer-to-peer memory (an NVMe controller's memory buffer, in the test
 * bed) is ZONE_DEVICE memory of another device: a mirror refuses it
 * (EOPNOTSUPP) before anything is installed or copied.
 */
TEST_F(bad_input, p2pdma)
{
	char name[PATH_MAX], buf[64];
	int fd = p2pmem_open(name, sizeof(name));
	char *p;

	if (fd < 0)
		HMM_DAX_SKIP(return,
			     "no PCI peer-to-peer memory (CONFIG_PCI_P2PDMA, a device that publishes it)");
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %s: %s", name, strerror(errno));
	TH_LOG("%s mapped at %p", name, p);
	p[0] = 0x42;
	EXPECT_EQ(-EOPNOTSUPP, mirror(self->mfd, p, SZ_4K, 0, NULL));
	EXPECT_EQ(-EOPNOTSUPP, dev_read(self->mfd, p, buf, sizeof(buf)));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
	munmap(p, SZ_4K);
	close(fd);
}

/* Ranges not wholly in (readable) VMAs are EFAULT and install nothing. */
TEST_F(bad_input, unmapped)
{
	const struct {
		char *addr;
		unsigned long len;
		int snapshot;	/* SNAPSHOT's errno: it faults nothing */
	} bad[] = {
		{ self->hole, SZ_2M, EFAULT },
		{ self->hole + SZ_2M - SZ_4K, SZ_4K, EFAULT },
		{ self->map + SZ_2M - SZ_4K, 2 * SZ_4K, EFAULT },
		{ self->map, 2 * SZ_2M, EFAULT },
		/* a VMA, so a snapshot of it is just empty */
		{ self->none, SZ_4K, 0 },
	};
	struct hmm_dax_range r;
	unsigned int i;

	ASSERT_EQ(-1, msync(self->hole, SZ_2M, MS_ASYNC));
	ASSERT_EQ(ENOMEM, errno) TH_LOG("something got mapped in the hole");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&r, 0, sizeof(r));
		r.addr = (uintptr_t)bad[i].addr;
		r.len = bad[i].len;
		EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r))
			TH_LOG("mirror %p+%#lx", bad[i].addr, bad[i].len);
		r.flags = HMM_DAX_MIRROR_SNAPSHOT;
		EXPECT_EQ(bad[i].snapshot,
			  ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r))
			TH_LOG("snapshot %p+%#lx", bad[i].addr, bad[i].len);
		EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
	}
	/* only where no page of the access can fault: no partial work */
	access_fails(_metadata, self->mfd, (uintptr_t)self->hole, SZ_4K,
		     EFAULT);
	access_fails(_metadata, self->mfd, (uintptr_t)self->none, SZ_4K,
		     EFAULT);
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
	EXPECT_EQ(0, dump_count(self->mfd, self->hole, SZ_2M));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->hole, SZ_2M));
}

/* A mapping of a PCI BAR through sysfs, read-only and never touched. */
static void *map_pci_bar(char *name, size_t len)
{
	void *p = MAP_FAILED;
	glob_t g;
	size_t i;
	int fd;

	if (glob("/sys/bus/pci/devices/*/resource[0-5]", 0, NULL, &g))
		return MAP_FAILED;
	for (i = 0; i < g.gl_pathc && p == MAP_FAILED; i++) {
		fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (p != MAP_FAILED)
			snprintf(name, len, "%s", g.gl_pathv[i]);
	}
	globfree(&g);
	return p;
}

/*
 * A mapping of this process that is VM_IO or VM_PFNMAP ("io" or "pf" in
 * its smaps VmFlags), its name into @name; NULL if none.  Which one it is
 * differs by kernel: [vvar] up to 7.2, [vvar_vclock] on 7.3, whose [vvar]
 * is VM_MIXEDMAP alone (measured).
 */
static char *find_pfnmap(char *name, size_t len)
{
	char line[512], what[256] = "", *p = NULL;
	unsigned long start = 0, s, e;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return NULL;
	while (!p && fgets(line, sizeof(line), f)) {
		/* a VMA's first line; "FilePmdMapped:" would parse as 0xf */
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &s, &e,
			   what) >= 2) {
			start = s;
			continue;
		}
		if (strncmp(line, "VmFlags:", 8))
			continue;
		if (strstr(line, " io") || strstr(line, " pf")) {
			p = (char *)start;
			snprintf(name, len, "%s", what[0] ? what : "anonymous");
		}
		what[0] = 0;
	}
	fclose(f);
	return p;
}

/* VM_IO / VM_PFNMAP memory is EFAULT for mirror and device reads. */
TEST_F(bad_input, pfnmap)
{
	char name[PATH_MAX], buf[64];
	struct hmm_dax_range r = { .len = SZ_4K };
	char *p = find_pfnmap(name, sizeof(name)), *bar = MAP_FAILED;

	if (!p) {
		bar = map_pci_bar(name, sizeof(name));
		if (bar == MAP_FAILED)
			HMM_DAX_SKIP(return,
				     "no VM_IO/VM_PFNMAP mapping: none in smaps, no mappable PCI resource<N>");
		p = bar;
	}
	TH_LOG("VM_IO/VM_PFNMAP range: %s at %p", name, p);
	r.addr = (uintptr_t)p;
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r));
	r.flags = HMM_DAX_MIRROR_SNAPSHOT;
	EXPECT_EQ(EFAULT, ioctl_errno(self->mfd, HMM_DAX_MIRROR, &r));
	EXPECT_EQ(-EFAULT, dev_read(self->mfd, p, buf, sizeof(buf)));
	EXPECT_TRUE(nothing_left(_metadata, self->mfd, 0));
	if (bar != MAP_FAILED)
		munmap(bar, SZ_4K);
}

/* Mirror and dump through fd: every leaf's pfn hidden (0, flag) or shown. */
static void check_pfns(struct __test_metadata *_metadata, int fd,
		       const char *map, bool hidden)
{
	struct hmm_dax_leaf *lv = NULL;
	long n, i, bad = 0;

	EXPECT_EQ(0, mirror(fd, map, SZ_2M, 0, NULL));
	n = dump(fd, map, SZ_2M, &lv);
	EXPECT_LT(0, n);
	for (i = 0; i < n; i++)
		bad += hidden ? lv[i].pfn || !(lv[i].flags &
					      HMM_DAX_LEAF_PFN_HIDDEN) :
				!lv[i].pfn || (lv[i].flags &
					       HMM_DAX_LEAF_PFN_HIDDEN);
	EXPECT_EQ(0, bad) TH_LOG("%ld of %ld leaves do not %s their pfn%s",
				 bad, n, hidden ? "hide" : "show",
				 n ? "" : "s");
	if (bad && n)
		TH_LOG("first leaf: pfn %#llx flags %#x", lv[0].pfn,
		       lv[0].flags);
	free(lv);
}

/* pfns are hidden from files opened without CAP_SYS_ADMIN. */
TEST_F(bad_input, pfn_hidden)
{
	int status;
	pid_t pid;

	check_pfns(_metadata, self->mfd, self->map, false);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
		unsigned int i = CAP_TO_INDEX(CAP_SYS_ADMIN);
		int with, without;

		with = open("/dev/hmm_dax1", O_RDWR | O_CLOEXEC);
		EXPECT_LE(0, with);
		EXPECT_EQ(0, syscall(SYS_capget, &hdr, data));
		data[i].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
		data[i].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
		EXPECT_EQ(0, syscall(SYS_capset, &hdr, data))
			TH_LOG("capset: %s", strerror(errno));
		without = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
		EXPECT_LE(0, without) TH_LOG("open without CAP_SYS_ADMIN: %s",
					     strerror(errno));
		check_pfns(_metadata, without, self->map, true);
		check_pfns(_metadata, with, self->map, false);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
