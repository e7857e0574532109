/* SPDX-License-Identifier: GPL-2.0-only */
/* 16550 UART on COM1: the kernel's console until a user-level driver takes over. */
#pragma once
#include <stddef.h>
void serial_init(void);
void serial_write(const char *s, size_t n);
