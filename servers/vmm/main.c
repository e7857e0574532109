/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM: one instance per virtual machine, started by init from a VM
 * line of the boot configuration (docs/vmm.md). It holds its own PD (to
 * create the VM PD and its threads), the guest images init mapped for it
 * (read-only), its console portal and its channels: nothing else.
 *
 * Start: guest RAM from its own quota (DJ_SYS_MEM_ALLOC), the VM PD
 * (DJ_SYS_FLAG_VM) with that RAM delegated at guest-physical 0, the guest
 * image laid out by the loader, the platform devices, then per vCPU a
 * handler EC, its exit portals in the VM PD and the vCPU itself (smp.c).
 * The main thread then only forwards what handlers print. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include "lib/elfload.h"
#include "lib/handler_output.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "core.h"

#define RAM_VA 0x200000000000ull /* 1 GiB aligned: the kernel maps it with large pages */
#define MAX_ALLOC_ORDER 18
#define VM_PD_QUOTA_BASE 64      /* the VM PD's own objects */
#define PAGES_PER_TABLE 512
#define LOG_MAX 200
#define SEL_LOCK (DJ_CHILD_FIRST_FREE + 0)
#define SEL_MAIN_SM (DJ_CHILD_FIRST_FREE + 1)
#define SEL_VM_PD (DJ_CHILD_FIRST_FREE + 2)
#define CMDLINE_MAX 2048
#define MIN_TSC_HZ 100000000ull
#define DEFAULT_TSC_HZ 2000000000ull

struct vm vm;
const struct dj_start_info *vm_start_info;

void vm_lock(void)
{
    dj_sm_down(vm.lock);
}

void vm_unlock(void)
{
    dj_sm_up(vm.lock);
}

void vmm_log(const char *fmt, ...)
{
    char buf[LOG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printf("vmm: %s\n", buf);
}

void vm_stop(const char *why)
{
    if (!vm.stopped)
        vmm_log("VM stopped: %s", why);
    vm.stopped = true;
}

uint64_t vmm_guest_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Guest RAM in naturally aligned pieces of at most 1 GiB. */
static bool ram_alloc(uint64_t bytes)
{
    uint64_t pages = bytes / PAGE_SIZE, done = 0;
    while (done < pages) {
        unsigned order = MAX_ALLOC_ORDER;
        while ((1ull << order) > pages - done || (done & ((1ull << order) - 1)))
            order--;
        enum dj_status st = dj_mem_alloc(RAM_VA + done * PAGE_SIZE, order, DJ_MEM_ALL);
        if (st != DJ_OK) {
            vmm_log("guest RAM: %lu of %lu MiB allocated, then status %d (quota too small?)",
                    (unsigned long)(done * PAGE_SIZE / MIB), (unsigned long)(bytes / MIB), st);
            return false;
        }
        done += 1ull << order;
    }
    vm.ram.base = (uint8_t *)(uintptr_t)RAM_VA;
    vm.ram.size = bytes;
    return true;
}

static bool vm_pd_create(void)
{
    uint64_t quota = VM_PD_QUOTA_BASE + vm.ram.size / PAGE_SIZE / PAGES_PER_TABLE * 2;
    struct dj_sysret r = dj_syscall(DJ_SYS_CREATE_PD | DJ_SYS_FLAG_VM, SEL_VM_PD, DJ_SEL_SELF_PD, quota, 0, 0, 0);
    if (r.status != DJ_OK) {
        vmm_log("cannot create the VM PD (status %lu%s)", (unsigned long)r.status,
                r.status == DJ_E_BAD_PARAM ? ": the kernel runs no VMs on this CPU; its 'virt:' boot line says why" : "");
        return false;
    }
    vm.pd = SEL_VM_PD;
    enum dj_status st = dj_map_into(vm.pd, vm.ram.base, 0, vm.ram.size / PAGE_SIZE, DJ_MEM_ALL);
    if (st != DJ_OK)
        vmm_log("delegating guest RAM into the VM failed (status %d)", st);
    return st == DJ_OK;
}

/* Ports of the VMM's own io= ranges are passed through to the guest
 * (delegated into the VM PD: the guest's accesses reach the hardware
 * without an exit). Only for what must reach the real machine, such as
 * the benchmark's boot-mark port (docs/vmm.md). */
static bool ports_through(const struct dj_start_info *si)
{
    for (uint32_t i = 0; i < si->nio && i < DJ_START_MAX_IO; i++) {
        const struct dj_start_io *r = &si->io[i];
        if (!r->granted)
            continue;
        for (uint64_t port = r->first; port <= r->last; port++) {
            enum dj_status st = dj_delegate(vm.pd, DJ_CRD(DJ_CRD_IO, port, 0, DJ_IO_ACCESS), port);
            if (st != DJ_OK) {
                vmm_log("port %#lx not passed to the guest (status %d)", (unsigned long)port, st);
                return false;
            }
        }
        vmm_log("ports %#x-%#x passed through to the guest", r->first, r->last);
    }
    return true;
}

/* The guest command line: the cmdline= module's text (a trailing newline
 * dropped), else the kernel module's GRUB arguments. */
static void guest_cmdline(const struct dj_start_info *si, char *out)
{
    const char *src = si->vm_kernel.args;
    size_t n = strlen(src);
    if (si->vm_cmdline.size) {
        src = (const char *)(uintptr_t)si->vm_cmdline.va;
        n = si->vm_cmdline.size < CMDLINE_MAX - 1 ? si->vm_cmdline.size : CMDLINE_MAX - 1;
        while (n && (src[n - 1] == '\n' || src[n - 1] == '\r' || src[n - 1] == '\0'))
            n--;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = src[i] == '\n' || src[i] == '\t' ? ' ' : src[i];
    out[n] = '\0';
}

static bool setup(const struct dj_start_info *si)
{
    static char cmdline[CMDLINE_MAX];
    const char *why = "";
    if (!si->vm_mem_mib || !si->vm_kernel.size) {
        vmm_log("not started from a VM line (kernel= missing): nothing to run");
        return false;
    }
    vm.nvcpus = si->vm_vcpus >= 1 && si->vm_vcpus <= VMM_MAX_VCPUS ? si->vm_vcpus : 1;
    vm.host_cpus = si->vm_host_cpus ? si->vm_host_cpus : 1;
    /* An unknown (or implausible) rate: 2 GHz is assumed, as init does. */
    vm.tsc_hz = si->vm_tsc_hz >= MIN_TSC_HZ ? si->vm_tsc_hz : DEFAULT_TSC_HZ;
    if (dj_create_sm(SEL_LOCK, DJ_SEL_SELF_PD, 1) != DJ_OK || dj_create_sm(SEL_MAIN_SM, DJ_SEL_SELF_PD, 0) != DJ_OK)
        return false;
    vm.lock = SEL_LOCK;
    vm.main_sm = SEL_MAIN_SM;
    uint64_t ram = (uint64_t)si->vm_mem_mib * MIB;
    if (ram > VMM_PCI_ECAM_BASE) /* the hole below 4 GiB starts with ECAM */
        ram = VMM_PCI_ECAM_BASE;
    guest_cmdline(si, cmdline);
    vmm_log("VM: %u MiB, %u vCPU%s, kernel %lu bytes, initrd %lu bytes, TSC %lu kHz; command line: %s",
            (unsigned)(ram / MIB), vm.nvcpus, vm.nvcpus > 1 ? "s" : "", (unsigned long)si->vm_kernel.size,
            (unsigned long)si->vm_initrd.size, (unsigned long)(vm.tsc_hz / 1000), cmdline);
    if (!ram_alloc(ram) || !vm_pd_create() || !ports_through(si))
        return false;
    if (!platform_init())
        return false;
    if (!load_guest((const void *)(uintptr_t)si->vm_kernel.va, si->vm_kernel.size,
                    si->vm_initrd.size ? (const void *)(uintptr_t)si->vm_initrd.va : NULL, si->vm_initrd.size,
                    cmdline, &why)) {
        vmm_log("cannot load the guest: %s", why);
        return false;
    }
    /* VMs spread over the CPUs: each starts at the CPU its id names. */
    return vcpus_create(si->vm_prio, si->vm_maxprio, (unsigned)si->id) && net_relays_start();
}

/* ---- what devices ask of the VMM (vmm.h) ---------------------------------- */

/* The guest's serial output, sent raw (DJ_CONSOLE_OP_WRITE_RAW): whole
 * lines when the exit in which the guest wrote them ends
 * (vmm_console_flush_lines), so another component's line on the shared
 * console cannot cut one in two; everything when half the buffer is used
 * or the VM stops (vmm_console_flush). A partial line (a prompt) goes out
 * from the main thread once the guest has not added to it for
 * PARTIAL_LINE_MS (the main thread rounds at least every INPUT_POLL_US).
 * Portal calls stay on their CPU: only a handler on the console's CPU
 * (the boot CPU) sends itself, setting its UTCB (the vCPU state) aside
 * for the call; on other CPUs the main thread is woken to send. What does
 * not fit the buffer meanwhile is dropped and counted. */
#define CONSOLE_BUF 16384
#define PARTIAL_LINE_MS 20
static char console_buf[CONSOLE_BUF];
static size_t console_len;
static uint64_t console_grew_tsc; /* when the guest last added a byte */
static uint64_t console_dropped;
static uint8_t saved_utcb[sizeof(struct dj_utcb)];

/* Sends the first n bytes with UTCB u; called with the lock held. */
static void console_send_locked(struct dj_utcb *u, size_t n)
{
    if (n && vm.console_pt)
        dj_console_write_raw(vm.console_pt, u, console_buf, n);
    memmove(console_buf, console_buf + n, console_len - n);
    console_len -= n;
}

static size_t whole_lines(void)
{
    size_t n = console_len;
    while (n && console_buf[n - 1] != '\n')
        n--;
    return n;
}

static struct vcpu *current_vcpu(void)
{
    for (unsigned i = 0; i < vm.nvcpus; i++)
        if (vm.vcpu[i].utcb)
            return &vm.vcpu[i];
    return NULL;
}

static void console_send(size_t n)
{
    struct vcpu *v = current_vcpu();
    if (!n)
        return;
    if (!v || v->cpu != dj_boot_cpu) {
        dj_sm_up(vm.main_sm);
        return;
    }
    memcpy(saved_utcb, v->utcb, sizeof(saved_utcb));
    console_send_locked(v->utcb, n);
    memcpy(v->utcb, saved_utcb, sizeof(saved_utcb));
}

void vmm_console_flush(void) { console_send(console_len); }
void vmm_console_flush_lines(void) { console_send(whole_lines()); }

void vmm_console_write(const char *s, size_t len)
{
    console_grew_tsc = vmm_guest_tsc();
    for (size_t i = 0; i < len; i++) {
        if (console_len == CONSOLE_BUF) {
            console_dropped++;
            continue;
        }
        console_buf[console_len++] = s[i];
        if (console_len >= CONSOLE_BUF / 2)
            vmm_console_flush();
    }
}

/* The main thread's part: what handlers on other CPUs left, and a partial
 * line the guest stopped adding to. */
static void console_send_pending(void)
{
    vm_lock();
    bool stalled = vmm_guest_tsc() - console_grew_tsc > vm.tsc_hz / 1000 * PARTIAL_LINE_MS;
    console_send_locked(dj_utcb(), stalled ? console_len : whole_lines());
    uint64_t dropped = console_dropped;
    console_dropped = 0;
    vm_unlock();
    if (dropped)
        printf("vmm: %lu bytes of the guest's console output dropped (console busy)\n", (unsigned long)dropped);
}

/* Console input for the guest's UART, polled by the main thread. */
#define INPUT_POLL_US 20000
static char input[DJ_CONSOLE_READ_MAX];
static size_t input_len, input_off;

static void poll_input(void)
{
    if (!vm.console_pt || vm.stopped)
        return;
    if (input_off == input_len) {
        input_off = input_len = 0;
        if (dj_console_read(vm.console_pt, dj_utcb(), input, sizeof(input), &input_len) != DJ_OK)
            input_len = 0;
    }
    if (input_off < input_len) {
        vm_lock();
        input_off += platform_console_input(input + input_off, input_len - input_off);
        vm_unlock();
    }
}

static volatile bool reset_requested;

void vmm_power_off(unsigned status)
{
    vmm_console_flush();
    vmm_log("guest powered off (status %u)", status);
    vm_stop("powered off");
}

void vmm_reset(void)
{
    vmm_console_flush();
    vm_stop("reset requested (triple fault, i8042 or ACPI reset)");
    reset_requested = true;
    dj_sm_up(vm.main_sm);
}

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    dj_start_cap("console", &vm.console_pt);
    vm_start_info = si;
    if (!net_serve_early(si) || !setup(si)) {
        vmm_log("VM not started");
        dj_console_flush_handlers();
        return 1;
    }
    vmm_fault_configure(si);
    dj_handler_output_wake_sm(vm.main_sm);
    for (;;) {
        dj_console_flush_handlers();
        if (reset_requested) {
            /* Dying is how a VMM asks init for a fresh VM (restart=yes). */
            printf("vmm: VM reset: the VMM ends so that init can restart it\n");
            dj_console_flush_handlers();
            __builtin_trap();
        }
        console_send_pending();
        poll_input();
        net_round();
        vmm_fault_check(net_frames_moved());
        dj_sm_down_timeout(vm.main_sm, INPUT_POLL_US);
    }
}
