/*
 * The decision every member of the replicated configuration takes from the
 * versions it sees (src/daemon/cfgsync_decide.c, pure): which content and
 * version the cluster adopts, from which holder, and each member's fate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/cfgsync.h"

static struct cfgver ver(uint64_t v, char c, bool edited)
{
    struct cfgver x = {.version = v, .edited = edited};
    memset(x.sha256, c, SHA256_HEX_LEN);
    x.sha256[SHA256_HEX_LEN] = 0;
    return x;
}

/* want_fates: one letter per member, s(ame), b(ehind) or r(efused). */
static void decide(const struct cfgver *v, const bool *present, size_t n, uint64_t want_version,
                   char want_hash, size_t want_holder, const char *want_fates)
{
    struct cfgver adopted;
    size_t holder;
    enum cfgsync_fate fates[8];
    cfgsync_decide(v, present, n, &adopted, &holder, fates);
    char hash[SHA256_HEX_LEN + 1];
    memset(hash, want_hash, SHA256_HEX_LEN);
    hash[SHA256_HEX_LEN] = 0;
    assert_int_equal(adopted.version, want_version);
    assert_string_equal(adopted.sha256, hash);
    assert_false(adopted.edited);
    assert_int_equal(holder, want_holder);
    for (size_t i = 0; i < n; i++) {
        char f = fates[i] == CFGSYNC_SAME ? 's' : fates[i] == CFGSYNC_BEHIND ? 'b' : 'r';
        if (f != want_fates[i])
            fail_msg("member %zu: fate %c, want %c", i, f, want_fates[i]);
    }
}

static void test_decide(void **state)
{
    bool all[3] = {true, true, true};
    /* One content: the highest version, from its lowest holder. */
    struct cfgver a[3] = {ver(4, 'a', false), ver(5, 'a', false), ver(5, 'a', true)};
    decide(a, all, 3, 5, 'a', 1, "sss");
    /* One content held only edited at the top: the next version. */
    struct cfgver b[3] = {ver(5, 'b', true), ver(5, 'b', true), ver(4, 'b', false)};
    decide(b, all, 3, 6, 'b', 0, "sss");
    /* The same content, edited everywhere (every file edited alike): the next version. */
    struct cfgver b2[2] = {ver(3, 'b', true), ver(3, 'b', true)};
    decide(b2, all, 2, 4, 'b', 0, "ss");
    /* A newer unedited copy wins; older unedited ones are behind. */
    struct cfgver c[3] = {ver(3, 'a', false), ver(4, 'c', false), ver(4, 'c', false)};
    decide(c, all, 3, 4, 'c', 1, "bss");
    struct cfgver c2[3] = {ver(9, 'c', false), ver(2, 'a', false), ver(8, 'b', false)};
    decide(c2, all, 3, 9, 'c', 0, "sbb");
    /* An edited copy is refused, at the same version or a lower one... */
    struct cfgver d[3] = {ver(4, 'c', false), ver(4, 'd', true), ver(3, 'e', true)};
    decide(d, all, 3, 4, 'c', 0, "srr");
    /* ...and at a higher one: an unedited copy always wins over edited ones. */
    struct cfgver d2[2] = {ver(7, 'e', true), ver(4, 'c', false)};
    decide(d2, all, 2, 4, 'c', 1, "rs");
    /* Two unedited contents at the same version: the lowest node's; the other refused. */
    struct cfgver e[3] = {ver(1, 'e', false), ver(1, 'f', false), ver(1, 'e', false)};
    decide(e, all, 3, 1, 'e', 0, "srs");
    struct cfgver e2[3] = {ver(1, 'a', false), ver(6, 'f', false), ver(6, 'e', false)};
    decide(e2, all, 3, 6, 'f', 1, "bsr");
    /* Only edited copies, differing: the lowest node's, as the next version. */
    struct cfgver g[2] = {ver(2, 'g', true), ver(2, 'h', true)};
    decide(g, all, 2, 3, 'g', 0, "sr");
    struct cfgver g2[3] = {ver(2, 'g', true), ver(5, 'h', true), ver(2, 'g', true)};
    decide(g2, all, 3, 6, 'h', 1, "rsr");
    /* Absent members count for nothing: their fate is "same". */
    bool some[3] = {false, true, true};
    struct cfgver h[3] = {ver(9, 'z', false), ver(2, 'h', false), ver(2, 'h', false)};
    decide(h, some, 3, 2, 'h', 1, "sss");
    bool last[3] = {false, false, true};
    struct cfgver h2[3] = {ver(9, 'z', false), ver(8, 'y', false), ver(2, 'h', true)};
    decide(h2, last, 3, 3, 'h', 2, "sss");
    bool mid[3] = {true, false, true};
    struct cfgver h3[3] = {ver(1, 'a', false), ver(9, 'z', false), ver(3, 'c', false)};
    decide(h3, mid, 3, 3, 'c', 2, "bss");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
