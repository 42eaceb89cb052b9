#include "daemon/history.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct history_query_req;

/*
 * Freed when the last of its references goes: the owner's (history_close),
 * the timer's (until its close callback), one per fdatasync in flight and one
 * per query asked for and not yet answered.
 */
struct history {
    uv_loop_t *loop;
    char *dir, *path, *old_path;
    char *node;
    size_t max_bytes;
    int fd;      /* -1: not open (records nothing) */
    size_t size; /* of the open file */
    bool dirty;  /* written since the last flush began */
    bool torn;   /* a short write left a line unended: the next starts with '\n' */
    bool failed; /* a write failed: logged once until one succeeds */
    bool rotate_failed, sync_failed; /* logged once until it works again */
    bool flushing;                   /* a periodic fdatasync is in flight */
    bool querying;                   /* queries' head is on the thread pool */
    unsigned refs;
    uv_timer_t timer;
    struct history_query_req *queries, *queries_tail; /* oldest first */
};

static void unref(struct history *h)
{
    if (--h->refs > 0)
        return;
    free(h->dir);
    free(h->path);
    free(h->old_path);
    free(h->node);
    free(h);
}

/* ---- writing ---- */

static int open_file(struct history *h)
{
    h->torn = false;
    h->fd = open(h->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (h->fd < 0)
        return -errno;
    struct stat st;
    h->size = fstat(h->fd, &st) == 0 ? (size_t)st.st_size : 0;
    /* A line torn by a crash or power loss: the next event starts on a line of its own. */
    char last = '\n';
    if (h->size > 0 && pread(h->fd, &last, 1, (off_t)h->size - 1) == 1 && last != '\n')
        h->torn = true;
    return 0;
}

/* An fdatasync of fd on the thread pool, which then closes fd. */
struct history_sync {
    uv_fs_t req;
    struct history *h;
    int fd;
    bool periodic; /* the timer's (h->flushing), not a rotation's or close's */
};

static void sync_done(struct history *h, int fd, int r, bool periodic)
{
    close(fd);
    if (r < 0 && !h->sync_failed)
        log_error("cannot flush the event history %s to disk: %s", h->path, strerror(-r));
    h->sync_failed = r < 0;
    if (periodic)
        h->flushing = false;
}

static void on_synced(uv_fs_t *req)
{
    struct history_sync *s = req->data;
    int r = (int)req->result;
    uv_fs_req_cleanup(req);
    sync_done(s->h, s->fd, r, s->periodic);
    unref(s->h);
    free(s);
}

/* Flushes fd to disk and closes it: off the loop when h has one. Takes fd. */
static void sync_and_close(struct history *h, int fd, bool periodic)
{
    if (h->loop) {
        struct history_sync *s = xcalloc(1, sizeof(*s));
        *s = (struct history_sync){.h = h, .fd = fd, .periodic = periodic};
        s->req.data = s;
        if (periodic)
            h->flushing = true;
        h->refs++;
        if (uv_fs_fdatasync(h->loop, &s->req, fd, on_synced) == 0)
            return;
        h->refs--;
        free(s);
    }
    sync_done(h, fd, fdatasync(fd) < 0 ? -errno : 0, periodic);
}

static void on_timer(uv_timer_t *t)
{
    struct history *h = t->data;
    if (!h->dirty || h->fd < 0 || h->flushing)
        return; /* nothing new, or the last flush still runs: it will be the next one's */
    int fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0); /* rotation may close h->fd meanwhile */
    if (fd < 0)
        return;
    h->dirty = false;
    sync_and_close(h, fd, true);
}

static void on_timer_closed(uv_handle_t *t)
{
    unref(t->data);
}

struct history *history_open(uv_loop_t *loop, const char *dir, const char *node, size_t max_bytes)
{
    struct history *h = xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->refs = 1;
    h->dir = xstrdup(dir);
    h->path = xasprintf("%s/%s", dir, HISTORY_FILE);
    h->old_path = xasprintf("%s/%s.1", dir, HISTORY_FILE);
    h->node = xstrdup(node ? node : "");
    h->max_bytes = max_bytes ? max_bytes : HISTORY_MAX_BYTES;
    int r = open_file(h);
    if (r < 0)
        log_error("cannot open the event history %s: %s; events are not recorded", h->path,
                  strerror(-r));
    if (loop) {
        uv_timer_init(loop, &h->timer);
        h->timer.data = h;
        h->refs++;
        uv_timer_start(&h->timer, on_timer, HISTORY_SYNC_MS, HISTORY_SYNC_MS);
    }
    return h;
}

/* The file is full: it becomes the old one (flushed off the loop), and a new one starts. */
static void rotate(struct history *h)
{
    sync_and_close(h, h->fd, false);
    h->fd = -1;
    h->dirty = false;
    if (rename(h->path, h->old_path) < 0) {
        if (!h->rotate_failed)
            log_warn("cannot rotate the event history %s: %s", h->path, strerror(errno));
        h->rotate_failed = true;
    } else {
        h->rotate_failed = false;
    }
    int r = open_file(h);
    if (r < 0)
        log_error("cannot open the event history %s: %s; events are not recorded", h->path,
                  strerror(-r));
}

void history_append(struct history *h, const struct event *ev)
{
    if (!h || h->fd < 0)
        return;
    json_t *j = event_to_json(ev);
    json_object_set_new(j, "seen_by", json_string(h->node));
    _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return;
    if (h->size > 0 && h->size + strlen(s) + 1 > h->max_bytes)
        rotate(h);
    if (h->fd < 0)
        return;
    _cleanup_free_ char *line = xasprintf("%s%s\n", h->torn ? "\n" : "", s);
    size_t len = strlen(line);
    ssize_t n = write(h->fd, line, len);
    if (n > 0) {
        h->size += (size_t)n;
        h->dirty = true;
    }
    if (n == (ssize_t)len) {
        h->torn = false;
        h->failed = false;
        return;
    }
    if (!h->failed)
        log_error("cannot write to the event history %s: %s", h->path,
                  n < 0 ? strerror(errno) : "short write (disk full?)");
    h->failed = true;
    if (n > 0)
        h->torn = true;
}

void history_close(struct history *h)
{
    if (!h)
        return;
    if (h->fd >= 0) {
        if (h->dirty)
            sync_and_close(h, h->fd, false);
        else
            close(h->fd);
        h->fd = -1;
    }
    if (h->loop)
        uv_close((uv_handle_t *)&h->timer, on_timer_closed);
    unref(h);
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

/* The newest `limit` events kept so far: v[0..n) until it is full, then oldest at head. */
struct ring {
    json_t **v;
    size_t cap, n, head, limit;
};

static void ring_push(struct ring *r, json_t *ev)
{
    if (r->n < r->limit) {
        xgrow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v));
        r->v[r->n++] = ev;
        return;
    }
    json_decref(r->v[r->head]);
    r->v[r->head] = ev;
    r->head = (r->head + 1) % r->limit;
}

/* Moves the ring's events, oldest first, into a new array. */
static json_t *ring_take(struct ring *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(arr, r->v[(r->head + i) % r->n]);
    free(r->v);
    *r = (struct ring){0};
    return arr;
}

static void ring_free(struct ring *r)
{
    for (size_t i = 0; i < r->n; i++)
        json_decref(r->v[i]);
    free(r->v);
}

/* Opens path for reading: 0 and *ret (NULL if there is no such file), or a negative errno. */
static int open_for_reading(const char *path, FILE **ret)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *ret = NULL;
        return errno == ENOENT ? 0 : -errno;
    }
    *ret = fdopen(fd, "r");
    if (!*ret) {
        int e = -errno;
        close(fd);
        return e;
    }
    return 0;
}

static bool same_file(FILE *a, FILE *b)
{
    struct stat sa, sb;
    return fstat(fileno(a), &sa) == 0 && fstat(fileno(b), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/*
 * Opens the current and the old file as one consistent pair, or fails with
 * the path that cannot be opened in *ret_path. The current one is opened
 * first: if the writer rotated in between, the old one is the file just
 * opened as current, and both are opened again.
 */
static int open_pair(const char *cur_path, const char *old_path, FILE **ret_cur, FILE **ret_old,
                     const char **ret_path)
{
    for (int attempt = 0;; attempt++) {
        FILE *cur, *old;
        int r = open_for_reading(cur_path, &cur);
        if (r < 0) {
            *ret_path = cur_path;
            return r;
        }
        r = open_for_reading(old_path, &old);
        if (r < 0) {
            if (cur)
                fclose(cur);
            *ret_path = old_path;
            return r;
        }
        if (cur && old && same_file(cur, old)) {
            fclose(cur); /* rotated meanwhile: old is the one to read */
            cur = NULL;
            if (attempt < 3) {
                fclose(old);
                continue;
            }
        }
        *ret_cur = cur;
        *ret_old = old;
        return 0;
    }
}

/*
 * Pushes f's passing events of one file into ring, counting damaged lines.
 * A last line without its newline is counted only when `ended` (the file is
 * no longer written to); otherwise it is an append in progress. Returns 0 or
 * a negative errno.
 */
static int read_events(FILE *in, bool ended, const struct history_filter *f, struct ring *ring,
                       size_t *skipped)
{
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    for (errno = 0; (n = getline(&line, &cap, in)) > 0; errno = 0) {
        bool complete = line[n - 1] == '\n';
        if (complete)
            n--;
        if (!complete && !ended)
            break;
        if (n == 0)
            continue;
        json_t *ev = json_loadb(line, (size_t)n, 0, NULL);
        if (!json_is_object(ev))
            (*skipped)++;
        else if (passes(ev, f))
            ring_push(ring, json_incref(ev));
        json_decref(ev);
    }
    return !ferror(in) ? 0 : errno ? -errno : -EIO;
}

json_t *history_query(const char *dir, const struct history_filter *f, size_t *ret_skipped,
                      char **ret_err)
{
    _cleanup_free_ char *old_path = xasprintf("%s/%s.1", dir, HISTORY_FILE);
    _cleanup_free_ char *cur_path = xasprintf("%s/%s", dir, HISTORY_FILE);
    FILE *cur = NULL, *old = NULL;
    const char *bad = NULL;
    int r = open_pair(cur_path, old_path, &cur, &old, &bad);
    if (r < 0) {
        *ret_err = xasprintf("cannot read the event history %s: %s", bad, strerror(-r));
        return NULL;
    }
    struct ring ring = {.limit = f->limit ? f->limit : HISTORY_DEFAULT_LIMIT};
    size_t skipped = 0;
    if (old && (r = read_events(old, true, f, &ring, &skipped)) < 0)
        bad = old_path;
    if (r == 0 && cur && (r = read_events(cur, false, f, &ring, &skipped)) < 0)
        bad = cur_path;
    if (old)
        fclose(old);
    if (cur)
        fclose(cur);
    if (r < 0) {
        ring_free(&ring);
        *ret_err = xasprintf("cannot read the event history %s: %s", bad, strerror(-r));
        return NULL;
    }
    *ret_skipped = skipped;
    return ring_take(&ring);
}

/* ---- queries on the thread pool ---- */

struct history_query_req {
    uv_work_t work;
    struct history *h;
    struct history_filter f; /* its strings point into the copies below */
    char *group, *node, *type;
    json_t *events;
    size_t skipped;
    char *err;
    history_done_fn done;
    void *ctx;
    uint64_t tag;
    struct history_query_req *next;
};

static void query_work(uv_work_t *w)
{
    struct history_query_req *q = w->data;
    q->events = history_query(q->h->dir, &q->f, &q->skipped, &q->err);
}

static void query_after(uv_work_t *w, int status);

static void query_free(struct history_query_req *q)
{
    json_decref(q->events);
    free(q->err);
    free(q->group);
    free(q->node);
    free(q->type);
    free(q);
}

/* Answers the oldest query (h->queries), which is done or could not start, and forgets it. */
static void answer(struct history *h, int status)
{
    struct history_query_req *q = h->queries;
    h->queries = q->next;
    if (!h->queries)
        h->queries_tail = NULL;
    if (!q->events && !q->err)
        q->err = xasprintf("cannot read the event history: %s", uv_strerror(status));
    q->done(q->ctx, q->tag, q->events, q->skipped, q->err);
    q->events = NULL; /* the callee's now */
    query_free(q);
}

/* Starts the oldest waiting query, if none runs; one that cannot start is answered with why. */
static void start_queries(struct history *h)
{
    while (!h->querying && h->queries) {
        int r = uv_queue_work(h->loop, &h->queries->work, query_work, query_after);
        if (r == 0) {
            h->querying = true;
            return;
        }
        answer(h, r); /* from the loop's callback: answering now is allowed */
        unref(h);
    }
}

static void query_after(uv_work_t *w, int status)
{
    struct history_query_req *q = w->data;
    struct history *h = q->h;
    h->querying = false;
    answer(h, status);
    start_queries(h);
    unref(h);
}

int history_query_async(struct history *h, const struct history_filter *f, history_done_fn done,
                        void *ctx, uint64_t tag)
{
    if (!h->loop)
        return -EINVAL;
    struct history_query_req *q = xcalloc(1, sizeof(*q));
    q->h = h;
    q->group = f->group ? xstrdup(f->group) : NULL;
    q->node = f->node ? xstrdup(f->node) : NULL;
    q->type = f->type ? xstrdup(f->type) : NULL;
    q->f = *f;
    q->f.group = q->group;
    q->f.node = q->node;
    q->f.type = q->type;
    q->done = done;
    q->ctx = ctx;
    q->tag = tag;
    q->work.data = q;
    if (!h->queries) {
        /* None waiting: this one starts now (a failure is returned, never answered). */
        int r = uv_queue_work(h->loop, &q->work, query_work, query_after);
        if (r < 0) {
            query_free(q);
            return r;
        }
        h->querying = true;
        h->queries = q;
    } else {
        h->queries_tail->next = q;
    }
    h->queries_tail = q;
    h->refs++;
    return 0;
}
