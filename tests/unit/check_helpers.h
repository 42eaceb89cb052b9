/*
 * Shared by the unit tests of health checks (test_check.c) and of a
 * resource's health (test_health.c): turning a loop until a count is reached,
 * a TCP socket on the loopback, scripts in the test's scratch directory, and
 * check definitions. The including file defines `dir`, that directory.
 */
#pragma once

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "base/util.h"
#include "config/config.h"

/*
 * The guard also stops the loop: libuv 1.44 runs due timers *before* it polls,
 * so a guard that is already due when uv_run(UV_RUN_ONCE) begins (the loop's
 * clock was stale: a slow fork on a loaded machine) would fire there, and the
 * poll would then block until the next timer of the code under test (found: a
 * 10 ms wait that lasted 30 s). uv_stop makes that poll return at once.
 */
static inline void on_guard(uv_timer_t *t)
{
    *(bool *)t->data = true;
    uv_stop(t->loop);
}

/* Runs loop until *count reaches want or max_ms passed; true if it did. */
static inline bool run_until(uv_loop_t *loop, const int *count, int want, uint64_t max_ms)
{
    uv_timer_t guard;
    bool expired = false;
    uv_timer_init(loop, &guard);
    guard.data = &expired;
    uv_update_time(loop); /* max_ms from now, not from the loop's last turn */
    uv_timer_start(&guard, on_guard, max_ms, 0);
    while (*count < want && !expired)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* the guard's close */
    return *count >= want;
}

static inline void run_for(uv_loop_t *loop, uint64_t ms)
{
    static const int never = 0;
    run_until(loop, &never, 1, ms);
}

/* Lets every handle close and checks that nothing was left behind. */
static inline void loop_done(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

/* A TCP socket bound to 127.0.0.1 on a free port; listening with backlog unless backlog < 0. */
static inline int tcp_socket(int backlog, uint16_t *ret_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *ret_port = ntohs(sa.sin_port);
    if (backlog >= 0)
        assert_int_equal(listen(fd, backlog), 0);
    return fd;
}

static inline struct cfg_check tcp_check(char *host, uint16_t port, uint64_t timeout_ms)
{
    return (struct cfg_check){.type = CFG_CHECK_TCP,
                              .host = host,
                              .port = port,
                              .interval_ms = 1000,
                              .timeout_ms = timeout_ms,
                              .failures = 1};
}

static inline char *write_script(const char *name, const char *body)
{
    char *path = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
    return path;
}

static inline struct cfg_check exec_check(char **argv, uint64_t timeout_ms)
{
    size_t n = 0;
    while (argv[n])
        n++;
    return (struct cfg_check){.type = CFG_CHECK_EXEC,
                              .argv = argv,
                              .argc = n,
                              .interval_ms = 1000,
                              .timeout_ms = timeout_ms,
                              .failures = 1};
}

/* The pid a script wrote to path (a whole line), waiting up to max_ms for it. */
static inline pid_t read_pid(const char *path, uint64_t max_ms)
{
    for (uint64_t t = 0; t < max_ms; t += 10) {
        char *buf = NULL;
        size_t len;
        if (read_file(path, 64, &buf, &len) == 0 && len > 0 && buf[len - 1] == '\n') {
            pid_t pid = (pid_t)atoi(buf);
            free(buf);
            return pid;
        }
        free(buf);
        usleep(10000);
    }
    fail_msg("no pid in %s", path);
    return 0;
}
