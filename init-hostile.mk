# SPDX-License-Identifier: GPL-2.0-only
# The hostile init test ISO: components that try to stall or fool init
# (tests/components/hostile: a service that never offers its service, one that never
# answers an announcement, one that forges events, one that crashes and is
# restarted meanwhile, one whose thread on CPU 1 faults) next to the key-value example with a greedy client,
# from servers/init/hostile.conf. kvclient, the last line, prints PASS/FAIL
# lines and ends the run; tests/run-all (job qemu-init-hostile) checks
# init's reports. INIT_HOSTILE_CONFIG picks another configuration (to run
# one case alone).
# Included by the top Makefile after user.mk:   include init-hostile.mk
INIT_HOSTILE_ISO := $(BUILD)/donjon-init-hostile.iso
INIT_HOSTILE_CONFIG ?= servers/init/hostile.conf
INIT_HOSTILE_PROGRAMS := sigma0 init console kvstore kvclient hostile
INIT_HOSTILE_ELFS := $(INIT_HOSTILE_PROGRAMS:%=$(USER_OUT)/%.elf)

# hostile is wired here rather than in user.mk's list (same rule).
USER_DIR_hostile := tests/components/hostile
$(eval $(call user_program,hostile))
user: $(USER_OUT)/hostile.elf

# It boots the test kernel: test mode (donjon.test) ends the run.
$(INIT_HOSTILE_ISO): $(TEST_KERNEL_ELF) $(INIT_HOSTILE_ELFS) $(INIT_HOSTILE_CONFIG) tools/grub-test.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(INIT_HOSTILE_CONFIG),$(INIT_HOSTILE_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(INIT_HOSTILE_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(INIT_HOSTILE_CONFIG):config" \
		tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg

.PHONY: iso-init-hostile
iso-init-hostile: $(INIT_HOSTILE_ISO)
all: iso-init-hostile
