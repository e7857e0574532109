/* SPDX-License-Identifier: GPL-2.0-only */
/* Little-endian reads of firmware and boot-loader structures (ACPI tables,
 * DMAR, multiboot2 information). These bytes need not be aligned, so each
 * value is copied out with memcpy; x86-64 is little-endian, so the copy is
 * the value. Also compiled into the host unit tests (x86-64 hosts). */
#pragma once
#include <stdint.h>
#include "common/string.h"

static inline uint16_t read_le16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t read_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t read_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}
