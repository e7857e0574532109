/* Application processor start-up (INIT-SIPI-SIPI) and cross-CPU stop. */
#pragma once
/* Start every CPU the MADT lists; returns when all answered or timed out. */
void smp_boot_aps(void);
/* Ask all other CPUs to stop (panic path); does not wait long. */
void smp_stop_others(void);
