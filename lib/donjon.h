/* SPDX-License-Identifier: BSD-2-Clause */
/* The whole user runtime in one include, for programs that want it:
 * start information, services and their calls, the console, formatted
 * output, the heap, strings, system calls and the UTCB. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/freespace.h"
#include "lib/proto.h"
#include "lib/serve.h"
#include "lib/status.h"
#include "stdio.h"
#include "stdlib.h"
#include "string.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
