#include "daemon/hooks.h"
#include "base/log.h"
#include "base/util.h"
#include "exec/run.h"

#include <inttypes.h>
#include <string.h>

/* One event waiting for one hook: its environment and stdin, built when it came. */
struct hook_job {
    char **envp;
    char *input;
    char *what; /* "node_lost (event 12)", for the log */
};

struct hook_state {
    struct hooks *h;
    char *name;
    struct hook_job *q; /* a ring of cap jobs */
    size_t head, n, cap;
    size_t dropped;
    struct run *run;
    struct hook_job cur; /* the job running */
    uint64_t started_ms;
};

struct hooks {
    uv_loop_t *loop;
    const struct cfg *cfg;
    char *local;
    struct hook_state **st; /* one per cfg hook, same order */
    size_t n;
};

static void job_free(struct hook_job *j)
{
    if (j->envp)
        for (char **e = j->envp; *e; e++)
            free(*e);
    free(j->envp);
    free(j->input);
    free(j->what);
    memset(j, 0, sizeof(*j));
}

static const struct cfg_hook *hook_cfg(const struct hooks *h, const char *name)
{
    for (size_t i = 0; i < h->cfg->n_hooks; i++)
        if (strcmp(h->cfg->hooks[i].name, name) == 0)
            return &h->cfg->hooks[i];
    return NULL;
}

static void state_free(struct hook_state *s)
{
    if (!s)
        return;
    run_cancel(s->run);
    job_free(&s->cur);
    for (size_t i = 0; i < s->n; i++)
        job_free(&s->q[(s->head + i) % s->cap]);
    free(s->q);
    free(s->name);
    free(s);
}

static void next(struct hook_state *s);

static void on_done(const struct run_result *res, void *ctx)
{
    struct hook_state *s = ctx;
    s->run = NULL;
    if (res->exited && res->exit_code == 0)
        log_debug("hook %s: %s: done in %" PRIu64 " ms", s->name, s->cur.what, res->duration_ms);
    else
        log_warn("hook %s: %s: %s", s->name, s->cur.what, res->reason);
    job_free(&s->cur);
    next(s);
}

/* Starts the oldest waiting job, unless one runs. */
static void next(struct hook_state *s)
{
    while (!s->run && s->n > 0) {
        s->cur = s->q[s->head];
        memset(&s->q[s->head], 0, sizeof(s->q[s->head]));
        s->head = (s->head + 1) % s->cap;
        s->n--;
        if (s->n == 0 && s->dropped) { /* the end of a burst */
            log_warn("hook %s: %zu events were dropped while it was behind", s->name, s->dropped);
            s->dropped = 0;
        }
        const struct cfg_hook *c = hook_cfg(s->h, s->name);
        if (!c) {
            job_free(&s->cur);
            continue;
        }
        struct run_opts o = {.argv = c->argv,
                             .envp = s->cur.envp,
                             .input = s->cur.input,
                             .timeout_ms = c->timeout_ms,
                             .kill_grace_ms = HOOKS_KILL_GRACE_MS,
                             .max_output = 1024};
        int r = run_start(s->h->loop, &o, on_done, NULL, s, &s->run);
        if (r < 0) {
            log_warn("hook %s: %s: cannot run %s: %s", s->name, s->cur.what, c->argv[0],
                     strerror(-r));
            s->run = NULL;
            job_free(&s->cur);
        }
    }
}

static struct hook_state *state_new(struct hooks *h, const char *name)
{
    struct hook_state *s = xcalloc(1, sizeof(*s));
    s->h = h;
    s->name = xstrdup(name);
    s->cap = 16;
    s->q = xcalloc(s->cap, sizeof(*s->q));
    return s;
}

struct hooks *hooks_new(uv_loop_t *loop, const struct cfg *cfg, const char *local_node)
{
    struct hooks *h = xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->local = xstrdup(local_node ? local_node : "");
    hooks_set_cfg(h, cfg);
    return h;
}

void hooks_set_cfg(struct hooks *h, const struct cfg *cfg)
{
    struct hook_state **st = xcalloc(cfg->n_hooks ? cfg->n_hooks : 1, sizeof(*st));
    for (size_t i = 0; i < cfg->n_hooks; i++) {
        for (size_t k = 0; k < h->n; k++) {
            if (h->st[k] && strcmp(h->st[k]->name, cfg->hooks[i].name) == 0) {
                st[i] = h->st[k];
                h->st[k] = NULL;
            }
        }
        if (!st[i])
            st[i] = state_new(h, cfg->hooks[i].name);
    }
    for (size_t k = 0; k < h->n; k++)
        state_free(h->st[k]); /* removed hooks */
    free(h->st);
    h->st = st;
    h->n = cfg->n_hooks;
    h->cfg = cfg;
}

int hooks_event_of(const struct event *ev, bool node_lost)
{
    switch (ev->type) {
    case EV_NODE_LEFT:
        return node_lost ? CFG_HOOK_NODE_LOST : CFG_HOOK_NODE_LEFT;
    case EV_NODE_JOINED:
        return CFG_HOOK_NODE_JOINED;
    case EV_FENCE_SUCCEEDED:
    case EV_FENCE_CONFIRMED:
        return CFG_HOOK_NODE_FENCED;
    case EV_FENCE_FAILED:
        return CFG_HOOK_FENCE_FAILED;
    case EV_QUORUM_LOST:
        return CFG_HOOK_QUORUM_LOST;
    case EV_QUORUM_GAINED:
        return CFG_HOOK_QUORUM_GAINED;
    case EV_GROUP_FAILED:
        return CFG_HOOK_GROUP_FAILED;
    case EV_GROUP_MOVED:
        return CFG_HOOK_GROUP_MOVED;
    case EV_GROUP_RECOVERED:
        return CFG_HOOK_GROUP_RECOVERED;
    case EV_GROUP_STARTED:
        return CFG_HOOK_GROUP_STARTED;
    case EV_GROUP_STOPPED:
        return CFG_HOOK_GROUP_STOPPED;
    case EV_GROUP_RESTARTED:
        return CFG_HOOK_GROUP_RESTARTED;
    case EV_GROUP_STOP_FAILED:
        return CFG_HOOK_GROUP_STOP_FAILED;
    case EV_GROUP_MULTI_ACTIVE:
        return CFG_HOOK_GROUP_MULTI_ACTIVE;
    case EV_GROUP_PROMOTED:
        return CFG_HOOK_GROUP_PROMOTED;
    case EV_GROUP_DEMOTED:
        return CFG_HOOK_GROUP_DEMOTED;
    case EV_RESOURCE_FAILED:
        return CFG_HOOK_RESOURCE_FAILED;
    case EV_ADMIN:
        return CFG_HOOK_ADMIN;
    case EV_CONFIG_CHANGED:
        return CFG_HOOK_CONFIG_CHANGED;
    default:
        return -1;
    }
}

/* The job for one event and one hook: environment and stdin. */
static void build_job(const struct hooks *h, const struct cfg_hook *c, const struct event *ev,
                      const char *name, struct hook_job *j)
{
    char ts[32], dur[32] = "";
    if (ev->duration_ms >= 0)
        snprintf(dur, sizeof(dur), "%lld", (long long)ev->duration_ms);
    const char *fixed[][2] = {
        {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
        {"VIGIL_HOOK", c->name},
        {"VIGIL_EVENT", name},
        {"VIGIL_EVENT_TYPE", event_type_name(ev->type)},
        {"VIGIL_TIME", time_format_wall_ms(ev->ts_ms, ts)},
        {"VIGIL_CLUSTER", h->cfg->cluster_name ? h->cfg->cluster_name : ""},
        {"VIGIL_LOCAL_NODE", h->local},
        {"VIGIL_NODE", ev->node ? ev->node : ""},
        {"VIGIL_GROUP", ev->group ? ev->group : ""},
        {"VIGIL_RESOURCE", ev->resource ? ev->resource : ""},
        {"VIGIL_NETWORK", ev->network ? ev->network : ""},
        {"VIGIL_DURATION_MS", dur},
        {"VIGIL_REASON", ev->message ? ev->message : ""},
    };
    size_t nf = ARRAY_SIZE(fixed);
    j->envp = xcalloc(nf + 2 + c->n_env + 1, sizeof(char *));
    size_t k = 0;
    /* The hook's environment may set PATH; the configuration refuses vigild's VIGIL_ names. */
    bool own_path = false;
    for (size_t i = 0; i < c->n_env; i++) {
        j->envp[k++] = xasprintf("%s=%s", c->env[i].key, c->env[i].value);
        own_path |= strcmp(c->env[i].key, "PATH") == 0;
    }
    for (size_t i = own_path ? 1 : 0; i < nf; i++) /* fixed[0] is PATH */
        j->envp[k++] = xasprintf("%s=%s", fixed[i][0], fixed[i][1]);
    j->envp[k++] = xasprintf("VIGIL_SEQ=%" PRIu64, ev->seq);
    j->envp[k++] = xasprintf("VIGIL_TIME_MS=%" PRIu64, ev->ts_ms);
    json_t *o = event_to_json(ev);
    json_object_set_new(o, "event", json_string(name));
    json_object_set_new(o, "hook", json_string(c->name));
    json_object_set_new(o, "cluster",
                        json_string(h->cfg->cluster_name ? h->cfg->cluster_name : ""));
    json_object_set_new(o, "local_node", json_string(h->local));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    j->input = xasprintf("%s\n", s ? s : "{}");
    free(s);
    j->what = xasprintf("%s (event %" PRIu64 ")", name, ev->seq);
}

void hooks_event(struct hooks *h, const struct event *ev, bool node_lost, bool one_here)
{
    int e = hooks_event_of(ev, node_lost);
    if (e < 0)
        return;
    const char *name = cfg_hook_event_name((enum cfg_hook_event)e);
    for (size_t i = 0; i < h->n; i++) {
        const struct cfg_hook *c = &h->cfg->hooks[i];
        struct hook_state *s = h->st[i];
        bool asked = c->events & (1u << e);
        /* node_left also covers a node lost. */
        if (e == CFG_HOOK_NODE_LOST && (c->events & (1u << CFG_HOOK_NODE_LEFT)))
            asked = true;
        if (!asked || (!c->every_node && !one_here))
            continue;
        if (s->n == HOOKS_MAX_QUEUE) {
            job_free(&s->q[s->head]);
            s->head = (s->head + 1) % s->cap;
            s->n--;
            if (s->dropped++ == 0)
                log_warn("hook %s: %d events wait for it; dropping the oldest", s->name,
                         HOOKS_MAX_QUEUE);
        }
        if (s->n == s->cap) {
            size_t cap = s->cap * 2;
            struct hook_job *q = xcalloc(cap, sizeof(*q));
            for (size_t k = 0; k < s->n; k++)
                q[k] = s->q[(s->head + k) % s->cap];
            free(s->q);
            s->q = q;
            s->head = 0;
            s->cap = cap;
        }
        build_job(h, c, ev, name, &s->q[(s->head + s->n) % s->cap]);
        s->n++;
        next(s);
    }
}

void hooks_free(struct hooks *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        state_free(h->st[i]);
    free(h->st);
    free(h->local);
    free(h);
}
