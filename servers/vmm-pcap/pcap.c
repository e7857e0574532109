/* SPDX-License-Identifier: GPL-2.0-only */
/* A recorder of a VM's network links, for the gateway demo's proof that
 * the outer VM never sees LAN plaintext (docs/gateway.md, "The demo").
 *
 * Off unless the guest's command line holds the word vmm_pcap=N: then the
 * first N frames of each of the VM's virtio-net devices, both directions,
 * are written to the console, their first PCAP_SNAPLEN bytes in base64
 * (RFC 4648), one line a frame:
 *
 *   PCAP <vm>.<dev> <seq> <o|i> <usec> <len> <caplen> <base64>
 *
 * (vm: the VM line's name; dev: the device number, 0 is 00:01.0; o: from
 * the guest, i: to it; usec: since recording began, from the TSC; len:
 * the frame's whole length, caplen: the bytes recorded). A line stays
 * under the console's 160 characters, so none is cut. tools/serial2pcap
 * turns them into pcap files. Lost frames are never silent: "PCAP-LOST
 * <vm> N" says how many were not written, and "PCAP-END <vm>.<dev>" ends a
 * device's record.
 *
 * The console is slow and the lines are written under the VMM lock, so
 * a VM that records runs much slower until its N frames are written:
 * a tool for the demo's proof, not for measurements.
 *
 * A portal handler or a relay thread must not call out
 * (lib/handler_output.h), so a frame seen there waits in a small queue
 * and wakes the main EC, which writes the queue in its next round
 * (net_channel_round_hook) or when it sees a frame itself. Called under
 * the VMM lock by net_channel_frame_hook and net_channel_round_hook,
 * which this file defines (net_channel.c's own are weak do-nothings). */
#include <stdio.h>
#include <string.h>
#include "lib/component.h"
#include "lib/handler_output.h"
#include "lib/syscall.h"
#include "servers/vmm/core.h"
#include "servers/vmm/net_channel.h"

#define PCAP_SNAPLEN 84          /* bytes of a frame recorded: headers and the start of the payload;
                                  * 112 base64 digits and the fields stay under 160 characters */
#define B64_GROUP_IN 3
#define B64_GROUP_OUT 4
#define B64_MAX (((PCAP_SNAPLEN + B64_GROUP_IN - 1) / B64_GROUP_IN) * B64_GROUP_OUT)
#define PCAP_QUEUE 128           /* frames waiting for the main EC */
#define PCAP_MAX_DEVICES 8
#define PCAP_LIMIT_MAX 1000000u  /* frames per device at most */
#define PCAP_WORD "vmm_pcap="
#define USEC_PER_SEC 1000000ull

struct pcap_record {
    unsigned dev;
    bool out;
    uint32_t seq;
    uint64_t usec;
    uint32_t len, caplen;
    uint8_t data[PCAP_SNAPLEN];
};

static struct {
    bool parsed;
    uint32_t limit;                      /* 0: off */
    uint32_t seen[PCAP_MAX_DEVICES];     /* frames counted per device */
    bool ended[PCAP_MAX_DEVICES];
    uint64_t lost;                       /* not yet reported */
    uint64_t tsc0;
    struct pcap_record queue[PCAP_QUEUE];
    unsigned head, count;
} pcap;

/* N of the word vmm_pcap=N in text[0..len), 0 without it (or with a bad N). */
static uint32_t pcap_limit_of(const char *text, size_t len)
{
    size_t wlen = strlen(PCAP_WORD);
    for (size_t i = 0; i + wlen <= len; i++) {
        if ((i > 0 && text[i - 1] != ' ') || memcmp(text + i, PCAP_WORD, wlen) != 0)
            continue;
        uint64_t n = 0;
        size_t j = i + wlen;
        for (; j < len && text[j] >= '0' && text[j] <= '9'; j++)
            if ((n = n * 10 + (uint64_t)(text[j] - '0')) > PCAP_LIMIT_MAX)
                return PCAP_LIMIT_MAX;
        return j < len && text[j] != ' ' && text[j] != '\n' ? 0 : (uint32_t)n;
    }
    return 0;
}

/* The guest command line, as main.c takes it: the cmdline= module, else
 * the kernel module's arguments. */
static void pcap_parse(void)
{
    const struct dj_start_info *si = vm_start_info;
    pcap.parsed = true;
    if (!si)
        return;
    if (si->vm_cmdline.size)
        pcap.limit = pcap_limit_of((const char *)(uintptr_t)si->vm_cmdline.va, si->vm_cmdline.size);
    else
        pcap.limit = pcap_limit_of(si->vm_kernel.args, strnlen(si->vm_kernel.args, sizeof(si->vm_kernel.args)));
    pcap.tsc0 = __builtin_ia32_rdtsc();
    if (pcap.limit)
        printf("vmm: pcap: recording the first %u frames of each network device (%u bytes each) on the console\n",
               (unsigned)pcap.limit, PCAP_SNAPLEN);
}

/* RFC 4648 base64 of in[0..n) into out (B64_MAX + 1 bytes), '='-padded. */
static void base64(const uint8_t *in, uint32_t n, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t o = 0;
    for (uint32_t i = 0; i < n; i += B64_GROUP_IN) {
        uint32_t left = n - i;
        uint32_t v = (uint32_t)in[i] << 16 | (left > 1 ? (uint32_t)in[i + 1] << 8 : 0) | (left > 2 ? in[i + 2] : 0);
        out[o++] = digits[(v >> 18) & 63];
        out[o++] = digits[(v >> 12) & 63];
        out[o++] = left > 1 ? digits[(v >> 6) & 63] : '=';
        out[o++] = left > 2 ? digits[v & 63] : '=';
    }
    out[o] = '\0';
}

static void pcap_write(const struct pcap_record *r)
{
    char text[B64_MAX + 1];
    base64(r->data, r->caplen, text);
    printf("PCAP %s.%u %u %c %lu %u %u %s\n", vm_start_info->name, r->dev, (unsigned)r->seq, r->out ? 'o' : 'i',
           (unsigned long)r->usec, (unsigned)r->len, (unsigned)r->caplen, text);
}

/* Main EC only: the waiting frames, then the count of lost ones. */
static void pcap_drain(void)
{
    for (; pcap.count; pcap.count--, pcap.head = (pcap.head + 1) % PCAP_QUEUE)
        pcap_write(&pcap.queue[pcap.head]);
    if (pcap.lost) {
        printf("PCAP-LOST %s %lu\n", vm_start_info->name, (unsigned long)pcap.lost);
        pcap.lost = 0;
    }
}

void net_channel_frame_hook(const struct net_channel *nc, bool to_peer, const void *frame, size_t len)
{
    if (!pcap.parsed)
        pcap_parse();
    unsigned dev = nc->index;
    if (!pcap.limit || dev >= PCAP_MAX_DEVICES)
        return;
    bool on_main = !dj_in_handler();
    if (pcap.seen[dev] < pcap.limit) {
        if (pcap.count == PCAP_QUEUE) {
            pcap.lost++;
        } else {
            struct pcap_record *r = &pcap.queue[(pcap.head + pcap.count++) % PCAP_QUEUE];
            uint64_t hz = vm.tsc_hz ? vm.tsc_hz : 1;
            r->dev = dev;
            r->out = to_peer;
            r->seq = pcap.seen[dev];
            r->usec = (__builtin_ia32_rdtsc() - pcap.tsc0) / (hz / USEC_PER_SEC ? hz / USEC_PER_SEC : 1);
            r->len = (uint32_t)len;
            r->caplen = len < PCAP_SNAPLEN ? (uint32_t)len : PCAP_SNAPLEN;
            memcpy(r->data, frame, r->caplen);
        }
        pcap.seen[dev]++;
    }
    if (!on_main) {
        if (pcap.count || pcap.lost)
            dj_sm_up(vm.main_sm); /* the main thread writes it out (net_channel_round_hook) */
        return;
    }
    net_channel_round_hook();
}

/* Main EC, under the VMM lock: the waiting frames, then each device
 * whose N frames are all out. */
void net_channel_round_hook(void)
{
    if (!pcap.limit)
        return;
    pcap_drain();
    for (unsigned dev = 0; dev < PCAP_MAX_DEVICES; dev++)
        if (pcap.seen[dev] >= pcap.limit && !pcap.ended[dev]) {
            printf("PCAP-END %s.%u frames=%u\n", vm_start_info->name, dev, (unsigned)pcap.seen[dev]);
            pcap.ended[dev] = true;
        }
}
