#include "user_mode.h"
#include "cpu.h"
#include "gdt.h"
#include "percpu.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
/* SYSRET loads CS from STAR[63:48] + 16 and SS from STAR[63:48] + 8. */
#define STAR_SYSRET_BASE ((uint64_t)(GDT_USER_DS - 8) & ~3ull)
#define STAR_VALUE ((STAR_SYSRET_BASE << 48) | ((uint64_t)GDT_KERNEL_CS << 32))
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_AC (1ull << 18)
#define SFMASK_VALUE (RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC)
#define ENOSYS_RESULT ((uint64_t)-1)

extern char syscall_entry[];
static syscall_handler_fn handler;

void syscall_init_cpu(uint64_t entry_stack_top)
{
    struct percpu *p = this_cpu();
    p->entry_stack_top = entry_stack_top;
    p->tables.tss.rsp[0] = entry_stack_top;
    wrmsr(MSR_STAR, STAR_VALUE);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, SFMASK_VALUE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void syscall_set_handler(syscall_handler_fn fn)
{
    handler = fn;
}

uint64_t syscall_dispatch(struct syscall_frame *f);
uint64_t syscall_dispatch(struct syscall_frame *f)
{
    uint64_t result = handler ? handler(f) : ENOSYS_RESULT;
    /* A syscall ending at the top of the lower half leaves a non-canonical
     * return address; sysret would then fault in ring 0 (Intel). */
    if (!is_canonical(f->rip))
        user_mode_end(USER_END_NONCANONICAL_RETURN);
    return result;
}
