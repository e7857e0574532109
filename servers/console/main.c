/* SPDX-License-Identifier: GPL-2.0-only */
/* The console server: the user-level driver of the first serial port
 * (16550 UART, COM1 at 0x3f8). Components send it bytes through a portal
 * (lib/proto.h DJ_CONSOLE_OP_WRITE); the portal's badge, set by init,
 * names the sender, so a component cannot pose as another. Bytes are
 * collected per client into lines printed as "[name] text".
 *
 * The kernel prints on COM1 too, and two writers without a common lock
 * cut into each other's lines ("... changes 3PASS example_kv_..."). So
 * when it holds the kernel debug capability (debug=yes), the console
 * sends each finished line whole with one DJ_SYS_DEBUG call: the kernel
 * prints it under its console lock, and no line is split. Without it, it
 * drives the UART itself through the I/O ports 0x3f8-0x3ff (io= in its
 * configuration line); kernel lines may then cut into its lines. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/proto.h"
#include "lib/status.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "lib/x86.h"

#define COM1 0x3f8
#define UART_PORTS 8
#define UART_THR 0 /* transmit holding register (DLAB 0) */
#define UART_DLL 0 /* divisor latch low (DLAB 1) */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define FCR_ENABLE_CLEAR 0xc7 /* FIFOs on and cleared, 14-byte trigger */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_THR_EMPTY 0x20
#define LSR_DATA_READY 0x01
#define UART_RBR 0 /* receive buffer register (DLAB 0) */
#define DIVISOR_115200 1
#define TX_SPIN_LIMIT 100000 /* a UART that never drains is treated as absent */

#define MAX_CLIENTS 32 /* badges 1..MAX_CLIENTS */
#define LINE_MAX 160
#define OUT_MAX (LINE_MAX + DJ_START_NAME_MAX + 8)
_Static_assert(OUT_MAX <= DJ_DEBUG_PUTS_MAX, "a line goes to the kernel in one call");
#define BYTES_PER_WORD 8
#define HANDLER_STACK_BYTES 8192
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define SEL_SLEEP_SM DJ_CHILD_FIRST_FREE

struct client {
    char name[DJ_START_NAME_MAX];
    char line[LINE_MAX];
    size_t len;
};

static struct client clients[MAX_CLIENTS + 1];
static bool use_ports; /* else: whole lines through the kernel console */
static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

static void uart_init(void)
{
    outb(COM1 + UART_IER, 0); /* polled: no interrupts */
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, DIVISOR_115200);
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (unsigned spin = 0; spin < TX_SPIN_LIMIT && !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); spin++)
            cpu_pause();
        outb(COM1 + UART_THR, (uint8_t)s[i]);
    }
}

static void emit(const char *s, size_t n)
{
    if (use_ports)
        uart_write(s, n);
    else
        dj_debug_write(s, n);
}

/* One output line "[name] text\n". */
static void emit_line(unsigned id, const char *text, size_t n)
{
    char out[OUT_MAX];
    int head = clients[id].name[0] ? snprintf(out, sizeof(out), "[%s] ", clients[id].name)
                                   : snprintf(out, sizeof(out), "[#%u] ", id);
    size_t len = (size_t)head;
    memcpy(out + len, text, n);
    len += n;
    out[len++] = '\n';
    emit(out, len);
}

/* Printable ASCII and tabs pass; anything else (escape sequences, NULs)
 * becomes '?', so one client cannot disturb the terminal for others. */
static char sanitize(char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch < 0x7f) ? ch : '?';
}

static void put(unsigned id, char ch)
{
    struct client *c = &clients[id];
    if (ch == '\n' || c->len == LINE_MAX) {
        emit_line(id, c->line, c->len);
        c->len = 0;
        if (ch == '\n')
            return;
    }
    c->line[c->len++] = sanitize(ch);
}

static enum dj_status op_write(uint64_t badge, const struct dj_utcb *u, bool raw)
{
    if (badge == DJ_BADGE_PARENT || badge > MAX_CLIENTS)
        return DJ_E_BAD_CAP;
    uint64_t n = DJ_MTD_UNTYPED(u->mtd) >= DJ_CONSOLE_HEADER_WORDS ? u->words[1] : 0;
    if (n > DJ_CONSOLE_WRITE_MAX ||
        DJ_MTD_UNTYPED(u->mtd) != DJ_CONSOLE_HEADER_WORDS + (n + BYTES_PER_WORD - 1) / BYTES_PER_WORD)
        return DJ_E_BAD_PARAM;
    const char *bytes = (const char *)&u->words[DJ_CONSOLE_HEADER_WORDS];
    if (raw) {
        emit(bytes, n);
        return DJ_OK;
    }
    for (uint64_t i = 0; i < n; i++)
        put((unsigned)badge, bytes[i]);
    return DJ_OK;
}

/* Input is polled: whatever the UART holds when a client asks. */
static bool have_input_ports;

static uint64_t op_read(uint64_t badge, struct dj_utcb *u)
{
    uint64_t max = DJ_MTD_UNTYPED(u->mtd) == 2 ? u->words[1] : 0;
    if (badge == DJ_BADGE_PARENT || badge > MAX_CLIENTS)
        u->words[0] = DJ_E_BAD_CAP;
    else if (max == 0 || max > DJ_CONSOLE_READ_MAX)
        u->words[0] = DJ_E_BAD_PARAM;
    else {
        char *bytes = (char *)&u->words[2];
        uint64_t n = 0;
        while (have_input_ports && n < max && (inb(COM1 + UART_LSR) & LSR_DATA_READY))
            bytes[n++] = (char)inb(COM1 + UART_RBR);
        u->words[0] = DJ_OK;
        u->words[1] = n;
        return DJ_MTD(2 + (n + BYTES_PER_WORD - 1) / BYTES_PER_WORD, 0);
    }
    return DJ_MTD(1, 0);
}

static enum dj_status op_client(uint64_t badge, const struct dj_utcb *u)
{
    if (badge != DJ_BADGE_PARENT)
        return DJ_E_BAD_CAP; /* only init names clients */
    uint64_t id = u->words[1];
    if (DJ_MTD_UNTYPED(u->mtd) != DJ_SERVICE_CLIENT_WORDS || id == 0 || id > MAX_CLIENTS)
        return DJ_E_BAD_PARAM;
    char name[DJ_START_NAME_MAX];
    memcpy(name, &u->words[2], sizeof(name));
    name[sizeof(name) - 1] = '\0';
    for (size_t i = 0; name[i]; i++)
        name[i] = sanitize(name[i]);
    memcpy(clients[id].name, name, sizeof(name));
    clients[id].len = 0; /* a restarted client starts a fresh line */
    return DJ_OK;
}

static uint64_t console_handler(uint64_t badge, struct dj_utcb *u)
{
    enum dj_status st = DJ_E_BAD_PARAM;
    if (DJ_MTD_TYPED(u->mtd) == 0 && DJ_MTD_UNTYPED(u->mtd) >= 1) {
        if (u->words[0] == DJ_CONSOLE_OP_READ)
            return op_read(badge, u);
        if (u->words[0] == DJ_CONSOLE_OP_WRITE || u->words[0] == DJ_CONSOLE_OP_WRITE_RAW)
            st = op_write(badge, u, u->words[0] == DJ_CONSOLE_OP_WRITE_RAW);
        else if (u->words[0] == DJ_SERVICE_OP_CLIENT)
            st = op_client(badge, u);
    }
    u->words[0] = st;
    return DJ_MTD(1, 0);
}

/* Whether init granted all of COM1's ports. */
static bool have_com1(const struct dj_start_info *si)
{
    for (uint32_t i = 0; i < si->nio && i < DJ_START_MAX_IO; i++) {
        const struct dj_start_io *r = &si->io[i];
        if (r->granted && r->first <= COM1 && r->last >= COM1 + UART_PORTS - 1)
            return true;
    }
    return false;
}

/* The console's own lines, in the same format as its clients'. */
static void say(const char *text)
{
    char out[OUT_MAX];
    int n = snprintf(out, sizeof(out), "[console] %s\n", text);
    emit(out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
}

/* Whether init granted the kernel debug capability (debug=yes). */
static bool have_debug(void)
{
    enum dj_obj_type type = DJ_OBJ_NONE;
    return dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_DEBUG, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_DEBUG;
}

int main(void)
{
    const struct dj_start_info *si = dj_start();
    if (!si)
        return 1;
    have_input_ports = have_com1(si);
    use_ports = have_input_ports && !have_debug();
    if (use_ports) {
        uart_init();
        say("COM1 at 0x3f8 driven at user level");
    } else {
        /* With neither ports nor the debug capability, output is dropped
         * but clients are still served (they must not wait on us). */
        say("lines written whole through the kernel console (it shares COM1)");
    }
    enum dj_status st = dj_serve(console_handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    if (st != DJ_OK) {
        printf("console: cannot offer its service: %s\n", dj_status_name(st));
        return 1;
    }
    say("ready");
    dj_block_forever(SEL_SLEEP_SM);
}
