// host-test-sources: servers/vmm/virtq.c servers/vmm/virtio_pci.c servers/vmm/virtio_net.c servers/vmm/pci_config.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's virtio-net-pci device: PCI identity, capabilities and BAR
 * sizing; feature negotiation; frames sent and received through split
 * rings (single buffers, chains) with MSI-X (no INTx)
 * interrupts, EVENT_IDX suppression and back-pressure from the backend.
 * The hostile cases are in test_virtio_net_hostile.c. */
#include "vnet_harness.h"

static int setup(void **state)
{
    (void)state;
    setup_device();
    driver_queues_reset();
    return 0;
}

static void identity_and_capabilities(void **state)
{
    (void)state;
    assert_int_equal(cfg_r(0x00, 2), 0x1af4);
    assert_int_equal(cfg_r(0x02, 2), 0x1041);
    assert_int_equal(cfg_r(0x08, 1), 1);
    assert_int_equal(cfg_r(0x08, 4) >> 8, 0x020000);
    assert_int_equal(cfg_r(0x2c, 2), 0x1af4);
    assert_int_equal(cfg_r(0x3d, 1), 0); /* no INTx pin: MSI-X only */
    assert_true(cfg_r(0x06, 2) & 0x10);  /* capability list */
    struct caps c = walk_caps();
    assert_int_not_equal(c.msix, 0);
    assert_int_equal(cfg_r(c.msix + 2, 2) & 0x7ff, 2); /* three vectors */
    assert_int_equal(c.isr, VIRTIO_PCI_ISR_OFF);
    assert_int_equal(c.device, VIRTIO_PCI_DEVCFG_OFF);
    assert_int_equal(c.notify, VIRTIO_PCI_NOTIFY_OFF);
    assert_int_equal(c.notify_mult, VIRTIO_PCI_NOTIFY_MULT);
    assert_int_not_equal(c.pci_cfg, 0);
    assert_true(c.device_len >= 8);
    /* Extended configuration space is empty (misaligned accesses never
     * get here: the host bridge refuses them, test_vmm_pci). */
    assert_int_equal(cfg_r(0x100, 4), 0);
}

static void bar_sizing_and_mapping(void **state)
{
    (void)state;
    /* Decoding is off until the OS turns it on. */
    assert_int_equal(bus.count, 0);
    size_and_enable_bar();
    assert_int_equal(bus.count, 1);
    assert_int_equal(mmio_r(0x12, 2), 2); /* num_queues through the bus */
    /* Moving the BAR moves the claimed range. */
    cfg_w(0x10, 4, 0xfd000000u);
    assert_int_equal(bus.count, 1);
    assert_int_equal(bus.r[0].base, 0xfd000000u);
    assert_int_equal(vmm_bus_read(&bus, 0xfd000000u + 0x12, 2), 2);
    assert_int_equal(mmio_r(0x12, 2), 0xffff); /* nothing at the old address */
    /* Decoding off: nothing on the bus. */
    cfg_w(0x04, 2, 0);
    assert_int_equal(bus.count, 0);
    /* A BAR overlapping another device's range stays off the bus. */
    assert_true(vmm_bus_add(&bus, BAR_ADDR, 0x1000, NULL, NULL, &bus));
    cfg_w(0x10, 4, BAR_ADDR);
    cfg_w(0x04, 2, 2);
    assert_int_equal(bus.count, 1);
    assert_false(net->pci.cfg.mapped);
    /* Low bits of the BAR are not writable; the other BARs read 0. */
    cfg_w(0x14, 4, 0xffffffffu);
    assert_int_equal(cfg_r(0x14, 4), 0);
    cfg_w(0x10, 4, 0x12345678u);
    assert_int_equal(cfg_r(0x10, 4), 0x12340000u & ~(VIRTIO_PCI_BAR_SIZE - 1));
}

static void feature_negotiation(void **state)
{
    (void)state;
    size_and_enable_bar();
    mmio_w(0x14, 1, 3);
    mmio_w(0x00, 4, 0);
    uint32_t lo = (uint32_t)mmio_r(0x04, 4);
    mmio_w(0x00, 4, 1);
    uint32_t hi = (uint32_t)mmio_r(0x04, 4);
    assert_true(lo & (1u << VIRTIO_NET_F_MAC));
    assert_true(lo & (1u << VIRTIO_NET_F_STATUS));
    assert_true(lo & (1u << VIRTIO_F_EVENT_IDX));
    assert_false(lo & (1u << VIRTIO_F_INDIRECT_DESC)); /* not offered */
    assert_false(lo & 1u); /* no checksum offload */
    assert_false(lo & (1u << 15)); /* no mergeable buffers */
    assert_int_equal(hi, 1); /* VERSION_1 only */
    mmio_w(0x00, 4, 7);
    assert_int_equal(mmio_r(0x04, 4), 0);

    /* Without VERSION_1 FEATURES_OK does not stick. */
    mmio_w(0x08, 4, 0);
    mmio_w(0x0c, 4, 1u << VIRTIO_NET_F_MAC);
    mmio_w(0x14, 1, 0x0b);
    assert_false(status() & VIRTIO_STATUS_FEATURES_OK);
    /* Nor with a feature not offered. */
    mmio_w(0x14, 1, 0);
    mmio_w(0x14, 1, 3);
    mmio_w(0x08, 4, 1);
    mmio_w(0x0c, 4, 1 | 2);
    mmio_w(0x14, 1, 0x0b);
    assert_false(status() & VIRTIO_STATUS_FEATURES_OK);
    /* VERSION_1 and MAC: accepted, and fixed from then on. */
    mmio_w(0x14, 1, 0);
    mmio_w(0x14, 1, 3);
    mmio_w(0x08, 4, 1);
    mmio_w(0x0c, 4, 1);
    mmio_w(0x08, 4, 0);
    mmio_w(0x0c, 4, 1u << VIRTIO_NET_F_MAC);
    mmio_w(0x14, 1, 0x0b);
    assert_true(status() & VIRTIO_STATUS_FEATURES_OK);
    mmio_w(0x0c, 4, 0);
    assert_int_equal(mmio_r(0x0c, 4), 1u << VIRTIO_NET_F_MAC);

    /* The MAC and the link state in the device configuration. */
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(mmio_r(VIRTIO_PCI_DEVCFG_OFF + i, 1), test_mac[i]);
    assert_int_equal(mmio_r(VIRTIO_PCI_DEVCFG_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
    uint8_t gen = (uint8_t)mmio_r(0x15, 1);
    virtio_net_set_link(net, false);
    assert_int_equal(mmio_r(VIRTIO_PCI_DEVCFG_OFF + 6, 2), 0);
    assert_int_not_equal(mmio_r(0x15, 1), gen);
    /* Device configuration is read-only; beyond it reads 0. */
    mmio_w(VIRTIO_PCI_DEVCFG_OFF, 1, 0);
    assert_int_equal(mmio_r(VIRTIO_PCI_DEVCFG_OFF, 1), test_mac[0]);
    assert_int_equal(mmio_r(VIRTIO_PCI_DEVCFG_OFF + 8, 4), 0);
}

static void transmit_frames(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    uint8_t f[1514];
    /* One buffer with header and frame. */
    make_frame(f, 60, 1);
    uint64_t a = tx_buffer(0, f, 60);
    publish(&txq, put_desc(&txq, a, VIRTIO_NET_HDR_LEN + 60, 0, 0));
    /* Header and frame in two descriptors, the frame split again. */
    make_frame(f, 1514, 2);
    a = tx_buffer(1, f, 1514);
    uint16_t d2 = put_desc(&txq, a + VIRTIO_NET_HDR_LEN + 1000, 514, 0, 0);
    uint16_t d1 = put_desc(&txq, a + VIRTIO_NET_HDR_LEN, 1000, VIRTQ_DESC_F_NEXT, d2);
    uint16_t d0 = put_desc(&txq, a, VIRTIO_NET_HDR_LEN, VIRTQ_DESC_F_NEXT, d1);
    publish(&txq, d0);
    notify(VIRTIO_NET_TXQ);

    assert_int_equal(be.count, 2);
    assert_int_equal(be.len[0], 60);
    make_frame(f, 60, 1);
    assert_memory_equal(be.frame[0], f, 60);
    make_frame(f, 1514, 2);
    assert_int_equal(be.len[1], 1514);
    assert_memory_equal(be.frame[1], f, 1514);
    assert_int_equal(be.flushes, 1);
    /* Both back in the used ring, heads in order, one interrupt. */
    assert_int_equal(used_idx(TXQ_USED), 2);
    assert_int_equal(used_elem(TXQ_USED, 0)->id, 0);
    assert_int_equal(used_elem(TXQ_USED, 1)->id, d0);
    assert_int_equal(msi_count_for(2), 1);
    assert_int_equal(net->stats.tx_frames, 2);
    assert_false(needs_reset());
}

static void transmit_drops_bad_lengths(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    uint8_t f[1600];
    make_frame(f, sizeof(f), 4);
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 13), VIRTIO_NET_HDR_LEN + 13, 0, 0));   /* runt */
    publish(&txq, put_desc(&txq, tx_buffer(1, f, 1519), VIRTIO_NET_HDR_LEN + 1519, 0, 0)); /* too long */
    publish(&txq, put_desc(&txq, tx_buffer(2, f, 1518), VIRTIO_NET_HDR_LEN + 1518, 0, 0)); /* VLAN-sized */
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 1);
    assert_int_equal(be.len[0], 1518);
    assert_int_equal(net->stats.tx_dropped, 2);
    assert_int_equal(used_idx(TXQ_USED), 3); /* dropped ones are returned too */
    assert_false(needs_reset());
}

static void receive_frames(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    post_rx(4, VIRTIO_NET_HDR_LEN + 1518);
    notify(VIRTIO_NET_RXQ);
    assert_int_equal(be.rx_ready, 2); /* DRIVER_OK, then the notify */
    uint8_t f[1514];
    for (unsigned i = 0; i < 3; i++) {
        make_frame(f, 64 + 700 * i, 10 + i);
        assert_int_equal(virtio_net_receive(net, f, 64 + 700 * i), VIRTIO_NET_RX_DONE);
    }
    assert_int_equal(msi_count_for(1), 0); /* not before the flush */
    virtio_net_rx_flush(net);
    assert_int_equal(msi_count_for(1), 1);
    assert_int_equal(used_idx(RXQ_USED), 3);
    for (unsigned i = 0; i < 3; i++) {
        struct virtq_used_elem *e = used_elem(RXQ_USED, i);
        size_t len = 64 + 700 * i;
        assert_int_equal(e->len, VIRTIO_NET_HDR_LEN + len);
        const uint8_t *buf = gpa(desc(RXQ_DESC, e->id)->addr);
        uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};
        hdr[10] = 1; /* num_buffers */
        assert_memory_equal(buf, hdr, VIRTIO_NET_HDR_LEN);
        make_frame(f, len, 10 + i);
        assert_memory_equal(buf + VIRTIO_NET_HDR_LEN, f, len);
    }
    /* Bad lengths are dropped without taking a buffer. */
    assert_int_equal(virtio_net_receive(net, f, 13), VIRTIO_NET_RX_DROPPED);
    assert_int_equal(virtio_net_receive(net, f, 1519), VIRTIO_NET_RX_DROPPED);
    assert_int_equal(used_idx(RXQ_USED), 3);
    /* A buffer too small: returned empty, frame dropped, no reset. */
    assert_int_equal(virtio_net_receive(net, f, 14), VIRTIO_NET_RX_DONE);
    post_rx(1, 20);
    assert_int_equal(virtio_net_receive(net, f, 100), VIRTIO_NET_RX_DROPPED);
    assert_int_equal(used_elem(RXQ_USED, 4)->len, 0);
    assert_false(needs_reset());
}

static void receive_scatters_over_chains(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    /* Header alone, then two pieces of 700 and 900 bytes. */
    uint64_t b = BUF_BASE + 0x40000;
    uint16_t d2 = put_desc(&rxq, b + 0x1000, 900, VIRTQ_DESC_F_WRITE, 0);
    uint16_t d1 = put_desc(&rxq, b + 0x800, 700, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, d2);
    uint16_t d0 = put_desc(&rxq, b, VIRTIO_NET_HDR_LEN, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, d1);
    publish(&rxq, d0);
    /* 4 writable pieces of 400 bytes. */
    uint16_t p = 0;
    for (unsigned i = 4; i-- > 0;)
        p = put_desc(&rxq, b + 0x2000 + 0x200 * i, 400, (uint16_t)(VIRTQ_DESC_F_WRITE | (i < 3 ? VIRTQ_DESC_F_NEXT : 0)), p);
    publish(&rxq, p);
    uint8_t f[1514];
    make_frame(f, 1514, 20);
    assert_int_equal(virtio_net_receive(net, f, 1514), VIRTIO_NET_RX_DONE);
    assert_memory_equal(gpa(b + 0x800), f, 700);
    assert_memory_equal(gpa(b + 0x1000), f + 700, 814);
    assert_int_equal(used_elem(RXQ_USED, 0)->len, VIRTIO_NET_HDR_LEN + 1514);
    make_frame(f, 1000, 21);
    assert_int_equal(virtio_net_receive(net, f, 1000), VIRTIO_NET_RX_DONE);
    assert_memory_equal(gpa(b + 0x2000 + VIRTIO_NET_HDR_LEN), f, 400 - VIRTIO_NET_HDR_LEN);
    assert_memory_equal(gpa(b + 0x2200), f + 388, 400);
    assert_memory_equal(gpa(b + 0x2400), f + 788, 212);
    assert_int_equal(used_elem(RXQ_USED, 1)->len, VIRTIO_NET_HDR_LEN + 1000);
    assert_false(needs_reset());
}

static void receive_waits_for_buffers(void **state)
{
    (void)state;
    uint8_t f[64];
    make_frame(f, 64, 30);
    /* Before DRIVER_OK a frame is dropped (the device is not live). */
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DROPPED);
    bring_up(BASE_FEATURES | (1ull << VIRTIO_F_EVENT_IDX), true);
    unsigned ready = be.rx_ready;
    post_rx(2, 1600);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_NO_BUFFER);
    /* The device asked to hear about the next buffer (avail_event = 2). */
    assert_int_equal(*(uint16_t *)gpa(RXQ_USED + 4 + 8 * QSIZE), 2);
    post_rx(1, 1600);
    notify(VIRTIO_NET_RXQ);
    assert_int_equal(be.rx_ready, ready + 1);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE);
    assert_int_equal(net->stats.rx_no_buffer, 1);
}

static void transmit_back_pressure(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    uint8_t f[100];
    for (unsigned i = 0; i < 5; i++) {
        make_frame(f, 100, 40 + i);
        publish(&txq, put_desc(&txq, tx_buffer(i, f, 100), VIRTIO_NET_HDR_LEN + 100, 0, 0));
    }
    be.room = 2;
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 2);
    assert_int_equal(used_idx(TXQ_USED), 2); /* the third stays the guest's */
    assert_true(net->tx_blocked);
    notify(VIRTIO_NET_TXQ); /* still blocked: nothing happens */
    assert_int_equal(be.count, 2);
    be.room = 100;
    virtio_net_tx_resume(net);
    assert_int_equal(be.count, 5);
    assert_int_equal(used_idx(TXQ_USED), 5);
    for (unsigned i = 0; i < 5; i++) {
        make_frame(f, 100, 40 + i);
        assert_memory_equal(be.frame[i], f, 100);
    }
}

/* No INTx: without MSI-X the driver hears nothing, and the ISR reads 0. */
static void no_intx_when_msix_is_off(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, false);
    uint8_t f[100];
    make_frame(f, 100, 50);
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 100), VIRTIO_NET_HDR_LEN + 100, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(used_idx(TXQ_USED), 1);
    assert_int_equal(irq_changes, 0);
    assert_int_equal(mmio_r(VIRTIO_PCI_ISR_OFF, 1), 0);
    virtio_net_set_link(net, false);
    assert_int_equal(irq_changes, 0);
    assert_int_equal(msi.count, 0);
}

static void msix_masking(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    struct caps c = walk_caps();
    /* Mask vector 2 (TX): the interrupt waits in the PBA. */
    mmio_w(VIRTIO_PCI_MSIX_TABLE_OFF + 2 * 16 + 12, 4, 1);
    uint8_t f[100];
    make_frame(f, 100, 60);
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 100), VIRTIO_NET_HDR_LEN + 100, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(msi_count_for(2), 0);
    assert_int_equal(mmio_r(VIRTIO_PCI_MSIX_PBA_OFF, 8), 1u << 2);
    mmio_w(VIRTIO_PCI_MSIX_TABLE_OFF + 2 * 16 + 12, 4, 0);
    assert_int_equal(msi_count_for(2), 1);
    assert_int_equal(mmio_r(VIRTIO_PCI_MSIX_PBA_OFF, 8), 0);
    /* Function mask: same. */
    cfg_w(c.msix + 2, 2, 0xc000);
    virtio_net_set_link(net, false);
    assert_int_equal(msi_count_for(0), 0);
    cfg_w(c.msix + 2, 2, 0x8000);
    assert_int_equal(msi_count_for(0), 1);
    /* A vector beyond the table reads back as NO_VECTOR. */
    mmio_w(0x16, 2, 0);
    mmio_w(0x1a, 2, 3);
    assert_int_equal(mmio_r(0x1a, 2), VIRTIO_MSI_NO_VECTOR);
    mmio_w(0x10, 2, 200);
    assert_int_equal(mmio_r(0x10, 2), VIRTIO_MSI_NO_VECTOR);
    /* Table readable as written. */
    assert_int_equal(mmio_r(VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 8, 4), MSI_DATA_BASE + 1);
    assert_int_equal(mmio_r(VIRTIO_PCI_MSIX_TABLE_OFF + 16, 8), MSI_ADDR);
}

static void event_idx_suppresses_interrupts(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES | (1ull << VIRTIO_F_EVENT_IDX), true);
    post_rx(8, 1600);
    uint8_t f[64];
    make_frame(f, 64, 70);
    /* used_event = 2: interrupt only when the used index passes 2. */
    *avail_word(RXQ_AVAIL, 2 + QSIZE) = 2;
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE); /* used 1 */
    virtio_net_rx_flush(net);
    assert_int_equal(msi_count_for(1), 0);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE); /* used 2 */
    virtio_net_rx_flush(net);
    assert_int_equal(msi_count_for(1), 0);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE); /* used 3: crosses */
    virtio_net_rx_flush(net);
    assert_int_equal(msi_count_for(1), 1);
    virtio_net_rx_flush(net); /* nothing new: no interrupt */
    assert_int_equal(msi_count_for(1), 1);
    /* TX: after a batch the device asks for the next notification. */
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(*(uint16_t *)gpa(TXQ_USED + 4 + 8 * QSIZE), 1);
}

static void no_interrupt_flag(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    post_rx(2, 1600);
    *avail_word(RXQ_AVAIL, 0) = VIRTQ_AVAIL_F_NO_INTERRUPT;
    uint8_t f[64];
    make_frame(f, 64, 80);
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE);
    virtio_net_rx_flush(net);
    assert_int_equal(msi_count_for(1), 0);
    *avail_word(RXQ_AVAIL, 0) = 0;
    assert_int_equal(virtio_net_receive(net, f, 64), VIRTIO_NET_RX_DONE);
    virtio_net_rx_flush(net);
    assert_int_equal(msi_count_for(1), 1);
}

static void reset_and_reuse(void **state)
{
    (void)state;
    bring_up(BASE_FEATURES, true);
    uint8_t f[64];
    make_frame(f, 64, 90);
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 1);
    mmio_w(0x14, 1, 0);
    assert_int_equal(status(), 0);
    mmio_w(0x16, 2, 1);
    assert_int_equal(mmio_r(0x1c, 2), 0);
    assert_int_equal(mmio_r(0x1a, 2), VIRTIO_MSI_NO_VECTOR);
    /* A notify after reset does nothing. */
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 1);
    memset(gpa(TXQ_DESC), 0, 0x3000);
    memset(gpa(RXQ_DESC), 0, 0x3000);
    driver_queues_reset();
    bring_up(BASE_FEATURES, true);
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(be.count, 2);
}

static void pci_cfg_access_window(void **state)
{
    (void)state;
    size_and_enable_bar();
    struct caps c = walk_caps();
    cfg_w(c.pci_cfg + 4, 1, 0);
    cfg_w(c.pci_cfg + 8, 4, 0x12); /* num_queues */
    cfg_w(c.pci_cfg + 12, 4, 2);
    assert_int_equal(cfg_r(c.pci_cfg + 16, 2), 2);
    cfg_w(c.pci_cfg + 8, 4, 0x14); /* device_status through the window */
    cfg_w(c.pci_cfg + 12, 4, 1);
    cfg_w(c.pci_cfg + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    assert_int_equal(status(), VIRTIO_STATUS_ACKNOWLEDGE);
    /* Another BAR, or a size unlike the length: nothing. */
    cfg_w(c.pci_cfg + 4, 1, 3);
    assert_int_equal(cfg_r(c.pci_cfg + 16, 1), 0);
    cfg_w(c.pci_cfg + 4, 1, 0);
    assert_int_equal(cfg_r(c.pci_cfg + 16, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(identity_and_capabilities, setup, teardown),
        cmocka_unit_test_setup_teardown(bar_sizing_and_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(feature_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_drops_bad_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_scatters_over_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_waits_for_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_back_pressure, setup, teardown),
        cmocka_unit_test_setup_teardown(no_intx_when_msix_is_off, setup, teardown),
        cmocka_unit_test_setup_teardown(msix_masking, setup, teardown),
        cmocka_unit_test_setup_teardown(event_idx_suppresses_interrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(no_interrupt_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_and_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(pci_cfg_access_window, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
