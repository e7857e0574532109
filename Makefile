# SPDX-License-Identifier: GPL-2.0-only
# Donjon top-level build. Out-of-tree: everything goes to $(BUILD).
BUILD ?= build
CC := gcc
LD := ld
OBJCOPY := objcopy

KERNEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
	-fno-pic -fno-pie -mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -fno-tree-loop-distribute-patterns -fcf-protection=none \
	-I. -Iinclude
KERNEL_ASFLAGS := -g -I. -Iinclude -D__ASSEMBLY__
KERNEL_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-T arch/x86_64/kernel.ld

KERNEL_C := $(sort $(wildcard common/*.c kernel/*.c arch/x86_64/*.c))
KERNEL_S := $(sort $(wildcard arch/x86_64/*.S))
KERNEL_OBJ := $(KERNEL_C:%.c=$(BUILD)/obj/%.o) $(KERNEL_S:%.S=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/font.o
KERNEL_ELF := $(BUILD)/donjon.elf

# The test kernel: the same sources built with DONJON_TEST_KERNEL (test
# mode, the ring-3 hooks of the self-tests, ASSERT panics) plus the
# in-kernel self-tests of tests/kernel/. The production kernel above has
# none of it (tests/run-all checks its symbols).
TEST_KERNEL_DIRS := tests/kernel tests/kernel/x86_64
TEST_KERNEL_C := $(KERNEL_C) $(sort $(foreach d,$(TEST_KERNEL_DIRS),$(wildcard $(d)/*.c)))
TEST_KERNEL_S := $(KERNEL_S) $(sort $(foreach d,$(TEST_KERNEL_DIRS),$(wildcard $(d)/*.S)))
TEST_KERNEL_OBJ := $(TEST_KERNEL_C:%.c=$(BUILD)/obj-test/%.o) $(TEST_KERNEL_S:%.S=$(BUILD)/obj-test/%.o) \
	$(BUILD)/obj/gen/font.o
TEST_KERNEL_ELF := $(BUILD)/donjon-test.elf
TEST_KERNEL_DEFS := -DDONJON_TEST_KERNEL $(TEST_KERNEL_DIRS:%=-I%)

# The console font: a PSF from Debian's console-setup, converted at build time.
FONT_PSF ?= /usr/share/consolefonts/Lat15-Fixed16.psf.gz

.PHONY: all kernel kernel-test iso iso-test run check check-host bench debug tcb deps clean mutate
all: kernel kernel-test user iso iso-test iso-boot-test

# Boot configurations are checked at build time with init's own parser
# (servers/init/bootconfig.c built for the host): $(call check_config,
# CONFIG,PROGRAMS) fails the ISO rule on a bad line (tools/bootconfig-check.c).
BOOTCONFIG_CHECK := $(BUILD)/tools/bootconfig-check
$(BOOTCONFIG_CHECK): tools/bootconfig-check.c tools/bootconfig-check.h servers/init/bootconfig.c servers/init/bootconfig.h lib/pci.h lib/proto.h lib/startinfo.h include/donjon/abi.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I. -Iinclude tools/bootconfig-check.c servers/init/bootconfig.c -o $@
check_config = $(BOOTCONFIG_CHECK) $(1) $(2)

include user.mk
include boot-test.mk
include fuzz.mk
include net.mk
include init-hostile.mk
include rogue-dma.mk
include l4linux-glue/guest.mk
include vm.mk
include gw.mk
include gateway.mk
include demo.mk

kernel: $(KERNEL_ELF)
kernel-test: $(TEST_KERNEL_ELF)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj-test/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) $(TEST_KERNEL_DEFS) -MMD -MP -c $< -o $@

$(BUILD)/obj-test/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_ASFLAGS) $(TEST_KERNEL_DEFS) -MMD -MP -c $< -o $@

$(BUILD)/tools/psf2c: tools/psf2c.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror $< -o $@

$(BUILD)/gen/font.c: $(BUILD)/tools/psf2c $(FONT_PSF)
	@mkdir -p $(dir $@)
	zcat -f $(FONT_PSF) > $(BUILD)/gen/font.psf
	$(BUILD)/tools/psf2c $(BUILD)/gen/font.psf > $@

$(BUILD)/obj/gen/font.o: $(BUILD)/gen/font.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(KERNEL_ELF): $(KERNEL_OBJ) arch/x86_64/kernel.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ)

$(TEST_KERNEL_ELF): $(TEST_KERNEL_OBJ) arch/x86_64/kernel.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(TEST_KERNEL_OBJ)

# ISO images: a hybrid BIOS+UEFI GRUB image.
# The system ISO boots the production kernel and starts sigma0 as the root
# PD, which starts init, which starts the components of
# servers/init/system.conf. The test ISO boots the test kernel and starts
# the user-level core tests as the root PD instead (after the in-kernel
# self-tests); so do the benchmark, boot-test and panic-path ISOs.
SYSTEM_PROGRAMS := sigma0 init console kvstore kvclient counter counterclient
SYSTEM_CONFIG := servers/init/system.conf
$(BUILD)/donjon.iso: $(KERNEL_ELF) $(SYSTEM_PROGRAMS:%=$(USER_OUT)/%.elf) $(SYSTEM_CONFIG) tools/grub.cfg tools/mkiso \
		$(BOOTCONFIG_CHECK)
	$(call check_config,$(SYSTEM_CONFIG),$(SYSTEM_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(SYSTEM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(SYSTEM_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

$(BUILD)/donjon-test.iso: $(TEST_KERNEL_ELF) $(USER_OUT)/coretest.elf tools/grub-test.cfg tools/mkiso
	MKISO_MODULES="$(USER_OUT)/coretest.elf:sigma0" tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg

# Benchmarks boot with a GRUB configuration without a serial terminal:
# GRUB's serial terminal hangs under QEMU's -icount.
$(BUILD)/donjon-bench.iso: $(TEST_KERNEL_ELF) $(USER_OUT)/coretest.elf tools/grub-bench.cfg tools/mkiso
	MKISO_MODULES="$(USER_OUT)/coretest.elf:sigma0" tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-bench.cfg

iso: $(BUILD)/donjon.iso
iso-test: $(BUILD)/donjon-test.iso

deps:
	tools/deps

run: deps
	$(MAKE) iso
	tools/run-qemu $(BUILD)/donjon.iso

debug: deps
	$(MAKE) iso
	tools/debug-qemu $(BUILD)/donjon.iso $(KERNEL_ELF)

check: deps
	tests/run-all $(BUILD)

check-host:
	tests/host/run $(BUILD)

bench: deps
	$(MAKE) $(BUILD)/donjon-bench.iso $(NET_ISO) $(ESP_BENCH_ISO)
	BENCH_ESP_ISO=$(ESP_BENCH_ISO) tools/bench $(BUILD)/donjon-bench.iso $(NET_ISO)
	$(MAKE) bench-vm
	$(MAKE) bench-gateway

# The gateway's TCB is counted from what its programs are built from
# (tools/tcb): build them first.
tcb: deps
	$(MAKE) kernel user
	tools/tcb --build=$(BUILD)

# Mutation run (docs/mutation.md): make mutate [SEED=n] [N=count] [JOBS=j] [DIRS="kernel arch"]
mutate:
	SEED="$(SEED)" N="$(N)" JOBS="$(JOBS)" BUILD="$(BUILD)" tools/mutate $(DIRS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/obj-test -name '*.d' 2>/dev/null)
