/* SPDX-License-Identifier: GPL-2.0-only */
/* libsodium's random source inside Donjon: the CPU's RDSEED (preferred)
 * or RDRAND, installed with randombytes_set_implementation before
 * sodium_init, so that libsodium's default source (getrandom or
 * /dev/urandom, which Donjon does not have) never runs. The wrapper needs
 * no randomness for ESP (its IVs are sequence numbers); libsodium takes
 * some at start for its guard canaries. */
#include <stdbool.h>
#include <stdint.h>

#include <sodium/randombytes.h>
#include <runtime.h>

#include "esp_component.h"

#define CPUID1_ECX_RDRAND (1u << 30)
#define CPUID7_EBX_RDSEED (1u << 18)
#define RANDOM_RETRIES 128 /* Intel suggests 10 for RDRAND; RDSEED may need more */

static bool use_rdseed;

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static bool rdseed64(uint64_t *v)
{
    uint8_t ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
    return ok;
}

static bool rdrand64(uint64_t *v)
{
    uint8_t ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
    return ok;
}

static uint64_t random64(void)
{
    uint64_t v;
    for (int i = 0; i < RANDOM_RETRIES; i++) {
        if (use_rdseed ? rdseed64(&v) : rdrand64(&v))
            return v;
        __asm__ volatile("pause");
    }
    dj_panic("esp: the CPU's random source (%s) failed %d times", use_rdseed ? "RDSEED" : "RDRAND",
             RANDOM_RETRIES);
}

static const char *impl_name(void)
{
    return use_rdseed ? "rdseed" : "rdrand";
}

static uint32_t impl_random(void)
{
    return (uint32_t)random64();
}

static void impl_buf(void *const buf, const size_t size)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < size; i += 8) {
        uint64_t v = random64();
        for (size_t k = 0; k < 8 && i + k < size; k++)
            p[i + k] = (uint8_t)(v >> (8 * k));
    }
}

static randombytes_implementation cpu_random = {
    .implementation_name = impl_name,
    .random = impl_random,
    .buf = impl_buf,
};

const char *esp_random_install(void)
{
    uint32_t r1[4], r0[4], r7[4] = {0};
    cpuid(0, 0, r0);
    cpuid(1, 0, r1);
    if (r0[0] >= 7)
        cpuid(7, 0, r7);
    use_rdseed = (r7[1] & CPUID7_EBX_RDSEED) != 0;
    if (!use_rdseed && !(r1[2] & CPUID1_ECX_RDRAND))
        return NULL;
    if (randombytes_set_implementation(&cpu_random) != 0)
        return NULL;
    return impl_name();
}
