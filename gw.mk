# SPDX-License-Identifier: GPL-2.0-only
# The gateway test ISO (docs/gateway.md, "Tests"): the ESP gateway
# component (esp) with its configuration as a data= module, and the two
# test clients on its sides (tests/components/gwpeer: gwin the LAN's
# router, gwout the remote peer). Boots the test kernel: gwin ends the
# run. Included by the top Makefile.
GW_TEST_ISO := $(BUILD)/donjon-gw-test.iso
GW_TEST_CONFIG := tests/gateway/gw-test.conf
GW_TEST_XFRM := tests/gateway/gw-test.xfrm
GW_TEST_PROGRAMS := sigma0 init console esp gwpeer

# gwpeer links the ESP library (not the policy: the peer has none) and
# libsodium, freestanding like the wrapper.
USER_PROGRAMS += gwpeer
USER_SRCS_gwpeer := $(wildcard tests/components/gwpeer/*.c) $(wildcard wrappers/esp/*.c) \
	wrappers/esp/component/rdrand.c wrappers/esp/component/sodium_libc.c
USER_LIBS_gwpeer := /usr/lib/x86_64-linux-gnu/libsodium.a
$(eval $(call user_program,gwpeer))
user: $(USER_OUT)/gwpeer.elf
$(addprefix $(USER_OBJDIR)/,$(filter wrappers/%,$(USER_SRCS_gwpeer:.c=.o))): | $(USER_SODIUM_INC)/sodium

$(GW_TEST_ISO): $(TEST_KERNEL_ELF) $(GW_TEST_PROGRAMS:%=$(USER_OUT)/%.elf) $(GW_TEST_CONFIG) $(GW_TEST_XFRM) \
		tools/grub-test.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(GW_TEST_CONFIG),$(GW_TEST_PROGRAMS) gwconf)
	MKISO_MODULES="$(foreach p,$(GW_TEST_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(GW_TEST_XFRM):gwconf \
		$(GW_TEST_CONFIG):config" tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg

.PHONY: iso-gw-test
iso-gw-test: $(GW_TEST_ISO)

# The ESP benchmark ISO (tools/bench, make bench): esp's BENCH lines under
# -icount. GRUB's serial terminal hangs under -icount: grub-bench.cfg.
ESP_BENCH_ISO := $(BUILD)/donjon-esp-bench.iso
ESP_BENCH_CONFIG := tests/gateway/esp-bench.conf
ESP_BENCH_PROGRAMS := sigma0 init console kvstore kvclient esp-bench
$(ESP_BENCH_ISO): $(TEST_KERNEL_ELF) $(ESP_BENCH_PROGRAMS:%=$(USER_OUT)/%.elf) $(ESP_BENCH_CONFIG) \
		tools/grub-bench.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(ESP_BENCH_CONFIG),$(ESP_BENCH_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(ESP_BENCH_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(ESP_BENCH_CONFIG):config" \
		tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-bench.cfg

.PHONY: iso-esp-bench
iso-esp-bench: $(ESP_BENCH_ISO)
