/* SPDX-License-Identifier: GPL-2.0-only */
/* CPUID as the guest sees it (docs/vmm.md, "CPUID"): the host's values,
 * filtered, under one made-up CPU model, so that an unmodified Linux runs
 * without PIT, PIC, HPET or PM timer:
 *   - vendor GenuineIntel, family 6 model 0x6a (no TSC-deadline erratum
 *     check applies to it), leaf 0x15/0x16 with the TSC rate, so Linux
 *     takes the TSC frequency from CPUID (native_calibrate_tsc) and the
 *     LAPIC timer rate from the crystal clock;
 *   - x2APIC, TSC-deadline, ARAT, invariant TSC, the hypervisor bit and
 *     leaves 0x40000000 / 0x40000010 (TSC and bus kHz). The hypervisor
 *     leaf carries KVM's signature with no KVM feature (0x40000001 is 0):
 *     that is what makes Linux keep the x2APIC without interrupt
 *     remapping (x86_init.hyper.x2apic_available); no paravirtual
 *     interface (kvmclock, PV EOI, ...) is offered or used;
 *   - hidden: VMX/SVM, MONITOR/MWAIT, the PMU, thermal and power
 *     management, machine checks (MCE, MCA), TSX, speculation-control MSRs (which would exit to no
 *     model), XSAVES/XSAVEC, PKU, LA57, RDTSCP and RDPID (TSC_AUX is not the guest's; VT-x without the
 *     RDTSCP control turns RDPID into #UD);
 *   - topology (leaves 1 and 0xB) of one package with one thread per core
 *     and vm.nvcpus cores, APIC ID = vCPU number; no cache descriptions
 *     (leaf 4 reads zero: Linux then takes the topology from leaf 0xB);
 *   - XSAVE (leaf 0xD) within the host's XCR0; none (nor FMA, AVX, F16C,
 *     AVX2, AVX-512) when the host kernel left XSAVE off. */
#include <string.h>
#include "core.h"
#include "lapic.h"

#define BIT(n) (1u << (n))
#define MAX_BASIC_LEAF 0x16u
#define MAX_EXT_LEAF 0x80000008u
#define HV_LEAF 0x40000000u
#define HV_TIMING_LEAF 0x40000010u
#define GUEST_FMS 0x000606a6u /* family 6, model 0x6a, stepping 6 */
/* The crystal is the LAPIC timer's clock: one tick is LAPIC_TSC_PER_TICK
 * TSC cycles (lapic.h), so TSC = crystal * LAPIC_TSC_PER_TICK exactly. */
#define CRYSTAL_HZ (vm.tsc_hz / LAPIC_TSC_PER_TICK)
#define CLFLUSH_LINE_QWORDS 8
#define CR4_OSXSAVE (1ull << 18)

/* leaf 1 */
#define L1_ECX_DROP (BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(11) | BIT(14) | BIT(15) | BIT(18) | BIT(27))
#define L1_ECX_X2APIC BIT(21)
#define L1_ECX_TSC_DEADLINE BIT(24)
#define L1_ECX_OSXSAVE BIT(27)
#define L1_ECX_HYPERVISOR BIT(31)
/* XSAVE and what needs it (FMA, AVX, F16C; AVX2 and AVX-512 in leaf 7):
 * hidden when the host kernel left XSAVE off (no OSXSAVE). */
#define L1_ECX_XSAVE_USERS (BIT(12) | BIT(26) | BIT(28) | BIT(29))
#define L7_EBX_XSAVE_USERS (BIT(5) | BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define L1_EDX_DROP (BIT(7) | BIT(14) | BIT(18) | BIT(21) | BIT(22) | BIT(29) | BIT(31)) /* MCE, MCA, PSN, DS, ACPI, TM, PBE */
#define L1_EDX_APIC BIT(9)
#define L1_EDX_HTT BIT(28)
/* leaf 7.0 */
#define L7_EBX_DROP (BIT(2) | BIT(4) | BIT(11) | BIT(12) | BIT(14) | BIT(15) | BIT(25))
#define L7_ECX_KEEP (BIT(1) | BIT(2) | BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(11) | BIT(12) | BIT(14))
#define L7_EDX_KEEP (BIT(4)) /* fast short REP MOV */
/* extended */
#define E1_ECX_DROP (BIT(2) | BIT(10) | BIT(12) | BIT(13) | BIT(22) | BIT(23) | BIT(24) | BIT(28) | BIT(29))
#define E1_EDX_DROP (BIT(27))
#define E7_EDX_INVARIANT_TSC BIT(8)
/* leaf 6 */
#define L6_EAX_ARAT BIT(2)
/* leaf 0xD.1: keep XSAVEOPT and XGETBV1 (XSAVEC / XSAVES need IA32_XSS). */
#define LD1_EAX_KEEP (BIT(0) | BIT(2))

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Did the host kernel turn XSAVE on (CR4.OSXSAVE)? */
static bool host_osxsave(void)
{
    uint32_t r[4];
    host_cpuid(1, 0, r);
    return r[2] & L1_ECX_OSXSAVE;
}

static uint64_t host_xcr0(void)
{
    if (!host_osxsave())
        return 1;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static void sig(uint32_t out[4], const char *s12, unsigned b, unsigned c, unsigned d)
{
    memcpy(&out[b], s12, 4);
    memcpy(&out[c], s12 + 4, 4);
    memcpy(&out[d], s12 + 8, 4);
}

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

static void leaf1(const struct vcpu *v, const struct dj_vcpu_state *s, uint32_t r[4])
{
    host_cpuid(1, 0, r);
    r[0] = GUEST_FMS;
    r[1] = v->id << 24 | vm.nvcpus << 16 | CLFLUSH_LINE_QWORDS << 8;
    if (!(r[2] & L1_ECX_OSXSAVE))
        r[2] &= ~L1_ECX_XSAVE_USERS;
    r[2] = (r[2] & ~L1_ECX_DROP) | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE | L1_ECX_HYPERVISOR;
    if (s && (s->cr4 & CR4_OSXSAVE))
        r[2] |= L1_ECX_OSXSAVE;
    r[3] = (r[3] & ~L1_EDX_DROP) | L1_EDX_APIC | (vm.nvcpus > 1 ? L1_EDX_HTT : 0);
}

/* Level 0 SMT (one thread per core), level 1 the cores, then invalid
 * levels (type 0); r comes zeroed. */
static void leaf_b(const struct vcpu *v, uint32_t sub, uint32_t r[4])
{
    r[2] = sub | (sub < 2 ? (sub + 1) << 8 : 0);
    r[3] = v->id;
    if (sub < 2) {
        r[0] = sub ? bits_for(vm.nvcpus) : 0;
        r[1] = sub ? vm.nvcpus : 1;
    }
}

/* The XSAVE area size for the components in mask (standard format). */
static uint32_t xsave_size(uint64_t mask)
{
    uint32_t size = 576, r[4]; /* legacy area and header */
    for (unsigned i = 2; i < 63; i++) {
        if (!(mask >> i & 1))
            continue;
        host_cpuid(0xd, i, r);
        if (r[1] + r[0] > size)
            size = r[1] + r[0];
    }
    return size;
}

static void leaf_d(const struct dj_vcpu_state *s, uint32_t sub, uint32_t r[4])
{
    uint64_t allowed = host_xcr0();
    host_cpuid(0xd, sub, r);
    if (sub == 0) {
        uint64_t supported = ((uint64_t)r[3] << 32 | r[0]) & allowed;
        r[0] = (uint32_t)supported;
        r[3] = (uint32_t)(supported >> 32);
        r[1] = xsave_size((s ? s->xcr0 : 1) & supported);
        r[2] = xsave_size(supported);
    } else if (sub == 1) {
        r[0] &= LD1_EAX_KEEP;
        r[1] = r[2] = r[3] = 0;
    } else if (sub >= 63 || !(allowed >> sub & 1)) {
        memset(r, 0, 16);
    }
}

static void basic(const struct vcpu *v, const struct dj_vcpu_state *s, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    memset(r, 0, 16);
    switch (leaf) {
    case 0:
        r[0] = MAX_BASIC_LEAF;
        sig(r, "GenuineIntel", 1, 3, 2);
        return;
    case 1: leaf1(v, s, r); return;
    case 6: r[0] = L6_EAX_ARAT; return;
    case 7:
        if (sub != 0)
            return;
        host_cpuid(7, 0, r);
        r[0] = 0;
        r[1] &= ~L7_EBX_DROP;
        if (!host_osxsave())
            r[1] &= ~L7_EBX_XSAVE_USERS;
        r[2] &= L7_ECX_KEEP;
        r[3] &= L7_EDX_KEEP;
        return;
    case 0xb: leaf_b(v, sub, r); return;
    case 0xd: leaf_d(s, sub, r); return;
    case 0x15:
        r[0] = 1;
        r[1] = LAPIC_TSC_PER_TICK;
        r[2] = (uint32_t)CRYSTAL_HZ;
        return;
    case 0x16:
        r[0] = r[1] = (uint32_t)(vm.tsc_hz / 1000000);
        r[2] = (uint32_t)(CRYSTAL_HZ / 1000000);
        return;
    default: return; /* caches (4), PMU, RDT, SGX, PT, ...: absent */
    }
}

static void extended(uint32_t leaf, uint32_t r[4])
{
    uint32_t max[4];
    host_cpuid(0x80000000u, 0, max);
    memset(r, 0, 16);
    if (leaf > MAX_EXT_LEAF || leaf > max[0])
        return;
    host_cpuid(leaf, 0, r);
    switch (leaf) {
    case 0x80000000u: r[0] = max[0] < MAX_EXT_LEAF ? max[0] : MAX_EXT_LEAF; r[1] = r[2] = r[3] = 0; return;
    case 0x80000001u: r[0] = r[1] = 0; r[2] &= ~E1_ECX_DROP; r[3] &= ~E1_EDX_DROP; return;
    case 0x80000002u: case 0x80000003u: case 0x80000004u: case 0x80000006u: return;
    case 0x80000007u: r[0] = r[1] = r[2] = 0; r[3] = E7_EDX_INVARIANT_TSC; return;
    case 0x80000008u: r[1] = r[2] = r[3] = 0; return;
    default: memset(r, 0, 16); return;
    }
}

void cpuid_emulate(const struct vcpu *v, const struct dj_vcpu_state *s, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf <= MAX_BASIC_LEAF)
        basic(v, s, leaf, sub, r);
    else if (leaf == HV_LEAF) {
        r[0] = HV_TIMING_LEAF;
        sig(r, "KVMKVMKVM\0\0\0", 1, 2, 3);
    } else if (leaf == HV_TIMING_LEAF) {
        r[0] = (uint32_t)(vm.tsc_hz / 1000);
        r[1] = (uint32_t)(CRYSTAL_HZ / 1000);
        r[2] = r[3] = 0;
    } else if (leaf >= 0x80000000u)
        extended(leaf, r);
    else
        memset(r, 0, 16);
}
