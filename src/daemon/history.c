#include "daemon/history.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct history {
    uv_loop_t *loop;
    char *path, *old_path;
    char *node;
    size_t max_bytes;
    int fd;
    size_t size;
    bool dirty;  /* written since the last flush began */
    bool failed; /* a write failed: logged once */
    uv_timer_t *timer;
};

/* A flush of a duplicate of the descriptor, so that rotation may close the original meanwhile. */
struct history_sync {
    uv_fs_t req;
    int fd;
};

static int open_file(struct history *h)
{
    h->fd = open(h->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (h->fd < 0)
        return -errno;
    struct stat st;
    h->size = fstat(h->fd, &st) == 0 ? (size_t)st.st_size : 0;
    /* A line torn by a crash or power loss is ended, so the next event starts afresh. */
    char last = '\n';
    if (h->size > 0 && pread(h->fd, &last, 1, (off_t)h->size - 1) == 1 && last != '\n' &&
        write(h->fd, "\n", 1) == 1)
        h->size++;
    return 0;
}

static void on_synced(uv_fs_t *req)
{
    struct history_sync *s = req->data;
    uv_fs_req_cleanup(req);
    close(s->fd);
    free(s);
}

static void on_timer(uv_timer_t *t)
{
    struct history *h = t->data;
    if (!h->dirty || h->fd < 0)
        return;
    h->dirty = false;
    struct history_sync *s = xcalloc(1, sizeof(*s));
    s->fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
    s->req.data = s;
    if (s->fd < 0 || uv_fs_fdatasync(h->loop, &s->req, s->fd, on_synced) < 0) {
        if (s->fd >= 0)
            close(s->fd);
        free(s);
    }
}

struct history *history_open(uv_loop_t *loop, const char *dir, const char *node, size_t max_bytes)
{
    struct history *h = xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->path = xasprintf("%s/%s", dir, HISTORY_FILE);
    h->old_path = xasprintf("%s/%s.1", dir, HISTORY_FILE);
    h->node = xstrdup(node ? node : "");
    h->max_bytes = max_bytes ? max_bytes : HISTORY_MAX_BYTES;
    int r = open_file(h);
    if (r < 0)
        log_error("cannot open the event history %s: %s; events are not recorded", h->path,
                  strerror(-r));
    if (loop) {
        h->timer = xcalloc(1, sizeof(*h->timer));
        uv_timer_init(loop, h->timer);
        h->timer->data = h;
        uv_timer_start(h->timer, on_timer, HISTORY_SYNC_MS, HISTORY_SYNC_MS);
    }
    return h;
}

/* The file is full: it becomes the old one, and a new one starts. */
static void rotate(struct history *h)
{
    if (h->fd >= 0) {
        fdatasync(h->fd);
        close(h->fd);
        h->fd = -1;
    }
    if (rename(h->path, h->old_path) < 0)
        log_warn("cannot rotate the event history %s: %s", h->path, strerror(errno));
    int r = open_file(h);
    if (r < 0)
        log_error("cannot open the event history %s: %s; events are not recorded", h->path,
                  strerror(-r));
}

void history_append(struct history *h, const struct event *ev)
{
    json_t *j = event_to_json(ev);
    json_object_set_new(j, "seen_by", json_string(h->node));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return;
    _cleanup_free_ char *line = xasprintf("%s\n", s);
    free(s);
    size_t len = strlen(line);
    if (h->size > 0 && h->size + len > h->max_bytes)
        rotate(h);
    if (h->fd < 0)
        return;
    ssize_t n = write(h->fd, line, len);
    if (n != (ssize_t)len) {
        if (!h->failed)
            log_error("cannot write to the event history %s: %s", h->path,
                      n < 0 ? strerror(errno) : "short write");
        h->failed = true;
        return;
    }
    h->failed = false;
    h->size += len;
    h->dirty = true;
}

static void free_timer(uv_handle_t *t)
{
    free(t);
}

void history_close(struct history *h)
{
    if (!h)
        return;
    if (h->fd >= 0) {
        if (h->dirty)
            fdatasync(h->fd);
        close(h->fd);
    }
    if (h->timer)
        uv_close((uv_handle_t *)h->timer, free_timer);
    free(h->path);
    free(h->old_path);
    free(h->node);
    free(h);
}

/* ---- reading ---- */

static bool passes(json_t *ev, const struct history_filter *f)
{
    json_t *ts = json_object_get(ev, "ts_ms");
    uint64_t t =
        json_is_integer(ts) && json_integer_value(ts) > 0 ? (uint64_t)json_integer_value(ts) : 0;
    if ((f->since_ms && t < f->since_ms) || (f->until_ms && t > f->until_ms))
        return false;
    if (f->group && !streq_null(json_string_value(json_object_get(ev, "group")), f->group))
        return false;
    if (f->node && !streq_null(json_string_value(json_object_get(ev, "node")), f->node))
        return false;
    return !f->type || streq_null(json_string_value(json_object_get(ev, "type")), f->type);
}

/* Appends the passing events of one file to ring (the newest limit kept). */
static void read_one(const char *path, const struct history_filter *f, json_t *ring, size_t limit,
                     size_t *skipped)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    if (read_file(path, 4 * HISTORY_MAX_BYTES, &buf, &len) < 0)
        return;
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0) {
            json_t *ev = json_loadb(p, n, 0, NULL);
            if (!json_is_object(ev)) {
                (*skipped)++;
            } else if (passes(ev, f)) {
                json_array_append(ring, ev);
                if (json_array_size(ring) > limit)
                    json_array_remove(ring, 0);
            }
            json_decref(ev);
        }
        p += n + 1;
    }
}

json_t *history_query(const char *dir, const struct history_filter *f, size_t *ret_skipped)
{
    size_t limit = f->limit ? f->limit : HISTORY_DEFAULT_LIMIT;
    json_t *ring = json_array();
    size_t skipped = 0;
    _cleanup_free_ char *old = xasprintf("%s/%s.1", dir, HISTORY_FILE);
    _cleanup_free_ char *cur = xasprintf("%s/%s", dir, HISTORY_FILE);
    read_one(old, f, ring, limit, &skipped);
    read_one(cur, f, ring, limit, &skipped);
    *ret_skipped = skipped;
    return ring;
}
