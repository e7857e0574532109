/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI server: enumerates PCI (ECAM or configuration mechanism 1),
 * prints one line per function, and hands each driver exactly the
 * function its boot configuration line names (docs/pci.md): filtered
 * configuration space, BARs as memory or port capabilities, resets.
 *
 * Its line needs io=0xcf8-0xcff (mechanism 1, and the reset delay) plus
 * the port ranges of the I/O BARs it hands out, devmem=yes (memory BARs,
 * ECAM) and debug=yes: it reports on the kernel debug console, because
 * most reports come from its portal handler, which cannot call the
 * console portal with the main EC's UTCB. */
#include "lib/component.h"
#include <stdio.h>
#include "lib/syscall.h"
#include "pci_access.h"
#include "pci_server.h"

#define HANDLER_STACK_BYTES 16384
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define SEL_SLEEP_SM DJ_CHILD_FIRST_FREE
#define LINE_MAX 200

struct pci_scan pci_devices;
struct pci_claims pci_owners;
struct pci_cfg pci_config;
const struct dj_start_info *pci_start;
char pci_client_names[PCI_MAX_CLIENTS + 1][DJ_START_NAME_MAX];

static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

static void warn(void *ctx, const char *line)
{
    (void)ctx;
    printf(PCI_LOG_PREFIX "%s\n", line);
}

static const char *bar_kind(const struct dj_pci_bar *b)
{
    if (b->flags & DJ_PCI_BAR_IO)
        return "io";
    return b->flags & DJ_PCI_BAR_64 ? "mem64" : "mem32";
}

/* "00:02.0 8086:10d3 class 020000 rev 00 msix pcie flr bar0 mem32 0xfebc0000+0x20000 ..." */
static void print_function(const struct pci_func *f)
{
    char line[LINE_MAX], where[8];
    pci_bdf_text(f->bdf, where, sizeof(where));
    int n = snprintf(line, sizeof(line), "%s %04x:%04x class %06x rev %02x%s%s%s%s%s%s", where, f->vendor, f->device,
                     f->class_rev >> 8, f->class_rev & 0xff, f->header_type == 1 ? " bridge" : "",
                     f->cap_msi ? " msi" : "", f->cap_msix ? " msix" : "", f->cap_pcie ? " pcie" : "",
                     f->flr ? " flr" : "", f->caps_bad ? " bad-caps" : "");
    for (unsigned i = 0; i < DJ_PCI_BARS && n > 0 && (size_t)n < sizeof(line); i++)
        if (f->bar[i].size)
            n += snprintf(line + n, sizeof(line) - (size_t)n, " bar%u %s 0x%llx+0x%llx", i, bar_kind(&f->bar[i]),
                          (unsigned long long)f->bar[i].base, (unsigned long long)f->bar[i].size);
    printf(PCI_LOG_PREFIX "%s\n", line);
}

int main(void)
{
    const char *how = "";
    pci_start = dj_start();
    if (!pci_start)
        return 1;
    if (!pci_access_init(pci_start, &pci_config, &how)) {
        puts(PCI_LOG_PREFIX "no way to configuration space: neither ECAM (devmem=yes and an ACPI MCFG table) nor "
                            "ports 0xcf8-0xcff (io=)");
        return 1;
    }
    struct pci_report report = {warn, NULL};
    pci_scan(&pci_config, &pci_devices, &report);
    for (unsigned i = 0; i < pci_devices.count; i++)
        print_function(&pci_devices.func[i]);
    if (pci_devices.left_out)
        printf(PCI_LOG_PREFIX "%u functions beyond the first %u left out\n", pci_devices.left_out, PCI_MAX_FUNCS);
    pci_claims_init(&pci_owners);
    enum dj_status st = dj_serve(pci_handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    if (st != DJ_OK) {
        printf(PCI_LOG_PREFIX "cannot offer its service (status %d)\n", st);
        return 1;
    }
    printf(PCI_LOG_PREFIX "%u functions on %u buses through %s; serving\n", pci_devices.count, pci_devices.buses,
           how);
    dj_block_forever(SEL_SLEEP_SM);
}
