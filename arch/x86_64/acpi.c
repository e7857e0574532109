/* SPDX-License-Identifier: GPL-2.0-only */
/* ACPI table discovery. The parser (acpi_parse) is pure logic over a
 * caller-supplied mapper and is also compiled on the host for unit tests;
 * the kernel-only parts (acpi_init, power-off, reset) sit at the end behind
 * #ifndef HOST_TEST. Everything read from firmware is untrusted: every
 * length is checked against the table that holds it, every loop is bounded
 * by a table length, and a table with a bad checksum is reported and left
 * out. */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/le_read.h"
#include "common/format.h"
#include "common/string.h"

#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define RSDP_OFF_CHECKSUM 8
#define RSDP_OFF_OEM 9
#define RSDP_OFF_REVISION 15
#define RSDP_OFF_RSDT 16
#define RSDP_OFF_LENGTH 20
#define RSDP_OFF_XSDT 24

/* Where the RSDP may live on a BIOS machine. */
#define BDA_EBDA_SEGMENT 0x40e
#define EBDA_SCAN_LEN 1024
#define EBDA_MIN 0x400ull
#define EBDA_MAX 0xa0000ull
#define BIOS_ROM_START 0xe0000ull
#define BIOS_ROM_END 0x100000ull
#define RSDP_ALIGN 16

/* Every system description table starts with this 36-byte header. */
#define SDT_HEADER_LEN 36
#define SDT_OFF_LENGTH 4
#define SDT_OFF_REVISION 8
#define ACPI_TABLE_MAX (16u << 20) /* no sane table is larger */

/* MADT */
#define MADT_OFF_LAPIC 36
#define MADT_OFF_FLAGS 40
#define MADT_ENTRIES 44
#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_ADDR 5
#define MADT_X2APIC 9
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC_LEN 12
#define MADT_OVERRIDE_LEN 10
#define MADT_LAPIC_ADDR_LEN 12
#define MADT_X2APIC_LEN 16
#define MADT_CPU_ENABLED (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)
#define XAPIC_ID_INVALID 0xffu
#define X2APIC_ID_INVALID 0xffffffffu

/* FADT field offsets (ACPI 6.x, table 5.9). */
#define FADT_OFF_DSDT 40
#define FADT_OFF_PM1A_CNT 64
#define FADT_OFF_PM1B_CNT 68
#define FADT_OFF_PM_TMR 76
#define FADT_OFF_FLAGS 112
#define FADT_OFF_RESET_REG 116
#define FADT_OFF_RESET_VALUE 128
#define FADT_OFF_X_DSDT 140
#define FADT_OFF_X_PM1A_CNT 172
#define FADT_OFF_X_PM1B_CNT 184
#define FADT_OFF_X_PM_TMR 208
#define FADT_TMR_VAL_EXT (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)

/* Generic address structure. */
#define GAS_LEN 12
#define GAS_OFF_SPACE 0
#define GAS_OFF_ADDRESS 4
#define GAS_SPACE_MEMORY 0
#define GAS_SPACE_IO 1
#define IO_PORT_MAX 0xffffu

/* AML opcodes needed to read \_S5. */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_PACKAGE_OP 0x12
#define AML_ROOT_CHAR '\\'
#define SLP_TYP_MAX 7u

/* MCFG */
#define MCFG_ENTRIES 44
#define MCFG_ENTRY_LEN 16

struct parser {
    acpi_map_fn map;
    struct acpi_info *info;
    boot_warn_fn warn;
};

#define warnf(p, ...) format_to_sink((p)->warn, __VA_ARGS__)

static uint8_t sum_bytes(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

/* A 4-character signature, printable for messages. */
static void sig_text(const uint8_t *sig, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = (sig[i] >= 0x20 && sig[i] < 0x7f) ? (char)sig[i] : '?';
    out[4] = '\0';
}

/* ---- RSDP ---- */

/* An RSDP candidate: the signature and the ACPI 1.0 checksum must match. */
static bool rsdp_v1_valid(const uint8_t *r)
{
    return memcmp(r, RSDP_SIGNATURE, 8) == 0 && sum_bytes(r, RSDP_V1_LEN) == 0;
}

static const uint8_t *scan_range(const struct parser *p, uint64_t start, uint64_t len, uint64_t *found_at)
{
    const uint8_t *area = p->map(start, len);
    if (!area)
        return NULL;
    for (uint64_t off = 0; off + RSDP_V1_LEN <= len; off += RSDP_ALIGN) {
        if (rsdp_v1_valid(area + off)) {
            *found_at = start + off;
            return area + off;
        }
    }
    return NULL;
}

/* The EBDA's first KiB, then the BIOS ROM area, on 16-byte boundaries. */
static const uint8_t *scan_for_rsdp(const struct parser *p, size_t *len_out)
{
    uint64_t at = 0;
    const uint8_t *r = NULL;
    const uint8_t *bda = p->map(BDA_EBDA_SEGMENT, 2);
    if (bda) {
        uint64_t ebda = (uint64_t)read_le16(bda) << 4;
        if (ebda >= EBDA_MIN && ebda + EBDA_SCAN_LEN <= EBDA_MAX)
            r = scan_range(p, ebda, EBDA_SCAN_LEN, &at);
    }
    if (!r)
        r = scan_range(p, BIOS_ROM_START, BIOS_ROM_END - BIOS_ROM_START, &at);
    if (!r)
        return NULL;
    /* Re-map the found structure at its full length when it is a v2 one,
     * so the extended checksum can be checked like a boot-loader copy. */
    *len_out = RSDP_V1_LEN;
    if (r[RSDP_OFF_REVISION] >= 2) {
        const uint8_t *full = p->map(at, RSDP_V2_LEN);
        if (full) {
            r = full;
            *len_out = RSDP_V2_LEN;
        }
    }
    return r;
}

/* ---- tables ---- */

/* Maps a whole table after checking its header: plausible length, matching
 * signature (when sig is given) and a zero checksum. NULL otherwise, with a
 * warning that names the table. */
static const uint8_t *map_table(const struct parser *p, uint64_t phys, const char *sig, uint32_t *len_out)
{
    char name[5];
    const uint8_t *h = p->map(phys, SDT_HEADER_LEN);
    if (!h) {
        warnf(p, "acpi: cannot map the table at %#llx", (unsigned long long)phys);
        return NULL;
    }
    sig_text(h, name);
    if (sig && memcmp(h, sig, 4) != 0) {
        warnf(p, "acpi: expected %s at %#llx but found '%s'; ignored", sig, (unsigned long long)phys, name);
        return NULL;
    }
    uint32_t len = read_le32(h + SDT_OFF_LENGTH);
    if (len < SDT_HEADER_LEN || len > ACPI_TABLE_MAX) {
        warnf(p, "acpi: table %s at %#llx has implausible length %u; skipped", name, (unsigned long long)phys, len);
        return NULL;
    }
    const uint8_t *t = p->map(phys, len);
    if (!t) {
        warnf(p, "acpi: cannot map table %s at %#llx (%u bytes); skipped", name, (unsigned long long)phys, len);
        return NULL;
    }
    if (sum_bytes(t, len) != 0) {
        warnf(p, "acpi: table %s at %#llx has a bad checksum; skipped", name, (unsigned long long)phys);
        return NULL;
    }
    *len_out = len;
    return t;
}

/* ---- MADT ---- */

static void add_cpu(const struct parser *p, uint32_t apic_id)
{
    struct acpi_info *info = p->info;
    for (unsigned i = 0; i < info->cpu_count; i++) {
        if (info->cpu_apic_ids[i] == apic_id) {
            warnf(p, "acpi: MADT lists APIC id %u twice; counted once", apic_id);
            return;
        }
    }
    if (info->cpu_count >= MAX_CPUS) {
        info->cpus_ignored++;
        return;
    }
    info->cpu_apic_ids[info->cpu_count++] = apic_id;
}

static bool cpu_usable(uint32_t flags)
{
    return flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE);
}

static void parse_madt_entry(const struct parser *p, const uint8_t *e, uint8_t type, uint8_t len)
{
    struct acpi_info *info = p->info;
    static const uint8_t min_len[] = {
        [MADT_LAPIC] = MADT_LAPIC_LEN,         [MADT_IOAPIC] = MADT_IOAPIC_LEN,
        [MADT_OVERRIDE] = MADT_OVERRIDE_LEN,   [MADT_LAPIC_ADDR] = MADT_LAPIC_ADDR_LEN,
        [MADT_X2APIC] = MADT_X2APIC_LEN,
    };
    if (type < sizeof(min_len) && min_len[type] && len < min_len[type]) {
        warnf(p, "acpi: MADT entry of type %u is too short (%u bytes); ignored", type, len);
        return;
    }
    switch (type) {
    case MADT_LAPIC:
        if (cpu_usable(read_le32(e + 4)) && e[3] != XAPIC_ID_INVALID)
            add_cpu(p, e[3]);
        break;
    case MADT_X2APIC:
        if (cpu_usable(read_le32(e + 8)) && read_le32(e + 4) != X2APIC_ID_INVALID)
            add_cpu(p, read_le32(e + 4));
        break;
    case MADT_IOAPIC:
        if (info->ioapic_count >= ACPI_MAX_IOAPICS) {
            warnf(p, "acpi: more than %u IOAPICs; the rest ignored", ACPI_MAX_IOAPICS);
            break;
        }
        info->ioapics[info->ioapic_count++] = (struct acpi_ioapic){e[2], read_le32(e + 4), read_le32(e + 8)};
        break;
    case MADT_OVERRIDE:
        if (info->override_count >= ACPI_MAX_OVERRIDES) {
            warnf(p, "acpi: more than %u interrupt overrides; the rest ignored", ACPI_MAX_OVERRIDES);
            break;
        }
        info->overrides[info->override_count++] = (struct acpi_override){e[3], read_le32(e + 4), read_le16(e + 8)};
        break;
    case MADT_LAPIC_ADDR:
        if (read_le64(e + 4))
            info->lapic_addr = read_le64(e + 4);
        break;
    default:
        break; /* NMI sources, LAPIC NMIs and the rest: not needed yet */
    }
}

static void parse_madt(const struct parser *p, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = p->info;
    if (len < MADT_ENTRIES) {
        warnf(p, "acpi: MADT is truncated (%u bytes); ignored", len);
        return;
    }
    info->have_madt = true;
    if (read_le32(t + MADT_OFF_LAPIC))
        info->lapic_addr = read_le32(t + MADT_OFF_LAPIC);
    info->has_8259 = read_le32(t + MADT_OFF_FLAGS) & MADT_PCAT_COMPAT;
    /* Address overrides (type 5) may come anywhere; they win over the header. */
    for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || elen > len - off) {
            warnf(p, "acpi: malformed MADT entry (type %u, length %u) at offset %u; rest of the MADT ignored", type,
                  elen, off);
            break;
        }
        parse_madt_entry(p, t + off, type, elen);
        off += elen;
    }
    if (info->cpus_ignored)
        warnf(p, "acpi: MADT lists %u more CPUs than the kernel supports (%u); they stay off", info->cpus_ignored,
              MAX_CPUS);
}

/* ---- DSDT: \_S5 ---- */

/* One integer element of a package: ZeroOp, OneOp, or Byte/Word/DWord
 * prefixed data. Returns the bytes consumed, 0 when not an integer. */
static size_t aml_integer(const uint8_t *a, size_t avail, uint32_t *out)
{
    if (avail < 1)
        return 0;
    switch (a[0]) {
    case AML_ZERO_OP: *out = 0; return 1;
    case AML_ONE_OP: *out = 1; return 1;
    case AML_BYTE_PREFIX:
        if (avail < 2) return 0;
        *out = a[1];
        return 2;
    case AML_WORD_PREFIX:
        if (avail < 3) return 0;
        *out = read_le16(a + 1);
        return 3;
    case AML_DWORD_PREFIX:
        if (avail < 5) return 0;
        *out = read_le32(a + 1);
        return 5;
    default: return 0;
    }
}

/* Parses Name(_S5_, Package(){a, b, ...}) where "_S5_" sits at aml[at]. */
static bool parse_s5_at(const uint8_t *aml, size_t len, size_t at, uint16_t *a, uint16_t *b)
{
    bool named = (at >= 1 && aml[at - 1] == AML_NAME_OP) ||
                 (at >= 2 && aml[at - 1] == AML_ROOT_CHAR && aml[at - 2] == AML_NAME_OP);
    size_t i = at + 4;
    if (!named || i >= len || aml[i] != AML_PACKAGE_OP)
        return false;
    i++;
    if (i >= len)
        return false;
    i += 1 + (aml[i] >> 6); /* PkgLength: the lead byte says how many follow */
    if (i >= len)
        return false;
    uint8_t elements = aml[i++];
    uint32_t va, vb;
    size_t n = aml_integer(aml + i, len - i, &va);
    if (elements < 1 || n == 0)
        return false;
    i += n;
    if (elements >= 2) {
        n = aml_integer(aml + i, len - i, &vb);
        if (n == 0)
            return false;
    } else {
        vb = va;
    }
    if (va > SLP_TYP_MAX || vb > SLP_TYP_MAX)
        return false;
    *a = (uint16_t)va;
    *b = (uint16_t)vb;
    return true;
}

static void parse_dsdt(const struct parser *p, uint64_t phys)
{
    struct acpi_info *info = p->info;
    uint32_t len;
    const uint8_t *t = map_table(p, phys, "DSDT", &len);
    if (!t)
        return;
    for (size_t i = SDT_HEADER_LEN; i + 4 <= len; i++) {
        if (memcmp(t + i, "_S5_", 4) == 0 && parse_s5_at(t, len, i, &info->slp_typa, &info->slp_typb)) {
            info->s5_valid = true;
            return;
        }
    }
    warnf(p, "acpi: no usable \\_S5 object in the DSDT; ACPI power-off unavailable");
}

/* ---- FADT ---- */

/* A legacy 32-bit port field, or the X_ generic address when it is a
 * nonzero I/O-space address (which then wins). */
static uint32_t fadt_port(const uint8_t *t, uint32_t len, uint32_t legacy_off, uint32_t gas_off)
{
    uint32_t port = 0;
    if (legacy_off + 4 <= len)
        port = read_le32(t + legacy_off);
    if (gas_off + GAS_LEN <= len && t[gas_off + GAS_OFF_SPACE] == GAS_SPACE_IO) {
        uint64_t x = read_le64(t + gas_off + GAS_OFF_ADDRESS);
        if (x && x <= IO_PORT_MAX)
            port = (uint32_t)x;
    }
    return port <= IO_PORT_MAX ? port : 0;
}

static void parse_fadt(const struct parser *p, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = p->info;
    if (len < FADT_OFF_PM_TMR + 4) {
        warnf(p, "acpi: FADT is truncated (%u bytes); ignored", len);
        return;
    }
    info->have_fadt = true;
    info->pm1a_cnt = fadt_port(t, len, FADT_OFF_PM1A_CNT, FADT_OFF_X_PM1A_CNT);
    info->pm1b_cnt = fadt_port(t, len, FADT_OFF_PM1B_CNT, FADT_OFF_X_PM1B_CNT);
    info->pm_timer_port = fadt_port(t, len, FADT_OFF_PM_TMR, FADT_OFF_X_PM_TMR);
    uint32_t flags = len >= FADT_OFF_FLAGS + 4 ? read_le32(t + FADT_OFF_FLAGS) : 0;
    info->pm_timer_32bit = info->pm_timer_port && (flags & FADT_TMR_VAL_EXT);
    if ((flags & FADT_RESET_REG_SUP) && len >= FADT_OFF_RESET_VALUE + 1) {
        const uint8_t *gas = t + FADT_OFF_RESET_REG;
        uint64_t addr = read_le64(gas + GAS_OFF_ADDRESS);
        if (gas[GAS_OFF_SPACE] == GAS_SPACE_IO && addr && addr <= IO_PORT_MAX) {
            info->reset_valid = true;
            info->reset_port = (uint16_t)addr;
            info->reset_value = t[FADT_OFF_RESET_VALUE];
        }
    }
    uint64_t dsdt = read_le32(t + FADT_OFF_DSDT);
    if (len >= FADT_OFF_X_DSDT + 8 && read_le64(t + FADT_OFF_X_DSDT))
        dsdt = read_le64(t + FADT_OFF_X_DSDT);
    if (dsdt)
        parse_dsdt(p, dsdt);
    else
        warnf(p, "acpi: FADT names no DSDT; ACPI power-off unavailable");
}

/* ---- MCFG ---- */

static void parse_mcfg(const struct parser *p, const uint8_t *t, uint32_t len)
{
    struct acpi_info *info = p->info;
    if (len < MCFG_ENTRIES + MCFG_ENTRY_LEN) {
        warnf(p, "acpi: MCFG has no allocation entries; ignored");
        return;
    }
    const uint8_t *e = t + MCFG_ENTRIES;
    info->mcfg_base = read_le64(e);
    info->mcfg_bus_start = e[10];
    info->mcfg_bus_end = e[11];
}

/* ---- root tables ---- */

static void parse_table(const struct parser *p, uint64_t phys)
{
    struct acpi_info *info = p->info;
    const uint8_t *h = p->map(phys, SDT_HEADER_LEN);
    if (!h) {
        warnf(p, "acpi: cannot map the table at %#llx", (unsigned long long)phys);
        return;
    }
    /* Only the first valid copy of each table counts. */
    bool madt = memcmp(h, "APIC", 4) == 0, fadt = memcmp(h, "FACP", 4) == 0, mcfg = memcmp(h, "MCFG", 4) == 0;
    bool dmar = memcmp(h, "DMAR", 4) == 0;
    if ((!madt && !fadt && !mcfg && !dmar) || (madt && info->have_madt) || (fadt && info->have_fadt) ||
        (mcfg && info->mcfg_base) || (dmar && info->dmar_phys))
        return;
    uint32_t len;
    const uint8_t *t = map_table(p, phys, NULL, &len);
    if (!t)
        return;
    if (dmar) {
        info->dmar_phys = phys; /* its contents are dmar.c's to check */
        info->dmar_len = len;
    } else if (madt)
        parse_madt(p, t, len);
    else if (fadt)
        parse_fadt(p, t, len);
    else
        parse_mcfg(p, t, len);
}

static bool parse_root(const struct parser *p, uint64_t phys, bool xsdt)
{
    uint32_t len;
    const uint8_t *t = map_table(p, phys, xsdt ? "XSDT" : "RSDT", &len);
    if (!t)
        return false;
    unsigned width = xsdt ? 8 : 4;
    for (uint32_t off = SDT_HEADER_LEN; off + width <= len; off += width) {
        uint64_t entry = xsdt ? read_le64(t + off) : read_le32(t + off);
        if (entry)
            parse_table(p, entry);
    }
    return true;
}

static void copy_oem_id(char out[7], const uint8_t *src)
{
    for (int i = 0; i < 6; i++)
        out[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : ' ';
    out[6] = '\0';
}

void acpi_parse(const uint8_t *rsdp, size_t rsdp_len, acpi_map_fn map, struct acpi_info *info, boot_warn_fn warn)
{
    struct parser p = {map, info, warn};
    memset(info, 0, sizeof(*info));
    if (rsdp && (rsdp_len < RSDP_V1_LEN || !rsdp_v1_valid(rsdp))) {
        warnf(&p, "acpi: the boot loader's RSDP copy is invalid; scanning the BIOS areas instead");
        rsdp = NULL;
    }
    if (!rsdp)
        rsdp = scan_for_rsdp(&p, &rsdp_len);
    if (!rsdp)
        return;
    info->present = true;
    info->revision = rsdp[RSDP_OFF_REVISION];
    copy_oem_id(info->oem_id, rsdp + RSDP_OFF_OEM);

    uint64_t xsdt = 0;
    if (info->revision >= 2) {
        uint32_t len = rsdp_len >= RSDP_V2_LEN ? read_le32(rsdp + RSDP_OFF_LENGTH) : 0;
        if (len < RSDP_V2_LEN || len > rsdp_len)
            warnf(&p, "acpi: RSDP revision %u but length %u; using the RSDT", info->revision, len);
        else if (sum_bytes(rsdp, len) != 0)
            warnf(&p, "acpi: RSDP extended checksum is bad; using the RSDT");
        else
            xsdt = read_le64(rsdp + RSDP_OFF_XSDT);
    }
    uint32_t rsdt = read_le32(rsdp + RSDP_OFF_RSDT);
    bool ok = xsdt && parse_root(&p, xsdt, true);
    if (!ok && rsdt)
        ok = parse_root(&p, rsdt, false);
    if (!ok)
        warnf(&p, "acpi: no usable RSDT or XSDT");
    if (!info->have_madt)
        warnf(&p, "acpi: no MADT; CPUs and IOAPICs unknown");
    if (!info->have_fadt)
        warnf(&p, "acpi: no FADT; no ACPI power-off, reset register or PM timer");
}

#ifndef HOST_TEST
/* ---- kernel side ---- */
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/timer.h"

#define FOUR_GIB (4ull << 30)
#define DEFAULT_LAPIC_ADDR 0xfee00000ull
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN (1u << 13)
#define BOCHS_SHUTDOWN_PORT 0x8900
#define QEMU_Q35_PM1A_CNT 0x604
#define QEMU_PIIX_PM1A_CNT 0xb004
#define VBOX_PM1A_CNT 0x4004
#define PCI_RESET_CONTROL 0xcf9
#define PCI_RESET_SYS 0x02
#define PCI_RESET_CPU_SYS 0x06
#define KBC_STATUS 0x64
#define KBC_INPUT_FULL 0x02
#define KBC_PULSE_RESET 0xfe
#define KBC_WAIT_LOOPS 100000
#define RESET_SETTLE_US 50000
#define POWEROFF_SETTLE_US 200000

struct acpi_info acpi;

static void acpi_warn(const char *msg)
{
    kprintf("warning: %s\n", msg);
}

/* Below 4 GiB and in RAM the direct map already covers the table; other
 * addresses (ACPI data in reserved memory above 4 GiB) get a window. */
static bool direct_mapped(uint64_t phys, size_t len)
{
    if (phys + len <= FOUR_GIB)
        return true;
    for (uint64_t pa = phys & ~(PAGE_SIZE - 1); pa < phys + len; pa += PAGE_SIZE)
        if (!paging_query((uint64_t)phys_to_virt(pa)))
            return false;
    return true;
}

static const void *kernel_map(uint64_t phys, size_t len)
{
    if (len == 0 || phys + len < phys || phys + len > (1ull << 52))
        return NULL;
    if (direct_mapped(phys, len))
        return phys_to_virt(phys);
    return ioremap(phys, len, CACHE_WB);
}

void acpi_init(const struct boot_info *bi)
{
    acpi_parse(bi->rsdp_len ? bi->rsdp : NULL, bi->rsdp_len, kernel_map, &acpi, acpi_warn);
    if (!acpi.lapic_addr)
        acpi.lapic_addr = DEFAULT_LAPIC_ADDR;
    if (!acpi.present) {
        kprintf("acpi: no ACPI tables found (no RSDP from the boot loader or in BIOS memory); "
                "continuing with 1 CPU and the LAPIC at %#llx\n", (unsigned long long)acpi.lapic_addr);
    }
    if (acpi.cpu_count == 0) {
        /* Only the CPU we run on is known. */
        acpi.cpu_apic_ids[0] = cpuid(1, 0).ebx >> 24;
        acpi.cpu_count = 1;
    }
    if (!acpi.present)
        return;
    char s5[16] = "none";
    if (acpi.s5_valid)
        ksnprintf(s5, sizeof(s5), "%u/%u", acpi.slp_typa, acpi.slp_typb);
    char pmt[16] = "none";
    if (acpi.pm_timer_port)
        ksnprintf(pmt, sizeof(pmt), "%#x%s", acpi.pm_timer_port, acpi.pm_timer_32bit ? "/32" : "");
    kprintf("acpi: OEM %s rev %u, %u CPU%s%s, %u IOAPIC%s, PM timer %s, S5 %s\n", acpi.oem_id, acpi.revision,
            acpi.cpu_count, acpi.cpu_count == 1 ? "" : "s", acpi.have_madt ? "" : " (no MADT)", acpi.ioapic_count,
            acpi.ioapic_count == 1 ? "" : "s", pmt, s5);
    if (acpi.mcfg_base)
        kprintf("acpi: PCI ECAM at %#llx, buses %u-%u\n", (unsigned long long)acpi.mcfg_base, acpi.mcfg_bus_start,
                acpi.mcfg_bus_end);
}

static void pm1_sleep(uint32_t port, uint16_t typ)
{
    uint16_t v = inw((uint16_t)port) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
    v |= (uint16_t)(typ << PM1_SLP_TYP_SHIFT);
    outw((uint16_t)port, v);
    outw((uint16_t)port, v | PM1_SLP_EN);
}

void acpi_poweroff(void)
{
    irq_disable();
    /* Emulators act on the write asynchronously: give each try some time
     * before the next one (and before claiming failure). */
    if (acpi.s5_valid && acpi.pm1a_cnt) {
        pm1_sleep(acpi.pm1a_cnt, acpi.slp_typa);
        if (acpi.pm1b_cnt)
            pm1_sleep(acpi.pm1b_cnt, acpi.slp_typb);
        timer_udelay(POWEROFF_SETTLE_US);
    }
    /* Emulator fallbacks: Bochs' shutdown port, then QEMU q35, QEMU/Bochs
     * PIIX4 and VirtualBox PM1a control blocks. */
    for (const char *s = "Shutdown"; *s; s++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
    timer_udelay(POWEROFF_SETTLE_US);
    outw(QEMU_Q35_PM1A_CNT, 0x2000);
    timer_udelay(POWEROFF_SETTLE_US);
    outw(QEMU_PIIX_PM1A_CNT, 0x2000);
    timer_udelay(POWEROFF_SETTLE_US);
    outw(VBOX_PM1A_CNT, 0x3400);
    timer_udelay(POWEROFF_SETTLE_US);
    static const char msg[] = "acpi: power-off failed; halting\n";
    console_panic_write(msg, sizeof(msg) - 1);
    cpu_halt_forever();
}

struct idt_null_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

void acpi_reset(void)
{
    irq_disable();
    if (acpi.reset_valid) {
        outb(acpi.reset_port, acpi.reset_value);
        timer_udelay(RESET_SETTLE_US);
    }
    outb(PCI_RESET_CONTROL, PCI_RESET_SYS);
    outb(PCI_RESET_CONTROL, PCI_RESET_CPU_SYS);
    timer_udelay(RESET_SETTLE_US);
    for (int i = 0; i < KBC_WAIT_LOOPS && (inb(KBC_STATUS) & KBC_INPUT_FULL); i++)
        io_delay();
    outb(KBC_STATUS, KBC_PULSE_RESET);
    timer_udelay(RESET_SETTLE_US);
    /* Triple fault: no IDT, then an exception. */
    struct idt_null_pointer none = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(none));
    cpu_halt_forever();
}
#endif
