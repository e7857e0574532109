/* SPDX-License-Identifier: GPL-2.0-only */
/* The rogue driver (roguenic.h). Each attack aims the device at one
 * device address the rogue does not hold with the DMA right, through one
 * of four DMA paths: a transmit buffer and the descriptor table (the
 * device reads them), a receive buffer and the used ring (it writes
 * them). An attack passes when the kernel reports the fault to the
 * driver (the semaphore named at DJ_DEV_OP_ASSIGN is upped and
 * DJ_DEV_OP_FAULTS names that page as the latest fault, with bit 0 for a
 * receive buffer's write) and no data moved: a frame read from there comes
 * back (the NIC is looped) holding zeros, and the target's owner finds
 * its page unchanged. The kernel's console lines are checked by
 * tests/run-all (job qemu-rogue-dma) against the "aimed at" lines printed here. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "lib/component.h"
#include "lib/syscall.h"
#include "lib/x86.h"
#include "roguenic.h"
#include "rogue_device.h"

#define GEN0_DMA_VA DJ_CHILD_DMA_VA
#define GEN1_DMA_VA (DJ_CHILD_DMA_VA + (1ull << 30)) /* never a page of generation 0 */
#define KERNEL_IMAGE_PHYS 0x200000ull /* where the kernel is loaded (arch/x86_64/kernel.ld) */
#define FAULT_WAIT_US 2000000
#define PAGE_MASK (~(ROGUE_PAGE - 1))
#define WRITE_BIT 1ull
#define RX_FILL 0xee    /* a receive buffer before the device writes it */
#define FRAME_MARK 0x6b /* the payload of the rogue's own frames */
#define STORM_BURST 1 /* a kick per buffer: QEMU records one fault per pending record */
#define STORM_MIN_BURSTS 3000
#define STORM_MAX_BURSTS 100000
#define STORM_POLL_EVERY 64
#define STORM_SETTLE_US 100000
/* The kernel takes at most this many fault events per timer tick in a
 * storm (VTD_FAULT_EVENTS_PER_TICK, arch/x86_64/vtd.h), plus the one a
 * masked tick leaves pending; each event delivers what the unit recorded
 * (QEMU's unit: one record). */
#define KERNEL_FAULT_EVENTS_PER_TICK 8
#define UNIT_FAULT_RECORDS 1
#define FAULTS_PER_TICK_MAX ((KERNEL_FAULT_EVENTS_PER_TICK + 1) * UNIT_FAULT_RECORDS)
#define TICKS_SLACK 4
#define WHY_BYTES 200
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct tally t;
static uint64_t victim_pt;
/* The rogue's own pages: a frame to send and a buffer to receive into. */
static uint8_t *frame, *rx_buf;

static enum dj_status victim_call(struct dj_utcb **out, uint64_t op, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = op;
    u->words[1] = a;
    u->words[2] = b;
    u->words[3] = c;
    u->words[4] = d;
    uint64_t mtd;
    enum dj_status st = dj_call(victim_pt, DJ_MTD(VICTIM_WORDS_MAX, 0), &mtd);
    if (out)
        *out = u;
    return st == DJ_OK ? (enum dj_status)u->words[0] : st;
}

static uint64_t bus(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static uint64_t faults_now(void)
{
    uint64_t count = 0, last = 0;
    rogue_device_faults(&count, &last);
    return count;
}

/* Before an attack: no stale signal, the count to compare with. */
static uint64_t arm(void)
{
    while (dj_sm_try_down(ROGUE_SEL_FAULT_SM) == DJ_OK)
        ;
    return faults_now();
}

/* The kernel told the driver about a fault at page (write: 1 a write,
 * 0 a read, -1 either: the device may touch a ring both ways). */
static bool fault_reported(uint64_t before, uint64_t page, int write, char *why, size_t n)
{
    uint64_t count = 0, last = 0;
    if (dj_sm_down_timeout(ROGUE_SEL_FAULT_SM, FAULT_WAIT_US) != DJ_OK) {
        snprintf(why, n, "no fault signalled for %#lx", (unsigned long)page);
        return false;
    }
    rogue_device_faults(&count, &last);
    bool page_ok = (last & PAGE_MASK) == page, dir_ok = write < 0 || (last & WRITE_BIT) == (uint64_t)write;
    if (count <= before || !page_ok || !dir_ok) {
        snprintf(why, n, "DJ_DEV_OP_FAULTS: %lu faults (%lu before), latest %#lx, expected %#lx%s", (unsigned long)count,
                 (unsigned long)before, (unsigned long)last, (unsigned long)page,
                 write < 0 ? "" : write ? " (write)" : " (read)");
        return false;
    }
    return true;
}

static void prepare_frame(void)
{
    memset(frame, 0, ROGUE_NET_HDR);
    memset(frame + ROGUE_NET_HDR, FRAME_MARK, ROGUE_FRAME);
    memset(rx_buf, RX_FILL, ROGUE_RX_BYTES);
}

/* The looped frame in rx_buf: how many payload bytes are not zero. */
static unsigned nonzero_payload(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ROGUE_FRAME; i++)
        n += rx_buf[ROGUE_NET_HDR + i] != 0;
    return n;
}

/* The device reads a frame at addr and sends it; it comes back into the
 * rogue's own receive buffer: with the read refused, as zeros. */
static bool read_tx_buffer(uint64_t addr, char *why, size_t n)
{
    rogue_device_rx_drain();
    prepare_frame();
    if (rogue_device_up(rogue_queue_own()) != ROGUE_DONE) {
        snprintf(why, n, "the device did not come up");
        return false;
    }
    rogue_device_rx_post(bus(rx_buf));
    uint64_t before = arm();
    enum rogue_outcome o = rogue_device_tx(addr);
    if (!fault_reported(before, addr & PAGE_MASK, 0, why, n))
        return false;
    if (o == ROGUE_REFUSED)
        return true; /* the device itself gave up: nothing was sent */
    uint32_t len = 0;
    if (o != ROGUE_DONE || rogue_device_rx_wait(&len) != ROGUE_DONE) {
        snprintf(why, n, "transmit from %#lx: %s, and no frame came back", (unsigned long)addr, rogue_outcome_name(o));
        return false;
    }
    unsigned leaked = nonzero_payload();
    if (leaked) {
        snprintf(why, n, "the frame read from %#lx came back with %u nonzero bytes (first %#x)", (unsigned long)addr,
                 leaked, rx_buf[ROGUE_NET_HDR]);
        return false;
    }
    return true;
}

/* The device brought up with one of its transmit rings moved to addr
 * (at) sends the rogue's frame: it touches the ring there, in either
 * direction, and the frame never comes back where the rogue looks. */
static bool ring_moved_faults(struct rogue_queue_at at, uint64_t addr, char *why, size_t n)
{
    prepare_frame();
    uint64_t before = arm();
    if (rogue_device_up(at) == ROGUE_DONE)
        rogue_device_tx(bus(frame));
    return fault_reported(before, addr & PAGE_MASK, -1, why, n);
}

/* The descriptor table at addr: the device reads it when it looks for
 * the frame posted there. */
static bool read_descriptors(uint64_t addr, char *why, size_t n)
{
    struct rogue_queue_at at = rogue_queue_own();
    at.desc = addr;
    return ring_moved_faults(at, addr, why, n);
}

/* The device receives the rogue's own frame into a buffer at addr. */
static bool write_rx_buffer(uint64_t addr, char *why, size_t n)
{
    prepare_frame();
    if (rogue_device_up(rogue_queue_own()) != ROGUE_DONE) {
        snprintf(why, n, "the device did not come up");
        return false;
    }
    rogue_device_rx_post(addr);
    uint64_t before = arm();
    rogue_device_tx(bus(frame));
    uint32_t len;
    rogue_device_rx_wait(&len); /* whatever the device believes */
    return fault_reported(before, addr & PAGE_MASK, 1, why, n);
}

/* The used ring at addr: the device writes there when it returns the
 * frame (and reads its flags first). */
static bool write_used_ring(uint64_t addr, char *why, size_t n)
{
    struct rogue_queue_at at = rogue_queue_own();
    at.used = addr;
    return ring_moved_faults(at, addr, why, n);
}

typedef bool (*attack_fn)(uint64_t addr, char *why, size_t n);
struct path {
    const char *name;
    attack_fn fn;
};
static const struct path reads[] = {{"read (transmit buffer)", read_tx_buffer},
                                    {"read (descriptor table)", read_descriptors}};
static const struct path writes[] = {{"write (receive buffer)", write_rx_buffer}, {"write (used ring)", write_used_ring}};
static const struct path tx_rx[] = {{"read (transmit buffer)", read_tx_buffer}, {"write (receive buffer)", write_rx_buffer}};

/* Every path at addr must be blocked: one test line. */
static bool attack(const char *name, const char *what, uint64_t addr, const struct path *paths, unsigned npaths)
{
    char why[WHY_BYTES] = "";
    bool ok = true;
    for (unsigned i = 0; ok && i < npaths; i++) {
        say("aimed at %s %#lx: %s", what, (unsigned long)addr, paths[i].name);
        ok = paths[i].fn(addr, why, sizeof(why));
    }
    report(&t, ok, name, "%s", why);
    return ok;
}

/* The device and the loop work with the rogue's own pages: a frame goes
 * out and comes back whole (else a "blocked" would prove nothing). */
static bool own_pages_work(const char *name)
{
    unsigned stale = rogue_device_rx_drain();
    if (stale)
        say("%u frames still came back from before", stale);
    prepare_frame();
    enum rogue_outcome o = rogue_device_up(rogue_queue_own()), r = ROGUE_BROKEN;
    uint32_t len = 0;
    if (o == ROGUE_DONE) {
        rogue_device_rx_post(bus(rx_buf));
        o = rogue_device_tx(bus(frame));
    }
    if (o == ROGUE_DONE)
        r = rogue_device_rx_wait(&len);
    unsigned marked = 0;
    for (unsigned i = 0; i < ROGUE_FRAME; i++)
        marked += rx_buf[ROGUE_NET_HDR + i] == FRAME_MARK;
    bool ok = o == ROGUE_DONE && r == ROGUE_DONE && marked == ROGUE_FRAME;
    report(&t, ok, name, "transmit: %s, receive: %s, %u of %u bytes came back", rogue_outcome_name(o),
           rogue_outcome_name(r), marked, ROGUE_FRAME);
    return ok;
}

static void victim_check(enum victim_check which)
{
    enum dj_status st = victim_call(0, VICTIM_OP_CHECK, which, 0, 0, 0);
    if (st != DJ_OK)
        say("the victim reports its page changed or did not answer (status %d)", st);
}

static void send_results(bool last)
{
    victim_call(0, VICTIM_OP_RESULTS, t.passed, t.failed, t.skipped, last);
    t = (struct tally){0, 0, 0};
}

__attribute__((noreturn)) static void end(void)
{
    send_results(true);
    dj_block_forever(ROGUE_SEL_SLEEP_SM);
}

/* (c) of the attacks: a page it held with the DMA right, read by the
 * device, then only its DMA right revoked (the rogue still uses it), and
 * one given back entirely. */
static void revoked_pages(void)
{
    uint8_t *kept = rogue_dma_page(), *returned = rogue_dma_page();
    uint64_t k = bus(kept), r = bus(returned);
    if (!kept || !returned) {
        report(&t, false, "rogue_dma_revoked_page_blocked", "no pages");
        return;
    }
    /* Both pages are the device's first: it reads frames from them. */
    memset(kept, 0, ROGUE_NET_HDR);
    memset(kept + ROGUE_NET_HDR, FRAME_MARK, ROGUE_PAGE - ROGUE_NET_HDR);
    memcpy(returned, kept, ROGUE_PAGE);
    prepare_frame();
    bool used = rogue_device_up(rogue_queue_own()) == ROGUE_DONE && rogue_device_tx(k) == ROGUE_DONE &&
                rogue_device_tx(r) == ROGUE_DONE;
    report(&t, used, "rogue_dma_pages_before_revoke_work", "the device did not read them");

    enum dj_status st = dj_revoke(DJ_CRD(DJ_CRD_MEM, k / ROGUE_PAGE, 0, DJ_MEM_DMA), true);
    if (st != DJ_OK) {
        report(&t, false, "rogue_dma_revoked_page_blocked", "revoking the DMA right: status %d", st);
    } else if (attack("rogue_dma_revoked_page_blocked", "its page whose DMA right it revoked", k, tx_rx,
                      COUNT(tx_rx))) {
        unsigned changed = 0;
        for (unsigned i = ROGUE_NET_HDR; i < ROGUE_PAGE; i++)
            changed += kept[i] != FRAME_MARK;
        report(&t, changed == 0, "rogue_dma_revoked_page_unchanged", "%u bytes changed", changed);
    }
    st = dj_revoke(DJ_CRD(DJ_CRD_MEM, r / ROGUE_PAGE, 0, DJ_MEM_ALL | DJ_MEM_DMA), true);
    if (st == DJ_OK)
        attack("rogue_dma_returned_page_blocked", "a page it gave back", r, tx_rx, COUNT(tx_rx));
    else
        report(&t, false, "rogue_dma_returned_page_blocked", "giving the page back: status %d", st);
}

/* Generation 0: the attacks on the victim, the kernel and its own pages;
 * then it faults on purpose (init restarts it). */
__attribute__((noreturn)) static void first_instance(uint64_t victim_phys)
{
    if (!own_pages_work("rogue_dma_own_pages_work"))
        end();
    attack("rogue_dma_read_other_pd_blocked", "the victim's page (physical)", victim_phys, reads, COUNT(reads));
    victim_check(VICTIM_CHECK_AFTER_READS);
    attack("rogue_dma_write_other_pd_blocked", "the victim's page (physical)", victim_phys, writes, COUNT(writes));
    victim_check(VICTIM_CHECK_AFTER_WRITES);
    attack("rogue_dma_read_kernel_blocked", "the kernel image", KERNEL_IMAGE_PHYS, reads, COUNT(reads));
    attack("rogue_dma_write_kernel_blocked", "the kernel image", KERNEL_IMAGE_PHYS + ROGUE_PAGE, writes, COUNT(writes));
    revoked_pages();
    /* For the next instance: the page its frames came from. */
    uint64_t phys = 0;
    dj_mem_phys(bus(frame), &phys, 0);
    victim_call(0, VICTIM_OP_STASH, bus(frame), phys, 0, 0);
    send_results(false);
    say("generation 0: its device read page %p (physical %#lx); faulting on purpose now", (void *)frame,
        (unsigned long)phys);
    __asm__ volatile("ud2");
    __builtin_unreachable();
}

/* Generation 1: the old instance's pages are out of reach; its own work. */
static void after_restart(void)
{
    struct dj_utcb *u;
    uint64_t old_va = 0, old_phys = 0;
    if (victim_call(&u, VICTIM_OP_UNSTASH, 0, 0, 0, 0) == DJ_OK) {
        old_va = u->words[1];
        old_phys = u->words[2];
    }
    bool works = own_pages_work("rogue_restart_new_pages_work");
    if (!old_va || !old_phys) {
        report(&t, false, "rogue_restart_old_pages_blocked", "generation 0 left no addresses");
    } else if (works) {
        char why[WHY_BYTES] = "";
        say("aimed at generation 0's page %#lx (physical %#lx): read and write", (unsigned long)old_va,
            (unsigned long)old_phys);
        bool ok = read_tx_buffer(old_va, why, sizeof(why)) && write_rx_buffer(old_va, why, sizeof(why)) &&
                  read_tx_buffer(old_phys, why, sizeof(why));
        report(&t, ok, "rogue_restart_old_pages_blocked", "%s", why);
    }
    victim_check(VICTIM_CHECK_AFTER_RESTART);
}

/* Bursts of transmit buffers at the victim's page and the kernel image,
 * each read refused and reported, while the victim proves it still runs;
 * then a single fault must still be reported (fault events are not left
 * masked) and the device must still work. */
static void storm(uint64_t victim_phys)
{
    unsigned bursts = 0, unanswered = 0;
    bool progress_done = false;
    uint64_t before = faults_now(), round_tsc = 0, t0 = rdtsc();
    say("fault storm: bursts of %u transmit buffers at the victim's page and the kernel image", STORM_BURST);
    if (rogue_device_up(rogue_queue_own()) != ROGUE_DONE) {
        report(&t, false, "rogue_dma_fault_storm", "the device did not come up");
        return;
    }
    while (bursts < STORM_MAX_BURSTS && (bursts < STORM_MIN_BURSTS || !progress_done)) {
        uint64_t addr = bursts & 1 ? KERNEL_IMAGE_PHYS : victim_phys;
        enum rogue_outcome o = rogue_device_tx_burst(addr, STORM_BURST);
        if (o != ROGUE_DONE) {
            unanswered++;
            if (rogue_device_up(rogue_queue_own()) != ROGUE_DONE)
                break;
        }
        bursts++;
        if (bursts % STORM_POLL_EVERY == 0) {
            struct dj_utcb *u;
            if (victim_call(&u, VICTIM_OP_PROGRESS, 0, 0, 0, 0) == DJ_OK) {
                progress_done = u->words[1];
                round_tsc = u->words[3];
            }
        }
    }
    uint64_t delivered = faults_now() - before, elapsed = rdtsc() - t0;
    /* The storm's length in timer ticks, from the victim's quiet rounds:
     * the fault events the kernel took in that time are bounded. */
    uint64_t ticks = round_tsc ? elapsed * ROGUE_ROUND_TICKS / round_tsc + TICKS_SLACK : 0;
    report(&t, ticks && delivered <= ticks * FAULTS_PER_TICK_MAX, "rogue_dma_storm_fault_events_bounded",
           "%lu faults delivered in about %lu timer ticks: more than %u a tick", (unsigned long)delivered,
           (unsigned long)ticks, FAULTS_PER_TICK_MAX);
    report(&t, progress_done && bursts >= STORM_MIN_BURSTS, "rogue_dma_fault_storm",
           "%u bursts (%u unanswered), the victim %s", bursts, unanswered,
           progress_done ? "made progress" : "did not finish its rounds");
    say("fault storm: %u refused DMA reads in %u bursts, about %lu timer ticks; %lu faults reported to the driver",
        bursts * STORM_BURST, bursts, (unsigned long)ticks, (unsigned long)delivered);

    dj_sm_down_timeout(ROGUE_SEL_SLEEP_SM, STORM_SETTLE_US);
    attack("rogue_dma_fault_reported_after_storm", "the victim's page after the storm", victim_phys, reads, 1);
    own_pages_work("rogue_dma_device_works_after_storm");
    victim_check(VICTIM_CHECK_AFTER_STORM);
}

__attribute__((noreturn)) void rogue_main(const struct dj_start_info *si)
{
    struct dj_utcb *u;
    uint64_t victim_phys = 0;
    if (!dj_start_cap("victim", &victim_pt) || victim_call(&u, VICTIM_OP_TARGET, 0, 0, 0, 0) != DJ_OK) {
        dj_debug_puts("FAIL rogue_dma_setup: no \"victim\" portal or no answer\n");
        dj_block_forever(ROGUE_SEL_SLEEP_SM);
    }
    victim_phys = u->words[2];
    if (!si->dma_bits) {
        report_skip(&t, "rogue_dma", "VT-d is off: a device reaches any memory (drivers are trusted)");
        end();
    }
    if (dj_create_sm(ROGUE_SEL_FAULT_SM, DJ_SEL_SELF_PD, 0) != DJ_OK ||
        !rogue_device_open(si, si->generation ? GEN1_DMA_VA : GEN0_DMA_VA, ROGUE_SEL_FAULT_SM) ||
        !(frame = rogue_dma_page()) || !(rx_buf = rogue_dma_page())) {
        report(&t, false, "rogue_dma_setup", "the device could not be set up (see above)");
        end();
    }
    say("generation %u: virtio-net assigned to its own DMA space; the victim's page is at %#lx", (unsigned)si->generation,
        (unsigned long)victim_phys);
    if (si->generation == 0)
        first_instance(victim_phys);
    after_restart();
    storm(victim_phys);
    end();
}
