// host-test-sources: common/elf.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The ELF loader's checks, on an executable crafted here (text RX, rodata
 * R, data+bss RW, the layout lib/user.ld produces) and on hostile variants
 * of it, one defect each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common/elf.h"
#include "common/elf_format.h"

#define BASE 0x400000ull
#define PAGE 4096u
#define NPHDR 4 /* three PT_LOAD and a PT_GNU_STACK */
#define IMAGE_SIZE (4 * PAGE)
#define PT_GNU_STACK 0x6474e551u

/* A well-formed program: headers on page 0, text on page 1 (loaded at
 * BASE + 0x1000), rodata on page 2, data on page 3 followed by 0x2000
 * bytes of bss. */
struct image {
    union {
        unsigned char bytes[IMAGE_SIZE];
        struct {
            struct elf64_ehdr eh;
            struct elf64_phdr ph[NPHDR];
        };
    };
};

static struct image *good_image(void)
{
    struct image *im = calloc(1, sizeof(*im));
    assert_non_null(im);
    memcpy(im->eh.ident, "\x7f" "ELF\x02\x01\x01", 7);
    im->eh.type = ET_EXEC;
    im->eh.machine = EM_X86_64;
    im->eh.version = EV_CURRENT;
    im->eh.entry = BASE + 0x1000 + 0x10;
    im->eh.phoff = sizeof(struct elf64_ehdr);
    im->eh.ehsize = sizeof(struct elf64_ehdr);
    im->eh.phentsize = sizeof(struct elf64_phdr);
    im->eh.phnum = NPHDR;
    im->ph[0] = (struct elf64_phdr){PT_LOAD, ELF_SEG_R | ELF_SEG_X, 1 * PAGE, BASE + 0x1000, 0, 0x100, 0x100, PAGE};
    im->ph[1] = (struct elf64_phdr){PT_LOAD, ELF_SEG_R, 2 * PAGE, BASE + 0x2000, 0, 0x80, 0x80, PAGE};
    im->ph[2] =
        (struct elf64_phdr){PT_LOAD, ELF_SEG_R | ELF_SEG_W, 3 * PAGE + 0x20, BASE + 0x3020, 0, 0x40, 0x2000, PAGE};
    im->ph[3] = (struct elf64_phdr){PT_GNU_STACK, ELF_SEG_R | ELF_SEG_W, 0, 0, 0, 0, 0, 16};
    memset(im->bytes + 1 * PAGE, 0xcc, 0x100);
    memset(im->bytes + 2 * PAGE, 'r', 0x80);
    memset(im->bytes + 3 * PAGE + 0x20, 'd', 0x40);
    return im;
}

static enum elf_error check(const struct image *im, size_t len)
{
    struct elf_info info;
    return elf_validate(im->bytes, len, &info);
}

static void good_elf_is_accepted(void **state)
{
    (void)state;
    struct image *im = good_image();
    struct elf_info info;
    assert_int_equal(elf_validate(im->bytes, sizeof(im->bytes), &info), ELF_OK);
    assert_int_equal(info.entry, BASE + 0x1010);
    assert_int_equal(info.nsegments, 3);
    assert_int_equal(info.segments[0].vaddr, BASE + 0x1000);
    assert_int_equal(info.segments[0].flags, ELF_SEG_R | ELF_SEG_X);
    assert_int_equal(info.segments[1].flags, ELF_SEG_R);
    assert_int_equal(info.segments[2].vaddr, BASE + 0x3020);
    assert_int_equal(info.segments[2].memsz, 0x2000);
    assert_int_equal(info.segments[2].offset, 3 * PAGE + 0x20);
    assert_int_equal(info.segments[2].filesz, 0x40);
    assert_int_equal(info.segments[2].flags, ELF_SEG_R | ELF_SEG_W);
    assert_int_equal(elf_seg_start(&info.segments[2]), BASE + 0x3000);
    assert_int_equal(elf_seg_end(&info.segments[2]), BASE + 0x6000);
    free(im);
}

static void unaligned_image_is_accepted(void **state)
{
    (void)state;
    struct image *im = good_image();
    unsigned char *copy = malloc(sizeof(im->bytes) + 1);
    assert_non_null(copy);
    memcpy(copy + 1, im->bytes, sizeof(im->bytes));
    struct elf_info info;
    assert_int_equal(elf_validate(copy + 1, sizeof(im->bytes), &info), ELF_OK);
    free(copy);
    free(im);
}

static void fill_page_copies_file_bytes_and_zeroes_bss(void **state)
{
    (void)state;
    struct image *im = good_image();
    struct elf_info info;
    assert_int_equal(elf_validate(im->bytes, sizeof(im->bytes), &info), ELF_OK);
    const struct elf_segment *data = &info.segments[2];
    unsigned char page[PAGE];

    memset(page, 0xee, sizeof(page));
    elf_fill_page(im->bytes, data, BASE + 0x3000, page);
    for (unsigned i = 0; i < PAGE; i++)
        assert_int_equal(page[i], i >= 0x20 && i < 0x60 ? 'd' : 0);

    memset(page, 0xee, sizeof(page));
    elf_fill_page(im->bytes, data, BASE + 0x5000, page); /* bss only */
    for (unsigned i = 0; i < PAGE; i++)
        assert_int_equal(page[i], 0);
    free(im);
}

static void truncated_header_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    assert_int_equal(check(im, 63), ELF_E_TRUNCATED);
    assert_int_equal(check(im, 0), ELF_E_TRUNCATED);
    struct elf_info info;
    assert_int_equal(elf_validate(NULL, 100, &info), ELF_E_TRUNCATED);
    free(im);
}

static void bad_magic_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.ident[1] = 'e';
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_MAGIC);
    free(im);
}

static void class32_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.ident[4] = 1;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_CLASS);
    free(im);
}

static void big_endian_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.ident[5] = 2;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ENDIAN);
    free(im);
}

static void wrong_type_or_machine_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.type = 3; /* ET_DYN */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_TYPE);
    im->eh.type = 2;
    im->eh.machine = 3; /* i386 */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_MACHINE);
    free(im);
}

static void phdrs_outside_file_are_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.phoff = sizeof(im->bytes) - sizeof(struct elf64_phdr); /* table runs past the end */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_PHDRS);
    im->eh.phoff = UINT64_MAX - 8; /* offset + size wraps */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_PHDRS);
    free(im);
}

static void phdr_table_shape_is_checked(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.phentsize = 32;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_PHDRS);
    im->eh.phentsize = sizeof(struct elf64_phdr);
    im->eh.phnum = 0;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_PHDRS);
    im->eh.phnum = 0xffff;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_PHDRS);
    free(im);
}

static void filesz_above_memsz_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[1].memsz = im->ph[1].filesz - 1;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_FILESZ);
    free(im);
}

static void file_bytes_outside_image_are_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[1].filesz = im->ph[1].memsz = PAGE * 3; /* runs past the end of the image */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_FILE_RANGE);
    im->ph[1] = (struct elf64_phdr){PT_LOAD, ELF_SEG_R, UINT64_MAX & ~0xfffull, BASE + 0x2000, 0, 0x2000, 0x2000, PAGE};
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_FILE_RANGE);
    free(im);
}

static void address_overflow_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[2].memsz = UINT64_MAX - 0x1000; /* vaddr + memsz wraps */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ADDR_RANGE);
    free(im);
}

static void kernel_half_vaddr_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[2].vaddr = 0xffffffff80003020ull;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ADDR_RANGE);
    im->ph[2].vaddr = ELF_USER_TOP - 0x1000 + 0x20; /* starts in the user half, ends above it */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ADDR_RANGE);
    free(im);
}

static void null_page_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[0].vaddr = 0;
    im->ph[0].offset = 0;
    im->eh.entry = 0x10;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ADDR_RANGE);
    free(im);
}

static void misaligned_offset_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[2].offset = 3 * PAGE + 0x28;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ALIGN);
    free(im);
}

static void writable_executable_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[0].flags = ELF_SEG_R | ELF_SEG_W | ELF_SEG_X;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_WX);
    free(im);
}

static void shared_page_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    /* Data moved onto the rodata page: one page, two sets of rights. */
    im->ph[2].vaddr = BASE + 0x2020;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_OVERLAP);
    free(im);
}

static void unsorted_segments_are_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    struct elf64_phdr t = im->ph[0];
    im->ph[0] = im->ph[2];
    im->ph[2] = t;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_OVERLAP);
    free(im);
}

static void no_load_segment_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    for (int i = 0; i < 3; i++)
        im->ph[i].type = 4; /* PT_NOTE */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_NO_LOAD);
    for (int i = 0; i < 3; i++) { /* loadable but empty */
        im->ph[i].type = PT_LOAD;
        im->ph[i].filesz = im->ph[i].memsz = 0;
    }
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_NO_LOAD);
    free(im);
}

static void dynamic_program_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->ph[3].type = PT_INTERP;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_DYNAMIC);
    im->ph[3].type = PT_DYNAMIC;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_DYNAMIC);
    free(im);
}

static void entry_outside_text_is_rejected(void **state)
{
    (void)state;
    struct image *im = good_image();
    im->eh.entry = BASE + 0x2000; /* rodata: not executable */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ENTRY);
    im->eh.entry = BASE + 0x1100; /* one past the end of text */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_ENTRY);
    free(im);
}

static void too_many_segments_are_rejected(void **state)
{
    (void)state;
    /* ELF_MAX_SEGMENTS + 1 one-page text segments on consecutive pages. */
    enum { N = ELF_MAX_SEGMENTS + 1 };
    size_t len = sizeof(struct elf64_ehdr) + N * sizeof(struct elf64_phdr) + PAGE;
    unsigned char *img = calloc(1, len);
    assert_non_null(img);
    struct image *base = good_image();
    struct elf64_ehdr eh = base->eh;
    eh.phnum = N;
    memcpy(img, &eh, sizeof(eh));
    for (unsigned i = 0; i < N; i++) {
        struct elf64_phdr p = {PT_LOAD, ELF_SEG_R | ELF_SEG_X, 0, BASE + 0x1000 + i * PAGE, 0, 0x10, 0x10, PAGE};
        memcpy(img + sizeof(eh) + i * sizeof(p), &p, sizeof(p));
    }
    struct elf_info info;
    assert_int_equal(elf_validate(img, len, &info), ELF_E_TOO_MANY);
    free(img);
    free(base);
}

static void every_error_has_text(void **state)
{
    (void)state;
    for (int e = 0; e < ELF_E_COUNT; e++) {
        assert_non_null(elf_strerror(e));
        assert_true(strlen(elf_strerror(e)) > 1);
    }
    assert_string_equal(elf_strerror(ELF_E_COUNT), "unknown ELF error");
}

/* Every range check at its edge: a segment, or the program headers, that
 * end exactly at the end of the file are fine; one byte more is not. */
static void ranges_ending_at_the_file_end(void **state)
{
    (void)state;
    struct image *im = good_image();
    size_t len = 3 * PAGE + 0x20 + 0x40; /* the data segment's file bytes end the file */
    assert_int_equal(check(im, len), ELF_OK);
    assert_int_equal(check(im, len - 1), ELF_E_FILE_RANGE);
    im->ph[2].filesz = im->ph[2].memsz = PAGE - 0x20; /* to the end of the whole image */
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_OK);
    im->ph[2].filesz = im->ph[2].memsz = PAGE - 0x20 + 1;
    assert_int_equal(check(im, sizeof(im->bytes)), ELF_E_FILE_RANGE);
    free(im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_elf_is_accepted),
        cmocka_unit_test(unaligned_image_is_accepted),
        cmocka_unit_test(fill_page_copies_file_bytes_and_zeroes_bss),
        cmocka_unit_test(truncated_header_is_rejected),
        cmocka_unit_test(bad_magic_is_rejected),
        cmocka_unit_test(class32_is_rejected),
        cmocka_unit_test(big_endian_is_rejected),
        cmocka_unit_test(wrong_type_or_machine_is_rejected),
        cmocka_unit_test(phdrs_outside_file_are_rejected),
        cmocka_unit_test(phdr_table_shape_is_checked),
        cmocka_unit_test(filesz_above_memsz_is_rejected),
        cmocka_unit_test(ranges_ending_at_the_file_end),
        cmocka_unit_test(file_bytes_outside_image_are_rejected),
        cmocka_unit_test(address_overflow_is_rejected),
        cmocka_unit_test(kernel_half_vaddr_is_rejected),
        cmocka_unit_test(null_page_is_rejected),
        cmocka_unit_test(misaligned_offset_is_rejected),
        cmocka_unit_test(writable_executable_is_rejected),
        cmocka_unit_test(shared_page_is_rejected),
        cmocka_unit_test(unsorted_segments_are_rejected),
        cmocka_unit_test(no_load_segment_is_rejected),
        cmocka_unit_test(dynamic_program_is_rejected),
        cmocka_unit_test(entry_outside_text_is_rejected),
        cmocka_unit_test(too_many_segments_are_rejected),
        cmocka_unit_test(every_error_has_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
