/*
 * Supervised children (src/exec/proc.c): the subreaper reaps what a child
 * leaves behind, and leaves the children it started to their own pidfds.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/util.h"
#include "exec/proc.h"

static int exits;

static void on_exit_cb(struct proc *p, int ws, void *ctx)
{
    exits++;
    *(int *)ctx = ws;
}

/* Number of zombie children of this process. */
static int zombies(void)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
        return 0;
    return 1;
}

static void test_orphans_reaped(void **state)
{
    assert_int_equal(proc_become_subreaper(), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* The child starts a grandchild in the background and exits at once. */
    char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)"/bin/sleep 0.2 & exit 3", NULL};
    struct proc_opts o = {.new_pgrp = true, .fd_in = -1, .fd_out = -1, .fd_err = -1};
    struct proc *p = NULL;
    int ws = -1;
    exits = 0;
    assert_int_equal(proc_spawn(&loop, argv, &o, on_exit_cb, &ws, &p), 0);
    while (exits == 0)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 3);
    /* The grandchild is ours now (subreaper); once it exits, it is reaped. */
    size_t reaped = 0;
    for (int i = 0; i < 100 && reaped == 0; i++) {
        usleep(20000);
        reaped += proc_reap_orphans();
    }
    assert_int_equal(reaped, 1);
    assert_int_equal(zombies(), 0);
    proc_free(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_own_children_left_to_their_pidfd(void **state)
{
    assert_int_equal(proc_become_subreaper(), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)"exit 7", NULL};
    struct proc_opts o = {.fd_in = -1, .fd_out = -1, .fd_err = -1};
    struct proc *p = NULL;
    int ws = -1;
    exits = 0;
    assert_int_equal(proc_spawn(&loop, argv, &o, on_exit_cb, &ws, &p), 0);
    /* Wait until it is a zombie: the reaper must not take it. */
    for (int i = 0; i < 100 && !zombies(); i++)
        usleep(10000);
    assert_int_equal(proc_reap_orphans(), 0);
    while (exits == 0)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 7);
    proc_free(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orphans_reaped),
        cmocka_unit_test(test_own_children_left_to_their_pidfd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
