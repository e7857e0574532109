# SPDX-License-Identifier: GPL-2.0-only
# The VM ISO (docs/vmm.md): Donjon, init, the console and the VMM with
# Debian's kernel and the busybox initramfs (l4linux-glue/guest.mk) as
# the guest. `make run-vm` boots it with the guest's console on this
# terminal (Ctrl-A X quits QEMU). Included by the top Makefile.
#   VM_CONFIG   the boot configuration (default servers/init/vm.conf)
#   VM_CMDLINE  the guest's command line file (default servers/vmm/linux.cmdline)
#   VM_KERNEL / VM_INITRD  the guest images (default: the glue's)
#   QEMU_MEM    host memory for QEMU (default 1G: the guest's mem= and Donjon)
VM_PROGRAMS := sigma0 init console vmm
VM_CONFIG ?= servers/init/vm.conf
VM_CMDLINE ?= servers/vmm/linux.cmdline
VM_KERNEL ?= $(GUEST_KERNEL)
VM_INITRD ?= $(GUEST_INITRAMFS)
VM_ISO := $(BUILD)/donjon-vm.iso

$(VM_ISO): $(KERNEL_ELF) $(VM_PROGRAMS:%=$(USER_OUT)/%.elf) $(VM_CONFIG) $(VM_CMDLINE) $(VM_KERNEL) $(VM_INITRD) \
		tools/grub.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(VM_CONFIG),$(VM_PROGRAMS) vmlinuz initrd vmcmdline)
	MKISO_MODULES="$(foreach p,$(VM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(VM_KERNEL):vmlinuz \
		$(VM_INITRD):initrd $(VM_CMDLINE):vmcmdline $(VM_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

.PHONY: iso-vm run-vm
iso-vm: $(VM_ISO)

run-vm: deps
	$(MAKE) iso-vm
	QEMU_MEM=$${QEMU_MEM:-1G} tools/run-qemu $(VM_ISO)
