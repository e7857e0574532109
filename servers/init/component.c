/* SPDX-License-Identifier: GPL-2.0-only */
/* Building one component from its configuration line, with exactly the
 * rights the line grants:
 *   - a PD with the line's kernel-memory quota, the ELF image of its boot
 *     module, a stack, the heap pages it asked for (mapped before start),
 *     a read-only start page (lib/startinfo.h);
 *   - capabilities: its own PD (create, delegate into itself), its event portals (on
 *     every online CPU: relay.c) and its parent portal (served by init), a portal to each service of pt=
 *     (badged with its id), the debug capability if debug=yes, the
 *     device-memory capability if devmem=yes, its irq= lines and msi=
 *     MSI capabilities;
 *   - the I/O port ranges of io= (when the kernel delegates ports);
 *   - one EC and an SC with the line's priority; its startup event comes
 *     to init, which sets the entry point and stack.
 * Every selector init makes for it is recorded in struct comp and the
 * memory comes from one stretch of init's staging area, so a teardown
 * (restart.c) takes back exactly this instance. Capabilities init holds
 * for several components (debug, device memory, interrupts) reach a
 * component through a copy of its own, so revoking the copy takes them
 * from this component only. */
#include "lib/component.h"
#include "lib/elfload.h"
#include "lib/proto.h"
#include "lib/server.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define PAGE 4096ull
#define QUANTUM_US 10000
#define VEC_DE 0
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14

static const struct dj_bootinfo *bootinfo_of(void)
{
    const struct dj_start_info *si = (const struct dj_start_info *)(uintptr_t)DJ_START_INFO_VA;
    return (const struct dj_bootinfo *)(uintptr_t)si->bootinfo_va;
}

static void *loader_pages(void *ctx, uint64_t n)
{
    (void)ctx;
    return init_code_pages(n);
}

static bool report(const struct comp *c, const char *what, enum dj_status st)
{
    printf("init: %s not started: %s (status %d)\n", c->cfg->name, what, st);
    return false;
}

/* Fresh pages at child_va in the component. */
static bool give_memory(struct comp *c, uint64_t child_va, uint64_t n, const char *what)
{
    void *mem = init_pages(n);
    enum dj_status st = mem ? dj_map_into(c->pd, mem, child_va, n, DJ_MEM_R | DJ_MEM_W) : DJ_E_QUOTA;
    return st == DJ_OK || report(c, what, st);
}

static bool load_image(struct comp *c)
{
    const struct dj_boot_module *m = dj_boot_module(bootinfo_of(), c->cfg->bin);
    if (!m)
        return report(c, "its boot module vanished", DJ_E_BAD_PARAM);
    struct dj_loader l = {.pd_sel = c->pd, .pages = loader_pages};
    const char *why = "";
    enum dj_status st = dj_elf_load(&l, (const void *)(uintptr_t)m->va, m->size, &c->entry, &why);
    if (st != DJ_OK)
        printf("init: %s: module '%s': %s\n", c->cfg->name, c->cfg->bin, why);
    return st == DJ_OK || report(c, "loading its image failed", st);
}

/* One guest image, read-only at *va in the VMM (docs/vmm.md). */
static bool vm_module(struct comp *c, const char *name, struct dj_start_module *out, uint64_t *va)
{
    if (!name[0])
        return true;
    const struct dj_boot_module *m = dj_boot_module(bootinfo_of(), name);
    if (!m)
        return report(c, "a boot module of its line (kernel=, initrd=, cmdline=, data=) vanished", DJ_E_BAD_PARAM);
    uint64_t pages = (m->size + PAGE - 1) / PAGE;
    enum dj_status st = dj_map_into(c->pd, (const void *)(uintptr_t)m->va, *va, pages, DJ_MEM_R);
    if (st != DJ_OK)
        return report(c, "mapping a boot module of its line read-only failed", st);
    out->va = *va;
    out->size = m->size;
    const char *args = m->cmdline;
    while (*args && *args != ' ')
        args++;
    while (*args == ' ')
        args++;
    size_t n = strlen(args);
    if (n >= sizeof(out->args))
        n = sizeof(out->args) - 1;
    memcpy(out->args, args, n);
    out->args[n] = '\0';
    *va += (pages + 1) * PAGE; /* a guard page between images */
    return true;
}

static bool vm_modules(struct comp *c)
{
    const struct bc_vm *vm = &c->cfg->vm;
    if (!vm->is_vm)
        return true;
    uint64_t va = DJ_CHILD_VM_MODULE_VA;
    c->si->vm_mem_mib = vm->mem_mib;
    c->si->vm_vcpus = vm->vcpus;
    c->si->vm_tsc_hz = bootinfo_of()->tsc_hz;
    c->si->vm_host_cpus = bootinfo_of()->cpu_count;
    c->si->vm_virt = bootinfo_of()->virt;
    c->si->vm_prio = c->cfg->prio;
    c->si->vm_maxprio = c->cfg->maxprio;
    return vm_module(c, vm->kernel, &c->si->vm_kernel, &va) && vm_module(c, vm->initrd, &c->si->vm_initrd, &va) &&
           vm_module(c, vm->cmdline, &c->si->vm_cmdline, &va);
}

/* The line's data= module, read-only for the component (its own
 * configuration text: the ESP wrapper's SAs, for instance). */
static bool data_module(struct comp *c)
{
    uint64_t va = DJ_CHILD_DATA_VA;
    if (c->cfg->data[0])
        c->si->vm_tsc_hz = bootinfo_of()->tsc_hz; /* its timers, like a VM's */
    return vm_module(c, c->cfg->data, &c->si->data, &va);
}

static bool start_page(struct comp *c)
{
    c->si = init_pages(1);
    if (!c->si)
        return report(c, "no memory for its start page", DJ_E_QUOTA);
    c->si->magic = DJ_START_MAGIC;
    memcpy(c->si->name, c->cfg->name, strlen(c->cfg->name) + 1);
    c->si->id = c->id;
    c->si->heap_va = c->cfg->heap ? DJ_CHILD_HEAP_VA : 0;
    c->si->heap_pages = c->cfg->heap;
    c->si->generation = c->generation;
    c->si->dma_bits = bootinfo_of() ? bootinfo_of()->dma_bits : 0;
    memcpy(c->si->arg, c->cfg->arg, strlen(c->cfg->arg) + 1);
    enum dj_status st = dj_map_into(c->pd, c->si, DJ_START_INFO_VA, 1, DJ_MEM_R);
    return st == DJ_OK || report(c, "mapping its start page failed", st);
}

/* A new portal at init's selector sel to handler EC ec (init's, or a
 * service's), with the badge given (c's id, for event portals also the
 * vector), charged to the quota of quota_pd, given to c at dst with the
 * call right only. portal_to: charged to c's quota. */
static enum dj_status portal_charged(uint64_t quota_pd, struct comp *c, uint64_t sel, uint64_t ec, uint64_t mtd,
                                     uint64_t entry, uint64_t badge, uint64_t dst)
{
    enum dj_status st = dj_create_pt(sel, quota_pd, ec, mtd, entry);
    if (st == DJ_OK)
        st = dj_pt_ctrl(sel, badge);
    if (st == DJ_OK)
        st = dj_delegate(c->pd, DJ_CRD(DJ_CRD_OBJ, sel, 0, DJ_PT_CALL), dst);
    return st;
}

static enum dj_status portal_to(struct comp *c, uint64_t sel, uint64_t ec, uint64_t mtd, uint64_t entry,
                                uint64_t badge, uint64_t dst)
{
    return portal_charged(c->pd, c, sel, ec, mtd, entry, badge, dst);
}

static bool named_cap(struct comp *c, const char *name, uint64_t sel)
{
    struct dj_start_cap *cap = &c->si->caps[c->si->ncaps++];
    memcpy(cap->name, name, strlen(name) + 1);
    cap->sel = sel;
    return true;
}

/* A copy of init's capability src made for c alone, given to c at dst. */
static enum dj_status grant_copy(struct comp *c, uint64_t src, unsigned rights, uint64_t dst)
{
    uint64_t mine = comp_sel(c);
    enum dj_status st = dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, src, 0, rights), mine);
    if (st == DJ_OK)
        st = dj_delegate(c->pd, DJ_CRD(DJ_CRD_OBJ, mine, 0, rights), dst);
    return st;
}

/* Whether init holds a capability of this type at sel (delegating an
 * empty selector succeeds without giving anything, so look first). */
static bool holds(uint64_t sel, enum dj_obj_type want)
{
    enum dj_obj_type type = DJ_OBJ_NONE;
    return dj_lookup(DJ_CRD(DJ_CRD_OBJ, sel, 0, 0), 0, &type) == DJ_OK && type == want;
}

/* The same event portals on each other online CPU, to its relay EC
 * (relay.c), at dj_child_event_base(cpu); their selectors (init's, in a
 * row) are recorded apart from c->sels, as there is a set per CPU. They
 * are charged to init's quota (a kernel object is a page): a component's
 * quota must not depend on the machine's CPU count. */
static enum dj_status cpu_event_portals(struct comp *c, const unsigned *vectors, unsigned n)
{
    uint64_t entry = (uint64_t)(uintptr_t)dj_portal_entry;
    c->ncpu_pts = (uint64_t)relay_count() * (n + 1);
    c->cpu_pts = init_sels((unsigned)c->ncpu_pts);
    uint64_t sel = c->cpu_pts;
    enum dj_status st = DJ_OK;
    for (unsigned i = 0; st == DJ_OK && i < relay_count(); i++) {
        unsigned cpu;
        uint64_t ec = relay_ec(i, &cpu), base = dj_child_event_base(cpu);
        st = portal_charged(DJ_SEL_SELF_PD, c, sel++, ec, STARTUP_MTD, entry, EVENT_BADGE(c->id, DJ_EV_STARTUP),
                            base + DJ_EV_STARTUP);
        for (unsigned v = 0; st == DJ_OK && v < n; v++)
            st = portal_charged(DJ_SEL_SELF_PD, c, sel++, ec, EXCEPTION_MTD, entry, EVENT_BADGE(c->id, vectors[v]),
                                base + vectors[v]);
    }
    return st;
}

static bool own_caps(struct comp *c)
{
    static const unsigned vectors[] = {VEC_DE, VEC_UD, VEC_GP, VEC_PF};
    uint64_t entry = (uint64_t)(uintptr_t)dj_portal_entry;
    /* Delegating into itself only copies what it holds (with no more
     * rights): a thread's own event base gets init's exception portals
     * (dj_child_exception_portals). */
    enum dj_status st =
        dj_delegate(c->pd, DJ_CRD(DJ_CRD_OBJ, c->pd, 0, DJ_PD_CREATE | DJ_PD_DELEGATE), DJ_SEL_SELF_PD);
    if (st == DJ_OK && c->cfg->debug)
        st = grant_copy(c, DJ_SEL_DEBUG, DJ_OBJ_ALL, DJ_SEL_DEBUG);
    if (st == DJ_OK)
        st = portal_to(c, comp_sel(c), init_event_ec, STARTUP_MTD, entry, EVENT_BADGE(c->id, DJ_EV_STARTUP),
                       DJ_CHILD_EVENT_BASE + DJ_EV_STARTUP);
    for (unsigned i = 0; st == DJ_OK && i < sizeof(vectors) / sizeof(vectors[0]); i++)
        st = portal_to(c, comp_sel(c), init_event_ec, EXCEPTION_MTD, entry, EVENT_BADGE(c->id, vectors[i]),
                       DJ_CHILD_EVENT_BASE + vectors[i]);
    if (st == DJ_OK)
        st = cpu_event_portals(c, vectors, sizeof(vectors) / sizeof(vectors[0]));
    if (st == DJ_OK)
        st = portal_to(c, comp_sel(c), init_parent_ec, 0, entry, c->id, DJ_CHILD_FIRST_GRANT);
    return (st == DJ_OK && named_cap(c, "parent", DJ_CHILD_FIRST_GRANT)) || report(c, "granting its own capabilities failed", st);
}

/* Service portals sit after the parent portal, in pt= order. */
static uint64_t service_slot(unsigned j)
{
    return DJ_CHILD_FIRST_GRANT + 1 + j;
}

enum dj_status component_grant_service(struct comp *c, unsigned j, const struct comp *s)
{
    c->grants[j] = init_sel();
    return portal_to(c, c->grants[j], s->svc_ec, 0, s->svc_entry, c->id, service_slot(j));
}

/* Portals to the services of pt=, in the order the line names them. */
static bool service_caps(struct comp *c)
{
    for (unsigned i = 0; i < c->cfg->nportals; i++) {
        struct comp *s = &comps[c->cfg->portals[i]];
        if (!s->serving || s->dead)
            return report(c, "a service it is granted is not running", DJ_E_ABORTED);
        enum dj_status st = component_grant_service(c, i, s);
        if (st != DJ_OK)
            return report(c, "granting a service portal failed", st);
        st = component_announce(s, c, true);
        if (st == DJ_E_TIMEOUT) {
            printf("init: %s not started: %s did not answer its announcement in time\n", c->cfg->name, s->cfg->name);
            return false;
        }
        if (st != DJ_OK)
            return report(c, "granting a service portal failed", st);
        named_cap(c, s->cfg->name, service_slot(i));
    }
    return true;
}

unsigned io_piece_order(uint64_t first, uint64_t last)
{
    unsigned order = 0;
    while (order < IO_MAX_ORDER && !(first & (1ull << order)) && first + (2ull << order) - 1 <= last)
        order++;
    return order;
}

/* [first, last] as naturally aligned power-of-two CRDs. */
static enum dj_status give_ports(struct comp *c, uint64_t first, uint64_t last)
{
    while (first <= last) {
        unsigned order = io_piece_order(first, last);
        enum dj_status st = dj_delegate(c->pd, DJ_CRD(DJ_CRD_IO, first, order, DJ_IO_ACCESS), first);
        if (st != DJ_OK)
            return st;
        first += 1ull << order;
    }
    return DJ_OK;
}

/* Ports the kernel refuses are reported but do not stop the component:
 * the start page says which ranges it got, so a driver can fall back. */
static void io_and_irqs(struct comp *c)
{
    const struct bc_component *cfg = c->cfg;
    for (unsigned i = 0; i < cfg->nio && i < DJ_START_MAX_IO; i++) {
        enum dj_status st = give_ports(c, cfg->io[i].first, cfg->io[i].last);
        if (st != DJ_OK)
            printf("init: %s: I/O ports %#x-%#x not granted (status %d)\n", cfg->name, cfg->io[i].first,
                   cfg->io[i].last, st);
        c->si->io[c->si->nio++] = (struct dj_start_io){cfg->io[i].first, cfg->io[i].last, st == DJ_OK};
    }
    /* Interrupt lines keep their selectors: DJ_SEL_IRQ_BASE + GSI. */
    for (unsigned i = 0; i < cfg->nirqs; i++) {
        uint64_t sel = DJ_SEL_IRQ_BASE + cfg->irqs[i];
        enum dj_status st = holds(sel, DJ_OBJ_IRQ) ? grant_copy(c, sel, DJ_IRQ_CTRL, sel) : DJ_E_BAD_CAP;
        if (st != DJ_OK)
            printf("init: %s: irq %u not granted (status %d: no such interrupt line)\n", cfg->name, cfg->irqs[i],
                   st);
    }
}

static void device_memory(struct comp *c)
{
    if (!c->cfg->devmem)
        return;
    enum dj_status st =
        holds(DJ_SEL_DEVMEM, DJ_OBJ_DEVMEM) ? grant_copy(c, DJ_SEL_DEVMEM, DJ_DEVMEM_MAP, DJ_SEL_DEVMEM) : DJ_E_BAD_CAP;
    /* With device memory (the PCI server): every function's DMA too, to
     * hand each driver its own function's (DJ_PCI_OP_DEVICE). */
    if (st == DJ_OK && holds(DJ_SEL_DEVICES, DJ_OBJ_DEVICE) &&
        grant_copy(c, DJ_SEL_DEVICES, DJ_DEV_ASSIGN, DJ_SEL_DEVICES) != DJ_OK)
        printf("init: %s: the device capability (DMA) not granted\n", c->cfg->name);
    if (st == DJ_OK) {
        const struct dj_bootinfo *bi = bootinfo_of();
        c->si->devmem = 1;
        c->si->pci_ecam_base = bi->pci_ecam_base;
        c->si->pci_ecam_bus_start = bi->pci_ecam_bus_start;
        c->si->pci_ecam_bus_end = bi->pci_ecam_bus_end;
    } else
        printf("init: %s: device memory not granted (status %d: init has no device-memory capability)\n",
               c->cfg->name, st);
}

/* init's pool of MSI capabilities (sigma0 hands over DJ_MSI_COUNT of
 * them): each goes to one component, which keeps it across restarts. */
static uint64_t msi_taken;
_Static_assert(DJ_MSI_COUNT <= 64, "the MSI pool is one 64-bit mask");

static void take_msis(struct comp *c)
{
    for (unsigned n = 0; n < DJ_MSI_COUNT && c->nmsi < c->cfg->nmsi; n++) {
        if ((msi_taken >> n) & 1 || !holds(DJ_SEL_MSI_BASE + n, DJ_OBJ_IRQ))
            continue;
        msi_taken |= 1ull << n;
        c->msi[c->nmsi++] = (uint8_t)n;
    }
    c->msi_assigned = true;
    if (c->nmsi < c->cfg->nmsi)
        printf("init: %s: only %u of %u MSI capabilities left to give\n", c->cfg->name, c->nmsi, c->cfg->nmsi);
}

/* Its MSI capabilities at DJ_SEL_MSI_BASE + 0..nmsi-1 in its own space. */
static void msis(struct comp *c)
{
    if (!c->msi_assigned)
        take_msis(c);
    for (unsigned i = 0; i < c->nmsi; i++) {
        enum dj_status st = grant_copy(c, DJ_SEL_MSI_BASE + c->msi[i], DJ_IRQ_CTRL, DJ_SEL_MSI_BASE + i);
        if (st != DJ_OK) {
            printf("init: %s: MSI %u not granted (status %d)\n", c->cfg->name, i, st);
            return;
        }
        c->si->nmsi = i + 1;
    }
}

static bool run(struct comp *c)
{
    uint64_t sc;
    c->ec = comp_sel(c);
    sc = comp_sel(c);
    enum dj_status st = dj_create_ec(c->ec, c->pd, dj_boot_cpu, DJ_CHILD_UTCB_VA, 0, DJ_CHILD_EVENT_BASE, true);
    if (st == DJ_OK)
        st = dj_create_sc(sc, c->pd, c->ec, c->cfg->prio, QUANTUM_US);
    return st == DJ_OK || report(c, "creating its thread failed", st);
}

static bool build(struct comp *c)
{
    c->pd = comp_sel(c);
    /* A VMM's quota also pays for its guest's RAM (docs/vmm.md). */
    uint64_t quota = c->cfg->quota + (uint64_t)c->cfg->vm.mem_mib * BC_VM_PAGES_PER_MIB;
    enum dj_status st = dj_create_pd_prio(c->pd, DJ_SEL_SELF_PD, quota, c->cfg->maxprio);
    if (st == DJ_E_QUOTA) {
        printf("init: %s not started: its %lu pages of quota (quota= plus a VM's mem=) are more than init has left:"
               " give the machine more memory or the line less (status %d)\n",
               c->cfg->name, (unsigned long)quota, st);
        return false;
    }
    if (st != DJ_OK)
        return report(c, "creating its PD failed", st);
    if (!load_image(c) || !give_memory(c, DJ_CHILD_STACK_TOP - DJ_CHILD_STACK_PAGES * PAGE, DJ_CHILD_STACK_PAGES,
                                       "no memory for its stack"))
        return false;
    if (c->cfg->heap && !give_memory(c, DJ_CHILD_HEAP_VA, c->cfg->heap, "no memory for its heap"))
        return false;
    if (!start_page(c) || !vm_modules(c) || !data_module(c) || !own_caps(c) || !service_caps(c))
        return false;
    io_and_irqs(c);
    device_memory(c);
    msis(c);
    return run(c);
}

bool component_start(struct comp *c)
{
    c->mem_first = init_staging_mark();
    bool ok = build(c);
    c->mem_end = init_staging_mark();
    return ok;
}
