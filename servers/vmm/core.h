/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM core's shared state (main.c, exits.c, cpuid.c, msr.c, smp.c,
 * loader.c, platform.c): one VM per VMM instance, up to VMM_MAX_VCPUS
 * vCPUs, each with a handler EC (its exits) and a timer thread (its
 * LAPIC timer while it runs) on the vCPU's host CPU. Device state is
 * touched only under vm.lock (one semaphore for the whole VM). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "acpi.h"
#include "vmm.h"

#define PAGE_SIZE 4096ull
#define MIB (1024ull * 1024)

/* Guest-physical memory map (docs/vmm.md). RAM from 0 up to at most
 * VMM_PCI_ECAM_BASE (acpi.h), where the hole below 4 GiB starts; devices above. */
#define GUEST_ECAM_SIZE ((uint64_t)VMM_PCI_ECAM_BUSES * MIB)
#define GUEST_BIOS_START 0x9fc00ull       /* reserved up to 1 MiB: ACPI tables live here */
#define GUEST_ACPI_BASE 0xe0000ull        /* RSDP in the BIOS area, where Linux looks */
#define GUEST_ACPI_SIZE 0x20000ull

/* Low memory the loader uses for the boot state. */
#define GUEST_GDT 0x6000ull
#define GUEST_ZERO_PAGE 0x7000ull
#define GUEST_CMDLINE 0x20000ull
#define GUEST_CMDLINE_MAX 4096
#define GUEST_PML4 0x9000ull /* PML4, PDPT, then 4 page directories: 4 GiB identity */

/* Selectors in the VM PD's capability space: vCPU i's exit portals. */
#define VM_EVENT_BASE(i) ((uint64_t)(i) * 64)

enum vcpu_run_state { VCPU_RUNNING, VCPU_WAIT_SIPI, VCPU_STOPPED };

struct vcpu {
    unsigned id, cpu;
    uint64_t ec, sc;                 /* the vCPU (VMM's selectors) */
    uint64_t handler_ec;             /* its exit handler (local EC on cpu) */
    uint64_t wake_sm;                /* HLT and SIPI waits block here */
    uint64_t timer_sm, timer_ec;     /* the timer thread */
    volatile enum vcpu_run_state state;
    volatile uint8_t sipi_vector;
    volatile bool sipi_pending, init_pending;
    volatile bool halted;            /* its handler blocks in HLT */
    uint64_t misc_enable;
    uint64_t dr[8];                  /* shadowed debug registers (exits.c) */
    uint64_t armed_deadline;         /* the timer thread's deadline (TSC), UINT64_MAX: none */
    struct dj_utcb *volatile utcb;   /* set while its handler serves an exit */
};
#define DR6_RESET 0xffff0ff0ull
#define DR7_RESET 0x400ull
#define MISC_ENABLE_RESET 0x1801ull /* fast strings; BTS and PEBS unavailable */

struct vm {
    struct vmm_ram ram;
    struct vmm_bus io, mmio;
    unsigned nvcpus;
    struct vcpu vcpu[VMM_MAX_VCPUS];
    uint64_t pd;            /* the VM PD */
    uint64_t lock;          /* semaphore: one holder */
    uint64_t console_pt;
    uint64_t tsc_hz;
    unsigned host_cpus;
    volatile bool stopped;  /* powered off or dead: vCPUs stay blocked */
    uint64_t main_sm;       /* the main thread sleeps here */
    /* Boot state the loader prepared for the BSP's STARTUP exit. */
    uint64_t entry_rip, entry_rsi, entry_rbx;
    bool entry_64;          /* long mode with our page tables, else 32-bit flat */
    uint32_t entry_eax;     /* multiboot magic */
};

extern struct vm vm;
extern const struct dj_start_info *vm_start_info;

/* main.c */
void vm_lock(void);
void vm_unlock(void);
/* Printed on the console as "[name] vmm: ...": from any thread. */
void vmm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stops the VM for good (every vCPU parks): why goes to the console. */
void vm_stop(const char *why);

/* exits.c: the handler of every exit portal (badge: vCPU << 8 | reason). */
uint64_t exit_handler(uint64_t badge, struct dj_utcb *u);

/* cpuid.c: eax..edx for leaf, subleaf sub on vCPU v (s: its CR state,
 * for OSXSAVE and the XSAVE size; NULL: reset values). */
void cpuid_emulate(const struct vcpu *v, const struct dj_vcpu_state *s, uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* msr.c: false: the access is refused (#GP). */
bool msr_read(struct vcpu *v, struct dj_vcpu_state *s, uint32_t msr, uint64_t *value);
bool msr_write(struct vcpu *v, struct dj_vcpu_state *s, uint32_t msr, uint64_t value);

/* loader.c: parses the guest image and lays out memory; false with *why. */
bool load_guest(const void *kernel, uint64_t ksize, const void *initrd, uint64_t isize, const char *cmdline,
                const char **why);
/* The BSP's initial state (the STARTUP exit). Returns the reply MTD. */
uint64_t boot_state(struct dj_vcpu_state *s);
/* A real-mode state at vector << 12 (an AP after SIPI). */
uint64_t sipi_state(struct dj_vcpu_state *s, uint8_t vector);

/* smp.c: vCPUs at priority prio, their timer threads at timer_prio;
 * vCPU i on host CPU (first_cpu + i) mod the CPU count. */
bool vcpus_create(unsigned prio, unsigned timer_prio, unsigned first_cpu);
/* Badge bit of the timer threads' startup portals (exits.c passes them on). */
#define VMM_THREAD_BADGE (1ull << 62)
#define VMM_RELAY_BADGE (1ull << 8) /* with VMM_THREAD_BADGE: net.c's doorbell relay n (low byte) */
uint64_t thread_startup(uint64_t badge, struct dj_utcb *u);
/* A VMM thread (timer, doorbell relay) whose startup event goes to host's
 * handler EC through the portal at event_base + DJ_EV_STARTUP (badge: the
 * low byte and VMM_RELAY_BADGE), on host's CPU. */
enum dj_status thread_create(const struct vcpu *host, uint64_t event_base, uint64_t badge, uint64_t ec, uint64_t sc,
                             uint64_t utcb, unsigned prio);
/* The reply to a startup event: the thread runs fn(arg) on its stack (ok
 * false: a bad event, the thread is killed). */
uint64_t thread_start(struct dj_utcb *u, bool ok, void (*fn)(uint64_t), uint8_t *stack, size_t bytes, uint64_t arg);
void timer_thread(uint64_t id);
/* After an exit: tell the timer thread the vCPU's next LAPIC deadline. */
void timer_rearm(struct vcpu *v);
/* Blocks the calling handler until something is pending for v or its
 * timer deadline (TSC) passes; called with the lock held, returns with it. */
void vcpu_block(struct vcpu *v, uint64_t deadline_tsc);

/* platform.c: the devices, and what the exit code asks of the LAPICs. */
bool platform_init(void);
/* vCPU vcpu's LAPIC (lapic.h: pending vectors, NMIs, its MSRs). */
struct lapic *platform_lapic(unsigned vcpu);
/* TSC of the vCPU's next timer event, or UINT64_MAX: runs expired timers first. */
uint64_t platform_timer_deadline(unsigned vcpu);

/* Console bytes for the guest's serial port: how many it took. */
size_t platform_console_input(const char *bytes, size_t n);
/* main.c: sends the guest's pending serial output: all of it, or its
 * whole lines only (at the end of an exit). */
void vmm_console_flush(void);
void vmm_console_flush_lines(void);

/* net.c: the virtio-net device and its channel (docs/vmm.md). */
struct dj_start_info;
struct pci_host;
bool net_serve_early(const struct dj_start_info *si);
bool net_device(const struct dj_start_info *si, struct pci_host *pci);
bool net_relays_start(void);
void net_round(void);
/* Frames the channels moved, both ways, all devices (for fault.c). */
uint64_t net_frames_moved(void);
uint64_t net_relay_startup(unsigned relay, struct dj_utcb *u);

/* fault.c: arg=crash_after=N, the gateway's VM restart test. */
void vmm_fault_configure(const struct dj_start_info *si);
void vmm_fault_check(uint64_t frames);
