# User programs and their runtime (lib/). Included by the top Makefile
# (`include user.mk` after its `all:` line), or used alone:
#     make -f user.mk BUILD=build-x user
# Output: $(BUILD)/user/<name>.elf for every name in USER_PROGRAMS,
# $(BUILD)/user/libdj.a (the runtime) and $(BUILD)/user/crt0.o.

BUILD ?= build
USER_OUT := $(BUILD)/user
USER_OBJDIR := $(USER_OUT)/obj

# Each program: a name and the directory whose *.c and *.S make it, or
# instead an explicit list of sources in USER_SRCS_<name> (programs that
# share files of one directory, like the NIC drivers).
USER_PROGRAMS := sigma0 echo coretest init console kvstore kvclient nic-virtio nic-e1000e
USER_DIR_sigma0 := sigma0
USER_DIR_echo := servers/echo
USER_DIR_coretest := tests/user/coretest
USER_DIR_init := servers/init
USER_DIR_console := servers/console
USER_DIR_kvstore := servers/kvstore
USER_DIR_kvclient := servers/kvclient
USER_PROGRAMS += chantest
USER_DIR_chantest := servers/chantest
USER_PROGRAMS += pci pcicheck intruder
USER_DIR_pci := servers/pci
USER_DIR_pcicheck := servers/pcicheck
USER_DIR_intruder := servers/intruder
# The hostile-component fuzzer (build/donjon-fuzz.iso, fuzz.mk).
USER_PROGRAMS += hostilefuzz
USER_DIR_hostilefuzz := tests/user/fuzz
# NIC drivers: the common loop (main.c, nic_*.c) plus one hardware part.
NIC_COMMON_SRCS := servers/nic/main.c $(wildcard servers/nic/nic_*.c)
USER_SRCS_nic-virtio := $(NIC_COMMON_SRCS) $(wildcard servers/nic/virtio_*.c)
USER_SRCS_nic-e1000e := $(NIC_COMMON_SRCS) servers/nic/e1000e.c
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
	-fno-toplevel-reorder -nostdinc -isystem $(shell $(CC) -print-file-name=include) -Iinclude -Ilib
USER_ASFLAGS := -g -Iinclude -Ilib -D__ASSEMBLY__
USER_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack --build-id=none -T lib/user.ld
USER_LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# The runtime; printf uses the kernel's formatter and the ELF loader the
# kernel's ELF checks, both built here with user flags (not copied).
USER_LIB_SRC := $(filter-out lib/crt0.S,$(sort $(wildcard lib/*.c lib/*.S))) kernel/format.c kernel/elf.c kernel/string.c
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
USER_OBJ_$(1) := $$(addprefix $$(USER_OBJDIR)/,$$(addsuffix .o,$$(basename $$(sort \
	$$(or $$(USER_SRCS_$(1)),$$(wildcard $$(USER_DIR_$(1))/*.c $$(USER_DIR_$(1))/*.S))))))
$$(USER_OUT)/$(1).elf: $$(USER_CRT0) $$(USER_OBJ_$(1)) $$(USER_LIB) lib/user.ld
	$$(LD) $$(USER_LDFLAGS) -o $$@ $$(USER_CRT0) $$(USER_OBJ_$(1)) $$(USER_LIB) $$(USER_LIBGCC)
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

-include $(shell find $(USER_OBJDIR) -name '*.d' 2>/dev/null)
