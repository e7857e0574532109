// host-test-sources: servers/vmm/virtq.c servers/vmm/virtio_pci.c servers/vmm/virtio_net.c servers/vmm/pci_config.c
/* SPDX-License-Identifier: GPL-2.0-only */
// host-test-libs: -lpthread
/* A hostile guest against the VMM's virtio-net-pci device: descriptors
 * outside RAM, lengths that wrap, chains that loop or leave their table,
 * available indices that jump, head indices beyond the queue, bad queue
 * sizes and ring addresses, indirect descriptors (never offered), notifies for
 * queues that do not exist, MSI-X table accesses out of range, and random
 * rings and register writes. Each bad descriptor must set NEEDS_RESET and
 * stop the queue (nothing sent, no guest memory written), never touch
 * memory outside guest RAM (RAM is malloc'ed at its exact size: ASan)
 * and never crash; a reset makes the device usable again. */
#include <pthread.h>
#include "kernel/sched.h"
#include <time.h>
#include "vnet_harness.h"

#define FUZZ_ROUNDS 20000
#define FUZZ_SEED 0x766e6574u

static int setup(void **state)
{
    (void)state;
    setup_device();
    driver_queues_reset();
    bring_up(BASE_FEATURES | (1ull << VIRTIO_F_EVENT_IDX), true);
    return 0;
}

/* The device stopped: NEEDS_RESET, the driver told (config vector 0),
 * both queues dead, and it recovers after a reset and a new bring-up. */
static void assert_stopped_then_recovers(void)
{
    assert_true(needs_reset());
    assert_non_null(net->pci.error);
    assert_false(net->pci.queues[0].live);
    assert_false(net->pci.queues[1].live);
    assert_int_equal(msi_count_for(0), 1);
    unsigned sent = be.count;
    uint8_t f[64];
    make_frame(f, 64, 1);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DROPPED);
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, sent);
    /* Recovery */
    memset(gpa(RXQ_DESC), 0, 0x3000);
    memset(gpa(TXQ_DESC), 0, 0x3000);
    driver_queues_reset();
    bring_up(BASE_FEATURES, true);
    assert_false(needs_reset());
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, sent + 1);
}

static void tx_one_desc(uint64_t addr, uint32_t len)
{
    publish(&txq, put_desc(&txq, addr, len, 0, 0));
    notify(VIRTIO_NET_TXQ);
}

static void descriptor_outside_ram(void **state)
{
    (void)state;
    tx_one_desc(RAM_SIZE, 64);
    assert_int_equal(be.count, 0);
    assert_int_equal(used_idx(TXQ_USED), 0);
    assert_stopped_then_recovers();
}

static void descriptor_straddles_ram_end(void **state)
{
    (void)state;
    tx_one_desc(RAM_SIZE - 32, 64);
    assert_int_equal(be.count, 0);
    assert_stopped_then_recovers();
}

static void descriptor_length_wraps(void **state)
{
    (void)state;
    tx_one_desc(0xffffffffffffff00ull, 0x200); /* addr + len wraps to 0x100 */
    assert_int_equal(be.count, 0);
    assert_stopped_then_recovers();
}

static void rx_descriptor_outside_ram(void **state)
{
    (void)state;
    publish(&rxq, put_desc(&rxq, RAM_SIZE - 100, 1600, VIRTQ_DESC_F_WRITE, 0));
    uint8_t f[64];
    make_frame(f, 64, 2);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DROPPED);
    assert_int_equal(used_idx(RXQ_USED), 0);
    assert_stopped_then_recovers();
}

static void total_length_overflow(void **state)
{
    (void)state;
    /* Many huge descriptors over all of RAM: the sum passes 4 GiB. */
    uint16_t next = 0;
    for (unsigned i = 0; i < 200; i++)
        next = put_desc(&txq, 0, RAM_SIZE, i ? VIRTQ_DESC_F_NEXT : 0, next);
    publish(&txq, next);
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 0);
    assert_int_equal(net->stats.tx_dropped, 1); /* too long: dropped, not sent truncated */
    assert_false(needs_reset());
}

static void chain_loops(void **state)
{
    (void)state;
    *desc(TXQ_DESC, 0) = (struct virtq_desc){BUF_BASE, 8, VIRTQ_DESC_F_NEXT, 1};
    *desc(TXQ_DESC, 1) = (struct virtq_desc){BUF_BASE, 8, VIRTQ_DESC_F_NEXT, 0};
    publish(&txq, 0);
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 0);
    assert_stopped_then_recovers();
}

static void chain_self_loop_of_empty_descriptors(void **state)
{
    (void)state;
    /* Zero-length descriptors are skipped, but still counted. */
    *desc(TXQ_DESC, 5) = (struct virtq_desc){0, 0, VIRTQ_DESC_F_NEXT, 5};
    publish(&txq, 5);
    notify(VIRTIO_NET_TXQ);
    assert_stopped_then_recovers();
}

static void next_beyond_queue(void **state)
{
    (void)state;
    *desc(TXQ_DESC, 0) = (struct virtq_desc){BUF_BASE, 12, VIRTQ_DESC_F_NEXT, QSIZE};
    publish(&txq, 0);
    notify(VIRTIO_NET_TXQ);
    assert_stopped_then_recovers();
}

static void head_beyond_queue(void **state)
{
    (void)state;
    publish(&txq, QSIZE + 3);
    notify(VIRTIO_NET_TXQ);
    assert_stopped_then_recovers();
}

static void avail_index_jumps(void **state)
{
    (void)state;
    *avail_word(TXQ_AVAIL, 1) = QSIZE + 1;
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 0);
    assert_stopped_then_recovers();
}

static void avail_index_jumps_on_rx(void **state)
{
    (void)state;
    *avail_word(RXQ_AVAIL, 1) = 0x8000;
    uint8_t f[64];
    make_frame(f, 64, 3);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DROPPED);
    assert_stopped_then_recovers();
}

static void readable_after_writable(void **state)
{
    (void)state;
    uint16_t d1 = put_desc(&rxq, BUF_BASE, 100, 0, 0);
    uint16_t d0 = put_desc(&rxq, BUF_BASE + 0x800, 100, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, d1); /* too small alone */
    publish(&rxq, d0);
    uint8_t f[1514];
    make_frame(f, 1514, 4);
    assert_int_equal(virtio_net_receive(net, f, 1514), VIRTIO_NET_RX_DROPPED);
    assert_stopped_then_recovers();
}

/* Every descriptor with the INDIRECT flag stops the queue: the device
 * never offers VIRTIO_F_INDIRECT_DESC (these shapes once exercised its
 * table checks). */
static void indirect_cases(const struct virtq_desc *outer, const struct virtq_desc *table, unsigned n)
{
    memcpy(gpa(INDIRECT_BASE), table, n * sizeof(*table));
    *desc(TXQ_DESC, 7) = *outer;
    publish(&txq, 7);
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 0);
    assert_stopped_then_recovers();
}

static void indirect_nested(void **state)
{
    (void)state;
    struct virtq_desc t[2] = {{INDIRECT_BASE, 32, VIRTQ_DESC_F_INDIRECT, 0}, {0}};
    struct virtq_desc o = {INDIRECT_BASE, 32, VIRTQ_DESC_F_INDIRECT, 0};
    indirect_cases(&o, t, 2);
}

static void indirect_with_next(void **state)
{
    (void)state;
    struct virtq_desc t[1] = {{BUF_BASE, 100, 0, 0}};
    struct virtq_desc o = {INDIRECT_BASE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1};
    indirect_cases(&o, t, 1);
}

static void indirect_bad_length(void **state)
{
    (void)state;
    struct virtq_desc t[2] = {{BUF_BASE, 100, 0, 0}, {0}};
    struct virtq_desc o = {INDIRECT_BASE, 24, VIRTQ_DESC_F_INDIRECT, 0};
    indirect_cases(&o, t, 2);
}

static void indirect_outside_ram(void **state)
{
    (void)state;
    struct virtq_desc t[1] = {{BUF_BASE, 100, 0, 0}};
    struct virtq_desc o = {RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0};
    indirect_cases(&o, t, 1);
}

static void indirect_loop(void **state)
{
    (void)state;
    struct virtq_desc t[2] = {{BUF_BASE, 8, VIRTQ_DESC_F_NEXT, 1}, {BUF_BASE, 8, VIRTQ_DESC_F_NEXT, 0}};
    struct virtq_desc o = {INDIRECT_BASE, 32, VIRTQ_DESC_F_INDIRECT, 0};
    indirect_cases(&o, t, 2);
}

static void indirect_next_beyond_table(void **state)
{
    (void)state;
    struct virtq_desc t[2] = {{BUF_BASE, 8, VIRTQ_DESC_F_NEXT, 2}, {BUF_BASE, 8, 0, 0}};
    struct virtq_desc o = {INDIRECT_BASE, 32, VIRTQ_DESC_F_INDIRECT, 0};
    indirect_cases(&o, t, 2);
}

static void indirect_without_feature(void **state)
{
    (void)state;
    /* Renegotiate (the feature is not offered either way), then use it. */
    memset(gpa(TXQ_DESC), 0, 0x3000);
    memset(gpa(RXQ_DESC), 0, 0x3000);
    driver_queues_reset();
    bring_up(BASE_FEATURES, true);
    struct virtq_desc t[1] = {{BUF_BASE, 100, 0, 0}};
    struct virtq_desc o = {INDIRECT_BASE, 16, VIRTQ_DESC_F_INDIRECT, 0};
    msi.count = 0;
    indirect_cases(&o, t, 1);
}

/* Queue set-up errors, on a freshly reset device. */
static void fresh_queue(unsigned q)
{
    mmio_w(0x14, 1, 0);
    mmio_w(0x14, 1, 0x0b);
    mmio_w(0x16, 2, q);
}

static void queue_size_not_power_of_two(void **state)
{
    (void)state;
    static const uint16_t bad[] = {0, 3, 100, 255, 512, 0xffff};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fresh_queue(0);
        mmio_w(0x18, 2, bad[i]);
        mmio_w(0x20, 8, RXQ_DESC);
        mmio_w(0x28, 8, RXQ_AVAIL);
        mmio_w(0x30, 8, RXQ_USED);
        mmio_w(0x1c, 2, 1);
        assert_true(needs_reset());
        assert_false(net->pci.queues[0].live);
    }
    /* A smaller power of two is fine. */
    fresh_queue(0);
    mmio_w(0x18, 2, 16);
    mmio_w(0x20, 8, RXQ_DESC);
    mmio_w(0x28, 8, RXQ_AVAIL);
    mmio_w(0x30, 8, RXQ_USED);
    mmio_w(0x1c, 2, 1);
    assert_false(needs_reset());
    assert_true(net->pci.queues[0].live);
}

static void ring_addresses_checked(void **state)
{
    (void)state;
    static const struct {
        uint64_t d, a, u;
    } bad[] = {
        {RAM_SIZE, RXQ_AVAIL, RXQ_USED},              /* table outside RAM */
        {RAM_SIZE - 0x800, RXQ_AVAIL, RXQ_USED},      /* table runs past the end */
        {RXQ_DESC + 8, RXQ_AVAIL, RXQ_USED},          /* table misaligned */
        {RXQ_DESC, RAM_SIZE - 4, RXQ_USED},           /* available ring past the end */
        {RXQ_DESC, RXQ_AVAIL + 1, RXQ_USED},          /* available ring misaligned */
        {RXQ_DESC, RXQ_AVAIL, RXQ_USED + 2},          /* used ring misaligned */
        {RXQ_DESC, RXQ_AVAIL, 0xfffffffffffff000ull}, /* used ring far away */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fresh_queue(0);
        mmio_w(0x20, 4, (uint32_t)bad[i].d);
        mmio_w(0x24, 4, bad[i].d >> 32);
        mmio_w(0x28, 8, bad[i].a);
        mmio_w(0x30, 8, bad[i].u);
        mmio_w(0x1c, 2, 1);
        assert_true(needs_reset());
    }
}

static void geometry_fixed_while_enabled(void **state)
{
    (void)state;
    mmio_w(0x16, 2, 1);
    mmio_w(0x18, 2, 3);
    mmio_w(0x20, 8, RAM_SIZE * 4);
    assert_int_equal(mmio_r(0x18, 2), QSIZE);
    assert_int_equal(mmio_r(0x20, 4), TXQ_DESC);
    assert_false(needs_reset());
}

static void notify_nonexistent_queue(void **state)
{
    (void)state;
    for (unsigned q = 2; q < 64; q++)
        mmio_w(VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT, 2, q);
    mmio_w(VIRTIO_PCI_NOTIFY_OFF + 1, 1, 1); /* not at a queue's address */
    mmio_w(VIRTIO_PCI_NOTIFY_OFF, 8, 0);     /* too wide */
    assert_false(needs_reset());
    /* Selecting a queue that does not exist: size 0, writes ignored. */
    mmio_w(0x16, 2, 9);
    assert_int_equal(mmio_r(0x18, 2), 0);
    mmio_w(0x18, 2, 8);
    mmio_w(0x1c, 2, 1);
    assert_int_equal(mmio_r(0x1c, 2), 0);
    assert_false(needs_reset());
}

static void msix_table_out_of_range(void **state)
{
    (void)state;
    uint32_t before[VIRTIO_PCI_MAX_VECTORS][4];
    memcpy(before, net->pci.msix_table, sizeof(before));
    uint64_t pending = net->pci.msix_pending;
    /* Beyond the three entries, up to the PBA, and odd sizes. */
    for (uint64_t off = 3 * 16; off < VIRTIO_PCI_MSIX_PBA_OFF - VIRTIO_PCI_MSIX_TABLE_OFF; off += 4)
        mmio_w(VIRTIO_PCI_MSIX_TABLE_OFF + off, 4, 0xdeadbeef);
    mmio_w(VIRTIO_PCI_MSIX_TABLE_OFF, 2, 0xffff);
    mmio_w(VIRTIO_PCI_MSIX_TABLE_OFF + 1, 1, 0xff);
    mmio_w(VIRTIO_PCI_MSIX_PBA_OFF, 8, ~0ull); /* the PBA is read-only */
    assert_memory_equal(before, net->pci.msix_table, sizeof(before));
    assert_int_equal(net->pci.msix_pending, pending);
    assert_int_equal(mmio_r(VIRTIO_PCI_MSIX_TABLE_OFF + 3 * 16, 4), 0);
    /* Reserved bits of the vector control word do not stick. */
    mmio_w(VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 0xfffffffe);
    assert_int_equal(mmio_r(VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4), 0);
}

static void registers_misused(void **state)
{
    (void)state;
    /* Wrong sizes and offsets in the common configuration are ignored. */
    mmio_w(0x14, 4, 0);   /* status needs a byte write */
    mmio_w(0x16, 1, 1);
    mmio_w(0x15, 1, 0x55);
    mmio_w(0x12, 2, 9);
    assert_int_equal(status(), 0x0f);
    assert_int_equal(mmio_r(0x12, 2), 2);
    assert_int_equal(mmio_r(0x13, 2), 0); /* misaligned */
    assert_int_equal(mmio_r(0x38, 4), 0);
    assert_int_equal(mmio_r(0x7000, 4), 0);
    assert_int_equal(mmio_r(VIRTIO_PCI_BAR_SIZE - 1, 1), 0);
    /* The driver cannot clear NEEDS_RESET without a reset. */
    virtio_pci_fail(&net->pci, "test");
    mmio_w(0x14, 1, 0x0f);
    assert_true(needs_reset());
    /* Status bits written before FEATURES_OK do not negotiate anything. */
    assert_int_equal(mmio_r(0x14, 1) & 0x0f, 0x0f);
}

static void driver_ok_without_features_ok(void **state)
{
    (void)state;
    /* Reset, then DRIVER_OK straight away: nothing is processed. */
    mmio_w(0x14, 1, 0);
    mmio_w(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    setup_queue(VIRTIO_NET_TXQ, TXQ_DESC, TXQ_AVAIL, TXQ_USED, 2);
    uint8_t f[64];
    make_frame(f, 64, 12);
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 0);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DROPPED);
}

/* xorshift: reproducible */
static uint32_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint64_t random_addr(void)
{
    switch (rnd() % 4) {
    case 0: return rnd() % RAM_SIZE;
    case 1: return RAM_SIZE - rnd() % 4096;
    case 2: return ((uint64_t)rnd() << 32) | rnd();
    default: return BUF_BASE + rnd() % 0x10000;
    }
}

/* Random descriptor tables, rings and indices; both directions. */
static void fuzz_rings(void **state)
{
    (void)state;
    rng_state = FUZZ_SEED;
    uint8_t f[1518];
    make_frame(f, sizeof(f), 5);
    unsigned resets = 0;
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        uint64_t table = rnd() % 2 ? TXQ_DESC : RXQ_DESC;
        for (unsigned k = 0; k < 4; k++) {
            unsigned i = rnd() % QSIZE;
            *desc(table, i) = (struct virtq_desc){random_addr(), rnd() % 4 ? rnd() % 2048 : rnd(),
                                                  (uint16_t)(rnd() % 8), (uint16_t)(rnd() % 4 ? rnd() % QSIZE : rnd())};
        }
        if (rnd() % 8 == 0) { /* an indirect table somewhere */
            struct virtq_desc *t = (struct virtq_desc *)gpa(INDIRECT_BASE);
            for (unsigned k = 0; k < 8; k++)
                t[k] = (struct virtq_desc){random_addr(), rnd() % 2048, (uint16_t)(rnd() % 8), (uint16_t)(rnd() % 10)};
        }
        uint64_t avail = table == TXQ_DESC ? TXQ_AVAIL : RXQ_AVAIL;
        *avail_word(avail, 2 + rnd() % QSIZE) = (uint16_t)(rnd() % 8 ? rnd() % QSIZE : rnd());
        uint16_t *idx = avail_word(avail, 1);
        *idx = (uint16_t)(*idx + (rnd() % 16 ? rnd() % 3 : rnd()));
        if (rnd() % 2)
            notify(VIRTIO_NET_TXQ);
        else
            virtio_net_receive(net, f, 14 + rnd() % (sizeof(f) - 13));
        virtio_net_rx_flush(net);
        if (needs_reset()) {
            resets++;
            memset(gpa(RXQ_DESC), 0, 0x3000);
            memset(gpa(TXQ_DESC), 0, 0x3000);
            driver_queues_reset();
            msi.count = 0;
            bring_up(BASE_FEATURES | (1ull << VIRTIO_F_EVENT_IDX), true);
        }
        if (be.count == MAX_FRAMES)
            be.count = 0;
        if (msi.count > 900)
            msi.count = 0;
    }
    assert_true(resets > 0); /* the fuzzer reached the error paths */
}

/* Random configuration-space and BAR writes: no crash, no memory outside
 * the device's state touched (ASan), the identity stays. */
static void fuzz_registers(void **state)
{
    (void)state;
    rng_state = FUZZ_SEED ^ 0x1234;
    static const unsigned sizes[] = {1, 2, 4, 8, 3};
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        unsigned size = sizes[rnd() % 5];
        if (rnd() % 3 == 0) {
            unsigned reg = rnd() % 0x1100;
            cfg_w(reg, size, rnd());
            (void)cfg_r(rnd() % 0x1100, size);
        } else {
            uint64_t off = rnd() % VIRTIO_PCI_BAR_SIZE;
            if (rnd() % 4 == 0)
                off &= 0x3f;
            uint64_t v = ((uint64_t)rnd() << 32) | rnd();
            virtio_pci_bar_write(&net->pci, off, size, v);
            (void)virtio_pci_bar_read(&net->pci, rnd() % VIRTIO_PCI_BAR_SIZE, size);
        }
        if (msi.count > 900)
            msi.count = 0;
    }
    assert_int_equal(cfg_r(0, 4), 0x10411af4);
    assert_int_equal(cfg_r(0x34, 1), 0x40);
}

/* A second vCPU rewrites rings and descriptors while the device works
 * on them: the device copies each descriptor once, so whatever it sees
 * is checked as a whole; it must neither crash nor leave guest RAM. */
static volatile bool scribbling;
static pthread_t scribbler_thread;
static volatile unsigned scribbles;
#define SCRIBBLES_WANTED 200000u
/* On a loaded machine the scribbler may get little CPU: the device loop
 * yields now and then and runs until both sides did their share (and a
 * scribble forced a reset), within a wall-clock bound, not a round count. */
#define CONCURRENT_SECONDS_MAX 60
#define CONCURRENT_YIELD_EVERY 64u

static void *scribbler(void *arg)
{
    uint32_t x = (uint32_t)(uintptr_t)arg;
    while (__atomic_load_n(&scribbling, __ATOMIC_RELAXED)) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint64_t table = x & 1 ? TXQ_DESC : RXQ_DESC;
        volatile struct virtq_desc *d = (volatile struct virtq_desc *)gpa(table + 16ull * (x % QSIZE));
        d->addr = x & 2 ? (uint64_t)x * 4096 : BUF_BASE + (x % 0x8000);
        d->len = x & 4 ? x : x % 2048;
        d->flags = (uint16_t)(x >> 8) & 7;
        d->next = (uint16_t)(x >> 16);
        __atomic_fetch_add(&scribbles, 1, __ATOMIC_RELAXED);
        if ((x & 0xff) == 0) {
            volatile uint16_t *idx = (volatile uint16_t *)avail_word(x & 256 ? TXQ_AVAIL : RXQ_AVAIL, 1);
            *idx = (uint16_t)(*idx + 1 + (x >> 28));
        }
    }
    return NULL;
}

static void concurrent_scribbling(void **state)
{
    (void)state;
    __atomic_store_n(&scribbling, true, __ATOMIC_RELAXED);
    assert_int_equal(pthread_create(&scribbler_thread, NULL, scribbler, (void *)(uintptr_t)FUZZ_SEED), 0);
    uint8_t f[1518];
    make_frame(f, sizeof(f), 11);
    unsigned resets = 0;
    scribbles = 0;
    time_t give_up = time(NULL) + CONCURRENT_SECONDS_MAX;
    for (unsigned round = 0; round < FUZZ_ROUNDS || scribbles < SCRIBBLES_WANTED || resets == 0; round++) {
        if (round % CONCURRENT_YIELD_EVERY == 0) {
            sched_yield();
            if (time(NULL) > give_up)
                break;
        }
        notify(VIRTIO_NET_TXQ);
        virtio_net_receive(net, f, 14 + round % (sizeof(f) - 13));
        virtio_net_rx_flush(net);
        if (needs_reset()) {
            resets++;
            driver_queues_reset();
            msi.count = 0;
            bring_up_unchecked(BASE_FEATURES | (1ull << VIRTIO_F_EVENT_IDX), true);
        }
        if (be.count == MAX_FRAMES)
            be.count = 0;
        if (msi.count > 900)
            msi.count = 0;
    }
    if (resets == 0)
        fail_msg("no reset in %d s: %u scribbles", CONCURRENT_SECONDS_MAX, (unsigned)scribbles);
}

/* Also after a failed assertion: the thread must not outlive guest RAM. */
static int stop_scribbler(void **state)
{
    if (__atomic_load_n(&scribbling, __ATOMIC_RELAXED)) {
        __atomic_store_n(&scribbling, false, __ATOMIC_RELAXED);
        pthread_join(scribbler_thread, NULL);
    }
    return teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(descriptor_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(descriptor_straddles_ram_end, setup, teardown),
        cmocka_unit_test_setup_teardown(descriptor_length_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(rx_descriptor_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(total_length_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_loops, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_self_loop_of_empty_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(next_beyond_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(head_beyond_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(avail_index_jumps, setup, teardown),
        cmocka_unit_test_setup_teardown(avail_index_jumps_on_rx, setup, teardown),
        cmocka_unit_test_setup_teardown(readable_after_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_with_next, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_bad_length, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_next_beyond_table, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_without_feature, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_size_not_power_of_two, setup, teardown),
        cmocka_unit_test_setup_teardown(ring_addresses_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(geometry_fixed_while_enabled, setup, teardown),
        cmocka_unit_test_setup_teardown(notify_nonexistent_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(msix_table_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(registers_misused, setup, teardown),
        cmocka_unit_test_setup_teardown(driver_ok_without_features_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(fuzz_rings, setup, teardown),
        cmocka_unit_test_setup_teardown(fuzz_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_scribbling, setup, stop_scribbler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
