/* SPDX-License-Identifier: BSD-2-Clause */
/* Status names: see status.h. */
#include "lib/status.h"

static const char *const names[DJ_STATUS_COUNT] = {
    [DJ_OK] = "DJ_OK",
    [DJ_E_TIMEOUT] = "DJ_E_TIMEOUT",
    [DJ_E_ABORTED] = "DJ_E_ABORTED",
    [DJ_E_OVERFLOW] = "DJ_E_OVERFLOW",
    [DJ_E_BAD_SYS] = "DJ_E_BAD_SYS",
    [DJ_E_BAD_CAP] = "DJ_E_BAD_CAP",
    [DJ_E_BAD_PARAM] = "DJ_E_BAD_PARAM",
    [DJ_E_BAD_CPU] = "DJ_E_BAD_CPU",
    [DJ_E_QUOTA] = "DJ_E_QUOTA",
    [DJ_E_BUSY] = "DJ_E_BUSY",
    [DJ_E_BAD_ADDR] = "DJ_E_BAD_ADDR",
    [DJ_E_RECV_WINDOW] = "DJ_E_RECV_WINDOW",
};
_Static_assert(DJ_E_RECV_WINDOW == DJ_STATUS_COUNT - 1, "a new status needs a name here");

const char *dj_status_name(uint64_t status)
{
    return status < DJ_STATUS_COUNT && names[status] ? names[status] : "unknown status";
}
