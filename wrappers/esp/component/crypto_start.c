/* SPDX-License-Identifier: GPL-2.0-only */
/* The wrapper's crypto start and power-on self-test, shared by the
 * gateway's esp and the benchmark program (esp_component.h). */
#include <component.h>
#include <stdio.h>
#include <syscall.h>

#include "../esp.h"
#include "esp_component.h"
#include "esp_selftest.h"

bool esp_component_crypto_start(void)
{
    /* One read-only zero page at 0 holds libsodium's stack-protector
     * canary (%fs:0x28 with FS base 0); writes through NULL still fault. */
    enum dj_status st = dj_mem_alloc(ESP_CANARY_PAGE_VA, 0, DJ_MEM_R);
    if (st != DJ_OK) {
        printf("FAIL esp_component_sodium_init: cannot map the canary page: status %d\n", st);
        return false;
    }
    const char *source = esp_random_install();
    if (!source) {
        printf("FAIL esp_component_sodium_init: libsodium refused the random source\n");
        return false;
    }
    if (!esp_crypto_init()) {
        printf("FAIL esp_component_sodium_init: sodium_init failed\n");
        return false;
    }
    esp_random_started();
    printf("esp: libsodium started freestanding, random source %s, AES-256-GCM %s\n", source,
           esp_aes256gcm_available() ? "available (AES-NI)" : "NOT available: no AES-NI/PCLMUL");
    printf("PASS esp_component_sodium_init\n");
    return true;
}

static void report(enum esp_selftest_result r, const char *name, const char *why)
{
    if (r == ESP_SELFTEST_PASS)
        printf("PASS %s\n", name);
    else
        printf("%s %s: %s\n", r == ESP_SELFTEST_FAIL ? "FAIL" : "SKIP", name, why);
}

bool esp_component_selftest(void)
{
    unsigned failures = esp_selftest_run(report);
    printf("esp: self-test done, %u failed\n", failures);
    return failures == 0;
}
