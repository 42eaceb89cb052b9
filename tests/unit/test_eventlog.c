/* Unit tests for the event log (src/daemon/eventlog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/eventlog.h"

static void test_sequence_and_since(void **state)
{
    struct eventlog *el = eventlog_new(10);
    assert_int_equal(eventlog_last_seq(el), 0);
    eventlog_add(el, EV_NODE_JOINED, "n1", NULL, "node %s joined", "n1");
    eventlog_add(el, EV_LINK_DOWN, "n2", "priv", "link to n2 on priv is down");
    assert_int_equal(eventlog_last_seq(el), 2);

    json_t *all = eventlog_since_json(el, 0);
    assert_int_equal(json_array_size(all), 2);
    json_t *e = json_array_get(all, 1);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "link_down");
    assert_string_equal(json_string_value(json_object_get(e, "node")), "n2");
    assert_string_equal(json_string_value(json_object_get(e, "network")), "priv");
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), 2);
    assert_true(json_integer_value(json_object_get(e, "ts_ms")) > 1600000000000LL);
    const char *t = json_string_value(json_object_get(e, "time"));
    assert_int_equal(strlen(t), 24); /* 2026-11-22T10:00:00.123Z */
    assert_int_equal(t[23], 'Z');
    assert_true(json_is_null(json_object_get(json_array_get(all, 0), "network")));
    json_decref(all);

    json_t *newer = eventlog_since_json(el, 1);
    assert_int_equal(json_array_size(newer), 1);
    json_decref(newer);
    json_t *none = eventlog_since_json(el, 99);
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
    eventlog_free(el);
}

static void test_bounded(void **state)
{
    struct eventlog *el = eventlog_new(3);
    for (int i = 0; i < 10; i++)
        eventlog_add(el, EV_QUORUM_LOST, NULL, NULL, "event %d", i);
    json_t *all = eventlog_since_json(el, 0);
    assert_int_equal(json_array_size(all), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 0), "seq")), 8);
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 2), "message")),
                        "event 9");
    json_decref(all);
    eventlog_free(el);
    eventlog_free(NULL);
}

static int notified;
static void notify(void *ctx, const struct event *ev)
{
    notified++;
    assert_ptr_equal(ctx, &notified);
    assert_int_equal(ev->type, EV_ENGINE_LOST);
}

static void test_notify(void **state)
{
    struct eventlog *el = eventlog_new(5);
    eventlog_set_notify(el, notify, &notified);
    eventlog_add(el, EV_ENGINE_LOST, NULL, NULL, "x");
    eventlog_add(el, EV_ENGINE_LOST, NULL, NULL, "y");
    assert_int_equal(notified, 2);
    eventlog_free(el);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_and_since),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_notify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
