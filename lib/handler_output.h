/* SPDX-License-Identifier: BSD-2-Clause */
/* printf from a portal handler.
 *
 * A handler must not call out while it holds a request (its UTCB holds
 * the message, and the caller waits), so the console client cannot send
 * a handler's output the way it sends the main EC's. Instead the runtime
 * recognises a handler by its stack (every stack given to
 * dj_handler_stack is registered) and queues the handler's output; the
 * main EC sends it when it is woken (dj_block_forever does that: the
 * queue ups its semaphore). Output that does not fit the queue, or that
 * arrives while the main EC is emptying it, is counted and reported as
 * "[N bytes of handler output lost]" instead of vanishing. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DJ_HANDLER_OUTPUT_MAX 2048 /* bytes queued between two wake-ups of the main EC */
#define DJ_HANDLER_STACKS_MAX 64   /* handler stacks recognised: the most recently laid out */

/* Registers [stack, stack + size) as a handler stack (dj_handler_stack
 * calls it). */
void dj_handler_stack_register(const void *stack, size_t size);
/* Whether the calling code runs on a registered handler stack. */
bool dj_in_handler(void);
/* Queues len bytes of a handler's output and wakes the main EC. */
void dj_handler_output_queue(const char *s, size_t len);
/* The semaphore the main EC sleeps on (dj_block_forever sets it): queued
 * output ups it. */
void dj_handler_output_wake_sm(uint64_t sm_sel);
/* Main EC: sends the queued output through fn (and a line about lost
 * bytes, if any). */
void dj_handler_output_flush(void (*fn)(const char *s, size_t len));
