/* SPDX-License-Identifier: GPL-2.0-only */
/* The C library symbols that Debian's libsodium.a refers to, for the
 * freestanding Donjon component (memset, memcpy come from the runtime).
 * The wrapper uses libsodium's AEADs, BLAKE2b and sodium_memzero only; of
 * the rest, sodium_init needs the mutex (one thread here: a no-op),
 * sysconf(_SC_PAGESIZE) and errno. Everything else belongs to libsodium's
 * secure allocator (sodium_malloc, mlock) or its default random source
 * (getrandom, /dev/urandom), which the wrapper never uses: those stubs
 * panic with the function's name if they are ever called. malloc and free
 * are the runtime's (lib/malloc.c). */
#include <stddef.h>
#include <stdint.h>

#include <runtime.h>
#include <string.h>

#define GLIBC_SC_PAGESIZE 30 /* sysconf's _SC_PAGESIZE in the headers libsodium was built with */
#define PAGE_BYTES 4096

static int errno_value;

int *__errno_location(void);
int *__errno_location(void)
{
    return &errno_value;
}

/* libsodium is built with -fstack-protector-strong: its canary is read at
 * %fs:0x28, which the component maps (main.c); a smashed stack ends here. */
void __stack_chk_fail(void) __attribute__((noreturn));
void __stack_chk_fail(void)
{
    dj_panic("esp: libsodium: stack smashing detected");
}

void __assert_fail(const char *expr, const char *file, unsigned line, const char *fn)
    __attribute__((noreturn));
void __assert_fail(const char *expr, const char *file, unsigned line, const char *fn)
{
    dj_panic("esp: libsodium: assertion %s failed at %s:%u (%s)", expr, file, line, fn);
}

void abort(void) __attribute__((noreturn));
void abort(void)
{
    dj_panic("esp: libsodium called abort (sodium_misuse)");
}

int raise(int sig);
int raise(int sig)
{
    dj_panic("esp: libsodium raised signal %d", sig);
}

/* One thread uses libsodium in this component. */
int pthread_mutex_lock(void *m);
int pthread_mutex_lock(void *m)
{
    (void)m;
    return 0;
}

int pthread_mutex_unlock(void *m);
int pthread_mutex_unlock(void *m)
{
    (void)m;
    return 0;
}

long sysconf(int name);
long sysconf(int name)
{
    if (name == GLIBC_SC_PAGESIZE)
        return PAGE_BYTES;
    dj_panic("esp: libsodium asked sysconf(%d)", name);
}

/* sodium_memzero under _FORTIFY_SOURCE */
void __explicit_bzero_chk(void *p, size_t len, size_t room);
void __explicit_bzero_chk(void *p, size_t len, size_t room)
{
    if (len > room)
        dj_panic("esp: explicit_bzero of %zu bytes into %zu", len, room);
    volatile uint8_t *v = p;
    for (size_t i = 0; i < len; i++)
        v[i] = 0;
}

/* Declared without parameters: they are never meant to run, and the
 * linker only matches names. */
#define UNEXPECTED(name)                                                          \
    void name(void);                                                              \
    void name(void)                                                               \
    {                                                                             \
        dj_panic("esp: libsodium called " #name ", which the wrapper never uses"); \
    }

UNEXPECTED(mmap)
UNEXPECTED(munmap)
UNEXPECTED(mprotect)
UNEXPECTED(madvise)
UNEXPECTED(mlock)
UNEXPECTED(munlock)
UNEXPECTED(getrandom)
UNEXPECTED(open)
UNEXPECTED(read)
UNEXPECTED(close)
UNEXPECTED(fcntl)
UNEXPECTED(poll)
UNEXPECTED(fstat)
