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
GUEST_INPUTS := l4linux-glue/build l4linux-glue/init l4linux-glue/mkcpio.py \
	$(wildcard /boot/vmlinuz-* /bin/busybox /usr/bin/iperf3)

$(GUEST_KERNEL) $(GUEST_INITRAMFS) &: $(GUEST_INPUTS)
	l4linux-glue/build $(GUEST_DIR)
	touch $(GUEST_IMAGES)

.PHONY: guest-images
guest-images: $(GUEST_IMAGES)
