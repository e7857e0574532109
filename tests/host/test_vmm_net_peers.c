// host-test-sources: servers/vmm/net_peers.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* Which of a VM line's portals become virtio-net devices (net_peers.c):
 * every pt= name but console and parent, in the order written, at most
 * NET_MAX_DEVICES, none twice; anything else is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/net_peers.h"

static unsigned fill(struct dj_start_cap *caps, const char *const *names, unsigned n)
{
    memset(caps, 0, sizeof(struct dj_start_cap) * DJ_CHILD_MAX_GRANTS);
    for (unsigned i = 0; i < n; i++) {
        strncpy(caps[i].name, names[i], DJ_START_NAME_MAX - 1);
        caps[i].sel = 100 + i;
    }
    return n;
}

static void peers_in_pt_order(void **state)
{
    (void)state;
    struct dj_start_cap caps[DJ_CHILD_MAX_GRANTS];
    const char *names[] = {"console", "lannic", "parent", "esp"};
    unsigned n = fill(caps, names, 4);
    struct net_peer out[NET_MAX_DEVICES];
    const char *why = NULL;
    assert_int_equal(net_peers_choose(caps, n, out, &why), 2);
    assert_string_equal(out[0].name, "lannic");
    assert_int_equal(out[0].sel, 101);
    assert_string_equal(out[1].name, "esp");
    assert_int_equal(out[1].sel, 103);
    assert_null(why);
}

static void no_peer_no_network(void **state)
{
    (void)state;
    struct dj_start_cap caps[DJ_CHILD_MAX_GRANTS];
    const char *names[] = {"console"};
    struct net_peer out[NET_MAX_DEVICES];
    const char *why = NULL;
    assert_int_equal(net_peers_choose(caps, fill(caps, names, 1), out, &why), 0);
    assert_int_equal(net_peers_choose(caps, 0, out, &why), 0);
}

static void four_is_the_limit(void **state)
{
    (void)state;
    struct dj_start_cap caps[DJ_CHILD_MAX_GRANTS];
    const char *four[] = {"a", "console", "b", "c", "d"};
    const char *five[] = {"a", "b", "c", "d", "e"};
    struct net_peer out[NET_MAX_DEVICES];
    const char *why = NULL;
    assert_int_equal(net_peers_choose(caps, fill(caps, four, 5), out, &why), 4);
    assert_string_equal(out[3].name, "d");
    assert_int_equal(net_peers_choose(caps, fill(caps, five, 5), out, &why), -1);
    assert_non_null(strstr(why, "at most 4"));
}

static void twice_refused(void **state)
{
    (void)state;
    struct dj_start_cap caps[DJ_CHILD_MAX_GRANTS];
    const char *names[] = {"nic", "console", "nic"};
    struct net_peer out[NET_MAX_DEVICES];
    const char *why = NULL;
    assert_int_equal(net_peers_choose(caps, fill(caps, names, 3), out, &why), -1);
    assert_non_null(strstr(why, "twice"));
}

static void hostile_count_bounded(void **state)
{
    (void)state;
    struct dj_start_cap caps[DJ_CHILD_MAX_GRANTS];
    const char *names[] = {"console"};
    struct net_peer out[NET_MAX_DEVICES];
    const char *why = NULL;
    /* A start page claiming more grants than it has room for: only the
     * array is read (ASan would see an overrun). */
    fill(caps, names, 1);
    assert_int_equal(net_peers_choose(caps, 1000, out, &why), -1); /* the empty names count as one peer twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peers_in_pt_order),   cmocka_unit_test(no_peer_no_network),
        cmocka_unit_test(four_is_the_limit),   cmocka_unit_test(twice_refused),
        cmocka_unit_test(hostile_count_bounded),
    };
    return cmocka_run_group_tests_name("vmm_net_peers", tests, NULL, NULL);
}
