/* SPDX-License-Identifier: BSD-2-Clause */
/* Client side of the console protocol: see console_client.h. */
#include "lib/console_client.h"
#include "lib/proto.h"
#include "lib/handler_output.h"
#include "stdio.h"
#include "string.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

#define BYTES_PER_WORD 8

static uint64_t attached_pt;

static enum dj_status send_piece(uint64_t pt, struct dj_utcb *u, const char *s, size_t n)
{
    size_t words = (n + BYTES_PER_WORD - 1) / BYTES_PER_WORD;
    u->words[0] = DJ_CONSOLE_OP_WRITE;
    u->words[1] = n;
    /* The last word's unused bytes are zero, so nothing stale leaks out. */
    if (words)
        u->words[DJ_CONSOLE_HEADER_WORDS + words - 1] = 0;
    memcpy(&u->words[DJ_CONSOLE_HEADER_WORDS], s, n);
    uint64_t out = 0;
    enum dj_status st = dj_call(pt, DJ_MTD(DJ_CONSOLE_HEADER_WORDS + words, 0), &out);
    if (st != DJ_OK)
        return st;
    return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

enum dj_status dj_console_write(uint64_t pt, struct dj_utcb *u, const char *s, size_t len)
{
    while (len) {
        size_t n = len < DJ_CONSOLE_WRITE_MAX ? len : DJ_CONSOLE_WRITE_MAX;
        enum dj_status st = send_piece(pt, u, s, n);
        if (st != DJ_OK)
            return st;
        s += n;
        len -= n;
    }
    return DJ_OK;
}

static void console_send(const char *s, size_t len)
{
    dj_console_write(attached_pt, dj_utcb(), s, len);
}

/* A handler's printf is queued for the main EC (handler_output.h): a
 * call from the handler would use the wrong UTCB and hold its caller. */
static void console_output(const char *s, size_t len)
{
    if (dj_in_handler())
        dj_handler_output_queue(s, len);
    else
        console_send(s, len);
}

void dj_console_flush_handlers(void)
{
    if (attached_pt)
        dj_handler_output_flush(console_send);
}

void dj_console_attach(uint64_t pt)
{
    attached_pt = pt;
    dj_set_output(console_output);
}
