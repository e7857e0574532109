/* Portal: an IPC entry point into a handler EC, with the badge its handler
 * sees and, for event portals, which architectural state travels. */
#pragma once
#include "ec.h"

struct pt {
    struct kobj obj;
    struct ec *ec;  /* the local EC that handles calls */
    uint64_t badge;
    uint64_t mtd;   /* DJ_MTD_* state bits for exception/fault messages */
    uint64_t ip;    /* where the handler starts */
};
