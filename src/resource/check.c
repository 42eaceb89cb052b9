#include "resource/check.h"
#include "base/util.h"
#include "exec/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HTTP_MAX_RESPONSE 8192 /* bytes read while looking for the end of the status line */

/*
 * A probe lives apart from its check: it owns the libuv handles of one run
 * and is freed only when the loop has closed them. Finishing or cancelling a
 * probe detaches it from its check at once (ck becomes NULL, done true), so
 * the check can run again or be freed right away, even from inside the done
 * callback, while the probe's handles close in the background.
 *
 * A command still running when its probe ends (timeout, cancel) is killed
 * with its group at once, but the probe waits for its exit before it frees
 * it: proc_free would otherwise wait for it with a blocking waitpid, and a
 * command stuck in uninterruptible sleep (a dead NFS mount) would block the
 * loop. The timeout is reported at the deadline all the same.
 */
struct probe {
    struct check *ck; /* NULL once finished or cancelled */
    bool done;
    check_done_fn cb;
    void *ctx;
    uint64_t timeout_ms;

    /* The deadline; with a zero timeout, also the delivery of a result known at once. */
    uv_timer_t timer;
    bool deferred;
    bool deferred_ok;
    char *deferred_reason;

    /* tcp and http */
    bool has_tcp;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    char *request;
    char *response;
    size_t response_len;

    /* exec */
    struct proc *proc;
    bool reaping; /* over, waiting for the killed command to exit before closing */

    char *reason; /* given to the callback; freed with the probe */
    int closing;
};

struct check {
    uv_loop_t *loop;
    const struct cfg_check *c;
    char *label; /* "tcp 198.51.100.100:80", "http http://...", "exec /usr/bin/test" */
    struct probe *probe;
};

/* ---- addresses and labels ---- */

/* host without the brackets of an IPv6 literal, in buf (64 bytes); NULL when too long. */
static const char *bare_host(const char *host, char buf[static 64])
{
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len >= 64)
        return NULL;
    memcpy(buf, host, len);
    buf[len] = '\0';
    return buf;
}

/* "HOST:PORT", with the IPv6 literal in brackets. */
static char *host_port(const char *host, uint16_t port)
{
    if (host[0] != '[' && strchr(host, ':'))
        return xasprintf("[%s]:%u", host, (unsigned)port);
    return xasprintf("%s:%u", host, (unsigned)port);
}

/*
 * The address to connect to: a numeric IPv4 or IPv6 address, or "localhost"
 * (127.0.0.1). Names are not resolved: a health check must not hang on, or
 * fail because of, the resolver. 0 or -EINVAL.
 */
static int check_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ret)
{
    char buf[64];
    const char *h = host ? bare_host(host, buf) : NULL;
    if (!h)
        return -EINVAL;
    if (strcmp(h, "localhost") == 0)
        h = "127.0.0.1";
    memset(ret, 0, sizeof(*ret));
    if (uv_ip4_addr(h, port, (struct sockaddr_in *)ret) == 0)
        return 0;
    if (uv_ip6_addr(h, port, (struct sockaddr_in6 *)ret) == 0)
        return 0;
    return -EINVAL;
}

static char *make_label(const struct cfg_check *c)
{
    const char *host = c->host ? c->host : "?";
    switch (c->type) {
    case CFG_CHECK_TCP: {
        _cleanup_free_ char *hp = host_port(host, c->port);
        return xasprintf("tcp %s", hp);
    }
    case CFG_CHECK_HTTP: {
        if (c->url)
            return xasprintf("http %s", c->url);
        _cleanup_free_ char *hp = c->port == 80 ? NULL : host_port(host, c->port);
        return xasprintf("http http://%s%s", hp ? hp : host, c->path ? c->path : "/");
    }
    case CFG_CHECK_EXEC:
        return xasprintf("exec %s", c->argv && c->argv[0] ? c->argv[0] : "?");
    case CFG_CHECK_TYPE_MAX:
        break;
    }
    return xstrdup("check");
}

/* ---- probes ---- */

static void on_probe_closed(uv_handle_t *h)
{
    struct probe *p = h->data;
    if (--p->closing > 0)
        return;
    /* The command has exited and been reaped: this never waits. Never from its exit callback. */
    proc_free(p->proc);
    free(p->deferred_reason);
    free(p->request);
    free(p->response);
    free(p->reason);
    free(p);
}

static void probe_close_handles(struct probe *p);

/* Ends p: detaches it from its check, kills its command, closes its handles. */
static void probe_close(struct probe *p)
{
    p->done = true;
    if (p->ck) {
        p->ck->probe = NULL;
        p->ck = NULL;
    }
    if (p->proc && proc_running(p->proc)) {
        proc_signal(p->proc, SIGKILL);
        /* on_exec_exit closes the probe once the command is gone. */
        p->reaping = true;
        uv_timer_stop(&p->timer);
        return;
    }
    probe_close_handles(p);
}

static void probe_close_handles(struct probe *p)
{
    p->closing = 1;
    uv_close((uv_handle_t *)&p->timer, on_probe_closed);
    if (p->has_tcp) {
        p->closing++;
        uv_close((uv_handle_t *)&p->tcp, on_probe_closed);
    }
}

/* Delivers the result of p (reason: owned, NULL when ok) unless p is over already. */
static void probe_finish(struct probe *p, bool ok, char *reason)
{
    if (p->done) {
        free(reason);
        return;
    }
    check_done_fn cb = p->cb;
    void *ctx = p->ctx;
    probe_close(p);
    p->reason = reason;
    /* p stays allocated until its handles are closed, which is after this call. */
    cb(ctx, ok, reason ? reason : "");
}

/* A failure of p's check: "LABEL: DETAIL". p must still be attached. */
static char *probe_reason(const struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *probe_reason(const struct probe *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *detail = xvasprintf(fmt, ap);
    va_end(ap);
    return xasprintf("%s: %s", p->ck->label, detail);
}

static void on_probe_timer(uv_timer_t *t);

/* A result known before anything ran: delivered from the loop, never inside check_run. */
static void probe_defer(struct probe *p, bool ok, char *reason)
{
    p->deferred = true;
    p->deferred_ok = ok;
    p->deferred_reason = reason;
    uv_timer_start(&p->timer, on_probe_timer, 0, 0);
}

static void on_probe_timer(uv_timer_t *t)
{
    struct probe *p = t->data;
    if (p->done)
        return;
    if (p->deferred) {
        char *reason = p->deferred_reason;
        p->deferred_reason = NULL;
        probe_finish(p, p->deferred_ok, reason);
        return;
    }
    /* A command still running is killed with its group by probe_close. */
    probe_finish(p, false, probe_reason(p, "timed out after %" PRIu64 "ms", p->timeout_ms));
}

/* ---- tcp and http ---- */

/* The status of an HTTP/1.x status line (up to its '\n'), or -1. */
static int http_status(const char *line, size_t len)
{
    if (len < 13 || memcmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' ||
        line[8] != ' ')
        return -1;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return -1;
        status = status * 10 + (line[i] - '0');
    }
    if (line[12] != ' ' && line[12] != '\r' && line[12] != '\n')
        return -1;
    return status >= 100 && status <= 599 ? status : -1;
}

static void http_verdict(struct probe *p, const char *line, size_t len)
{
    const struct cfg_check *c = p->ck->c;
    int status = http_status(line, len);
    if (status < 0) {
        probe_finish(p, false, probe_reason(p, "malformed response"));
        return;
    }
    bool ok = c->status ? (uint32_t)status == c->status : status >= 200 && status <= 399;
    if (ok)
        probe_finish(p, true, NULL);
    else if (c->status)
        probe_finish(p, false, probe_reason(p, "status %d, expected %u", status, c->status));
    else
        probe_finish(p, false, probe_reason(p, "status %d", status));
}

static void on_http_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct probe *p = h->data;
    /* An empty buffer makes libuv report UV_ENOBUFS; the probe is over by then anyway. */
    *buf =
        uv_buf_init(p->response + p->response_len, (unsigned)(HTTP_MAX_RESPONSE - p->response_len));
}

static void on_http_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct probe *p = s->data;
    if (p->done)
        return;
    if (nread == UV_EOF) {
        probe_finish(p, false,
                     probe_reason(p, p->response_len ? "malformed response"
                                                     : "connection closed without a response"));
        return;
    }
    if (nread < 0) {
        probe_finish(p, false, probe_reason(p, "%s", uv_strerror((int)nread)));
        return;
    }
    size_t from = p->response_len;
    p->response_len += (size_t)nread;
    const char *nl = memchr(p->response + from, '\n', p->response_len - from);
    if (nl)
        http_verdict(p, p->response, (size_t)(nl - p->response) + 1);
    else if (p->response_len >= HTTP_MAX_RESPONSE)
        probe_finish(p, false, probe_reason(p, "malformed response"));
}

static void on_http_written(uv_write_t *req, int status)
{
    struct probe *p = req->data;
    if (!p->done && status < 0)
        probe_finish(p, false, probe_reason(p, "%s", uv_strerror(status)));
}

static void http_send(struct probe *p)
{
    const struct cfg_check *c = p->ck->c;
    _cleanup_free_ char *hp = c->port == 80 ? NULL : host_port(c->host, c->port);
    const char *host = hp ? hp : c->host;
    _cleanup_free_ char *bracketed = NULL;
    if (!hp && host[0] != '[' && strchr(host, ':'))
        host = bracketed = xasprintf("[%s]", host);
    p->request = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: vigil-check\r\n"
                           "Connection: close\r\n\r\n",
                           c->path ? c->path : "/", host);
    p->response = xmalloc(HTTP_MAX_RESPONSE);
    uv_buf_t buf = uv_buf_init(p->request, (unsigned)strlen(p->request));
    p->write_req.data = p;
    int r = uv_write(&p->write_req, (uv_stream_t *)&p->tcp, &buf, 1, on_http_written);
    if (r == 0)
        r = uv_read_start((uv_stream_t *)&p->tcp, on_http_alloc, on_http_read);
    if (r < 0)
        probe_finish(p, false, probe_reason(p, "%s", uv_strerror(r)));
}

static void on_connected(uv_connect_t *req, int status)
{
    struct probe *p = req->data;
    if (p->done)
        return;
    if (status < 0)
        probe_finish(p, false, probe_reason(p, "%s", uv_strerror(status)));
    else if (p->ck->c->type == CFG_CHECK_HTTP)
        http_send(p);
    else
        probe_finish(p, true, NULL);
}

/* A path goes into the request line as it is: no spaces, no control bytes. */
static bool path_ok(const char *path)
{
    if (!path)
        return true;
    if (path[0] != '/')
        return false;
    for (const unsigned char *s = (const unsigned char *)path; *s; s++)
        if (*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

static void tcp_start(struct probe *p)
{
    const struct cfg_check *c = p->ck->c;
    struct sockaddr_storage sa;
    if (check_sockaddr(c->host, c->port, &sa) < 0) {
        probe_defer(p, false, probe_reason(p, "not a numeric address"));
        return;
    }
    if (c->type == CFG_CHECK_HTTP && !path_ok(c->path)) {
        probe_defer(p, false, probe_reason(p, "invalid path"));
        return;
    }
    int r = uv_tcp_init(p->ck->loop, &p->tcp);
    if (r < 0) {
        probe_defer(p, false, probe_reason(p, "%s", uv_strerror(r)));
        return;
    }
    p->has_tcp = true;
    p->tcp.data = p;
    p->connect_req.data = p;
    r = uv_tcp_connect(&p->connect_req, &p->tcp, (const struct sockaddr *)&sa, on_connected);
    if (r < 0)
        probe_defer(p, false, probe_reason(p, "%s", uv_strerror(r)));
}

/* ---- exec ---- */

/* The killed command of a probe that is over has exited: close from the loop, not from here. */
static void on_reaped(uv_timer_t *t)
{
    probe_close_handles(t->data);
}

static void on_exec_exit(struct proc *pr, int wstatus, void *ctx)
{
    struct probe *p = ctx;
    if (p->reaping) {
        uv_timer_start(&p->timer, on_reaped, 0, 0);
        return;
    }
    if (p->done)
        return;
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        probe_finish(p, true, NULL);
    } else {
        char buf[64];
        probe_finish(p, false, probe_reason(p, "%s", proc_describe_status(wstatus, buf)));
    }
}

static void exec_start(struct probe *p)
{
    const struct cfg_check *c = p->ck->c;
    if (!c->argv || !c->argv[0]) {
        probe_defer(p, false, probe_reason(p, "no command"));
        return;
    }
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) {
        probe_defer(p, false, probe_reason(p, "/dev/null: %s", strerror(errno)));
        return;
    }
    struct proc_opts o = {
        .new_pgrp = true,
        .die_with_parent = true,
        .fd_in = devnull,
        .fd_out = devnull,
        .fd_err = devnull,
    };
    int r = proc_spawn(p->ck->loop, c->argv, &o, on_exec_exit, p, &p->proc);
    close(devnull);
    if (r < 0)
        probe_defer(p, false, probe_reason(p, "%s", uv_strerror(r)));
}

/* ---- checks ---- */

struct check *check_new(uv_loop_t *loop, const struct cfg_check *c)
{
    struct check *ck = xcalloc(1, sizeof(*ck));
    ck->loop = loop;
    ck->c = c;
    ck->label = make_label(c);
    return ck;
}

int check_run(struct check *ck, check_done_fn cb, void *ctx)
{
    if (ck->probe)
        return -EBUSY;
    struct probe *p = xcalloc(1, sizeof(*p));
    p->ck = ck;
    p->cb = cb;
    p->ctx = ctx;
    p->timeout_ms = ck->c->timeout_ms ? ck->c->timeout_ms : CFG_DEFAULT_CHECK_TIMEOUT;
    ck->probe = p;
    uv_timer_init(ck->loop, &p->timer);
    p->timer.data = p;
    uv_update_time(ck->loop); /* the timeout counts from now */
    uv_timer_start(&p->timer, on_probe_timer, p->timeout_ms, 0);
    switch (ck->c->type) {
    case CFG_CHECK_TCP:
    case CFG_CHECK_HTTP:
        tcp_start(p);
        break;
    case CFG_CHECK_EXEC:
        exec_start(p);
        break;
    case CFG_CHECK_TYPE_MAX:
        probe_defer(p, false, probe_reason(p, "unknown check type"));
        break;
    }
    return 0;
}

bool check_busy(const struct check *ck)
{
    return ck->probe != NULL;
}

const char *check_label(const struct check *ck)
{
    return ck->label;
}

void check_cancel(struct check *ck)
{
    if (ck && ck->probe)
        probe_close(ck->probe);
}

void check_free(struct check *ck)
{
    if (!ck)
        return;
    check_cancel(ck);
    free(ck->label);
    free(ck);
}
