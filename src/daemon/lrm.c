#include "daemon/lrm.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/lrm_role.h"

#include <errno.h>
#include <string.h>

/*
 * What a resource's callbacks are told: the group object survives configuration changes.
 * Each group keeps one per resource (refs), which its operations and its failure callback
 * share, so that an operation cancelled before its callback (an abandoned start) leaves
 * nothing to free.
 */
struct res_ref {
    struct lrm *l;
    struct lrm_group *G;
    size_t r;
};

static void step(struct lrm *l, size_t g);
static void pump_stops(struct lrm *l);

static const char *gname(const struct lrm *l, size_t g)
{
    return l->cfg->groups[g].name;
}

static void report(struct lrm *l, size_t g)
{
    if (l->hooks->report)
        l->hooks->report(l->ctx, g);
}

static void check_all_stopped(struct lrm *l)
{
    if (!l->stopping_all)
        return;
    bool ok = true;
    for (size_t g = 0; g < l->cfg->n_groups; g++) {
        struct lrm_group *G = l->groups[g];
        if (!G->managed)
            continue;
        if (G->op != LRM_IDLE || G->want != LRM_WANT_NONE || G->stop_queued)
            return;
        if (G->obs == POL_OBS_STOP_FAILED)
            ok = false;
    }
    l->stopping_all = false;
    if (l->hooks->all_stopped)
        l->hooks->all_stopped(l->ctx, ok);
}

/* The group's state from its resources' states (when no operation runs). */
static enum pol_obs derive(const struct lrm *l, size_t g)
{
    const struct lrm_group *G = l->groups[g];
    if (l->cfg->groups[g].kind == CFG_KIND_PROMOTABLE)
        return lrm_role_derive(&l->cfg->groups[g], G->rs, G->prom);
    size_t n = l->cfg->groups[g].n_resources, running = 0, stopped = 0;
    for (size_t r = 0; r < n; r++) {
        if (G->rs[r] == RES_ST_STOP_FAILED)
            return POL_OBS_STOP_FAILED;
        running += G->rs[r] == RES_ST_RUNNING;
        stopped += G->rs[r] == RES_ST_STOPPED;
    }
    if (running == n)
        return POL_OBS_RUNNING;
    if (stopped == n)
        return POL_OBS_STOPPED;
    return POL_OBS_PARTIAL;
}

static void set_obs(struct lrm *l, size_t g, enum pol_obs obs)
{
    l->groups[g]->obs = obs;
    report(l, g);
}

static void watch_running(struct lrm *l, size_t g, bool on)
{
    struct lrm_group *G = l->groups[g];
    for (size_t r = 0; r < l->cfg->groups[g].n_resources; r++)
        res_watch(G->res[r], on && G->managed && G->rs[r] == RES_ST_RUNNING);
}

/* An operation ended: settle the state, then run what waits. */
static void op_over(struct lrm *l, size_t g, enum pol_obs obs)
{
    struct lrm_group *G = l->groups[g];
    G->op = LRM_IDLE;
    if (obs == POL_OBS_RUNNING || obs == POL_OBS_PRIMARY)
        watch_running(l, g, true);
    set_obs(l, g, obs);
    enum lrm_want w = G->want;
    G->want = LRM_WANT_NONE;
    if (w == LRM_WANT_START)
        lrm_start(l, g);
    else if (w == LRM_WANT_STOP)
        lrm_stop(l, g);
    else if (w == LRM_WANT_PROMOTE)
        lrm_promote(l, g);
    else if (w == LRM_WANT_DEMOTE)
        lrm_demote(l, g);
    pump_stops(l);
    check_all_stopped(l);
}

/* ---- probe ---- */

static void on_probe(void *ctx, enum res_rc rc, const char *reason)
{
    struct res_ref *ref = ctx;
    struct lrm *l = ref->l;
    size_t g = ref->G->g, r = ref->r;
    struct lrm_group *G = l->groups[g];
    const struct cfg_group *cg = &l->cfg->groups[g];
    bool prom = G->prom[r];
    G->rs[r] = lrm_role_probed(cg, r, rc, &prom);
    G->prom[r] = prom;
    res_set_promoted(G->res[r], prom);
    if (rc == RES_RC_RUNNING_PRIMARY && prom)
        log_info("%s: probe found it running as primary", res_label(G->res[r]));
    else if (rc != RES_RC_OK && rc != RES_RC_NOT_RUNNING)
        log_warn("%s: probe: %s%s%s", res_label(G->res[r]), res_rc_name(rc), *reason ? ": " : "",
                 reason);
    if (--G->probes_left > 0)
        return;
    G->probed = true;
    enum pol_obs obs = derive(l, g);
    if (obs != POL_OBS_STOPPED)
        log_info("group %s: probe found it %s here", gname(l, g), pol_obs_name(obs));
    op_over(l, g, obs);
}

static void probe_group(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    size_t n = l->cfg->groups[g].n_resources;
    watch_running(l, g, false);
    G->op = LRM_PROBING;
    G->probes_left = (int)n;
    for (size_t r = 0; r < n; r++) {
        res_cancel(G->res[r]);
        if (res_run(G->res[r], RES_OP_PROBE, on_probe, &((struct res_ref *)G->refs)[r]) < 0) {
            G->rs[r] = RES_ST_FAILED;
            G->probes_left--;
        }
    }
    if (G->probes_left == 0) {
        G->probed = true;
        op_over(l, g, derive(l, g));
    }
}

void lrm_probe_all(struct lrm *l)
{
    /* A group in the middle of an operation reports when it ends; only idle ones are probed. */
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        if (l->groups[g]->op == LRM_IDLE)
            probe_group(l, g);
}

/* ---- start, stop, recover ---- */

static void on_step(void *ctx, enum res_rc rc, const char *reason);

static void run_res(struct lrm *l, size_t g, size_t r, enum res_op op)
{
    struct lrm_group *G = l->groups[g];
    struct res_ref *ref = &((struct res_ref *)G->refs)[r];
    if (op == RES_OP_START)
        G->rs[r] = RES_ST_STARTING;
    else if (op == RES_OP_STOP)
        G->rs[r] = RES_ST_STOPPING;
    /* A promote or demote: it still runs, its role changing. */
    if (op == RES_OP_STOP)
        res_watch(G->res[r], false);
    res_cancel(G->res[r]);
    if (res_run(G->res[r], op, on_step, ref) < 0) {
        on_step(ref, RES_RC_FAILED, "the resource is busy");
        return;
    }
    /* One with checks may wait seconds for them: the cluster sees it starting meanwhile. */
    if (op == RES_OP_START && res_cfg(G->res[r])->n_checks)
        report(l, g);
}

/* The next resource to stop, from `from` down to `low`; SIZE_MAX when none. */
static size_t next_to_stop(const struct lrm *l, size_t g, size_t from, size_t low)
{
    const struct lrm_group *G = l->groups[g];
    if (from == SIZE_MAX)
        return SIZE_MAX;
    for (size_t r = from + 1; r-- > low;)
        if (G->rs[r] != RES_ST_STOPPED)
            return r;
    return SIZE_MAX;
}

static void step(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    const struct cfg_group *cg = &l->cfg->groups[g];
    if (G->op == LRM_PROMOTING || G->op == LRM_DEMOTING) {
        lrm_role_step(l, g);
        return;
    }
    if (G->op == LRM_STARTING) {
        /* A copy of a promotable group starts as a replica: without its role primary resources. */
        while (G->cursor < cg->n_resources &&
               (G->rs[G->cursor] == RES_ST_RUNNING || lrm_role_primary_only(cg, G->cursor))) {
            if (G->rs[G->cursor] == RES_ST_RUNNING)
                res_watch(G->res[G->cursor], G->managed);
            G->cursor++;
        }
        if (G->cursor == cg->n_resources) {
            log_info("group %s: started", cg->name);
            op_over(l, g, cg->kind == CFG_KIND_PROMOTABLE ? derive(l, g) : POL_OBS_RUNNING);
            return;
        }
        /* A resource in an unknown or failed state is stopped before it is started. */
        enum res_state s = (enum res_state)G->rs[G->cursor];
        G->stopping_first = s == RES_ST_FAILED || s == RES_ST_UNKNOWN || s == RES_ST_STOP_FAILED;
        run_res(l, g, G->cursor, G->stopping_first ? RES_OP_STOP : RES_OP_START);
        return;
    }
    size_t low = G->recover_from; /* 0 but for a recovery or a stop of the last resources */
    size_t r = next_to_stop(l, g, G->cursor, low);
    if (r == SIZE_MAX) {
        enum pol_obs obs = G->any_stop_failed        ? POL_OBS_STOP_FAILED
                           : G->op == LRM_RECOVERING ? POL_OBS_FAILED
                           : low > 0                 ? derive(l, g)
                                                     : POL_OBS_STOPPED;
        if (G->op == LRM_STOPPING && !G->any_stop_failed && low == 0)
            log_info("group %s: stopped", cg->name);
        else if (G->op == LRM_STOPPING && !G->any_stop_failed)
            log_info("group %s: stopped from resource %s on", cg->name, cg->resources[low].name);
        op_over(l, g, obs);
        return;
    }
    G->cursor = r;
    run_res(l, g, r, RES_OP_STOP);
}

static void begin_stop(struct lrm *l, size_t g, enum lrm_op op, size_t low)
{
    struct lrm_group *G = l->groups[g];
    const struct cfg_group *cg = &l->cfg->groups[g];
    G->op = op;
    G->recover_from = low;
    G->cursor = cg->n_resources ? cg->n_resources - 1 : SIZE_MAX;
    G->any_stop_failed = false;
    set_obs(l, g, op == LRM_STOPPING ? POL_OBS_STOPPING : G->obs);
    step(l, g);
}

static void on_step(void *ctx, enum res_rc rc, const char *reason)
{
    struct res_ref ref = *(struct res_ref *)ctx;
    struct lrm *l = ref.l;
    size_t g = ref.G->g, r = ref.r;
    struct lrm_group *G = l->groups[g];
    const struct cfg_resource *rc_cfg = &l->cfg->groups[g].resources[r];
    if (G->op == LRM_PROMOTING || G->op == LRM_DEMOTING) {
        lrm_role_on_step(l, g, r, rc, reason);
        return;
    }
    if (G->op == LRM_STARTING && !G->stopping_first) {
        if (rc == RES_RC_OK) {
            G->rs[r] = RES_ST_RUNNING;
            step(l, g);
            return;
        }
        G->rs[r] = RES_ST_FAILED;
        _cleanup_free_ char *why =
            xasprintf("start %s%s%s", res_rc_name(rc), *reason ? ": " : "", reason);
        log_warn("%s: %s", res_label(G->res[r]), why);
        enum db_fail_kind kind = rc_cfg->on_fail == CFG_ON_FAIL_HALT ? DB_FAIL_HALT : DB_FAIL_START;
        if (l->hooks->failure)
            l->hooks->failure(l->ctx, g, r, kind, why);
        /* Undo what was started: the group is stopped here, and this node is banned. */
        begin_stop(l, g, LRM_STOPPING, 0);
        return;
    }
    /* A stop (of the group, of a recovery, or of a resource before its start). */
    if (rc == RES_RC_OK) {
        G->rs[r] = RES_ST_STOPPED;
        G->prom[r] = 0;
        res_set_promoted(G->res[r], false);
    } else {
        G->rs[r] = RES_ST_STOP_FAILED;
        G->any_stop_failed = true;
        log_error("%s: stop %s%s%s", res_label(G->res[r]), res_rc_name(rc), *reason ? ": " : "",
                  reason);
    }
    if (G->op == LRM_STARTING) {
        G->stopping_first = false;
        if (rc != RES_RC_OK) {
            op_over(l, g, POL_OBS_STOP_FAILED);
            return;
        }
        run_res(l, g, r, RES_OP_START);
        return;
    }
    G->cursor = r == 0 ? SIZE_MAX : r - 1;
    step(l, g);
}

void lrm_start(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    G->stop_queued = false; /* the latest order wins */
    if (G->op != LRM_IDLE) {
        G->want = LRM_WANT_START;
        return;
    }
    if (G->obs == POL_OBS_RUNNING || G->obs == POL_OBS_PRIMARY) {
        report(l, g);
        return;
    }
    G->op = LRM_STARTING;
    G->cursor = 0;
    G->stopping_first = false;
    set_obs(l, g, POL_OBS_STARTING);
    step(l, g);
}

/* Abandons a start under way: the resource being started is cancelled (its state unknown). */
static void abandon_start(struct lrm_group *G)
{
    struct res *cur = G->res[G->cursor];
    if (res_busy(cur)) {
        res_cancel(cur);
        G->rs[G->cursor] = RES_ST_UNKNOWN;
    }
    G->op = LRM_IDLE;
}

void lrm_stop(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    G->stop_queued = false;
    if (G->op == LRM_STARTING) {
        /* Abandon the start: cancel the resource under way and stop what runs. */
        abandon_start(G);
    } else if (G->op != LRM_IDLE) {
        G->want = LRM_WANT_STOP;
        return;
    }
    if (derive(l, g) == POL_OBS_STOPPED) {
        G->obs = POL_OBS_STOPPED;
        report(l, g);
        check_all_stopped(l);
        return;
    }
    /* A primary is demoted before it stops (what can be demoted: its resources that run). */
    enum res_op op;
    const struct cfg_group *cg = &l->cfg->groups[g];
    if (cg->kind == CFG_KIND_PROMOTABLE &&
        lrm_role_next(cg, G->rs, G->prom, false, &op) != SIZE_MAX) {
        G->want = LRM_WANT_STOP;
        log_info("group %s: demoting it here before its stop", cg->name);
        lrm_role_begin(l, g, LRM_DEMOTING);
        return;
    }
    begin_stop(l, g, LRM_STOPPING, 0);
}

void lrm_stop_from(struct lrm *l, size_t g, size_t first)
{
    struct lrm_group *G = l->groups[g];
    if (first == 0 || G->op != LRM_IDLE) {
        lrm_stop(l, g); /* an operation under way: the whole group is stopped once it ends */
        return;
    }
    if (lrm_stopped_from(l, g, first))
        return;
    watch_running(l, g, false);
    begin_stop(l, g, LRM_STOPPING, first);
}

bool lrm_stopped_from(const struct lrm *l, size_t g, size_t first)
{
    const struct lrm_group *G = l->groups[g];
    if (G->op != LRM_IDLE || G->want != LRM_WANT_NONE)
        return false;
    for (size_t r = first; r < G->n_res; r++)
        if (G->rs[r] != RES_ST_STOPPED)
            return false;
    return true;
}

/* ---- what lrm_role.c uses (lrm_role.h) ---- */

void lrm_report(struct lrm *l, size_t g)
{
    report(l, g);
}

void lrm_set_obs(struct lrm *l, size_t g, enum pol_obs obs)
{
    set_obs(l, g, obs);
}

enum pol_obs lrm_derive(const struct lrm *l, size_t g)
{
    return derive(l, g);
}

void lrm_op_over(struct lrm *l, size_t g, enum pol_obs obs)
{
    op_over(l, g, obs);
}

void lrm_run_res(struct lrm *l, size_t g, size_t r, enum res_op op)
{
    run_res(l, g, r, op);
}

void lrm_step(struct lrm *l, size_t g)
{
    step(l, g);
}

void lrm_recover(struct lrm *l, size_t g, size_t r)
{
    begin_stop(l, g, LRM_RECOVERING, r);
}

/* ---- stops in dependency order (lrm_stop_all, lrm_stop_running) ---- */

static bool lists(const size_t *list, size_t n, size_t g)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == g)
            return true;
    return false;
}

/*
 * A managed group here that requires group g or runs together with it and
 * has not stopped yet (its stop is queued, or an operation of it is under
 * way or waiting), or -1. One that stopped, or failed to stop, no longer
 * holds g: a failed stop means fencing, which stops everything anyway.
 */
static int stop_holder(const struct lrm *l, size_t g)
{
    for (size_t d = 0; d < l->cfg->n_groups; d++) {
        const struct cfg_group *cd = &l->cfg->groups[d];
        const struct lrm_group *D = l->groups[d];
        if (d == g || !D->managed ||
            !(lists(cd->requires, cd->n_requires, g) ||
              lists(cd->together_with, cd->n_together_with, g)))
            continue;
        if (D->stop_queued || !lrm_idle(l, d))
            return (int)d;
    }
    return -1;
}

/*
 * Begins each queued stop that no dependant holds any more, until none can
 * begin. Called whenever an operation ends. Were every queued stop held by
 * another queued one (a cycle, which the loader refuses), nothing would
 * end: they all begin at once.
 */
static void pump_stops(struct lrm *l)
{
    if (l->pumping) {
        l->pump_again = true;
        return;
    }
    l->pumping = true;
    do {
        l->pump_again = false;
        bool queued = false, busy = false;
        for (size_t g = 0; g < l->cfg->n_groups; g++) {
            struct lrm_group *G = l->groups[g];
            busy |= !lrm_idle(l, g);
            if (!G->stop_queued)
                continue;
            if (stop_holder(l, g) >= 0) {
                queued = true;
                continue;
            }
            G->stop_queued = false;
            lrm_stop(l, g);
            l->pump_again = true;
        }
        if (queued && !busy && !l->pump_again)
            for (size_t g = 0; g < l->cfg->n_groups; g++)
                if (l->groups[g]->stop_queued) {
                    l->groups[g]->stop_queued = false;
                    lrm_stop(l, g);
                }
    } while (l->pump_again);
    l->pumping = false;
}

/*
 * Queues the stops of the groups in which[] (lrm_stop_all,
 * lrm_stop_running) and begins those no dependant holds; the others begin
 * as their dependants stop (pump_stops). The log says which wait.
 */
static void queue_stops(struct lrm *l, const bool *which)
{
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        if (which[g])
            l->groups[g]->stop_queued = true;
    for (size_t g = 0; g < l->cfg->n_groups; g++) {
        int d = which[g] ? stop_holder(l, g) : -1;
        if (d >= 0)
            log_info("group %s: its stop here waits for group %s, which needs it, to stop first",
                     gname(l, g), gname(l, (size_t)d));
    }
    pump_stops(l);
}

void lrm_stop_all(struct lrm *l)
{
    l->stopping_all = true;
    bool *which = xcalloc(l->cfg->n_groups ? l->cfg->n_groups : 1, sizeof(bool));
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        which[g] = l->groups[g]->managed;
    queue_stops(l, which);
    free(which);
    check_all_stopped(l);
}

/* ---- failures ---- */

static void on_res_failed(void *ctx, const char *reason)
{
    struct res_ref *ref = ctx;
    struct lrm *l = ref->l;
    size_t g = ref->G->g, r = ref->r;
    struct lrm_group *G = l->groups[g];
    const struct cfg_resource *rc = &l->cfg->groups[g].resources[r];
    if (!G->managed || G->rs[r] != RES_ST_RUNNING)
        return;
    /*
     * A resource that runs fails whatever the group is doing, unless it is
     * about to be stopped anyway. Found by a process that exits at once while
     * a later resource of its group is still starting: its failure used to be
     * dropped, and the group then reported running with the process dead.
     */
    if (G->op == LRM_PROBING || G->op == LRM_STOPPING)
        return;
    if (G->op == LRM_RECOVERING && r >= G->recover_from)
        return;
    if (G->op == LRM_STARTING && r >= G->cursor)
        return;
    enum db_fail_kind kind = db_fail_kind_of(rc->on_fail);
    if (l->hooks->failure)
        l->hooks->failure(l->ctx, g, r, kind, reason);
    if (kind == DB_FAIL_IGNORE) {
        /* Keep watching (a process that exited stays down: on_fail: ignore). */
        if (rc->type == CFG_RES_PROCESS)
            G->rs[r] = RES_ST_FAILED;
        res_watch(G->res[r], false);
        res_watch(G->res[r], rc->type != CFG_RES_PROCESS);
        report(l, g);
        return;
    }
    G->rs[r] = RES_ST_FAILED;
    if (G->op == LRM_RECOVERING) {
        /* A recovery of later resources is under way: it now goes down to this one. */
        G->recover_from = r;
        return;
    }
    size_t low = r;
    if (G->op == LRM_STARTING) {
        log_info("group %s: abandoning its start: %s failed", gname(l, g), rc->name);
        abandon_start(G);
    } else if (G->op == LRM_PROMOTING || G->op == LRM_DEMOTING) {
        log_info("group %s: abandoning its %s: %s failed", gname(l, g),
                 G->op == LRM_PROMOTING ? "promotion" : "demotion", rc->name);
        size_t cur = lrm_role_abandon(G);
        low = cur < low ? cur : low; /* the resource cut short is stopped too */
    } else if (G->op == LRM_NOTIFYING) {
        _cleanup_free_ char *why = xasprintf("abandoned: %s failed", rc->name);
        lrm_role_abandon_notify(l, g, why);
    }
    /* Stop it and everything after it; the coordinator decides where it starts again. */
    begin_stop(l, g, LRM_RECOVERING, low);
}

void lrm_set_managed(struct lrm *l, size_t g, bool managed)
{
    struct lrm_group *G = l->groups[g];
    if (G->managed == managed)
        return;
    G->managed = managed;
    if (!managed) {
        log_info("group %s: unmanaged: no longer watched", gname(l, g));
        watch_running(l, g, false);
        G->stop_queued = false;
        pump_stops(l); /* an unmanaged group holds no stop of the groups it needs */
        check_all_stopped(l);
        return;
    }
    log_info("group %s: managed again: probing it", gname(l, g));
    if (G->op == LRM_IDLE)
        probe_group(l, g);
}

/* ---- setup ---- */

static struct lrm_group *group_new(struct lrm *l, size_t g)
{
    struct lrm_group *G = xcalloc(1, sizeof(*G));
    size_t n = l->cfg->groups[g].n_resources;
    G->g = g;
    G->obs = POL_OBS_UNKNOWN;
    G->managed = true;
    G->rs = xcalloc(n ? n : 1, 1);
    G->prom = xcalloc(n ? n : 1, 1);
    G->res = xcalloc(n ? n : 1, sizeof(*G->res));
    G->refs = xcalloc(n ? n : 1, sizeof(struct res_ref));
    G->n_res = n;
    struct res_ref *refs = G->refs;
    for (size_t r = 0; r < n; r++) {
        refs[r] = (struct res_ref){l, G, r};
        G->res[r] = res_new(&l->env, g, r, on_res_failed, &refs[r]);
    }
    return G;
}

static void group_free(struct lrm_group *G)
{
    lrm_notify_cancel(G->notify_run);
    free(G->notify_own);
    for (size_t r = 0; r < G->n_res; r++) {
        res_cancel(G->res[r]);
        res_free(G->res[r]);
    }
    free(G->res);
    free(G->refs);
    free(G->rs);
    free(G->prom);
    free(G);
}

/*
 * A changed group whose first `keep` resources are unchanged (their
 * definitions moved into the new configuration): those go on as they are,
 * the others are replaced by the new definition's.
 */
static struct lrm_group *group_keep(struct lrm *l, struct lrm_group *G, size_t g, size_t keep)
{
    size_t n = l->cfg->groups[g].n_resources;
    for (size_t r = keep; r < G->n_res; r++) {
        res_cancel(G->res[r]);
        res_free(G->res[r]);
    }
    uint8_t *rs = xcalloc(n ? n : 1, 1);
    uint8_t *prom = xcalloc(n ? n : 1, 1);
    struct res **res = xcalloc(n ? n : 1, sizeof(*res));
    struct res_ref *refs = xcalloc(n ? n : 1, sizeof(*refs));
    G->g = g;
    for (size_t r = 0; r < n; r++) {
        refs[r] = (struct res_ref){l, G, r};
        if (r < keep) {
            rs[r] = G->rs[r];
            prom[r] = G->prom[r];
            res[r] = G->res[r];
            res_rebind(res[r], &l->env, g, r, &refs[r]);
        } else {
            rs[r] = RES_ST_STOPPED;
            res[r] = res_new(&l->env, g, r, on_res_failed, &refs[r]);
        }
    }
    free(G->rs);
    free(G->prom);
    free(G->res);
    free(G->refs);
    G->rs = rs;
    G->prom = prom;
    G->res = res;
    G->refs = refs;
    G->n_res = n;
    return G;
}

struct lrm *lrm_new(uv_loop_t *loop, const struct cfg *cfg, size_t node, const char *run_dir,
                    const struct lrm_hooks *hooks, void *ctx)
{
    struct lrm *l = xcalloc(1, sizeof(*l));
    l->loop = loop;
    l->cfg = cfg;
    l->node = node;
    l->env = (struct res_env){.loop = loop, .cfg = cfg, .node = node, .run_dir = run_dir};
    l->hooks = hooks;
    l->ctx = ctx;
    l->groups = xcalloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*l->groups));
    for (size_t g = 0; g < cfg->n_groups; g++)
        l->groups[g] = group_new(l, g);
    return l;
}

void lrm_set_compat_dir(struct lrm *l, const char *dir)
{
    l->env.compat_dir = dir;
    for (size_t g = 0; g < l->cfg->n_groups; g++) {
        struct lrm_group *G = l->groups[g];
        struct res_ref *refs = G->refs;
        for (size_t r = 0; r < G->n_res; r++)
            res_rebind(G->res[r], &l->env, g, r, &refs[r]);
    }
}

void lrm_reconfigure(struct lrm *l, const struct cfg *next, const struct cfg_diff *d)
{
    struct lrm_group **groups = xcalloc(next->n_groups ? next->n_groups : 1, sizeof(*groups));
    l->cfg = next;
    l->env.cfg = next;
    for (size_t i = 0; i < d->n_groups; i++) {
        const struct cfg_group_diff *gd = &d->groups[i];
        if (gd->change == CFG_CHANGE_NONE) {
            struct lrm_group *G = l->groups[gd->old_index];
            G->g = (size_t)gd->new_index;
            struct res_ref *refs = G->refs;
            for (size_t r = 0; r < G->n_res; r++)
                res_rebind(G->res[r], &l->env, G->g, r, &refs[r]);
            groups[G->g] = G;
            continue;
        }
        if (gd->change == CFG_CHANGE_MODIFIED && gd->keep > 0) {
            groups[gd->new_index] =
                group_keep(l, l->groups[gd->old_index], (size_t)gd->new_index, gd->keep);
            continue;
        }
        if (gd->old_index >= 0)
            group_free(l->groups[gd->old_index]);
        if (gd->new_index >= 0)
            groups[gd->new_index] = group_new(l, (size_t)gd->new_index);
    }
    free(l->groups);
    l->groups = groups;
    /* New definitions: find out what of them already runs here. */
    for (size_t i = 0; i < d->n_groups; i++) {
        const struct cfg_group_diff *gd = &d->groups[i];
        if (gd->change == CFG_CHANGE_ADDED || gd->change == CFG_CHANGE_MODIFIED)
            probe_group(l, (size_t)gd->new_index);
    }
}

void lrm_free(struct lrm *l)
{
    if (!l)
        return;
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        group_free(l->groups[g]);
    free(l->groups);
    free(l);
}

enum pol_obs lrm_obs(const struct lrm *l, size_t g)
{
    const struct lrm_group *G = l->groups[g];
    return G->op == LRM_STOPPING ? POL_OBS_STOPPING : G->obs;
}

bool lrm_idle(const struct lrm *l, size_t g)
{
    return l->groups[g]->op == LRM_IDLE && l->groups[g]->want == LRM_WANT_NONE;
}

bool lrm_waiting_ready(const struct lrm *l, size_t g, size_t r)
{
    const struct lrm_group *G = l->groups[g];
    return G->op == LRM_STARTING && r < G->n_res && res_waiting_ready(G->res[r]);
}

bool lrm_probed(const struct lrm *l)
{
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        if (!l->groups[g]->probed)
            return false;
    return true;
}

bool lrm_active(const struct lrm *l, size_t g)
{
    return !lrm_idle(l, g) || pol_obs_active(l->groups[g]->obs);
}

bool lrm_any_active(const struct lrm *l)
{
    for (size_t g = 0; g < l->cfg->n_groups; g++)
        if (lrm_active(l, g))
            return true;
    return false;
}

bool lrm_managed_active(const struct lrm *l, size_t g)
{
    return l && l->groups[g]->managed && lrm_active(l, g);
}

void lrm_stop_running(struct lrm *l, const char *why)
{
    if (!l)
        return;
    bool *which = xcalloc(l->cfg->n_groups ? l->cfg->n_groups : 1, sizeof(bool));
    for (size_t g = 0; g < l->cfg->n_groups; g++) {
        const struct lrm_group *G = l->groups[g];
        if (!G->managed || (!pol_obs_active(G->obs) && G->op != LRM_STARTING))
            continue;
        if (G->op == LRM_STOPPING || G->obs == POL_OBS_STOPPING || G->stop_queued)
            continue;
        log_warn("%s: stopping group %s on this node", why, l->cfg->groups[g].name);
        which[g] = true;
    }
    queue_stops(l, which);
    free(which);
}
