/* SPDX-License-Identifier: GPL-2.0-only */
/* Driver log lines. Through the console portal when the driver has one
 * (the console server prefixes each line with "[name] "), otherwise on
 * the kernel debug console with a "name: " prefix of its own (written only
 * if the configuration granted debug=yes). Main thread only: the console
 * client uses the main EC's UTCB. */
#include <stdarg.h>
#include <stdbool.h>
#include "lib/component.h"
#include "lib/console_client.h"
#include <stdio.h>
#include "lib/syscall.h"
#include "nic_driver.h"

#define LOG_LINE_MAX 200

static bool via_console;
static const char *log_name = "nic";

void nic_log_init(const char *name)
{
    uint64_t console;
    log_name = name;
    if (dj_start_cap("console", &console)) {
        dj_console_attach(console);
        via_console = true;
    }
}

void nic_log(const char *fmt, ...)
{
    char text[LOG_LINE_MAX], line[LOG_LINE_MAX + DJ_START_NAME_MAX + 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (via_console) {
        printf("%s\n", text);
        return;
    }
    snprintf(line, sizeof(line), "%s: %s\n", log_name, text);
    dj_debug_puts(line);
}
