# SPDX-License-Identifier: GPL-2.0-only
# The boot test ISO: the whole user-level boot chain (sigma0, init, the
# console, the key-value example server and its client) started from a
# boot configuration with deliberate mistakes (servers/init/boot-test.conf).
# kvclient prints PASS/FAIL lines and ends the run (test mode powers off).
# Included by the top Makefile after user.mk:   include boot-test.mk
BOOT_TEST_ISO := $(BUILD)/donjon-boot-test.iso
BOOT_TEST_CONFIG := servers/init/boot-test.conf
BOOT_TEST_PROGRAMS := sigma0 init console kvstore kvclient
BOOT_TEST_PROGRAMS += chantest counter counterclient
BOOT_TEST_PROGRAMS += esp
BOOT_TEST_PROGRAMS += vnettest
BOOT_TEST_ELFS := $(BOOT_TEST_PROGRAMS:%=$(USER_OUT)/%.elf)

# Modules are named after their programs; the configuration is "config".
# It boots the test kernel: test mode (donjon.test) ends the run.
$(BOOT_TEST_ISO): $(TEST_KERNEL_ELF) $(BOOT_TEST_ELFS) $(BOOT_TEST_CONFIG) tools/grub-test.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(BOOT_TEST_CONFIG),$(BOOT_TEST_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(BOOT_TEST_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(BOOT_TEST_CONFIG):config" \
		tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg

.PHONY: iso-boot-test
iso-boot-test: $(BOOT_TEST_ISO)
