// host-test-sources: kernel/mdb.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <cmocka.h>
#include "kernel/mdb.h"

#define DEEP_CHAIN 100000
#define SMALL_STACK (128 * 1024) /* far too small for one frame per level */

/* Three "PDs": only their addresses matter, as node->space. */
static int pd_a, pd_b, pd_c;

static struct mdb_node mem_node(void *space, uint64_t base, unsigned order, unsigned rights,
                                uint64_t phys)
{
    struct mdb_node n;
    mdb_node_init(&n, space, DJ_CRD_MEM, base, order, rights, phys);
    return n;
}

struct removal_log {
    struct mdb_node *order[16];
    size_t n;
};

/* Checks the order (no children left when a node goes) and records it. */
static void record_removal(struct mdb_node *node, void *ctx)
{
    struct removal_log *log = ctx;
    assert_null(node->first_child);
    assert_null(node->parent);
    assert_null(node->next_sibling);
    assert_null(node->prev_sibling);
    if (log->n < 16)
        log->order[log->n] = node;
    log->n++;
}

static void count_call(struct mdb_node *node, void *ctx)
{
    (void)node;
    (*(size_t *)ctx)++;
}

static bool was_removed(const struct removal_log *log, const struct mdb_node *n)
{
    for (size_t i = 0; i < log->n && i < 16; i++)
        if (log->order[i] == n)
            return true;
    return false;
}

/* Device memory hangs below the device-memory capability it was mapped
 * with: revoking the capability's derivations removes a delegated copy,
 * the mappings made with that copy and what was delegated from them. */
static void mapping_below_capability(void **state)
{
    (void)state;
    struct mdb_node cap, copy, other;
    mdb_node_init(&cap, &pd_a, DJ_CRD_OBJ, 4, 0, DJ_OBJ_ALL, 0x1000);
    mdb_node_init(&copy, &pd_b, DJ_CRD_OBJ, 9, 0, DJ_DEVMEM_MAP, 0x1000);
    mdb_node_init(&other, &pd_b, DJ_CRD_OBJ, 10, 0, DJ_OBJ_ALL, 0x2000);
    struct mdb_node map = mem_node(&pd_b, 0x50, 0, DJ_MEM_R | DJ_MEM_W, 0xf0);
    struct mdb_node given = mem_node(&pd_c, 0x60, 0, DJ_MEM_R, 0xf0);
    struct mdb_node stray = mem_node(&pd_c, 0x70, 0, DJ_MEM_R, 0xf0);
    assert_int_equal(mdb_derive(&cap, &copy), DJ_OK);
    assert_int_equal(mdb_derive_mapping(&copy, &map), DJ_OK);
    assert_int_equal(mdb_derive(&map, &given), DJ_OK);
    assert_int_equal(mdb_derive_mapping(&copy, &map), DJ_E_BAD_PARAM);   /* linked already */
    assert_int_equal(mdb_derive_mapping(&map, &stray), DJ_E_BAD_PARAM);  /* not below an object node */
    assert_int_equal(mdb_derive_mapping(&other, &copy), DJ_E_BAD_PARAM); /* not a memory node */
    assert_int_equal(mdb_derive(&copy, &stray), DJ_E_BAD_PARAM);         /* kinds still differ for mdb_derive */
    struct removal_log log = {0};
    assert_int_equal(mdb_revoke(&cap, false, record_removal, &log), 3);
    assert_true(was_removed(&log, &copy) && was_removed(&log, &map) && was_removed(&log, &given));
    assert_null(cap.first_child);
}

static void derive_links_children(void **state)
{
    (void)state;
    struct mdb_node root = mem_node(&pd_a, 0, 4, DJ_MEM_ALL, 0x100);
    struct mdb_node c1 = mem_node(&pd_b, 50, 0, DJ_MEM_R, 0x100);
    struct mdb_node c2 = mem_node(&pd_c, 60, 2, DJ_MEM_R | DJ_MEM_W, 0x10c);
    assert_int_equal(mdb_derive(&root, &c1), DJ_OK);
    assert_int_equal(mdb_derive(&root, &c2), DJ_OK);
    assert_ptr_equal(root.first_child, &c2); /* newest first */
    assert_ptr_equal(c2.next_sibling, &c1);
    assert_ptr_equal(c1.prev_sibling, &c2);
    assert_ptr_equal(c1.parent, &root);
    assert_ptr_equal(c2.parent, &root);
    assert_null(c1.next_sibling);
    assert_null(c2.prev_sibling);
}

static void derive_rejects_rights_escalation(void **state)
{
    (void)state;
    struct mdb_node root = mem_node(&pd_a, 0, 0, DJ_MEM_R | DJ_MEM_X, 7);
    struct mdb_node c = mem_node(&pd_b, 0, 0, DJ_MEM_R | DJ_MEM_W, 7);
    assert_int_equal(mdb_derive(&root, &c), DJ_E_BAD_PARAM);
    assert_null(root.first_child);
    assert_null(c.parent);
    c.rights = DJ_MEM_X;
    assert_int_equal(mdb_derive(&root, &c), DJ_OK);
}

static void derive_rejects_bad_shapes(void **state)
{
    (void)state;
    struct mdb_node root = mem_node(&pd_a, 0, 3, DJ_MEM_ALL, 0x1000); /* phys pages 0x1000..0x1007 */
    struct mdb_node c = mem_node(&pd_b, 0, 0, DJ_MEM_R, 0x1008);      /* just past the end */
    assert_int_equal(mdb_derive(&root, &c), DJ_E_BAD_PARAM);
    c.source_base = 0xfff; /* just before */
    assert_int_equal(mdb_derive(&root, &c), DJ_E_BAD_PARAM);
    c = mem_node(&pd_b, 0, 4, DJ_MEM_R, 0x1000); /* larger than the parent */
    assert_int_equal(mdb_derive(&root, &c), DJ_E_BAD_PARAM);
    c = mem_node(&pd_b, 0, 2, DJ_MEM_R, 0x1006); /* straddles the end */
    assert_int_equal(mdb_derive(&root, &c), DJ_E_BAD_PARAM);
    struct mdb_node io;
    mdb_node_init(&io, &pd_b, DJ_CRD_IO, 0, 0, DJ_MEM_R, 0x1000); /* wrong kind */
    assert_int_equal(mdb_derive(&root, &io), DJ_E_BAD_PARAM);
    assert_int_equal(mdb_derive(&root, &root), DJ_E_BAD_PARAM);
    assert_null(root.first_child);
    c = mem_node(&pd_b, 0, 2, DJ_MEM_R, 0x1004); /* the upper half: fine */
    assert_int_equal(mdb_derive(&root, &c), DJ_OK);
    assert_int_equal(mdb_derive(&root, &c), DJ_E_BAD_PARAM); /* already linked */
    struct mdb_node other = mem_node(&pd_c, 0, 3, DJ_MEM_ALL, 0x1000);
    assert_int_equal(mdb_derive(&other, &c), DJ_E_BAD_PARAM); /* second parent */
    assert_ptr_equal(c.parent, &root);
}

static void object_caps_must_name_the_same_object(void **state)
{
    (void)state;
    struct mdb_node a, b;
    mdb_node_init(&a, &pd_a, DJ_CRD_OBJ, 40, 0, DJ_PT_CALL | DJ_PT_CTRL, (uintptr_t)&pd_c);
    mdb_node_init(&b, &pd_b, DJ_CRD_OBJ, 33, 0, DJ_PT_CALL, (uintptr_t)&pd_c + 8);
    assert_int_equal(mdb_derive(&a, &b), DJ_E_BAD_PARAM);
    b.source_base = (uintptr_t)&pd_c;
    assert_int_equal(mdb_derive(&a, &b), DJ_OK);
}

static void rights_only_shrink_along_a_chain(void **state)
{
    (void)state;
    struct mdb_node a = mem_node(&pd_a, 0, 0, DJ_MEM_ALL, 1);
    struct mdb_node b = mem_node(&pd_b, 0, 0, DJ_MEM_R | DJ_MEM_W, 1);
    struct mdb_node c = mem_node(&pd_c, 0, 0, DJ_MEM_R | DJ_MEM_X, 1);
    assert_int_equal(mdb_derive(&a, &b), DJ_OK);
    /* X is in the grandparent, not in the parent: refused. */
    assert_int_equal(mdb_derive(&b, &c), DJ_E_BAD_PARAM);
    c.rights = DJ_MEM_R;
    assert_int_equal(mdb_derive(&b, &c), DJ_OK);
}

/* A (pd_a) -> B1 (pd_b) -> C (pd_c), A -> B2 (pd_b), C -> D (pd_a). */
struct three_pds {
    struct mdb_node a, b1, b2, c, d;
};

static void build_three_pds(struct three_pds *t)
{
    t->a = mem_node(&pd_a, 0x10, 4, DJ_MEM_ALL, 0x800);
    t->b1 = mem_node(&pd_b, 0x20, 3, DJ_MEM_R | DJ_MEM_W, 0x800);
    t->b2 = mem_node(&pd_b, 0x40, 0, DJ_MEM_R, 0x80f);
    t->c = mem_node(&pd_c, 0x30, 1, DJ_MEM_R | DJ_MEM_W, 0x802);
    t->d = mem_node(&pd_a, 0x90, 0, DJ_MEM_R, 0x803);
    assert_int_equal(mdb_derive(&t->a, &t->b1), DJ_OK);
    assert_int_equal(mdb_derive(&t->a, &t->b2), DJ_OK);
    assert_int_equal(mdb_derive(&t->b1, &t->c), DJ_OK);
    assert_int_equal(mdb_derive(&t->c, &t->d), DJ_OK);
}

static void recursive_revoke_across_three_pds(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    struct removal_log log = { .n = 0 };
    assert_int_equal(mdb_revoke(&t.a, false, record_removal, &log), 4);
    assert_int_equal(log.n, 4);
    assert_true(was_removed(&log, &t.b1) && was_removed(&log, &t.b2));
    assert_true(was_removed(&log, &t.c) && was_removed(&log, &t.d));
    assert_false(was_removed(&log, &t.a));
    assert_null(t.a.first_child); /* A stays, with nothing derived */
    assert_int_equal(t.a.rights, DJ_MEM_ALL);
}

static void revoke_self_removes_the_node(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    struct removal_log log = { .n = 0 };
    assert_int_equal(mdb_revoke(&t.a, true, record_removal, &log), 5);
    assert_ptr_equal(log.order[4], &t.a); /* the root goes last */
}

static void revoking_a_middle_node_keeps_siblings(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    struct removal_log log = { .n = 0 };
    assert_int_equal(mdb_revoke(&t.b1, true, record_removal, &log), 3);
    assert_ptr_equal(log.order[0], &t.d);
    assert_ptr_equal(log.order[1], &t.c);
    assert_ptr_equal(log.order[2], &t.b1);
    assert_ptr_equal(t.a.first_child, &t.b2); /* the sibling stays linked */
    assert_null(t.b2.next_sibling);
    assert_null(t.b2.prev_sibling);
    assert_ptr_equal(t.b2.parent, &t.a);
    /* And the same with the sibling list the other way round. */
    build_three_pds(&t);
    log.n = 0;
    assert_int_equal(mdb_revoke(&t.b2, true, record_removal, &log), 1);
    assert_ptr_equal(t.a.first_child, &t.b1);
    assert_null(t.b1.next_sibling);
    assert_ptr_equal(t.c.parent, &t.b1);
}

/* Runs fn on a thread with a small stack, so recursion shows up as a crash. */
static void run_on_small_stack(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t th;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    assert_int_equal(pthread_create(&th, &attr, fn, arg), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
}

static struct mdb_node *make_chain(size_t n)
{
    struct mdb_node *chain = calloc(n, sizeof(*chain));
    assert_non_null(chain);
    chain[0] = mem_node(&pd_a, 0, 0, DJ_MEM_ALL, 42);
    for (size_t i = 1; i < n; i++) {
        void *space = i % 3 == 0 ? (void *)&pd_a : i % 3 == 1 ? (void *)&pd_b : (void *)&pd_c;
        chain[i] = mem_node(space, i, 0, DJ_MEM_ALL, 42);
        assert_int_equal(mdb_derive(&chain[i - 1], &chain[i]), DJ_OK);
    }
    return chain;
}

struct deep_job {
    struct mdb_node *chain;
    size_t count;
    size_t calls;
};

static void check_leaf_removed(struct mdb_node *node, void *ctx)
{
    struct deep_job *job = ctx;
    /* Children first: the deepest node goes first, then up the chain. */
    if (node != &job->chain[DEEP_CHAIN - 1 - job->calls])
        abort();
    job->calls++;
}

static void *deep_revoke(void *arg)
{
    struct deep_job *job = arg;
    job->count = mdb_revoke(&job->chain[0], true, check_leaf_removed, job);
    return NULL;
}

static void deep_chain_revoke_without_recursion(void **state)
{
    (void)state;
    struct deep_job job = { make_chain(DEEP_CHAIN), 0, 0 };
    run_on_small_stack(deep_revoke, &job);
    assert_int_equal(job.count, DEEP_CHAIN);
    assert_int_equal(job.calls, DEEP_CHAIN);
    free(job.chain);
}

static void *deep_reduce(void *arg)
{
    struct deep_job *job = arg;
    job->count = mdb_reduce_rights(&job->chain[1], DJ_MEM_W, count_call, &job->calls);
    return NULL;
}

static void deep_chain_rights_reduction(void **state)
{
    (void)state;
    struct deep_job job = { make_chain(DEEP_CHAIN), 0, 0 };
    run_on_small_stack(deep_reduce, &job);
    assert_int_equal(job.count, DEEP_CHAIN - 1);
    assert_int_equal(job.calls, DEEP_CHAIN - 1);
    assert_int_equal(job.chain[0].rights, DJ_MEM_ALL);
    assert_int_equal(job.chain[DEEP_CHAIN - 1].rights, DJ_MEM_R | DJ_MEM_X);
    size_t removed = mdb_revoke(&job.chain[0], false, count_call, &job.calls);
    assert_int_equal(removed, DEEP_CHAIN - 1);
    free(job.chain);
}

static void wide_tree_revoke(void **state)
{
    (void)state;
    enum { WIDTH = 10000 };
    struct mdb_node *n = calloc(1 + 2 * WIDTH, sizeof(*n));
    assert_non_null(n);
    n[0] = mem_node(&pd_a, 0, 0, DJ_MEM_ALL, 9);
    for (size_t i = 1; i <= WIDTH; i++) { /* each child has one grandchild */
        n[i] = mem_node(&pd_b, i, 0, DJ_MEM_R, 9);
        n[WIDTH + i] = mem_node(&pd_c, i, 0, DJ_MEM_R, 9);
        assert_int_equal(mdb_derive(&n[0], &n[i]), DJ_OK);
        assert_int_equal(mdb_derive(&n[i], &n[WIDTH + i]), DJ_OK);
    }
    struct removal_log log = { .n = 0 };
    assert_int_equal(mdb_revoke(&n[0], false, record_removal, &log), 2 * WIDTH);
    assert_null(n[0].first_child);
    free(n);
}

static void partial_revoke_reduces_subtree_rights(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    size_t calls = 0;
    /* Take W from B1's subtree: B1 and C lose it; D (read-only) is skipped;
     * A and B2 are outside the subtree. */
    assert_int_equal(mdb_reduce_rights(&t.b1, DJ_MEM_W, count_call, &calls), 2);
    assert_int_equal(calls, 2);
    assert_int_equal(t.b1.rights, DJ_MEM_R);
    assert_int_equal(t.c.rights, DJ_MEM_R);
    assert_int_equal(t.d.rights, DJ_MEM_R);
    assert_int_equal(t.a.rights, DJ_MEM_ALL);
    assert_ptr_equal(t.c.parent, &t.b1); /* still linked */
    /* Taking it again changes nothing. */
    assert_int_equal(mdb_reduce_rights(&t.b1, DJ_MEM_W, count_call, &calls), 0);
    /* A right removed from a node cannot come back by a new derivation. */
    struct mdb_node e = mem_node(&pd_c, 0, 0, DJ_MEM_R | DJ_MEM_W, 0x801);
    assert_int_equal(mdb_derive(&t.b1, &e), DJ_E_BAD_PARAM);
}

static void reduce_rights_from_the_root(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    size_t calls = 0;
    assert_int_equal(mdb_reduce_rights(&t.a, DJ_MEM_R, count_call, &calls), 5);
    assert_int_equal(t.a.rights, DJ_MEM_W | DJ_MEM_X);
    assert_int_equal(t.b2.rights, 0); /* left rightless but linked */
    assert_int_equal(t.d.rights, 0);
    assert_ptr_equal(t.b2.parent, &t.a);
}

static void bounded_revoke_continues(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    struct removal_log log = { .n = 0 };
    size_t count = 0;
    assert_false(mdb_revoke_bounded(&t.a, true, 2, record_removal, &log, &count));
    assert_int_equal(count, 2);
    assert_false(mdb_revoke_bounded(&t.a, true, 2, record_removal, &log, &count));
    assert_int_equal(count, 4);
    assert_true(mdb_revoke_bounded(&t.a, true, 2, record_removal, &log, &count));
    assert_int_equal(count, 5);
    assert_ptr_equal(log.order[4], &t.a);
    /* Nothing left to do: complete at once, even with no budget. */
    struct mdb_node lone = mem_node(&pd_a, 0, 0, DJ_MEM_R, 1);
    assert_true(mdb_revoke_bounded(&lone, false, 0, record_removal, &log, NULL));
    assert_false(mdb_revoke_bounded(&lone, true, 0, record_removal, &log, NULL));
}

static void for_each_child_and_subtree_walk(void **state)
{
    (void)state;
    struct three_pds t;
    build_three_pds(&t);
    size_t calls = 0;
    mdb_for_each_child(&t.a, count_call, &calls);
    assert_int_equal(calls, 2);
    /* Pre-order from B1: B1, C, D, and never leaves the subtree. */
    struct mdb_node *n = &t.b1;
    assert_ptr_equal(n = mdb_subtree_next(&t.b1, n), &t.c);
    assert_ptr_equal(n = mdb_subtree_next(&t.b1, n), &t.d);
    assert_null(mdb_subtree_next(&t.b1, n));
    /* From A: all five, each once. */
    size_t seen = 0;
    for (n = &t.a; n; n = mdb_subtree_next(&t.a, n))
        seen++;
    assert_int_equal(seen, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(derive_links_children),
        cmocka_unit_test(derive_rejects_rights_escalation),
        cmocka_unit_test(derive_rejects_bad_shapes),
        cmocka_unit_test(object_caps_must_name_the_same_object),
        cmocka_unit_test(rights_only_shrink_along_a_chain),
        cmocka_unit_test(recursive_revoke_across_three_pds),
        cmocka_unit_test(revoke_self_removes_the_node),
        cmocka_unit_test(revoking_a_middle_node_keeps_siblings),
        cmocka_unit_test(deep_chain_revoke_without_recursion),
        cmocka_unit_test(deep_chain_rights_reduction),
        cmocka_unit_test(wide_tree_revoke),
        cmocka_unit_test(partial_revoke_reduces_subtree_rights),
        cmocka_unit_test(reduce_rights_from_the_root),
        cmocka_unit_test(bounded_revoke_continues),
        cmocka_unit_test(for_each_child_and_subtree_walk),
        cmocka_unit_test(mapping_below_capability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
