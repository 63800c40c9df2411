# SPDX-License-Identifier: GPL-2.0
#
# tools/testing/selftests/hmm_dax/module/Makefile: hmm_dax.ko, built by the
# kernel tree's own external-module build, as lib.mk's TEST_GEN_MODS_DIR
# asks (the way livepatch's test_modules build).  KDIR is the tree this
# directory sits in (its objtree when built with O= or KBUILD_OUTPUT), or
# the running kernel's build directory; without one nothing is built and
# run_tests.sh skips, naming the missing module.

MOD_DIR := $(realpath $(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
TREE := $(abspath $(MOD_DIR)/../../../../..)
KDIR ?= $(or $(O),$(KBUILD_OUTPUT),$(if $(wildcard $(TREE)/Module.symvers),$(TREE)),/lib/modules/$(shell uname -r)/build)

# Under make kselftest-*, the tree's top make has exported sub_make_done=1,
# which would keep the nested one from parsing M= and setting -rR: unset it
# (as the tree's own install target does).
KBUILD_MAKE = env -u sub_make_done $(MAKE) -C $(KDIR) M=$(MOD_DIR)

modules:
ifneq ("$(wildcard $(KDIR)/Module.symvers)", "")
	$(Q)$(KBUILD_MAKE) modules
endif

clean:
ifneq ("$(wildcard $(KDIR)/Module.symvers)", "")
	$(Q)$(KBUILD_MAKE) clean
endif
