/* SPDX-License-Identifier: GPL-2.0-only */
/* The ESP wrapper as a Donjon component (docs/gateway.md). It starts
 * libsodium freestanding and runs the known-answer self-test
 * (esp_selftest.c: vectors from an independent ESP implementation),
 * printing PASS/FAIL lines (crypto_start.c). Without a data= module it
 * then rests; with one, the module is the gateway's configuration and it
 * becomes the gateway: two NIC-protocol sides it serves, the policy
 * between them (gw.h). The benchmarks are a program of their own
 * (wrappers/esp/bench), not part of this one. */
#include <console_client.h>
#include <component.h>
#include <runtime.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>

#include "../esp.h"
#include "esp_component.h"
#include "esp_selftest.h"
#include "gw.h"
#include "gw_proto.h"

#define SLEEP_SEL GW_SEL_SLEEP_SM
#define HANDLER_STACK_BYTES 16384
#define TSC_HZ_ASSUMED 2000000000ull /* as init assumes when the kernel could not calibrate */

struct gw_state gws;
static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

static void side_init(enum gw_side s, const char *name, const uint8_t own[GW_MAC_BYTES],
                      const uint8_t client[GW_MAC_BYTES])
{
    struct gw_link *l = &gws.side[s];
    l->name = name;
    memcpy(l->own_mac, own, GW_MAC_BYTES);
    memcpy(l->client_mac, client, GW_MAC_BYTES);
    l->server = (struct dj_chan_server){
        .pd_sel = DJ_SEL_SELF_PD,
        .va = GW_VA_CHANNEL(s),
        .sm_sel = GW_SEL_CHAN_SM(s),
        .max = {DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE},
        .wake_sm = GW_SEL_WAKE_SM,
    };
}

static bool start_sas(const struct dj_start_info *si)
{
    size_t bad = 0;
    enum esp_start_result r =
        gw_start(&gws.gw, &gws.cfg, &gw_seq_store, gw_seq_record_load, (void *)si, gws.set.seq_block, &bad);
    if (r != ESP_START_OK) {
        printf("esp: SA spi 0x%x (config line %u) does not start: %s: nothing is forwarded\n",
               gws.cfg.sas[bad].spi, gws.cfg.sa_line[bad], esp_start_result_name(r));
        return false;
    }
    for (size_t i = 0; i < gws.cfg.sa_count; i++)
        if (gw_sa_off(&gws.gw, i))
            printf("esp: SA spi 0x%x (config line %u) is off: %s; its packets are dropped (no_sa, unknown_spi)\n",
                   gws.cfg.sas[i].spi, gws.cfg.sa_line[i], esp_start_result_name(ESP_START_AEAD_NOT_ON_CPU));
    printf("esp: %lu SAs, %lu policies; generation %u%s\n", (unsigned long)gws.cfg.sa_count,
           (unsigned long)gws.cfg.policy_count, si->generation, gws.set.keys_fresh ? ", keys vouched fresh" : "");
    return true;
}

static void print_side(const struct gw_link *l)
{
    printf("esp: %s side: client %s, address %u.%u.%u.%u, neighbor %u.%u.%u.%u\n", l->name, l->client,
           l->own_addr >> 24, (l->own_addr >> 16) & 255, (l->own_addr >> 8) & 255, l->own_addr & 255,
           l->neighbor >> 24, (l->neighbor >> 16) & 255, (l->neighbor >> 8) & 255, l->neighbor & 255);
}

/* The restart test's hook (docs/gateway.md, "Tests"): with
 * arg=fault-once the first instance dies on purpose after its SAs
 * started (their first sequence blocks reserved), before it serves or
 * forwards anything; init restarts it (restart=yes), and the new instance
 * must resume above the marks init kept. Nothing but the boot configuration can ask for it. */
static void fault_once_for_test(const struct dj_start_info *si)
{
    if (strcmp(si->arg, "fault-once") != 0 || si->generation != 0)
        return;
    printf("esp: fault-once: dying on purpose (restart test)\n");
    *(volatile uint64_t *)(uintptr_t)ESP_CANARY_PAGE_VA = 0; /* the read-only page at 0 */
}

/* The gateway: configuration, SAs, the two sides, then the loop. */
static void gateway(const struct dj_start_info *si)
{
    static const uint8_t in_own[] = GW_MAC_INNER_OWN, in_client[] = GW_MAC_INNER_CLIENT;
    static const uint8_t out_own[] = GW_MAC_OUTER_OWN, out_client[] = GW_MAC_OUTER_CLIENT;
    side_init(GW_INNER, "inner", in_own, in_client);
    side_init(GW_OUTER, "outer", out_own, out_client);
    gws.tsc_hz = si->vm_tsc_hz ? si->vm_tsc_hz : TSC_HZ_ASSUMED;
    if (!gw_config_load((const char *)(uintptr_t)si->data.va, si->data.size))
        printf("esp: configuration refused: the gateway forwards nothing\n");
    else
        gws.running = start_sas(si);
    print_side(&gws.side[GW_INNER]);
    print_side(&gws.side[GW_OUTER]);
    enum dj_status st = dj_create_sm(GW_SEL_WAKE_SM, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_create_sm(GW_SEL_RESET_DONE_SM, DJ_SEL_SELF_PD, 0);
    for (unsigned s = 0; s < GW_SIDES && st == DJ_OK; s++)
        st = dj_chan_server_init(&gws.side[s].server);
    fault_once_for_test(si);
    gw_fault_configure(si);
    if (st == DJ_OK)
        st = dj_serve(gw_service_handler, handler_stack, sizeof(handler_stack), GW_VA_HANDLER_UTCB);
    if (st != DJ_OK) {
        printf("esp: cannot offer the gateway's service (status %d)\n", st);
        dj_block_forever(SLEEP_SEL);
    }
    printf("esp: gateway %s\n", gws.running ? "running" : "closed");
    gw_loop_run();
}

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    bool crypto = esp_component_crypto_start() && esp_component_selftest();
    if (!si->data.size)
        printf("esp: no configuration (a data= module): nothing to forward\n");
    else if (!crypto)
        printf("esp: the crypto failed its self-test: the gateway forwards nothing\n");
    else
        gateway(si);
    dj_block_forever(SLEEP_SEL);
}
