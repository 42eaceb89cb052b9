#include "exec/run.h"
#include "base/util.h"
#include "exec/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define READ_CHUNK 4096 /* room for one read beyond the kept output */

struct run {
    uv_loop_t *loop;
    struct proc *proc;
    pid_t pgid;
    uv_pipe_t out;
    uv_timer_t timer;      /* the timeout; after the exit, the wait for the last output */
    uv_timer_t kill_timer; /* the grace between SIGTERM and SIGKILL */
    int open_handles;      /* until all three are closed */
    bool exited, eof, eof_waited, timed_out, done;
    bool kill_pending; /* SIGTERM sent, SIGKILL not yet */
    int wstatus;
    uint64_t started_ms, exited_ms, timeout_ms, grace_ms;
    /* Output: len <= max between reads; max + READ_CHUNK + 1 bytes allocated. */
    char *buf;
    size_t len, max;
    bool keep_head, truncated;
    run_fn cb;
    run_filter_fn filter;
    void *ctx;
};

void run_sanitize(char *buf, size_t len)
{
    str_sanitize(buf, len, false);
    buf[len] = '\0';
}

char *run_last_line(const char *out)
{
    const char *end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *start = end;
    while (start > out && start[-1] != '\n')
        start--;
    size_t n = (size_t)(end - start);
    if (n > RUN_REASON_LINE_MAX) {
        n = RUN_REASON_LINE_MAX;
        while (n > 0 && ((unsigned char)start[n] & 0xc0) == 0x80)
            n--;
    }
    return xstrndup(start, n);
}

static char *make_reason(const struct run *r, const char *output)
{
    if (r->timed_out) {
        char d[32];
        return xasprintf("timed out after %s", dur_format(r->timeout_ms, d));
    }
    char desc[64];
    _cleanup_free_ char *tail = run_last_line(output);
    return xasprintf("%s%s%s", proc_describe_status(r->wstatus, desc), *tail ? ": " : "", tail);
}

/* ---- lifetime --------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    struct run *r = h->data;
    if (--r->open_handles > 0)
        return;
    proc_free(r->proc);
    free(r->buf);
    free(r);
}

/* Stops everything and frees the run once its handles are closed. */
static void drop(struct run *r)
{
    r->done = true;
    uv_close((uv_handle_t *)&r->out, on_handle_closed);
    uv_close((uv_handle_t *)&r->timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->kill_timer, on_handle_closed);
}

static bool group_alive(pid_t pgid)
{
    return kill(-pgid, 0) == 0 || errno == EPERM;
}

static void finish(struct run *r)
{
    struct run_result res = {
        .exited = WIFEXITED(r->wstatus),
        .exit_code = WIFEXITED(r->wstatus) ? WEXITSTATUS(r->wstatus) : -1,
        .wstatus = r->wstatus,
        .timed_out = r->timed_out,
        .truncated = r->truncated,
        .duration_ms = r->exited_ms - r->started_ms,
    };
    char *out = r->buf;
    size_t len = r->len;
    /* A tail cut inside a character: drop the character's remaining bytes. */
    for (int k = 0; k < 3 && r->truncated && !r->keep_head && len > 0 &&
                    ((unsigned char)out[0] & 0xc0) == 0x80;
         k++) {
        out++;
        len--;
    }
    run_sanitize(out, len);
    if (r->filter)
        r->filter(out, r->ctx);
    res.output = out;
    res.reason = make_reason(r, out);
    r->done = true;
    r->cb(&res, r->ctx);
    free(res.reason);
    drop(r);
}

static void maybe_finish(struct run *r)
{
    if (!r->done && r->exited && !r->kill_pending && (r->eof || r->eof_waited))
        finish(r);
}

/* ---- events ----------------------------------------------------------------- */

static void on_eof_wait(uv_timer_t *t)
{
    struct run *r = t->data;
    r->eof_waited = true;
    maybe_finish(r);
}

static void wait_for_output(struct run *r)
{
    if (!r->eof)
        uv_timer_start(&r->timer, on_eof_wait, RUN_EOF_WAIT_MS, 0);
}

static void on_exit_cb(struct proc *p, int ws, void *ctx)
{
    struct run *r = ctx;
    if (r->done)
        return; /* a failed start is being dropped */
    r->exited = true;
    r->wstatus = ws;
    r->exited_ms = time_mono_ms();
    uv_timer_stop(&r->timer);
    if (r->kill_pending && !group_alive(r->pgid)) {
        uv_timer_stop(&r->kill_timer);
        r->kill_pending = false;
    }
    /* With members of a timed-out group still there, the SIGKILL comes first. */
    if (!r->kill_pending)
        wait_for_output(r);
    maybe_finish(r);
}

static void on_kill_timer(uv_timer_t *t)
{
    struct run *r = t->data;
    r->kill_pending = false;
    if (proc_running(r->proc))
        proc_signal(r->proc, SIGKILL);
    else
        /*
         * The leader is gone but its group was not when it exited (the group
         * keeps its id in use while it has members, so this is still its id
         * unless the last members left and the pid was reused within the grace).
         */
        kill(-r->pgid, SIGKILL);
    if (r->exited)
        wait_for_output(r);
}

static void on_timeout(uv_timer_t *t)
{
    struct run *r = t->data;
    r->timed_out = true;
    r->kill_pending = true;
    proc_signal(r->proc, SIGTERM);
    uv_timer_start(&r->kill_timer, on_kill_timer, r->grace_ms, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct run *r = h->data;
    *buf = uv_buf_init(r->buf + r->len, (unsigned)(r->max + READ_CHUNK - r->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct run *r = s->data;
    if (n > 0) {
        r->len += (size_t)n;
        if (r->len > r->max) {
            if (!r->keep_head)
                memmove(r->buf, r->buf + r->len - r->max, r->max);
            r->len = r->max;
            r->truncated = true;
        }
    } else if (n < 0) {
        r->eof = true;
        uv_read_stop(s);
        maybe_finish(r);
    }
}

/* ---- start ------------------------------------------------------------------ */

/* The child's stdin: the input in a pipe whose write end is closed, or /dev/null. */
static int make_stdin(const char *input, int *ret_fd)
{
    if (!input) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        *ret_fd = fd;
        return 0;
    }
    size_t len = strlen(input);
    if (len > RUN_MAX_INPUT)
        return -E2BIG;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    /* Never block the loop: the write end alone is non-blocking. */
    int e = fcntl(p[1], F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
    int size = fcntl(p[1], F_GETPIPE_SZ);
    if (!e && size >= 0 && (size_t)size < len)
        fcntl(p[1], F_SETPIPE_SZ, (int)len); /* may fail: the write below tells */
    size_t done = 0;
    while (!e && done < len) {
        ssize_t w = write(p[1], input + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            e = errno == EAGAIN ? -E2BIG : -errno;
        else
            done += (size_t)w;
    }
    close(p[1]);
    if (e < 0) {
        close(p[0]);
        return e;
    }
    *ret_fd = p[0];
    return 0;
}

int run_start(uv_loop_t *loop, const struct run_opts *opts, run_fn cb, run_filter_fn filter,
              void *ctx, struct run **ret)
{
    int in = -1, out[2];
    int e = make_stdin(opts->input, &in);
    if (e < 0)
        return e;
    int err = -1;
    if (opts->discard_stderr && (err = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
        e = -errno;
        close(in);
        return e;
    }
    if (pipe2(out, O_CLOEXEC) < 0) {
        e = -errno;
        close(in);
        if (err >= 0)
            close(err);
        return e;
    }
    static char *const empty_env[] = {NULL};
    struct proc_opts po = {.new_pgrp = true,
                           .die_with_parent = true,
                           .fd_in = in,
                           .fd_out = out[1],
                           .fd_err = err >= 0 ? err : out[1],
                           .envp = opts->envp ? opts->envp : empty_env};
    struct run *r = xcalloc(1, sizeof(*r));
    r->loop = loop;
    r->cb = cb;
    r->filter = filter;
    r->ctx = ctx;
    r->timeout_ms = opts->timeout_ms;
    r->grace_ms = opts->kill_grace_ms;
    r->max = opts->max_output ? opts->max_output : RUN_DEFAULT_MAX_OUTPUT;
    r->keep_head = opts->keep_head;
    r->buf = xmalloc(r->max + READ_CHUNK + 1);
    r->buf[0] = '\0';
    r->started_ms = time_mono_ms();
    e = proc_spawn(loop, opts->argv, &po, on_exit_cb, r, &r->proc);
    close(in);
    close(out[1]);
    if (err >= 0)
        close(err);
    if (e < 0) {
        close(out[0]);
        free(r->buf);
        free(r);
        return e;
    }
    r->pgid = proc_pid(r->proc);
    uv_pipe_init(loop, &r->out, 0);
    uv_timer_init(loop, &r->timer);
    uv_timer_init(loop, &r->kill_timer);
    r->out.data = r->timer.data = r->kill_timer.data = r;
    r->open_handles = 3;
    e = uv_pipe_open(&r->out, out[0]);
    if (e == 0)
        e = uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
    else
        close(out[0]);
    if (e < 0) {
        drop(r); /* kills the program, which is still running: it cannot have been reaped yet */
        return e;
    }
    if (r->timeout_ms) {
        /* The timeout counts from now, not from the loop's last wake-up. */
        uv_update_time(r->timer.loop);
        uv_timer_start(&r->timer, on_timeout, r->timeout_ms, 0);
    }
    *ret = r;
    return 0;
}

void run_cancel(struct run *r)
{
    if (!r || r->done)
        return;
    if (proc_running(r->proc)) {
        proc_free(r->proc); /* SIGKILL to the group, and reaped */
        r->proc = NULL;
    } else if (r->kill_pending) {
        kill(-r->pgid, SIGKILL);
    }
    drop(r);
}

/* ---- synchronous ------------------------------------------------------------ */

static void on_sync_done(const struct run_result *res, void *ctx)
{
    struct run_result *out = ctx;
    *out = *res;
    out->output = xstrdup(res->output);
    out->reason = xstrdup(res->reason);
}

int run_sync(const struct run_opts *opts, struct run_result *ret)
{
    uv_loop_t loop;
    int e = uv_loop_init(&loop);
    if (e < 0)
        return e;
    struct run_result res = {0};
    struct run *r;
    e = run_start(&loop, opts, on_sync_done, NULL, &res, &r);
    /* Also after a failed start: its handles may still be closing. */
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (e < 0)
        return e;
    *ret = res;
    return 0;
}

void run_result_clear(struct run_result *r)
{
    if (!r)
        return;
    free(r->output);
    free(r->reason);
    r->output = r->reason = NULL;
}
