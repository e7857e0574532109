/* SPDX-License-Identifier: GPL-2.0-only */
/* The generic vCPU loop: see vcpu.h and arch/x86_64/virt.h.
 *
 * The loop runs with interrupts off like the way out to user mode: under
 * the kernel lock it delivers a waiting exit or does the exit work of
 * sched_exit_to_user (recall, kill, preemption, interrupt delivery),
 * which also drops the lock; the guest then runs until an exit, after
 * which the host takes its pending interrupts in a short window. An
 * interrupt that arrives after the checks stays pending and makes the
 * guest exit at once, so no recall, kill or wake-up is lost. */
#include "kernel/vcpu.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/virt.h"
#include "common/string.h"
#include "kernel/ipc.h"
#include "kernel/sched.h"

static volatile bool guest_tlbs_stale[MAX_CPUS];

void vcpu_guest_tlbs_stale(void)
{
    guest_tlbs_stale[this_cpu()->index] = true;
}

__attribute__((noreturn, used)) static void vcpu_loop(struct ec *ec)
{
    struct percpu *cpu = this_cpu();
    for (;;) {
        kernel_lock();
        if (ec->vm_exit != VCPU_NO_EXIT && !ec->obj.dead) {
            unsigned reason = ec->vm_exit;
            ec->vm_exit = VCPU_NO_EXIT;
            ipc_fault(ec, reason, 0);
        }
        sched_exit_to_user(); /* may run another EC instead; drops the lock */
        bool flush = guest_tlbs_stale[cpu->index];
        guest_tlbs_stale[cpu->index] = false;
        uint64_t ticks = cpu->timer_ticks;
        unsigned reason = virt_vcpu_run(ec->vcpu, flush);
        cpu_interrupt_window(); /* the host interrupt that ended the run, if any */
        kernel_lock();
        if (reason != VIRT_EXIT_HOST)
            ec->vm_exit = reason;
        if (cpu->timer_ticks != ticks)
            sched_tick(); /* what sched_user_interrupt does for a tick in user mode */
    }
}

void vcpu_resume(struct ec *ec)
{
    __asm__ volatile("mov %0, %%rsp\n"
                     "xor %%ebp, %%ebp\n"
                     "call vcpu_loop" ::"r"(this_cpu()->kernel_stack_top), "D"(ec) : "memory");
    __builtin_unreachable();
}

void vcpu_exit_message(struct ec *ec, struct dj_utcb *u, uint64_t portal_mtd, unsigned reason)
{
    struct dj_vcpu_state *s = (struct dj_vcpu_state *)u->words;
    memset(s, 0, sizeof(*s));
    s->exit_reason = reason;
    virt_vcpu_save(ec->vcpu, s, portal_mtd & DJ_MTD_VM_ALL);
}

bool vcpu_reply(struct ec *ec, const struct dj_utcb *u, uint64_t mtd)
{
    if (mtd & (DJ_MTD_COUNTS | DJ_MTD_BAD))
        return false;
    return virt_vcpu_load(ec->vcpu, (const struct dj_vcpu_state *)u->words, mtd & DJ_MTD_VM_ALL & ~DJ_MTD_QUAL);
}
