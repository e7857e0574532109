/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest's ACPI tables (acpi.h). The layouts follow the ACPI 6.x
 * specification; the host test reads the tables back with the kernel's own
 * ACPI parser, iasl's disassembler and ACPICA (acpiexec). */
#include "acpi.h"
#include "common/string.h"

#define PACKED __attribute__((packed))
#define TABLE_ALIGN 16
#define FACS_ALIGN 64

struct PACKED acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem_id[6], oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
};

struct PACKED acpi_rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt, length;
    uint64_t xsdt;
    uint8_t extended_checksum, reserved[3];
};

struct PACKED acpi_facs {
    char signature[4];
    uint32_t length, hardware_signature, waking_vector, global_lock, flags;
    uint64_t x_waking_vector;
    uint8_t version, reserved[31];
};

/* Generic Address Structure */
struct PACKED acpi_gas {
    uint8_t space, bit_width, bit_offset, access_size;
    uint64_t address;
};

struct PACKED acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl, dsdt;
    uint8_t reserved0, pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl, x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk, x_pm2_cnt_blk, x_pm_tmr_blk,
        x_gpe0_blk, x_gpe1_blk, sleep_control, sleep_status;
    char hypervisor_id[8];
};

/* MADT entries */
struct PACKED madt_lapic { uint8_t type, length, uid, apic_id; uint32_t flags; };
struct PACKED madt_ioapic { uint8_t type, length, id, reserved; uint32_t address, gsi_base; };
struct PACKED madt_override { uint8_t type, length, bus, source; uint32_t gsi; uint16_t flags; };
struct PACKED madt_lapic_nmi { uint8_t type, length, uid; uint16_t flags; uint8_t lint; };

struct PACKED acpi_mcfg {
    struct acpi_header h;
    uint64_t reserved0;
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start, bus_end;
    uint32_t reserved1;
};

_Static_assert(sizeof(struct acpi_header) == 36 && sizeof(struct acpi_rsdp) == 36, "ACPI header, RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276 && sizeof(struct acpi_facs) == 64, "FADT 6.x, FACS");
_Static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG with one segment");

#define RSDP_V1_LEN 20
#define FADT_REVISION 6
#define MADT_REVISION 5
#define FACS_VERSION 2
#define PM_PROFILE_UNSPECIFIED 0
#define C2_UNSUPPORTED_LATENCY 101
#define C3_UNSUPPORTED_LATENCY 1001
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define BOOT_ARCH_NO_ASPM (1u << 4)
#define FADT_FLAG_WBINVD (1u << 0)
#define FADT_FLAG_PROC_C1 (1u << 2)
#define FADT_FLAG_SLP_BUTTON (1u << 5)  /* no fixed sleep button (the power button is fixed: power.c) */
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define GAS_SPACE_IO 1
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_NMI 4
#define MADT_PCAT_COMPAT 0       /* flags: no 8259 pair */
#define MADT_ENABLED 1
#define MPS_INTI_HIGH_LEVEL 0x000d /* polarity active high (01), trigger level (11) */
#define MPS_INTI_HIGH_EDGE 0x0005
#define LINT1 1
#define ISA_TIMER_IRQ 0
#define ISA_TIMER_GSI 2
#define MADT_MAX_LEN 256

struct builder {
    uint8_t *p;       /* VMM address of the area */
    uint64_t gpa;     /* its guest-physical address */
    uint64_t room, at;
    bool full;
};

static uint8_t checksum_fix(const void *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return (uint8_t)-sum;
}

/* Copies len bytes to the next aligned place in the area: their
 * guest-physical address, 0 (and full) when they do not fit. */
static uint64_t place(struct builder *b, const void *data, uint64_t len, uint64_t align)
{
    uint64_t at = (b->at + align - 1) & ~(align - 1);
    if (at > b->room || len > b->room - at) {
        b->full = true;
        return 0;
    }
    memcpy(b->p + at, data, len);
    b->at = at + len;
    return b->gpa + at;
}

static struct acpi_header header(const char *sig, uint32_t len, uint8_t revision)
{
    struct acpi_header h = { .length = len, .revision = revision, .oem_revision = 1, .creator_revision = 1 };
    memcpy(h.signature, sig, 4);
    memcpy(h.oem_id, "DONJON", 6);
    memcpy(h.oem_table_id, "DJVMM   ", 8);
    memcpy(h.creator_id, "DJVM", 4);
    return h;
}

/* Places a table whose header says its length, with its checksum. */
static uint64_t place_table(struct builder *b, void *table)
{
    struct acpi_header *h = table;
    h->checksum = 0;
    h->checksum = checksum_fix(table, h->length);
    return place(b, table, h->length, TABLE_ALIGN);
}

static struct acpi_gas io_register(uint16_t port, unsigned bytes)
{
    return (struct acpi_gas){ .space = GAS_SPACE_IO, .bit_width = (uint8_t)(bytes * 8),
                              .access_size = (uint8_t)(bytes == 1 ? 1 : bytes == 2 ? 2 : 3), .address = port };
}

static uint64_t build_fadt(struct builder *b, uint64_t facs, uint64_t dsdt)
{
    /* The 32-bit DSDT pointer too: our tables sit below 4 GiB and older
     * parsers read only that. FIRMWARE_CTRL stays 0: the specification
     * wants it zero when X_FIRMWARE_CTRL is set (Linux lists the FACS
     * twice otherwise). SMI_CMD stays 0: there is no SMM, the platform is
     * always in ACPI mode. No 8042 boot flag: the i8042 model is there for
     * its reset line only, and with the flag (and no PS/2 device in the
     * DSDT) Linux would probe it "directly" and wait for a keyboard. */
    struct acpi_fadt f = {
        .h = header("FACP", sizeof f, FADT_REVISION),
        .dsdt = (uint32_t)dsdt,
        .pm_profile = PM_PROFILE_UNSPECIFIED, .sci_int = ACPI_SCI_IRQ,
        .pm1a_evt_blk = ACPI_PM1A_EVT_PORT, .pm1a_cnt_blk = ACPI_PM1A_CNT_PORT, .pm1_evt_len = 4, .pm1_cnt_len = 2,
        .p_lvl2_lat = C2_UNSUPPORTED_LATENCY, .p_lvl3_lat = C3_UNSUPPORTED_LATENCY,
        .century = ACPI_CMOS_CENTURY,
        .iapc_boot_arch = BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_NO_ASPM,
        .flags = FADT_FLAG_WBINVD | FADT_FLAG_PROC_C1 | FADT_FLAG_SLP_BUTTON | FADT_FLAG_RESET_REG_SUP,
        .reset_reg = io_register(ACPI_RESET_PORT, 1), .reset_value = ACPI_RESET_VALUE,
        .x_firmware_ctrl = facs, .x_dsdt = dsdt,
        .x_pm1a_evt_blk = io_register(ACPI_PM1A_EVT_PORT, 4), .x_pm1a_cnt_blk = io_register(ACPI_PM1A_CNT_PORT, 2),
    };
    memcpy(f.hypervisor_id, "DONJONVM", 8);
    return place_table(b, &f);
}

/* Appends entry to the MADT being built in buf (MADT_MAX_LEN holds the
 * largest: 4 vCPUs). */
static void madt_add(uint8_t *buf, uint32_t *len, const void *entry, uint8_t entry_len)
{
    memcpy(buf + *len, entry, entry_len);
    *len += entry_len;
}

static uint64_t build_madt(struct builder *b, const struct vmm_acpi_config *cfg)
{
    uint8_t buf[MADT_MAX_LEN];
    uint32_t len = sizeof(struct acpi_header);
    uint32_t lapic_and_flags[2] = { VMM_LAPIC_BASE, MADT_PCAT_COMPAT };
    madt_add(buf, &len, lapic_and_flags, sizeof lapic_and_flags);
    for (uint8_t i = 0; i < cfg->vcpus; i++) { /* APIC IDs below 255: local APIC entries suffice */
        struct madt_lapic e = { MADT_LAPIC, sizeof e, i, i, MADT_ENABLED };
        madt_add(buf, &len, &e, sizeof e);
    }
    struct madt_ioapic io = { MADT_IOAPIC, sizeof io, VMM_IOAPIC_ID, 0, VMM_IOAPIC_BASE, 0 };
    struct madt_override timer = { MADT_OVERRIDE, sizeof timer, 0, ISA_TIMER_IRQ, ISA_TIMER_GSI, 0 };
    struct madt_override sci = { MADT_OVERRIDE, sizeof sci, 0, ACPI_SCI_IRQ, ACPI_SCI_IRQ, MPS_INTI_HIGH_LEVEL };
    madt_add(buf, &len, &io, sizeof io);
    madt_add(buf, &len, &timer, sizeof timer);
    madt_add(buf, &len, &sci, sizeof sci);
    struct madt_lapic_nmi nmi = { MADT_LAPIC_NMI, sizeof nmi, 0xff /* all processors */, MPS_INTI_HIGH_EDGE, LINT1 };
    madt_add(buf, &len, &nmi, sizeof nmi);
    struct acpi_header h = header("APIC", len, MADT_REVISION);
    memcpy(buf, &h, sizeof h);
    return place_table(b, buf);
}

static uint64_t build_mcfg(struct builder *b)
{
    struct acpi_mcfg m = { .h = header("MCFG", sizeof m, 1), .base = VMM_PCI_ECAM_BASE,
                           .bus_end = VMM_PCI_ECAM_BUSES - 1 };
    return place_table(b, &m);
}

/* RSDT (4-byte entries) and XSDT (8-byte entries) over the same tables. */
static uint64_t build_root(struct builder *b, bool xsdt, const uint64_t *tables, unsigned n)
{
    unsigned entry = xsdt ? 8 : 4;
    uint8_t buf[sizeof(struct acpi_header) + 4 * 8];
    struct acpi_header h = header(xsdt ? "XSDT" : "RSDT", (uint32_t)(sizeof h + n * entry), 1);
    memcpy(buf, &h, sizeof h);
    for (unsigned i = 0; i < n; i++)
        memcpy(buf + sizeof h + i * entry, &tables[i], entry); /* little-endian: the low half for the RSDT */
    return place_table(b, buf);
}

static bool config_ok(const struct vmm_acpi_config *cfg)
{
    struct acpi_header h;
    if (cfg->vcpus < 1 || cfg->vcpus > VMM_MAX_VCPUS || !cfg->dsdt || cfg->dsdt_len < sizeof h)
        return false;
    memcpy(&h, cfg->dsdt, sizeof h);
    return memcmp(h.signature, "DSDT", 4) == 0 && h.length == cfg->dsdt_len;
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
    if (!b.p)
        return VMM_ACPI_NO_ROOM;
    struct acpi_rsdp rsdp = { .signature = "RSD PTR ", .oem_id = "DONJON", .revision = 2, .length = sizeof rsdp };
    uint64_t rsdp_gpa = place(&b, &rsdp, sizeof rsdp, TABLE_ALIGN); /* first, at gpa: filled in below */
    struct acpi_facs facs = { .signature = "FACS", .length = sizeof facs, .version = FACS_VERSION };
    uint64_t facs_gpa = place(&b, &facs, sizeof facs, FACS_ALIGN);
    uint64_t dsdt_gpa = place(&b, cfg->dsdt, cfg->dsdt_len, TABLE_ALIGN);
    uint64_t tables[3];
    unsigned n = 0;
    tables[n++] = build_fadt(&b, facs_gpa, dsdt_gpa);
    tables[n++] = build_madt(&b, cfg);
    tables[n++] = build_mcfg(&b);
    rsdp.rsdt = (uint32_t)build_root(&b, false, tables, n);
    rsdp.xsdt = build_root(&b, true, tables, n);
    if (b.full)
        return VMM_ACPI_NO_ROOM;
    rsdp.checksum = checksum_fix(&rsdp, RSDP_V1_LEN); /* the ACPI 1.0 part */
    rsdp.extended_checksum = checksum_fix(&rsdp, sizeof rsdp);
    memcpy(b.p + (rsdp_gpa - gpa), &rsdp, sizeof rsdp);
    *used = b.at;
    return VMM_ACPI_OK;
}
