/*
 * The serialised state writer (src/daemon/statewrite.c) on a real libuv loop:
 * many writes back to back, the last one wins, nothing is torn, every
 * acknowledgement comes after its content (or a newer one) is on disk,
 * errors reach the callback, and a writer freed with a write in flight never
 * calls back into its owner.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/statewrite.h"

#define N_WRITES 300

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-statewrite-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Content number i: "i len\n", a body of one letter (sizes differ), "end i\n" (caller frees). */
static char *content(int i, size_t *ret_len)
{
    size_t body = 1000 + (size_t)(i * 7919) % 60000;
    char head[32], tail[32];
    int h = snprintf(head, sizeof(head), "%d %zu\n", i, body);
    int t = snprintf(tail, sizeof(tail), "end %d\n", i);
    char *s = xmalloc((size_t)h + body + (size_t)t + 1);
    memcpy(s, head, (size_t)h);
    memset(s + h, 'a' + i % 26, body);
    memcpy(s + (size_t)h + body, tail, (size_t)t + 1);
    *ret_len = (size_t)h + body + (size_t)t;
    return s;
}

/*
 * The first problem a callback saw. Callbacks never fail the test themselves
 * (a jump out of the loop's callback would leave the loop unusable): the
 * test checks this once the loop has run.
 */
static char problem[512];

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    if (problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
}

/* Fails on a noted problem, after letting loop (may be NULL) finish what it runs. */
static void assert_no_problem(uv_loop_t *loop)
{
    if (problem[0]) {
        if (loop)
            uv_run(loop, UV_RUN_DEFAULT);
        static char copy[sizeof(problem)];
        memcpy(copy, problem, sizeof(copy));
        problem[0] = '\0';
        fail_msg("%s", copy);
    }
}

/* The number of the content path holds, or -1 (noted) unless it is one whole content. */
static int read_content(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int r = read_file(path, 1 << 20, &buf, &len);
    if (r < 0) {
        note("%s: %s", path, strerror(-r));
        return -1;
    }
    int i = atoi(buf);
    size_t want_len;
    char *want = content(i, &want_len);
    if (len != want_len || memcmp(buf, want, len) != 0) {
        note("%s is not one whole content (%zu bytes, starting '%.20s')", path, len, buf);
        i = -1;
    }
    free(want);
    free(buf);
    return i;
}

static void run_until(uv_loop_t *loop, const int *counter, int want)
{
    for (int i = 0; i < 100000 && *counter < want; i++)
        uv_run(loop, UV_RUN_ONCE);
    assert_no_problem(loop);
    assert_int_equal(*counter, want);
}

static void close_loop(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0); /* nothing left behind */
}

/* ---- one file, many writes ---- */

struct one {
    char *path;
    int acked[N_WRITES]; /* how many times each submission's callback fired */
    int n_acked;
    int last_acked;
};

static atomic_int jobs; /* writes that reached the disk (tidy runs once per write) */

static void count_job(const char *arg)
{
    (void)arg;
    atomic_fetch_add(&jobs, 1);
}

static struct one *one_ctx;

static void one_done(void *arg, int result)
{
    struct one *o = one_ctx;
    int i = (int)(intptr_t)arg;
    if (result < 0)
        note("write %d failed: %s", i, strerror(-result));
    o->acked[i]++;
    o->n_acked++;
    /* Acknowledged only once this content, or a newer one, is on disk. */
    int on_disk = read_content(o->path);
    if (on_disk < i)
        note("write %d acknowledged while the file holds %d", i, on_disk);
    /* In submission order. */
    if (i <= o->last_acked)
        note("write %d acknowledged after %d", i, o->last_acked);
    o->last_acked = i;
}

static void submit_content(struct statewrite *sw, const char *path, int i, statewrite_done_fn done)
{
    size_t len;
    char *c = content(i, &len);
    struct statewrite_file f = {.path = path, .data = c, .len = len, .mode = 0600};
    statewrite_submit(sw, &f, 1, done, (void *)(intptr_t)i);
    free(c); /* copied */
}

static void test_last_write_wins_and_nothing_is_torn(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct one o = {.path = xasprintf("%s/state.json", dir), .last_acked = -1};
    one_ctx = &o;
    atomic_store(&jobs, 0);
    struct statewrite *sw = statewrite_new(&loop);
    statewrite_set_tidy(sw, count_job, NULL);
    for (int i = 0; i < N_WRITES; i++) {
        submit_content(sw, o.path, i, one_done);
        /* Bursts of writes back to back, the loop running now and then. */
        if (i % 7 == 6) {
            uv_run(&loop, UV_RUN_NOWAIT);
            if (access(o.path, F_OK) == 0)
                assert_true(read_content(o.path) <= i);
            assert_no_problem(&loop);
        }
    }
    assert_true(statewrite_pending(sw));
    run_until(&loop, &o.n_acked, N_WRITES);
    assert_false(statewrite_pending(sw));
    for (int i = 0; i < N_WRITES; i++)
        assert_int_equal(o.acked[i], 1);
    assert_int_equal(read_content(o.path), N_WRITES - 1);
    assert_no_problem(NULL);
    /* Superseded contents were never written: fewer writes than submissions. */
    int n = atomic_load(&jobs);
    assert_true(n >= 1 && n < N_WRITES);
    statewrite_free(sw);
    close_loop(&loop);
    free(o.path);
}

/* ---- two files: a text, then the record that names it ---- */

struct pair {
    char *text, *record;
    int n_acked;
};

static struct pair *pair_ctx;

/* Reads the record, then the text: the text is never older than the record. */
static int check_pair(const struct pair *p)
{
    int rec = read_content(p->record);
    int text = read_content(p->text);
    if (text < rec)
        note("the record names %d but the text is %d", rec, text);
    return rec;
}

static void pair_done(void *arg, int result)
{
    struct pair *p = pair_ctx;
    int i = (int)(intptr_t)arg;
    if (result < 0)
        note("write %d failed: %s", i, strerror(-result));
    p->n_acked++;
    if (check_pair(p) < i)
        note("write %d acknowledged before its record", i);
}

static void test_files_land_in_order(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct pair p = {.text = xasprintf("%s/text", dir), .record = xasprintf("%s/record", dir)};
    pair_ctx = &p;
    struct statewrite *sw = statewrite_new(&loop);
    for (int i = 0; i < N_WRITES; i++) {
        size_t len;
        char *c = content(i, &len);
        struct statewrite_file f[2] = {
            {.path = p.text, .data = c, .len = len, .mode = 0600},
            {.path = p.record, .data = c, .len = len, .mode = 0600},
        };
        statewrite_submit(sw, f, 2, pair_done, (void *)(intptr_t)i);
        free(c);
        if (i % 5 == 4) {
            uv_run(&loop, UV_RUN_NOWAIT);
            if (access(p.record, F_OK) == 0)
                check_pair(&p);
            assert_no_problem(&loop);
        }
    }
    run_until(&loop, &p.n_acked, N_WRITES);
    assert_int_equal(check_pair(&p), N_WRITES - 1);
    assert_no_problem(NULL);
    statewrite_free(sw);
    close_loop(&loop);
    free(p.text);
    free(p.record);
}

/* ---- errors ---- */

struct results {
    int r[8];
    int n;
};

static void record_result(void *arg, int result)
{
    struct results *rs = arg;
    rs->r[rs->n++] = result;
}

static void test_errors_reach_the_callback(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct statewrite *sw = statewrite_new(&loop);
    _cleanup_free_ char *missing = xasprintf("%s/no/such/dir/state.json", dir);
    _cleanup_free_ char *plain = xasprintf("%s/plain", dir);
    _cleanup_free_ char *under_plain = xasprintf("%s/plain/state.json", dir);
    _cleanup_free_ char *good = xasprintf("%s/good", dir);
    assert_int_equal(write_file_atomic(plain, "x", 1, 0600), 0);

    struct results a = {0}, b = {0}, c = {0}, d = {0};
    struct statewrite_file f = {.path = missing, .data = "1", .len = 1, .mode = 0600};
    statewrite_submit(sw, &f, 1, record_result, &a);
    assert_int_equal(a.n, 0); /* never from within the call */
    f.path = under_plain;
    statewrite_submit(sw, &f, 1, record_result, &b);
    /* The first file lands, the second fails: the write reports the failure. */
    struct statewrite_file two[2] = {
        {.path = good, .data = "2", .len = 1, .mode = 0600},
        {.path = missing, .data = "2", .len = 1, .mode = 0600},
    };
    _cleanup_free_ char *later = xasprintf("%s/later", dir);
    uv_run(&loop, UV_RUN_DEFAULT);
    statewrite_submit(sw, two, 2, record_result, &c);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* A failed write does not stop the next one. */
    f.path = later;
    statewrite_submit(sw, &f, 1, record_result, &d);
    uv_run(&loop, UV_RUN_DEFAULT);

    assert_int_equal(a.n, 1);
    assert_int_equal(a.r[0], -ENOENT);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.r[0], -ENOTDIR);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r[0], -ENOENT);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.r[0], 0);
    char *text = NULL;
    size_t len;
    assert_int_equal(read_file(good, 16, &text, &len), 0);
    assert_string_equal(text, "2");
    free(text);
    /* A directory that cannot be made is an error too. */
    struct results e = {0};
    f.make_dir = true;
    _cleanup_free_ char *deeper = xasprintf("%s/plain/sub/state.json", dir);
    f.path = deeper;
    statewrite_submit(sw, &f, 1, record_result, &e);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.r[0], -ENOTDIR);
    statewrite_free(sw);
    close_loop(&loop);
}

/* ---- flush, modes, directories ---- */

static void test_flush_mode_and_directory(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct statewrite *sw = statewrite_new(&loop);
    struct results w = {0}, fl = {0};
    assert_int_equal(statewrite_flush(sw, record_result, &fl), -EALREADY);

    _cleanup_free_ char *conf = xasprintf("%s/vigil.yaml", dir);
    _cleanup_free_ char *bak = xasprintf("%s/vigil.yaml.bak", dir);
    _cleanup_free_ char *archived = xasprintf("%s/config/2.yaml", dir);
    assert_int_equal(write_file_atomic(conf, "one\n", 4, 0640), 0);
    struct statewrite_file f[3] = {
        {.path = bak, .data = "one\n", .len = 4, .mode = 0644, .mode_from = conf},
        {.path = conf, .data = "two\n", .len = 4, .mode = 0644, .mode_from = conf},
        {.path = archived, .data = "two\n", .len = 4, .mode = 0600, .make_dir = true},
    };
    statewrite_submit(sw, f, 3, record_result, &w);
    assert_int_equal(statewrite_flush(sw, record_result, &fl), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.r[0], 0);
    assert_int_equal(fl.n, 1);
    assert_int_equal(fl.r[0], 0);
    struct stat st;
    assert_int_equal(stat(conf, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640); /* kept */
    assert_int_equal(stat(bak, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(stat(archived, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    char *text = NULL;
    size_t len;
    assert_int_equal(read_file(bak, 16, &text, &len), 0);
    assert_string_equal(text, "one\n");
    free(text);
    assert_int_equal(read_file(archived, 16, &text, &len), 0);
    assert_string_equal(text, "two\n");
    free(text);
    assert_false(statewrite_pending(sw));
    assert_int_equal(statewrite_flush(sw, record_result, &fl), -EALREADY);
    statewrite_free(sw);
    close_loop(&loop);
}

/* One callback per write for an owner that submits the same done and arg with every change. */
static void test_same_callback_once_per_write(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct statewrite *sw = statewrite_new(&loop);
    _cleanup_free_ char *path = xasprintf("%s/db", dir);
    struct results rs = {0};
    struct statewrite_file f = {.path = path, .data = "a", .len = 1, .mode = 0600};
    statewrite_submit(sw, &f, 1, record_result, &rs); /* in flight */
    for (int i = 0; i < 5; i++)
        statewrite_submit(sw, &f, 1, record_result, &rs); /* queued: one write */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(rs.n, 2);
    statewrite_free(sw);
    close_loop(&loop);
}

/* ---- detaching ---- */

struct owner {
    struct statewrite *sw;
    int calls;
    int cancelled;
};

static void owner_done(void *arg, int result)
{
    struct owner *o = arg;
    o->calls++;
    if (result == -ECANCELED)
        o->cancelled++;
}

static void test_free_with_a_write_in_flight(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct owner *o = xcalloc(1, sizeof(*o));
    o->sw = statewrite_new(&loop);
    _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
    submit_content(o->sw, path, 1, NULL);
    struct statewrite_file f = {.path = path, .data = "x", .len = 1, .mode = 0600};
    statewrite_submit(o->sw, &f, 1, owner_done, o);
    submit_content(o->sw, path, 2, NULL); /* queued: supersedes "x" */
    statewrite_submit(o->sw, &f, 0, owner_done, o);
    assert_int_equal(statewrite_flush(o->sw, owner_done, o), 0);
    assert_int_equal(o->calls, 0);
    /* The owner goes: every waiting callback hears it now, and never again. */
    statewrite_free(o->sw);
    assert_int_equal(o->calls, 2);
    assert_int_equal(o->cancelled, 2);
    free(o); /* a callback now would touch freed memory (ASan) */
    close_loop(&loop);
    /* What was handed over is still written. */
    assert_int_equal(read_content(path), 2);
    assert_no_problem(NULL);
}

/* The owner frees the writer from one of its callbacks; the rest are cancelled. */
static void free_from_callback(void *arg, int result)
{
    struct owner *o = arg;
    o->calls++;
    if (result == -ECANCELED) {
        o->cancelled++;
        return;
    }
    statewrite_free(o->sw);
    o->sw = NULL;
}

static void test_free_from_a_callback(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct owner o = {.sw = statewrite_new(&loop)};
    _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
    struct statewrite_file f = {.path = path, .data = "x", .len = 1, .mode = 0600};
    statewrite_submit(o.sw, &f, 1, free_from_callback, &o);
    assert_int_equal(statewrite_flush(o.sw, free_from_callback, &o), 0);
    submit_content(o.sw, path, 3, NULL); /* queued behind: still written */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(o.calls, 2);
    assert_int_equal(o.cancelled, 1);
    assert_null(o.sw);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(read_content(path), 3);
    assert_no_problem(NULL);
}

/* ---- without a loop ---- */

static void test_synchronous_without_a_loop(void **state)
{
    struct statewrite *sw = statewrite_new(NULL);
    _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
    struct results rs = {0};
    struct statewrite_file f = {.path = path, .data = "now", .len = 3, .mode = 0600};
    statewrite_submit(sw, &f, 1, record_result, &rs);
    assert_int_equal(rs.n, 1); /* written within the call */
    assert_int_equal(rs.r[0], 0);
    assert_false(statewrite_pending(sw));
    assert_int_equal(statewrite_flush(sw, record_result, &rs), -EALREADY);
    char *text = NULL;
    size_t len;
    assert_int_equal(read_file(path, 16, &text, &len), 0);
    assert_string_equal(text, "now");
    free(text);
    statewrite_free(sw);
    statewrite_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_last_write_wins_and_nothing_is_torn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_land_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_reach_the_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_mode_and_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_callback_once_per_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_a_write_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_from_a_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_synchronous_without_a_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
