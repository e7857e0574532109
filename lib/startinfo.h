/* SPDX-License-Identifier: BSD-2-Clause */
/* What a component finds when it starts (the contract between a parent,
 * sigma0 for init and init for every other component, and its child).
 *
 * Capability selectors of a child PD:
 *   DJ_SEL_SELF_PD (0)      its own PD (DJ_PD_CREATE: local ECs, portals,
 *                           semaphores charged to its own quota;
 *                           DJ_PD_DELEGATE: copies of its own capabilities
 *                           at other selectors, e.g. the parent's exception
 *                           portals into a thread's own event base)
 *   DJ_SEL_DEBUG (3)        the kernel debug console, only if granted
 *   DJ_SEL_DEVMEM (4)       device memory (DJ_SYS_MMIO_MAP), only if granted
 *   DJ_SEL_DEVICES (5)      every PCI function's DMA (DJ_SYS_DEV_CTRL), with
 *                           device memory when the kernel has VT-d on
 *   DJ_CHILD_EVENT_BASE     + vector: its exception and startup portals
 *                           (served by the parent) for ECs on the boot CPU
 *   DJ_CHILD_CPU_EVENT_BASE + cpu * DJ_EV_COUNT + vector: the same portals
 *                           for ECs on each other online CPU (init only,
 *                           cpu < DJ_CHILD_EVENT_CPUS): the kernel sends an
 *                           exception only to a handler on the faulting
 *                           EC's CPU, so an EC on CPU n takes its event
 *                           base from dj_child_event_base(n)
 *   DJ_CHILD_FIRST_GRANT..  portals it was granted, named in the start info
 *   DJ_CHILD_FIRST_FREE..   free for the component's own objects
 *   DJ_SEL_IRQ_BASE + GSI   interrupt lines it was granted (irq=)
 *   DJ_SEL_MSI_BASE + n     its MSI capabilities, n < nmsi (msi=)
 *
 * Addresses: the ELF image where it was linked, the stack below
 * DJ_CHILD_STACK_TOP, the main EC's UTCB at DJ_CHILD_UTCB_VA, the start
 * information page (read-only) at DJ_START_INFO_VA, the heap at
 * dj_start_info.heap_va, and [DJ_CHILD_FREE_VA, DJ_CHILD_FREE_END) free for
 * the component (UTCBs of its handler ECs, memory it asks for).
 *
 * [DJ_CHILD_SHARED_VA, DJ_CHILD_SHARED_END) is where a component puts
 * memory a peer owns and delegated to it (a channel's region from its
 * server). Such memory vanishes when the peer dies; a fault there is
 * survivable: the parent maps a fresh zeroed page at the address and
 * resumes the thread (at most DJ_CHILD_SHARED_FAULT_MAX pages per
 * instance, then it kills the component), so the component finds a
 * broken ring instead of dying (docs/channels.md, docs/boot-config.md).
 * A fault anywhere else, or on a page that is present there (a write to
 * read-only memory, an instruction fetch), kills the thread as before. */
#pragma once
#include <stdint.h>
#include <donjon/abi.h>

#define DJ_PAGE_SIZE 4096ull
#define DJ_PAGE_SHIFT 12
/* Component ids (the badges init gives clients' portals) are
 * 1..DJ_COMPONENT_ID_MAX, one per configuration line (init's
 * BC_MAX_COMPONENTS); 0 is DJ_BADGE_PARENT (lib/proto.h). A server sizes
 * its per-client tables with DJ_COMPONENT_ID_MAX + 1 entries. */
#define DJ_COMPONENT_ID_MAX 16

#define DJ_CHILD_EVENT_BASE 32
#define DJ_CHILD_FIRST_GRANT (DJ_CHILD_EVENT_BASE + DJ_EV_COUNT)
#define DJ_CHILD_MAX_GRANTS 32
#define DJ_CHILD_FIRST_FREE (DJ_CHILD_FIRST_GRANT + DJ_CHILD_MAX_GRANTS)
/* Per-CPU event portal blocks (non-boot CPUs; the boot CPU's block is
 * DJ_CHILD_EVENT_BASE): high selectors, above what lib/freespace.c hands
 * out and what servers name themselves, below the capspace limit 2^18.
 * A CPU that is not online has an empty block. */
#define DJ_CHILD_CPU_EVENT_BASE 0x8000
#define DJ_CHILD_EVENT_CPUS 64 /* the kernel's CPU limit */
_Static_assert(DJ_CHILD_CPU_EVENT_BASE + DJ_CHILD_EVENT_CPUS * DJ_EV_COUNT <= (1u << 18),
               "the per-CPU event blocks fit the capability space");

/* The event base for an EC of this component on cpu: its parent's
 * handlers on that CPU (startup and exceptions, as at DJ_CHILD_EVENT_BASE).
 * The parent's startup portal starts a thread at the ELF entry on the main
 * stack: a handler (local) EC takes this base as it is, a thread of its
 * own gets its own startup portal and the exception portals copied
 * (dj_child_exception_portals, lib/component.h). */
static inline uint64_t dj_child_event_base(unsigned cpu)
{
    extern uint32_t dj_boot_cpu;
    return cpu == dj_boot_cpu ? DJ_CHILD_EVENT_BASE : DJ_CHILD_CPU_EVENT_BASE + (uint64_t)cpu * DJ_EV_COUNT;
}

#define DJ_CHILD_STACK_TOP 0x7fff00000000ull
#define DJ_CHILD_STACK_PAGES 16
#define DJ_CHILD_UTCB_VA 0x7fff00100000ull
#define DJ_START_INFO_VA 0x7fff00300000ull
#define DJ_CHILD_HEAP_VA 0x10000000000ull /* 1 TiB */
#define DJ_CHILD_FREE_VA 0x500000000000ull
#define DJ_CHILD_FREE_END 0x600000000000ull /* the boot modules follow (init only) */
#define DJ_CHILD_VM_MODULE_VA 0x300000000000ull /* a VMM's guest images (read-only), then free */
#define DJ_CHILD_DATA_VA 0x3f0000000000ull /* the line's data= module (read-only) */
#define DJ_CHILD_SHARED_VA 0x400000000000ull
#define DJ_CHILD_SHARED_END DJ_CHILD_FREE_VA
/* Memory a device reaches (DJ_MEM_DMA): device addresses are virtual
 * addresses with VT-d, and the narrowest VT-d width is 39 bits. */
#define DJ_CHILD_DMA_VA 0x4000000000ull
#define DJ_CHILD_DMA_END 0x8000000000ull
#define DJ_CHILD_SHARED_FAULT_MAX 64 /* zeroed pages per instance of a component */

#define DJ_START_MAGIC 0x6f666e6974726174ull /* "tartinfo" */
#define DJ_START_NAME_MAX 16 /* bytes, terminator included */
#define DJ_START_MAX_IO 8
#define DJ_START_ARG_MAX 48 /* bytes of the free argument, terminator included */

/* A named capability: a portal at a selector. */
struct dj_start_cap {
    char name[DJ_START_NAME_MAX];
    uint64_t sel;
};

/* An I/O port range the configuration asked for; granted says whether the
 * kernel accepted the delegation (a driver falls back when it did not). */
struct dj_start_io {
    uint16_t first, last;
    uint32_t granted;
};

struct dj_start_info {
    uint64_t magic;
    char name[DJ_START_NAME_MAX]; /* the component's name */
    uint64_t id;                  /* its badge on the parent's portals */
    uint64_t heap_va, heap_pages; /* mapped and zeroed, or demand-paged (init) */
    uint64_t bootinfo_va;         /* struct dj_bootinfo, read-only; 0 if not given */
    uint32_t ncaps, nio;
    struct dj_start_cap caps[DJ_CHILD_MAX_GRANTS];
    struct dj_start_io io[DJ_START_MAX_IO];
    /* Added for device drivers and restarts (docs/boot-config.md): */
    uint32_t generation;          /* 0 on the first start, +1 per restart by init */
    uint32_t nmsi;                /* MSI capabilities at DJ_SEL_MSI_BASE + 0..nmsi-1 */
    uint32_t devmem;              /* 1: the device-memory capability is at DJ_SEL_DEVMEM */
    /* With devmem: PCI Express configuration space (ECAM, segment 0) from
     * the boot information; base 0 when the firmware gave none. */
    uint64_t pci_ecam_base;
    uint32_t pci_ecam_bus_start, pci_ecam_bus_end;
    char arg[DJ_START_ARG_MAX];   /* the line's arg= text (printable, no blanks), "" if none */
    /* A VM line (kernel=, docs/vmm.md): the guest's images, mapped
     * read-only from DJ_CHILD_VM_MODULE_VA on (size 0: not given), and
     * its size. vm_mem_mib 0: not a VM line. */
    struct dj_start_module {
        uint64_t va, size;
        char args[DJ_MODULE_CMDLINE]; /* the module's GRUB arguments after its name */
    } vm_kernel, vm_initrd, vm_cmdline;
    uint32_t vm_mem_mib, vm_vcpus;
    /* From the boot information, for a VM's timers and vCPU placement. */
    uint64_t vm_tsc_hz;     /* 0: unknown */
    uint32_t vm_host_cpus;
    uint32_t vm_virt;       /* DJ_VIRT_* */
    uint32_t vm_prio, vm_maxprio; /* the line's prio= and maxprio=: vCPUs and timer threads */
    /* The boot information's dma_bits: nonzero when VT-d translates device
     * addresses (a driver programs its own virtual addresses, DMA memory
     * below DJ_CHILD_DMA_END), 0 for physical addresses. */
    uint32_t dma_bits;
    /* The line's data= module (any component, e.g. the ESP wrapper's
     * configuration), read-only at DJ_CHILD_DATA_VA; size 0: none. */
    struct dj_start_module data;
};
_Static_assert(sizeof(struct dj_start_info) <= 4096, "start information must fit one page");
