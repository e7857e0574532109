# SPDX-License-Identifier: GPL-2.0-only
# The VPN gateway ISO (docs/gateway.md, "The gateway with two Linux VMs"):
# the production kernel, two NIC drivers (LAN 00:03.0, WAN 00:04.0), the
# ESP wrapper with gateway/demo.xfrm, and the inner and outer Linux VMs
# (roles gw-inner, gw-outer of l4linux-glue/init). tools/gateway-qemu
# boots it with the two NICs. tests/gateway/vms (run-all job gateway-vms)
# boots build/donjon-gateway-test.iso: the same lines but the first
# instances of the WAN NIC driver, the LAN NIC driver, the wrapper, the
# inner VM and the outer VM crash after GATEWAY_TEST_*CRASH_AFTER frames
# or packets (arg=crash_after=N: servers/nic/nic_fault.c,
# wrappers/esp/component/gw_fault.c, servers/vmm/fault.c), so init
# restarts each in turn while traffic flows. Included by the top Makefile.
GATEWAY_ISO := $(BUILD)/donjon-gateway.iso
GATEWAY_CONFIG := gateway/gateway.conf
GATEWAY_XFRM ?= gateway/demo.xfrm
GATEWAY_PROGRAMS := sigma0 init console pci nic-virtio esp vmm
GATEWAY_TEST_ISO := $(BUILD)/donjon-gateway-test.iso
GATEWAY_TEST_CONFIG := $(BUILD)/gateway/gateway-test.conf
GATEWAY_TEST_CRASH_AFTER := 600
# Later, so the three restarts come one after the other (tests/gateway/vms):
# the LAN driver counts frames, the wrapper forwarded packets.
GATEWAY_TEST_LAN_CRASH_AFTER := 1100
GATEWAY_TEST_ESP_CRASH_AFTER := 1500
# A VMM counts the frames on both its channels, both ways: a ping across
# the tunnel is 4 of them in each VM, so when the wrapper has died the
# inner VM has moved about 3,200 (pings lost in the earlier restarts add
# some); it goes next, about 170 pings later, the outer VM 200 after it.
GATEWAY_TEST_INNER_CRASH_AFTER := 3900
GATEWAY_TEST_OUTER_CRASH_AFTER := 4700

# gateway_iso ISO CONFIG
define gateway_iso
$(1): $$(KERNEL_ELF) $$(GATEWAY_PROGRAMS:%=$$(USER_OUT)/%.elf) $(2) $$(GATEWAY_XFRM) \
		$$(GUEST_DIR)/cmdline-gw-inner $$(GUEST_DIR)/cmdline-gw-outer $$(GUEST_IMAGES) \
		tools/grub.cfg tools/mkiso $$(BOOTCONFIG_CHECK)
	$$(call check_config,$(2),$$(GATEWAY_PROGRAMS) vmlinuz initrd cmd-inner cmd-outer gwconf)
	MKISO_MODULES="$$(foreach p,$$(GATEWAY_PROGRAMS),$$(USER_OUT)/$$(p).elf:$$(p)) $$(GUEST_KERNEL):vmlinuz \
		$$(GUEST_INITRAMFS):initrd $$(GUEST_DIR)/cmdline-gw-inner:cmd-inner $$(GUEST_DIR)/cmdline-gw-outer:cmd-outer \
		$$(GATEWAY_XFRM):gwconf $(2):config" \
		tools/mkiso $$@ $$(KERNEL_ELF) tools/grub.cfg
endef
$(eval $(call gateway_iso,$(GATEWAY_ISO),$(GATEWAY_CONFIG)))
$(eval $(call gateway_iso,$(GATEWAY_TEST_ISO),$(GATEWAY_TEST_CONFIG)))

$(GATEWAY_TEST_CONFIG): $(GATEWAY_CONFIG) gateway.mk
	@mkdir -p $(dir $@)
	sed -e 's/^\(wannic .*\)$$/\1 arg=crash_after=$(GATEWAY_TEST_CRASH_AFTER)/' \
		-e 's/^\(lannic .*\)$$/\1 arg=crash_after=$(GATEWAY_TEST_LAN_CRASH_AFTER)/' \
		-e 's/^\(esp .*\)$$/\1 arg=crash_after=$(GATEWAY_TEST_ESP_CRASH_AFTER)/' \
		-e 's/^\(inner .*\)$$/\1 arg=crash_after=$(GATEWAY_TEST_INNER_CRASH_AFTER)/' \
		-e 's/^\(outer .*\)$$/\1 arg=crash_after=$(GATEWAY_TEST_OUTER_CRASH_AFTER)/' $< >$@
	grep -q '^wannic .* arg=crash_after=' $@
	grep -q '^lannic .* arg=crash_after=' $@
	grep -q '^esp .* arg=crash_after=' $@
	grep -q '^inner .* restart=yes.* arg=crash_after=' $@
	grep -q '^outer .* restart=yes.* arg=crash_after=' $@

.PHONY: iso-gateway
iso-gateway: $(GATEWAY_ISO) $(GATEWAY_TEST_ISO)

# The compromised-VM test's ISO (tests/gateway/vms-hostile, run-all job
# gateway-hostile; docs/gateway.md "Compromised VMs"): the lines of
# gateway/gateway.conf, but the inner and outer VMs boot the hostile
# roles gw-inner-evil and gw-outer-evil of l4linux-glue/init.
GATEWAY_HOSTILE_ISO := $(BUILD)/donjon-gateway-hostile.iso
$(GATEWAY_HOSTILE_ISO): $(KERNEL_ELF) $(GATEWAY_PROGRAMS:%=$(USER_OUT)/%.elf) $(GATEWAY_CONFIG) $(GATEWAY_XFRM) \
		$(GUEST_DIR)/cmdline-gw-inner-evil $(GUEST_DIR)/cmdline-gw-outer-evil $(GUEST_IMAGES) \
		tools/grub.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(GATEWAY_CONFIG),$(GATEWAY_PROGRAMS) vmlinuz initrd cmd-inner cmd-outer gwconf)
	MKISO_MODULES="$(foreach p,$(GATEWAY_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(GUEST_KERNEL):vmlinuz \
		$(GUEST_INITRAMFS):initrd $(GUEST_DIR)/cmdline-gw-inner-evil:cmd-inner \
		$(GUEST_DIR)/cmdline-gw-outer-evil:cmd-outer $(GATEWAY_XFRM):gwconf $(GATEWAY_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub.cfg

.PHONY: iso-gateway-hostile
iso-gateway-hostile: $(GATEWAY_HOSTILE_ISO)
