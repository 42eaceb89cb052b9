/*
 * Unit tests for running a program with a timeout (src/exec/run.c): exit and
 * signal results, stdin, the environment, timeouts that take the whole
 * process group, bounded and sanitised output, cancel, with small shell
 * scripts and a real libuv loop.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc_helpers.h"

#include "base/util.h"
#include "exec/run.h"

static char dir[] = "/tmp/vigil-run-test-XXXXXX";

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *write_script(const char *name, const char *body, unsigned mode)
{
    char *path = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
    assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
    return path;
}

struct got {
    bool start_returned; /* the callback must never come from inside run_start */
    bool called;
    struct run_result r; /* output and reason copied */
};

static void on_done(const struct run_result *r, void *ctx)
{
    struct got *g = ctx;
    assert_true(g->start_returned);
    assert_false(g->called);
    g->called = true;
    g->r = *r;
    g->r.output = xstrdup(r->output);
    g->r.reason = xstrdup(r->reason);
}

/* Runs one program to completion on a fresh loop, with an optional filter. */
static void run_filtered(const struct run_opts *o, run_filter_fn filter, struct got *g)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(g, 0, sizeof(*g));
    struct run *r;
    assert_int_equal(run_start(&loop, o, on_done, filter, g, &r), 0);
    g->start_returned = true;
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* nothing left behind */
    assert_true(g->called);
}

static void run_one(const struct run_opts *o, struct got *g)
{
    run_filtered(o, NULL, g);
}

static void got_clear(struct got *g)
{
    run_result_clear(&g->r);
}

/* Runs a shell script body with the given timeout and default options. */
static void run_body(const char *name, const char *body, uint64_t timeout_ms, struct got *g)
{
    _cleanup_free_ char *path = write_script(name, body, 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = timeout_ms, .kill_grace_ms = 300};
    run_one(&o, g);
}

static pid_t read_pid(const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    char *text;
    size_t n;
    assert_int_equal(read_file(path, 64, &text, &n), 0);
    pid_t pid = (pid_t)atoi(text);
    free(text);
    assert_true(pid > 1);
    return pid;
}

static void test_exit_status_output_and_reason(void **state)
{
    struct got g;
    run_body("fails", "echo first\necho 'the error' >&2\necho\nexit 3", 5000, &g);
    assert_true(g.r.exited);
    assert_int_equal(g.r.exit_code, 3);
    assert_true(WIFEXITED(g.r.wstatus));
    assert_false(g.r.timed_out);
    assert_false(g.r.truncated);
    assert_string_equal(g.r.output, "first\nthe error\n\n");
    assert_string_equal(g.r.reason, "exited with status 3: the error");
    got_clear(&g);

    run_body("quiet", "exit 0", 5000, &g);
    assert_int_equal(g.r.exit_code, 0);
    assert_string_equal(g.r.output, "");
    assert_string_equal(g.r.reason, "exited with status 0");
    got_clear(&g);
}

static void test_killed_by_signal(void **state)
{
    struct got g;
    run_body("suicide", "echo going\nkill -9 $$", 5000, &g);
    assert_false(g.r.exited);
    assert_int_equal(g.r.exit_code, -1);
    assert_false(g.r.timed_out);
    assert_string_equal(g.r.reason, "killed by signal 9 (Killed): going");
    got_clear(&g);
}

static void test_stdin(void **state)
{
    _cleanup_free_ char *path = write_script("cat", "cat\necho done", 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000, .input = "a=1\nb=2\n"};
    struct got g;
    run_one(&o, &g);
    assert_string_equal(g.r.output, "a=1\nb=2\ndone\n");
    got_clear(&g);

    /* No input: stdin is /dev/null, so cat ends at once. */
    o.input = NULL;
    run_one(&o, &g);
    assert_string_equal(g.r.output, "done\n");
    got_clear(&g);

    /* More than a default pipe holds (64 KiB), written without blocking the loop. */
    _cleanup_free_ char *copy = xasprintf("%s/copy", dir);
    _cleanup_free_ char *body = xasprintf("cat > '%s'", copy);
    _cleanup_free_ char *saver = write_script("saver", body, 0755);
    argv[0] = saver;
    char *big = xmalloc(RUN_MAX_INPUT + 2);
    for (size_t i = 0; i < RUN_MAX_INPUT; i++)
        big[i] = (char)('a' + i % 26);
    big[RUN_MAX_INPUT] = '\0';
    o.input = big;
    run_one(&o, &g);
    assert_int_equal(g.r.exit_code, 0);
    char *got;
    size_t n;
    assert_int_equal(read_file(copy, 2 * RUN_MAX_INPUT, &got, &n), 0);
    assert_int_equal(n, RUN_MAX_INPUT);
    assert_memory_equal(got, big, n);
    free(got);
    got_clear(&g);

    /* One byte more is refused, and nothing runs. */
    big[RUN_MAX_INPUT] = 'x';
    big[RUN_MAX_INPUT + 1] = '\0';
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct run *r;
    memset(&g, 0, sizeof(g));
    assert_int_equal(run_start(&loop, &o, on_done, NULL, &g, &r), -E2BIG);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_false(g.called);
    free(big);
}

static void test_environment_is_only_what_is_given(void **state)
{
    setenv("VIGIL_TEST_CANARY", "leaked", 1);
    char *argv[] = {(char *)"/usr/bin/env", NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000};
    struct got g;
    run_one(&o, &g);
    assert_int_equal(g.r.exit_code, 0);
    assert_string_equal(g.r.output, ""); /* NULL: an empty environment */
    got_clear(&g);

    char *envp[] = {(char *)"A=1", (char *)"B=two words", NULL};
    o.envp = envp;
    run_one(&o, &g);
    assert_string_equal(g.r.output, "A=1\nB=two words\n");
    got_clear(&g);
    unsetenv("VIGIL_TEST_CANARY");
}

static void test_timeout_kills_group_members_that_ignore_term(void **state)
{
    /* The program dies on SIGTERM, its children ignore it: they get SIGKILL after the grace. */
    _cleanup_free_ char *body =
        xasprintf("(trap '' TERM; sleep 60 & echo $! > '%s/sleeper.pid'; wait) &\n"
                  "echo $! > '%s/sub.pid'\n"
                  "sleep 60",
                  dir, dir);
    struct got g;
    run_body("stubborn_children", body, 500, &g);
    assert_true(g.r.timed_out);
    assert_false(g.r.exited);
    assert_int_equal(WTERMSIG(g.r.wstatus), SIGTERM);
    assert_string_equal(g.r.reason, "timed out after 500ms");
    assert_true(wait_gone(read_pid("sub.pid")));
    assert_true(wait_gone(read_pid("sleeper.pid")));
    got_clear(&g);
}

static void test_timeout_program_ignoring_term_is_killed(void **state)
{
    _cleanup_free_ char *body = xasprintf("echo $$ > '%s/self.pid'\ntrap '' TERM\n"
                                          "echo waiting\nwhile :; do sleep 1; done",
                                          dir);
    struct got g;
    run_body("stubborn", body, 200, &g);
    assert_true(g.r.timed_out);
    assert_false(g.r.exited);
    assert_int_equal(WTERMSIG(g.r.wstatus), SIGKILL);
    assert_string_equal(g.r.reason, "timed out after 200ms");
    assert_string_equal(g.r.output, "waiting\n");
    assert_true(process_gone(read_pid("self.pid")));
    got_clear(&g);
}

static void test_children_of_a_finished_program_are_left_alone(void **state)
{
    /* A start script that launches a daemon: the daemon keeps the output pipe open. */
    _cleanup_free_ char *body =
        xasprintf("sleep 60 &\necho $! > '%s/daemon.pid'\necho started", dir);
    struct got g;
    run_body("launcher", body, 5000, &g);
    assert_int_equal(g.r.exit_code, 0);
    assert_false(g.r.timed_out);
    assert_string_equal(g.r.output, "started\n");
    pid_t daemon = read_pid("daemon.pid");
    assert_false(process_gone(daemon));
    kill(daemon, SIGKILL);
    got_clear(&g);
}

static void test_output_keeps_the_tail(void **state)
{
    struct got g;
    run_body("loud", "i=0\nwhile [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done\nexit 1", 5000,
             &g);
    assert_true(g.r.truncated);
    assert_int_equal(strlen(g.r.output), RUN_DEFAULT_MAX_OUTPUT);
    size_t n = strlen(g.r.output);
    assert_string_equal(g.r.output + n - 10, "line 1999\n");
    assert_string_equal(g.r.reason, "exited with status 1: line 1999");
    got_clear(&g);

    /* Megabytes of it are read and dropped, never stored. */
    run_body("louder", "head -c 5000000 /dev/zero | tr '\\0' 'x'\necho; echo the end", 5000, &g);
    assert_int_equal(strlen(g.r.output), RUN_DEFAULT_MAX_OUTPUT);
    assert_string_equal(g.r.reason, "exited with status 0: the end");
    got_clear(&g);
}

static void test_output_keeps_the_head(void **state)
{
    _cleanup_free_ char *path = write_script(
        "loud_head", "i=0\nwhile [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done", 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000, .max_output = 20, .keep_head = true};
    struct got g;
    run_one(&o, &g);
    assert_true(g.r.truncated);
    assert_string_equal(g.r.output, "line 0\nline 1\nline 2");
    got_clear(&g);
}

static void test_tail_cut_inside_a_character(void **state)
{
    _cleanup_free_ char *path =
        write_script("accents", "printf '\\303\\251\\303\\251\\303\\251\\303\\251'", 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000, .max_output = 5};
    struct got g;
    run_one(&o, &g);
    /* The last 5 bytes start inside an é: that half is dropped, not turned into '?'. */
    assert_string_equal(g.r.output, "\xc3\xa9\xc3\xa9");
    got_clear(&g);
}

static void test_output_is_made_safe(void **state)
{
    struct got g;
    run_body("garbage", "printf 'ok\\000\\377 caf\\303\\251 \\033[2J\\tend\\r\\n'\nexit 2", 5000,
             &g);
    assert_string_equal(g.r.output, "ok?? caf\xc3\xa9 ?[2J\tend?\n");
    assert_string_equal(g.r.reason, "exited with status 2: ok?? caf\xc3\xa9 ?[2J\tend?");
    got_clear(&g);
}

static void test_sanitize(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain\ttext\n", 11, "plain\ttext\n"},
        {"a\0b", 3, "a?b"},
        {"del\x7f", 4, "del?"},
        {"bell\x07", 5, "bell?"},
        {"\xc3\xa9", 2, "\xc3\xa9"},                 /* é */
        {"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"}, /* U+1F600 */
        {"\xc0\xaf", 2, "??"},                       /* overlong '/' */
        {"\xe0\x80\xaf", 3, "???"},                  /* overlong, 3 bytes */
        {"\xed\xa0\x80", 3, "???"},                  /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4, "????"},             /* past U+10FFFF */
        {"\xf5\x80\x80\x80", 4, "????"},
        {"x\xc3", 2, "x?"}, /* cut short */
        {"\xe2\x82", 2, "??"},
        {"\x80 lone", 6, "? lone"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char buf[16];
        memcpy(buf, cases[i].in, cases[i].len);
        run_sanitize(buf, cases[i].len);
        assert_string_equal(buf, cases[i].out);
    }
}

/* The line a reason quotes: the last non-empty one, without trailing blanks. */
static void test_last_line(void **state)
{
    static const struct {
        const char *out, *line;
    } cases[] = {
        {"first\nsecond\n", "second"},
        {"first\nsecond \t\n\n \n", "second"},
        {"only", "only"},
        {"", ""},
        {"\n\n", ""},
        {"  indented", "  indented"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *line = run_last_line(cases[i].out);
        assert_string_equal(line, cases[i].line);
        free(line);
    }
}

static void test_reason_line_is_cut_at_a_character(void **state)
{
    /* "a" then 150 é: 301 bytes; 200 would cut an é in half, so 199 are kept. */
    struct got g;
    run_body("long_line",
             "printf a\ni=0\nwhile [ $i -lt 150 ]; do printf '\\303\\251'; "
             "i=$((i+1)); done\nexit 1",
             5000, &g);
    const char *prefix = "exited with status 1: ";
    assert_int_equal(strncmp(g.r.reason, prefix, strlen(prefix)), 0);
    const char *tail = g.r.reason + strlen(prefix);
    assert_int_equal(strlen(tail), 199);
    assert_int_equal(tail[0], 'a');
    assert_memory_equal(tail + 197, "\xc3\xa9", 2);
    got_clear(&g);
}

static void mask_hunter2(char *output, void *ctx)
{
    for (char *p = strstr(output, "hunter2"); p; p = strstr(p, "hunter2"))
        memset(p, '*', 7);
}

static void test_filter_runs_before_the_reason(void **state)
{
    _cleanup_free_ char *path =
        write_script("leaky", "echo 'password hunter2 rejected' >&2\nexit 1", 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000};
    struct got g;
    run_filtered(&o, mask_hunter2, &g);
    assert_string_equal(g.r.output, "password ******* rejected\n");
    assert_string_equal(g.r.reason, "exited with status 1: password ******* rejected");
    got_clear(&g);
}

static void test_stderr_can_be_discarded(void **state)
{
    _cleanup_free_ char *path = write_script("noisy", "echo data\necho warning >&2", 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000, .discard_stderr = true};
    struct got g;
    run_one(&o, &g);
    assert_string_equal(g.r.output, "data\n");
    got_clear(&g);
}

static void test_not_runnable(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    struct run *r = NULL;
    _cleanup_free_ char *missing = xasprintf("%s/missing", dir);
    char *argv[] = {missing, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000};
    assert_int_equal(run_start(&loop, &o, on_done, NULL, &g, &r), -ENOENT);
    _cleanup_free_ char *noexec = write_script("noexec", "exit 0", 0644);
    argv[0] = noexec;
    assert_int_equal(run_start(&loop, &o, on_done, NULL, &g, &r), -EACCES);
    assert_null(r); /* untouched */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(g.called);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_cancel_kills_the_group(void **state)
{
    _cleanup_free_ char *body = xasprintf(
        "sleep 60 &\necho $! > '%s/c_child.pid'\necho $$ > '%s/c_self.pid'\nsleep 60", dir, dir);
    _cleanup_free_ char *path = write_script("slow", body, 0755);
    _cleanup_free_ char *pidfile = xasprintf("%s/c_self.pid", dir);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 60000};
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    struct run *r;
    assert_int_equal(run_start(&loop, &o, on_done, NULL, &g, &r), 0);
    g.start_returned = true;
    for (int i = 0; i < 500 && access(pidfile, F_OK) != 0; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(10000);
    }
    usleep(50000); /* the pid file may be written but not yet closed */
    run_cancel(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(g.called);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_true(wait_gone(read_pid("c_self.pid")));
    assert_true(wait_gone(read_pid("c_child.pid")));
    run_cancel(NULL);
}

static void test_run_sync(void **state)
{
    _cleanup_free_ char *path = write_script("sync", "echo hello\nexit 4", 0755);
    char *argv[] = {path, NULL};
    struct run_opts o = {.argv = argv, .timeout_ms = 5000};
    struct run_result r;
    assert_int_equal(run_sync(&o, &r), 0);
    assert_int_equal(r.exit_code, 4);
    assert_string_equal(r.output, "hello\n");
    assert_string_equal(r.reason, "exited with status 4: hello");
    run_result_clear(&r);
    run_result_clear(NULL);

    _cleanup_free_ char *missing = xasprintf("%s/missing", dir);
    argv[0] = missing;
    assert_int_equal(run_sync(&o, &r), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status_output_and_reason),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_environment_is_only_what_is_given),
        cmocka_unit_test(test_timeout_kills_group_members_that_ignore_term),
        cmocka_unit_test(test_timeout_program_ignoring_term_is_killed),
        cmocka_unit_test(test_children_of_a_finished_program_are_left_alone),
        cmocka_unit_test(test_output_keeps_the_tail),
        cmocka_unit_test(test_output_keeps_the_head),
        cmocka_unit_test(test_tail_cut_inside_a_character),
        cmocka_unit_test(test_output_is_made_safe),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_last_line),
        cmocka_unit_test(test_reason_line_is_cut_at_a_character),
        cmocka_unit_test(test_filter_runs_before_the_reason),
        cmocka_unit_test(test_stderr_can_be_discarded),
        cmocka_unit_test(test_not_runnable),
        cmocka_unit_test(test_cancel_kills_the_group),
        cmocka_unit_test(test_run_sync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
