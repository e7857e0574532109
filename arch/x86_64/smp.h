/* SPDX-License-Identifier: GPL-2.0-only */
/* Application processor start-up (INIT-SIPI-SIPI) and cross-CPU stop. */
#pragma once
#include <stdint.h>
/* Start every CPU the MADT lists; returns when all answered or timed out. */
void smp_boot_aps(void);
/* Ask all other CPUs to stop (panic path); does not wait long. */
void smp_stop_others(void);
/* Send VEC_IPI_WAKE to CPU `cpu` (index into percpu[]), if it is online. */
void smp_send_wake(uint32_t cpu);
