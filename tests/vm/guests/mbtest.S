/* SPDX-License-Identifier: GPL-2.0-only */
/* A multiboot v1 test guest for the VMM (tests/vm/hostile): 32-bit
 * protected mode, no paging. The first character of its command line
 * picks what it does; it reports on COM1 and ends through the
 * isa-debug-exit port (0xf4), which the VMM prints as
 * "vmm: guest powered off (status N)".
 *   o  well behaved: CPUID, string I/O, then status 0x10
 *   t  triple fault (empty IDT, then INT3)
 *   p  port flood: OUT to every port but COM1, the debug exit and the
 *      reset/power ports, 64 Ki REP OUTSB and REP INSB; status 0x11
 *   u  unbacked memory: reads and writes far beyond RAM and into the
 *      PCI hole; status 0x12
 *   m  memory: writes and checks its 16 MiB (the VM's RAM); status 0x13 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x0
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

    .text
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .global _start
_start:
    mov $stack_top, %esp
    mov 16(%ebx), %esi          /* info->cmdline */
    push %esi
    mov $msg_start, %esi
    call puts
    mov (%esp), %esi
    call puts
    mov $msg_nl, %esi
    call puts
    pop %esi
    movzbl (%esi), %eax
    cmp $'t', %al
    je triple
    cmp $'p', %al
    je flood
    cmp $'u', %al
    je unbacked
    cmp $'m', %al
    je memory

well_behaved:
    xor %eax, %eax
    cpuid
    mov %ebx, vendor
    mov %edx, vendor + 4
    mov %ecx, vendor + 8
    mov $vendor, %esi
    call puts
    mov $msg_nl, %esi
    call puts
    mov $0x80, %dx
    mov $buffer, %esi
    mov $64, %ecx
    rep outsb
    mov $0x10, %eax
    jmp finish

triple:
    lidt empty_idt
    int3
    hlt

flood:
    xor %edx, %edx
1:  cmp $COM1, %dx
    jb 2f
    cmp $COM1 + 7, %dx
    jbe 3f
2:  cmp $DEBUG_EXIT, %dx
    je 3f
    cmp $0x64, %dx              /* i8042 command: 0xfe would reset */
    je 3f
    cmp $0xcf9, %dx             /* reset control */
    je 3f
    cmp $0x600, %dx             /* ACPI PM block: S5, reset register */
    jb 4f
    cmp $0x60f, %dx
    jbe 3f
4:  mov $0, %al
    outb %al, %dx
    inb %dx, %al
3:  inc %dx
    jnz 1b
    mov $0x80, %dx
    mov $0, %esi
    mov $0x10000, %ecx
    rep outsb
    mov $0x80, %dx
    mov $0x200000, %edi
    mov $0x10000, %ecx
    rep insb
    mov $msg_flood, %esi
    call puts
    mov $0x11, %eax
    jmp finish

unbacked:
    mov 0x40000000, %eax        /* beyond its RAM */
    movl $0x12345678, 0x40000000
    mov 0xd0000000, %eax        /* the PCI hole: nobody there */
    movl $0x12345678, 0xd0000000
    cmp $0xffffffff, %eax
    jne bad
    mov $msg_unbacked, %esi
    call puts
    mov $0x12, %eax
    jmp finish

memory:
    mov $0x200000, %edi
1:  mov %edi, (%edi)
    add $4096, %edi
    cmp $0x1000000, %edi
    jb 1b
    mov $0x200000, %edi
2:  cmp %edi, (%edi)
    jne bad
    add $4096, %edi
    cmp $0x1000000, %edi
    jb 2b
    mov $msg_memory, %esi
    call puts
    mov $0x13, %eax
    jmp finish

bad:
    mov $msg_bad, %esi
    call puts
    mov $0x1f, %eax

finish:
    mov $DEBUG_EXIT, %dx
    outl %eax, %dx
    cli
5:  hlt
    jmp 5b

/* puts: the NUL-terminated string at ESI to COM1 (clobbers EAX, EDX, ESI). */
puts:
    mov $COM1, %dx
1:  lodsb
    test %al, %al
    jz 2f
    outb %al, %dx
    jmp 1b
2:  ret

    .data
msg_start:    .asciz "MBTEST start "
msg_nl:       .asciz "\n"
msg_flood:    .asciz "MBTEST flood done\n"
msg_unbacked: .asciz "MBTEST unbacked done\n"
msg_memory:   .asciz "MBTEST memory done\n"
msg_bad:      .asciz "MBTEST unexpected value\n"
    .align 8
empty_idt:    .word 0
              .long 0
vendor:       .space 16
buffer:       .space 64, 'x'

    .bss
    .align 16
    .space 4096
stack_top:
