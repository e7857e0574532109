/* SPDX-License-Identifier: GPL-2.0-only */
/* The boot configuration of init (docs/boot-config.md): one component per
 * line,
 *     name bin=MODULE quota=PAGES prio=N [heap=PAGES] [pt=A,B] [io=LO-HI,..]
 *          [irq=N,..] [debug=yes|no] [devmem=yes|no] [msi=N]
 *          [pci=SEL|SEL..] [arg=TEXT] [restart=yes|no] [maxprio=N] [data=MODULE]
 *          [kernel=MODULE [initrd=MODULE] [cmdline=MODULE] [mem=MIB] [vcpus=N]]
 *     (SEL: VVVV:DDDD[#K] or BB:DD.F; at most BC_PCI_ALTS alternatives)
 * Pure C (no allocation, no system calls) so the host tests can feed it
 * hostile text. A bad line is reported through the error callback with its
 * number and skipped as a whole; nothing is guessed or repaired. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BC_MAX_COMPONENTS 16
#define BC_NAME_MAX 15   /* characters of a component name */
#define BC_MODULE_MAX 31 /* characters of a module name */
#define BC_LINE_MAX 255  /* characters of a line, the newline not counted */
#define BC_MAX_PORTALS 8
#define BC_MAX_IO 4
#define BC_MAX_IRQS 4
#define BC_QUOTA_MIN 16 /* a PD, its EC, SC, page tables and event portals */
#define BC_QUOTA_MAX 65536
#define BC_HEAP_MAX 65536
#define BC_PRIO_MAX 127
#define BC_PORT_MAX 0xffff
#define BC_IRQ_MAX 255
#define BC_WHAT_MAX 120 /* bytes of an error description */
#define BC_MSI_MAX 8     /* MSI capabilities per component */
#define BC_ARG_MAX 47    /* characters of arg= (lib/startinfo.h DJ_START_ARG_MAX - 1) */
#define BC_PCI_INDEX_MAX 255 /* K of pci=VVVV:DDDD#K */
#define BC_PCI_ALTS 4        /* alternatives of pci= (lib/proto.h DJ_SERVICE_CLIENT_PCI_ALTS) */

/* A virtual machine's line (bin= is the VMM; docs/vmm.md). Its guest RAM
 * (mem= MiB) is added to quota= when init creates the VMM's PD. */
#define BC_VM_MEM_MIN 16
#define BC_VM_MEM_MAX 3072 /* below the 3 GiB PCI hole of the VMM's memory map */
#define BC_VM_MEM_DEFAULT 256
#define BC_VM_VCPUS_MAX 4
#define BC_VM_PAGES_PER_MIB 256

struct bc_vm {
    bool is_vm;              /* kernel= given */
    char kernel[BC_MODULE_MAX + 1];  /* boot module: bzImage or multiboot image */
    char initrd[BC_MODULE_MAX + 1];  /* "" if none */
    char cmdline[BC_MODULE_MAX + 1]; /* module holding the guest command line, "" if none */
    uint32_t mem_mib;
    uint8_t vcpus;
};

struct bc_io_range {
    uint16_t first, last; /* inclusive */
};

struct bc_component {
    char name[BC_NAME_MAX + 1];
    char bin[BC_MODULE_MAX + 1];
    uint32_t quota;   /* kernel-memory quota in pages */
    uint32_t heap;    /* heap pages */
    uint8_t prio;
    uint8_t maxprio;  /* its PD's maximum priority (default: prio) */
    bool debug;       /* gets the kernel debug capability */
    bool devmem;      /* gets the device-memory capability */
    bool restart;     /* init builds it again when it dies */
    uint8_t nmsi;     /* MSI capabilities it gets */
    /* its PCI device: DJ_PCI_SEL_* values (lib/pci.h), the alternatives of
     * pci= in the order written, 0 after the last (all 0: no pci=) */
    uint64_t pci[BC_PCI_ALTS];
    char arg[BC_ARG_MAX + 1]; /* free argument, "" if none */
    char data[BC_MODULE_MAX + 1]; /* boot module mapped read-only for it (data=), "" if none */
    struct bc_vm vm;  /* kernel= lines only */
    bool serves;      /* a later line grants a portal to it */
    unsigned line;
    unsigned nportals, nio, nirqs;
    uint8_t portals[BC_MAX_PORTALS]; /* indices of earlier components */
    struct bc_io_range io[BC_MAX_IO];
    uint8_t irqs[BC_MAX_IRQS];
};

struct bc_config {
    unsigned count;  /* valid components, in line order */
    unsigned errors; /* lines skipped */
    struct bc_component c[BC_MAX_COMPONENTS];
};

struct bc_env {
    /* Told about every skipped line: its number (from 1) and what is wrong. */
    void (*error)(void *ctx, unsigned line, const char *what);
    /* Whether a boot module of this name exists (NULL: accept any name). */
    bool (*module_exists)(void *ctx, const char *name);
    void *ctx;
};

/* Parses len bytes of text (not NUL-terminated; a NUL byte is an error in
 * its line) into *out. */
void bc_parse(const char *text, size_t len, struct bc_config *out, const struct bc_env *env);

/* The index of the component named name in cfg, or -1. */
int bc_find(const struct bc_config *cfg, const char *name);

/* One line of a configuration text: its bytes (len, without the newline)
 * and how many of them are leading blanks (spaces, tabs). */
struct bc_text_line {
    const char *s;
    size_t len, indent;
};
/* The line at *pos of text[0, len) into *out and *pos past its newline;
 * false when *pos is at the end. */
bool bc_next_line(const char *text, size_t len, size_t *pos, struct bc_text_line *out);
