/*
 * Shared by the unit tests that drive a real libuv loop in a scratch
 * directory: set-up and tear-down, and turning the loop until a condition
 * holds or a deadline passes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "base/util.h"

static char test_dir[64];
static uv_loop_t test_loop;

/* A fresh loop and a scratch directory /tmp/vigil-NAME-test-XXXXXX. 0 or -1. */
static inline int loop_setup(const char *name)
{
    uv_loop_init(&test_loop);
    snprintf(test_dir, sizeof(test_dir), "/tmp/vigil-%s-test-XXXXXX", name);
    return mkdtemp(test_dir) ? 0 : -1;
}

/* Lets the loop finish what is closing, closes it, removes the directory. 0 or -1. */
static inline int loop_teardown(void)
{
    uv_run(&test_loop, UV_RUN_DEFAULT);
    uv_loop_close(&test_loop);
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", test_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline void loop_on_deadline(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

static inline void loop_on_tick(uv_timer_t *t)
{
}

/*
 * Turns the loop until done(arg) holds (done NULL: never) or ms pass;
 * returns whether done(arg) holds. A 10 ms tick brings the loop back to look
 * at done() after work that does not wake it.
 */
static inline bool loop_run_until(bool (*done)(void *arg), void *arg, uint64_t ms)
{
    bool late = false;
    uv_timer_t deadline, tick;
    uv_timer_init(&test_loop, &deadline);
    deadline.data = &late;
    uv_timer_start(&deadline, loop_on_deadline, ms, 0);
    uv_timer_init(&test_loop, &tick);
    uv_timer_start(&tick, loop_on_tick, 10, 10);
    while (!(done && done(arg)) && !late)
        uv_run(&test_loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&test_loop, UV_RUN_NOWAIT);
    return done && done(arg);
}
