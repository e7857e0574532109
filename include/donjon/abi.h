/* SPDX-License-Identifier: BSD-2-Clause */
/* Donjon kernel ABI: the one source of truth shared by the kernel and
 * user-level code. docs/abi.md explains every item here. */
#pragma once
#include <stdint.h>

/* ---- System calls --------------------------------------------------------
 * `syscall` with RAX = op | flags << 8 and arguments in RDI, RSI, RDX, R10,
 * R8, R9. RAX returns a status (enum dj_status); further results come back
 * in RSI and RDX. RCX and R11 are clobbered (the instruction's own rule). */
enum dj_syscall {
    DJ_SYS_CALL = 0,      /* (pt_sel, mtd) -> status, mtd */
    DJ_SYS_REPLY = 1,     /* (mtd): reply to the caller and wait for the next call */
    DJ_SYS_CREATE_PD = 2, /* (dst_sel, quota_pd_sel, quota_pages, max_prio); flag MAX_PRIO */
    DJ_SYS_CREATE_EC = 3, /* (dst_sel, pd_sel, cpu, utcb_va, stack_ptr, event_base); flag GLOBAL */
    DJ_SYS_CREATE_SC = 4, /* (dst_sel, pd_sel, ec_sel, priority | quantum_us << 8): priority <= both PDs' max_prio */
    DJ_SYS_CREATE_PT = 5, /* (dst_sel, pd_sel, ec_sel, mtd, entry_ip) */
    DJ_SYS_CREATE_SM = 6, /* (dst_sel, pd_sel, initial_count) */
    DJ_SYS_REVOKE = 7,    /* (crd): memory/ports: take away the crd's rights from what derives from it; objects: remove copies; flag SELF includes the caller's own */
    DJ_SYS_DELEGATE = 8,  /* (dst_pd_sel, src_crd, dst_base) */
    DJ_SYS_PT_CTRL = 9,   /* (pt_sel, badge) */
    DJ_SYS_SM_CTRL = 10,  /* (sm_sel, op, timeout_us) op: 0 up, 1 down, 2 down without blocking, 3 down within timeout_us */
    DJ_SYS_EC_CTRL = 11,  /* (ec_sel, op) op: 0 recall, 1 kill */
    DJ_SYS_LOOKUP = 12,   /* (crd) -> status, crd of what is there; objects: type in RDX; memory: physical address | cache in RDX */
    DJ_SYS_DEBUG = 13,    /* (op, a, b): kernel debug console, needs the debug capability */
    DJ_SYS_IRQ_CTRL = 14, /* (irq_sel, op, sm_sel, flags) op: 0 bind, 1 acknowledge, 2 unbind */
    DJ_SYS_MEM_ALLOC = 15, /* (va, order, rights): fresh zeroed pages from the caller's quota */
    DJ_SYS_MMIO_MAP = 16, /* (devmem_sel, va, phys, order, rights | cache << 8): device memory at va */
    DJ_SYS_PD_CTRL = 17,  /* (pd_sel, op) op: DJ_PD_OP_QUOTA -> free pages, limit; DJ_PD_OP_KILL */
    DJ_SYS_DEV_CTRL = 18, /* (dev_sel, op, a, b): PCI functions' DMA, see "Devices and DMA" */
    DJ_SYS_COUNT
};

#define DJ_SYS_FLAG_GLOBAL (1u << 8) /* create_ec: an EC with its own SC (a thread) */
#define DJ_SYS_FLAG_SELF (1u << 8)   /* revoke: include the root capability itself */
#define DJ_SYS_FLAG_MAX_PRIO (1u << 8) /* create_pd: R10 is the new PD's maximum priority (else the creator's) */
#define DJ_SYS_FLAG_VM (1u << 9)       /* create_pd: a VM PD (guest-physical space, see "Virtual machines") */
#define DJ_SYS_FLAG_VCPU (1u << 9)     /* create_ec: a vCPU of a VM PD (with GLOBAL; utcb_va and stack_ptr 0) */

/* RAX of a system call: the number in bits 0..7, flags (DJ_SYS_FLAG_*) in
 * bits 8..15; bits 16..63 must be zero (else DJ_E_BAD_SYS). */
#define DJ_SYS_NUMBER_MASK 0xffu
#define DJ_SYS_FLAGS_SHIFT 8
#define DJ_SYS_FLAGS_MASK 0xffu
#define DJ_SYS_RAX_BITS 16

/* DJ_SYS_CREATE_SC's fourth argument: priority | quantum_us << DJ_SC_QUANTUM_SHIFT
 * (priority 0..DJ_PRIO_MAX; quantum 0: the default). */
#define DJ_SC_PRIO_MASK 0xffu
#define DJ_SC_QUANTUM_SHIFT 8

/* DJ_SYS_MMIO_MAP's fifth argument: rights | cache << DJ_MMIO_CACHE_SHIFT
 * (rights DJ_MEM_*, cache DJ_CACHE_*). */
#define DJ_MMIO_RIGHTS_MASK 0xffu
#define DJ_MMIO_CACHE_SHIFT 8

/* DJ_SYS_SM_CTRL operations: UP needs DJ_SM_UP, the others DJ_SM_DOWN. */
#define DJ_SM_OP_UP 0
#define DJ_SM_OP_DOWN 1
#define DJ_SM_OP_TRY_DOWN 2 /* DJ_E_TIMEOUT instead of blocking */
#define DJ_SM_OP_DOWN_TIMEOUT 3 /* RDX microseconds (relative) at most, then DJ_E_TIMEOUT; 0: as TRY_DOWN */

/* DJ_SYS_EC_CTRL operations (right DJ_EC_CTRL). */
#define DJ_EC_OP_RECALL 0
#define DJ_EC_OP_KILL 1

/* DJ_SYS_DEBUG operations (the debug capability at DJ_SEL_DEBUG). */
#define DJ_DEBUG_OP_PUTS 0      /* (ptr, len): print len bytes at ptr */
#define DJ_DEBUG_OP_TEST_DONE 1 /* (passed << 32 | failed, skipped): test mode only: print the run's summary, power off */
#define DJ_DEBUG_PUTS_MAX 256   /* the kernel copies at most this much per call */

enum dj_status {
    DJ_OK = 0,
    DJ_E_TIMEOUT = 1,   /* a non-blocking operation would block */
    DJ_E_ABORTED = 2,   /* the partner died or the operation was cancelled */
    DJ_E_OVERFLOW = 3,  /* message larger than the UTCB allows */
    DJ_E_BAD_SYS = 4,   /* unknown system call number */
    DJ_E_BAD_CAP = 5,   /* selector empty, wrong object type or missing right */
    DJ_E_BAD_PARAM = 6, /* an argument out of range */
    DJ_E_BAD_CPU = 7,   /* no such CPU */
    DJ_E_QUOTA = 8,     /* the kernel-memory quota is exhausted */
    DJ_E_BUSY = 9,      /* destination selector occupied */
    DJ_E_BAD_ADDR = 10, /* address not canonical, not user, or not aligned */
    DJ_E_RECV_WINDOW = 11, /* a typed item does not fit the receiver's receive window */
};
#define DJ_STATUS_COUNT 12 /* statuses are 0..DJ_STATUS_COUNT - 1 */

/* ---- Capability range descriptors (CRD) ----------------------------------
 * bits 0-1 kind, 2-6 rights, 7-11 order (2^order items), 12-63 base (a page
 * number, an I/O port or a selector). */
enum dj_crd_kind { DJ_CRD_NULL = 0, DJ_CRD_MEM = 1, DJ_CRD_IO = 2, DJ_CRD_OBJ = 3 };

#define DJ_CRD(kind, base, order, rights) \
    ((uint64_t)(kind) | ((uint64_t)(rights) & 0x1f) << 2 | ((uint64_t)(order) & 0x1f) << 7 | (uint64_t)(base) << 12)
#define DJ_CRD_KIND(c) ((c) & 3)
#define DJ_CRD_RIGHTS(c) (((c) >> 2) & 0x1f)
#define DJ_CRD_ORDER(c) (((c) >> 7) & 0x1f)
#define DJ_CRD_BASE(c) ((c) >> 12)
/* In a receive window, order 31 means the whole space of that kind. */
#define DJ_CRD_ORDER_ALL 31

/* Memory rights. */
#define DJ_MEM_R (1u << 0)
#define DJ_MEM_W (1u << 1)
#define DJ_MEM_X (1u << 2)
#define DJ_MEM_ALL (DJ_MEM_R | DJ_MEM_W | DJ_MEM_X)
/* DMA right: with VT-d on, the devices assigned to the holder's DMA space
 * may read the page (and write it, with DJ_MEM_W) at the holder's own
 * virtual address. Not part of DJ_MEM_ALL: it is given on purpose. */
#define DJ_MEM_DMA (1u << 3)
/* I/O port rights. */
#define DJ_IO_ACCESS (1u << 0)
/* Object rights; their meaning depends on the object type. */
#define DJ_PD_CREATE (1u << 0)   /* create objects charged to this PD's quota */
#define DJ_PD_DELEGATE (1u << 1) /* delegate into this PD */
#define DJ_PD_KILL (1u << 2)     /* destroy this PD (DJ_SYS_PD_CTRL) */
#define DJ_EC_CTRL (1u << 0)
#define DJ_EC_BIND (1u << 1)     /* bind an SC or a portal to this EC */
#define DJ_SC_CTRL (1u << 0)
#define DJ_PT_CALL (1u << 0)
#define DJ_PT_CTRL (1u << 1)
#define DJ_SM_UP (1u << 0)
#define DJ_SM_DOWN (1u << 1)
#define DJ_IRQ_CTRL (1u << 0)    /* bind, acknowledge, unbind an interrupt line or MSI */
#define DJ_DEVMEM_MAP (1u << 0)  /* map device memory (DJ_SYS_MMIO_MAP) */
#define DJ_DEV_ASSIGN (1u << 0)  /* device capability: narrow, assign, block (DJ_SYS_DEV_CTRL) */
#define DJ_OBJ_ALL 0x1f

/* Object types, as DJ_SYS_LOOKUP reports them in RDX. */
enum dj_obj_type { DJ_OBJ_NONE = 0, DJ_OBJ_PD, DJ_OBJ_EC, DJ_OBJ_SC, DJ_OBJ_PT, DJ_OBJ_SM, DJ_OBJ_DEBUG, DJ_OBJ_IRQ, DJ_OBJ_DEVMEM, DJ_OBJ_DEVICE };

/* ---- User thread control block (one 4 KiB page per EC) ------------------ */
#define DJ_UTCB_SIZE 4096
#define DJ_UTCB_WORDS 480

/* Message transfer descriptor for IPC: untyped word count in bits 0-9,
 * typed item count in bits 10-19. For exception portals, the MTD of the
 * portal selects which architectural state travels (DJ_MTD_* bits 32-63):
 * the vector always, the named state, and 0 in every other arch word.
 * A message holds at most DJ_MTD_MAX_UNTYPED words and DJ_MTD_MAX_TYPED
 * items (and words + 2 * items <= DJ_UTCB_WORDS). DJ_MTD with a count
 * above its maximum (or negative) yields DJ_MTD_BAD instead of wrapping
 * into the other field; the kernel refuses a message with DJ_MTD_BAD set
 * (DJ_E_OVERFLOW). DJ_MTD evaluates its arguments twice. */
#define DJ_MTD_MAX_UNTYPED DJ_UTCB_WORDS
#define DJ_MTD_MAX_TYPED (DJ_UTCB_WORDS / 2)
#define DJ_MTD_BAD (1ull << 20)
#define DJ_MTD(untyped, typed)                                                                      \
    ((uint64_t)(untyped) <= DJ_MTD_MAX_UNTYPED && (uint64_t)(typed) <= DJ_MTD_MAX_TYPED             \
         ? ((uint64_t)(untyped) | (uint64_t)(typed) << 10)                                          \
         : DJ_MTD_BAD)
#define DJ_MTD_COUNTS ((1ull << 20) - 1) /* both count fields (bits 0-19) */
#define DJ_MTD_UNTYPED(m) ((m) & 0x3ff)
#define DJ_MTD_TYPED(m) (((m) >> 10) & 0x3ff)
#define DJ_MTD_GPR (1ull << 32)    /* rax..r15 */
#define DJ_MTD_RIP_RSP (1ull << 33)
#define DJ_MTD_RFLAGS (1ull << 34)
#define DJ_MTD_QUAL (1ull << 35)   /* error code, fault address (the vector is always sent) */

struct dj_arch_state {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rsp, rflags;
    uint64_t vector, error_code, fault_addr;
};

/* A typed item: delegate the capability range `crd` of the sender; the
 * receiver's window and the hotspot decide where it lands. */
struct dj_typed_item {
    uint64_t crd;
    uint64_t hotspot;
};

struct dj_utcb {
    uint64_t mtd;         /* what the last message carried */
    uint64_t recv_window; /* CRD: where delegated capabilities may land */
    uint64_t badge;       /* the portal badge of the current call */
    uint64_t tls;         /* free for the user runtime */
    struct dj_arch_state arch; /* exception and fault state (see DJ_MTD_*) */
    /* untyped words from 0 up; the n typed items of a message are an array
     * ending with the words: item 0 at words[DJ_UTCB_WORDS - 2n], item
     * n - 1 in the last two words (lib/utcb.h dj_utcb_typed) */
    uint64_t words[DJ_UTCB_WORDS];
};

/* ---- Event portals: selector offsets from an EC's event base ------------ */
#define DJ_EV_EXCEPTION(vector) (vector) /* 0..31, #PF = 14 */
#define DJ_EV_STARTUP 30
#define DJ_EV_RECALL 31
#define DJ_EV_COUNT 32

/* ---- The root PD's initial capabilities (selectors) --------------------- */
#define DJ_SEL_SELF_PD 0
#define DJ_SEL_SELF_EC 1
#define DJ_SEL_SELF_SC 2
#define DJ_SEL_DEBUG 3
#define DJ_SEL_DEVMEM 4          /* device memory: physical ranges that are not RAM */
#define DJ_SEL_DEVICES 5         /* device capability: every PCI function of segment 0 */
#define DJ_SEL_FIRST_FREE 32
#define DJ_SEL_IRQ_BASE 0x1000  /* + GSI: the root's interrupt-line capabilities */
#define DJ_SEL_MSI_BASE 0x1100  /* + n (n < DJ_MSI_COUNT): the root's MSI capabilities */
#define DJ_MSI_COUNT 64

/* Cache attributes of memory (DJ_SYS_MMIO_MAP; DJ_SYS_LOOKUP reports them).
 * A delegated page keeps the attribute of the page it derives from. */
#define DJ_CACHE_WB 0 /* write-back: all RAM */
#define DJ_CACHE_UC 1 /* uncached: device registers */
#define DJ_CACHE_WC 2 /* write-combining: frame buffers */

/* DJ_SYS_PD_CTRL operations. QUOTA needs no right and returns the pages
 * the PD's quota has free in RSI and its limit in RDX; KILL destroys the
 * PD (right DJ_PD_KILL). */
#define DJ_PD_OP_QUOTA 0
#define DJ_PD_OP_KILL 1

/* DJ_SYS_IRQ_CTRL bind flags (the caller applies ACPI's ISA overrides). */
#define DJ_IRQ_LEVEL (1u << 0)
#define DJ_IRQ_ACTIVE_LOW (1u << 1)
#define DJ_IRQ_OP_BIND 0
#define DJ_IRQ_OP_ACK 1
#define DJ_IRQ_OP_UNBIND 2
/* Binding an MSI capability returns the message to program into the
 * device: RSI the MSI address, RDX the MSI data. */

/* ---- What the root PD finds at start --------------------------------------
 * RDI = its UTCB, RSI = its CPU; its UTCB words: [0] pool VA, [1] pool
 * pages (free memory mapped RWX for it to hand out), [2] the boot
 * information page (read-only, struct dj_bootinfo). Boot modules are
 * mapped read-only at the addresses the page lists. Its thread runs at
 * priority DJ_ROOT_PRIO. */
#define DJ_ROOT_PRIO 64
#define DJ_BOOTINFO_MAGIC 0x6f666e69746f6f62ull /* "bootinfo" */
#define DJ_BOOTINFO_MAX_MODULES 24
#define DJ_BOOTINFO_CMDLINE 256
#define DJ_MODULE_CMDLINE 112

struct dj_boot_module {
    uint64_t va;   /* where the module's bytes are mapped (page aligned) */
    uint64_t size; /* bytes */
    char cmdline[DJ_MODULE_CMDLINE]; /* GRUB's module2 arguments: name first */
};

struct dj_bootinfo {
    uint64_t magic;
    uint32_t module_count;
    uint32_t cpu_count;
    char cmdline[DJ_BOOTINFO_CMDLINE]; /* the kernel command line */
    struct dj_boot_module modules[DJ_BOOTINFO_MAX_MODULES];
    /* PCI Express configuration space (ACPI MCFG, segment 0): ECAM base
     * and bus range; base 0 when the firmware gave none. */
    uint64_t pci_ecam_base;
    uint32_t pci_ecam_bus_start, pci_ecam_bus_end;
    /* The TSC's rate the kernel calibrated (Hz; 0 when unknown): user code
     * measures time with rdtsc against it. */
    uint64_t tsc_hz;
    /* Hardware virtualization the kernel runs VM PDs on: DJ_VIRT_*. */
    uint32_t virt;
    uint32_t virt_reserved;
    /* Device addresses (DJ_SYS_DEV_CTRL): the bits of the DMA spaces when
     * VT-d translates (a driver programs its own virtual addresses below
     * 2^dma_bits), 0 when it does not (physical addresses; drivers are
     * trusted). */
    uint32_t dma_bits;
    /* 1: VT-d interrupt remapping is on: binding an MSI returns a
     * remappable-format address (bit 4 set; data 0), compatibility-format
     * interrupts are blocked, MSIs may target any APIC id. */
    uint32_t intr_remap;
};
#define DJ_VIRT_NONE 0
#define DJ_VIRT_VMX 1 /* Intel VT-x with EPT, VPID and unrestricted guest */
#define DJ_VIRT_SVM 2 /* AMD SVM with nested paging */
_Static_assert(sizeof(struct dj_bootinfo) <= 4096, "boot information must fit one page");

/* ---- Virtual machines -----------------------------------------------------
 * (docs/abi.md "Virtual machines" is the full description.)
 * A VM PD (DJ_SYS_CREATE_PD with DJ_SYS_FLAG_VM; DJ_E_BAD_PARAM when
 * bootinfo.virt is DJ_VIRT_NONE) has a guest-physical space (NPT on SVM,
 * EPT on VT-x) in place of a user address space: memory delegated into it
 * (DJ_SYS_DELEGATE, typed items) lands at guest-physical page dst_base
 * (below 2^47, like every user page) with the delegated rights (R
 * required; W, X) and the cache mode of the page it derives from;
 * revoking it removes it from the guest and flushes the guest TLBs on
 * every CPU before the revoke returns. I/O ports delegated into a VM PD
 * are open to its guest; every other port exits. Its capability space
 * holds the exit portals its vCPUs name. Its quota pays for its tables,
 * the guest's I/O permission map (3 pages) and its vCPUs.
 *
 * A vCPU (DJ_SYS_CREATE_EC with DJ_SYS_FLAG_GLOBAL | DJ_SYS_FLAG_VCPU on
 * a VM PD, utcb_va = stack_ptr = 0; the ECs of a VM PD are exactly its
 * vCPUs, else DJ_E_BAD_PARAM) runs the guest when an SC is bound to it
 * (DJ_SYS_CREATE_SC with the VM PD). Its first run and every VM exit the
 * kernel does not absorb itself (host interrupts, which only preempt) is
 * a call to the portal at event_base + DJ_VMEXIT_* in the VM PD's
 * capability space, whose handler must run on the vCPU's CPU. The
 * handler's UTCB words hold a struct dj_vcpu_state (words[0..]):
 * exit_reason always, every other field only if the portal's MTD names
 * its group (DJ_MTD_* below), else zero. The handler replies with an MTD
 * naming the groups the kernel writes back into the vCPU (the reply's
 * word and item counts must be 0, else the vCPU is killed). Each written
 * value is checked; a value the architecture or the kernel refuses makes
 * the next entries fail, each a DJ_VMEXIT_ENTRY_FAIL exit, until a reply
 * fixes it: never a host fault. A vCPU without a handler portal for an
 * exit is killed. DJ_SYS_EC_CTRL recall makes a vCPU exit with
 * DJ_VMEXIT_RECALL as soon as possible (an IPI when it runs on another
 * CPU).
 *
 * What the guest never sees: host MSRs (every MSR exits except the ones
 * the vCPU state holds and the hardware switches: FS/GS base, kernel GS
 * base, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*; EFER and PAT exit too, the
 * VMM keeps them with DJ_MTD_CR and DJ_MTD_PAT), host FPU/XSAVE state (a
 * vCPU has its own), host debug registers (MOV DR exits), the host TPR
 * (CR8 is virtual), XCR0 beyond what the host enables (XSETBV exits; the
 * VMM sets xcr0, checked). INVD, WBINVD, MONITOR, MWAIT, RDPMC, RDTSCP,
 * the virtualization instructions, task switches and INIT exit too. */
#define DJ_VMEXIT_EXCEPTION(vector) (vector) /* 0..31: intercepted exceptions (ctrl) */
#define DJ_VMEXIT_STARTUP DJ_EV_STARTUP /* 30: first run: the VMM sets the initial state */
#define DJ_VMEXIT_RECALL DJ_EV_RECALL   /* 31: DJ_EC_OP_RECALL, or an interrupt window opened (ctrl) */
#define DJ_VMEXIT_CPUID 32
#define DJ_VMEXIT_IO 33        /* qual[0]: DJ_VMIO_* ; qual[1]: next RIP */
#define DJ_VMEXIT_RDMSR 34     /* qual[0]: MSR index */
#define DJ_VMEXIT_WRMSR 35     /* qual[0]: MSR index, qual[1]: value (EDX:EAX) */
#define DJ_VMEXIT_CR 36        /* qual[0]: DJ_VMCR_* (intercepted CR access) */
#define DJ_VMEXIT_HLT 37
#define DJ_VMEXIT_MEM 38       /* qual[0]: guest-physical address, qual[1]: DJ_VMMEM_* */
#define DJ_VMEXIT_SHUTDOWN 39  /* triple fault: the guest is dead until the VMM resets its state */
#define DJ_VMEXIT_ENTRY_FAIL 40 /* qual[0]: the backend's native failure code (0: the kernel's checks), qual[1]: DJ_VMFAIL_* */
#define DJ_VMEXIT_HYPERCALL 41 /* VMCALL / VMMCALL */
#define DJ_VMEXIT_XSETBV 42    /* ECX: register, EDX:EAX: value */
#define DJ_VMEXIT_DR 43        /* MOV to or from a debug register; qual[0]: DJ_VMCR_* form, number = DR */
#define DJ_VMEXIT_OTHER 44     /* qual[0]: DJ_VMOTHER_*; qual[1]: the backend's native exit code */
#define DJ_VMEXIT_PAUSE 45
#define DJ_VMEXIT_INIT 46      /* the guest received INIT (only with SMP guests) */
#define DJ_VMEXIT_COUNT 48     /* a vCPU's event base spans this many selectors */

/* DJ_VMEXIT_IO qualification. */
#define DJ_VMIO_PORT(q) ((q) & 0xffff)
#define DJ_VMIO_SIZE(q) (((q) >> 16) & 7)   /* bytes: 1, 2 or 4 */
#define DJ_VMIO_IN (1ull << 19)
#define DJ_VMIO_STRING (1ull << 20)         /* INS/OUTS: RSI/RDI, RCX, DF in the state */
#define DJ_VMIO_REP (1ull << 21)
#define DJ_VMIO_ADDR_SIZE(q) (((q) >> 22) & 0xf) /* string: address size in bytes (2, 4, 8) */
#define DJ_VMIO_SEG(q) (((q) >> 26) & 7)    /* OUTS: source segment (0 ES .. 5 GS) */
/* DJ_VMEXIT_CR / DJ_VMEXIT_DR qualification. */
#define DJ_VMCR_NUMBER(q) ((q) & 0xf)
#define DJ_VMCR_WRITE (1ull << 4)
#define DJ_VMCR_GPR(q) (((q) >> 8) & 0xff)  /* 0..15, or DJ_VMCR_GPR_UNKNOWN: decode the instruction */
#define DJ_VMCR_GPR_UNKNOWN 0xff
/* DJ_VMEXIT_MEM qualification[1]. */
#define DJ_VMMEM_READ (1ull << 0)
#define DJ_VMMEM_WRITE (1ull << 1)
#define DJ_VMMEM_EXEC (1ull << 2)
#define DJ_VMMEM_PRESENT (1ull << 3) /* a page is there, the access broke its rights */
/* DJ_VMEXIT_ENTRY_FAIL qualification[1]. */
#define DJ_VMFAIL_STATE 1     /* the guest state is invalid */
#define DJ_VMFAIL_CONTROL 2   /* a VMM-written control value is invalid */
/* DJ_VMEXIT_OTHER qualification[0]. */
#define DJ_VMOTHER_INVD 1
#define DJ_VMOTHER_WBINVD 2
#define DJ_VMOTHER_MONITOR 3
#define DJ_VMOTHER_MWAIT 4
#define DJ_VMOTHER_RDPMC 5
#define DJ_VMOTHER_VIRT_INSN 6 /* VMRUN, VMLAUNCH, VMXON, ... */
#define DJ_VMOTHER_TASK_SWITCH 7
#define DJ_VMOTHER_UNKNOWN 15

/* MTD groups of a VM exit (bits 32.. as for exceptions; DJ_MTD_GPR
 * (all but RSP), DJ_MTD_RIP_RSP (rip, rsp, inst_len), DJ_MTD_RFLAGS and
 * DJ_MTD_QUAL (qual[], read only) keep their meaning). */
#define DJ_MTD_CR (1ull << 36)      /* cr0, cr2, cr3, cr4, efer, xcr0 */
#define DJ_MTD_SEG (1ull << 37)     /* es, cs, ss, ds, fs, gs */
#define DJ_MTD_SYS_SEG (1ull << 38) /* ldtr, tr, gdtr, idtr */
#define DJ_MTD_DR7 (1ull << 39)
#define DJ_MTD_SYSENTER (1ull << 40) /* sysenter_cs, _esp, _eip */
#define DJ_MTD_SYSCALL (1ull << 41)  /* star, lstar, cstar, sfmask, kernel_gs_base */
#define DJ_MTD_PAT (1ull << 42)
#define DJ_MTD_INJ (1ull << 43)     /* inj_info, inj_error (write: the event to inject; read: one injected but not delivered yet, else the event the exit interrupted) */
#define DJ_MTD_STA (1ull << 44)     /* intr_state, actv_state */
#define DJ_MTD_TSC (1ull << 45)     /* tsc_offset (read, write), tsc (the guest's TSC at exit, read only) */
#define DJ_MTD_CTRL (1ull << 46)    /* ctrl */
#define DJ_MTD_VM_ALL (DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_RFLAGS | DJ_MTD_QUAL | DJ_MTD_CR | DJ_MTD_SEG | \
                       DJ_MTD_SYS_SEG | DJ_MTD_DR7 | DJ_MTD_SYSENTER | DJ_MTD_SYSCALL | DJ_MTD_PAT | DJ_MTD_INJ | \
                       DJ_MTD_STA | DJ_MTD_TSC | DJ_MTD_CTRL)

/* A segment: ar in the compact 12-bit form (bits 0-7: type, S, DPL, P;
 * bits 8-11: AVL, L, D/B, G), 0 for an unusable segment. */
struct dj_vm_seg {
    uint16_t sel, ar;
    uint32_t limit;
    uint64_t base;
};

/* inj_info (the VT-x interruption-information format on both backends). */
#define DJ_INJ_VECTOR(i) ((i) & 0xff)
#define DJ_INJ_TYPE_SHIFT 8
#define DJ_INJ_EXTINT (0ull << 8)
#define DJ_INJ_NMI (2ull << 8)
#define DJ_INJ_HW_EXC (3ull << 8)
#define DJ_INJ_SW_INT (4ull << 8)
#define DJ_INJ_ERROR_CODE (1ull << 11) /* inj_error is pushed */
#define DJ_INJ_VALID (1ull << 31)
/* intr_state. */
#define DJ_INTR_STI_SHADOW (1ull << 0) /* blocking by STI or MOV SS: no interrupt for one instruction */
#define DJ_INTR_MOVSS_SHADOW (1ull << 1)
#define DJ_INTR_NMI_BLOCKED (1ull << 3)
/* actv_state. */
#define DJ_ACTV_ACTIVE 0
#define DJ_ACTV_HLT 1
/* ctrl: optional exits the VMM turns on (written with DJ_MTD_CTRL, kept
 * until changed). */
#define DJ_CTRL_INTR_WINDOW (1ull << 0) /* exit (DJ_VMEXIT_RECALL) once the guest can take an interrupt; cleared by that exit */
#define DJ_CTRL_CR_WRITE (1ull << 1)    /* exit on writes to CR0, CR3, CR4 */
#define DJ_CTRL_HLT_PASS (1ull << 2)    /* reserved: HLT always exits */
#define DJ_CTRL_EXC_SHIFT 32            /* bits 32..63: exception vectors that exit (DJ_VMEXIT_EXCEPTION) */

struct dj_vcpu_state {
    uint64_t exit_reason;             /* DJ_VMEXIT_*: always */
    uint64_t gpr[16];                 /* DJ_MTD_GPR, in encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15); gpr[4] is RSP (DJ_MTD_RIP_RSP) */
    uint64_t rip, inst_len;           /* DJ_MTD_RIP_RSP; inst_len: length of the exiting instruction, 0 when unknown (SVM without NRIPS) */
    uint64_t rflags;                  /* DJ_MTD_RFLAGS */
    uint64_t qual[2];                 /* DJ_MTD_QUAL */
    uint64_t cr0, cr2, cr3, cr4, efer, xcr0; /* DJ_MTD_CR */
    struct dj_vm_seg es, cs, ss, ds, fs, gs; /* DJ_MTD_SEG */
    struct dj_vm_seg ldtr, tr, gdtr, idtr;   /* DJ_MTD_SYS_SEG (gdtr, idtr: base and limit only) */
    uint64_t dr7;                     /* DJ_MTD_DR7 */
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip; /* DJ_MTD_SYSENTER */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base; /* DJ_MTD_SYSCALL */
    uint64_t pat;                     /* DJ_MTD_PAT */
    uint64_t inj_info, inj_error;     /* DJ_MTD_INJ */
    uint64_t intr_state, actv_state;  /* DJ_MTD_STA */
    uint64_t tsc_offset, tsc;         /* DJ_MTD_TSC */
    uint64_t ctrl;                    /* DJ_MTD_CTRL */
};
#define DJ_GPR_RSP 4
_Static_assert(sizeof(struct dj_vcpu_state) <= DJ_UTCB_WORDS * 8, "vCPU state must fit the UTCB words");

/* ---- Devices and DMA ------------------------------------------------------
 * A device capability (DJ_OBJ_DEVICE) names PCI functions of segment 0 by
 * requester id (DJ_DEV_RID); the root PD starts with one for all of them
 * at DJ_SEL_DEVICES. Every PD has a DMA space: the pages it holds with
 * DJ_MEM_DMA, at their virtual addresses below 2^dma_bits (bootinfo).
 * With VT-d on, a function reaches memory only through the DMA space of
 * the PD it is assigned to; unassigned functions reach nothing. Revoking
 * a page (or the PD's end) removes it from the DMA space and flushes the
 * IOTLB before the revoke returns and before the frame can be reused.
 * DJ_SYS_DEV_CTRL (dev_sel, op, a, b), right DJ_DEV_ASSIGN on dev_sel:
 *   DJ_DEV_OP_NARROW (a = dst_sel, b = rid): a new capability to that one
 *     function at dst_sel, charged to the caller's quota (rid outside the
 *     capability: DJ_E_BAD_PARAM; dst_sel occupied: DJ_E_BUSY).
 *   DJ_DEV_OP_ASSIGN (a = pd_sel, right DJ_PD_CREATE; b = a semaphore,
 *     right DJ_SM_UP, upped after the function's DMA faults, or 0 for
 *     none): the capability's function (one only, else DJ_E_BAD_PARAM)
 *     uses that PD's DMA space from now on, leaving any earlier one.
 *     DJ_E_BAD_PARAM without VT-d.
 *   DJ_DEV_OP_BLOCK: the capability's function reaches no memory.
 *   DJ_DEV_OP_FAULTS: RSI the function's recorded DMA faults since it
 *     was last assigned (a lower bound during a fault storm: docs/abi.md),
 *     RDX the device address of the latest | 1 if a write. */
#define DJ_DEV_OP_NARROW 0
#define DJ_DEV_OP_ASSIGN 1
#define DJ_DEV_OP_BLOCK 2
#define DJ_DEV_OP_FAULTS 3
#define DJ_DEV_RID(bus, dev, fn) ((uint64_t)(bus) << 8 | (uint64_t)(dev) << 3 | (uint64_t)(fn))

/* Priorities: higher runs first. Every PD has a maximum priority (the
 * root PD DJ_PRIO_MAX): no SC of it, and none it creates, runs above it. */
#define DJ_PRIO_MAX 127
_Static_assert(sizeof(struct dj_utcb) <= DJ_UTCB_SIZE, "UTCB must fit one page");
