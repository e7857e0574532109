/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest's ACPI tables (acpi.h). Field offsets follow the ACPI 6.x
 * specification; the host test reads the tables back with the kernel's own
 * ACPI parser and with iasl's disassembler. */
#include "servers/vmm/acpi.h"
#include "common/string.h"

#define OEM_ID "DONJON"
#define OEM_TABLE_ID "DJVMM   "
#define CREATOR_ID "DJVM"
#define HEADER_LEN 36

#define RSDP_LEN 36
#define RSDP_REVISION 2
#define FACS_LEN 64
#define FACS_ALIGN 64
#define FACS_VERSION 2
#define FADT_LEN 276
#define FADT_REVISION 6
#define MADT_REVISION 5
#define MCFG_ENTRY_LEN 16
#define TABLE_ALIGN 16

/* FADT fields */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_PM_PROFILE 45
#define FADT_SCI_INT 46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_CENTURY 108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_HYPERVISOR_ID 268

#define PM_PROFILE_UNSPECIFIED 0
#define C2_UNSUPPORTED_LATENCY 101
#define C3_UNSUPPORTED_LATENCY 1001
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define BOOT_ARCH_NO_ASPM (1u << 4)
#define FADT_FLAG_WBINVD (1u << 0)
#define FADT_FLAG_PROC_C1 (1u << 2)
#define FADT_FLAG_SLP_BUTTON (1u << 5)  /* no fixed sleep button (the power button is fixed: pm.c) */
#define FADT_FLAG_RESET_REG_SUP (1u << 10)

/* Generic Address Structure */
#define GAS_LEN 12
#define GAS_SPACE_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* MADT */
#define MADT_PCAT_COMPAT 0
#define MADT_LAPIC 0
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC 1
#define MADT_IOAPIC_LEN 12
#define MADT_ISO 2
#define MADT_ISO_LEN 10
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_NMI_LEN 6
#define MADT_X2APIC 9
#define MADT_X2APIC_LEN 16
#define MADT_X2APIC_NMI 0xa
#define MADT_X2APIC_NMI_LEN 12
#define MADT_ENABLED 1
#define MPS_INTI_HIGH_LEVEL 0x000d  /* polarity active high (01), trigger level (11) */
#define MPS_INTI_HIGH_EDGE 0x0005
#define ALL_PROCESSORS_UID8 0xff
#define ALL_PROCESSORS_UID32 0xffffffffu
#define LINT1 1
#define ISA_TIMER_IRQ 0
#define ISA_TIMER_GSI 2

struct builder {
    uint8_t *p;       /* VMM address of the area */
    uint64_t gpa;     /* its guest-physical address */
    uint64_t room, at;
    bool full;
};

static void put8(uint8_t *t, unsigned off, uint8_t v) { t[off] = v; }
static void put16(uint8_t *t, unsigned off, uint16_t v) { memcpy(t + off, &v, 2); }
static void put32(uint8_t *t, unsigned off, uint32_t v) { memcpy(t + off, &v, 4); }
static void put64(uint8_t *t, unsigned off, uint64_t v) { memcpy(t + off, &v, 8); }

static uint8_t checksum_fix(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += p[i];
    return (uint8_t)-sum;
}

/* Room for len bytes at the next aligned offset; NULL (and full) if none. */
static uint8_t *alloc(struct builder *b, uint64_t len, uint64_t align, uint64_t *gpa)
{
    uint64_t at = (b->at + align - 1) & ~(align - 1);
    if (at > b->room || len > b->room - at) {
        b->full = true;
        return NULL;
    }
    b->at = at + len;
    *gpa = b->gpa + at;
    memset(b->p + at, 0, len);
    return b->p + at;
}

static uint8_t *begin_table(struct builder *b, const char *sig, uint32_t len, uint8_t revision, uint64_t *gpa)
{
    uint8_t *t = alloc(b, len, TABLE_ALIGN, gpa);
    if (!t)
        return NULL;
    memcpy(t, sig, 4);
    put32(t, 4, len);
    put8(t, 8, revision);
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put32(t, 24, 1);
    memcpy(t + 28, CREATOR_ID, 4);
    put32(t, 32, 1);
    return t;
}

static void end_table(uint8_t *t)
{
    uint32_t len;
    memcpy(&len, t + 4, 4);
    t[9] = 0;
    t[9] = checksum_fix(t, len);
}

static void put_gas_io(uint8_t *t, unsigned off, uint16_t port, unsigned bytes)
{
    put8(t, off, GAS_SPACE_IO);
    put8(t, off + 1, (uint8_t)(bytes * 8));
    put8(t, off + 2, 0);
    put8(t, off + 3, bytes == 1 ? GAS_ACCESS_BYTE : bytes == 2 ? GAS_ACCESS_WORD : GAS_ACCESS_DWORD);
    put64(t, off + 4, port);
}

static uint64_t build_facs(struct builder *b)
{
    uint64_t gpa;
    uint8_t *t = alloc(b, FACS_LEN, FACS_ALIGN, &gpa);
    if (!t)
        return 0;
    memcpy(t, "FACS", 4);
    put32(t, 4, FACS_LEN);
    put8(t, 32, FACS_VERSION);
    return gpa;
}

static uint64_t build_dsdt(struct builder *b, const struct vmm_acpi_config *cfg)
{
    uint64_t gpa;
    uint8_t *t = alloc(b, cfg->dsdt_len, TABLE_ALIGN, &gpa);
    if (!t)
        return 0;
    memcpy(t, cfg->dsdt, cfg->dsdt_len);
    return gpa;
}

static uint64_t build_fadt(struct builder *b, uint64_t facs, uint64_t dsdt)
{
    uint64_t gpa;
    uint8_t *t = begin_table(b, "FACP", FADT_LEN, FADT_REVISION, &gpa);
    if (!t)
        return 0;
    /* The 32-bit pointers too: our tables sit below 4 GiB and older
     * parsers read only those. */
    put32(t, FADT_FIRMWARE_CTRL, (uint32_t)facs);
    put32(t, FADT_DSDT, (uint32_t)dsdt);
    put8(t, FADT_PM_PROFILE, PM_PROFILE_UNSPECIFIED);
    put16(t, FADT_SCI_INT, ACPI_SCI_IRQ);
    /* SMI_CMD stays 0: there is no SMM, the platform is always in ACPI mode. */
    put32(t, FADT_PM1A_EVT_BLK, ACPI_PM1A_EVT_PORT);
    put32(t, FADT_PM1A_CNT_BLK, ACPI_PM1A_CNT_PORT);
    put8(t, FADT_PM1_EVT_LEN, 4);
    put8(t, FADT_PM1_CNT_LEN, 2);
    put16(t, FADT_P_LVL2_LAT, C2_UNSUPPORTED_LATENCY);
    put16(t, FADT_P_LVL3_LAT, C3_UNSUPPORTED_LATENCY);
    put8(t, FADT_CENTURY, ACPI_CMOS_CENTURY);
    /* No 8042 flag: the i8042 model is there for its reset line only, and
     * with the flag (and no PS/2 device in the DSDT) Linux would probe it
     * "directly" and wait for a keyboard that never answers. */
    put16(t, FADT_IAPC_BOOT_ARCH, BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_NO_ASPM);
    put32(t, FADT_FLAGS, FADT_FLAG_WBINVD | FADT_FLAG_PROC_C1 | FADT_FLAG_SLP_BUTTON | FADT_FLAG_RESET_REG_SUP);
    put_gas_io(t, FADT_RESET_REG, ACPI_RESET_PORT, 1);
    put8(t, FADT_RESET_VALUE, ACPI_RESET_VALUE);
    put8(t, FADT_MINOR_VERSION, 0);
    put64(t, FADT_X_FIRMWARE_CTRL, facs);
    put64(t, FADT_X_DSDT, dsdt);
    put_gas_io(t, FADT_X_PM1A_EVT_BLK, ACPI_PM1A_EVT_PORT, 4);
    put_gas_io(t, FADT_X_PM1A_CNT_BLK, ACPI_PM1A_CNT_PORT, 2);
    memcpy(t + FADT_HYPERVISOR_ID, "DONJONVM", 8);
    end_table(t);
    return gpa;
}

static uint32_t madt_len(const struct vmm_acpi_config *cfg)
{
    uint32_t per_cpu = cfg->x2apic_entries ? MADT_X2APIC_LEN : MADT_LAPIC_LEN;
    uint32_t nmi = cfg->x2apic_entries ? MADT_X2APIC_NMI_LEN : MADT_LAPIC_NMI_LEN;
    return HEADER_LEN + 8 + cfg->vcpus * per_cpu + MADT_IOAPIC_LEN + 2 * MADT_ISO_LEN + nmi;
}

static unsigned madt_iso(uint8_t *t, unsigned off, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    put8(t, off, MADT_ISO);
    put8(t, off + 1, MADT_ISO_LEN);
    put8(t, off + 2, 0); /* ISA bus */
    put8(t, off + 3, irq);
    put32(t, off + 4, gsi);
    put16(t, off + 8, flags);
    return off + MADT_ISO_LEN;
}

static unsigned madt_cpus(uint8_t *t, unsigned off, const struct vmm_acpi_config *cfg)
{
    for (unsigned i = 0; i < cfg->vcpus; i++) {
        if (cfg->x2apic_entries) {
            put8(t, off, MADT_X2APIC);
            put8(t, off + 1, MADT_X2APIC_LEN);
            put32(t, off + 4, i);  /* x2APIC ID */
            put32(t, off + 8, MADT_ENABLED);
            put32(t, off + 12, i); /* processor UID */
            off += MADT_X2APIC_LEN;
        } else {
            put8(t, off, MADT_LAPIC);
            put8(t, off + 1, MADT_LAPIC_LEN);
            put8(t, off + 2, (uint8_t)i); /* processor UID */
            put8(t, off + 3, (uint8_t)i); /* APIC ID */
            put32(t, off + 4, MADT_ENABLED);
            off += MADT_LAPIC_LEN;
        }
    }
    return off;
}

static uint64_t build_madt(struct builder *b, const struct vmm_acpi_config *cfg)
{
    uint64_t gpa;
    uint8_t *t = begin_table(b, "APIC", madt_len(cfg), MADT_REVISION, &gpa);
    if (!t)
        return 0;
    put32(t, HEADER_LEN, VMM_LAPIC_BASE);
    put32(t, HEADER_LEN + 4, MADT_PCAT_COMPAT); /* no 8259 pair */
    unsigned off = madt_cpus(t, HEADER_LEN + 8, cfg);
    put8(t, off, MADT_IOAPIC);
    put8(t, off + 1, MADT_IOAPIC_LEN);
    put8(t, off + 2, VMM_IOAPIC_ID);
    put32(t, off + 4, VMM_IOAPIC_BASE);
    put32(t, off + 8, 0); /* GSI base */
    off += MADT_IOAPIC_LEN;
    off = madt_iso(t, off, ISA_TIMER_IRQ, ISA_TIMER_GSI, 0);
    off = madt_iso(t, off, ACPI_SCI_IRQ, ACPI_SCI_IRQ, MPS_INTI_HIGH_LEVEL);
    if (cfg->x2apic_entries) {
        put8(t, off, MADT_X2APIC_NMI);
        put8(t, off + 1, MADT_X2APIC_NMI_LEN);
        put16(t, off + 2, MPS_INTI_HIGH_EDGE);
        put32(t, off + 4, ALL_PROCESSORS_UID32);
        put8(t, off + 8, LINT1);
    } else {
        put8(t, off, MADT_LAPIC_NMI);
        put8(t, off + 1, MADT_LAPIC_NMI_LEN);
        put8(t, off + 2, ALL_PROCESSORS_UID8);
        put16(t, off + 3, MPS_INTI_HIGH_EDGE);
        put8(t, off + 5, LINT1);
    }
    end_table(t);
    return gpa;
}

static uint64_t build_mcfg(struct builder *b)
{
    uint64_t gpa;
    uint8_t *t = begin_table(b, "MCFG", HEADER_LEN + 8 + MCFG_ENTRY_LEN, 1, &gpa);
    if (!t)
        return 0;
    unsigned e = HEADER_LEN + 8;
    put64(t, e, VMM_PCI_ECAM_BASE);
    put16(t, e + 8, 0); /* segment group */
    put8(t, e + 10, 0); /* first bus */
    put8(t, e + 11, VMM_PCI_ECAM_BUSES - 1);
    end_table(t);
    return gpa;
}

/* RSDT (4-byte entries) and XSDT (8-byte entries) over the same tables. */
static uint64_t build_root(struct builder *b, bool xsdt, const uint64_t *tables, unsigned n)
{
    unsigned entry = xsdt ? 8 : 4;
    uint64_t gpa;
    uint8_t *t = begin_table(b, xsdt ? "XSDT" : "RSDT", HEADER_LEN + n * entry, 1, &gpa);
    if (!t)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        if (xsdt)
            put64(t, HEADER_LEN + i * 8, tables[i]);
        else
            put32(t, HEADER_LEN + i * 4, (uint32_t)tables[i]);
    }
    end_table(t);
    return gpa;
}

static void build_rsdp(uint8_t *r, uint64_t rsdt, uint64_t xsdt)
{
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, OEM_ID, 6);
    put8(r, 15, RSDP_REVISION);
    put32(r, 16, (uint32_t)rsdt);
    put32(r, 20, RSDP_LEN);
    put64(r, 24, xsdt);
    r[8] = checksum_fix(r, 20);       /* the ACPI 1.0 part */
    r[32] = checksum_fix(r, RSDP_LEN); /* all of it */
}

static bool config_ok(const struct vmm_acpi_config *cfg)
{
    if (cfg->vcpus < 1 || cfg->vcpus > VMM_MAX_VCPUS)
        return false;
    if (!cfg->dsdt || cfg->dsdt_len < HEADER_LEN || memcmp(cfg->dsdt, "DSDT", 4) != 0)
        return false;
    uint32_t len;
    memcpy(&len, cfg->dsdt + 4, 4);
    return len == cfg->dsdt_len;
}

enum vmm_acpi_status vmm_acpi_build(const struct vmm_ram *ram, uint64_t gpa, uint64_t room,
                                    const struct vmm_acpi_config *cfg, uint64_t *used)
{
    *used = 0;
    if (!config_ok(cfg))
        return VMM_ACPI_BAD_CONFIG;
    /* The 32-bit table pointers must reach every table. */
    if (gpa & (TABLE_ALIGN - 1) || gpa > UINT32_MAX || room > UINT32_MAX - gpa)
        return VMM_ACPI_NO_ROOM;
    struct builder b = { .p = vmm_gpa_ptr(ram, gpa, room), .gpa = gpa, .room = room };
    if (!b.p || room < RSDP_LEN)
        return VMM_ACPI_NO_ROOM;
    uint64_t rsdp_gpa;
    uint8_t *rsdp = alloc(&b, RSDP_LEN, TABLE_ALIGN, &rsdp_gpa);
    uint64_t facs = build_facs(&b);
    uint64_t dsdt = build_dsdt(&b, cfg);
    uint64_t tables[3];
    unsigned n = 0;
    tables[n++] = build_fadt(&b, facs, dsdt);
    tables[n++] = build_madt(&b, cfg);
    if (cfg->ecam)
        tables[n++] = build_mcfg(&b);
    uint64_t rsdt = build_root(&b, false, tables, n);
    uint64_t xsdt = build_root(&b, true, tables, n);
    if (b.full)
        return VMM_ACPI_NO_ROOM;
    build_rsdp(rsdp, rsdt, xsdt);
    *used = b.at;
    return VMM_ACPI_OK;
}
