#include "daemon/control.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/ctl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct client {
    struct control *ctl;
    uv_pipe_t pipe;
    struct client *next;
    char *buf;
    size_t len, cap;
    bool follow;
    bool waiting;   /* a deferred reply is due (control_reply) */
    uint64_t id;    /* token for deferred replies */
    bool closing;   /* uv_close called */
    bool draining;  /* a final reply is being flushed before the close */
    uint64_t since; /* last event sequence sent to a follower */
};

struct control {
    uv_loop_t *loop;
    uv_pipe_t server;
    char *path;
    const struct cluster *cl;
    struct client *clients;
    size_t n_clients;
    control_action_fn action;
    void *action_ctx;
    uint64_t next_id;
};

void control_set_action(struct control *ctl, control_action_fn fn, void *ctx)
{
    ctl->action = fn;
    ctl->action_ctx = ctx;
}

static void on_client_closed(uv_handle_t *h)
{
    struct client *c = h->data;
    free(c->buf);
    free(c);
}

static void client_close(struct client *c)
{
    if (c->closing)
        return;
    c->closing = true;
    struct client **pp = &c->ctl->clients;
    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    c->ctl->n_clients--;
    uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

struct write_req {
    uv_write_t req;
    char *data;
};

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    free(w->data);
    free(w);
}

/* Queues one reply line; takes ownership of nothing (reply stays the caller's). */
static void client_send(struct client *c, const json_t *reply)
{
    if (c->closing)
        return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > CONTROL_MAX_QUEUED_BYTES) {
        log_warn("control: dropping a client that does not read its event stream");
        client_close(c);
        return;
    }
    struct write_req *w = xcalloc(1, sizeof(*w));
    size_t n;
    w->data = ctl_dump_line(reply, &n);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
        free(w->data);
        free(w);
        client_close(c);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct client *c = req->data;
    free(req);
    client_close(c);
}

/* Sends a final reply, then closes once it has been written. Takes ownership of reply. */
static void send_and_close(struct client *c, json_t *reply)
{
    client_send(c, reply);
    json_decref(reply);
    if (c->closing || c->draining)
        return;
    c->draining = true;
    c->follow = false;
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_shutdown_t *req = xcalloc(1, sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->pipe, on_shutdown) < 0) {
        free(req);
        client_close(c);
    }
}

static void handle_line(struct client *c, const char *line, size_t len)
{
    struct ctl_result res;
    ctl_handle(c->ctl->cl, line, len, &res);
    bool acts = res.fence_node >= 0 || res.has_intent || res.request;
    if (acts && c->ctl->action) {
        bool defer = false;
        json_t *replaced = c->ctl->action(c->ctl->action_ctx, &res, c->id, &defer);
        json_decref(res.request);
        res.request = NULL;
        if (defer) {
            json_decref(res.reply);
            c->waiting = true;
            return;
        }
        if (replaced) {
            json_decref(res.reply);
            res.reply = replaced;
        }
    }
    json_decref(res.request);
    client_send(c, res.reply);
    json_decref(res.reply);
    if (res.follow) {
        c->follow = true;
        c->since = res.since;
    }
}

/* Handles the complete lines in the buffer (until one waits for a deferred reply). */
static void process_lines(struct client *c)
{
    size_t start = 0;
    for (size_t i = 0; i < c->len && !c->closing && !c->draining && !c->waiting; i++) {
        if (c->buf[i] != '\n')
            continue;
        size_t n = i - start;
        if (n > 0 && c->buf[start + n - 1] == '\r')
            n--;
        if (n > 0 && !c->follow)
            handle_line(c, c->buf + start, n);
        start = i + 1;
    }
    if (c->closing || c->draining)
        return;
    memmove(c->buf, c->buf + start, c->len - start);
    c->len -= start;
    if (c->len > CTL_MAX_REQUEST)
        send_and_close(
            c, ctl_error("request too large (the limit is %u bytes per line)", CTL_MAX_REQUEST));
}

void control_reply(struct control *ctl, uint64_t token, json_t *reply)
{
    struct client *c = ctl ? ctl->clients : NULL;
    while (c && !(c->id == token && c->waiting))
        c = c->next;
    if (!c) {
        json_decref(reply);
        return; /* the client went away */
    }
    c->waiting = false;
    client_send(c, reply);
    json_decref(reply);
    process_lines(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    /* on_read keeps len <= CTL_MAX_REQUEST, so there is always room to read more. */
    struct client *c = h->data;
    size_t need = c->len + 4096;
    if (need > c->cap) {
        size_t ncap = c->cap * 2 > need ? c->cap * 2 : need;
        if (ncap > CTL_MAX_REQUEST + 8192)
            ncap = CTL_MAX_REQUEST + 8192;
        c->buf = xrealloc(c->buf, ncap);
        c->cap = ncap;
    }
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct client *c = s->data;
    if (nread < 0) {
        client_close(c);
        return;
    }
    c->len += (size_t)nread;
    if (!c->waiting)
        process_lines(c);
    else if (c->len > CTL_MAX_REQUEST)
        send_and_close(
            c, ctl_error("request too large (the limit is %u bytes per line)", CTL_MAX_REQUEST));
}

/* Only root and the daemon's own user may use the socket. */
static bool peer_allowed(struct client *c, uid_t *ret_uid)
{
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    *ret_uid = cred.uid;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void on_connection(uv_stream_t *server, int status)
{
    struct control *ctl = server->data;
    if (status < 0)
        return;
    struct client *c = xcalloc(1, sizeof(*c));
    c->ctl = ctl;
    c->id = ++ctl->next_id;
    uv_pipe_init(ctl->loop, &c->pipe, 0);
    c->pipe.data = c;
    c->next = ctl->clients;
    ctl->clients = c;
    ctl->n_clients++;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        client_close(c);
        return;
    }
    uid_t uid = (uid_t)-1;
    if (!peer_allowed(c, &uid)) {
        log_warn("control: refused a connection from uid %d", (int)uid);
        send_and_close(c, ctl_error("permission denied: only root may use the control socket"));
        return;
    }
    if (ctl->n_clients > CONTROL_MAX_CLIENTS) {
        send_and_close(c, ctl_error("too many clients (the limit is %d)", CONTROL_MAX_CLIENTS));
        return;
    }
    int r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    if (r < 0) {
        /* Without reading, the client would wait for ever: tell it, and close. */
        log_warn("control: cannot read from a new client: %s", uv_strerror(r));
        send_and_close(c, ctl_error("the daemon cannot read this connection: %s", uv_strerror(r)));
    }
}

void control_publish(struct control *ctl, const struct event *ev)
{
    if (!ctl)
        return;
    json_t *msg = NULL;
    for (struct client *c = ctl->clients, *next; c; c = next) {
        next = c->next;
        if (!c->follow || c->closing || ev->seq <= c->since)
            continue;
        if (!msg)
            msg = json_pack("{s:o}", "event", event_to_json(ev));
        c->since = ev->seq;
        client_send(c, msg);
    }
    json_decref(msg);
}

static int mkdir_parent(const char *path)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* True if a live daemon answers on path. */
static bool socket_in_use(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return false;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool used = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return used;
}

int control_open(uv_loop_t *loop, const char *path, const struct cluster *cl, struct control **ret)
{
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    int r = mkdir_parent(path);
    if (r < 0)
        return r;
    if (socket_in_use(path))
        return -EADDRINUSE;
    unlink(path);

    struct control *ctl = xcalloc(1, sizeof(*ctl));
    ctl->loop = loop;
    ctl->cl = cl;
    ctl->path = xstrdup(path);
    uv_pipe_init(loop, &ctl->server, 0);
    ctl->server.data = ctl;
    mode_t old = umask(0177);
    r = uv_pipe_bind(&ctl->server, path);
    umask(old);
    if (r == 0)
        r = chmod(path, 0600) < 0 ? -errno : 0;
    if (r == 0)
        r = uv_listen((uv_stream_t *)&ctl->server, 64, on_connection);
    if (r < 0) {
        control_close(ctl);
        return r;
    }
    *ret = ctl;
    return 0;
}

static void on_server_closed(uv_handle_t *h)
{
    struct control *ctl = h->data;
    free(ctl->path);
    free(ctl);
}

void control_close(struct control *ctl)
{
    if (!ctl)
        return;
    while (ctl->clients)
        client_close(ctl->clients);
    unlink(ctl->path);
    uv_close((uv_handle_t *)&ctl->server, on_server_closed);
}
