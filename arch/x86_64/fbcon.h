/* SPDX-License-Identifier: GPL-2.0-only */
/* Text console on the framebuffer GRUB hands over (direct-colour pixels of
 * 15, 16, 24 or 32 bits with a PSF font, or EGA text mode). */
#pragma once
#include <stddef.h>
#include "kernel/boot_info.h"
/* Returns 0 when the console is active, -1 (and draws nothing) for a
 * framebuffer it cannot drive. */
int fbcon_init(const struct boot_framebuffer *fb);
void fbcon_write(const char *s, size_t n);
