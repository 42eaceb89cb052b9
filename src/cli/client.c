/* The control socket client: connect, send a JSON line, read JSON lines. */
#include "cli/client.h"
#include "base/util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct client {
    int fd;
    /* Bytes received and not yet returned: buf[0..len). scanned bytes hold no '\n'. */
    char *buf;
    size_t len;
    size_t cap;
    size_t scanned;
    char *error;
};

int client_connect(const char *path, struct client **ret)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t plen = strlen(path);
    if (plen == 0)
        return -ENOENT;
    if (plen >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, plen + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* Bounds connect() itself when the daemon's backlog is full (it then fails with EAGAIN). */
    struct timeval tv = {.tv_sec = 10};
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }

    struct client *c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    *ret = c;
    return 0;
}

void client_close(struct client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    free(c->error);
    free(c);
}

int client_send(struct client *c, json_t *req)
{
    _cleanup_free_ char *line = json_dumps(req, JSON_COMPACT);
    if (!line)
        return -EINVAL;
    size_t len = strlen(line);
    if (len + 1 > CLIENT_MAX_REQUEST)
        return -EMSGSIZE;
    line[len] = '\n'; /* replaces the terminator; send by length from here */

    for (size_t off = 0; off < len + 1;) {
        ssize_t w = send(c->fd, line + off, len + 1 - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (size_t)w;
    }
    return 0;
}

const char *client_last_error(const struct client *c)
{
    return c->error ? c->error : "";
}

static void set_error(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(c->error);
    c->error = xvasprintf(fmt, ap);
    va_end(ap);
}

/* Decodes buf[0..n) (one line without its '\n') into a JSON object. */
static int decode_line(struct client *c, size_t n, json_t **ret)
{
    json_error_t jerr;
    json_t *v = json_loadb(c->buf, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        set_error(c, "%s (at byte %d)", jerr.text, jerr.position);
        return -EBADMSG;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        set_error(c, "expected a JSON object");
        return -EBADMSG;
    }
    *ret = v;
    return 0;
}

/* Milliseconds left before deadline (a time_mono_ms value), or -1 for no deadline. */
static int time_left(uint64_t deadline, int timeout_ms)
{
    if (timeout_ms < 0)
        return -1;
    uint64_t now = time_mono_ms();
    return now >= deadline ? 0 : (int)(deadline - now);
}

/* Waits until the socket is readable. Returns 0, -ETIMEDOUT, -EINTR or -errno. */
static int wait_readable(struct client *c, int left_ms, const sigset_t *sigmask)
{
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    struct timespec ts, *tsp = NULL;
    if (left_ms >= 0) {
        ts.tv_sec = left_ms / 1000;
        ts.tv_nsec = (long)(left_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    int n = ppoll(&pfd, 1, tsp, sigmask);
    if (n < 0)
        return -errno;
    return n == 0 ? -ETIMEDOUT : 0;
}

int client_recv(struct client *c, int timeout_ms, const sigset_t *sigmask, json_t **ret)
{
    uint64_t deadline = timeout_ms >= 0 ? time_mono_ms() + (uint64_t)timeout_ms : 0;

    for (;;) {
        char *nl =
            c->len > c->scanned ? memchr(c->buf + c->scanned, '\n', c->len - c->scanned) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            int r = n > CLIENT_MAX_REPLY ? -EMSGSIZE : decode_line(c, n, ret);
            /* Drop the line whatever its fate, so that the next call starts clean. */
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            c->scanned = 0;
            return r;
        }
        c->scanned = c->len;
        if (c->len > CLIENT_MAX_REPLY)
            return -EMSGSIZE;

        int r = wait_readable(c, time_left(deadline, timeout_ms), sigmask);
        if (r < 0)
            return r;

        /* Read at most one byte past the limit: enough to know the line is too long. */
        size_t want = c->len + 64 * 1024;
        if (want > CLIENT_MAX_REPLY + 1)
            want = CLIENT_MAX_REPLY + 1;
        xgrow((void **)&c->buf, &c->cap, want, 1);
        ssize_t got = read(c->fd, c->buf + c->len, want - c->len);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        if (got == 0) {
            if (c->len > 0)
                return -EPROTO;
            *ret = NULL;
            return 0;
        }
        c->len += (size_t)got;
    }
}
