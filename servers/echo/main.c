/* SPDX-License-Identifier: GPL-2.0-only */
/* Echo server and its client in one program (the writing-a-server example
 * in its smallest form). The server's handler runs in a local EC of this
 * PD behind a portal; the client is the program's initial EC. The reply
 * is the request's words followed by the portal's badge, so the client
 * can tell a real round trip from a message that never left its UTCB.
 *
 * It uses the root PD's initial selectors (abi.h DJ_SEL_*): run it as the
 * first boot module until init starts servers with their own grants. */
#include <stdint.h>
#include <stdio.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

#define ECHO_EC_SEL (DJ_SEL_FIRST_FREE + 0)
#define ECHO_PT_SEL (DJ_SEL_FIRST_FREE + 1)
#define ECHO_BADGE 0xec40ull
/* A free page far above the program image for the handler's UTCB. */
#define ECHO_UTCB_VA 0x10000000ull
#define ECHO_STACK_SIZE 8192
#define REQUEST_WORDS 3

static uint64_t echo_stack[ECHO_STACK_SIZE / sizeof(uint64_t)] __attribute__((aligned(16)));

/* Replies with the words it got, plus the badge as one more word. */
static uint64_t echo_handler(uint64_t badge, struct dj_utcb *u)
{
    uint64_t n = DJ_MTD_UNTYPED(u->mtd);
    if (n >= DJ_UTCB_WORDS)
        return DJ_MTD(0, 0);
    u->words[n] = badge;
    return DJ_MTD(n + 1, 0);
}

static int start_server(void)
{
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = ECHO_EC_SEL, .pt_sel = ECHO_PT_SEL,
        .cpu = dj_boot_cpu, .utcb_va = ECHO_UTCB_VA,
        .stack = echo_stack, .stack_size = sizeof(echo_stack),
        .mtd = 0, .badge = ECHO_BADGE, .handler = echo_handler,
    };
    enum dj_status st = dj_server_create(&s);
    if (st != DJ_OK)
        printf("echo: cannot create the server: status %d\n", st);
    return st == DJ_OK ? 0 : -1;
}

static int round_trip(void)
{
    static const uint64_t request[REQUEST_WORDS] = {0x1111, 0x2222, 0x3333};
    struct dj_utcb *u = dj_utcb();
    uint64_t mtd = dj_utcb_set_words(u, request, REQUEST_WORDS), reply = 0;
    enum dj_status st = dj_call(ECHO_PT_SEL, mtd, &reply);
    if (st != DJ_OK || DJ_MTD_UNTYPED(reply) != REQUEST_WORDS + 1) {
        printf("echo: call failed: status %d, mtd %#lx\n", st, (unsigned long)reply);
        return -1;
    }
    for (int i = 0; i < REQUEST_WORDS; i++) {
        if (u->words[i] != request[i]) {
            printf("echo: word %d is %#lx, sent %#lx\n", i, (unsigned long)u->words[i], (unsigned long)request[i]);
            return -1;
        }
    }
    if (u->words[REQUEST_WORDS] != ECHO_BADGE) {
        printf("echo: badge %#lx, expected %#llx\n", (unsigned long)u->words[REQUEST_WORDS], ECHO_BADGE);
        return -1;
    }
    return 0;
}

int main(void)
{
    if (start_server() != 0 || round_trip() != 0)
        return 1;
    puts("echo: ok");
    return 0;
}
