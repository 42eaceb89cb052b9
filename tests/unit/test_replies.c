/*
 * Deferred replies (src/daemon/replies.c): each waiting request is answered
 * once, under its own token, with the answer built for it; entries for other
 * keys stay; deadlines expire only what is due.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/replies.h"

struct sent {
    uint64_t token[16];
    char text[16][64];
    size_t n;
};

static void record(void *ctx, uint64_t token, json_t *reply)
{
    struct sent *s = ctx;
    assert_true(s->n < 16);
    s->token[s->n] = token;
    snprintf(s->text[s->n], sizeof(s->text[0]), "%s", json_string_value(reply));
    s->n++;
    json_decref(reply);
}

static json_t *make(void *ctx, const struct reply_wait *w)
{
    return json_sprintf("%s:%llu", w->what, (unsigned long long)w->key);
}

static void test_answer_once_by_key(void **state)
{
    struct sent s = {0};
    struct replies r;
    replies_init(&r, record, &s);
    replies_add(&r, 7, 100, "move web", 0);
    replies_add(&r, 8, 101, "stop db", 0);
    const struct reply_wait *w = replies_find(&r, 8);
    assert_non_null(w);
    assert_string_equal(w->what, "stop db");
    assert_int_equal(w->token, 101);
    assert_null(replies_find(&r, 9));

    assert_true(replies_answer(&r, 8, json_string("done")));
    assert_int_equal(s.n, 1);
    assert_int_equal(s.token[0], 101);
    assert_string_equal(s.text[0], "done");
    /* Answered once: a second outcome for the same key finds nobody. */
    assert_false(replies_answer(&r, 8, json_string("again")));
    assert_int_equal(s.n, 1);
    assert_non_null(replies_find(&r, 7));
    replies_done(&r);
    assert_int_equal(s.n, 1); /* dropped unanswered */
}

static void test_answer_all_for_key(void **state)
{
    struct sent s = {0};
    struct replies r;
    replies_init(&r, record, &s);
    replies_add(&r, 2, 10, "n2", 0);
    replies_add(&r, 3, 11, "n3", 0);
    replies_add(&r, 2, 12, "n2", 0);
    assert_int_equal(replies_answer_all(&r, 2, make, NULL), 2);
    assert_int_equal(s.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_true(s.token[i] == 10 || s.token[i] == 12);
        assert_string_equal(s.text[i], "n2:2");
    }
    assert_int_not_equal(s.token[0], s.token[1]);
    assert_int_equal(replies_answer_all(&r, 2, make, NULL), 0);
    assert_non_null(replies_find(&r, 3));
    replies_done(&r);
}

static void test_expire_only_due(void **state)
{
    struct sent s = {0};
    struct replies r;
    replies_init(&r, record, &s);
    replies_add(&r, 1, 20, "never", 0);
    replies_add(&r, 2, 21, "soon", 1000);
    replies_add(&r, 3, 22, "later", 5000);
    assert_int_equal(replies_expire(&r, 999, make, NULL), 0);
    assert_int_equal(replies_expire(&r, 1000, make, NULL), 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.token[0], 21);
    assert_string_equal(s.text[0], "soon:2");
    assert_int_equal(replies_expire(&r, UINT64_MAX, make, NULL), 1);
    assert_int_equal(s.token[1], 22);
    assert_non_null(replies_find(&r, 1)); /* no deadline: waits for its outcome */
    replies_done(&r);
    replies_done(&r); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_once_by_key),
        cmocka_unit_test(test_answer_all_for_key),
        cmocka_unit_test(test_expire_only_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
