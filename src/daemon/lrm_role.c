#include "daemon/lrm_role.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/lrm.h"

#include <errno.h>
#include <string.h>

bool lrm_role_promotable(const struct cfg_group *cg, size_t r)
{
    return cg->kind == CFG_KIND_PROMOTABLE && cg->resources[r].role == CFG_ROLE_PROMOTABLE;
}

bool lrm_role_primary_only(const struct cfg_group *cg, size_t r)
{
    return cg->kind == CFG_KIND_PROMOTABLE && cg->resources[r].role == CFG_ROLE_PRIMARY;
}

size_t lrm_role_next(const struct cfg_group *cg, const uint8_t *rs, const uint8_t *prom,
                     bool promote, enum res_op *ret_op)
{
    size_t n = cg->n_resources;
    if (promote) {
        for (size_t r = 0; r < n; r++)
            if (lrm_role_promotable(cg, r) && rs[r] == RES_ST_RUNNING && !prom[r]) {
                *ret_op = RES_OP_PROMOTE;
                return r;
            }
        for (size_t r = 0; r < n; r++)
            if (lrm_role_primary_only(cg, r) && rs[r] != RES_ST_RUNNING) {
                *ret_op = RES_OP_START;
                return r;
            }
        return SIZE_MAX;
    }
    /* Demoted first, while the primary's address still leads to it: a
     * database's replicas reach their primary there, and its last WAL (the
     * shutdown checkpoint of a demotion) must reach them before it goes. */
    for (size_t r = n; r-- > 0;)
        if (lrm_role_promotable(cg, r) && prom[r] && rs[r] == RES_ST_RUNNING) {
            *ret_op = RES_OP_DEMOTE;
            return r;
        }
    for (size_t r = n; r-- > 0;)
        if (lrm_role_primary_only(cg, r) && rs[r] != RES_ST_STOPPED) {
            *ret_op = RES_OP_STOP;
            return r;
        }
    return SIZE_MAX;
}

enum pol_obs lrm_role_derive(const struct cfg_group *cg, const uint8_t *rs, const uint8_t *prom)
{
    size_t n = cg->n_resources;
    bool stopped = true, replica = true, primary = true;
    for (size_t r = 0; r < n; r++) {
        if (rs[r] == RES_ST_STOP_FAILED)
            return POL_OBS_STOP_FAILED;
        bool running = rs[r] == RES_ST_RUNNING;
        stopped &= rs[r] == RES_ST_STOPPED;
        if (lrm_role_primary_only(cg, r))
            replica &= rs[r] == RES_ST_STOPPED;
        else
            replica &= running && !prom[r];
        primary &= running && (!lrm_role_promotable(cg, r) || prom[r]);
    }
    if (stopped)
        return POL_OBS_STOPPED;
    if (replica)
        return POL_OBS_RUNNING;
    if (primary)
        return POL_OBS_PRIMARY;
    return POL_OBS_PARTIAL;
}

bool lrm_role_promoted(const struct cfg_group *cg, const uint8_t *rs, const uint8_t *prom)
{
    if (cg->kind != CFG_KIND_PROMOTABLE)
        return false;
    for (size_t r = 0; r < cg->n_resources; r++) {
        if (prom[r])
            return true;
        if (lrm_role_primary_only(cg, r) && rs[r] != RES_ST_STOPPED && rs[r] != RES_ST_UNKNOWN)
            return true;
    }
    return false;
}

enum res_state lrm_role_probed(const struct cfg_group *cg, size_t r, enum res_rc rc, bool *ret_prom)
{
    switch (rc) {
    case RES_RC_OK:
        *ret_prom = false;
        return RES_ST_RUNNING;
    case RES_RC_NOT_RUNNING:
    case RES_RC_NOT_INSTALLED: /* nothing of it can run here */
        *ret_prom = false;
        return RES_ST_STOPPED;
    case RES_RC_RUNNING_PRIMARY:
    case RES_RC_FAILED_PRIMARY:
        if (!lrm_role_promotable(cg, r))
            return RES_ST_FAILED;
        *ret_prom = true;
        return rc == RES_RC_RUNNING_PRIMARY ? RES_ST_RUNNING : RES_ST_FAILED;
    default:
        return RES_ST_FAILED; /* promoted or not, as it was */
    }
}

/* ---- notifications ---- */

struct lrm_notify_run {
    uv_timer_t done; /* the report, always from the loop */
    struct res **todo;
    size_t n_todo, next;
    bool running; /* todo[next] runs its notify */
    struct res_notify n;
    size_t *lists; /* the node indices of n, owned */
    bool ok;
    char *reason;
    lrm_notified_fn cb;
    void *ctx;
};

static void run_next(struct lrm_notify_run *run);

static void on_run_closed(uv_handle_t *h)
{
    struct lrm_notify_run *run = h->data;
    free(run->todo);
    free(run->lists);
    free(run->reason);
    free(run);
}

static void on_run_done(uv_timer_t *t)
{
    struct lrm_notify_run *run = t->data;
    run->cb(run->ctx, run->ok, run->reason ? run->reason : "");
    uv_close((uv_handle_t *)&run->done, on_run_closed);
}

static void on_one(void *ctx, enum res_rc rc, const char *reason)
{
    struct lrm_notify_run *run = ctx;
    struct res *res = run->todo[run->next];
    run->running = false;
    if (rc != RES_RC_OK) {
        log_warn("%s: notify %s-%s: %s%s%s", res_label(res), run->n.post ? "post" : "pre",
                 res_op_name(run->n.op), res_rc_name(rc), *reason ? ": " : "", reason);
        if (run->ok)
            run->reason = xasprintf("%s: notify %s%s%s", res_cfg(res)->name, res_rc_name(rc),
                                    *reason ? ": " : "", reason);
        run->ok = false;
    }
    run->next++;
    run_next(run);
}

static void run_next(struct lrm_notify_run *run)
{
    for (; run->next < run->n_todo; run->next++) {
        struct res *res = run->todo[run->next];
        if (res_notify(res, &run->n, on_one, run) == 0) {
            run->running = true;
            return;
        }
        if (run->ok)
            run->reason = xasprintf("%s: notify: the resource is busy", res_cfg(res)->name);
        run->ok = false;
    }
    uv_timer_start(&run->done, on_run_done, 0, 0);
}

struct lrm_notify_run *lrm_notify_start(uv_loop_t *loop, const struct cfg_group *cg,
                                        struct res *const *res, const uint8_t *rs,
                                        const struct res_notify *n, lrm_notified_fn cb, void *ctx)
{
    struct lrm_notify_run *run = xcalloc(1, sizeof(*run));
    uv_timer_init(loop, &run->done);
    run->done.data = run;
    run->cb = cb;
    run->ctx = ctx;
    run->ok = true;
    run->todo = xcalloc(cg->n_resources ? cg->n_resources : 1, sizeof(*run->todo));
    for (size_t r = 0; r < cg->n_resources; r++)
        if (cg->resources[r].type == CFG_RES_OCF && rs[r] == RES_ST_RUNNING)
            run->todo[run->n_todo++] = res[r];
    /* A copy of the notification: the caller's lists need not outlive the call. */
    size_t total = 0;
    for (int l = 0; l < RES_NL_MAX; l++)
        total += n->n[l];
    run->lists = xcalloc(total ? total : 1, sizeof(size_t));
    run->n = (struct res_notify){.post = n->post, .op = n->op};
    size_t at = 0;
    for (int l = 0; l < RES_NL_MAX; l++) {
        if (n->n[l])
            memcpy(run->lists + at, n->nodes[l], n->n[l] * sizeof(size_t));
        run->n.nodes[l] = run->lists + at;
        run->n.n[l] = n->n[l];
        at += n->n[l];
    }
    run_next(run);
    return run;
}

void lrm_notify_cancel(struct lrm_notify_run *run)
{
    if (!run)
        return;
    if (run->running)
        res_cancel(run->todo[run->next]);
    uv_timer_stop(&run->done);
    uv_close((uv_handle_t *)&run->done, on_run_closed);
}

/* ---- the operations: promote, demote (in lrm_role_next's order), notify ---- */

void lrm_role_step(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    const struct cfg_group *cg = &l->cfg->groups[g];
    bool promote = G->op == LRM_PROMOTING;
    enum res_op op = RES_OP_MAX;
    size_t r = lrm_role_next(cg, G->rs, G->prom, promote, &op);
    if (r == SIZE_MAX) {
        log_info("group %s: %s here", cg->name, promote ? "promoted" : "demoted");
        lrm_op_over(l, g, lrm_derive(l, g));
        return;
    }
    G->cursor = r;
    G->step_op = op;
    if (op == RES_OP_PROMOTE)
        G->prom[r] = 1; /* it may act as primary from now on */
    lrm_run_res(l, g, r, op);
}

/* The resource operation of a promotion or demotion ended. */
void lrm_role_on_step(struct lrm *l, size_t g, size_t r, enum res_rc rc, const char *reason)
{
    struct lrm_group *G = l->groups[g];
    const struct cfg_resource *rc_cfg = &l->cfg->groups[g].resources[r];
    struct res *res = G->res[r];
    if (rc == RES_RC_OK) {
        switch (G->step_op) {
        case RES_OP_PROMOTE:
            res_set_promoted(res, true);
            break;
        case RES_OP_DEMOTE:
            G->prom[r] = 0;
            res_set_promoted(res, false);
            break;
        case RES_OP_START:
            G->rs[r] = RES_ST_RUNNING;
            res_watch(res, G->managed);
            break;
        default:
            G->rs[r] = RES_ST_STOPPED;
            break;
        }
        lrm_step(l, g);
        return;
    }
    _cleanup_free_ char *why = xasprintf("%s %s%s%s", res_op_name(G->step_op), res_rc_name(rc),
                                         *reason ? ": " : "", reason);
    if (G->step_op == RES_OP_STOP) {
        /* It may still run: the copy may still be primary; the node will be fenced. */
        G->rs[r] = RES_ST_STOP_FAILED;
        log_error("%s: %s", res_label(res), why);
        lrm_op_over(l, g, POL_OBS_STOP_FAILED);
        return;
    }
    G->rs[r] = RES_ST_FAILED; /* a failed promote or demote: it may still be primary (prom stays) */
    log_warn("%s: %s", res_label(res), why);
    enum db_fail_kind kind = db_fail_kind_of(rc_cfg->on_fail);
    if (kind == DB_FAIL_IGNORE)
        kind = DB_FAIL_RESTART; /* a copy whose role is unknown cannot be left as it is */
    if (l->hooks->failure)
        l->hooks->failure(l->ctx, g, r, kind, why);
    lrm_recover(l, g, r);
}

void lrm_role_begin(struct lrm *l, size_t g, enum lrm_op op)
{
    struct lrm_group *G = l->groups[g];
    G->op = op;
    G->cursor = 0;
    lrm_set_obs(l, g, op == LRM_PROMOTING ? POL_OBS_PROMOTING : POL_OBS_DEMOTING);
    lrm_step(l, g);
}

/* Abandons a promotion or demotion under way: the resource acted on is cancelled. */
size_t lrm_role_abandon(struct lrm_group *G)
{
    struct res *cur = G->res[G->cursor];
    if (res_busy(cur)) {
        res_cancel(cur);
        if (G->step_op == RES_OP_START || G->step_op == RES_OP_STOP)
            G->rs[G->cursor] = RES_ST_UNKNOWN;
        /* A promote or demote cut short: its role is unknown, and prom stays set. */
    }
    G->op = LRM_IDLE;
    return G->cursor;
}

void lrm_promote(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    const struct cfg_group *cg = &l->cfg->groups[g];
    if (G->op != LRM_IDLE) {
        G->want = LRM_WANT_PROMOTE;
        return;
    }
    if (cg->kind != CFG_KIND_PROMOTABLE || G->obs == POL_OBS_PRIMARY) {
        lrm_report(l, g);
        return;
    }
    /* A running replica, or one promoted in part (a promotion cut short, a probe). */
    for (size_t r = 0; r < cg->n_resources; r++) {
        if (lrm_role_primary_only(cg, r) || G->rs[r] == RES_ST_RUNNING)
            continue;
        log_warn("group %s: not promoted: it is %s here (%s is %s)", cg->name, pol_obs_name(G->obs),
                 cg->resources[r].name, res_state_name((enum res_state)G->rs[r]));
        lrm_report(l, g);
        return;
    }
    log_info("group %s: promoting it here", cg->name);
    lrm_role_begin(l, g, LRM_PROMOTING);
}

void lrm_demote(struct lrm *l, size_t g)
{
    struct lrm_group *G = l->groups[g];
    const struct cfg_group *cg = &l->cfg->groups[g];
    if (G->op != LRM_IDLE) {
        G->want = LRM_WANT_DEMOTE;
        return;
    }
    enum res_op op;
    if (cg->kind != CFG_KIND_PROMOTABLE ||
        lrm_role_next(cg, G->rs, G->prom, false, &op) == SIZE_MAX) {
        lrm_report(l, g);
        return;
    }
    log_info("group %s: demoting it here", cg->name);
    lrm_role_begin(l, g, LRM_DEMOTING);
}

bool lrm_promoted(const struct lrm *l, size_t g)
{
    const struct lrm_group *G = l->groups[g];
    return lrm_role_promoted(&l->cfg->groups[g], G->rs, G->prom);
}

/* ---- notify ---- */

struct notify_ctx {
    struct lrm *l;
    struct lrm_group *G;
};

static void on_notified(void *ctx, bool ok, const char *reason)
{
    struct notify_ctx nc = *(struct notify_ctx *)ctx;
    struct lrm_group *G = nc.G;
    free(G->notify_own);
    G->notify_own = NULL;
    size_t g = G->g;
    lrm_notify_fn cb = G->notify_cb;
    void *cb_ctx = G->notify_ctx;
    G->notify_run = NULL;
    G->notify_cb = NULL;
    _cleanup_free_ char *why = xstrdup(reason);
    lrm_op_over(nc.l, g, G->obs);
    if (cb)
        cb(cb_ctx, g, ok, why);
}

int lrm_notify(struct lrm *l, size_t g, const struct res_notify *n, lrm_notify_fn cb, void *ctx)
{
    struct lrm_group *G = l->groups[g];
    if (G->op != LRM_IDLE)
        return -EBUSY;
    struct notify_ctx *nc = xmalloc(sizeof(*nc));
    *nc = (struct notify_ctx){l, G};
    G->op = LRM_NOTIFYING;
    G->notify_cb = cb;
    G->notify_ctx = ctx;
    G->notify_own = nc;
    G->notify_run =
        lrm_notify_start(l->loop, &l->cfg->groups[g], G->res, G->rs, n, on_notified, nc);
    return 0;
}

/* Cuts a notify run short (a resource failed): its callback says so. */
void lrm_role_abandon_notify(struct lrm *l, size_t g, const char *why)
{
    struct lrm_group *G = l->groups[g];
    lrm_notify_fn cb = G->notify_cb;
    void *cb_ctx = G->notify_ctx;
    lrm_notify_cancel(G->notify_run);
    free(G->notify_own);
    G->notify_own = NULL;
    G->notify_run = NULL;
    G->notify_cb = NULL;
    G->op = LRM_IDLE;
    if (cb)
        cb(cb_ctx, g, false, why);
}
