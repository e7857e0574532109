# Donjon top-level build. Out-of-tree: everything goes to $(BUILD).
BUILD ?= build
CC := gcc
LD := ld
OBJCOPY := objcopy

KERNEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
	-fno-pic -fno-pie -mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -fno-tree-loop-distribute-patterns -fcf-protection=none \
	-Ikernel -Iarch/x86_64 -Iinclude -I$(BUILD)/gen
KERNEL_ASFLAGS := -g -Ikernel -Iarch/x86_64 -Iinclude -D__ASSEMBLY__
KERNEL_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-T arch/x86_64/kernel.ld

KERNEL_C := $(sort $(wildcard kernel/*.c arch/x86_64/*.c))
KERNEL_S := $(sort $(wildcard arch/x86_64/*.S))
KERNEL_OBJ := $(KERNEL_C:%.c=$(BUILD)/obj/%.o) $(KERNEL_S:%.S=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/font.o
KERNEL_ELF := $(BUILD)/donjon.elf

# The console font: a PSF from Debian's console-setup, converted at build time.
FONT_PSF ?= /usr/share/consolefonts/Lat15-Fixed16.psf.gz

.PHONY: all kernel iso iso-test run check check-host bench debug tcb deps clean mutate
all: kernel user iso iso-test iso-boot-test

include user.mk
include boot-test.mk
include net.mk

kernel: $(KERNEL_ELF)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

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

# ISO images: a hybrid BIOS+UEFI GRUB image.
# The system ISO starts sigma0 as the root PD, which starts init, which
# starts the components of servers/init/system.conf. The test ISO starts
# the user-level core tests as the root PD instead (after the in-kernel
# self-tests).
SYSTEM_PROGRAMS := sigma0 init console kvstore kvclient
SYSTEM_CONFIG := servers/init/system.conf
$(BUILD)/donjon.iso: $(KERNEL_ELF) $(SYSTEM_PROGRAMS:%=$(USER_OUT)/%.elf) $(SYSTEM_CONFIG) tools/grub.cfg tools/mkiso
	MKISO_MODULES="$(foreach p,$(SYSTEM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(SYSTEM_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

$(BUILD)/donjon-test.iso: $(KERNEL_ELF) $(USER_OUT)/coretest.elf tools/grub-test.cfg tools/mkiso
	MKISO_MODULES="$(USER_OUT)/coretest.elf:sigma0" tools/mkiso $@ $(KERNEL_ELF) tools/grub-test.cfg

# Benchmarks boot with a GRUB configuration without a serial terminal:
# GRUB's serial terminal hangs under QEMU's -icount.
$(BUILD)/donjon-bench.iso: $(KERNEL_ELF) $(USER_OUT)/coretest.elf tools/grub-bench.cfg tools/mkiso
	MKISO_MODULES="$(USER_OUT)/coretest.elf:sigma0" tools/mkiso $@ $(KERNEL_ELF) tools/grub-bench.cfg

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
	$(MAKE) $(BUILD)/donjon-bench.iso $(NET_ISO)
	tools/bench $(BUILD)/donjon-bench.iso $(NET_ISO)

tcb:
	tools/tcb

# Mutation run (docs/mutation.md): make mutate [SEED=n] [N=count] [JOBS=j] [DIRS="kernel arch"]
mutate:
	SEED="$(SEED)" N="$(N)" JOBS="$(JOBS)" BUILD="$(BUILD)" tools/mutate $(DIRS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
