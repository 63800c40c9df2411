# SPDX-License-Identifier: GPL-2.0
#
# hmm-dax: the module (for every installed kernel), the tool, the selftests,
# and the guest test bed that runs them.  `make help` lists the targets.

HMM_DAX_CACHE ?= /var/cache/hmm-dax
export HMM_DAX_CACHE

B := build
# Kernels to build and test (scripts/kernels.sh): KVER=ALIAS|VERSION for
# one, else every lane that is set up, one per version (make deps sets up
# 6.1, 6.12, sid's 7.2 and newest, trixie-backports' 7.3).
ALIASES := 6.1 6.12 sid newest next
KVER ?=
K := scripts/kernels.sh
installed = $(shell . ./$(K); kernel_lanes)
# KERNEL=ALIAS: that kernel alone (KERNEL=next: experimental's release
# candidate, opt-in).  KERNEL=PATH: your own kernel, a built tree or a
# bzImage whose modules MODULES=DIR holds (an INSTALL_MOD_PATH tree).
# make, make check and make demo then build for it and run on it alone.
KERNEL ?=
MODULES ?=
OWN := $(if $(filter-out $(ALIASES) all,$(KERNEL)),$(abspath $(KERNEL)))
ALIAS := $(filter $(ALIASES),$(KERNEL))
ifneq ($(MODULES),)
export HMM_DAX_MODULES := $(abspath $(MODULES))
endif
KERNELS = $(or $(OWN),$(KVER),$(ALIAS),$(installed))
CHECK_KERNELS = $(or $(OWN),$(ALIAS),$(installed))

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
# kselftest_harness.h itself trips -Wextra (clobbered, sign-compare).
SELFTEST_WARN := -Wall -Werror
PKG_LIBS := $(shell pkg-config --libs libdaxctl 2>/dev/null || echo -ldaxctl)

MAKEFLAGS += --no-print-directory
, := ,

.PHONY: all deps modules userspace selftests selftests-install unit testbed \
	check guest-check knob-proof check-debug check-debug-proof matrix \
	reproducers kselftest-tree kselftest-check lava \
	demo bench peer install checkpatch clean help

all: modules peer userspace selftests

help:
	@echo 'make deps         install everything needed (root, apt)'
	@echo 'make              module for every set-up kernel, tool, selftests'
	@echo 'make KVER=6.12    the module for one kernel (6.1, 6.12, sid, newest, next or a version)'
	@echo 'make demo         boot the guest, compare device and CPU views on every target'
	@echo 'make bench        boot each kernel, time mirroring against size and test_hmm'
	@echo 'make install      tool, library, header, man page, module (DESTDIR, PREFIX)'
	@echo 'make check        deps, build, host unit tests, guest suite on every kernel'
	@echo 'make check KERNEL=next  the same on experimental'"'"'s release candidate'
	@echo 'make check KERNEL=PATH [MODULES=DIR]'
	@echo '                  the same on your own kernel (a built tree or a bzImage)'
	@echo 'make check-debug  the suite and the tool on a KASAN/lockdep/kmemleak kernel'
	@echo 'make check-debug-proof  show that check-debug fails on a leak'
	@echo 'make matrix       compare on every target and kernel: JSON and HTML report'
	@echo 'make reproducers  the kernel findings reproduced on every kernel: a table'
	@echo 'make kselftest-tree KDIR=PATH  the suite as tools/testing/selftests/hmm_dax'
	@echo 'make kselftest-check  that target in the 6.12 tree, run as KernelCI runs it'
	@echo 'make lava         the LAVA job, run with lava-run (Documentation/ci.rst)'
	@echo 'make checkpatch   kernel style check of the module'

deps:
	./scripts/deps.sh

modules:
	@test -n "$(strip $(KERNELS))" || \
		{ echo "no kernel is set up: run make deps" >&2; exit 1; }
	@for k in $(KERNELS); do \
		echo "  MODULE  $$k"; \
		./scripts/build-module.sh $$k || exit; \
	done

userspace: $(B)/hmm-dax $(B)/lib/libhmmdax.so $(B)/lib/libhmmdax.a

# libhmmdax: a shared library with a version script, and a static one
# that the tool links so that it runs in the guest as built.
LIB_SRC := userspace/lib/libhmmdax.c userspace/lib/oracle.c
LIB_HDR := userspace/lib/libhmmdax.h kernel/hmm_dax_uapi.h
LIB_SO := libhmmdax.so.1
LIB_DEPS := $(shell pkg-config --libs libdaxctl libndctl 2>/dev/null || \
	echo -ldaxctl -lndctl)
TOOL_SRC := $(wildcard userspace/*.c)
# OpenCL through the ICD loader (libOpenCL), never a vendor library.
TOOL_LIBS := $(LIB_DEPS) \
	$(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c) -pthread \
	$(shell pkg-config --libs OpenCL 2>/dev/null || echo -lOpenCL) \
	$(shell pkg-config --libs libdrm 2>/dev/null || echo -ldrm)
TOOL_CFLAGS := $(shell pkg-config --cflags libdrm 2>/dev/null || \
	echo -I/usr/include/libdrm)
USER_CFLAGS = $(CFLAGS) $(WARN) -Ikernel -Iuserspace/lib

$(B)/lib/%.o: userspace/lib/%.c $(LIB_HDR) userspace/lib/hmm_dax_helpers.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(B)/lib/$(LIB_SO): $(LIB_SRC:userspace/lib/%.c=$(B)/lib/%.o) \
		userspace/lib/libhmmdax.sym
	$(CC) -shared -Wl,-soname,$(LIB_SO) \
		-Wl,--version-script=userspace/lib/libhmmdax.sym \
		-o $@ $(filter %.o,$^) $(LIB_DEPS)

$(B)/lib/libhmmdax.so: $(B)/lib/$(LIB_SO)
	ln -sf $(LIB_SO) $@

$(B)/lib/libhmmdax.a: $(LIB_SRC:userspace/lib/%.c=$(B)/lib/%.o)
	$(AR) rcs $@ $^

# bench.c speaks to the peer, lib/test_hmm.c, through its uapi header.
$(B)/hmm-dax: $(TOOL_SRC) $(wildcard userspace/*.h) \
		userspace/lib/hmm_dax_helpers.h $(B)/lib/libhmmdax.a \
		$(B)/include/kselftest_harness.h
	$(CC) $(USER_CFLAGS) $(TOOL_CFLAGS) -I$(B)/include -o $@ $(TOOL_SRC) \
		$(B)/lib/libhmmdax.a $(TOOL_LIBS)

# The kselftest harness comes from Debian's linux-source-6.12 at build time.
$(B)/include/kselftest_harness.h: scripts/linux-source.sh
	./scripts/linux-source.sh $(B)/include
	@touch $@

SELFTEST_HDR := kernel/hmm_dax_uapi.h selftests/known_bugs.h \
	selftests/hmm_dax_harness.h userspace/lib/hmm_dax_helpers.h \
	$(B)/include/kselftest_harness.h

# The suite's programs (selftests/suite.mk), and the program that tells
# run_tests.sh which HMM entry points the kernel offers.
include selftests/suite.mk
$(SUITE_PROGS:%=$(B)/selftests/%): $(B)/selftests/%: selftests/%.c \
		$(SUITE_HDRS) $(SELFTEST_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SELFTEST_WARN) -Ikernel -Iuserspace/lib \
		-I$(B)/include -o $@ $<

$(B)/selftests/entry_points: selftests/entry_points.c kernel/hmm_dax_uapi.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Ikernel -o $@ $<

selftests: $(SUITE_PROGS:%=$(B)/selftests/%) $(B)/selftests/known_bug \
	$(B)/selftests/kernel_log $(B)/selftests/entry_points

# The table of known kernel bugs, for the shell tests, and the kernel
# log's check against it.
$(B)/selftests/known_bug: selftests/known_bug.c selftests/known_bugs.h \
		userspace/lib/hmm_dax_helpers.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Ikernel -Iuserspace/lib -o $@ $<

$(B)/selftests/kernel_log: selftests/kernel_log.c selftests/known_bugs.h \
		userspace/lib/hmm_dax_helpers.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Ikernel -Iuserspace/lib -o $@ $<

# A kselftest collection, as `make -C tools/testing/selftests install` makes
# one: run_kselftest.sh, kselftest-list.txt and the hmm_dax collection.
INSTALL_PATH ?= $(CURDIR)/$(B)/kselftest
KSFT_FILES := $(SUITE_PROGS:%=$(B)/selftests/%) $(B)/selftests/known_bug \
	$(B)/selftests/kernel_log $(B)/selftests/entry_points selftests/suite.mk \
	selftests/run_tests.sh \
	selftests/knob_proof.sh selftests/hmm_dax_lib.sh selftests/settings \
	selftests/config
selftests-install: selftests
	@mkdir -p $(INSTALL_PATH)/hmm_dax $(INSTALL_PATH)/kselftest
	cp $(B)/include/run_kselftest.sh $(INSTALL_PATH)/
	cp $(B)/include/kselftest/* $(INSTALL_PATH)/kselftest/
	cp $(KSFT_FILES) $(INSTALL_PATH)/hmm_dax/
	echo hmm_dax:run_tests.sh >$(INSTALL_PATH)/kselftest-list.txt

$(B)/unit/uapi_test: selftests/unit/uapi_test.c kernel/hmm_dax_uapi.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=c11 -pedantic -o $@ $<

# $(call tap_part,NAME,COMMAND): run COMMAND, whose output is TAP, into
# build/check/NAME.log and summarise it into NAME.sum (see tap-summary).
tap_part = mkdir -p $(B)/check && { $(2); } >$(B)/check/$(1).log 2>&1; \
	awk -v name=$(1) -v status=$$? -f selftests/tap-summary \
		$(B)/check/$(1).log | tee $(B)/check/$(1).sum

# The device page table has no mm dependencies: the host builds it as is,
# with stand-in kernel headers, under the kselftest harness.
$(B)/unit/devpt_test: selftests/unit/devpt_test.c kernel/hmm_dax_devpt.c \
		kernel/hmm_dax_devpt.h $(wildcard selftests/unit/include/linux/*.h) \
		$(B)/include/kselftest_harness.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SELFTEST_WARN) -Iselftests/unit/include -I$(B)/include \
		-o $@ selftests/unit/devpt_test.c kernel/hmm_dax_devpt.c

# The suite's harness rules, on the host (selftests/unit/harness_test.c).
$(B)/unit/harness_test: selftests/unit/harness_test.c $(SELFTEST_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SELFTEST_WARN) -Ikernel -Iuserspace/lib -I$(B)/include -o $@ $<

# Host unit tests: TAP, summarised like a guest run.
unit: $(B)/unit/uapi_test $(B)/unit/devpt_test $(B)/unit/harness_test \
		$(B)/selftests/kernel_log $(B)/include/kselftest_harness.h
	@$(call tap_part,host,selftests/unit/run.sh $(B))

# The test bed's own contract (exit statuses, --add, panic, timeout).
testbed:
	@$(call tap_part,testbed,selftests/vm/testbed-tests.sh)

# Per kernel, the kselftest suite, the proof that it fails with each
# fault-injection knob, and the tool's tests, each in a guest of its own,
# as many side by side as the machine holds (scripts/check-guests.sh); with
# TESTBED=1 the test bed's own tests among them.
guest-check:
	@./scripts/check-guests.sh $(B)/check $(if $(TESTBED),--testbed) \
		$(CHECK_KERNELS)

# With KERNEL=PATH the kernel is checked before anything is built: a path
# that is no kernel, or a configuration without selftests/config, stops
# here with the reason (exit 2).
check:
	./scripts/deps.sh $(if $(filter next,$(ALIAS)),next)
	$(if $(OWN),@selftests/vm/hmm-dax-vm --kernel $(OWN) --check >/dev/null)
	$(MAKE) all KVER=$(ALIAS)
	@rm -f $(B)/check/*.sum
	$(MAKE) unit
	$(MAKE) guest-check $(if $(OWN)$(ALIAS),,TESTBED=1)
	@./scripts/check-total.sh $(B)/check

# The debug lane (Documentation/hmm-dax-kernel.rst): not part of make
# check, whose CI budget it does not fit (README).
check-debug:
	./scripts/deps.sh
	./scripts/check-debug.sh

check-debug-proof:
	./scripts/deps.sh
	./scripts/check-debug.sh --leak

# compare --scenario all on every target, on every set-up kernel (and
# KERNEL=PATH): build/matrix/matrix.json and matrix.html, checked in
# headless Chromium (a screenshot beside it).
matrix: all
	./scripts/matrix.sh $(B)/matrix '$(DEMO_TARGETS)' $(KERNELS)

# The kernel findings as standalone reproducers (selftests/reproducers/),
# each run in a guest of every set-up kernel (and KERNEL=PATH): one table,
# finding by kernel (Documentation/reproducers.rst).
REPRODUCERS := $(patsubst selftests/reproducers/%.c,$(B)/reproducers/%,\
	$(wildcard selftests/reproducers/*.c))
$(B)/reproducers/%: selftests/reproducers/%.c selftests/reproducers/repro.h \
		kernel/hmm_dax_uapi.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -pthread -o $@ $<

reproducers: modules $(REPRODUCERS)
	./scripts/reproducers.sh $(B)/reproducers $(KERNELS)

# The suite as a kselftest target of the kernel source tree KDIR
# (tools/testing/selftests/hmm_dax; Documentation/ci.rst).
kselftest-tree:
	@test -n "$(KDIR)" || { echo "usage: make kselftest-tree KDIR=PATH" >&2; exit 2; }
	./scripts/kselftest-tree.sh $(KDIR)

# That target in the 6.12 tree hmm-dax builds, packed by its own
# kselftest-gen_tar and run with run_kselftest.sh in the guest; its results
# by KernelCI's rules beside make check's (run make check first).
kselftest-check:
	./scripts/deps.sh
	./scripts/kselftest-check.sh $(B)/kselftest

# The LAVA job (selftests/lava/job.yaml) run with Debian's lava-run on this
# machine: LAVA's per-test results beside make check's (Documentation/
# ci.rst).  Not part of make check.
lava:
	./scripts/deps.sh
	./scripts/lava.sh $(B)/lava

# The main job: compare --scenario all on every DAX target and two non-DAX
# controls, in a guest of KERNEL (default 6.12), ending with one table.
# The targets, as the guest's shell expands them (make matrix takes them too).
DEMO_TARGETS := "$$HMM_DAX_EXT4/hmm-dax-demo" "$$HMM_DAX_XFS/hmm-dax-demo" \
	"$$HMM_DAX_XFS_REFLINK/dax/hmm-dax-demo" \
	"$$HMM_DAX_EXT4_INODE/hmm-dax-demo" \
	"$$HMM_DAX_DEVDAX_2M" "$$HMM_DAX_DEVDAX_1G" /tmp/hmm-dax-control anon
# scripts/demo.sh installs what it needs and builds only the module of the
# kernel it boots and the tool (nothing else of make all).
demo:
	./scripts/demo.sh $(or $(OWN),$(KERNEL),6.12) '$(DEMO_TARGETS)'

# make bench [KERNEL=6.1|6.12|sid|newest|next]: hmm-dax bench in the guest on every
# set-up kernel (or KERNEL), test_hmm beside it where the kernel allows;
# JSON, table and plot in build/bench/.
bench: all peer
	./scripts/bench.sh $(B)/bench $(KERNELS)

# The benchmark's peer, lib/test_hmm.c, for the newest kernel.
peer:
	@if . ./$(K) && kernel_version newest >/dev/null; then \
		echo "  PEER    newest"; ./scripts/build-peer.sh; fi

# make install [DESTDIR=] [PREFIX=/usr/local] [KVER=]: the tool, the library,
# its headers and pkg-config file, the man page, and the module for each
# set-up kernel (or KVER) through Kbuild's modules_install.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0)
install: all
	install -D -m 0755 $(B)/hmm-dax $(DESTDIR)$(PREFIX)/sbin/hmm-dax
	install -D -m 0644 userspace/hmm-dax.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/hmm-dax.8
	install -D -m 0755 $(B)/lib/$(LIB_SO) $(DESTDIR)$(LIBDIR)/$(LIB_SO)
	ln -sf $(LIB_SO) $(DESTDIR)$(LIBDIR)/libhmmdax.so
	install -D -m 0644 $(B)/lib/libhmmdax.a $(DESTDIR)$(LIBDIR)/libhmmdax.a
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/include $(LIB_HDR)
	mkdir -p $(DESTDIR)$(LIBDIR)/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(PREFIX)/include|; s|@VERSION@|$(VERSION)|' \
		userspace/lib/libhmmdax.pc.in \
		>$(DESTDIR)$(LIBDIR)/pkgconfig/libhmmdax.pc
	@for k in $(KERNELS); do \
		echo "  INSTALL hmm_dax.ko $$k"; \
		INSTALL_MOD_PATH=$(abspath $(DESTDIR)) \
			./scripts/build-module.sh $$k modules_install || exit; \
	done

# compat.h is where version tests belong; trace headers have their own layout.
CHECKPATCH = $(B)/include/checkpatch.pl --no-tree --strict --show-types -q \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES$(1)
CP_COMPAT := LINUX_VERSION_CODE,CONSTANT_COMPARISON
CP_TRACE := PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE
# user space has no compiler_attributes.h: hmm-dax.h defines __printf;
# OpenCL and libdrm name their calls in camel case
CP_USER := PREFER_DEFINED_ATTRIBUTE_MACRO,CAMELCASE
checkpatch: $(B)/include/kselftest_harness.h
	$(call CHECKPATCH) -f $(filter-out kernel/compat.h kernel/hmm_dax_trace.h,\
		$(wildcard kernel/*.[ch])) selftests/*.[ch] selftests/unit/*.c
	$(call CHECKPATCH,$(,)$(CP_USER)) \
		-f userspace/*.[ch] userspace/lib/*.[ch] \
		selftests/reproducers/*.[ch]
	$(call CHECKPATCH,$(,)$(CP_COMPAT)) \
		-f kernel/compat.h
	$(call CHECKPATCH,$(,)$(CP_TRACE)) \
		-f kernel/hmm_dax_trace.h

clean:
	rm -rf $(B) kernel/*.o kernel/.*.cmd *.ko *.mod* .*.cmd Module.symvers modules.order
