/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of the statuses of include/donjon/abi.h, for messages. */
#pragma once
#include <donjon/abi.h>

/* "DJ_OK", "DJ_E_BAD_CAP", ...; "unknown status" for a number outside
 * enum dj_status (a reply word a server made up, for instance). */
const char *dj_status_name(uint64_t status);
