# SPDX-License-Identifier: GPL-2.0-only
# The rogue-DMA ISO (docs/iommu.md): the PCI server, a victim PD and a
# hostile virtio-net driver (tests/components/roguenic) from
# servers/init/rogue-dma.conf, on the test kernel (test mode: the victim
# ends the run). tests/run-all (job qemu-rogue-dma) boots it on q35 with
# intel-iommu,intremap=on and a virtio-net function with
# iommu_platform=on,disable-legacy=on.
# Included by the top Makefile after user.mk:   include rogue-dma.mk
ROGUE_DMA_ISO := $(BUILD)/donjon-rogue-dma.iso
ROGUE_DMA_CONFIG := servers/init/rogue-dma.conf
ROGUE_DMA_PROGRAMS := sigma0 init pci roguenic
ROGUE_DMA_ELFS := $(ROGUE_DMA_PROGRAMS:%=$(USER_OUT)/%.elf)

# roguenic is wired here rather than in user.mk's list (same rule); it
# borrows the NIC driver's virtio transport and rings.
USER_SRCS_roguenic := $(sort $(wildcard tests/components/roguenic/*.c)) servers/nic/virtio_pci.c servers/nic/virtio_ring.c
$(eval $(call user_program,roguenic))
user: $(USER_OUT)/roguenic.elf

$(ROGUE_DMA_ISO): $(TEST_KERNEL_ELF) $(ROGUE_DMA_ELFS) $(ROGUE_DMA_CONFIG) tools/grub-test.cfg tools/mkiso $(BOOTCONFIG_CHECK)
	$(call check_config,$(ROGUE_DMA_CONFIG),$(ROGUE_DMA_PROGRAMS))
	MKISO_MODULES="$(foreach p,$(ROGUE_DMA_PROGRAMS),$(USER_OUT)/$(p).elf:$(p)) $(ROGUE_DMA_CONFIG):config" \
		tools/mkiso $@ $(TEST_KERNEL_ELF) tools/grub-test.cfg

.PHONY: iso-rogue-dma
iso-rogue-dma: $(ROGUE_DMA_ISO)
all: iso-rogue-dma
