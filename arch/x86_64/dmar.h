/* SPDX-License-Identifier: GPL-2.0-only */
/* The ACPI DMAR table (Intel VT-d): remapping units (DRHD) with their
 * device scopes, reserved memory regions (RMRR) and the IOAPIC and HPET
 * scopes interrupt remapping needs. The parser is pure logic over the
 * table's bytes (acpi.c has checked its checksum and length), so host
 * tests feed it hostile tables. A table with any structural fault is
 * refused as a whole: VT-d stays off, never half-configured. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/boot_info.h"

#define DMAR_MAX_UNITS 8
#define DMAR_MAX_RMRRS 16
#define DMAR_MAX_SCOPES 64
#define DMAR_MAX_PATH 8          /* bridge hops from the start bus to the device */
#define DMAR_MIN_ADDR_BITS 32    /* narrower host address widths are refused */
#define DMAR_MAX_ADDR_BITS 52    /* physical addresses x86-64 can have */

/* Device scope types (VT-d specification, 8.3.1). */
enum dmar_scope_type {
    DMAR_SCOPE_ENDPOINT = 1,
    DMAR_SCOPE_BRIDGE = 2, /* the bridge and every device below it */
    DMAR_SCOPE_IOAPIC = 3,
    DMAR_SCOPE_HPET = 4,
    DMAR_SCOPE_NAMESPACE = 5,
};

struct dmar_scope {
    uint8_t type;      /* enum dmar_scope_type */
    uint8_t enum_id;   /* IOAPIC or HPET id, namespace device number */
    uint8_t start_bus;
    uint8_t path_len;  /* 1..DMAR_MAX_PATH */
    uint8_t path[DMAR_MAX_PATH]; /* device << 3 | function, hop by hop */
};

struct dmar_unit {
    uint64_t reg_base;    /* physical, page aligned */
    uint16_t segment;
    bool include_all;     /* every device of the segment no other unit lists */
    uint8_t reg_pages_order; /* register set spans 2^order pages */
    uint16_t scope_first, scope_count; /* in dmar_info.scopes */
};

struct dmar_rmrr {
    uint16_t segment;
    uint64_t base, end;   /* [base, end), page aligned */
    uint16_t scope_first, scope_count;
};

struct dmar_info {
    bool valid;           /* parsed without fault and lists at least one unit */
    uint8_t addr_bits;    /* host address width (DMA addresses the platform decodes) */
    bool intr_remap;      /* the platform supports interrupt remapping */
    bool x2apic_opt_out;  /* firmware asks the OS not to use x2APIC mode */
    struct dmar_unit units[DMAR_MAX_UNITS];
    unsigned unit_count;
    struct dmar_rmrr rmrrs[DMAR_MAX_RMRRS];
    unsigned rmrr_count;
    struct dmar_scope scopes[DMAR_MAX_SCOPES];
    unsigned scope_count;
};

/* Parse the DMAR table t of len bytes. Returns info->valid; every fault is
 * reported through warn (one line each) and leaves info->valid false. */
bool dmar_parse(const uint8_t *t, size_t len, struct dmar_info *info, boot_warn_fn warn);

/* The requester id (bus << 8 | devfn) of a one-hop scope, or -1 when the
 * scope needs bridges resolved (path_len > 1). */
int dmar_scope_rid(const struct dmar_scope *s);
