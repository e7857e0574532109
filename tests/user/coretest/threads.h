/* SPDX-License-Identifier: GPL-2.0-only */
/* Threads for the core tests (sched_tests.c, timed_wait_tests.c): global
 * ECs started through a startup portal. One local handler EC per CPU
 * serves the startup portals of every thread on that CPU (a portal's
 * badge names the thread); a thread whose function returns blocks for
 * good on thread_never_sm. Threads are never freed: the pool is sized
 * for the whole run. */
#pragma once
#include <stdint.h>

#define THREAD_CPUS_MAX 64

/* The online CPUs, in number order, and the semaphore nobody ups: set by
 * threads_probe. */
extern unsigned thread_cpu_list[THREAD_CPUS_MAX], thread_cpu_count;
extern uint64_t thread_never_sm;

/* Finds the online CPUs (creating an EC on an offline one fails with
 * DJ_E_BAD_CPU) by creating their startup handler ECs; once per run. */
void threads_probe(void);
/* A thread on cpu at prio with stack_pages of stack running fn(arg); its
 * EC selector, or 0 (CPU not online, pool full, out of memory). */
uint64_t thread_spawn(unsigned cpu, unsigned prio, unsigned stack_pages, void (*fn)(uint64_t), uint64_t arg);
