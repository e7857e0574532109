/* SPDX-License-Identifier: GPL-2.0-only */
/* The ESP benchmark program (make bench, gw.mk: build/donjon-esp-bench.iso):
 * the wrapper's crypto start and self-test, as the gateway's esp runs
 * them, then the BENCH lines of esp_bench.c. A program of its own, so the
 * gateway's esp carries no benchmark code. */
#include <component.h>
#include <console_client.h>

#include "../component/esp_component.h"
#include "esp_bench.h"

#define SLEEP_SEL DJ_CHILD_FIRST_FREE

int main(void)
{
    if (!dj_start_with_console())
        return 1;
    if (esp_component_crypto_start() && esp_component_selftest())
        esp_bench_run();
    dj_block_forever(SLEEP_SEL);
}
