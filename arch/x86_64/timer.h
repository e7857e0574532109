/* SPDX-License-Identifier: GPL-2.0-only */
/* LAPIC timer: calibrated once on the BSP (CPUID 0x15, the ACPI PM timer,
 * or the PIT), then a periodic tick on every CPU. */
#pragma once
#include <stdint.h>

#define TIMER_HZ 100

void timer_calibrate(void);          /* BSP, after lapic_init_bsp */
void timer_start_this_cpu(void);     /* periodic TIMER_HZ tick on VEC_TIMER */
uint64_t timer_lapic_hz(void);       /* LAPIC timer input frequency */
uint64_t timer_tsc_hz(void);         /* TSC frequency (0 when unknown) */
const char *timer_calibration_source(void);
/* Busy-wait using the calibrated TSC (before calibration: PIT-based). */
void timer_udelay(uint64_t us);
