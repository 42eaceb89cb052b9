/* The persisted event history (src/daemon/history.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/history.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-history-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *str(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* Appends n events: group events of web on n1 and db on n2, alternating. */
static void add_events(struct history *h, struct eventlog *el, int n)
{
    for (int i = 0; i < n; i++) {
        const struct event *ev =
            i % 2 ? eventlog_add_group(el, EV_GROUP_MOVED, "n2", "db", NULL, 12, "db moved %d", i)
                  : eventlog_add_group(el, EV_GROUP_STARTED, "n1", "web", "vip", -1,
                                       "web started %d", i);
        history_append(h, ev);
    }
}

static void test_round_trip_and_filters(void **state)
{
    struct eventlog *el = eventlog_new(100);
    struct history *h = history_open(NULL, dir, "n3", 0);
    add_events(h, el, 6);
    history_close(h);

    size_t skipped = 99;
    struct history_filter all = {0};
    json_t *evs = history_query(dir, &all, &skipped);
    assert_int_equal(skipped, 0);
    assert_int_equal(json_array_size(evs), 6);
    json_t *e = json_array_get(evs, 1);
    assert_string_equal(str(e, "type"), "group_moved");
    assert_string_equal(str(e, "group"), "db");
    assert_string_equal(str(e, "message"), "db moved 1");
    assert_string_equal(str(e, "seen_by"), "n3");
    assert_int_equal(json_integer_value(json_object_get(e, "duration_ms")), 12);
    assert_string_equal(str(json_array_get(evs, 0), "resource"), "vip");
    json_decref(evs);

    struct history_filter by_group = {.group = "web"};
    evs = history_query(dir, &by_group, &skipped);
    assert_int_equal(json_array_size(evs), 3);
    assert_string_equal(str(json_array_get(evs, 2), "message"), "web started 4");
    json_decref(evs);

    struct history_filter by_node_type = {.node = "n2", .type = "group_moved", .limit = 2};
    evs = history_query(dir, &by_node_type, &skipped);
    assert_int_equal(json_array_size(evs), 2); /* the newest two of three, oldest first */
    assert_string_equal(str(json_array_get(evs, 0), "message"), "db moved 3");
    assert_string_equal(str(json_array_get(evs, 1), "message"), "db moved 5");
    json_decref(evs);

    uint64_t now = time_wall_ms();
    struct history_filter future = {.since_ms = now + 3600000};
    evs = history_query(dir, &future, &skipped);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    struct history_filter past = {.until_ms = 1000};
    evs = history_query(dir, &past, &skipped);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    eventlog_free(el);
}

/* Past the size limit the file rotates: the newest events stay readable, in order. */
static void test_rotation_is_bounded(void **state)
{
    struct eventlog *el = eventlog_new(1000);
    struct history *h = history_open(NULL, dir, "n1", 2000);
    add_events(h, el, 100);
    history_close(h);
    _cleanup_free_ char *cur = xasprintf("%s/%s", dir, HISTORY_FILE);
    _cleanup_free_ char *old = xasprintf("%s/%s.1", dir, HISTORY_FILE);
    struct stat a, b;
    assert_int_equal(stat(cur, &a), 0);
    assert_int_equal(stat(old, &b), 0);
    assert_true(a.st_size <= 2000 && b.st_size <= 2000);
    size_t skipped;
    struct history_filter all = {0};
    json_t *evs = history_query(dir, &all, &skipped);
    size_t n = json_array_size(evs);
    assert_true(n > 5 && n < 40);
    /* The last one is the newest, and sequence numbers only grow. */
    assert_string_equal(str(json_array_get(evs, n - 1), "message"), "db moved 99");
    for (size_t i = 1; i < n; i++)
        assert_true(json_integer_value(json_object_get(json_array_get(evs, i), "seq")) >
                    json_integer_value(json_object_get(json_array_get(evs, i - 1), "seq")));
    json_decref(evs);
    eventlog_free(el);
}

/* A torn last line (a power loss) and garbage are skipped and counted; the rest reads. */
static void test_damaged_lines_are_skipped(void **state)
{
    struct eventlog *el = eventlog_new(10);
    struct history *h = history_open(NULL, dir, "n1", 0);
    add_events(h, el, 2);
    history_close(h);
    _cleanup_free_ char *cur = xasprintf("%s/%s", dir, HISTORY_FILE);
    FILE *f = fopen(cur, "a");
    assert_non_null(f);
    fputs("not json\n[1,2]\n{\"seq\":9,\"type\":\"group_sta", f);
    fclose(f);
    /* Appending after the torn line still works: the next event starts a line of its own. */
    h = history_open(NULL, dir, "n1", 0);
    add_events(h, el, 1);
    history_close(h);
    size_t skipped;
    struct history_filter all = {0};
    json_t *evs = history_query(dir, &all, &skipped);
    assert_int_equal(json_array_size(evs), 3);
    assert_int_equal(skipped, 3);
    assert_string_equal(str(json_array_get(evs, 2), "message"), "web started 0");
    json_decref(evs);
    eventlog_free(el);
}

static void test_missing_file_is_empty(void **state)
{
    size_t skipped = 7;
    struct history_filter all = {0};
    json_t *evs = history_query("/nonexistent/vigil", &all, &skipped);
    assert_int_equal(json_array_size(evs), 0);
    assert_int_equal(skipped, 0);
    json_decref(evs);
    history_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_lines_are_skipped, setup, teardown),
        cmocka_unit_test(test_missing_file_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
