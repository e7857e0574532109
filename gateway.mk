# SPDX-License-Identifier: GPL-2.0-only
# The VPN gateway ISO (docs/gateway.md, "The gateway with two Linux VMs"):
# the production kernel, two NIC drivers (LAN 00:03.0, WAN 00:04.0), the
# ESP wrapper with gateway/demo.xfrm, and the inner and outer Linux VMs
# (roles gw-inner, gw-outer of l4linux-glue/init). tools/gateway-qemu
# boots it with the two NICs; tests/gateway/vms is the run-all job
# gateway-vms. Included by the top Makefile.
GATEWAY_ISO := $(BUILD)/donjon-gateway.iso
GATEWAY_CONFIG := gateway/gateway.conf
GATEWAY_XFRM ?= gateway/demo.xfrm
GATEWAY_PROGRAMS := sigma0 init console pci nic-virtio esp vmm

$(GATEWAY_ISO): $(KERNEL_ELF) $(GATEWAY_PROGRAMS:%=$(USER_OUT)/%.elf) $(GATEWAY_CONFIG) $(GATEWAY_XFRM) \
		$(GUEST_DIR)/cmdline-gw-inner $(GUEST_DIR)/cmdline-gw-outer $(GUEST_IMAGES) \
		tools/grub.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(GATEWAY_CONFIG),$(GATEWAY_PROGRAMS) vmlinuz initrd cmd-inner cmd-outer gwconf)
	MKISO_MODULES="$(foreach p,$(GATEWAY_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(GUEST_KERNEL):vmlinuz \
		$(GUEST_INITRAMFS):initrd $(GUEST_DIR)/cmdline-gw-inner:cmd-inner $(GUEST_DIR)/cmdline-gw-outer:cmd-outer \
		$(GATEWAY_XFRM):gwconf $(GATEWAY_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

.PHONY: iso-gateway
iso-gateway: $(GATEWAY_ISO)
