# SPDX-License-Identifier: GPL-2.0-only
# The NIC ISO: sigma0, init, the console, the PCI server, both NIC drivers
# and two instances of the network self-test (tests/components/netself), one per
# NIC, from servers/init/net.conf. tests/net/run boots it in QEMU with a
# virtio-net and an e1000e NIC on tap devices and pings both; tools/bench
# measures the drivers with it.
# Included by the top Makefile after user.mk:   include net.mk
NET_ISO := $(BUILD)/donjon-net.iso
NET_CONFIG := servers/init/net.conf
NET_PROGRAMS := sigma0 init console pci nic-virtio nic-e1000e netself intruder
NET_ELFS := $(NET_PROGRAMS:%=$(USER_OUT)/%.elf)

# netself is wired here rather than in user.mk's list (same rule).
USER_DIR_netself := tests/components/netself
$(eval $(call user_program,netself))
user: $(USER_OUT)/netself.elf

$(NET_ISO): $(KERNEL_ELF) $(NET_ELFS) $(NET_CONFIG) tools/grub-net.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(NET_CONFIG),$(NET_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(NET_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(NET_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub-net.cfg

# The restart test's ISO: the same system, each driver faulting on purpose
# after NET_CRASH_AFTER frames (tests/net/crash-config).
NET_RESTART_ISO := $(BUILD)/donjon-net-restart.iso
NET_RESTART_CONFIG := $(BUILD)/net-restart.conf
NET_CRASH_AFTER ?= 300
$(NET_RESTART_CONFIG): $(NET_CONFIG) tests/net/crash-config
	@mkdir -p $(dir $@)
	tests/net/crash-config $(NET_CRASH_AFTER) <$< >$@

$(NET_RESTART_ISO): $(KERNEL_ELF) $(NET_ELFS) $(NET_RESTART_CONFIG) tools/grub-net.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(NET_RESTART_CONFIG),$(NET_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(NET_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(NET_RESTART_CONFIG):config" \
		tools/mkiso $@ $(KERNEL_ELF) tools/grub-net.cfg

.PHONY: iso-net check-net
iso-net: $(NET_ISO) $(NET_RESTART_ISO)

# The NIC tests alone (root: network namespaces and tap devices).
check-net: deps
	$(MAKE) iso-net
	tests/net/run $(BUILD)

# The NIC demo: both NICs on taps in namespaces, the serial console on the
# terminal, ping instructions (tools/run-net; root).
.PHONY: run-net
run-net: deps
	$(MAKE) $(NET_ISO)
	tools/run-net $(NET_ISO)
