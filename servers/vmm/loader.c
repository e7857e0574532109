/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading the guest (docs/vmm.md, "Loading"): no firmware runs, the VMM
 * lays out memory as a boot loader would and starts the BSP in the state
 * the image's protocol names.
 *   - Linux bzImage (boot protocol >= 2.12, 64-bit capable): the
 *     protected-mode kernel at its pref_address (or 1 MiB), the initramfs
 *     at the top of RAM below initrd_addr_max, the command line, a zero
 *     page with the e820 map and the RSDP, identity page tables for the
 *     first 4 GiB and a flat GDT; entry at the 64-bit entry point
 *     (startup_32 + 0x200) in long mode with RSI = zero page.
 *   - Multiboot v1 (ELF64/ELF32 via the a.out kludge fields, or ELF32
 *     program headers): segments at their physical addresses, the info
 *     structure with mem_lower/upper, the memory map, the command line
 *     and the initrd as module 0; entry in 32-bit protected mode with
 *     EAX = 0x2badb002, EBX = info. */
#include <string.h>
#include "core.h"

/* ---- the e820 map --------------------------------------------------------- */
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_MAX 8

struct e820 {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

static unsigned e820_build(struct e820 *map)
{
    unsigned n = 0;
    map[n++] = (struct e820){0, GUEST_BIOS_START, E820_RAM};
    map[n++] = (struct e820){GUEST_BIOS_START, MIB - GUEST_BIOS_START, E820_RESERVED};
    map[n++] = (struct e820){MIB, vm.ram.size - MIB, E820_RAM};
    map[n++] = (struct e820){GUEST_ECAM_BASE, GUEST_ECAM_SIZE, E820_RESERVED};
    return n;
}

/* ---- Linux boot protocol (Documentation/x86/boot.rst) --------------------- */
#define BP_SETUP_SECTS 0x1f1
#define BP_BOOT_FLAG 0x1fe
#define BP_JUMP 0x200
#define BP_HEADER 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_KERNEL_ALIGNMENT 0x230
#define BP_RELOCATABLE 0x234
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define ZP_ACPI_RSDP 0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define HDRS_MAGIC 0x53726448u /* "HdrS" */
#define BOOT_FLAG 0xaa55
#define MIN_VERSION 0x020c
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define LOADER_UNDEFINED 0xff
#define ENTRY_64_OFFSET 0x200
#define DEFAULT_SETUP_SECTS 4
#define SECTOR 512
#define HEAP_END 0xfe00
#define LOW_KERNEL MIB

static uint8_t rd8(const uint8_t *p, unsigned off) { return p[off]; }
static uint16_t rd16(const uint8_t *p, unsigned off) { uint16_t v; memcpy(&v, p + off, 2); return v; }
static uint32_t rd32(const uint8_t *p, unsigned off) { uint32_t v; memcpy(&v, p + off, 4); return v; }
static uint64_t rd64(const uint8_t *p, unsigned off) { uint64_t v; memcpy(&v, p + off, 8); return v; }
static void wr8(uint8_t *p, unsigned off, uint8_t v) { p[off] = v; }
static void wr32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }
static void wr64(uint8_t *p, unsigned off, uint64_t v) { memcpy(p + off, &v, 8); }

static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static bool copy_in(uint64_t gpa, const void *src, uint64_t len)
{
    void *dst = vmm_gpa_ptr(&vm.ram, gpa, len);
    if (!dst)
        return false;
    memcpy(dst, src, len);
    return true;
}

/* Identity map of the first 4 GiB with 2 MiB pages, and a GDT with a
 * 64-bit code segment at 0x10 and a flat data segment at 0x18 (the boot
 * protocol's __BOOT_CS / __BOOT_DS). */
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PS 0x80ull
#define GDT_CODE64 0x00af9b000000ffffull
#define GDT_DATA 0x00cf93000000ffffull
#define GDT_CODE32 0x00cf9b000000ffffull

static void boot_tables(void)
{
    uint64_t *pml4 = vmm_gpa_ptr(&vm.ram, GUEST_PML4, 6 * PAGE_SIZE);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
    memset(pml4, 0, 6 * PAGE_SIZE);
    pml4[0] = (GUEST_PML4 + PAGE_SIZE) | PTE_P | PTE_W;
    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (GUEST_PML4 + (2 + i) * PAGE_SIZE) | PTE_P | PTE_W;
    for (unsigned i = 0; i < 4 * 512; i++)
        pd[i] = (uint64_t)i * 2 * MIB | PTE_P | PTE_W | PTE_PS;
    uint64_t *gdt = vmm_gpa_ptr(&vm.ram, GUEST_GDT, 5 * 8);
    gdt[0] = gdt[1] = 0;
    gdt[2] = GDT_CODE64;
    gdt[3] = GDT_DATA;
    gdt[4] = GDT_CODE32;
}

static bool load_initrd(uint64_t max_addr, uint64_t kernel_end, const void *initrd, uint64_t isize, uint64_t *at,
                        const char **why)
{
    *at = 0;
    if (!initrd)
        return true;
    uint64_t top = vm.ram.size < max_addr + 1 ? vm.ram.size : max_addr + 1;
    if (isize > top || align_down(top - isize, PAGE_SIZE) < kernel_end) {
        *why = "the initramfs does not fit in guest RAM above the kernel (raise mem=)";
        return false;
    }
    *at = align_down(top - isize, PAGE_SIZE);
    return copy_in(*at, initrd, isize) || (*why = "initramfs placement", false);
}

static bool linux_check(const uint8_t *k, uint64_t ksize, const char **why)
{
    if (ksize < 0x270 || rd32(k, BP_HEADER) != HDRS_MAGIC || rd16(k, BP_BOOT_FLAG) != BOOT_FLAG)
        return (*why = "not a bzImage (no HdrS header)", false);
    if (rd16(k, BP_VERSION) < MIN_VERSION)
        return (*why = "boot protocol older than 2.12", false);
    if (!(rd8(k, BP_LOADFLAGS) & LOADED_HIGH))
        return (*why = "a zImage (not loaded high): not supported", false);
    if (!(rd16(k, BP_XLOADFLAGS) & XLF_KERNEL_64))
        return (*why = "no 64-bit entry point (xloadflags XLF_KERNEL_64)", false);
    return true;
}

static bool load_linux(const uint8_t *k, uint64_t ksize, const void *initrd, uint64_t isize, const char *cmdline,
                       const char **why)
{
    if (!linux_check(k, ksize, why))
        return false;
    unsigned setup_sects = rd8(k, BP_SETUP_SECTS) ? rd8(k, BP_SETUP_SECTS) : DEFAULT_SETUP_SECTS;
    uint64_t setup_bytes = (uint64_t)(setup_sects + 1) * SECTOR;
    if (setup_bytes >= ksize)
        return (*why = "setup sectors beyond the image", false);
    uint64_t pm_size = ksize - setup_bytes, init_size = rd32(k, BP_INIT_SIZE);
    uint64_t load = rd64(k, BP_PREF_ADDRESS);
    if (load < LOW_KERNEL || load + init_size > vm.ram.size)
        load = LOW_KERNEL;
    if (init_size < pm_size)
        init_size = pm_size;
    if (load + init_size > vm.ram.size)
        return (*why = "the kernel does not fit in guest RAM (raise mem=)", false);
    if (!copy_in(load, k + setup_bytes, pm_size))
        return (*why = "kernel placement", false);
    uint64_t initrd_at;
    if (!load_initrd(rd32(k, BP_INITRD_ADDR_MAX), load + init_size, initrd, isize, &initrd_at, why))
        return false;

    uint8_t *zp = vmm_gpa_ptr(&vm.ram, GUEST_ZERO_PAGE, PAGE_SIZE);
    memset(zp, 0, PAGE_SIZE);
    size_t hdr_end = BP_JUMP + 2 + rd8(k, BP_JUMP + 1); /* the header ends where its jump lands */
    if (hdr_end > PAGE_SIZE)
        hdr_end = PAGE_SIZE;
    memcpy(zp + BP_SETUP_SECTS, k + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
    wr8(zp, BP_TYPE_OF_LOADER, LOADER_UNDEFINED);
    wr8(zp, BP_LOADFLAGS, rd8(zp, BP_LOADFLAGS) | CAN_USE_HEAP);
    wr32(zp, BP_HEAP_END_PTR, HEAP_END - 0x200);
    size_t clen = strlen(cmdline);
    uint32_t cmax = rd32(k, BP_CMDLINE_SIZE);
    if (clen > cmax || clen >= GUEST_CMDLINE_MAX)
        return (*why = "the command line is longer than the kernel accepts", false);
    copy_in(GUEST_CMDLINE, cmdline, clen + 1);
    wr32(zp, BP_CMD_LINE_PTR, (uint32_t)GUEST_CMDLINE);
    wr32(zp, ZP_EXT_CMD_LINE_PTR, 0);
    wr32(zp, BP_RAMDISK_IMAGE, (uint32_t)initrd_at);
    wr32(zp, BP_RAMDISK_SIZE, (uint32_t)isize);
    wr32(zp, ZP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_at >> 32));
    wr32(zp, ZP_EXT_RAMDISK_SIZE, (uint32_t)(isize >> 32));
    wr64(zp, ZP_ACPI_RSDP, platform_rsdp());
    struct e820 map[E820_MAX];
    unsigned n = e820_build(map);
    memcpy(zp + ZP_E820_TABLE, map, n * sizeof(map[0]));
    wr8(zp, ZP_E820_ENTRIES, (uint8_t)n);
    boot_tables();
    vm.entry_64 = true;
    vm.entry_rip = load + ENTRY_64_OFFSET;
    vm.entry_rsi = GUEST_ZERO_PAGE;
    vmm_log("Linux boot protocol %u.%02u: kernel at %#lx (%lu bytes, init_size %#lx), initramfs at %#lx",
            rd16(k, BP_VERSION) >> 8, rd16(k, BP_VERSION) & 0xff, (unsigned long)load, (unsigned long)pm_size,
            (unsigned long)init_size, (unsigned long)initrd_at);
    return true;
}

/* ---- Multiboot v1 ------------------------------------------------------- */
#define MB1_MAGIC 0x1badb002u
#define MB1_BOOT_MAGIC 0x2badb002u
#define MB1_SEARCH 8192
#define MB1_FLAG_AOUT (1u << 16)
#define MB1_INFO 0x8000ull
#define MB1_CMDLINE GUEST_CMDLINE
#define MB1_MODS 0x8800ull
#define MB1_MMAP 0x8a00ull
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define ELF_MAGIC 0x464c457fu
#define PT_LOAD 1

struct mb1_header {
    uint32_t magic, flags, checksum, header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static const struct mb1_header *mb1_find(const uint8_t *k, uint64_t ksize, uint64_t *offset)
{
    for (uint64_t off = 0; off + sizeof(struct mb1_header) <= ksize && off < MB1_SEARCH; off += 4) {
        const struct mb1_header *h = (const struct mb1_header *)(k + off);
        if (h->magic == MB1_MAGIC && (uint32_t)(h->magic + h->flags + h->checksum) == 0) {
            *offset = off;
            return h;
        }
    }
    return NULL;
}

/* ELF32 program headers at their physical addresses. */
static bool mb1_elf(const uint8_t *k, uint64_t ksize, uint64_t *entry, uint64_t *end, const char **why)
{
    if (ksize < 52 || rd32(k, 0) != ELF_MAGIC || k[4] != 1)
        return (*why = "multiboot: no a.out kludge and not ELF32", false);
    uint32_t phoff = rd32(k, 28);
    uint16_t phentsize = rd16(k, 42), phnum = rd16(k, 44);
    *entry = rd32(k, 24);
    *end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t ph = phoff + (uint64_t)i * phentsize;
        if (ph + 32 > ksize)
            return (*why = "multiboot: program header beyond the image", false);
        if (rd32(k, ph) != PT_LOAD)
            continue;
        uint64_t off = rd32(k, ph + 4), paddr = rd32(k, ph + 12), filesz = rd32(k, ph + 16), memsz = rd32(k, ph + 20);
        void *dst = vmm_gpa_ptr(&vm.ram, paddr, memsz);
        if (!dst || filesz > memsz || off + filesz > ksize)
            return (*why = "multiboot: a segment outside guest RAM or the image", false);
        memset(dst, 0, memsz);
        memcpy(dst, k + off, filesz);
        if (paddr + memsz > *end)
            *end = paddr + memsz;
    }
    return true;
}

static bool load_multiboot(const uint8_t *k, uint64_t ksize, const struct mb1_header *h, uint64_t hoff,
                           const void *initrd, uint64_t isize, const char *cmdline, const char **why)
{
    uint64_t entry, end;
    if (h->flags & MB1_FLAG_AOUT) {
        uint64_t file_off = hoff - (h->header_addr - h->load_addr);
        uint64_t load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (ksize - file_off);
        uint64_t bss_end = h->bss_end_addr > load_end ? h->bss_end_addr : load_end;
        if (file_off > ksize || load_end < h->load_addr || load_end - h->load_addr > ksize - file_off)
            return (*why = "multiboot: load addresses outside the image", false);
        void *dst = vmm_gpa_ptr(&vm.ram, h->load_addr, bss_end - h->load_addr);
        if (!dst)
            return (*why = "multiboot: the image does not fit in guest RAM", false);
        memset(dst, 0, bss_end - h->load_addr);
        memcpy(dst, k + file_off, load_end - h->load_addr);
        entry = h->entry_addr;
        end = bss_end;
    } else if (!mb1_elf(k, ksize, &entry, &end, why))
        return false;
    uint64_t initrd_at = 0;
    if (!load_initrd(0xffffffffull, align_up(end, PAGE_SIZE), initrd, isize, &initrd_at, why))
        return false;
    uint32_t info[30] = {0};
    size_t clen = strlen(cmdline);
    if (clen >= 0x800)
        return (*why = "multiboot: command line too long", false);
    copy_in(MB1_CMDLINE, cmdline, clen + 1);
    info[0] = MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MMAP;
    info[1] = (uint32_t)(GUEST_BIOS_START / 1024);
    info[2] = (uint32_t)((vm.ram.size - MIB) / 1024);
    info[4] = (uint32_t)MB1_CMDLINE;
    if (initrd) {
        uint32_t mod[4] = {(uint32_t)initrd_at, (uint32_t)(initrd_at + isize), 0, 0};
        copy_in(MB1_MODS, mod, sizeof(mod));
        info[0] |= MB1_INFO_MODS;
        info[5] = 1;
        info[6] = (uint32_t)MB1_MODS;
    }
    struct e820 map[E820_MAX];
    unsigned n = e820_build(map);
    uint8_t mmap[E820_MAX * 24];
    for (unsigned i = 0; i < n; i++) {
        wr32(mmap, i * 24, 20);
        memcpy(mmap + i * 24 + 4, &map[i], 20);
    }
    copy_in(MB1_MMAP, mmap, n * 24);
    info[11] = n * 24;
    info[12] = (uint32_t)MB1_MMAP;
    copy_in(MB1_INFO, info, sizeof(info));
    boot_tables();
    vm.entry_64 = false;
    vm.entry_rip = entry;
    vm.entry_eax = MB1_BOOT_MAGIC;
    vm.entry_rbx = MB1_INFO;
    vmm_log("multiboot image: entry %#lx, end %#lx", (unsigned long)entry, (unsigned long)end);
    return true;
}

bool load_guest(const void *kernel, uint64_t ksize, const void *initrd, uint64_t isize, const char *cmdline,
                const char **why)
{
    const uint8_t *k = kernel;
    uint64_t hoff;
    if (vm.ram.size < 2 * MIB)
        return (*why = "less than 2 MiB of guest RAM", false);
    if (ksize >= 0x210 && rd32(k, BP_HEADER) == HDRS_MAGIC)
        return load_linux(k, ksize, initrd, isize, cmdline, why);
    const struct mb1_header *h = mb1_find(k, ksize, &hoff);
    if (h)
        return load_multiboot(k, ksize, h, hoff, initrd, isize, cmdline, why);
    *why = "neither a Linux bzImage nor a multiboot image";
    return false;
}

/* ---- initial vCPU states ------------------------------------------------ */
#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define AR_CODE64 0xa9b
#define AR_CODE32 0xc9b
#define AR_DATA32 0xc93
#define AR_CODE16 0x9b
#define AR_DATA16 0x93
#define AR_TSS_BUSY 0x8b
#define AR_LDT 0x82
#define RFLAGS_RESERVED 0x2ull
#define SEG_LIMIT_4G 0xffffffffu
#define SEG_LIMIT_64K 0xffffu

static void common_state(struct dj_vcpu_state *s)
{
    memset(s->gpr, 0, sizeof(s->gpr));
    s->rflags = RFLAGS_RESERVED;
    s->cr2 = 0;
    s->xcr0 = 1;
    s->dr7 = 0x400;
    s->ldtr = (struct dj_vm_seg){0, AR_LDT, SEG_LIMIT_64K, 0};
    s->tr = (struct dj_vm_seg){0, AR_TSS_BUSY, SEG_LIMIT_64K, 0};
    s->idtr = (struct dj_vm_seg){0, 0, SEG_LIMIT_64K, 0};
    s->inj_info = s->inj_error = 0;
    s->intr_state = 0;
    s->actv_state = DJ_ACTV_ACTIVE;
    s->ctrl = 0;
}

#define MTD_WHOLE_STATE (DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_RFLAGS | DJ_MTD_CR | DJ_MTD_SEG | DJ_MTD_SYS_SEG | \
                         DJ_MTD_DR7 | DJ_MTD_INJ | DJ_MTD_STA | DJ_MTD_CTRL)

uint64_t boot_state(struct dj_vcpu_state *s)
{
    common_state(s);
    struct dj_vm_seg data = {0x18, AR_DATA32, SEG_LIMIT_4G, 0};
    s->es = s->ss = s->ds = s->fs = s->gs = data;
    s->gdtr = (struct dj_vm_seg){0, 0, 5 * 8 - 1, GUEST_GDT};
    s->cr3 = GUEST_PML4;
    if (vm.entry_64) {
        s->cs = (struct dj_vm_seg){0x10, AR_CODE64, SEG_LIMIT_4G, 0};
        s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
        s->cr4 = CR4_PAE;
        s->efer = EFER_LME | EFER_LMA;
        s->gpr[6] = vm.entry_rsi;
    } else {
        s->cs = (struct dj_vm_seg){0x20, AR_CODE32, SEG_LIMIT_4G, 0};
        s->cr0 = CR0_PE | CR0_ET | CR0_NE;
        s->cr4 = 0;
        s->efer = 0;
        s->gpr[0] = vm.entry_eax;
        s->gpr[3] = vm.entry_rbx;
    }
    s->rip = vm.entry_rip;
    s->tr = (struct dj_vm_seg){0, AR_TSS_BUSY, 0x67, 0};
    return MTD_WHOLE_STATE;
}

uint64_t sipi_state(struct dj_vcpu_state *s, uint8_t vector)
{
    common_state(s);
    struct dj_vm_seg data = {0, AR_DATA16, SEG_LIMIT_64K, 0};
    s->es = s->ss = s->ds = s->fs = s->gs = data;
    s->cs = (struct dj_vm_seg){(uint16_t)(vector << 8), AR_CODE16, SEG_LIMIT_64K, (uint64_t)vector << 12};
    s->gdtr = (struct dj_vm_seg){0, 0, SEG_LIMIT_64K, 0};
    s->cr0 = CR0_ET;
    s->cr3 = s->cr4 = s->efer = 0;
    s->rip = 0;
    return MTD_WHOLE_STATE;
}
