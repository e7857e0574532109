/* sigma0, the root PD (placeholder): proves that a user program starts,
 * reaches the kernel debug console and gets its UTCB, CPU and start
 * message. The roles (owning all memory, I/O ports and interrupts and
 * handing them out) come with the kernel's IPC core. */
#include <stdio.h>
#include <syscall.h>
#include <utcb.h>

/* The kernel's start message: the free-memory pool (kernel/root.c). */
#define START_POOL_VA 0
#define START_POOL_PAGES 1

int main(void)
{
    struct dj_utcb *u = dj_utcb();
    dj_debug_puts("sigma0: hello\n");
    printf("sigma0: utcb %p cpu %u\n", (void *)u, (unsigned)dj_boot_cpu);
    if (DJ_MTD_UNTYPED(u->mtd) > START_POOL_PAGES)
        printf("sigma0: pool of %lu pages at %#lx\n", (unsigned long)u->words[START_POOL_PAGES],
               (unsigned long)u->words[START_POOL_VA]);
    return 0;
}
