# SPDX-License-Identifier: GPL-2.0-only
# User programs and their runtime (lib/). Included by the top Makefile
# (`include user.mk` after its `all:` line), or used alone:
#     make -f user.mk BUILD=build-x user
# Output: $(BUILD)/user/<name>.elf for every name in USER_PROGRAMS,
# $(BUILD)/user/libdj.a (the runtime) and $(BUILD)/user/crt0.o.

BUILD ?= build
USER_OUT := $(BUILD)/user
USER_OBJDIR := $(USER_OUT)/obj

# Each program: a name and the directory whose *.c and *.S make it, or
# instead an explicit list of sources in USER_SRCS_<name>, linked in that
# order (programs that share files of one directory, like the NIC
# drivers, and the core tests, whose order is their run order).
USER_PROGRAMS := sigma0 echo coretest init console kvstore kvclient nic-virtio nic-e1000e
USER_DIR_sigma0 := sigma0
USER_DIR_echo := servers/echo
USER_DIR_init := servers/init
USER_DIR_console := servers/console
USER_DIR_kvstore := servers/kvstore
USER_DIR_kvclient := servers/kvclient
USER_PROGRAMS += chantest
# The VMM's virtio-net device and channel backend without a VM (docs/vmm.md).
USER_PROGRAMS += vnettest
USER_SRCS_vnettest := $(wildcard tests/components/vnettest/*.c) \
	$(addprefix servers/vmm/,bus.c virtq.c virtio_pci.c virtio_net.c pci_config.c net_channel.c)
USER_DIR_chantest := tests/components/chantest
USER_PROGRAMS += counter counterclient
USER_DIR_counter := servers/counter
USER_DIR_counterclient := servers/counterclient
# The VMM (docs/vmm.md): one instance per VM line of the configuration.
USER_PROGRAMS += vmm
USER_DIR_vmm := servers/vmm
# The demo's VMM (demo.mk): the VMM plus the link recorder of the demo's
# pcap proof (servers/vmm-pcap/pcap.c), which no other build links.
USER_PROGRAMS += vmm-pcap
USER_SRCS_vmm-pcap := $(sort $(wildcard servers/vmm/*.c servers/vmm/*.S)) servers/vmm-pcap/pcap.c
USER_PROGRAMS += pci pcicheck intruder
USER_DIR_pci := servers/pci
USER_DIR_pcicheck := tests/components/pcicheck
USER_DIR_intruder := tests/components/intruder
# The hostile-component fuzzer (build/donjon-fuzz.iso, fuzz.mk).
USER_PROGRAMS += hostilefuzz
USER_DIR_hostilefuzz := tests/user/fuzz
# NIC drivers: the common loop (main.c, nic_*.c) plus one hardware part.
NIC_COMMON_SRCS := servers/nic/main.c $(wildcard servers/nic/nic_*.c)
USER_SRCS_nic-virtio := $(NIC_COMMON_SRCS) $(wildcard servers/nic/virtio_*.c)
USER_SRCS_nic-e1000e := $(NIC_COMMON_SRCS) servers/nic/e1000e.c
# The core tests run in the order of tests/user/coretest/order: the link
# order of their files decides the order of the "utests" section. A file
# the list does not name takes the place of its "--unlisted--" line (and
# the build names it); a listed file that does not exist stops the build.
CORETEST_DIR := tests/user/coretest
CORETEST_ORDER := $(shell sed -e 's/\#.*//' $(CORETEST_DIR)/order)
CORETEST_FILES := $(notdir $(sort $(wildcard $(CORETEST_DIR)/*.c $(CORETEST_DIR)/*.S)))
CORETEST_UNLISTED := $(filter-out $(CORETEST_ORDER),$(CORETEST_FILES))
$(if $(filter-out $(CORETEST_FILES) --unlisted--,$(CORETEST_ORDER)),\
	$(error $(CORETEST_DIR)/order names files that do not exist: $(filter-out $(CORETEST_FILES) --unlisted--,$(CORETEST_ORDER))))
$(if $(filter --unlisted--,$(CORETEST_ORDER)),,$(error $(CORETEST_DIR)/order has no --unlisted-- line))
$(if $(CORETEST_UNLISTED),$(info coretest: not in $(CORETEST_DIR)/order, run at its --unlisted-- line: $(CORETEST_UNLISTED)))
$(USER_OUT)/coretest.elf: $(CORETEST_DIR)/order
USER_SRCS_coretest := $(addprefix $(CORETEST_DIR)/,$(patsubst --unlisted--,$(CORETEST_UNLISTED),$(CORETEST_ORDER)))
# The ESP wrapper (docs/gateway.md): the wrapper's and the policy's
# sources and the component around them, linked with Debian's libsodium.a
# (freestanding: wrappers/esp/component/sodium_libc.c has the few C
# library symbols it needs). Its objects see libsodium's headers through a
# directory holding only them.
USER_PROGRAMS += esp
USER_SRCS_esp := $(wildcard wrappers/esp/*.c) wrappers/policy/policy.c $(wildcard wrappers/esp/component/*.c)
USER_LIBS_esp := /usr/lib/x86_64-linux-gnu/libsodium.a
# The ESP benchmarks (make bench): the same wrapper, crypto start and
# self-test, with the benchmark's own main instead of the gateway.
USER_PROGRAMS += esp-bench
ESP_COMPONENT_SHARED := crypto_start esp_selftest rdrand sodium_libc
USER_SRCS_esp-bench := $(wildcard wrappers/esp/*.c) wrappers/policy/policy.c $(wildcard wrappers/esp/bench/*.c) \
	$(ESP_COMPONENT_SHARED:%=wrappers/esp/component/%.c)
USER_LIBS_esp-bench := $(USER_LIBS_esp)
USER_SODIUM_INC := $(USER_OUT)/sodium-include
$(USER_OBJDIR)/wrappers/%.o: USER_CFLAGS += -Iwrappers/esp/component/include -isystem $(USER_SODIUM_INC)
$(addprefix $(USER_OBJDIR)/,$(sort $(USER_SRCS_esp:.c=.o) $(USER_SRCS_esp-bench:.c=.o))): | $(USER_SODIUM_INC)/sodium
$(USER_SODIUM_INC)/sodium:
	@mkdir -p $(dir $@)
	ln -sfn /usr/include/sodium $@
# Programs that run alone under usersim (the others need a parent and
# the real kernel: start information, delegation, semaphores).
USERSIM_PROGRAMS := sigma0 echo
USER_ELFS := $(USER_PROGRAMS:%=$(USER_OUT)/%.elf)

# Freestanding, no FPU/SSE use until the kernel switches that state per
# thread (eager XSAVE), and only the runtime's headers (-nostdinc) plus
# GCC's own (stddef.h, stdint.h, stdarg.h) and the ABI in include/.
USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
	-fno-pic -fno-pie -mgeneral-regs-only -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -fno-tree-loop-distribute-patterns -fcf-protection=none \
	-fno-toplevel-reorder -nostdinc -isystem $(shell $(CC) -print-file-name=include) -I. -Iinclude -Ilib
USER_ASFLAGS := -g -I. -Iinclude -Ilib -D__ASSEMBLY__
USER_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack --build-id=none -T lib/user.ld
USER_LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# The runtime: lib/ and the freestanding code it shares with the kernel
# (common/: the formatter, the ELF checks, the string functions), built
# here with user flags.
USER_LIB_SRC := $(filter-out lib/crt0.S,$(sort $(wildcard lib/*.c lib/*.S))) $(sort $(wildcard common/*.c))
USER_LIB_OBJ := $(addprefix $(USER_OBJDIR)/,$(addsuffix .o,$(basename $(USER_LIB_SRC))))
USER_LIB := $(USER_OUT)/libdj.a
USER_CRT0 := $(USER_OBJDIR)/lib/crt0.o

.PHONY: user
user: $(USER_ELFS)

$(USER_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(USER_OBJDIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(USER_ASFLAGS) -MMD -MP -c $< -o $@

$(USER_LIB): $(USER_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# One link rule per program: crt0 first, the program, then the runtime.
define user_program
USER_OBJ_$(1) := $$(addprefix $$(USER_OBJDIR)/,$$(addsuffix .o,$$(basename \
	$$(or $$(USER_SRCS_$(1)),$$(sort $$(wildcard $$(USER_DIR_$(1))/*.c $$(USER_DIR_$(1))/*.S))))))
$$(USER_OUT)/$(1).elf: $$(USER_CRT0) $$(USER_OBJ_$(1)) $$(USER_LIB) lib/user.ld
	$$(LD) $$(USER_LDFLAGS) -o $$@ $$(USER_CRT0) $$(USER_OBJ_$(1)) $$(USER_LIBS_$(1)) $$(USER_LIB) $$(USER_LIBGCC)
endef
$(foreach p,$(USER_PROGRAMS),$(eval $(call user_program,$(p))))

# The programs under a host emulation of the Donjon syscalls (ptrace):
# tests the runtime before, and independently of, the kernel.
USERSIM := $(USER_OUT)/usersim
$(USERSIM): tests/user/usersim.c include/donjon/abi.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude $< -o $@

.PHONY: user-check
user-check: $(USERSIM_PROGRAMS:%=$(USER_OUT)/%.elf) $(USERSIM)
	tests/user/run-usersim $(USERSIM) $(USERSIM_PROGRAMS:%=$(USER_OUT)/%.elf)

# The VMM's DSDT (iasl), compiled into servers/vmm/dsdt_aml.c.
include servers/vmm/dsdt.mk

-include $(shell find $(USER_OBJDIR) -name '*.d' 2>/dev/null)
