// SPDX-License-Identifier: GPL-2.0-only
/* gwevil: the compromised gateway VMs' attack tool (roles gw-inner-evil and
 * gw-outer-evil of l4linux-glue/init; docs/gateway.md "Compromised VMs").
 * A static Linux program in the guest initramfs; it speaks raw Ethernet
 * through packet sockets, which busybox has no applet for.
 *
 *   gwevil inner WRAPIF LANIF SECONDS
 *     Waits for a frame holding "EVIL-GO" on LANIF (the test's trigger
 *     ping), then sends forged frames on WRAPIF toward the ESP wrapper for
 *     SECONDS: plaintext to the WAN and to random addresses, fake ESP
 *     (also with the gateway's own addresses and SPIs), broadcast, IPv6,
 *     non-IP, truncated, jumbo; a flood of them to the end. Every payload
 *     holds "EVIL-INNER", so a capture shows whether one got out.
 *
 *   gwevil outer WRAPIF WANIF SECONDS
 *     Relays frames between WRAPIF and WANIF (in place of a bridge) and
 *     attacks what goes toward the wrapper: every ESP frame twice
 *     (replay), pairs swapped (reorder), truncated copies,
 *     bit-flipped copies ahead of the original (only the ICV can
 *     reject those), old frames again and bursts of the last ones
 *     (flood). Counts the frames on both links that hold the LAN's
 *     plaintext marker "LAN-PLAIN" (the outer VM's own view).
 *
 * Prints GUEST-EVIL-* lines on stdout. Runs SECONDS, then exits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 9018 /* a 9000-byte jumbo payload and its header */
#define ETH_HEADER 14
#define IPV4_HEADER 20
#define IP_PROTO_UDP 17
#define IP_PROTO_ESP 50
#define ETHERTYPE_LOCAL_EXPERIMENTAL 0x88b5
#define RING_FRAMES 512  /* what the outer relay remembers for replays */
#define OLD_DISTANCE 300 /* how far back an "old" replay reaches */

static const char evil_marker[] = "EVIL-INNER";
static const char go_marker[] = "EVIL-GO";
static const char lan_marker[] = "LAN-PLAIN";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int packet_socket(const char *ifname, int *ifindex)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        printf("GUEST-EVIL-FAIL packet socket: %s\n", strerror(errno));
        exit(1);
    }
    *ifindex = (int)if_nametoindex(ifname);
    if (*ifindex == 0) {
        printf("GUEST-EVIL-FAIL no interface %s\n", ifname);
        exit(1);
    }
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = *ifindex};
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        printf("GUEST-EVIL-FAIL bind %s: %s\n", ifname, strerror(errno));
        exit(1);
    }
    /* The other side's frames are addressed to MACs that are not ours. */
    struct packet_mreq mr = {.mr_ifindex = *ifindex, .mr_type = PACKET_MR_PROMISC};
    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
    return fd;
}

/* Receives one frame that came in on the interface (not one we sent). */
static ssize_t receive_incoming(int fd, uint8_t *buf, size_t size)
{
    struct sockaddr_ll from;
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
    if (n > 0 && from.sll_pkttype == PACKET_OUTGOING)
        return 0;
    return n;
}

static int holds(const uint8_t *buf, size_t len, const char *marker)
{
    return memmem(buf, len, marker, strlen(marker)) != NULL;
}

/* ---- inner: forged frames toward the wrapper ---- */

struct forge {
    int fd;
    uint8_t wrapper_mac[6], own_mac[6];
    unsigned long sent, failed, oversize_refused;
    uint32_t rng;
};

static uint32_t rnd(struct forge *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 17;
    f->rng ^= f->rng << 5;
    return f->rng;
}

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static size_t eth_header(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    p[12] = type >> 8;
    p[13] = type & 0xff;
    return ETH_HEADER;
}

/* An IPv4 packet of PROTO from SRC to DST with PAYLOAD bytes: the payload
 * starts with 8 bytes of header-like data (UDP ports or SPI and sequence
 * number), then the marker, repeated. */
static size_t ipv4_packet(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint32_t w1, uint32_t w2,
                          size_t payload)
{
    size_t total = IPV4_HEADER + payload;
    memset(p, 0, IPV4_HEADER);
    p[0] = 0x45;
    p[2] = (uint8_t)(total >> 8);
    p[3] = (uint8_t)total;
    p[8] = 64;
    p[9] = proto;
    memcpy(p + 12, &src, 4);
    memcpy(p + 16, &dst, 4);
    uint16_t sum = ip_checksum(p, IPV4_HEADER);
    p[10] = sum >> 8;
    p[11] = sum & 0xff;
    uint32_t w[2] = {htonl(w1), htonl(w2)};
    memcpy(p + IPV4_HEADER, w, payload < 8 ? payload : 8);
    for (size_t i = 8; i < payload; i++)
        p[IPV4_HEADER + i] = (uint8_t)evil_marker[(i - 8) % (sizeof(evil_marker) - 1)];
    return total;
}

static void send_frame(struct forge *f, const uint8_t *frame, size_t len)
{
    if (send(f->fd, frame, len, 0) == (ssize_t)len) {
        f->sent++;
    } else if (errno == EMSGSIZE) {
        f->oversize_refused++;
    } else {
        f->failed++;
        if (errno == ENOBUFS || errno == EAGAIN)
            usleep(1000);
    }
}

static uint32_t addr(const char *dotted)
{
    return inet_addr(dotted);
}

/* One forged frame of kind K (0..KINDS-1). */
#define FORGED_KINDS 12
static void forge_one(struct forge *f, unsigned k)
{
    static uint8_t frame[FRAME_MAX];
    static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t *ip = frame + ETH_HEADER;
    size_t n = eth_header(frame, f->wrapper_mac, f->own_mac, ETHERTYPE_IP);
    switch (k) {
    case 0: /* plaintext UDP to the peer gateway's WAN address */
        n += ipv4_packet(ip, addr("10.1.0.1"), addr("192.0.2.2"), IP_PROTO_UDP, 0x30393039, 64, 200);
        break;
    case 1: /* plaintext from the gateway's own WAN address */
        n += ipv4_packet(ip, addr("192.0.2.1"), addr("192.0.2.2"), IP_PROTO_UDP, 0x01f401f4, 64, 200);
        break;
    case 2: /* plaintext to a random address from a random one */
        n += ipv4_packet(ip, rnd(f), rnd(f), IP_PROTO_UDP, rnd(f), rnd(f), 100 + rnd(f) % 1200);
        break;
    case 3: /* fake ESP with the gateway's addresses and its outbound SPI */
        n += ipv4_packet(ip, addr("192.0.2.1"), addr("192.0.2.2"), IP_PROTO_ESP, 0x1000, rnd(f), 120);
        break;
    case 4: /* fake ESP for the other SA, from the LAN */
        n += ipv4_packet(ip, addr("10.1.0.2"), addr("192.0.2.2"), IP_PROTO_ESP, 0x1001, 1, 300);
        break;
    case 5: /* ESP inside the tunnel's selectors (10.1/16 -> 10.2/16): encrypted if at all */
        n += ipv4_packet(ip, addr("10.1.0.1"), addr("10.2.0.2"), IP_PROTO_ESP, rnd(f), rnd(f), 64);
        break;
    case 6: /* broadcast */
        memcpy(frame, broadcast, 6);
        n += ipv4_packet(ip, addr("10.1.255.2"), addr("255.255.255.255"), IP_PROTO_UDP, 0x00440043, 64, 100);
        break;
    case 7: /* a random unicast MAC: not the wrapper's */
        frame[0] = 0x02;
        for (int i = 1; i < 6; i++)
            frame[i] = (uint8_t)rnd(f);
        n += ipv4_packet(ip, addr("10.1.0.1"), addr("192.0.2.2"), IP_PROTO_UDP, 0x30393039, 64, 100);
        break;
    case 8: /* not IP */
        n = eth_header(frame, f->wrapper_mac, f->own_mac, ETHERTYPE_LOCAL_EXPERIMENTAL);
        for (int i = 0; i < 100; i++)
            frame[n + i] = (uint8_t)evil_marker[i % (sizeof(evil_marker) - 1)];
        n += 100;
        break;
    case 9: /* a header that lies about its length, and a truncated one */
        n += ipv4_packet(ip, addr("10.1.0.1"), addr("10.2.0.2"), IP_PROTO_UDP, 0x30393039, 64, 60);
        ip[2] = 0xff;
        ip[3] = 0xff;
        send_frame(f, frame, n);
        n = ETH_HEADER + 10;
        break;
    case 10: /* jumbo: 9000 bytes of IP (the link's MTU raised if the driver lets it) */
        n += ipv4_packet(ip, addr("10.1.0.1"), addr("10.2.0.2"), IP_PROTO_UDP, 0x30393039, 64,
                         9000 - IPV4_HEADER);
        break;
    default: /* IPv6 UDP to a documentation address on the WAN side */
        n = eth_header(frame, f->wrapper_mac, f->own_mac, ETHERTYPE_IPV6);
        memset(ip, 0, 40);
        ip[0] = 0x60;
        ip[5] = 108;
        ip[6] = IP_PROTO_UDP;
        ip[7] = 64;
        ip[8] = 0xfe;
        ip[9] = 0x80;
        ip[24] = 0x20;
        ip[25] = 0x01;
        ip[26] = 0x0d;
        ip[27] = 0xb8;
        ip[39] = 2;
        for (int i = 0; i < 108; i++)
            ip[40 + i] = (uint8_t)evil_marker[i % (sizeof(evil_marker) - 1)];
        n += 148;
        break;
    }
    send_frame(f, frame, n);
}

/* The wrapper's MAC: the neighbour entry of the inner link's next hop. */
static int wrapper_mac_from_arp(const char *ifname, uint8_t mac[6])
{
    FILE *arp = fopen("/proc/net/arp", "r");
    char line[256], ip[64], hw[64], dev[64];
    unsigned type, flags;
    int found = 0;
    if (!arp)
        return 0;
    while (!found && fgets(line, sizeof(line), arp)) {
        if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %63s", ip, &type, &flags, hw, dev) == 5 &&
            strcmp(dev, ifname) == 0 && (flags & 2))
            found = sscanf(hw, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
                           &mac[5]) == 6;
    }
    fclose(arp);
    return found;
}

static void own_mac(const char *ifname, uint8_t mac[6])
{
    char path[128];
    snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
    FILE *file = fopen(path, "r");
    if (!file || fscanf(file, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
                        &mac[5]) != 6)
        memset(mac, 0x02, 6);
    if (file)
        fclose(file);
}

static int inner(const char *wrapif, const char *lanif, double seconds)
{
    struct forge f = {.rng = 0x5eed1234};
    int wrap_index, lan_index;
    f.fd = packet_socket(wrapif, &wrap_index);
    int lan = packet_socket(lanif, &lan_index);
    static uint8_t buf[FRAME_MAX];
    printf("GUEST-EVIL-INNER-WAITING for %s on %s\n", go_marker, lanif);
    fflush(stdout);
    for (;;) {
        struct pollfd p = {.fd = lan, .events = POLLIN};
        poll(&p, 1, 1000);
        ssize_t n = receive_incoming(lan, buf, sizeof(buf));
        if (n > 0 && holds(buf, (size_t)n, go_marker))
            break;
    }
    close(lan);
    own_mac(wrapif, f.own_mac);
    if (!wrapper_mac_from_arp(wrapif, f.wrapper_mac))
        memset(f.wrapper_mac, 0xff, 6);
    printf("GUEST-EVIL-INNER-GO wrapper mac %02x:%02x:%02x:%02x:%02x:%02x\n", f.wrapper_mac[0], f.wrapper_mac[1],
           f.wrapper_mac[2], f.wrapper_mac[3], f.wrapper_mac[4], f.wrapper_mac[5]);
    fflush(stdout);
    /* First every kind a few times at a walk, then as fast as they go. */
    double end = now() + seconds;
    for (unsigned i = 0; i < FORGED_KINDS * 20 && now() < end; i++) {
        forge_one(&f, i % FORGED_KINDS);
        usleep(5000);
    }
    unsigned long before_flood = f.sent;
    while (now() < end)
        for (unsigned i = 0; i < 64; i++)
            forge_one(&f, rnd(&f) % FORGED_KINDS);
    printf("GUEST-EVIL-INNER-DONE sent=%lu flood=%lu failed=%lu oversize_refused=%lu\n", f.sent,
           f.sent - before_flood, f.failed, f.oversize_refused);
    fflush(stdout);
    return 0;
}

/* ---- outer: a relay that attacks what it forwards to the wrapper ---- */

struct relay {
    int wrap, wan;
    uint8_t ring[RING_FRAMES][1600];
    uint16_t ring_len[RING_FRAMES];
    unsigned long ring_next;
    uint8_t held[1600];
    size_t held_len;
    double held_since;
    unsigned long relayed_out, relayed_in, esp_in, replayed, reordered, truncated, corrupted, old, flooded;
    unsigned long seen, marker_frames;
};

static int is_esp(const uint8_t *f, size_t n)
{
    return n >= ETH_HEADER + IPV4_HEADER && f[12] == 0x08 && f[13] == 0x00 && f[ETH_HEADER + 9] == IP_PROTO_ESP;
}

static void to_wrapper(struct relay *r, const uint8_t *f, size_t n)
{
    if (send(r->wrap, f, n, 0) < 0 && (errno == ENOBUFS || errno == EAGAIN))
        usleep(1000);
}

static void release_held(struct relay *r)
{
    if (r->held_len) {
        to_wrapper(r, r->held, r->held_len);
        r->held_len = 0;
    }
}

static void remember(struct relay *r, const uint8_t *f, size_t n)
{
    unsigned slot = r->ring_next++ % RING_FRAMES;
    memcpy(r->ring[slot], f, n);
    r->ring_len[slot] = (uint16_t)n;
}

/* An ESP frame from the WAN, on its way to the wrapper. */
static void attack(struct relay *r, uint8_t *f, size_t n)
{
    static uint8_t copy[1600];
    unsigned long i = r->esp_in++;
    if (n > sizeof(copy)) {
        to_wrapper(r, f, n);
        return;
    }
    /* A bit-flipped copy ahead of the original: the window has not seen
     * its sequence number yet, so only the ICV can reject it. */
    if (i % 6 == 0 && n > ETH_HEADER + IPV4_HEADER + 16) {
        memcpy(copy, f, n);
        copy[ETH_HEADER + IPV4_HEADER + 8 + (i % (n - ETH_HEADER - IPV4_HEADER - 8))] ^= 0x40;
        to_wrapper(r, copy, n);
        r->corrupted++;
    }
    if (i % 5 == 1 && !r->held_len) { /* reorder: this one after the next */
        memcpy(r->held, f, n);
        r->held_len = n;
        r->held_since = now();
        r->reordered++;
    } else {
        to_wrapper(r, f, n);
        release_held(r);
    }
    to_wrapper(r, f, n); /* replay at once */
    r->replayed++;
    if (i % 4 == 0) {
        size_t cut = ETH_HEADER + IPV4_HEADER + (size_t)(i / 4 % 40);
        to_wrapper(r, f, cut < n ? cut : n - 1);
        r->truncated++;
    }
    if (r->ring_next > OLD_DISTANCE && i % 10 == 0) {
        unsigned slot = (r->ring_next - OLD_DISTANCE) % RING_FRAMES;
        to_wrapper(r, r->ring[slot], r->ring_len[slot]);
        r->old++;
    }
    remember(r, f, n);
    if (i % 64 == 63) { /* a flood of the last 64 again */
        for (unsigned k = 1; k <= 64; k++) {
            unsigned slot = (r->ring_next - k) % RING_FRAMES;
            to_wrapper(r, r->ring[slot], r->ring_len[slot]);
        }
        r->flooded += 64;
    }
}

static void print_outer(struct relay *r, const char *what)
{
    printf("GUEST-EVIL-OUTER%s seen=%lu marker_frames=%lu to_wan=%lu from_wan=%lu esp_in=%lu replayed=%lu "
           "reordered=%lu truncated=%lu corrupted=%lu old=%lu flooded=%lu\n",
           what, r->seen, r->marker_frames, r->relayed_out, r->relayed_in, r->esp_in, r->replayed, r->reordered,
           r->truncated, r->corrupted, r->old, r->flooded);
    fflush(stdout);
}

static int outer(const char *wrapif, const char *wanif, double seconds)
{
    static struct relay r;
    static uint8_t buf[FRAME_MAX];
    int wrap_index, wan_index;
    r.wrap = packet_socket(wrapif, &wrap_index);
    r.wan = packet_socket(wanif, &wan_index);
    printf("GUEST-EVIL-OUTER-UP relaying %s <-> %s\n", wrapif, wanif);
    fflush(stdout);
    double end = now() + seconds, next_report = now() + 10;
    while (now() < end) {
        struct pollfd p[2] = {{.fd = r.wrap, .events = POLLIN}, {.fd = r.wan, .events = POLLIN}};
        poll(p, 2, 100);
        for (int side = 0; side < 2; side++) {
            ssize_t n;
            while ((n = receive_incoming(side ? r.wan : r.wrap, buf, sizeof(buf))) >= 0) {
                if (n == 0)
                    continue;
                r.seen++;
                r.marker_frames += holds(buf, (size_t)n, lan_marker);
                if (side == 0) {
                    send(r.wan, buf, (size_t)n, 0);
                    r.relayed_out++;
                } else {
                    r.relayed_in++;
                    if (is_esp(buf, (size_t)n))
                        attack(&r, buf, (size_t)n);
                    else
                        to_wrapper(&r, buf, (size_t)n);
                }
            }
        }
        if (r.held_len && now() - r.held_since > 0.2)
            release_held(&r);
        if (now() > next_report) {
            print_outer(&r, "");
            next_report = now() + 10;
        }
    }
    print_outer(&r, "-DONE");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "inner") && strcmp(argv[1], "outer"))) {
        fprintf(stderr, "usage: gwevil inner WRAPIF LANIF SECONDS | gwevil outer WRAPIF WANIF SECONDS\n");
        return 2;
    }
    double seconds = atof(argv[4]);
    if (seconds <= 0) {
        fprintf(stderr, "gwevil: SECONDS must be positive\n");
        return 2;
    }
    return strcmp(argv[1], "inner") == 0 ? inner(argv[2], argv[3], seconds) : outer(argv[2], argv[3], seconds);
}
