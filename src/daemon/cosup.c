/* The Corosync supervisor: see cosup.h. */
#include "daemon/cosup.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/util.h"
#include "exec/proc.h"

struct cosup {
    uv_loop_t *loop;
    char *bin, *conf_path;
    const struct cosup_hooks *hooks;
    void *ctx;
    struct proc *proc;
    uv_timer_t *restart_timer; /* closed and freed on its own when the supervisor goes */
    uint64_t restart_at[COSUP_RESTART_MAX];
    unsigned n_restart_at;
    bool stopping; /* cosup_stop or cosup_kill: an exit is expected */
};

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

struct cosup *cosup_new(uv_loop_t *loop, const char *bin, const char *conf_path,
                        const struct cosup_hooks *hooks, void *ctx)
{
    struct cosup *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->bin = xstrdup(bin);
    s->conf_path = xstrdup(conf_path);
    s->hooks = hooks;
    s->ctx = ctx;
    s->restart_timer = xcalloc(1, sizeof(*s->restart_timer));
    uv_timer_init(loop, s->restart_timer);
    s->restart_timer->data = s;
    return s;
}

void cosup_free(struct cosup *s)
{
    if (!s)
        return;
    proc_free(s->proc);
    uv_close((uv_handle_t *)s->restart_timer, on_timer_closed);
    free(s->bin);
    free(s->conf_path);
    free(s);
}

const char *cosup_conf_path(const struct cosup *s)
{
    return s->conf_path;
}

bool cosup_running(const struct cosup *s)
{
    return s && s->proc && proc_running(s->proc);
}

/* Writes the configuration file, creating its directory. 0 or a negative errno (logged). */
static int write_conf(struct cosup *s, const struct cfg *cfg)
{
    _cleanup_free_ char *dir_buf = xstrdup(s->conf_path);
    const char *dir = dirname(dir_buf);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        int e = -errno;
        log_error("cannot create %s: %s", dir, strerror(-e));
        return e;
    }
    _cleanup_free_ char *text = cfg_corosync_conf(cfg);
    int r = write_file_atomic(s->conf_path, text, strlen(text), 0644);
    if (r < 0)
        log_error("cannot write %s: %s", s->conf_path, strerror(-r));
    return r;
}

static void on_exit_cb(struct proc *p, int ws, void *ctx);

/* Spawns Corosync. 0 or a negative errno (logged). */
static int spawn(struct cosup *s)
{
    proc_free(s->proc);
    s->proc = NULL;
    char flag_f[] = "-f", flag_c[] = "-c";
    char *argv[] = {s->bin, flag_f, flag_c, s->conf_path, NULL};
    struct proc_opts o = {.new_pgrp = true,
                          .die_with_parent = true,
                          .fd_in = PROC_INHERIT,
                          .fd_out = PROC_INHERIT,
                          .fd_err = PROC_INHERIT};
    int r = proc_spawn(s->loop, argv, &o, on_exit_cb, s, &s->proc);
    if (r < 0) {
        log_error("cannot start %s: %s", s->bin, strerror(-r));
        return r;
    }
    log_info("started Corosync (pid %d) with %s", (int)proc_pid(s->proc), s->conf_path);
    s->hooks->started(s->ctx, (int)proc_pid(s->proc));
    return 0;
}

int cosup_start(struct cosup *s, const struct cfg *cfg)
{
    s->stopping = false;
    int r = write_conf(s, cfg);
    return r < 0 ? r : spawn(s);
}

static void on_restart_timer(uv_timer_t *t)
{
    struct cosup *s = t->data;
    if (s->stopping)
        return;
    int r = spawn(s);
    if (r < 0) {
        _cleanup_free_ char *why = xasprintf("cannot start %s: %s", s->bin, strerror(-r));
        s->hooks->failed(s->ctx, why);
    }
}

/* Counts a restart; false if there were too many in the window, else the delay before it. */
static bool restart_allowed(struct cosup *s, uint64_t *ret_delay)
{
    uint64_t now = time_mono_ms();
    unsigned k = 0;
    for (unsigned i = 0; i < s->n_restart_at; i++)
        if (now - s->restart_at[i] < COSUP_RESTART_WINDOW_MS)
            s->restart_at[k++] = s->restart_at[i];
    s->n_restart_at = k;
    if (k >= COSUP_RESTART_MAX)
        return false;
    s->restart_at[s->n_restart_at++] = now;
    *ret_delay = k == 0 ? 0 : 100u << (k - 1); /* 0, 100, 200, 400, 800 ms */
    return true;
}

static void on_exit_cb(struct proc *p, int ws, void *ctx)
{
    struct cosup *s = ctx;
    char desc[64];
    proc_describe_status(ws, desc);
    if (s->stopping) {
        log_info("Corosync stopped (%s)", desc);
        s->hooks->stopped(s->ctx, desc);
        return;
    }
    log_error("Corosync (pid %d) %s", (int)proc_pid(p), desc);
    if (!s->hooks->crashed(s->ctx, desc))
        return;
    uint64_t delay;
    if (!restart_allowed(s, &delay)) {
        _cleanup_free_ char *why =
            xasprintf("Corosync failed %d times within %d s; giving up. See the Corosync messages "
                      "above and %s",
                      COSUP_RESTART_MAX + 1, COSUP_RESTART_WINDOW_MS / 1000, s->conf_path);
        s->hooks->failed(s->ctx, why);
        return;
    }
    log_info("restarting Corosync in %llu ms", (unsigned long long)delay);
    uv_timer_start(s->restart_timer, on_restart_timer, delay, 0);
}

bool cosup_stop(struct cosup *s, uint64_t grace_ms)
{
    if (!s)
        return false;
    uv_timer_stop(s->restart_timer);
    if (!cosup_running(s))
        return false;
    s->stopping = true;
    proc_stop(s->proc, grace_ms);
    return true;
}

void cosup_kill(struct cosup *s)
{
    if (!s)
        return;
    uv_timer_stop(s->restart_timer);
    s->stopping = true;
    if (cosup_running(s))
        proc_signal(s->proc, SIGKILL);
}

void cosup_restart(struct cosup *s)
{
    if (cosup_running(s) && !s->stopping)
        proc_signal(s->proc, SIGKILL);
}
