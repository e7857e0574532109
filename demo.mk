# SPDX-License-Identifier: GPL-2.0-only
# The gateway demo and its benchmarks (docs/gateway.md, "The demo"):
# tools/demo boots gateway A (Donjon's gateway ISO, or the Linux XFRM
# stand-in when that ISO cannot be built) and the Linux XFRM peer B with a
# LAN host on each side, sends ping and iperf3 through the tunnel and ends
# with the pcap proof. Both need root (network namespaces, tap devices).
# Included by the top Makefile.
.PHONY: demo demo-linux bench-gateway

demo: deps
	tools/demo

# The same topology with Debian's Linux XFRM as gateway A (the benchmarks' reference).
demo-linux: deps
	tools/demo --linux-gateway

# gateway_tcp, gateway_ping (part of make bench): Donjon vs Linux as gateway A.
bench-gateway: $(GUEST_IMAGES)
	-$(MAKE) iso-gateway
	tools/bench-gateway

# The demo's gateway ISO: build/donjon-gateway.iso with the inner and outer
# VMs recording their first DEMO_PCAP_FRAMES frames per link as PCAP
# console lines (servers/vmm-pcap/pcap.c; tools/serial2pcap). Recording slows
# those VMs down, so the benchmarks boot the plain ISO. Only this ISO has
# the recorder: its module "vmm" is vmm-pcap.elf (the VMM plus pcap.c).
DEMO_PCAP_FRAMES ?= 200
DEMO_ISO := $(BUILD)/donjon-gateway-demo.iso

$(GUEST_DIR)/cmdline-gw-%-pcap: $(GUEST_DIR)/cmdline-gw-% demo.mk
	{ cat $<; printf ' vmm_pcap=%s' '$(DEMO_PCAP_FRAMES)'; } >$@

DEMO_VMM := $(USER_OUT)/vmm-pcap.elf

$(DEMO_ISO): $(KERNEL_ELF) $(GATEWAY_PROGRAMS:%=$(USER_OUT)/%.elf) $(DEMO_VMM) $(GATEWAY_CONFIG) $(GATEWAY_XFRM) \
		$(GUEST_DIR)/cmdline-gw-inner-pcap $(GUEST_DIR)/cmdline-gw-outer-pcap $(GUEST_IMAGES) \
		tools/grub.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(GATEWAY_CONFIG),$(GATEWAY_PROGRAMS) vmlinuz initrd cmd-inner cmd-outer gwconf)
	MKISO_MODULES="$(foreach p,$(filter-out vmm,$(GATEWAY_PROGRAMS)),$(USER_OUT)/$(p).elf:$(p)) $(DEMO_VMM):vmm \
		$(GUEST_KERNEL):vmlinuz \
		$(GUEST_INITRAMFS):initrd $(GUEST_DIR)/cmdline-gw-inner-pcap:cmd-inner \
		$(GUEST_DIR)/cmdline-gw-outer-pcap:cmd-outer $(GATEWAY_XFRM):gwconf $(GATEWAY_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

.PHONY: iso-gateway-demo
iso-gateway-demo: $(DEMO_ISO)
