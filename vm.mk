# SPDX-License-Identifier: GPL-2.0-only
# The VM ISOs (docs/vmm.md): Donjon, init, the console and the VMM with
# Debian's kernel and the busybox initramfs (l4linux-glue/guest.mk) as
# the guest. `make run-vm` boots build/donjon-vm.iso with the guest's
# console on this terminal (Ctrl-A X quits QEMU). Included by the top
# Makefile.
#   build/donjon-vm.iso      servers/init/vm.conf: one VM, 1 vCPU
#   build/donjon-vm-smp.iso  servers/init/vm-smp.conf: one VM, 2 vCPUs
# Variables: VM_CMDLINE (the guest's command line file, default
# servers/vmm/linux.cmdline), VM_KERNEL / VM_INITRD (the guest images,
# default the glue's), QEMU_MEM for run-vm (default 1G).
VM_PROGRAMS := sigma0 init console vmm
VM_CMDLINE ?= servers/vmm/linux.cmdline
VM_KERNEL ?= $(GUEST_KERNEL)
VM_INITRD ?= $(GUEST_INITRAMFS)
VM_ISO := $(BUILD)/donjon-vm.iso
VM_SMP_ISO := $(BUILD)/donjon-vm-smp.iso

# vm_iso ISO CONFIG
define vm_iso
$(1): $$(KERNEL_ELF) $$(VM_PROGRAMS:%=$$(USER_OUT)/%.elf) $(2) $$(VM_CMDLINE) $$(VM_KERNEL) $$(VM_INITRD) \
		tools/grub.cfg tools/mkiso $$(BOOTCONFIG_CHECK)
	$$(call check_config,$(2),$$(VM_PROGRAMS) vmlinuz initrd vmcmdline)
	MKISO_MODULES="$$(foreach p,$$(VM_PROGRAMS),$$(USER_OUT)/$$(p).elf:$$(p)) $$(VM_KERNEL):vmlinuz \
		$$(VM_INITRD):initrd $$(VM_CMDLINE):vmcmdline $(2):config" \
		tools/mkiso $$@ $$(KERNEL_ELF) tools/grub.cfg
endef
$(eval $(call vm_iso,$(VM_ISO),servers/init/vm.conf))
$(eval $(call vm_iso,$(VM_SMP_ISO),servers/init/vm-smp.conf))

.PHONY: iso-vm run-vm
iso-vm: $(VM_ISO) $(VM_SMP_ISO)

run-vm: deps
	$(MAKE) $(VM_ISO)
	QEMU_MEM=$${QEMU_MEM:-1G} tools/run-qemu $(VM_ISO)

# The hostile-guest ISO (tests/vm/hostile): multiboot test guests.
MBTEST_ELF := $(BUILD)/vm-guests/mbtest.elf
MBTEST2_ELF := $(BUILD)/vm-guests/mbtest2.elf
VM_HOSTILE_ISO := $(BUILD)/donjon-vm-hostile.iso
VM_HOSTILE_CMDS := triple flood unbacked memory ok
$(MBTEST_ELF): tests/vm/guests/mbtest.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c $< -o $(@:.elf=.o)
	$(LD) -m elf_i386 -N -Ttext=0x100000 -e _start --build-id=none --no-warn-rwx-segments -o $@ $(@:.elf=.o)
$(MBTEST2_ELF): tests/vm/guests/mbtest.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -DMB2 -c $< -o $(@:.elf=.o)
	$(LD) -m elf_i386 -N -Ttext=0x100000 -e _start --build-id=none --no-warn-rwx-segments -o $@ $(@:.elf=.o)

$(VM_HOSTILE_ISO): $(KERNEL_ELF) $(VM_PROGRAMS:%=$(USER_OUT)/%.elf) servers/init/vm-hostile.conf $(MBTEST_ELF) $(MBTEST2_ELF) \
		$(VM_HOSTILE_CMDS:%=tests/vm/guests/%.cmdline) tools/grub.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,servers/init/vm-hostile.conf,$(VM_PROGRAMS) mbtest mbtest2 $(VM_HOSTILE_CMDS:%=cmd-%))
	MKISO_MODULES="$(foreach p,$(VM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(MBTEST_ELF):mbtest $(MBTEST2_ELF):mbtest2 \
		$(foreach c,$(VM_HOSTILE_CMDS),tests/vm/guests/$(c).cmdline:cmd-$(c)) servers/init/vm-hostile.conf:config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

.PHONY: iso-vm-hostile
iso-vm-hostile: $(VM_HOSTILE_ISO)

# The linux_boot benchmark's Donjon half (tools/bench-vm --boot-iso, make
# bench-vm): the "boot-bench" command line, no GRUB serial terminal.
VM_BOOT_BENCH_ISO := $(BUILD)/donjon-vm-bench.iso
$(VM_BOOT_BENCH_ISO): $(KERNEL_ELF) $(VM_PROGRAMS:%=$(USER_OUT)/%.elf) servers/init/vm-bench.conf \
		$(GUEST_DIR)/cmdline-boot-bench $(VM_KERNEL) $(VM_INITRD) tools/grub-vm-bench.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,servers/init/vm-bench.conf,$(VM_PROGRAMS) vmlinuz initrd vmcmdline)
	MKISO_MODULES="$(foreach p,$(VM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(VM_KERNEL):vmlinuz \
		$(VM_INITRD):initrd $(GUEST_DIR)/cmdline-boot-bench:vmcmdline servers/init/vm-bench.conf:config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub-vm-bench.cfg

# Two Linux VMs joined by a channel (tests/vm/net-pair).
VM_NET_ISO := $(BUILD)/donjon-vm-net.iso
$(VM_NET_ISO): $(KERNEL_ELF) $(VM_PROGRAMS:%=$(USER_OUT)/%.elf) servers/init/vm-net.conf tests/vm/guests/net-a.cmdline \
		tests/vm/guests/net-b.cmdline $(VM_KERNEL) $(VM_INITRD) tools/grub.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,servers/init/vm-net.conf,$(VM_PROGRAMS) vmlinuz initrd cmd-net-a cmd-net-b)
	MKISO_MODULES="$(foreach p,$(VM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(VM_KERNEL):vmlinuz $(VM_INITRD):initrd \
		tests/vm/guests/net-a.cmdline:cmd-net-a tests/vm/guests/net-b.cmdline:cmd-net-b servers/init/vm-net.conf:config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

.PHONY: iso-vm-net
iso-vm-net: $(VM_NET_ISO)

# Linux VMs on Donjon's NIC drivers (tests/vm/nic-ping, tests/vm/nic-restart):
#   build/donjon-vm-nic.iso          vm-nic.conf, virtio-net driver: 1,000 pings, iperf3 both ways
#   build/donjon-vm-nic-e1000e.iso   vm-nic-e1000e.conf: the same on the e1000e driver
#   build/donjon-vm-nic-restart.iso  vm-nic-restart.conf: the driver, then the VM, restart while it pings
VM_NIC_PROGRAMS := $(VM_PROGRAMS) pci nic-virtio nic-e1000e
VM_NIC_ISO := $(BUILD)/donjon-vm-nic.iso
VM_NIC_E1000E_ISO := $(BUILD)/donjon-vm-nic-e1000e.iso
VM_NIC_RESTART_ISO := $(BUILD)/donjon-vm-nic-restart.iso

# vm_nic_iso ISO CONFIG COMMAND_LINE_NAME
define vm_nic_iso
$(1): $$(KERNEL_ELF) $$(VM_NIC_PROGRAMS:%=$$(USER_OUT)/%.elf) $(2) $$(GUEST_DIR)/cmdline-$(3) \
		$$(VM_KERNEL) $$(VM_INITRD) tools/grub.cfg tools/mkiso $$(BOOTCONFIG_CHECK)
	$$(call check_config,$(2),$$(VM_NIC_PROGRAMS) vmlinuz initrd vmcmdline)
	MKISO_MODULES="$$(foreach p,$$(VM_NIC_PROGRAMS),$$(USER_OUT)/$$(p).elf:$$(p)) $$(VM_KERNEL):vmlinuz \
		$$(VM_INITRD):initrd $$(GUEST_DIR)/cmdline-$(3):vmcmdline $(2):config" \
		tools/mkiso $$@ $$(KERNEL_ELF) tools/grub.cfg
endef
$(eval $(call vm_nic_iso,$(VM_NIC_ISO),servers/init/vm-nic.conf,net-traffic))
$(eval $(call vm_nic_iso,$(VM_NIC_E1000E_ISO),servers/init/vm-nic-e1000e.conf,net-traffic))
$(eval $(call vm_nic_iso,$(VM_NIC_RESTART_ISO),servers/init/vm-nic-restart.conf,net-restart))

.PHONY: iso-vm-nic
iso-vm-nic: $(VM_NIC_ISO) $(VM_NIC_E1000E_ISO) $(VM_NIC_RESTART_ISO)

# vm_net_tcp's Donjon half (tools/bench-vm --net-iso, make bench-vm): the
# VM of vm-nic.conf with the "net-tcp" command line (iperf3 client).
VM_NET_BENCH_ISO := $(BUILD)/donjon-vm-net-bench.iso
$(VM_NET_BENCH_ISO): $(KERNEL_ELF) $(VM_NIC_PROGRAMS:%=$(USER_OUT)/%.elf) servers/init/vm-nic.conf $(GUEST_DIR)/cmdline-net-tcp \
		$(VM_KERNEL) $(VM_INITRD) tools/grub-vm-bench.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,servers/init/vm-nic.conf,$(VM_NIC_PROGRAMS) vmlinuz initrd vmcmdline)
	MKISO_MODULES="$(foreach p,$(VM_NIC_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(VM_KERNEL):vmlinuz $(VM_INITRD):initrd \
		$(GUEST_DIR)/cmdline-net-tcp:vmcmdline servers/init/vm-nic.conf:config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub-vm-bench.cfg

# Debian's kernel under Bochs' VT-x (tests/vm/bochs-linux, make
# check-bochs-linux): 1 vCPU, report and power off; no GRUB menu wait.
VM_BOCHS_ISO := $(BUILD)/donjon-vm-bochs.iso
$(VM_BOCHS_ISO): $(KERNEL_ELF) $(VM_PROGRAMS:%=$(USER_OUT)/%.elf) servers/init/vm-bochs.conf \
		$(GUEST_DIR)/cmdline-bochs-linux $(VM_KERNEL) $(VM_INITRD) tools/grub-vm-bench.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,servers/init/vm-bochs.conf,$(VM_PROGRAMS) vmlinuz initrd vmcmdline)
	MKISO_MODULES="$(foreach p,$(VM_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(VM_KERNEL):vmlinuz \
		$(VM_INITRD):initrd $(GUEST_DIR)/cmdline-bochs-linux:vmcmdline servers/init/vm-bochs.conf:config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub-vm-bench.cfg

.PHONY: iso-vm-bochs
iso-vm-bochs: $(VM_BOCHS_ISO)
