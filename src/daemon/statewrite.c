#include "daemon/statewrite.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sw_file {
    char *path;
    char *data;
    size_t len;
    unsigned mode;
    char *mode_from;
    bool make_dir;
};

struct sw_waiter {
    statewrite_done_fn done;
    void *arg;
};

/* One write: files in order, and the callbacks waiting for it. */
struct sw_job {
    uv_work_t work;
    struct statewrite *sw;
    struct sw_file *files;
    size_t n_files;
    struct sw_waiter *waiters;
    size_t n_waiters, cap_waiters;
    size_t fired; /* waiters[0..fired) were called */
    statewrite_tidy_fn tidy;
    char *tidy_arg;
    int result;
};

struct statewrite {
    uv_loop_t *loop;
    struct sw_job *inflight; /* on the thread pool, or its callbacks firing */
    struct sw_job *queued;   /* the newest content, written after inflight */
    statewrite_tidy_fn tidy;
    char *tidy_arg;
    bool detached; /* statewrite_free was called: no callbacks; freed when idle */
};

static void file_clear(struct sw_file *f)
{
    free(f->path);
    free(f->data);
    free(f->mode_from);
}

static void job_free(struct sw_job *job)
{
    for (size_t i = 0; i < job->n_files; i++)
        file_clear(&job->files[i]);
    free(job->files);
    free(job->waiters);
    free(job->tidy_arg);
    free(job);
}

static struct sw_job *job_new(struct statewrite *sw)
{
    struct sw_job *job = xcalloc(1, sizeof(*job));
    job->sw = sw;
    job->work.data = job;
    return job;
}

/* Adds files to job: a file already in it takes the new content, in its place. */
static void job_add_files(struct sw_job *job, const struct statewrite_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sw_file *f = NULL;
        for (size_t k = 0; k < job->n_files && !f; k++)
            if (strcmp(job->files[k].path, files[i].path) == 0)
                f = &job->files[k];
        if (f) {
            file_clear(f);
        } else {
            job->files = xrealloc(job->files, (job->n_files + 1) * sizeof(*job->files));
            f = &job->files[job->n_files++];
        }
        f->path = xstrdup(files[i].path);
        f->data = xmalloc(files[i].len ? files[i].len : 1);
        if (files[i].len)
            memcpy(f->data, files[i].data, files[i].len);
        f->len = files[i].len;
        f->mode = files[i].mode;
        f->mode_from = files[i].mode_from ? xstrdup(files[i].mode_from) : NULL;
        f->make_dir = files[i].make_dir;
    }
}

static void job_add_waiter(struct sw_job *job, statewrite_done_fn done, void *arg, bool once)
{
    if (!done)
        return;
    for (size_t i = job->fired; once && i < job->n_waiters; i++)
        if (job->waiters[i].done == done && job->waiters[i].arg == arg)
            return;
    xgrow((void **)&job->waiters, &job->cap_waiters, job->n_waiters + 1, sizeof(*job->waiters));
    job->waiters[job->n_waiters++] = (struct sw_waiter){done, arg};
}

/* Calls the waiters not called yet with result (they may add more, or free sw). */
static void job_fire(struct sw_job *job, int result)
{
    while (job->fired < job->n_waiters) {
        struct sw_waiter w = job->waiters[job->fired++];
        w.done(w.arg, result);
    }
}

/* ---- on the worker thread ---- */

/* The directory of path (caller frees). */
static char *dir_of(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    return dir;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

/* Creates path's directory when it is missing, and makes its entry durable. */
static int make_dir_of(const char *path)
{
    _cleanup_free_ char *dir = dir_of(path);
    if (mkdir(dir, 0700) < 0)
        return errno == EEXIST ? 0 : -errno;
    _cleanup_free_ char *parent = dir_of(dir);
    return fsync_dir(parent);
}

static int write_one(const struct sw_file *f)
{
    if (f->make_dir) {
        int r = make_dir_of(f->path);
        if (r < 0)
            return r;
    }
    unsigned mode = f->mode;
    struct stat st;
    if (f->mode_from && stat(f->mode_from, &st) == 0)
        mode = (unsigned)(st.st_mode & 07777);
    return write_file_atomic(f->path, f->data, f->len, mode);
}

static void job_work(uv_work_t *w)
{
    struct sw_job *job = w->data;
    job->result = 0;
    for (size_t i = 0; i < job->n_files && job->result == 0; i++)
        job->result = write_one(&job->files[i]);
    if (job->result == 0 && job->tidy)
        job->tidy(job->tidy_arg);
}

/* ---- on the loop's thread ---- */

static void job_start(struct statewrite *sw, struct sw_job *job);

static void sw_free_now(struct statewrite *sw)
{
    free(sw->tidy_arg);
    free(sw);
}

static void job_after(uv_work_t *w, int status)
{
    struct sw_job *job = w->data;
    struct statewrite *sw = job->sw;
    /* Still the one in flight while its callbacks run: a submission meanwhile is queued. */
    job_fire(job, status < 0 ? status : job->result);
    sw->inflight = NULL;
    struct sw_job *next = sw->queued;
    sw->queued = NULL;
    job_free(job);
    if (next)
        job_start(sw, next);
    else if (sw->detached)
        sw_free_now(sw);
}

static void job_start(struct statewrite *sw, struct sw_job *job)
{
    job->tidy = sw->tidy;
    job->tidy_arg = sw->tidy_arg ? xstrdup(sw->tidy_arg) : NULL;
    sw->inflight = job;
    if (!sw->loop || uv_queue_work(sw->loop, &job->work, job_work, job_after) < 0) {
        job_work(&job->work);
        job_after(&job->work, 0);
    }
}

struct statewrite *statewrite_new(uv_loop_t *loop)
{
    struct statewrite *sw = xcalloc(1, sizeof(*sw));
    sw->loop = loop;
    return sw;
}

void statewrite_set_tidy(struct statewrite *sw, statewrite_tidy_fn fn, const char *arg)
{
    sw->tidy = fn;
    free(sw->tidy_arg);
    sw->tidy_arg = arg ? xstrdup(arg) : NULL;
}

void statewrite_submit(struct statewrite *sw, const struct statewrite_file *files, size_t n,
                       statewrite_done_fn done, void *arg)
{
    if (!sw->inflight) {
        struct sw_job *job = job_new(sw);
        job_add_files(job, files, n);
        job_add_waiter(job, done, arg, false);
        job_start(sw, job);
        return;
    }
    if (!sw->queued)
        sw->queued = job_new(sw);
    job_add_files(sw->queued, files, n);
    job_add_waiter(sw->queued, done, arg, true);
}

int statewrite_flush(struct statewrite *sw, statewrite_done_fn done, void *arg)
{
    struct sw_job *job = sw->queued ? sw->queued : sw->inflight;
    if (!job)
        return -EALREADY;
    job_add_waiter(job, done, arg, false);
    return 0;
}

bool statewrite_pending(const struct statewrite *sw)
{
    return sw->inflight || sw->queued;
}

void statewrite_free(struct statewrite *sw)
{
    if (!sw)
        return;
    sw->detached = true;
    if (sw->queued)
        job_fire(sw->queued, -ECANCELED);
    if (sw->inflight)
        job_fire(sw->inflight, -ECANCELED);
    else
        sw_free_now(sw);
}
