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
 *   - Multiboot v1 and v2 ELF32 images, see load_multiboot. */
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
    map[n++] = (struct e820){VMM_PCI_ECAM_BASE, GUEST_ECAM_SIZE, E820_RESERVED};
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
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define ZP_ACPI_RSDP 0x070
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
    if (ksize < 0x270 || vmm_get_le(k + BP_HEADER, 4) != HDRS_MAGIC || vmm_get_le(k + BP_BOOT_FLAG, 2) != BOOT_FLAG)
        return (*why = "not a bzImage (no HdrS header)", false);
    if (vmm_get_le(k + BP_VERSION, 2) < MIN_VERSION)
        return (*why = "boot protocol older than 2.12", false);
    if (!(k[BP_LOADFLAGS] & LOADED_HIGH))
        return (*why = "a zImage (not loaded high): not supported", false);
    if (!(vmm_get_le(k + BP_XLOADFLAGS, 2) & XLF_KERNEL_64))
        return (*why = "no 64-bit entry point (xloadflags XLF_KERNEL_64)", false);
    return true;
}

static bool load_linux(const uint8_t *k, uint64_t ksize, const void *initrd, uint64_t isize, const char *cmdline,
                       const char **why)
{
    if (!linux_check(k, ksize, why))
        return false;
    unsigned setup_sects = k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : DEFAULT_SETUP_SECTS;
    uint64_t setup_bytes = (uint64_t)(setup_sects + 1) * SECTOR;
    if (setup_bytes >= ksize)
        return (*why = "setup sectors beyond the image", false);
    uint64_t pm_size = ksize - setup_bytes, init_size = vmm_get_le(k + BP_INIT_SIZE, 4);
    uint64_t load = vmm_get_le(k + BP_PREF_ADDRESS, 8);
    if (load < LOW_KERNEL || load + init_size > vm.ram.size)
        load = LOW_KERNEL;
    if (init_size < pm_size)
        init_size = pm_size;
    if (load + init_size > vm.ram.size)
        return (*why = "the kernel does not fit in guest RAM (raise mem=)", false);
    if (!copy_in(load, k + setup_bytes, pm_size))
        return (*why = "kernel placement", false);
    uint64_t initrd_at;
    if (!load_initrd(vmm_get_le(k + BP_INITRD_ADDR_MAX, 4), load + init_size, initrd, isize, &initrd_at, why))
        return false;

    uint8_t *zp = vmm_gpa_ptr(&vm.ram, GUEST_ZERO_PAGE, PAGE_SIZE);
    memset(zp, 0, PAGE_SIZE);
    size_t hdr_end = BP_JUMP + 2 + k[BP_JUMP + 1]; /* the header ends where its jump lands */
    if (hdr_end > PAGE_SIZE)
        hdr_end = PAGE_SIZE;
    memcpy(zp + BP_SETUP_SECTS, k + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
    zp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    zp[BP_LOADFLAGS] |= CAN_USE_HEAP;
    vmm_put_le(zp + BP_HEAP_END_PTR, 4, HEAP_END - 0x200);
    size_t clen = strlen(cmdline);
    uint32_t cmax = vmm_get_le(k + BP_CMDLINE_SIZE, 4);
    if (clen > cmax || clen >= GUEST_CMDLINE_MAX)
        return (*why = "the command line is longer than the kernel accepts", false);
    copy_in(GUEST_CMDLINE, cmdline, clen + 1);
    vmm_put_le(zp + BP_CMD_LINE_PTR, 4, (uint32_t)GUEST_CMDLINE);
    vmm_put_le(zp + BP_RAMDISK_IMAGE, 4, (uint32_t)initrd_at);
    vmm_put_le(zp + BP_RAMDISK_SIZE, 4, (uint32_t)isize); /* both below 4 GiB: the ext_ fields stay 0 */
    vmm_put_le(zp + ZP_ACPI_RSDP, 8, GUEST_ACPI_BASE); /* platform_init built the tables there */
    struct e820 map[E820_MAX];
    unsigned n = e820_build(map);
    memcpy(zp + ZP_E820_TABLE, map, n * sizeof(map[0]));
    zp[ZP_E820_ENTRIES] = (uint8_t)n;
    boot_tables();
    vm.entry_64 = true;
    vm.entry_rip = load + ENTRY_64_OFFSET;
    vm.entry_rsi = GUEST_ZERO_PAGE;
    vmm_log("Linux boot protocol %u.%02u: kernel at %#lx (%lu bytes, init_size %#lx), initramfs at %#lx",
            k[BP_VERSION + 1], k[BP_VERSION], (unsigned long)load, (unsigned long)pm_size,
            (unsigned long)init_size, (unsigned long)initrd_at);
    return true;
}

/* ---- Multiboot v1 and v2 (ELF images) -------------------------------------
 * The header in the first 8 KiB (v1: magic, flags, checksum) or 32 KiB
 * (v2: magic, architecture 0, length, checksum); the image is placed by
 * its ELF32 program headers (neither v1's a.out kludge nor v2's address
 * tags are read). The information: memory sizes, the memory map, the
 * command line and the initrd as module 0; entry in 32-bit protected
 * mode with EAX the boot magic, EBX the information. */
#define MB1_MAGIC 0x1badb002u
#define MB1_BOOT_MAGIC 0x2badb002u
#define MB1_SEARCH 8192
#define MB2_MAGIC 0xe85250d6u
#define MB2_BOOT_MAGIC 0x36d76289u
#define MB2_SEARCH 32768
#define MB_INFO 0x8000ull
#define MB_INFO_MAX 0x1000
#define MB_CMDLINE_MAX 0x800
#define MB_MMAP_ENTRY 24
#define MB1_MMAP_SIZE_FIELD 20 /* v1: a size field, then the e820 entry */
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LEN 120
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MEMINFO 4
#define MB2_TAG_MMAP 6
#define ELF_MAGIC 0x464c457fu
#define PT_LOAD 1

/* 1 or 2 when a multiboot header of that version is where it must be, else 0. */
static unsigned multiboot_version(const uint8_t *k, uint64_t ksize)
{
    for (uint64_t off = 0; off + 16 <= ksize && off < MB2_SEARCH; off += 4) {
        uint32_t m = vmm_get_le(k + off, 4), a = vmm_get_le(k + off + 4, 4), b = vmm_get_le(k + off + 8, 4);
        if (m == MB1_MAGIC && off < MB1_SEARCH && (uint32_t)(m + a + b) == 0)
            return 1;
        if (m == MB2_MAGIC && off % 8 == 0 && a == 0 && (uint32_t)(m + a + b + vmm_get_le(k + off + 12, 4)) == 0)
            return 2;
    }
    return 0;
}

/* ELF32 program headers at their physical addresses. */
static bool mb_elf(const uint8_t *k, uint64_t ksize, uint64_t *entry, uint64_t *end, const char **why)
{
    if (ksize < 52 || vmm_get_le(k + 0, 4) != ELF_MAGIC || k[4] != 1)
        return (*why = "multiboot: not an ELF32 image", false);
    uint32_t phoff = vmm_get_le(k + 28, 4);
    uint16_t phentsize = vmm_get_le(k + 42, 2), phnum = vmm_get_le(k + 44, 2);
    *entry = vmm_get_le(k + 24, 4);
    *end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t ph = phoff + (uint64_t)i * phentsize;
        if (ph + 32 > ksize)
            return (*why = "multiboot: program header beyond the image", false);
        if (vmm_get_le(k + ph, 4) != PT_LOAD)
            continue;
        uint64_t off = vmm_get_le(k + ph + 4, 4), paddr = vmm_get_le(k + ph + 12, 4);
        uint64_t filesz = vmm_get_le(k + ph + 16, 4), memsz = vmm_get_le(k + ph + 20, 4);
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

/* Appends a v2 tag of type with len payload bytes; tags are 8-byte aligned. */
static uint32_t mb2_tag(uint8_t *info, uint32_t at, uint32_t type, const void *payload, uint32_t len)
{
    if (at + 8 + len + 8 > MB_INFO_MAX)
        return at;
    vmm_put_le(info + at, 4, type);
    vmm_put_le(info + at + 4, 4, 8 + len);
    memcpy(info + at + 8, payload, len);
    return (uint32_t)align_up(at + 8 + len, 8);
}

static bool load_multiboot(const uint8_t *k, uint64_t ksize, unsigned version, const void *initrd, uint64_t isize,
                           const char *cmdline, const char **why)
{
    uint64_t entry, end, initrd_at = 0;
    size_t clen = strlen(cmdline);
    if (!mb_elf(k, ksize, &entry, &end, why) ||
        !load_initrd(0xffffffffull, align_up(end, PAGE_SIZE), initrd, isize, &initrd_at, why))
        return false;
    if (clen >= MB_CMDLINE_MAX)
        return (*why = "multiboot: command line too long", false);
    struct e820 map[E820_MAX];
    unsigned n = e820_build(map);
    uint8_t mmap[8 + E820_MAX * MB_MMAP_ENTRY] = {0}; /* v2: entry size and version first */
    uint8_t *entries = version == 2 ? mmap + 8 : mmap;
    for (unsigned i = 0; i < n; i++) {
        vmm_put_le(entries + i * MB_MMAP_ENTRY + (version == 2 ? 20 : 0), 4, version == 2 ? 0 : MB1_MMAP_SIZE_FIELD);
        memcpy(entries + i * MB_MMAP_ENTRY + (version == 2 ? 0 : 4), &map[i], sizeof map[i]);
    }
    uint32_t mem[2] = {(uint32_t)(GUEST_BIOS_START / 1024), (uint32_t)((vm.ram.size - MIB) / 1024)};
    uint32_t mod[4] = {(uint32_t)initrd_at, (uint32_t)(initrd_at + isize), 0, 0};
    uint8_t *info = vmm_gpa_ptr(&vm.ram, MB_INFO, MB_INFO_MAX);
    memset(info, 0, MB_INFO_MAX);
    if (version == 2) {
        vmm_put_le(mmap + 0, 4, MB_MMAP_ENTRY);
        uint32_t at = mb2_tag(info, 8, MB2_TAG_CMDLINE, cmdline, (uint32_t)clen + 1);
        at = mb2_tag(info, at, MB2_TAG_MEMINFO, mem, sizeof mem);
        at = mb2_tag(info, at, MB2_TAG_MMAP, mmap, 8 + n * MB_MMAP_ENTRY);
        if (initrd)
            at = mb2_tag(info, at, MB2_TAG_MODULE, mod, 9); /* start, end, an empty string */
        at = mb2_tag(info, at, MB2_TAG_END, NULL, 0);
        vmm_put_le(info + 0, 4, at);
    } else { /* the info structure, then the mmap, module and command line after it */
        uint32_t mmap_at = MB_INFO + MB1_INFO_LEN, mod_at = mmap_at + n * MB_MMAP_ENTRY, cmd_at = mod_at + sizeof mod;
        uint32_t fields[13] = {MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MMAP | (initrd ? MB1_INFO_MODS : 0), mem[0],
                               mem[1], 0, cmd_at, initrd ? 1 : 0, mod_at, 0, 0, 0, 0, n * MB_MMAP_ENTRY, mmap_at};
        memcpy(info, fields, sizeof fields);
        memcpy(info + (mmap_at - MB_INFO), mmap, n * MB_MMAP_ENTRY);
        memcpy(info + (mod_at - MB_INFO), mod, sizeof mod);
        memcpy(info + (cmd_at - MB_INFO), cmdline, clen + 1);
    }
    boot_tables();
    vm.entry_64 = false;
    vm.entry_rip = entry;
    vm.entry_eax = version == 2 ? MB2_BOOT_MAGIC : MB1_BOOT_MAGIC;
    vm.entry_rbx = MB_INFO;
    vmm_log("multiboot v%u image: entry %#lx, end %#lx", version, (unsigned long)entry, (unsigned long)end);
    return true;
}

bool load_guest(const void *kernel, uint64_t ksize, const void *initrd, uint64_t isize, const char *cmdline,
                const char **why)
{
    const uint8_t *k = kernel;
    if (vm.ram.size < 2 * MIB)
        return (*why = "less than 2 MiB of guest RAM", false);
    if (ksize >= 0x210 && vmm_get_le(k + BP_HEADER, 4) == HDRS_MAGIC)
        return load_linux(k, ksize, initrd, isize, cmdline, why);
    unsigned version = multiboot_version(k, ksize);
    if (version)
        return load_multiboot(k, ksize, version, initrd, isize, cmdline, why);
    *why = "neither a Linux bzImage nor a multiboot (v1 or v2) ELF image";
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

/* Everything zero (no event, no interrupt shadow, no controls) but what a
 * reset sets. */
static void common_state(struct dj_vcpu_state *s)
{
    memset(s, 0, sizeof *s);
    s->rflags = RFLAGS_RESERVED;
    s->xcr0 = 1;
    s->dr7 = 0x400;
    s->ldtr = (struct dj_vm_seg){0, AR_LDT, SEG_LIMIT_64K, 0};
    s->tr = (struct dj_vm_seg){0, AR_TSS_BUSY, SEG_LIMIT_64K, 0};
    s->idtr = (struct dj_vm_seg){0, 0, SEG_LIMIT_64K, 0};
    s->actv_state = DJ_ACTV_ACTIVE;
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
    return MTD_WHOLE_STATE;
}
