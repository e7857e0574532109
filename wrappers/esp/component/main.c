/* SPDX-License-Identifier: GPL-2.0-only */
/* The ESP wrapper as a Donjon component (docs/gateway.md). For now it
 * starts libsodium freestanding and runs the known-answer self-test
 * (esp_selftest.c: vectors from an independent ESP implementation),
 * prints PASS/FAIL lines, then BENCH lines (esp_bench.c); the gateway's channels to the two VMs come with
 * the VM work of issue 12. */
#include <console_client.h>
#include <component.h>
#include <runtime.h>
#include <stdio.h>
#include <syscall.h>

#include "../esp.h"
#include "esp_bench.h"
#include "esp_component.h"
#include "esp_selftest.h"

#define SLEEP_SEL DJ_CHILD_FIRST_FREE
#define CANARY_PAGE_VA 0 /* %fs is 0: libsodium's stack canary is read at 0x28 */

static void report(enum esp_selftest_result r, const char *name, const char *why)
{
    if (r == ESP_SELFTEST_PASS)
        printf("PASS %s\n", name);
    else
        printf("%s %s: %s\n", r == ESP_SELFTEST_FAIL ? "FAIL" : "SKIP", name, why);
}

static bool start_crypto(void)
{
    /* One read-only zero page at 0 holds libsodium's stack-protector
     * canary (%fs:0x28 with FS base 0); writes through NULL still fault. */
    enum dj_status st = dj_mem_alloc(CANARY_PAGE_VA, 0, DJ_MEM_R);
    if (st != DJ_OK) {
        printf("FAIL esp_component_sodium_init: cannot map the canary page: status %d\n", st);
        return false;
    }
    const char *source = esp_random_install();
    if (!source) {
        printf("FAIL esp_component_sodium_init: the CPU has neither RDSEED nor RDRAND\n");
        return false;
    }
    if (!esp_crypto_init()) {
        printf("FAIL esp_component_sodium_init: sodium_init failed\n");
        return false;
    }
    printf("esp: libsodium started freestanding, random source %s, AES-256-GCM %s\n", source,
           esp_aes256gcm_available() ? "available (AES-NI)" : "NOT available: no AES-NI/PCLMUL");
    printf("PASS esp_component_sodium_init\n");
    return true;
}

int main(void)
{
    if (!dj_start_with_console())
        return 1;
    if (start_crypto()) {
        unsigned failures = esp_selftest_run(report);
        printf("esp: self-test done, %u failed\n", failures);
        esp_bench_run();
    }
    dj_block_forever(SLEEP_SEL);
}
