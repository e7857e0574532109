/* SPDX-License-Identifier: GPL-2.0-only */
/* DJ_SYS_EC_CTRL operations on an EC (see ec_ctrl.c). */
#pragma once
#include "kernel/ec.h"

/* Apply op (DJ_EC_OP_*) to target on behalf of caller (who holds a DJ_EC_CTRL
 * capability to it); returns the syscall status. May not return when the
 * caller killed itself. */
uint64_t ec_ctrl(struct ec *caller, struct ec *target, uint64_t op);
/* The kill operation on its own, for a PD's destruction (pd_reclaim.c). */
void ec_ctrl_kill(struct ec *target);
