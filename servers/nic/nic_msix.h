/* SPDX-License-Identifier: GPL-2.0-only */
/* MSI-X for NIC hardware files: routes a device's MSI-X table entries to
 * the driver's wake semaphore through the MSI capabilities init granted
 * (nic_env.msi_sel, msi_count). The table lives in a memory BAR the
 * common code has mapped (nic_env.bar). */
#pragma once
#include <stdbool.h>
#include "nic_hw.h"

/* Binds MSI capability msi_sel + i to env->wake_sm and programs table
 * entry i with its message, for i < vectors; then enables MSI-X with the
 * other entries masked. false (after a log line saying why) when the
 * device has no MSI-X capability, its table is not in a mapped BAR or is
 * too small, or there are fewer than vectors MSI capabilities: the caller
 * then falls back (polling). */
bool nic_msix_enable(struct nic_env *env, unsigned vectors);
/* Switches MSI-X off in the device (before a reset or exit). */
void nic_msix_disable(struct nic_env *env);
