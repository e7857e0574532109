/* SPDX-License-Identifier: BSD-2-Clause */
/* Typed wrappers for the system calls that are not on the IPC hot path. */
#include "lib/syscall.h"
#include "string.h"

static enum dj_status sys(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                          uint64_t a5)
{
    return (enum dj_status)dj_syscall(op, a0, a1, a2, a3, a4, a5).status;
}

enum dj_status dj_create_pd(uint64_t dst_sel, uint64_t quota_pd_sel, uint64_t quota_pages)
{
    return sys(DJ_SYS_CREATE_PD, dst_sel, quota_pd_sel, quota_pages, 0, 0, 0);
}

enum dj_status dj_create_pd_prio(uint64_t dst_sel, uint64_t quota_pd_sel, uint64_t quota_pages, unsigned max_prio)
{
    return sys(DJ_SYS_CREATE_PD | DJ_SYS_FLAG_MAX_PRIO, dst_sel, quota_pd_sel, quota_pages, max_prio, 0, 0);
}

enum dj_status dj_create_ec(uint64_t dst_sel, uint64_t pd_sel, uint64_t cpu, uint64_t utcb_va,
                            uint64_t stack_ptr, uint64_t event_base, bool global)
{
    uint64_t op = DJ_SYS_CREATE_EC | (global ? DJ_SYS_FLAG_GLOBAL : 0);
    return sys(op, dst_sel, pd_sel, cpu, utcb_va, stack_ptr, event_base);
}

enum dj_status dj_create_vm_pd(uint64_t dst_sel, uint64_t quota_pd_sel, uint64_t quota_pages)
{
    return sys(DJ_SYS_CREATE_PD | DJ_SYS_FLAG_VM, dst_sel, quota_pd_sel, quota_pages, 0, 0, 0);
}

enum dj_status dj_create_vcpu(uint64_t dst_sel, uint64_t vm_pd_sel, uint64_t cpu, uint64_t event_base)
{
    return sys(DJ_SYS_CREATE_EC | DJ_SYS_FLAG_GLOBAL | DJ_SYS_FLAG_VCPU, dst_sel, vm_pd_sel, cpu, 0, 0, event_base);
}

enum dj_status dj_create_sc(uint64_t dst_sel, uint64_t pd_sel, uint64_t ec_sel, unsigned priority,
                            uint64_t quantum_us)
{
    if (priority > DJ_PRIO_MAX)
        return DJ_E_BAD_PARAM;
    return sys(DJ_SYS_CREATE_SC, dst_sel, pd_sel, ec_sel, priority | quantum_us << DJ_SC_QUANTUM_SHIFT, 0, 0);
}

enum dj_status dj_create_pt(uint64_t dst_sel, uint64_t pd_sel, uint64_t ec_sel, uint64_t mtd, uint64_t entry_ip)
{
    return sys(DJ_SYS_CREATE_PT, dst_sel, pd_sel, ec_sel, mtd, entry_ip, 0);
}

enum dj_status dj_create_sm(uint64_t dst_sel, uint64_t pd_sel, uint64_t initial_count)
{
    return sys(DJ_SYS_CREATE_SM, dst_sel, pd_sel, initial_count, 0, 0, 0);
}

enum dj_status dj_revoke(uint64_t crd, bool self)
{
    return sys(DJ_SYS_REVOKE | (self ? DJ_SYS_FLAG_SELF : 0), crd, 0, 0, 0, 0, 0);
}

enum dj_status dj_delegate(uint64_t dst_pd_sel, uint64_t src_crd, uint64_t dst_base)
{
    return sys(DJ_SYS_DELEGATE, dst_pd_sel, src_crd, dst_base, 0, 0, 0);
}

enum dj_status dj_pt_ctrl(uint64_t pt_sel, uint64_t badge)
{
    return sys(DJ_SYS_PT_CTRL, pt_sel, badge, 0, 0, 0, 0);
}

enum dj_status dj_sm_ctrl(uint64_t sm_sel, unsigned op)
{
    return sys(DJ_SYS_SM_CTRL, sm_sel, op, 0, 0, 0, 0);
}

enum dj_status dj_sm_down_timeout(uint64_t sm_sel, uint64_t timeout_us)
{
    return sys(DJ_SYS_SM_CTRL, sm_sel, DJ_SM_OP_DOWN_TIMEOUT, timeout_us, 0, 0, 0);
}

enum dj_status dj_ec_recall(uint64_t ec_sel)
{
    return sys(DJ_SYS_EC_CTRL, ec_sel, DJ_EC_OP_RECALL, 0, 0, 0, 0);
}

enum dj_status dj_ec_kill(uint64_t ec_sel)
{
    return sys(DJ_SYS_EC_CTRL, ec_sel, DJ_EC_OP_KILL, 0, 0, 0, 0);
}

enum dj_status dj_mem_alloc(uint64_t va, unsigned order, unsigned rights)
{
    return sys(DJ_SYS_MEM_ALLOC, va, order, rights, 0, 0, 0);
}

enum dj_status dj_lookup(uint64_t crd, uint64_t *crd_out, enum dj_obj_type *type_out)
{
    struct dj_sysret r = dj_syscall(DJ_SYS_LOOKUP, crd, 0, 0, 0, 0, 0);
    if (crd_out)
        *crd_out = r.out1;
    if (type_out)
        *type_out = (enum dj_obj_type)r.out2;
    return (enum dj_status)r.status;
}

enum dj_status dj_debug(uint64_t op, uint64_t a, uint64_t b)
{
    return sys(DJ_SYS_DEBUG, op, a, b, 0, 0, 0);
}

/* The bytes of the next piece: at most DJ_DEBUG_PUTS_MAX, ending after a
 * newline when there is one in reach. The kernel prints each piece whole
 * under its console lock, so a line that fits one piece is never cut by
 * another CPU's or program's output. */
static size_t debug_piece(const char *s, size_t len)
{
    if (len <= DJ_DEBUG_PUTS_MAX)
        return len;
    for (size_t n = DJ_DEBUG_PUTS_MAX; n > 0; n--)
        if (s[n - 1] == '\n')
            return n;
    return DJ_DEBUG_PUTS_MAX;
}

enum dj_status dj_debug_write(const char *s, size_t len)
{
    while (len) {
        size_t n = debug_piece(s, len);
        enum dj_status st = dj_debug(DJ_DEBUG_OP_PUTS, (uint64_t)(uintptr_t)s, n);
        if (st != DJ_OK)
            return st;
        s += n;
        len -= n;
    }
    return DJ_OK;
}

enum dj_status dj_debug_puts(const char *s)
{
    return dj_debug_write(s, strlen(s));
}

enum dj_status dj_mmio_map(uint64_t devmem_sel, uint64_t va, uint64_t phys, unsigned order, unsigned rights,
                           unsigned cache)
{
    return sys(DJ_SYS_MMIO_MAP, devmem_sel, va, phys, order, rights | (uint64_t)cache << DJ_MMIO_CACHE_SHIFT, 0);
}

enum dj_status dj_mem_phys(uint64_t va, uint64_t *phys, unsigned *cache)
{
    uint64_t page = va >> 12;
    struct dj_sysret r = dj_syscall(DJ_SYS_LOOKUP, DJ_CRD(DJ_CRD_MEM, page, 0, 0), 0, 0, 0, 0, 0);
    if (r.status == DJ_OK && !r.out1)
        return DJ_E_BAD_ADDR;
    if (phys)
        *phys = (r.out2 & ~0xfffull) | (va & 0xfff);
    if (cache)
        *cache = (unsigned)(r.out2 & 3);
    return (enum dj_status)r.status;
}

enum dj_status dj_irq_ctrl(uint64_t irq_sel, unsigned op, uint64_t sm_sel, uint64_t flags)
{
    return sys(DJ_SYS_IRQ_CTRL, irq_sel, op, sm_sel, flags, 0, 0);
}

enum dj_status dj_msi_bind(uint64_t msi_sel, uint64_t sm_sel, uint64_t *addr, uint64_t *data)
{
    struct dj_sysret r = dj_syscall(DJ_SYS_IRQ_CTRL, msi_sel, DJ_IRQ_OP_BIND, sm_sel, 0, 0, 0);
    if (addr)
        *addr = r.out1;
    if (data)
        *data = r.out2;
    return (enum dj_status)r.status;
}

enum dj_status dj_pd_quota(uint64_t pd_sel, uint64_t *free_pages, uint64_t *limit_pages)
{
    struct dj_sysret r = dj_syscall(DJ_SYS_PD_CTRL, pd_sel, DJ_PD_OP_QUOTA, 0, 0, 0, 0);
    if (free_pages)
        *free_pages = r.out1;
    if (limit_pages)
        *limit_pages = r.out2;
    return (enum dj_status)r.status;
}

enum dj_status dj_pd_kill(uint64_t pd_sel)
{
    return sys(DJ_SYS_PD_CTRL, pd_sel, DJ_PD_OP_KILL, 0, 0, 0, 0);
}
