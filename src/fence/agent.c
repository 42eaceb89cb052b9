#include "fence/agent.h"
#include "base/util.h"
#include "exec/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRETS_MAX_SIZE (64u * 1024)
#define EOF_WAIT_MS      200 /* after the agent exits, how long its output may still come */

const char *fence_outcome_name(enum fence_outcome o)
{
    static const char *const names[FENCE_OUTCOME_MAX] = {"success", "failed", "powered off",
                                                         "timed out", "not run"};
    return o < FENCE_OUTCOME_MAX ? names[o] : "unknown";
}

/* A growing text buffer for building the agent's input. */
struct text {
    char *s;
    size_t len, cap;
};

static void text_add(struct text *t, const char *key, const char *value)
{
    size_t need = t->len + strlen(key) + strlen(value) + 3;
    xgrow((void **)&t->s, &t->cap, need, 1);
    t->len += (size_t)snprintf(t->s + t->len, t->cap - t->len, "%s=%s\n", key, value);
}

static bool valid_key(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/*
 * Calls fn for each key=value line of a secrets file (blank lines and lines
 * starting with '#' are skipped). Returns 0, or the 1-based number of the
 * first malformed line.
 */
static size_t each_secret(const char *text,
                          void (*fn)(const char *key, size_t klen, const char *val, size_t vlen,
                                     void *ctx),
                          void *ctx)
{
    size_t lineno = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        size_t m = n;
        if (m > 0 && p[m - 1] == '\r')
            m--;
        if (m > 0 && p[0] != '#') {
            const char *eq = memchr(p, '=', m);
            if (!eq || !valid_key(p, (size_t)(eq - p)))
                return lineno;
            fn(p, (size_t)(eq - p), eq + 1, m - (size_t)(eq - p) - 1, ctx);
        }
        p = nl ? nl + 1 : p + n;
    }
    return 0;
}

static void add_secret_line(const char *key, size_t klen, const char *val, size_t vlen, void *ctx)
{
    _cleanup_free_ char *k = xstrndup(key, klen);
    _cleanup_free_ char *v = xstrndup(val, vlen);
    text_add(ctx, k, v);
}

int fence_build_input(const struct cfg_fence_device *dev, const char *action, const char *nodename,
                      const char *port, const char *secrets_text, char **ret_input, char **ret_err)
{
    struct text t = {0};
    text_add(&t, "action", action);
    if (nodename)
        text_add(&t, "nodename", nodename);
    if (port)
        text_add(&t, "plug", port);
    for (size_t i = 0; i < dev->n_params; i++) {
        if (strchr(dev->params[i].value, '\n') || strchr(dev->params[i].key, '\n')) {
            free(t.s);
            *ret_err = xasprintf("device %s: parameter %s contains a newline", dev->name,
                                 dev->params[i].key);
            return -EINVAL;
        }
        text_add(&t, dev->params[i].key, dev->params[i].value);
    }
    if (secrets_text) {
        size_t bad = each_secret(secrets_text, add_secret_line, &t);
        if (bad) {
            free(t.s);
            *ret_err = xasprintf("device %s: secrets file %s, line %zu, is not key=value",
                                 dev->name, dev->secrets ? dev->secrets : "?", bad);
            return -EINVAL;
        }
    }
    if (t.len > FENCE_MAX_INPUT) {
        free(t.s);
        *ret_err = xasprintf("device %s: the agent's input would be %zu bytes (limit %u)",
                             dev->name, t.len, FENCE_MAX_INPUT);
        return -EINVAL;
    }
    *ret_input = t.s;
    return 0;
}

struct strv {
    char **v;
    size_t n, cap;
};

static void collect_value(const char *key, size_t klen, const char *val, size_t vlen, void *ctx)
{
    struct strv *sv = ctx;
    if (vlen == 0)
        return;
    xgrow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v));
    sv->v[sv->n++] = xstrndup(val, vlen);
    sv->v[sv->n] = NULL;
}

char **fence_secret_values(const char *secrets_text)
{
    struct strv sv = {0};
    xgrow((void **)&sv.v, &sv.cap, 1, sizeof(*sv.v));
    sv.v[0] = NULL;
    /* Malformed lines stop the walk; those before them are still masked. */
    each_secret(secrets_text, collect_value, &sv);
    return sv.v;
}

void fence_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void fence_mask_secrets(char *text, char *const *secrets)
{
    if (!text || !secrets)
        return;
    for (char *const *s = secrets; *s; s++) {
        size_t n = strlen(*s);
        if (n == 0)
            continue;
        for (char *p = strstr(text, *s); p; p = strstr(p + n, *s))
            memset(p, '*', n);
    }
}

/* ---- one call ------------------------------------------------------------- */

struct fence_call {
    uv_loop_t *loop;
    char *agent;
    struct proc *proc;
    uv_pipe_t out;
    uv_timer_t timer;
    int open_handles; /* out and timer, until closed */
    bool out_open;
    bool exited, eof, timed_out, done, cancelled;
    int wstatus;
    uint64_t started_ms, exited_ms, timeout_ms;
    char *output;
    size_t out_len;
    char **secrets;
    fence_call_fn cb;
    void *ctx;
};

static void call_maybe_free(struct fence_call *c)
{
    if (!c->done || c->open_handles > 0)
        return;
    proc_free(c->proc);
    fence_strv_free(c->secrets);
    free(c->output);
    free(c->agent);
    free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct fence_call *c = h->data;
    c->open_handles--;
    call_maybe_free(c);
}

static void close_handles(struct fence_call *c)
{
    if (c->out_open) {
        c->out_open = false;
        uv_close((uv_handle_t *)&c->out, on_handle_closed);
    }
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/*
 * Makes an agent's output safe to keep, log and put in JSON: NUL and other
 * control bytes (but newline and tab) and every byte that is not part of a
 * valid UTF-8 sequence become '?'. Works in place on len bytes; NUL-terminates.
 */
static void sanitize_output(char *buf, size_t len)
{
    unsigned char *p = (unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        bool ok = n > 0 && i + n <= len && !(n == 2 && c < 0xc2);
        for (size_t k = 1; ok && k < n; k++)
            ok = (p[i + k] & 0xc0) == 0x80;
        if (!ok) {
            p[i++] = '?';
            continue;
        }
        if (n == 1 && (c < 0x20 || c == 0x7f) && c != '\n' && c != '\t')
            p[i] = '?';
        i += n;
    }
    buf[len] = '\0';
}

/* The last non-empty line of the output, at most 200 bytes, for the reason. */
static char *last_line(const char *out)
{
    if (!out)
        return xstrdup("");
    const char *end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > out && start[-1] != '\n')
        start--;
    size_t n = (size_t)(end - start);
    return xstrndup(start, n > 200 ? 200 : n);
}

static void finish(struct fence_call *c)
{
    if (c->done)
        return;
    c->done = true;
    struct fence_result r = {.wstatus = c->wstatus};
    r.duration_ms = (c->exited ? c->exited_ms : time_mono_ms()) - c->started_ms;
    if (c->output)
        sanitize_output(c->output, c->out_len);
    r.output = c->output ? c->output : xstrdup("");
    c->output = NULL;
    fence_mask_secrets(r.output, c->secrets);
    _cleanup_free_ char *tail = last_line(r.output);
    char desc[64];
    if (c->timed_out) {
        r.outcome = FENCE_TIMED_OUT;
        char d[32];
        r.reason = xasprintf("timed out after %s", dur_format(c->timeout_ms, d));
    } else if (WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0) {
        r.outcome = FENCE_SUCCESS;
        r.reason = xasprintf("succeeded in %llu ms", (unsigned long long)r.duration_ms);
    } else if (WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 2) {
        r.outcome = FENCE_POWERED_OFF;
        r.reason = xasprintf("exited with status 2%s%s", *tail ? ": " : "", tail);
    } else {
        r.outcome = FENCE_FAILED;
        r.reason =
            xasprintf("%s%s%s", proc_describe_status(c->wstatus, desc), *tail ? ": " : "", tail);
    }
    close_handles(c);
    if (!c->cancelled)
        c->cb(&r, c->ctx);
    free(r.output);
    free(r.reason);
    call_maybe_free(c);
}

static void on_eof_wait(uv_timer_t *t)
{
    finish(t->data);
}

static void on_exit_cb(struct proc *p, int ws, void *ctx)
{
    struct fence_call *c = ctx;
    if (c->done)
        return;
    c->exited = true;
    c->wstatus = ws;
    c->exited_ms = time_mono_ms();
    if (c->eof) {
        finish(c);
        return;
    }
    /* A child of the agent may hold the output open: do not wait for it long. */
    uv_timer_stop(&c->timer);
    uv_timer_start(&c->timer, on_eof_wait, EOF_WAIT_MS, 0);
}

static void on_timeout(uv_timer_t *t)
{
    struct fence_call *c = t->data;
    c->timed_out = true;
    proc_stop(c->proc, FENCE_KILL_GRACE_MS);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char scratch[4096];
    struct fence_call *c = h->data;
    if (c->out_len >= FENCE_MAX_OUTPUT) {
        *buf = uv_buf_init(scratch, sizeof(scratch)); /* read and drop the rest */
        return;
    }
    if (!c->output)
        c->output = xmalloc(FENCE_MAX_OUTPUT + 1);
    *buf = uv_buf_init(c->output + c->out_len, (unsigned)(FENCE_MAX_OUTPUT - c->out_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct fence_call *c = s->data;
    if (n > 0 && c->output && buf->base == c->output + c->out_len) {
        c->out_len += (size_t)n;
        c->output[c->out_len] = '\0';
    }
    if (n < 0) {
        c->eof = true;
        uv_read_stop(s);
        if (c->exited)
            finish(c);
    }
}

static int spawn_agent(struct fence_call *c, const char *input, char **ret_err)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        int e = -errno;
        *ret_err = xasprintf("cannot create pipes: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0)
                close(in[i]);
        }
        return e;
    }
    /* The input fits in an empty pipe (FENCE_MAX_INPUT < the pipe size): no blocking. */
    size_t len = strlen(input);
    ssize_t w = write(in[1], input, len);
    close(in[1]);
    if (w != (ssize_t)len) {
        close(in[0]);
        close(out[0]);
        close(out[1]);
        *ret_err = xstrdup("cannot write the agent's input");
        return -EIO;
    }
    char *argv[] = {c->agent, NULL};
    struct proc_opts o = {.new_pgrp = true,
                          .die_with_parent = true,
                          .fd_in = in[0],
                          .fd_out = out[1],
                          .fd_err = out[1]};
    int r = proc_spawn(c->loop, argv, &o, on_exit_cb, c, &c->proc);
    close(in[0]);
    close(out[1]);
    if (r < 0) {
        close(out[0]);
        *ret_err = xasprintf("cannot run %s: %s", c->agent, strerror(-r));
        return r;
    }
    uv_pipe_init(c->loop, &c->out, 0);
    c->out.data = c;
    c->out_open = true;
    c->open_handles++;
    uv_pipe_open(&c->out, out[0]);
    uv_read_start((uv_stream_t *)&c->out, on_alloc, on_read);
    return 0;
}

int fence_call_start(uv_loop_t *loop, const struct cfg_fence_device *dev, const char *action,
                     const char *nodename, const char *port, fence_call_fn cb, void *ctx,
                     struct fence_call **ret, char **ret_err)
{
    _cleanup_free_ char *secrets = NULL;
    if (dev->secrets) {
        size_t n;
        int r = read_file(dev->secrets, SECRETS_MAX_SIZE, &secrets, &n);
        if (r < 0) {
            *ret_err = xasprintf("device %s: cannot read secrets file %s: %s", dev->name,
                                 dev->secrets, strerror(-r));
            return r;
        }
    }
    _cleanup_free_ char *input = NULL;
    int r = fence_build_input(dev, action, nodename, port, secrets, &input, ret_err);
    if (r < 0)
        return r;

    struct fence_call *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->agent = xstrdup(dev->agent);
    c->cb = cb;
    c->ctx = ctx;
    c->timeout_ms = dev->timeout_ms;
    c->secrets = secrets ? fence_secret_values(secrets) : NULL;
    c->started_ms = time_mono_ms();
    r = spawn_agent(c, input, ret_err);
    if (r < 0) {
        fence_strv_free(c->secrets);
        free(c->agent);
        free(c);
        return r;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles++;
    uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
    *ret = c;
    return 0;
}

void fence_call_cancel(struct fence_call *c)
{
    if (!c || c->done)
        return;
    c->cancelled = true;
    c->timed_out = false;
    finish(c);
}
