/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel entry: bring the machine up step by step and start the root PD.
 * The test kernel also runs its self-tests (selftest.h) and, in test mode,
 * powers off at the end. */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "common/cmdline.h"
#include "kernel/console.h"
#include "arch/x86_64/virt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/fbcon.h"
#include "kernel/frame_alloc.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "kernel/kernel.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/multiboot2.h"
#include "arch/x86_64/paging.h"
#include "kernel/panic.h"
#include "arch/x86_64/percpu.h"
#include "kernel/root.h"
#include "kernel/selftest.h"
#include "kernel/sched.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/user_mode.h"
#include "arch/x86_64/vtd.h"

#define DONJON_VERSION "0.1"
#define KERNEL_PHYS_START 0x200000ull
#define MBI_MAX_SIZE (1ull << 20) /* larger boot information is not plausible */
#define FOUR_GIB (4ull << 30)
#define MAX_RESERVED (BOOT_MAX_MODULES + 4)

struct boot_info boot_info;

extern char __kernel_end[];

static void boot_warn(const char *msg)
{
    kprintf("warning: %s\n", msg);
}

static void *frame_map(uint64_t phys)
{
    return phys_to_virt(phys);
}

static void parse_boot_information(uint32_t magic, uint64_t mbi_phys)
{
    if (magic != MB2_BOOTLOADER_MAGIC)
        panic("not started by a multiboot2 loader (magic %#x)", magic);
    const uint32_t *mbi = phys_to_virt(mbi_phys);
    uint64_t size = mbi[0];
    if (size < 8 || size > MBI_MAX_SIZE || mbi_phys + size > FOUR_GIB)
        panic("multiboot2 information at %#llx has implausible size %llu", (unsigned long long)mbi_phys,
              (unsigned long long)size);
    if (mb2_parse(mbi, size, mbi_phys, &boot_info, boot_warn) < 0)
        panic("multiboot2 information is unusable (no memory map)");
}

static unsigned collect_reserved(struct mem_region *r)
{
    unsigned n = 0;
    r[n++] = (struct mem_region){KERNEL_PHYS_START, (uint64_t)__kernel_end - KERNEL_VMA - KERNEL_PHYS_START, MEM_RESERVED};
    r[n++] = (struct mem_region){boot_info.mbi_phys, boot_info.mbi_size, MEM_RESERVED};
    for (unsigned i = 0; i < boot_info.module_count; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        r[n++] = (struct mem_region){m->start, m->end - m->start, MEM_RESERVED};
    }
    return n;
}

static uint64_t alloc_stack_top(uint64_t size)
{
    uint64_t pa = frame_alloc_contig(size / FRAME_SIZE, FRAME_SIZE);
    if (!pa)
        panic("out of memory for a kernel stack");
    return (uint64_t)phys_to_virt(pa) + size;
}

extern char boot_stack_top[];

static void setup_bsp(void)
{
    percpu_install(&percpu[0], 0, cpuid(1, 0).ebx >> 24);
    uint64_t ist[3];
    for (int i = 0; i < 3; i++)
        ist[i] = alloc_stack_top(IST_STACK_SIZE);
    gdt_init_cpu(&percpu[0].tables, (uint64_t)boot_stack_top, ist);
    idt_init();
    idt_load();
    cpu_features_enable();
    syscall_init_cpu(alloc_stack_top(KERNEL_STACK_SIZE));
    percpu[0].online = true;
    cpus_online = 1;
}

static void start_framebuffer_console(void)
{
    if (boot_info.fb.type == FB_NONE) {
        kprintf("console: no framebuffer from the boot loader; serial only\n");
        return;
    }
    if (fbcon_init(&boot_info.fb) == 0) {
        console_add_sink(fbcon_write);
        kprintf("console: framebuffer %ux%u, %u bpp %s at %#llx\n", boot_info.fb.width, boot_info.fb.height,
                boot_info.fb.bpp, boot_info.fb.type == FB_EGA_TEXT ? "EGA text" : "RGB",
                (unsigned long long)boot_info.fb.addr);
    } else
        kprintf("console: framebuffer %ux%u bpp %u unusable; serial only\n", boot_info.fb.width,
                boot_info.fb.height, boot_info.fb.bpp);
}

static void print_memory_map(void)
{
    static const char *const names[] = {"?", "usable", "reserved", "ACPI data", "ACPI NVS", "bad"};
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        const struct mem_region *r = &boot_info.mem[i];
        kprintf("mem: %#014llx-%#014llx %s\n", (unsigned long long)r->base,
                (unsigned long long)(r->base + r->len - 1), r->type <= MEM_BAD ? names[r->type] : "?");
    }
}

static void print_cpu(void)
{
    const struct cpu_features *f = &cpu_features;
    kprintf("cpu: %s %s\n", f->vendor, f->brand);
    kprintf("cpu: nx=%d smep=%d smap=%d xsave=%d avx=%d x2apic=%d vmx=%d svm=%d xsave_size=%u\n", f->nx, f->smep,
            f->smap, f->xsave, f->avx, f->x2apic, f->vmx, f->svm, f->xsave_size);
    if (f->xsave_tcg_quirk)
        kprintf("cpu: XSAVE left off: QEMU's TCG takes CR4.OSXSAVE as reserved on this CPU model (no XSAVEOPT)\n");
}

#ifndef DONJON_TEST_KERNEL
void selftest_options(void)
{
    if (cmdline_has(boot_info.cmdline, "donjon.test") || cmdline_has(boot_info.cmdline, "donjon.crash"))
        kprintf("boot: donjon.test and donjon.crash= are options of the test kernel (donjon-test.elf); ignored\n");
}
#endif

static uint64_t usable_mib(void)
{
    return frame_total_count() * FRAME_SIZE >> 20;
}

void kmain(uint32_t magic, uint64_t mbi_phys);
void kmain(uint32_t magic, uint64_t mbi_phys)
{
    serial_init();
    console_add_sink(serial_write);
    kprintf("Donjon %s x86-64 microkernel starting\n", DONJON_VERSION);
    parse_boot_information(magic, mbi_phys);
    selftest_options();
    kprintf("boot: loader '%s', command line '%s', %u modules\n", boot_info.loader_name, boot_info.cmdline,
            boot_info.module_count);
    cpu_features_detect();

    struct mem_region reserved[MAX_RESERVED];
    unsigned nreserved = collect_reserved(reserved);
    frame_alloc_init(boot_info.mem, boot_info.mem_count, reserved, nreserved, frame_map, boot_warn);
    print_memory_map();
    paging_init(&boot_info);
    setup_bsp();
    start_framebuffer_console();
    print_cpu();

    acpi_init(&boot_info);
    lapic_init_bsp();
    percpu[0].apic_id = lapic_id();
    ioapic_init();
    timer_calibrate();
    timer_start_this_cpu();
    irq_enable();
    vtd_init(&boot_info);

    selftest_run_early();
    virt_init(); /* after the self-tests, which may use VT-x or SVM their own way */
    smp_boot_aps();
    kprintf("Donjon %s: %u CPUs online, %llu MiB memory\n", DONJON_VERSION, cpus_online,
            (unsigned long long)usable_mib());
    selftest_run_late();
    /* In test mode the root PD's tests come next; it ends the run. */
    if (!kernel_test_mode)
        kprintf("donjon: boot complete\n");
    if (root_start())
        sched_start();
#ifdef DONJON_TEST_KERNEL
    if (kernel_test_mode)
        selftest_finish();
#endif
    kprintf("donjon: no root PD (boot module 'sigma0'); idling\n");
    for (;;)
        cpu_halt();
}
