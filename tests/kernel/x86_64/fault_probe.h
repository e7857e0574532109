/* SPDX-License-Identifier: GPL-2.0-only */
/* Self-test helper: run one memory access that is expected to fault, catch
 * the exception, and report what the CPU said. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct fault_report {
    bool faulted;
    uint64_t vector, error_code, cr2;
};

/* Each probe returns after the access whether or not it faulted. */
struct fault_report probe_write(volatile void *addr);
struct fault_report probe_execute(const void *addr);
