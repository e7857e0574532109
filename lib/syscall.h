/* SPDX-License-Identifier: BSD-2-Clause */
/* System call stubs for every DJ_SYS_* of include/donjon/abi.h.
 *
 * Register convention (abi.h): RAX = op | flags << 8, arguments in RDI,
 * RSI, RDX, R10, R8, R9; RAX returns the status, RSI and RDX further
 * results; RCX and R11 are clobbered by the instruction itself. The stub
 * also treats every argument register as clobbered, so a kernel fast path
 * may leave anything in them. The "memory" clobber is there because the
 * kernel reads and writes the UTCB and buffers behind our back.
 *
 * The IPC calls are inline (they are the hot path); the rest are in
 * syscall.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

/* Status (RAX) and the two extra results (RSI, RDX) of a system call. */
struct dj_sysret {
    uint64_t status, out1, out2;
};

static inline struct dj_sysret dj_syscall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                          uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    register uint64_t r9 __asm__("r9") = a5;
    uint64_t rax = op, rdi = a0, rsi = a1, rdx = a2;
    __asm__ volatile("syscall"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    return (struct dj_sysret){rax, rsi, rdx};
}

/* Whether mtd is a message the UTCB can hold: no count out of range
 * (DJ_MTD_BAD) and words + 2 * items <= DJ_UTCB_WORDS. */
static inline bool dj_mtd_fits(uint64_t mtd)
{
    return !(mtd & DJ_MTD_BAD) && DJ_MTD_UNTYPED(mtd) + 2 * DJ_MTD_TYPED(mtd) <= DJ_UTCB_WORDS;
}

/* Calls portal pt with the message in the UTCB described by mtd.
 *   DJ_OK             the reply is in the UTCB, *mtd_out describes it;
 *   DJ_E_RECV_WINDOW  the reply's words are in the UTCB but its typed
 *                     items did not fit the receive window and none was
 *                     delivered: *mtd_out says the words and 0 items;
 *   anything else     no reply arrived: the UTCB words are as the caller
 *                     left them and *mtd_out is 0 (docs/writing-a-server.md
 *                     lists the statuses). A message that does not fit
 *                     (dj_mtd_fits) is refused by the kernel with
 *                     DJ_E_OVERFLOW. */
static inline enum dj_status dj_call(uint64_t pt, uint64_t mtd, uint64_t *mtd_out)
{
    /* The kernel checks mtd (and refuses what does not fit before it
     * touches anything): a check here too would cost every call. */
    struct dj_sysret r = dj_syscall(DJ_SYS_CALL, pt, mtd, 0, 0, 0, 0);
    if (mtd_out)
        *mtd_out = r.status == DJ_OK || r.status == DJ_E_RECV_WINDOW ? r.out1 : 0;
    return (enum dj_status)r.status;
}

/* Replies to the current caller with the message described by mtd and
 * waits for the next call; it returns only when the kernel refuses. */
static inline enum dj_status dj_reply(uint64_t mtd)
{
    return (enum dj_status)dj_syscall(DJ_SYS_REPLY, mtd, 0, 0, 0, 0, 0).status;
}

/* The new PD's maximum priority is the caller's PD's own. */
enum dj_status dj_create_pd(uint64_t dst_sel, uint64_t quota_pd_sel, uint64_t quota_pages);
/* The same with a maximum priority of max_prio: no SC of the new PD, nor
 * any it creates, may have a higher priority. DJ_E_BAD_PARAM above the
 * caller's own maximum. */
enum dj_status dj_create_pd_prio(uint64_t dst_sel, uint64_t quota_pd_sel, uint64_t quota_pages, unsigned max_prio);
/* global: a thread with its own SC later (DJ_SYS_FLAG_GLOBAL); otherwise a
 * local EC that only runs as a portal handler. */
enum dj_status dj_create_ec(uint64_t dst_sel, uint64_t pd_sel, uint64_t cpu, uint64_t utcb_va,
                            uint64_t stack_ptr, uint64_t event_base, bool global);
/* A VM PD (DJ_SYS_FLAG_VM: guest-physical memory space, exit portals in
 * its capability space): DJ_E_BAD_PARAM without hardware virtualization. */
enum dj_status dj_create_vm_pd(uint64_t dst_sel, uint64_t quota_pd_sel, uint64_t quota_pages);
/* A vCPU of the VM PD vm_pd_sel on cpu, its exit portals at event_base +
 * DJ_VMEXIT_* in the VM PD; it runs once an SC is bound to it. */
enum dj_status dj_create_vcpu(uint64_t dst_sel, uint64_t vm_pd_sel, uint64_t cpu, uint64_t event_base);
/* priority 0..DJ_PRIO_MAX; anything larger is refused here (DJ_E_BAD_PARAM)
 * because it would spill into the quantum field. The kernel refuses
 * (DJ_E_BAD_PARAM) a priority above the maximum of pd_sel's PD or of the
 * caller's PD. */
enum dj_status dj_create_sc(uint64_t dst_sel, uint64_t pd_sel, uint64_t ec_sel, unsigned priority,
                            uint64_t quantum_us);
enum dj_status dj_create_pt(uint64_t dst_sel, uint64_t pd_sel, uint64_t ec_sel, uint64_t mtd, uint64_t entry_ip);
enum dj_status dj_create_sm(uint64_t dst_sel, uint64_t pd_sel, uint64_t initial_count);
/* self: also remove the capability named by crd, not only what derives from it. */
enum dj_status dj_revoke(uint64_t crd, bool self);
enum dj_status dj_delegate(uint64_t dst_pd_sel, uint64_t src_crd, uint64_t dst_base);
enum dj_status dj_pt_ctrl(uint64_t pt_sel, uint64_t badge);
enum dj_status dj_sm_ctrl(uint64_t sm_sel, unsigned op);
enum dj_status dj_ec_recall(uint64_t ec_sel);
enum dj_status dj_ec_kill(uint64_t ec_sel);
/* 2^order fresh zeroed pages at va, paid from this PD's quota. */
enum dj_status dj_mem_alloc(uint64_t va, unsigned order, unsigned rights);
/* *crd_out gets the CRD of what is at crd, *type_out its object type
 * (either pointer may be NULL). */
enum dj_status dj_lookup(uint64_t crd, uint64_t *crd_out, enum dj_obj_type *type_out);
enum dj_status dj_debug(uint64_t op, uint64_t a, uint64_t b);
/* Device memory: 2^order pages of physical memory at phys (not RAM) mapped
 * at va with rights (DJ_MEM_R, DJ_MEM_W) and cache (DJ_CACHE_*); needs the
 * device-memory capability devmem_sel. */
enum dj_status dj_mmio_map(uint64_t devmem_sel, uint64_t va, uint64_t phys, unsigned order, unsigned rights,
                           unsigned cache);
/* The physical address of the page mapped at va in this PD (for DMA) and
 * its cache attribute; DJ_E_BAD_ADDR when nothing is mapped there. */
enum dj_status dj_mem_phys(uint64_t va, uint64_t *phys, unsigned *cache);
/* Free and limit pages of pd's quota (DJ_SYS_PD_CTRL, DJ_PD_OP_QUOTA). */
enum dj_status dj_pd_quota(uint64_t pd_sel, uint64_t *free_pages, uint64_t *limit_pages);
/* Destroys the PD (DJ_PD_OP_KILL, needs DJ_PD_KILL): docs/abi.md. */
enum dj_status dj_pd_kill(uint64_t pd_sel);
/* DJ_SYS_IRQ_CTRL on an interrupt line or MSI (op DJ_IRQ_OP_*). */
enum dj_status dj_irq_ctrl(uint64_t irq_sel, unsigned op, uint64_t sm_sel, uint64_t flags);
/* Binds the MSI capability msi_sel to semaphore sm_sel on the calling
 * EC's CPU; *addr and *data get the message to program into the device. */
enum dj_status dj_msi_bind(uint64_t msi_sel, uint64_t sm_sel, uint64_t *addr, uint64_t *data);

/* Writes len bytes (in DJ_DEBUG_PUTS_MAX pieces) to the kernel debug
 * console; dj_debug_puts writes a C string unchanged (no newline added). */
enum dj_status dj_debug_write(const char *s, size_t len);
enum dj_status dj_debug_puts(const char *s);

static inline enum dj_status dj_sm_up(uint64_t sm_sel)
{
    return dj_sm_ctrl(sm_sel, DJ_SM_OP_UP);
}

static inline enum dj_status dj_sm_down(uint64_t sm_sel)
{
    return dj_sm_ctrl(sm_sel, DJ_SM_OP_DOWN);
}

static inline enum dj_status dj_sm_try_down(uint64_t sm_sel)
{
    return dj_sm_ctrl(sm_sel, DJ_SM_OP_TRY_DOWN);
}

/* Down, waiting at most timeout_us microseconds (never returns earlier;
 * timer-tick granularity, see docs/abi.md): DJ_OK, or DJ_E_TIMEOUT when
 * the time passed first (at once for 0), DJ_E_ABORTED when the semaphore
 * went away meanwhile. */
enum dj_status dj_sm_down_timeout(uint64_t sm_sel, uint64_t timeout_us);
