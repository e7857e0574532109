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

static enum dj_status send_piece(uint64_t pt, struct dj_utcb *u, const char *s, size_t n, uint64_t op)
{
    size_t words = (n + BYTES_PER_WORD - 1) / BYTES_PER_WORD;
    u->words[0] = op;
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

static enum dj_status write_op(uint64_t pt, struct dj_utcb *u, const char *s, size_t len, uint64_t op)
{
    while (len) {
        size_t n = len < DJ_CONSOLE_WRITE_MAX ? len : DJ_CONSOLE_WRITE_MAX;
        enum dj_status st = send_piece(pt, u, s, n, op);
        if (st != DJ_OK)
            return st;
        s += n;
        len -= n;
    }
    return DJ_OK;
}

enum dj_status dj_console_write(uint64_t pt, struct dj_utcb *u, const char *s, size_t len)
{
    return write_op(pt, u, s, len, DJ_CONSOLE_OP_WRITE);
}

enum dj_status dj_console_write_raw(uint64_t pt, struct dj_utcb *u, const char *s, size_t len)
{
    return write_op(pt, u, s, len, DJ_CONSOLE_OP_WRITE_RAW);
}

enum dj_status dj_console_read(uint64_t pt, struct dj_utcb *u, char *buf, size_t max, size_t *got)
{
    *got = 0;
    if (max > DJ_CONSOLE_READ_MAX)
        max = DJ_CONSOLE_READ_MAX;
    u->words[0] = DJ_CONSOLE_OP_READ;
    u->words[1] = max;
    uint64_t out = 0;
    enum dj_status st = dj_call(pt, DJ_MTD(2, 0), &out);
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) < 2 || u->words[0] != DJ_OK)
        return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
    uint64_t n = u->words[1];
    if (n > max || DJ_MTD_UNTYPED(out) < 2 + (n + BYTES_PER_WORD - 1) / BYTES_PER_WORD)
        return DJ_E_BAD_PARAM;
    memcpy(buf, &u->words[2], n);
    *got = n;
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
