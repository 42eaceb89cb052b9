/* The group view: its state, membership, quorum and fencing, and saving the database. */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/statewrite.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static void gnode_reset(struct gview *gv, size_t g, size_t n, enum pol_obs obs)
{
    struct gnode *x = gview_at(gv, g, n);
    x->obs = obs;
    x->promoted = false;
    x->have_last = false;
    memset(&x->last, 0, sizeof(x->last));
    x->answered = true;
    x->notify_wait = false;
    enum res_state rs = obs == POL_OBS_STOPPED ? RES_ST_STOPPED : RES_ST_UNKNOWN;
    for (size_t r = 0; r < gv->cfg->groups[g].n_resources; r++)
        x->rs[r] = (uint8_t)rs;
}

void gview_init(struct gview *gv, const struct cfg *cfg, struct cluster *cl,
                struct eventlog *events, struct db *db, const char *state_dir,
                const struct gview_hooks *hooks, void *ctx)
{
    memset(gv, 0, sizeof(*gv));
    gv->cfg = cfg;
    gv->cl = cl;
    gv->events = events;
    gv->db = db;
    gv->state_dir = state_dir ? xstrdup(state_dir) : NULL;
    gv->hooks = hooks;
    gv->ctx = ctx;
    size_t ng = cfg->n_groups ? cfg->n_groups : 1, nn = cfg->n_nodes ? cfg->n_nodes : 1;
    gv->gn = xcalloc(ng * nn, sizeof(*gv->gn));
    gv->last_owner = xcalloc(ng, sizeof(int));
    gv->down_ms = xcalloc(ng, sizeof(uint64_t));
    gv->lost = xcalloc(ng, sizeof(bool));
    gv->multi = xcalloc(ng, sizeof(bool));
    gv->shown = xcalloc(ng, sizeof(enum pol_state));
    gv->db_seen = xcalloc(nn, sizeof(bool));
    gv->inflight = xcalloc(ng, sizeof(unsigned));
    gv->leaving = xcalloc(nn, sizeof(bool));
    gv->fence_asked = xcalloc(nn, sizeof(bool));
    gv->drop_sent = xcalloc(ng, sizeof(bool));
    gv->rt_domain = xcalloc(ng, sizeof(size_t *));
    gv->n_rt_domain = xcalloc(ng, sizeof(size_t));
    gv->have_rt_domain = xcalloc(ng, sizeof(bool));
    gv->hold = xcalloc(ng, sizeof(bool));
    gv->attr_gone = xcalloc(nn, sizeof(bool));
    gv->attr_gone_ver = xcalloc(nn, sizeof(uint64_t));
    gv->attr_forget_sent = xcalloc(nn, sizeof(bool));
    gv->held = json_array();
    gv->answer_ms = GVIEW_ACTION_ANSWER_MS;
    gv->mono_ms = time_mono_ms;
    gv->wall_ms = time_wall_ms;
    for (size_t g = 0; g < cfg->n_groups; g++) {
        gv->last_owner[g] = -1;
        gv->shown[g] = POL_ST_MAX;
        for (size_t n = 0; n < cfg->n_nodes; n++) {
            gview_at(gv, g, n)->rs =
                xcalloc(cfg->groups[g].n_resources ? cfg->groups[g].n_resources : 1, 1);
            gnode_reset(gv, g, n, POL_OBS_UNKNOWN);
        }
    }
    gview_retry_update(gv); /* the restarts and bans of the database loaded */
}

/* Per-group arrays of a new size, entries moved from old indices (map[new] = old, or -1). */
#define REMAP(arr, type, init, map)                                                                \
    do {                                                                                           \
        type *fresh = xcalloc(ng ? ng : 1, sizeof(type));                                          \
        for (size_t g_ = 0; g_ < ng; g_++)                                                         \
            fresh[g_] = (map)[g_] >= 0 ? (arr)[(map)[g_]] : (init);                                \
        free(arr);                                                                                 \
        (arr) = fresh;                                                                             \
    } while (0)

void gview_reconfigure(struct gview *gv, const struct cfg *next, const struct cfg_diff *d)
{
    gview_notify_reset(gv); /* its runs are sized and indexed by the old configuration */
    const struct cfg *old = gv->cfg;
    size_t ng = next->n_groups, nn = n_nodes(gv);
    int *map = xcalloc(ng ? ng : 1, sizeof(int)); /* new index -> old index, or -1 */
    bool *same = xcalloc(ng ? ng : 1, sizeof(bool));
    for (size_t g = 0; g < ng; g++)
        map[g] = -1;
    for (size_t i = 0; i < d->n_groups; i++) {
        const struct cfg_group_diff *gd = &d->groups[i];
        if (gd->new_index >= 0 && gd->old_index >= 0) {
            map[gd->new_index] = gd->old_index;
            same[gd->new_index] = gd->change == CFG_CHANGE_NONE;
        }
    }
    /* Group g on node n: moved when unchanged, unknown until reported otherwise. */
    struct gnode *gn = xcalloc((ng ? ng : 1) * (nn ? nn : 1), sizeof(*gn));
    for (size_t g = 0; g < ng; g++) {
        for (size_t n = 0; n < nn; n++) {
            struct gnode *x = &gn[g * nn + n];
            if (same[g]) {
                *x = gv->gn[(size_t)map[g] * nn + n];
                gv->gn[(size_t)map[g] * nn + n].rs = NULL;
                continue;
            }
            size_t nr = next->groups[g].n_resources;
            x->rs = xcalloc(nr ? nr : 1, 1);
            x->obs = POL_OBS_UNKNOWN;
            for (size_t r = 0; r < nr; r++)
                x->rs[r] = RES_ST_UNKNOWN;
        }
    }
    for (size_t g = 0; g < old->n_groups; g++)
        for (size_t n = 0; n < nn; n++)
            free(gview_at(gv, g, n)->rs);
    free(gv->gn);
    gv->gn = gn;
    REMAP(gv->last_owner, int, -1, map);
    REMAP(gv->down_ms, uint64_t, 0, map);
    REMAP(gv->lost, bool, false, map);
    REMAP(gv->multi, bool, false, map);
    REMAP(gv->shown, enum pol_state, POL_ST_MAX, map);
    REMAP(gv->inflight, unsigned, 0, map);
    REMAP(gv->drop_sent, bool, false, map);
    REMAP(gv->hold, bool, false, map);
    /* A run-time domain is kept only for an unchanged group (its script and domain are the same).
     */
    int *kept = xcalloc(ng ? ng : 1, sizeof(int));
    for (size_t g = 0; g < ng; g++)
        kept[g] = same[g] ? map[g] : -1;
    for (size_t g = 0; g < ng; g++)
        if (kept[g] < 0 && map[g] >= 0) {
            free(gv->rt_domain[map[g]]);
            gv->rt_domain[map[g]] = NULL;
        }
    for (size_t i = 0; i < d->n_groups; i++)
        if (d->groups[i].change == CFG_CHANGE_REMOVED)
            free(gv->rt_domain[d->groups[i].old_index]);
    REMAP(gv->rt_domain, size_t *, NULL, kept);
    REMAP(gv->n_rt_domain, size_t, 0, kept);
    REMAP(gv->have_rt_domain, bool, false, kept);
    free(kept);
    free(map);
    free(same);
    /* The database, by names: entries of removed groups and resources drop out. */
    json_t *j = db_to_json(gv->db);
    struct db *ndb = NULL;
    char *err = NULL;
    if (db_from_json(next, j, &ndb, &err) < 0) {
        log_error("the cluster database does not fit the new configuration: %s", err);
        free(err);
        ndb = db_new(next);
        ndb->version = gv->db->version;
        ndb->src = gv->db->src;
    }
    json_decref(j);
    db_free(gv->db);
    gv->db = ndb;
    gv->cfg = next;
    gview_retry_update(gv); /* changed groups start unknown: their waits are placed afresh */
    gview_replan(gv);
}

void gview_done(struct gview *gv)
{
    if (!gv->cfg)
        return;
    gview_notify_reset(gv);
    statewrite_free(gv->sw); /* acks waiting for a write are dropped now; none comes later */
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            free(gview_at(gv, g, n)->rs);
    for (size_t i = 0; i < gv->n_pend; i++) {
        free(gv->pend[i].waiting);
        free(gv->pend[i].msg);
    }
    free(gv->pend);
    free(gv->gn);
    free(gv->last_owner);
    free(gv->down_ms);
    free(gv->lost);
    free(gv->multi);
    free(gv->shown);
    free(gv->db_seen);
    free(gv->inflight);
    free(gv->leaving);
    free(gv->fence_asked);
    free(gv->drop_sent);
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        free(gv->rt_domain[g]);
    free(gv->rt_domain);
    free(gv->n_rt_domain);
    free(gv->have_rt_domain);
    free(gv->hold);
    free(gv->attr_gone);
    free(gv->attr_gone_ver);
    free(gv->attr_forget_sent);
    json_decref(gv->held);
    free(gv->state_dir);
    db_free(gv->db);
    memset(gv, 0, sizeof(*gv));
}

/* The end of a write of the database (once per write: the same callback and gv each time). */
static void db_saved(void *arg, int result)
{
    struct gview *gv = arg;
    if (result < 0 && result != -ECANCELED)
        log_error("cannot save the cluster database in %s: %s", gv->state_dir, strerror(-result));
}

/* The database changed: save it (through the serialised writer; off the loop when there is one). */
void gview_save_db(struct gview *gv)
{
    gview_retry_update(gv);
    if (gv->state_dir) {
        if (!gv->sw)
            gv->sw = statewrite_new(gv->loop);
        _cleanup_free_ char *text = db_dump(gv->db);
        _cleanup_free_ char *path = xasprintf("%s/%s", gv->state_dir, DB_FILE);
        struct statewrite_file f = {.path = path, .data = text, .len = strlen(text), .mode = 0600};
        statewrite_submit(gv->sw, &f, 1, db_saved, gv);
    }
    if (gv->hooks && gv->hooks->db_changed)
        gv->hooks->db_changed(gv->ctx);
}

/* An ack waiting for the database write that holds its change. */
struct gview_ack {
    struct gview *gv;
    json_t *ack;
};

static void ack_saved(void *arg, int result)
{
    struct gview_ack *a = arg;
    if (result == -ECANCELED) { /* the view is going away: the ack is dropped */
        json_decref(a->ack);
        free(a);
        return;
    }
    if (result < 0) {
        json_object_set_new(a->ack, "ok", json_false());
        json_object_set_new(
            a->ack, "error",
            json_sprintf("cannot save the cluster database: %s", strerror(-result)));
    }
    gview_send(a->gv, PEER_G_ACK, a->ack);
    free(a);
}

/*
 * Sends an ack once every change before it is on disk (at once when no
 * write is pending). Takes ack.
 */
void gview_send_ack_saved(struct gview *gv, json_t *ack)
{
    if (gv->sw) {
        struct gview_ack *a = xcalloc(1, sizeof(*a));
        a->gv = gv;
        a->ack = ack;
        if (statewrite_flush(gv->sw, ack_saved, a) == 0)
            return;
        free(a);
    }
    gview_send(gv, PEER_G_ACK, ack);
}

void gview_set_loop(struct gview *gv, uv_loop_t *loop)
{
    if (gv->sw && loop != gv->loop) {
        statewrite_free(gv->sw); /* the next save starts a writer on the new loop */
        gv->sw = NULL;
    }
    gv->loop = loop;
}

void gview_replan(struct gview *gv)
{
    if (gv->hooks && gv->hooks->replan)
        gv->hooks->replan(gv->ctx);
}

int gview_send(struct gview *gv, enum peer_group_kind k, json_t *body)
{
    int r = gv->hooks && gv->hooks->send ? gv->hooks->send(gv->ctx, k, body) : -ENOTCONN;
    json_decref(body);
    return r;
}

/* A group stopped being available on node n (for gaps and recovery events). */
void gview_went_down(struct gview *gv, size_t g, bool node_lost)
{
    if (gview_kind(gv, g) == CFG_KIND_CLONE)
        return;
    if (!gv->down_ms[g])
        gv->down_ms[g] = time_wall_ms();
    if (node_lost)
        gv->lost[g] = true;
}

static void drop_held(struct gview *gv, const char *why)
{
    size_t n = json_array_size(gv->held);
    if (n)
        log_info("dropped %zu action%s held since before quorum: %s", n, n == 1 ? "" : "s", why);
    json_array_clear(gv->held);
}

void gview_quorum(struct gview *gv)
{
    if (!gv->cl->quorate || !json_array_size(gv->held))
        return;
    json_t *held = gv->held;
    gv->held = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(held, i, e)
    {
        char *err = NULL;
        uint32_t from = (uint32_t)json_integer_value(json_array_get(e, 0));
        if (gview_deliver_action(gv, from, json_array_get(e, 1), &err) < 0)
            log_warn("dropped a held action: %s", err);
        free(err);
    }
    json_decref(held);
}

void gview_membership(struct gview *gv, const struct engine_view *v)
{
    drop_held(gv, "the membership changed");
    gview_notify_reset(gv);
    for (size_t i = 0; i < v->n_joined; i++) {
        int n = cluster_node_index(gv->cl, v->joined[i]);
        if (n < 0)
            continue;
        for (size_t g = 0; g < gv->cfg->n_groups; g++)
            if ((uint32_t)v->joined[i] != gv->cl->local_id)
                gnode_reset(gv, g, (size_t)n, POL_OBS_UNKNOWN);
    }
    for (size_t i = 0; i < v->n_left; i++) {
        int n = cluster_node_index(gv->cl, v->left[i]);
        if (n < 0)
            continue;
        for (size_t g = 0; g < gv->cfg->n_groups; g++) {
            struct gnode *x = gview_at(gv, g, (size_t)n);
            if (gview_serving(gv, g, x))
                gview_went_down(gv, g, v->left_reason[i] != ENGINE_LEAVE_CLEAN);
            /* A node that left cleanly stopped what it ran; one that did not stays as it was. */
            if (v->left_reason[i] == ENGINE_LEAVE_CLEAN && !pol_obs_active(x->obs))
                gnode_reset(gv, g, (size_t)n, POL_OBS_STOPPED);
        }
        /* Its pending intents will never be acknowledged by it. */
        for (size_t p = 0; p < gv->n_pend; p++)
            gv->pend[p].waiting[n] = false;
    }
    gview_attr_membership(gv, v);
    memset(gv->db_seen, 0, n_nodes(gv) * sizeof(bool));
    memset(gv->fence_asked, 0, n_nodes(gv) * sizeof(bool));
    memset(gv->inflight, 0, (gv->cfg->n_groups ? gv->cfg->n_groups : 1) * sizeof(unsigned));
    /* An expiry sent in the old membership may have been refused: the coordinator decides again. */
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            gview_at(gv, g, n)->expire_sent = false;
    gv->old_peer_logged = false;
    for (size_t i = 0; i < v->n_joined; i++) {
        int n = cluster_node_index(gv->cl, v->joined[i]);
        if (n >= 0)
            gv->leaving[n] = false;
    }
    /* Every member shares its copy of the database and its groups' state again. */
    if (gv->cl->local_id) {
        gview_send(gv, PEER_G_DB, gview_db_body(gv));
        if (gv->hooks && gv->hooks->rereport)
            gv->hooks->rereport(gv->ctx, SIZE_MAX);
    }
    gview_expire_intents(gv, 0);
    gview_replan(gv);
}

void gview_engine_lost(struct gview *gv)
{
    drop_held(gv, "the connection to the cluster engine was lost");
    int self = local_index(gv);
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            if ((int)n != self)
                gnode_reset(gv, g, n, POL_OBS_UNKNOWN);
    memset(gv->db_seen, 0, n_nodes(gv) * sizeof(bool));
    for (size_t p = 0; p < gv->n_pend; p++) {
        gv->pend[p].failed = true;
        free(gv->pend[p].msg);
        gv->pend[p].msg = xstrdup("the connection to the cluster engine was lost");
        memset(gv->pend[p].waiting, 0, n_nodes(gv) * sizeof(bool));
    }
    gview_expire_intents(gv, 0);
}

void gview_node_fenced(struct gview *gv, size_t n)
{
    if (n >= n_nodes(gv))
        return;
    gv->fence_asked[n] = false;
    for (size_t g = 0; g < gv->cfg->n_groups; g++) {
        struct gnode *x = gview_at(gv, g, n);
        bool active = gview_kind(gv, g) == CFG_KIND_PROMOTABLE ? gview_serving(gv, g, x)
                                                               : pol_obs_active(x->obs);
        if (active && gview_kind(gv, g) != CFG_KIND_CLONE)
            gview_went_down(gv, g, true);
        /* It runs nothing now: nor is it primary (its last report said so until now). */
        if (!gv->cl->nodes[n].online)
            gnode_reset(gv, g, n, POL_OBS_STOPPED);
    }
    if (gv->cl->quorate && db_apply_fenced(gv->db, n, gv->cl->coordinator))
        gview_save_db(gv);
    gview_replan(gv);
}

bool gview_synced(const struct gview *gv)
{
    for (size_t n = 0; n < n_nodes(gv); n++)
        if (gv->cl->nodes[n].online && !gv->db_seen[n])
            return false;
    return true;
}
