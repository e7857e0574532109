/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's DSDT, compiled by iasl at build time (servers/vmm/dsdt.mk) and
 * copied into guest memory by acpi.c. The numbers here are the platform's
 * layout in servers/vmm/acpi.h (the host test checks they agree):
 *   \_S5 SLP_TYP 5       ACPI_S5_SLP_TYP (power.c powers off on it)
 *   ECAM 0xb0000000..0xbfffffff   VMM_PCI_ECAM_BASE, 256 buses
 *   PCI MMIO 0xc0000000..0xfebfffff   VMM_PCI_MMIO_BASE..VMM_PCI_MMIO_END
 *   PCI interrupts: slot s pin p -> GSI 16 + ((s + p) & 3) (IOAPIC, level, low) */
DefinitionBlock ("", "DSDT", 2, "DONJON", "DJVMM", 1)
{
    /* S5 (soft off): SLP_TYPa, SLP_TYPb, reserved. */
    Name (\_S5, Package (0x04) { 0x05, 0x05, 0x00, 0x00 })

    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A08")) /* PCI Express root bridge */
            Name (_CID, EisaId ("PNP0A03")) /* PCI root bridge */
            Name (_UID, 0x00)
            Name (_SEG, 0x00)
            Name (_BBN, 0x00)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })
            /* INTx routing for slots 1..4 (virtio-net uses MSI-X; this is for the rest). */
            Name (_PRT, Package ()
            {
                Package () { 0x0001FFFF, 0, 0, 17 }, Package () { 0x0001FFFF, 1, 0, 18 },
                Package () { 0x0001FFFF, 2, 0, 19 }, Package () { 0x0001FFFF, 3, 0, 16 },
                Package () { 0x0002FFFF, 0, 0, 18 }, Package () { 0x0002FFFF, 1, 0, 19 },
                Package () { 0x0002FFFF, 2, 0, 16 }, Package () { 0x0002FFFF, 3, 0, 17 },
                Package () { 0x0003FFFF, 0, 0, 19 }, Package () { 0x0003FFFF, 1, 0, 16 },
                Package () { 0x0003FFFF, 2, 0, 17 }, Package () { 0x0003FFFF, 3, 0, 18 },
                Package () { 0x0004FFFF, 0, 0, 16 }, Package () { 0x0004FFFF, 1, 0, 17 },
                Package () { 0x0004FFFF, 2, 0, 18 }, Package () { 0x0004FFFF, 3, 0, 19 },
            })
        }

        /* Motherboard resources: the ECAM window, so Linux trusts MCFG, and
         * the ACPI PM block. */
        Device (MRES)
        {
            Name (_HID, EisaId ("PNP0C02"))
            Name (_UID, 0x01)
            Name (_CRS, ResourceTemplate ()
            {
                Memory32Fixed (ReadWrite, 0xB0000000, 0x10000000)
                IO (Decode16, 0x0600, 0x0600, 0x01, 0x10)
            })
        }

        /* CMOS RTC at 0x70 (rtc.c). */
        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
            })
        }

        /* COM1 (uart.c). */
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, 0x01)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IRQNoFlags () { 4 }
            })
        }
    }
}
