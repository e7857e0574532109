# SPDX-License-Identifier: GPL-2.0-only
# The Linux guest images (l4linux-glue/README.md): Debian's kernel and a
# busybox initramfs, built from installed Debian packages by
# l4linux-glue/build. A VM ISO lists $(GUEST_IMAGES) as prerequisites.
# Included by the top Makefile:   include l4linux-glue/guest.mk
GUEST_DIR := $(BUILD)/guest
GUEST_KERNEL := $(GUEST_DIR)/vmlinuz
GUEST_INITRAMFS := $(GUEST_DIR)/initramfs.cpio.gz
GUEST_IMAGES := $(GUEST_KERNEL) $(GUEST_INITRAMFS)
# Inputs that exist (a missing package is reported by the build script).
GUEST_INPUTS := l4linux-glue/build l4linux-glue/init l4linux-glue/mkcpio.py l4linux-glue/gwevil.c \
	$(wildcard /boot/vmlinuz-* /bin/busybox /usr/bin/iperf3 /bin/ip)

$(GUEST_KERNEL) $(GUEST_INITRAMFS) &: $(GUEST_INPUTS)
	l4linux-glue/build $(GUEST_DIR)
	touch $(GUEST_IMAGES)

.PHONY: guest-images
guest-images: $(GUEST_IMAGES)

# A named command line of l4linux-glue/cmdlines as a file (no newline), for
# a VM's cmdline boot module: $(GUEST_DIR)/cmdline-boot-bench, ...
$(GUEST_DIR)/cmdline-%: l4linux-glue/cmdlines l4linux-glue/cmdline tests/vm/qemu_guest.py
	@mkdir -p $(dir $@)
	line=$$(l4linux-glue/cmdline $*) && printf '%s' "$$line" >$@

# The VM benchmarks (tools/bench-vm, part of make bench): bare QEMU, and
# Donjon's half when the VMM's rules name its ISOs in VM_BOOT_BENCH_ISO
# (a VM booting the "boot-bench" command line of l4linux-glue/cmdlines) and
# VM_NET_BENCH_ISO ("net-tcp"). Expanded when the recipe runs, so they may
# be set after this file is included.
.PHONY: bench-vm
bench-vm: $(GUEST_IMAGES)
	$(if $(VM_BOOT_BENCH_ISO)$(VM_NET_BENCH_ISO),$(MAKE) $(VM_BOOT_BENCH_ISO) $(VM_NET_BENCH_ISO))
	tools/bench-vm --build $(BUILD) $(if $(VM_BOOT_BENCH_ISO),--boot-iso $(VM_BOOT_BENCH_ISO)) \
		$(if $(VM_NET_BENCH_ISO),--net-iso $(VM_NET_BENCH_ISO))
