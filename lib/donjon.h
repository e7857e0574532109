/* The whole user runtime in one include, for programs that want it:
 * start information, services and their calls, the console, formatted
 * output, the heap, strings, system calls and the UTCB. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "component.h"
#include "console_client.h"
#include "freespace.h"
#include "proto.h"
#include "serve.h"
#include "status.h"
#include "stdio.h"
#include "stdlib.h"
#include "string.h"
#include "syscall.h"
#include "utcb.h"
