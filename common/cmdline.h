/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel command-line options (space-separated words, key or key=value). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
/* True if the word `key` or `key=...` appears. */
bool cmdline_has(const char *cmdline, const char *key);
/* Copies the value of key=value into out; false if absent. */
bool cmdline_value(const char *cmdline, const char *key, char *out, size_t out_len);
