// host-test-sources: kernel/capspace.c kernel/quota.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kernel/capspace.h"
#include "kernel/kobj.h"
#include "test_pages.h"

/* Pages for the first insert in an empty space: a directory and a leaf. */
#define FIRST_INSERT_PAGES 2
#define SLOTS_PER_LEAF (1u << CAPSPACE_SLOT_BITS)
#define SELS_PER_DIR (1u << (CAPSPACE_SLOT_BITS + CAPSPACE_DIR_BITS))

static int obj_a, obj_b; /* stand-ins for kernel objects */

static void insert_lookup_remove(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_null(capspace_lookup(&cs, 40, DJ_OBJ_NONE, 0));
    assert_int_equal(capspace_insert(&cs, 40, &obj_a, DJ_OBJ_PT, DJ_PT_CALL | DJ_PT_CTRL), DJ_OK);
    struct capspace_slot *s = capspace_lookup(&cs, 40, DJ_OBJ_PT, DJ_PT_CALL);
    assert_non_null(s);
    assert_ptr_equal(s->obj, &obj_a);
    assert_int_equal(s->type, DJ_OBJ_PT);
    assert_int_equal(s->rights, DJ_PT_CALL | DJ_PT_CTRL);
    assert_null(s->node);
    assert_null(capspace_lookup(&cs, 39, DJ_OBJ_NONE, 0)); /* neighbours stay empty */
    assert_null(capspace_lookup(&cs, 41, DJ_OBJ_NONE, 0));
    struct capspace_slot old;
    assert_int_equal(capspace_remove(&cs, 40, &old), DJ_OK);
    assert_ptr_equal(old.obj, &obj_a);
    assert_int_equal(old.type, DJ_OBJ_PT);
    assert_null(capspace_lookup(&cs, 40, DJ_OBJ_NONE, 0));
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
    assert_int_equal(tp.quota.used_pages, 0);
}

/* The IPC fast path's portal cache: empty means a dead object (so even
 * a call at the empty marker's selector is turned away), and removing
 * the cached selector empties it while other removals keep it. */
static bool call_cache_empty(const struct capspace *cs)
{
    const struct kobj *none = cs->call_pt;
    return cs->call_sel == CAPSPACE_MAX_SEL && none && none->dead;
}

static void call_cache_forgotten_on_remove(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_true(call_cache_empty(&cs));
    assert_int_equal(capspace_insert(&cs, 40, &obj_a, DJ_OBJ_PT, DJ_PT_CALL), DJ_OK);
    assert_int_equal(capspace_insert(&cs, 41, &obj_b, DJ_OBJ_PT, DJ_PT_CALL), DJ_OK);
    cs.call_sel = 40; /* as the fast path fills it */
    cs.call_pt = &obj_a;
    assert_int_equal(capspace_remove(&cs, 41, NULL), DJ_OK);
    assert_int_equal(cs.call_sel, 40);
    assert_ptr_equal(cs.call_pt, &obj_a);
    assert_int_equal(capspace_remove(&cs, 40, NULL), DJ_OK);
    assert_true(call_cache_empty(&cs));
    cs.call_sel = 7;
    cs.call_pt = &obj_b;
    capspace_destroy(&cs);
    assert_true(call_cache_empty(&cs));
}

static void wrong_type_is_refused(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_insert(&cs, 5, &obj_a, DJ_OBJ_SM, DJ_SM_UP), DJ_OK);
    assert_null(capspace_lookup(&cs, 5, DJ_OBJ_PT, 0));
    assert_null(capspace_lookup(&cs, 5, DJ_OBJ_EC, DJ_SM_UP));
    assert_non_null(capspace_lookup(&cs, 5, DJ_OBJ_SM, 0));
    assert_non_null(capspace_lookup(&cs, 5, DJ_OBJ_NONE, 0)); /* NONE: any type */
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
}

static void missing_rights_are_refused(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_insert(&cs, 7, &obj_a, DJ_OBJ_SM, DJ_SM_UP), DJ_OK);
    assert_non_null(capspace_lookup(&cs, 7, DJ_OBJ_SM, DJ_SM_UP));
    assert_null(capspace_lookup(&cs, 7, DJ_OBJ_SM, DJ_SM_DOWN));
    assert_null(capspace_lookup(&cs, 7, DJ_OBJ_SM, DJ_SM_UP | DJ_SM_DOWN));
    assert_int_equal(capspace_insert(&cs, 8, &obj_b, DJ_OBJ_PD, 0), DJ_OK);
    assert_non_null(capspace_lookup(&cs, 8, DJ_OBJ_PD, 0)); /* a rightless cap still names */
    assert_null(capspace_lookup(&cs, 8, DJ_OBJ_PD, DJ_PD_CREATE));
    capspace_destroy(&cs);
}

static void out_of_range_selectors(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    const uint64_t bad[] = { CAPSPACE_MAX_SEL, CAPSPACE_MAX_SEL + 1, 1ull << 32, UINT64_MAX };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(capspace_insert(&cs, bad[i], &obj_a, DJ_OBJ_EC, 0), DJ_E_BAD_PARAM);
        assert_null(capspace_lookup(&cs, bad[i], DJ_OBJ_NONE, 0));
        assert_int_equal(capspace_remove(&cs, bad[i], NULL), DJ_E_BAD_PARAM);
    }
    assert_int_equal(tp.allocs, 0);
    /* The last selector is usable and does not alias selector 0. */
    assert_int_equal(capspace_insert(&cs, CAPSPACE_MAX_SEL - 1, &obj_a, DJ_OBJ_EC, 0), DJ_OK);
    assert_null(capspace_lookup(&cs, 0, DJ_OBJ_NONE, 0));
    assert_non_null(capspace_lookup(&cs, CAPSPACE_MAX_SEL - 1, DJ_OBJ_EC, 0));
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
}

static void occupied_selector_is_busy(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_insert(&cs, 100, &obj_a, DJ_OBJ_EC, DJ_EC_CTRL), DJ_OK);
    assert_int_equal(capspace_insert(&cs, 100, &obj_b, DJ_OBJ_SC, DJ_SC_CTRL), DJ_E_BUSY);
    struct capspace_slot *s = capspace_lookup(&cs, 100, DJ_OBJ_NONE, 0);
    assert_ptr_equal(s->obj, &obj_a); /* the original is untouched */
    assert_int_equal(s->type, DJ_OBJ_EC);
    assert_int_equal(capspace_remove(&cs, 100, NULL), DJ_OK);
    assert_int_equal(capspace_insert(&cs, 100, &obj_b, DJ_OBJ_SC, DJ_SC_CTRL), DJ_OK);
    capspace_destroy(&cs);
}

static void invalid_insert_arguments(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_insert(&cs, 1, NULL, DJ_OBJ_PD, 0), DJ_E_BAD_PARAM);
    assert_int_equal(capspace_insert(&cs, 1, &obj_a, DJ_OBJ_NONE, 0), DJ_E_BAD_PARAM);
    assert_int_equal(capspace_insert(&cs, 1, &obj_a, (enum dj_obj_type)(DJ_OBJ_DEVICE + 1), 0),
                     DJ_E_BAD_PARAM);
    assert_int_equal(capspace_insert(&cs, 1, &obj_a, DJ_OBJ_PD, DJ_OBJ_ALL + 1), DJ_E_BAD_PARAM);
    assert_null(capspace_lookup(&cs, 1, DJ_OBJ_NONE, 0));
    assert_int_equal(capspace_insert(&cs, 1, &obj_a, DJ_OBJ_DEBUG, DJ_OBJ_ALL), DJ_OK);
    capspace_destroy(&cs);
}

static void remove_empty_slot(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_remove(&cs, 3, NULL), DJ_E_BAD_CAP); /* no tables yet */
    assert_int_equal(capspace_insert(&cs, 4, &obj_a, DJ_OBJ_PD, 0), DJ_OK);
    assert_int_equal(capspace_remove(&cs, 3, NULL), DJ_E_BAD_CAP); /* table, empty slot */
    assert_int_equal(capspace_remove(&cs, 4, NULL), DJ_OK);
    assert_int_equal(capspace_remove(&cs, 4, NULL), DJ_E_BAD_CAP); /* twice */
    capspace_destroy(&cs);
}

static void tables_are_allocated_on_demand(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(tp.allocs, 0);
    assert_int_equal(capspace_insert(&cs, 0, &obj_a, DJ_OBJ_PD, 0), DJ_OK);
    assert_int_equal(tp.live, FIRST_INSERT_PAGES);
    assert_int_equal(capspace_insert(&cs, SLOTS_PER_LEAF - 1, &obj_a, DJ_OBJ_PD, 0), DJ_OK);
    assert_int_equal(tp.live, FIRST_INSERT_PAGES); /* same leaf */
    assert_int_equal(capspace_insert(&cs, SLOTS_PER_LEAF, &obj_a, DJ_OBJ_PD, 0), DJ_OK);
    assert_int_equal(tp.live, FIRST_INSERT_PAGES + 1); /* a new leaf, same directory */
    assert_int_equal(capspace_insert(&cs, SELS_PER_DIR, &obj_a, DJ_OBJ_PD, 0), DJ_OK);
    assert_int_equal(tp.live, FIRST_INSERT_PAGES + 3); /* a new directory and leaf */
    assert_int_equal(tp.quota.used_pages, tp.live);
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
    assert_int_equal(tp.quota.used_pages, 0);
}

static void quota_exhaustion_during_leaf_allocation(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 1); /* a directory fits, its leaf does not */
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_insert(&cs, 9, &obj_a, DJ_OBJ_PT, 0), DJ_E_QUOTA);
    assert_null(capspace_lookup(&cs, 9, DJ_OBJ_NONE, 0));
    assert_int_equal(tp.quota.used_pages, tp.live); /* every live page charged, none lost */
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
    assert_int_equal(tp.quota.used_pages, 0);

    test_pages_init(&tp, 0); /* not even the directory */
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_insert(&cs, 9, &obj_a, DJ_OBJ_PT, 0), DJ_E_QUOTA);
    assert_int_equal(tp.allocs, 0);
    capspace_destroy(&cs);
}

static void allocator_failure_is_quota_error(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    tp.fail_after = 1; /* the directory succeeds, the leaf fails */
    assert_int_equal(capspace_insert(&cs, 9, &obj_a, DJ_OBJ_PT, 0), DJ_E_QUOTA);
    assert_int_equal(tp.quota.used_pages, 1); /* the kept directory only */
    tp.fail_after = -1;
    assert_int_equal(capspace_insert(&cs, 9, &obj_a, DJ_OBJ_PT, 0), DJ_OK); /* retry reuses it */
    assert_int_equal(tp.live, FIRST_INSERT_PAGES);
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
    assert_int_equal(tp.quota.used_pages, 0);
}

struct visit_log {
    uint64_t sels[8];
    unsigned n;
};

static void log_and_remove(struct capspace *cs, uint64_t sel, struct capspace_slot *slot, void *ctx)
{
    struct visit_log *log = ctx;
    assert_non_null(slot->obj);
    assert_true(log->n < 8);
    log->sels[log->n++] = sel;
    assert_int_equal(capspace_remove(cs, sel, NULL), DJ_OK);
}

static void for_each_visits_in_order(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    const uint64_t sels[] = { 3, 200, 201, SELS_PER_DIR * 2 + 5, CAPSPACE_MAX_SEL - 1 };
    for (int i = 4; i >= 0; i--)
        assert_int_equal(capspace_insert(&cs, sels[i], &obj_a, DJ_OBJ_SM, 0), DJ_OK);
    struct visit_log log = { .n = 0 };
    capspace_for_each(&cs, log_and_remove, &log);
    assert_int_equal(log.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(log.sels[i], sels[i]);
        assert_null(capspace_lookup(&cs, sels[i], DJ_OBJ_NONE, 0));
    }
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
}

static void sparse_fill_of_whole_space(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 4096);
    capspace_init(&cs, &tp.src);
    for (uint64_t sel = 0; sel < CAPSPACE_MAX_SEL; sel += 97)
        assert_int_equal(capspace_insert(&cs, sel, (void *)(uintptr_t)(sel * 8 + 8), DJ_OBJ_EC, 1), DJ_OK);
    for (uint64_t sel = 0; sel < CAPSPACE_MAX_SEL; sel++) {
        struct capspace_slot *s = capspace_lookup(&cs, sel, DJ_OBJ_EC, 0);
        if (sel % 97 == 0) {
            assert_non_null(s);
            assert_ptr_equal(s->obj, (void *)(uintptr_t)(sel * 8 + 8));
        } else {
            assert_null(s);
        }
    }
    assert_int_equal(tp.live, (CAPSPACE_MAX_SEL / SLOTS_PER_LEAF) + CAPSPACE_DIRS);
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
}

/* capspace_next: the next occupied selector, skipping absent leaves and
 * directories whole, CAPSPACE_MAX_SEL past the last. */
static void next_finds_occupied_selectors(void **state)
{
    (void)state;
    struct test_pages tp;
    struct capspace cs;
    test_pages_init(&tp, 100);
    capspace_init(&cs, &tp.src);
    assert_int_equal(capspace_next(&cs, 0), CAPSPACE_MAX_SEL);
    const uint64_t sels[] = {3, SLOTS_PER_LEAF + 1, 2 * SELS_PER_DIR + 5, CAPSPACE_MAX_SEL - 1};
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(capspace_insert(&cs, sels[i], &obj_a, DJ_OBJ_SM, DJ_SM_UP), DJ_OK);
    assert_int_equal(capspace_next(&cs, 0), 3);
    assert_int_equal(capspace_next(&cs, 3), 3);
    assert_int_equal(capspace_next(&cs, 4), SLOTS_PER_LEAF + 1);
    assert_int_equal(capspace_next(&cs, SLOTS_PER_LEAF + 2), 2 * SELS_PER_DIR + 5);
    assert_int_equal(capspace_next(&cs, 2 * SELS_PER_DIR + 6), CAPSPACE_MAX_SEL - 1);
    assert_int_equal(capspace_next(&cs, CAPSPACE_MAX_SEL), CAPSPACE_MAX_SEL);
    assert_int_equal(capspace_remove(&cs, 3, NULL), DJ_OK);
    assert_int_equal(capspace_next(&cs, 0), SLOTS_PER_LEAF + 1); /* an emptied slot in a kept leaf */
    capspace_destroy(&cs);
    assert_int_equal(tp.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insert_lookup_remove),
        cmocka_unit_test(call_cache_forgotten_on_remove),
        cmocka_unit_test(wrong_type_is_refused),
        cmocka_unit_test(missing_rights_are_refused),
        cmocka_unit_test(out_of_range_selectors),
        cmocka_unit_test(occupied_selector_is_busy),
        cmocka_unit_test(invalid_insert_arguments),
        cmocka_unit_test(remove_empty_slot),
        cmocka_unit_test(tables_are_allocated_on_demand),
        cmocka_unit_test(quota_exhaustion_during_leaf_allocation),
        cmocka_unit_test(allocator_failure_is_quota_error),
        cmocka_unit_test(for_each_visits_in_order),
        cmocka_unit_test(sparse_fill_of_whole_space),
        cmocka_unit_test(next_finds_occupied_selectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
