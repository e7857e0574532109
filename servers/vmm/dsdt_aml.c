/* SPDX-License-Identifier: GPL-2.0-only */
/* The DSDT as bytes: iasl compiles servers/vmm/dsdt.asl and dsdt.mk turns
 * the AML into the list of bytes included here (dsdt_aml.inc in the build
 * directory). */
#include "acpi.h"

const uint8_t vmm_dsdt_aml[] = {
#include "dsdt_aml.inc"
};
const uint32_t vmm_dsdt_aml_len = sizeof vmm_dsdt_aml;
