/* SPDX-License-Identifier: GPL-2.0-only */
/* libsodium's random source inside Donjon: the CPU's RDSEED (preferred)
 * or RDRAND, installed with randombytes_set_implementation before
 * sodium_init, so that libsodium's default source (getrandom or
 * /dev/urandom, which Donjon does not have) never runs. The wrapper needs
 * no randomness for ESP (its IVs are sequence numbers); libsodium takes
 * some at start for the canary of its guarded allocator, which the
 * wrapper never uses (its page calls are stubs that stop it).
 *
 * A CPU with neither instruction (AMD before 2015, Intel before 2012,
 * QEMU's phenom or qemu64) still runs the gateway: libsodium's start gets
 * TSC-derived bytes, which are no secret, and any request after the start
 * stops the component, so that nothing can come to rely on them. */
#include <stdbool.h>
#include <stdint.h>

#include <sodium/randombytes.h>
#include <runtime.h>
#include <x86.h>

#include "esp_component.h"

#define CPUID1_ECX_RDRAND (1u << 30)
#define CPUID7_EBX_RDSEED (1u << 18)
#define RANDOM_RETRIES 128 /* Intel suggests 10 for RDRAND; RDSEED may need more */

enum source { SOURCE_RDSEED, SOURCE_RDRAND, SOURCE_NONE };
static enum source source;
static bool starting = true; /* until esp_random_started */

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

/* splitmix64's finaliser: spreads the TSC's few changing bits over the
 * word (no secrecy, see the head of the file). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t start_only64(void)
{
    static uint64_t counter;
    if (!starting)
        dj_panic("esp: random bytes asked for after the start, and the CPU has neither RDSEED nor RDRAND");
    return mix64(rdtsc() + ++counter * 0x9e3779b97f4a7c15ull);
}

static uint64_t random64(void)
{
    if (source == SOURCE_NONE)
        return start_only64();
    uint64_t v;
    for (int i = 0; i < RANDOM_RETRIES; i++) {
        if (source == SOURCE_RDSEED ? rdseed64(&v) : rdrand64(&v))
            return v;
        __asm__ volatile("pause");
    }
    dj_panic("esp: the CPU's random source (%s) failed %d times", source == SOURCE_RDSEED ? "RDSEED" : "RDRAND",
             RANDOM_RETRIES);
}

static const char *impl_name(void)
{
    return source == SOURCE_RDSEED ? "rdseed" : source == SOURCE_RDRAND ? "rdrand" : "none";
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
    struct x86_cpuid r7 = {0};
    if (cpuid(0, 0).eax >= 7)
        r7 = cpuid(7, 0);
    source = (r7.ebx & CPUID7_EBX_RDSEED) ? SOURCE_RDSEED
             : (cpuid(1, 0).ecx & CPUID1_ECX_RDRAND) ? SOURCE_RDRAND
                                                      : SOURCE_NONE;
    if (randombytes_set_implementation(&cpu_random) != 0)
        return NULL;
    return source == SOURCE_NONE ? "none (the CPU has neither RDSEED nor RDRAND: libsodium's start got TSC-derived"
                                   " bytes for its unused allocator canary; a later request stops the wrapper)"
                                 : impl_name();
}

void esp_random_started(void)
{
    starting = false;
}
