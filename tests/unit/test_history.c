/* The persisted event history (src/daemon/history.c) and its control request (ctl.c). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/ctl.h"
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

/* Reads dir's history, which must be readable; the skipped count in *ret_skipped. */
static json_t *query(const struct history_filter *f, size_t *ret_skipped)
{
    char *err = NULL;
    size_t skipped = 99;
    json_t *evs = history_query(dir, f, &skipped, &err);
    if (!evs)
        fail_msg("history_query: %s", err);
    if (ret_skipped)
        *ret_skipped = skipped;
    return evs;
}

static char *file_path(const char *suffix)
{
    return xasprintf("%s/%s%s", dir, HISTORY_FILE, suffix);
}

static void append_text(const char *suffix, const char *text)
{
    _cleanup_free_ char *path = file_path(suffix);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_round_trip_and_filters(void **state)
{
    struct eventlog *el = eventlog_new(100);
    struct history *h = history_open(NULL, dir, "n3", 0);
    add_events(h, el, 6);
    history_close(h);

    _cleanup_free_ char *path = file_path("");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    size_t skipped;
    struct history_filter all = {0};
    json_t *evs = query(&all, &skipped);
    assert_int_equal(skipped, 0);
    assert_int_equal(json_array_size(evs), 6);
    json_t *e = json_array_get(evs, 1);
    assert_string_equal(str(e, "type"), "group_moved");
    assert_string_equal(str(e, "group"), "db");
    assert_string_equal(str(e, "node"), "n2");
    assert_string_equal(str(e, "message"), "db moved 1");
    assert_string_equal(str(e, "seen_by"), "n3");
    assert_int_equal(json_integer_value(json_object_get(e, "duration_ms")), 12);
    assert_string_equal(str(json_array_get(evs, 0), "resource"), "vip");
    json_decref(evs);

    struct history_filter by_group = {.group = "web"};
    evs = query(&by_group, NULL);
    assert_int_equal(json_array_size(evs), 3);
    assert_string_equal(str(json_array_get(evs, 2), "message"), "web started 4");
    json_decref(evs);

    /* node is the event's node, not the node that recorded it. */
    struct history_filter by_seen = {.node = "n3"};
    evs = query(&by_seen, NULL);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);

    struct history_filter by_node_type = {.node = "n2", .type = "group_moved", .limit = 2};
    evs = query(&by_node_type, NULL);
    assert_int_equal(json_array_size(evs), 2); /* the newest two of three, oldest first */
    assert_string_equal(str(json_array_get(evs, 0), "message"), "db moved 3");
    assert_string_equal(str(json_array_get(evs, 1), "message"), "db moved 5");
    json_decref(evs);

    struct history_filter wrong_type = {.group = "db", .type = "group_started"};
    evs = query(&wrong_type, NULL);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);

    uint64_t now = time_wall_ms();
    struct history_filter future = {.since_ms = now + 3600000};
    evs = query(&future, NULL);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    struct history_filter past = {.until_ms = 1000};
    evs = query(&past, NULL);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    struct history_filter window = {.since_ms = now - 3600000, .until_ms = now + 3600000};
    evs = query(&window, NULL);
    assert_int_equal(json_array_size(evs), 6);
    json_decref(evs);
    eventlog_free(el);
}

/* The limit keeps the newest events, across both files, oldest first. */
static void test_limit_keeps_the_newest(void **state)
{
    struct eventlog *el = eventlog_new(1000);
    struct history *h = history_open(NULL, dir, "n1", 3000);
    add_events(h, el, 40);
    history_close(h);
    struct history_filter all = {0};
    json_t *evs = query(&all, NULL);
    size_t n = json_array_size(evs);
    assert_true(n > 16 && n < 40);
    json_decref(evs);

    struct history_filter last3 = {.limit = 3};
    evs = query(&last3, NULL);
    assert_int_equal(json_array_size(evs), 3);
    assert_string_equal(str(json_array_get(evs, 0), "message"), "db moved 37");
    assert_string_equal(str(json_array_get(evs, 2), "message"), "db moved 39");
    json_decref(evs);

    /* n - 2 events begin in the old file (at most ~15 fit in one). */
    struct history_filter most = {.limit = n - 2};
    evs = query(&most, NULL);
    assert_int_equal(json_array_size(evs), n - 2);
    _cleanup_free_ char *first =
        xasprintf("%s %zu", (42 - n) % 2 ? "db moved" : "web started", (size_t)(42 - n));
    assert_string_equal(str(json_array_get(evs, 0), "message"), first);
    assert_string_equal(str(json_array_get(evs, n - 3), "message"), "db moved 39");
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
    _cleanup_free_ char *cur = file_path("");
    _cleanup_free_ char *old = file_path(".1");
    struct stat a, b;
    assert_int_equal(stat(cur, &a), 0);
    assert_int_equal(stat(old, &b), 0);
    assert_true(a.st_size <= 2000 && b.st_size <= 2000);
    assert_true(b.st_size > 1500); /* full when it rotated */
    size_t skipped;
    struct history_filter all = {0};
    json_t *evs = query(&all, &skipped);
    size_t n = json_array_size(evs);
    assert_int_equal(skipped, 0);
    assert_true(n > 5 && n < 40); /* the oldest are gone */
    /* The last one is the newest, and sequence numbers only grow. */
    assert_string_equal(str(json_array_get(evs, n - 1), "message"), "db moved 99");
    for (size_t i = 1; i < n; i++)
        assert_true(json_integer_value(json_object_get(json_array_get(evs, i), "seq")) ==
                    json_integer_value(json_object_get(json_array_get(evs, i - 1), "seq")) + 1);
    json_decref(evs);

    /* Opened again (a restart), it goes on from the file's size: still bounded. */
    h = history_open(NULL, dir, "n1", 2000);
    add_events(h, el, 30);
    history_close(h);
    assert_int_equal(stat(cur, &a), 0);
    assert_int_equal(stat(old, &b), 0);
    assert_true(a.st_size <= 2000 && b.st_size <= 2000);
    evs = query(&all, NULL);
    assert_string_equal(str(json_array_get(evs, json_array_size(evs) - 1), "message"),
                        "db moved 29");
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
    append_text("", "not json\n[1,2]\n{\"seq\":9,\"type\":\"group_sta");

    /* Not yet ended: an event being written, left out and not counted. */
    size_t skipped;
    struct history_filter all = {0};
    json_t *evs = query(&all, &skipped);
    assert_int_equal(json_array_size(evs), 2);
    assert_int_equal(skipped, 2);
    json_decref(evs);

    /* Opened again after the crash: the torn line is ended, the next event has a line. */
    h = history_open(NULL, dir, "n1", 0);
    add_events(h, el, 1);
    history_close(h);
    evs = query(&all, &skipped);
    assert_int_equal(json_array_size(evs), 3);
    assert_int_equal(skipped, 3);
    assert_string_equal(str(json_array_get(evs, 2), "message"), "web started 0");
    json_decref(evs);

    /* In the old file nothing is written any more: an unended last line is damage. */
    append_text(".1", "{\"seq\":1,\"ty");
    evs = query(&all, &skipped);
    assert_int_equal(json_array_size(evs), 3);
    assert_int_equal(skipped, 4);
    json_decref(evs);
    eventlog_free(el);
}

/* A write cut short (a full disk) does not glue the next event to the torn line. */
static void test_short_write_then_recovery(void **state)
{
    struct eventlog *el = eventlog_new(10);
    struct history *h = history_open(NULL, dir, "n1", 0);
    add_events(h, el, 1);
    _cleanup_free_ char *path = file_path("");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    /* Room for 10 more bytes only: the next write is short (then EFBIG, no SIGXFSZ). */
    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = (rlim_t)st.st_size + 10;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    add_events(h, el, 2);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(stat(path, &st), 0);

    add_events(h, el, 1);
    history_close(h);
    size_t skipped;
    struct history_filter all = {0};
    json_t *evs = query(&all, &skipped);
    assert_int_equal(skipped, 1); /* the torn line */
    assert_int_equal(json_array_size(evs), 2);
    assert_string_equal(str(json_array_get(evs, 0), "message"), "web started 0");
    assert_string_equal(str(json_array_get(evs, 1), "message"), "web started 0");
    assert_true(json_integer_value(json_object_get(json_array_get(evs, 1), "seq")) == 4);
    json_decref(evs);
    eventlog_free(el);
}

static void test_missing_file_is_empty(void **state)
{
    size_t skipped = 7;
    char *err = NULL;
    struct history_filter all = {0};
    json_t *evs = history_query("/nonexistent/vigil", &all, &skipped, &err);
    assert_non_null(evs);
    assert_null(err);
    assert_int_equal(json_array_size(evs), 0);
    assert_int_equal(skipped, 0);
    json_decref(evs);
    history_close(NULL);
}

/* A history that cannot be read says which file and why. */
static void test_unreadable_file_is_an_error(void **state)
{
    _cleanup_free_ char *path = file_path("");
    assert_int_equal(mkdir(path, 0700), 0);
    size_t skipped = 7;
    char *err = NULL;
    struct history_filter all = {0};
    json_t *evs = history_query(dir, &all, &skipped, &err);
    assert_null(evs);
    assert_int_equal(skipped, 7);
    _cleanup_free_ char *want = xasprintf("cannot read the event history %s: Is a directory", path);
    assert_string_equal(err, want);
    free(err);
    /* Nor can it be written: nothing is recorded, nothing breaks. */
    struct eventlog *el = eventlog_new(10);
    struct history *h = history_open(NULL, dir, "n1", 0);
    add_events(h, el, 2);
    history_close(h);
    eventlog_free(el);
}

/* ---- on a real loop ---- */

struct answers {
    int n;
    uint64_t tags[4];
    size_t sizes[4];
    char *last_message;
};

static void on_answer(void *ctx, uint64_t tag, json_t *events, size_t skipped, const char *err)
{
    struct answers *a = ctx;
    if (!events)
        fail_msg("query %llu: %s", (unsigned long long)tag, err);
    a->tags[a->n] = tag;
    a->sizes[a->n] = json_array_size(events);
    free(a->last_message);
    json_t *last = json_array_get(events, json_array_size(events) - 1);
    a->last_message = last ? xstrdup(str(last, "message")) : NULL;
    a->n++;
    json_decref(events);
}

struct flush_wait {
    uv_timer_t timer;
    struct history *h;
    struct eventlog *el;
};

static void after_flush(uv_timer_t *t)
{
    struct flush_wait *w = t->data;
    add_events(w->h, w->el, 1); /* after the periodic flush ran once */
    uv_close((uv_handle_t *)t, NULL);
    uv_stop(t->loop); /* the history's timer repeats */
}

/*
 * Queries run on the thread pool one after the other and are answered in
 * order, even after the history is closed; the periodic flush runs; nothing
 * is left on the loop at the end.
 */
static void test_queries_on_the_loop(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct eventlog *el = eventlog_new(100);
    struct history *h = history_open(&loop, dir, "n2", 0);
    add_events(h, el, 5);

    struct flush_wait w = {.h = h, .el = el};
    uv_timer_init(&loop, &w.timer);
    w.timer.data = &w;
    uv_timer_start(&w.timer, after_flush, HISTORY_SYNC_MS + 200, 0);
    uv_run(&loop, UV_RUN_DEFAULT);

    struct answers a = {0};
    struct history_filter all = {0}, db = {.group = "db"}, one = {.limit = 1};
    assert_int_equal(history_query_async(h, &all, on_answer, &a, 11), 0);
    assert_int_equal(history_query_async(h, &db, on_answer, &a, 12), 0);
    assert_int_equal(history_query_async(h, &one, on_answer, &a, 13), 0);
    assert_int_equal(a.n, 0); /* never from within the call */
    history_close(h);
    uv_run(&loop, UV_RUN_DEFAULT);

    assert_int_equal(a.n, 3);
    assert_int_equal(a.tags[0], 11);
    assert_int_equal(a.sizes[0], 6);
    assert_int_equal(a.tags[1], 12);
    assert_int_equal(a.sizes[1], 2);
    assert_int_equal(a.tags[2], 13);
    assert_int_equal(a.sizes[2], 1);
    assert_string_equal(a.last_message, "web started 0");
    free(a.last_message);
    assert_int_equal(uv_loop_close(&loop), 0);
    eventlog_free(el);

    /* Without a loop there is no thread pool: refused, never answered. */
    h = history_open(NULL, dir, "n2", 0);
    assert_int_equal(history_query_async(h, &all, on_answer, &a, 14), -EINVAL);
    history_close(h);
    assert_int_equal(a.n, 3);
}

/* ---- the control request ---- */

/* The reply to a history request line (history requests do not look at the cluster). */
static json_t *control(const char *line, struct ctl_result *res)
{
    ctl_handle(NULL, line, strlen(line), res);
    assert_non_null(res->reply);
    return res->reply;
}

static void assert_refused(const char *line, const char *want)
{
    struct ctl_result res;
    json_t *r = control(line, &res);
    const char *err = json_string_value(json_object_get(r, "error"));
    if (!err || strcmp(err, want) != 0)
        fail_msg("request %s: error '%s', not '%s'", line, err ? err : "(none)", want);
    assert_null(res.request); /* nothing is handed to the daemon */
    json_decref(r);
}

static void test_control_request(void **state)
{
    struct ctl_result res;
    json_t *r = control("{\"cmd\":\"history\",\"since\":5,\"until\":5,\"type\":\"node_left\","
                        "\"limit\":100000}",
                        &res);
    assert_true(json_is_true(json_object_get(r, "ok")));
    assert_non_null(res.request);
    assert_string_equal(str(res.request, "type"), "node_left");
    json_decref(res.request);
    json_decref(r);

    assert_refused("{\"cmd\":\"history\",\"limit\":0}",
                   "history: 'limit' must be from 1 to 100000 (the newest events)");
    assert_refused("{\"cmd\":\"history\",\"limit\":100001}",
                   "history: 'limit' must be from 1 to 100000 (the newest events)");
    assert_refused("{\"cmd\":\"history\",\"since\":7,\"until\":6}",
                   "history: 'since' is after 'until': no event can match");
    assert_refused("{\"cmd\":\"history\",\"type\":\"group_move\"}",
                   "history: unknown event type 'group_move'; did you mean 'group_moved'?");
    assert_refused("{\"cmd\":\"history\",\"type\":\"reboot\"}",
                   "history: unknown event type 'reboot'; the types are daemon_started, "
                   "node_joined, node_left, quorum_gained, quorum_lost, link_up, link_down, "
                   "coordinator_changed, engine_lost, engine_restored, config_mismatch, "
                   "config_changed, fence_requested, fence_attempt, fence_succeeded, "
                   "fence_failed, fence_confirmed, group_started, group_stopped, "
                   "group_restarted, group_moved, group_recovered, group_failed, "
                   "group_stop_failed, group_multi_active, resource_failed, admin, "
                   "group_failures_expired, group_promoted, group_demoted");
    assert_refused("{\"cmd\":\"history\",\"until\":1.5}",
                   "history: 'until' must be a non-negative integer (milliseconds since the "
                   "epoch)");
    assert_refused("{\"cmd\":\"history\",\"node\":[\"n1\"]}", "history: 'node' must be a string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_keeps_the_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_lines_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_write_then_recovery, setup, teardown),
        cmocka_unit_test(test_missing_file_is_empty),
        cmocka_unit_test_setup_teardown(test_unreadable_file_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries_on_the_loop, setup, teardown),
        cmocka_unit_test(test_control_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
