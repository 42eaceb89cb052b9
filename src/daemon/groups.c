#include "daemon/groups.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/statewrite.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static size_t n_nodes(const struct gview *gv)
{
    return gv->cfg->n_nodes;
}

static int local_index(const struct gview *gv)
{
    return gv->cl->local_id ? cluster_node_index(gv->cl, gv->cl->local_id) : -1;
}

static const char *nname(const struct gview *gv, size_t n)
{
    return gv->cfg->nodes[n].name;
}

static void gnode_reset(struct gview *gv, size_t g, size_t n, enum pol_obs obs)
{
    struct gnode *x = gview_at(gv, g, n);
    x->obs = obs;
    x->have_last = false;
    memset(&x->last, 0, sizeof(x->last));
    x->answered = true;
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
    gv->held = json_array();
    gv->answer_ms = GVIEW_ACTION_ANSWER_MS;
    for (size_t g = 0; g < cfg->n_groups; g++) {
        gv->last_owner[g] = -1;
        gv->shown[g] = POL_ST_MAX;
        for (size_t n = 0; n < cfg->n_nodes; n++) {
            gview_at(gv, g, n)->rs =
                xcalloc(cfg->groups[g].n_resources ? cfg->groups[g].n_resources : 1, 1);
            gnode_reset(gv, g, n, POL_OBS_UNKNOWN);
        }
    }
}

static void replan(struct gview *gv);

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
    replan(gv);
}

static void pending_free(struct gview_pending *p)
{
    free(p->waiting);
    free(p->msg);
}

void gview_done(struct gview *gv)
{
    if (!gv->cfg)
        return;
    statewrite_free(gv->sw); /* acks waiting for a write are dropped now; none comes later */
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            free(gview_at(gv, g, n)->rs);
    for (size_t i = 0; i < gv->n_pend; i++)
        pending_free(&gv->pend[i]);
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
    json_decref(gv->held);
    free(gv->state_dir);
    db_free(gv->db);
    memset(gv, 0, sizeof(*gv));
}

static int send_msg(struct gview *gv, enum peer_group_kind k, json_t *body);

/* The end of a write of the database (once per write: the same callback and gv each time). */
static void db_saved(void *arg, int result)
{
    struct gview *gv = arg;
    if (result < 0 && result != -ECANCELED)
        log_error("cannot save the cluster database in %s: %s", gv->state_dir, strerror(-result));
}

/* The database changed: save it (through the serialised writer; off the loop when there is one). */
static void save_db(struct gview *gv)
{
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
    send_msg(a->gv, PEER_G_ACK, a->ack);
    free(a);
}

/*
 * Sends an ack once every change before it is on disk (at once when no
 * write is pending). Takes ack.
 */
static void send_ack_saved(struct gview *gv, json_t *ack)
{
    if (gv->sw) {
        struct gview_ack *a = xcalloc(1, sizeof(*a));
        a->gv = gv;
        a->ack = ack;
        if (statewrite_flush(gv->sw, ack_saved, a) == 0)
            return;
        free(a);
    }
    send_msg(gv, PEER_G_ACK, ack);
}

void gview_set_loop(struct gview *gv, uv_loop_t *loop)
{
    if (gv->sw && loop != gv->loop) {
        statewrite_free(gv->sw); /* the next save starts a writer on the new loop */
        gv->sw = NULL;
    }
    gv->loop = loop;
}

static void replan(struct gview *gv)
{
    if (gv->hooks && gv->hooks->replan)
        gv->hooks->replan(gv->ctx);
}

static int send_msg(struct gview *gv, enum peer_group_kind k, json_t *body)
{
    int r = gv->hooks && gv->hooks->send ? gv->hooks->send(gv->ctx, k, body) : -ENOTCONN;
    json_decref(body);
    return r;
}

/* A group stopped being available on node n (for gaps and recovery events). */
static void went_down(struct gview *gv, size_t g, bool node_lost)
{
    if (!gv->down_ms[g])
        gv->down_ms[g] = time_wall_ms();
    if (node_lost)
        gv->lost[g] = true;
}

/* Actions kept while this node does not know its partition's quorum yet. */
#define GVIEW_MAX_HELD 256

static int deliver_action(struct gview *gv, uint32_t from, json_t *j, char **err);

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
        if (deliver_action(gv, from, json_array_get(e, 1), &err) < 0)
            log_warn("dropped a held action: %s", err);
        free(err);
    }
    json_decref(held);
}

void gview_membership(struct gview *gv, const struct engine_view *v)
{
    drop_held(gv, "the membership changed");
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
            if (x->obs == POL_OBS_RUNNING || x->obs == POL_OBS_STARTING)
                went_down(gv, g, v->left_reason[i] != ENGINE_LEAVE_CLEAN);
            /* A node that left cleanly stopped what it ran; one that did not stays as it was. */
            if (v->left_reason[i] == ENGINE_LEAVE_CLEAN && !pol_obs_active(x->obs))
                gnode_reset(gv, g, (size_t)n, POL_OBS_STOPPED);
        }
        /* Its pending intents will never be acknowledged by it. */
        for (size_t p = 0; p < gv->n_pend; p++)
            gv->pend[p].waiting[n] = false;
    }
    memset(gv->db_seen, 0, n_nodes(gv) * sizeof(bool));
    memset(gv->fence_asked, 0, n_nodes(gv) * sizeof(bool));
    memset(gv->inflight, 0, (gv->cfg->n_groups ? gv->cfg->n_groups : 1) * sizeof(unsigned));
    for (size_t i = 0; i < v->n_joined; i++) {
        int n = cluster_node_index(gv->cl, v->joined[i]);
        if (n >= 0)
            gv->leaving[n] = false;
    }
    /* Every member shares its copy of the database and its groups' state again. */
    if (gv->cl->local_id) {
        send_msg(gv, PEER_G_DB, gview_db_body(gv));
        if (gv->hooks && gv->hooks->rereport)
            gv->hooks->rereport(gv->ctx, SIZE_MAX);
    }
    gview_expire_intents(gv, 0);
    replan(gv);
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
        if (pol_obs_active(x->obs))
            went_down(gv, g, true);
        if (!gv->cl->nodes[n].online)
            gnode_reset(gv, g, n, POL_OBS_STOPPED);
    }
    if (gv->cl->quorate && db_apply_fenced(gv->db, n, gv->cl->coordinator))
        save_db(gv);
    replan(gv);
}

bool gview_synced(const struct gview *gv)
{
    for (size_t n = 0; n < n_nodes(gv); n++)
        if (gv->cl->nodes[n].online && !gv->db_seen[n])
            return false;
    return true;
}

/* ---- message fields ---- */

static const char *get_str(json_t *j, const char *key, bool required, char **err)
{
    json_t *v = json_object_get(j, key);
    if (!v && !required)
        return NULL;
    if (!json_is_string(v) || json_string_length(v) > PEER_MAX_STRING ||
        json_string_length(v) != strlen(json_string_value(v))) {
        if (!*err)
            *err = xasprintf("'%s' must be a string of at most %d bytes", key, PEER_MAX_STRING);
        return NULL;
    }
    return json_string_value(v);
}

static bool get_u64(json_t *j, const char *key, uint64_t *ret, char **err)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        if (!*err)
            *err = xasprintf("'%s' must be a non-negative integer", key);
        return false;
    }
    *ret = (uint64_t)json_integer_value(v);
    return true;
}

static int get_node(const struct gview *gv, json_t *j, const char *key, char **err)
{
    const char *s = get_str(j, key, true, err);
    if (!s)
        return -1;
    const struct cfg_node *nd = cfg_node_by_name(gv->cfg, s);
    if (!nd && !*err)
        *err = xasprintf("unknown node '%.64s'", s);
    return nd ? (int)(nd - gv->cfg->nodes) : -1;
}

static int get_group(const struct gview *gv, json_t *j, char **err)
{
    const char *s = get_str(j, "group", true, err);
    if (!s)
        return -1;
    const struct cfg_group *cg = cfg_group_by_name(gv->cfg, s);
    if (!cg && !*err)
        *err = xasprintf("unknown group '%.64s'", s);
    return cg ? (int)cfg_group_index(gv->cfg, cg) : -1;
}

static int res_index(const struct cfg_group *cg, const char *name)
{
    for (size_t r = 0; r < cg->n_resources; r++)
        if (strcmp(cg->resources[r].name, name) == 0)
            return (int)r;
    return -1;
}

static int obs_parse(const char *s)
{
    for (int i = 0; i < POL_OBS_MAX; i++)
        if (strcmp(s, pol_obs_name((enum pol_obs)i)) == 0)
            return i;
    return -1;
}

/* ---- reports ---- */

json_t *gview_report_body(const struct gview *gv, size_t g, enum pol_obs obs,
                          const uint8_t *res_states, bool leaving)
{
    int self = local_index(gv);
    const struct cfg_group *cg = &gv->cfg->groups[g];
    json_t *rs = json_array();
    for (size_t r = 0; r < cg->n_resources; r++)
        json_array_append_new(rs, json_string(res_state_name((enum res_state)res_states[r])));
    json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "node", self >= 0 ? nname(gv, (size_t)self) : "",
                          "group", cg->name, "state", pol_obs_name(obs), "resources", rs);
    if (leaving)
        json_object_set_new(j, "leaving", json_true());
    if (self >= 0 && gview_at(gv, g, (size_t)self)->have_last) {
        const struct gnode *x = gview_at(gv, g, (size_t)self);
        json_object_set_new(j, "ack",
                            json_pack("{s:I, s:I}", "ring", (json_int_t)x->last.ring, "seq",
                                      (json_int_t)x->last.seq));
    }
    return j;
}

static void event_running(struct gview *gv, size_t g, size_t n, struct gnode *x)
{
    const char *gname = gv->cfg->groups[g].name;
    uint64_t now = time_wall_ms();
    int64_t took = x->start_ms && now >= x->start_ms ? (int64_t)(now - x->start_ms) : -1;
    int64_t gap = gv->down_ms[g] && now >= gv->down_ms[g] ? (int64_t)(now - gv->down_ms[g]) : -1;
    int prev = gv->last_owner[g];
    if (prev >= 0 && (size_t)prev != n && gv->lost[g])
        eventlog_add_group(gv->events, EV_GROUP_RECOVERED, nname(gv, n), gname, NULL, gap,
                           "group %s recovered on %s after the loss of %s", gname, nname(gv, n),
                           nname(gv, (size_t)prev));
    else if (prev >= 0 && (size_t)prev != n)
        eventlog_add_group(gv->events, EV_GROUP_MOVED, nname(gv, n), gname, NULL, gap,
                           "group %s moved from %s to %s", gname, nname(gv, (size_t)prev),
                           nname(gv, n));
    else if (x->before == POL_OBS_FAILED)
        eventlog_add_group(gv->events, EV_GROUP_RESTARTED, nname(gv, n), gname, NULL, gap,
                           "group %s restarted on %s", gname, nname(gv, n));
    else
        eventlog_add_group(gv->events, EV_GROUP_STARTED, nname(gv, n), gname, NULL, took,
                           "group %s started on %s", gname, nname(gv, n));
    gv->last_owner[g] = (int)n;
    gv->down_ms[g] = 0;
    gv->lost[g] = false;
}

static int deliver_report(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = get_node(gv, j, "node", err);
    int g = n >= 0 ? get_group(gv, j, err) : -1;
    const char *st = g >= 0 ? get_str(j, "state", true, err) : NULL;
    if (!st)
        return -EINVAL;
    if (gv->cfg->nodes[n].id != from)
        return *err = xasprintf("a report about %s came from node id %" PRIu32,
                                nname(gv, (size_t)n), from),
               -EINVAL;
    int obs = obs_parse(st);
    if (obs < 0 || obs == POL_OBS_UNKNOWN)
        return *err = xasprintf("unknown group state '%.32s'", st), -EINVAL;
    const struct cfg_group *cg = &gv->cfg->groups[g];
    json_t *rs = json_object_get(j, "resources");
    if (!json_is_array(rs) || json_array_size(rs) != cg->n_resources)
        return *err = xasprintf("'resources' must list the %zu resources of group %s",
                                cg->n_resources, cg->name),
               -EINVAL;
    uint8_t states[CFG_MAX_RESOURCES];
    for (size_t r = 0; r < cg->n_resources; r++) {
        const char *s = json_string_value(json_array_get(rs, r));
        int k = s ? res_state_parse(s) : -1;
        if (k < 0)
            return *err = xasprintf("bad state of resource %s", cg->resources[r].name), -EINVAL;
        states[r] = (uint8_t)k;
    }
    struct act_id ack = {0, 0};
    bool have_ack = false;
    json_t *a = json_object_get(j, "ack");
    if (a) {
        if (!get_u64(a, "ring", &ack.ring, err) || !get_u64(a, "seq", &ack.seq, err))
            return -EINVAL;
        have_ack = true;
    }
    json_t *lv = json_object_get(j, "leaving");
    if (lv && !json_is_boolean(lv))
        return *err = xstrdup("'leaving' must be true or false"), -EINVAL;
    if (lv && json_is_true(lv) && !gv->leaving[n]) {
        gv->leaving[n] = true;
        log_info("%s is shutting down: its groups go elsewhere", nname(gv, (size_t)n));
    }
    struct gnode *x = gview_at(gv, (size_t)g, (size_t)n);
    /* Sent before an action it had not seen yet: stale. It reports again after the action. */
    if (x->have_last && (!have_ack || ack.ring != x->last.ring || ack.seq != x->last.seq))
        return 0;
    if (!x->have_last && have_ack) {
        x->last = ack;
        x->have_last = true;
    }
    x->answered = true;
    enum pol_obs old = x->obs;
    x->obs = (enum pol_obs)obs;
    memcpy(x->rs, states, cg->n_resources);
    const char *gname = cg->name;
    if (x->obs == POL_OBS_RUNNING && old != POL_OBS_RUNNING && old != POL_OBS_UNKNOWN)
        event_running(gv, (size_t)g, (size_t)n, x);
    else if (x->obs == POL_OBS_RUNNING && old == POL_OBS_UNKNOWN)
        gv->last_owner[g] = n;
    if (old == POL_OBS_RUNNING && x->obs != POL_OBS_RUNNING)
        went_down(gv, (size_t)g, false);
    if (x->obs == POL_OBS_STOPPED && old == POL_OBS_STOPPING) {
        uint64_t now = time_wall_ms();
        int64_t took = x->stop_ms && now >= x->stop_ms ? (int64_t)(now - x->stop_ms) : -1;
        eventlog_add_group(gv->events, EV_GROUP_STOPPED, nname(gv, (size_t)n), gname, NULL, took,
                           "group %s stopped on %s", gname, nname(gv, (size_t)n));
    }
    if (x->obs == POL_OBS_STOP_FAILED && old != POL_OBS_STOP_FAILED)
        eventlog_add_group(gv->events, EV_GROUP_STOP_FAILED, nname(gv, (size_t)n), gname, NULL, -1,
                           "group %s could not be stopped on %s: the node will be fenced", gname,
                           nname(gv, (size_t)n));
    replan(gv);
    return 0;
}

/* ---- actions ---- */

json_t *gview_action_body(struct gview *gv, const struct pol_action *a)
{
    gv->inflight[a->group]++;
    return json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:s}", "op", a->type == POL_START ? "start" : "stop", "group",
        gv->cfg->groups[a->group].name, "node", nname(gv, a->node), "ring",
        (json_int_t)gv->cl->ring_seq, "seq", (json_int_t)++gv->act_seq, "reason", a->reason);
}

static int deliver_action(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    const char *op = get_str(j, "op", true, err);
    int g = op ? get_group(gv, j, err) : -1;
    int n = g >= 0 ? get_node(gv, j, "node", err) : -1;
    struct act_id id;
    if (n < 0 || !get_u64(j, "ring", &id.ring, err) || !get_u64(j, "seq", &id.seq, err))
        return -EINVAL;
    const char *reason = get_str(j, "reason", false, err);
    if (*err)
        return -EINVAL;
    if (from == gv->cl->local_id && gv->inflight[g] > 0)
        gv->inflight[g]--;
    bool start = strcmp(op, "start") == 0;
    if (!start && strcmp(op, "stop") != 0)
        return *err = xasprintf("unknown action '%.16s'", op), -EINVAL;
    char buf[32];
    if (!gv->cl->quorate && from == gv->cl->lowest_member && from != gv->cl->local_id &&
        id.ring == gv->cl->ring_seq && gv->cl->engine_state == ENGINE_RUNNING) {
        /*
         * Quorum may not be reported here yet: kept until it is, or the
         * membership changes. Never this node's own: it sent it with quorum.
         */
        if (json_array_size(gv->held) >= GVIEW_MAX_HELD) {
            log_warn("dropped a held action: more than %d came before quorum", GVIEW_MAX_HELD);
            json_array_remove(gv->held, 0);
        }
        json_array_append_new(gv->held, json_pack("[I, O]", (json_int_t)from, j));
        log_info("holding a %s of group %s from %s until this node learns the quorum", op,
                 gv->cfg->groups[g].name, cluster_node_name(gv->cl, from, buf));
        return 0;
    }
    if (!gv->cl->quorate || from != gv->cl->coordinator) {
        log_warn("ignored a %s of group %s from %s: it is not the coordinator", op,
                 gv->cfg->groups[g].name, cluster_node_name(gv->cl, from, buf));
        return 0;
    }
    if (id.ring != gv->cl->ring_seq) {
        log_info("ignored a stale %s of group %s (ring %" PRIu64 ", now %" PRIu64 ")", op,
                 gv->cfg->groups[g].name, id.ring, gv->cl->ring_seq);
        return 0;
    }
    struct gnode *x = gview_at(gv, (size_t)g, (size_t)n);
    x->last = id;
    x->have_last = true;
    x->answered = false;
    x->action_mono = time_mono_ms();
    if (start) {
        x->before = x->obs;
        x->start_ms = time_wall_ms();
        x->obs = POL_OBS_STARTING;
    } else {
        x->stop_ms = time_wall_ms();
        if (x->obs == POL_OBS_RUNNING)
            went_down(gv, (size_t)g, false);
        x->obs = POL_OBS_STOPPING;
    }
    if (reason)
        log_info("%s", reason);
    else
        log_info("%s group %s on %s", op, gv->cfg->groups[g].name, nname(gv, (size_t)n));
    if ((int)n == local_index(gv) && gv->hooks && gv->hooks->local_action)
        gv->hooks->local_action(gv->ctx, (size_t)g, start);
    replan(gv);
    return 0;
}

/* ---- failures ---- */

json_t *gview_failure_body(const struct gview *gv, size_t g, size_t r, enum db_fail_kind kind,
                           const char *reason)
{
    int self = local_index(gv);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I}", "node", self >= 0 ? nname(gv, (size_t)self) : "", "group",
        gv->cfg->groups[g].name, "resource", gv->cfg->groups[g].resources[r].name, "kind",
        db_fail_kind_name(kind), "reason", reason ?: "", "ts", (json_int_t)time_wall_ms());
}

static int deliver_failure(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = get_node(gv, j, "node", err);
    int g = n >= 0 ? get_group(gv, j, err) : -1;
    const char *res = g >= 0 ? get_str(j, "resource", true, err) : NULL;
    const char *kind = res ? get_str(j, "kind", true, err) : NULL;
    const char *reason = kind ? get_str(j, "reason", true, err) : NULL;
    uint64_t ts;
    if (!reason || !get_u64(j, "ts", &ts, err))
        return -EINVAL;
    if (gv->cfg->nodes[n].id != from)
        return *err = xasprintf("a failure on %s came from node id %" PRIu32, nname(gv, (size_t)n),
                                from),
               -EINVAL;
    int r = res_index(&gv->cfg->groups[g], res);
    int k = db_fail_kind_parse(kind);
    if (r < 0 || k < 0)
        return *err = xasprintf("unknown resource '%.64s' or kind '%.16s'", res, kind), -EINVAL;
    const char *gname = gv->cfg->groups[g].name;
    bool decisive = false;
    if (gv->cl->quorate) {
        decisive = db_apply_failure(gv->db, (size_t)g, (size_t)r, (size_t)n, (enum db_fail_kind)k,
                                    ts, reason, from);
        save_db(gv);
    }
    const char *then = "";
    switch ((enum db_fail_kind)k) {
    case DB_FAIL_IGNORE:
        then = "ignored (on_fail: ignore)";
        break;
    case DB_FAIL_RESTART:
        then = decisive ? "restart budget used up: failing over" : "restarting in place";
        break;
    case DB_FAIL_FAILOVER:
    case DB_FAIL_START:
        then = "failing over";
        break;
    case DB_FAIL_HALT:
        then = "halting the group";
        break;
    case DB_FAIL_FENCE:
        then = "fencing the node";
        break;
    case DB_FAIL_KIND_MAX:
        break;
    }
    eventlog_add_group(gv->events, EV_RESOURCE_FAILED, nname(gv, (size_t)n), gname, res, -1,
                       "%s of group %s failed on %s: %s; %s", res, gname, nname(gv, (size_t)n),
                       reason, then);
    replan(gv);
    return 0;
}

/* ---- the database ---- */

json_t *gview_db_body(const struct gview *gv)
{
    return json_pack("{s:o}", "db", db_to_json(gv->db));
}

static int deliver_db(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = cluster_node_index(gv->cl, from);
    if (n < 0)
        return *err = xasprintf("a database from unknown node id %" PRIu32, from), -EINVAL;
    struct db *nd = NULL;
    char *e = NULL;
    if (db_from_json(gv->cfg, json_object_get(j, "db"), &nd, &e) < 0) {
        *err = xasprintf("bad database: %s", e);
        free(e);
        return -EINVAL;
    }
    gv->db_seen[n] = true;
    if (db_newer(nd->version, nd->src, gv->db->version, gv->db->src)) {
        log_info("adopting the cluster database version %" PRIu64 " from %s (had %" PRIu64 ")",
                 nd->version, nname(gv, (size_t)n), gv->db->version);
        db_free(gv->db);
        gv->db = nd;
        save_db(gv);
    } else {
        db_free(nd);
    }
    replan(gv);
    return 0;
}

/* ---- intents ---- */

static const char *intent_verb(enum db_intent_op op)
{
    switch (op) {
    case DB_INTENT_START:
        return "started";
    case DB_INTENT_STOP:
        return "stopped";
    case DB_INTENT_MOVE:
        return "moved";
    case DB_INTENT_MANAGE:
        return "managed";
    case DB_INTENT_UNMANAGE:
        return "unmanaged";
    case DB_INTENT_STANDBY:
        return "put in standby";
    case DB_INTENT_ONLINE:
        return "put online";
    case DB_INTENT_CLEANUP:
        return "cleaned up";
    case DB_INTENT_DROP_PREFER:
        return "unpinned";
    case DB_INTENT_OP_MAX:
        break;
    }
    return "changed";
}

static json_t *intent_json(const struct gview *gv, const struct db_intent *in)
{
    json_t *j = json_pack("{s:s}", "op", db_intent_op_name(in->op));
    if (in->group >= 0) {
        const struct cfg_group *cg = &gv->cfg->groups[in->group];
        json_object_set_new(j, "group", json_string(cg->name));
        if (in->resource >= 0)
            json_object_set_new(j, "resource", json_string(cg->resources[in->resource].name));
    }
    if (in->node >= 0)
        json_object_set_new(j, "target", json_string(nname(gv, (size_t)in->node)));
    return j;
}

static int parse_intent(const struct gview *gv, json_t *j, struct db_intent *in, char **err)
{
    const char *op = get_str(j, "op", true, err);
    if (!op)
        return -EINVAL;
    int k = db_intent_op_parse(op);
    if (k < 0)
        return *err = xasprintf("unknown intent '%.32s'", op), -EINVAL;
    *in = (struct db_intent){.op = (enum db_intent_op)k, .group = -1, .node = -1, .resource = -1};
    if (json_object_get(j, "group") && (in->group = get_group(gv, j, err)) < 0)
        return -EINVAL;
    if (json_object_get(j, "target") && (in->node = get_node(gv, j, "target", err)) < 0)
        return -EINVAL;
    const char *res = get_str(j, "resource", false, err);
    if (*err)
        return -EINVAL;
    if (res) {
        if (in->group < 0 || (in->resource = res_index(&gv->cfg->groups[in->group], res)) < 0)
            return *err = xasprintf("unknown resource '%.64s'", res), -EINVAL;
    }
    bool need_group = in->op != DB_INTENT_STANDBY && in->op != DB_INTENT_ONLINE;
    bool need_node = in->op == DB_INTENT_MOVE || !need_group;
    if ((need_group && in->group < 0) || (need_node && in->node < 0))
        return *err = xasprintf("intent '%s' is missing its group or node", op), -EINVAL;
    return 0;
}

void gview_describe_intent(const struct gview *gv, const struct db_intent *in, char *buf,
                           size_t size)
{
    const char *verb = intent_verb(in->op);
    if (in->op == DB_INTENT_STANDBY || in->op == DB_INTENT_ONLINE)
        snprintf(buf, size, "node %s %s", nname(gv, (size_t)in->node), verb);
    else if (in->op == DB_INTENT_MOVE)
        snprintf(buf, size, "group %s %s to %s", gv->cfg->groups[in->group].name, verb,
                 nname(gv, (size_t)in->node));
    else if (in->resource >= 0)
        snprintf(buf, size, "resource %s of group %s %s",
                 gv->cfg->groups[in->group].resources[in->resource].name,
                 gv->cfg->groups[in->group].name, verb);
    else
        snprintf(buf, size, "group %s %s", gv->cfg->groups[in->group].name, verb);
}

static int deliver_intent(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    uint64_t id, origin;
    if (!get_u64(j, "origin", &origin, err) || !get_u64(j, "id", &id, err))
        return -EINVAL;
    if (origin != from)
        return *err = xasprintf("an intent of node id %" PRIu64 " came from node id %" PRIu32,
                                origin, from),
               -EINVAL;
    struct db_intent in;
    if (parse_intent(gv, j, &in, err) < 0)
        return -EINVAL;
    bool ok = gv->cl->quorate;
    char what[256];
    gview_describe_intent(gv, &in, what, sizeof(what));
    char buf[32];
    if (ok && db_apply_intent(gv->db, &in, from)) {
        save_db(gv);
        if (in.op != DB_INTENT_DROP_PREFER)
            eventlog_add_group(gv->events, EV_ADMIN, cluster_node_name(gv->cl, from, buf),
                               in.group >= 0 ? gv->cfg->groups[in.group].name : NULL, NULL, -1,
                               "%s by an admin on %s", what, cluster_node_name(gv->cl, from, buf));
    }
    if (in.op != DB_INTENT_DROP_PREFER) {
        json_t *ack = json_pack("{s:I, s:I, s:b, s:I}", "origin", (json_int_t)origin, "id",
                                (json_int_t)id, "ok", ok, "version", (json_int_t)gv->db->version);
        if (!ok)
            json_object_set_new(ack, "error", json_string("no quorum"));
        send_ack_saved(gv, ack);
    }
    replan(gv);
    return 0;
}

static int deliver_ack(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    uint64_t id, origin;
    if (!get_u64(j, "origin", &origin, err) || !get_u64(j, "id", &id, err))
        return -EINVAL;
    json_t *ok = json_object_get(j, "ok");
    if (!json_is_boolean(ok))
        return *err = xstrdup("'ok' must be true or false"), -EINVAL;
    if (origin != gv->cl->local_id)
        return 0;
    int n = cluster_node_index(gv->cl, from);
    for (size_t p = 0; p < gv->n_pend && n >= 0; p++) {
        struct gview_pending *pd = &gv->pend[p];
        if (pd->id != id)
            continue;
        pd->waiting[n] = false;
        if (!json_is_true(ok) && !pd->failed) {
            pd->failed = true;
            free(pd->msg);
            const char *e = get_str(j, "error", false, err);
            pd->msg = xasprintf("%s refused it: %s", nname(gv, (size_t)n), e ?: "error");
            free(*err);
            *err = NULL;
        }
    }
    gview_expire_intents(gv, 0);
    return 0;
}

int gview_deliver(struct gview *gv, uint32_t from, enum peer_group_kind kind, json_t *body,
                  char **ret_err)
{
    *ret_err = NULL;
    int r = -EINVAL;
    switch (kind) {
    case PEER_G_REPORT:
        r = deliver_report(gv, from, body, ret_err);
        break;
    case PEER_G_ACTION:
        r = deliver_action(gv, from, body, ret_err);
        break;
    case PEER_G_FAILURE:
        r = deliver_failure(gv, from, body, ret_err);
        break;
    case PEER_G_INTENT:
        r = deliver_intent(gv, from, body, ret_err);
        break;
    case PEER_G_ACK:
        r = deliver_ack(gv, from, body, ret_err);
        break;
    case PEER_G_DB:
        r = deliver_db(gv, from, body, ret_err);
        break;
    default: /* the configuration's messages go to cfgsync_deliver */
        *ret_err = xstrdup("not a group message");
        break;
    }
    if (r < 0 && !*ret_err)
        *ret_err = xstrdup("malformed message");
    return r;
}

uint64_t gview_send_intent(struct gview *gv, const struct db_intent *in, char **ret_err)
{
    json_t *j = intent_json(gv, in);
    uint64_t id = ++gv->next_intent;
    json_object_set_new(j, "origin", json_integer(gv->cl->local_id));
    json_object_set_new(j, "id", json_integer((json_int_t)id));
    int r = send_msg(gv, PEER_G_INTENT, j);
    if (r < 0) {
        *ret_err = xasprintf("could not send the request to the cluster: %s", strerror(-r));
        return 0;
    }
    if (in->op == DB_INTENT_DROP_PREFER)
        return id;
    gv->pend = xrealloc(gv->pend, (gv->n_pend + 1) * sizeof(*gv->pend));
    struct gview_pending *pd = &gv->pend[gv->n_pend++];
    memset(pd, 0, sizeof(*pd));
    pd->id = id;
    pd->waiting = xcalloc(n_nodes(gv) ? n_nodes(gv) : 1, sizeof(bool));
    for (size_t n = 0; n < n_nodes(gv); n++)
        pd->waiting[n] = gv->cl->nodes[n].online;
    pd->deadline_ms = time_mono_ms() + GVIEW_INTENT_TIMEOUT_MS;
    return id;
}

void gview_expire_intents(struct gview *gv, uint64_t now_ms)
{
    size_t k = 0;
    for (size_t p = 0; p < gv->n_pend; p++) {
        struct gview_pending *pd = &gv->pend[p];
        bool waiting = false;
        char missing[256] = "";
        for (size_t n = 0; n < n_nodes(gv); n++) {
            if (!pd->waiting[n])
                continue;
            waiting = true;
            size_t len = strlen(missing);
            snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "", nname(gv, n));
        }
        bool expired = now_ms && now_ms >= pd->deadline_ms;
        if (waiting && !expired) {
            gv->pend[k++] = *pd;
            continue;
        }
        _cleanup_free_ char *msg = NULL;
        if (pd->failed)
            msg = xstrdup(pd->msg ?: "failed");
        else if (waiting)
            msg = xasprintf("not acknowledged within %d s by: %s", GVIEW_INTENT_TIMEOUT_MS / 1000,
                            missing);
        if (gv->hooks && gv->hooks->intent_done)
            gv->hooks->intent_done(gv->ctx, pd->id, !msg, msg);
        pending_free(pd);
    }
    gv->n_pend = k;
}

/* ---- planning ---- */

struct plan_in {
    struct pol_input in;
    struct pol_node *nodes;
    struct pol_group *groups;
    enum pol_obs *obs;
};

static void plan_in_build(const struct gview *gv, struct plan_in *p)
{
    const struct cfg *cfg = gv->cfg;
    size_t nn = cfg->n_nodes ? cfg->n_nodes : 1, ng = cfg->n_groups ? cfg->n_groups : 1;
    p->nodes = xcalloc(nn, sizeof(*p->nodes));
    p->groups = xcalloc(ng, sizeof(*p->groups));
    p->obs = xcalloc(ng * nn, sizeof(*p->obs));
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        const struct node_view *v = &gv->cl->nodes[n];
        p->nodes[n].online = v->online;
        p->nodes[n].fence = v->fence == FENCE_STATE_UNCLEAN  ? POL_NODE_UNCLEAN
                            : v->fence == FENCE_STATE_FENCED ? POL_NODE_FENCED
                                                             : POL_NODE_CLEAN;
        p->nodes[n].standby = gv->db->standby[n];
        p->nodes[n].leaving = gv->leaving[n];
        p->nodes[n].unseen = v->unseen && !v->online;
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct db_group *D = &gv->db->groups[g];
        struct pol_group *G = &p->groups[g];
        G->target_started = !D->stopped;
        G->managed = !D->unmanaged;
        G->prefer = D->prefer;
        G->halted = D->halted;
        G->banned = D->banned;
        G->fence_wanted = D->fence_wanted;
        G->obs = p->obs + g * nn;
        for (size_t n = 0; n < cfg->n_nodes; n++)
            p->obs[g * nn + n] = gview_at(gv, g, n)->obs;
        G->last_owner = gv->last_owner[g];
        if (gv->have_rt_domain[g]) {
            G->domain = gv->rt_domain[g];
            G->n_domain = gv->n_rt_domain[g];
        }
    }
    p->in = (struct pol_input){
        .cfg = cfg, .quorate = gv->cl->quorate, .nodes = p->nodes, .groups = p->groups};
}

static void plan_in_free(struct plan_in *p)
{
    free(p->nodes);
    free(p->groups);
    free(p->obs);
}

void gview_plan(struct gview *gv, struct pol_output *out)
{
    struct plan_in p;
    plan_in_build(gv, &p);
    policy_plan(&p.in, out);
    plan_in_free(&p);
    /* Events for what only the plan sees: a group no node can run, several active copies. */
    for (size_t g = 0; g < gv->cfg->n_groups; g++) {
        const struct pol_group_out *o = &out->groups[g];
        const char *gname = gv->cfg->groups[g].name;
        if (o->multi_active && !gv->multi[g]) {
            log_error("group %s is active on more than one node: %s", gname, o->why);
            eventlog_add_group(gv->events, EV_GROUP_MULTI_ACTIVE, NULL, gname, NULL, -1,
                               "group %s found %s; stopping all but one", gname, o->why);
        }
        gv->multi[g] = o->multi_active;
        if ((o->state == POL_ST_FAILED || o->state == POL_ST_HALTED) && gv->shown[g] != o->state &&
            gv->cl->quorate)
            eventlog_add_group(gv->events, EV_GROUP_FAILED, NULL, gname, NULL, -1,
                               "group %s %s: %s", gname,
                               o->state == POL_ST_HALTED ? "halted" : "cannot run", o->why);
        gv->shown[g] = o->state;
    }
}

static void send_action(struct gview *gv, const struct pol_action *a)
{
    int r = send_msg(gv, PEER_G_ACTION, gview_action_body(gv, a));
    if (r < 0) {
        gv->inflight[a->group]--;
        log_warn("could not send %s of group %s: %s", pol_action_name(a->type),
                 gv->cfg->groups[a->group].name, strerror(-r));
    }
}

/* The coordinator's start or stop of group g on node n, delivered but not answered in time. */
static bool unanswered(const struct gview *gv, size_t g, size_t n, uint64_t now)
{
    const struct gnode *x = gview_at(gv, g, n);
    return (x->obs == POL_OBS_STARTING || x->obs == POL_OBS_STOPPING) && x->have_last &&
           !x->answered && gv->cl->nodes[n].online && now >= x->action_mono + gv->answer_ms;
}

static void ask_again(struct gview *gv, size_t g, size_t n)
{
    struct gnode *x = gview_at(gv, g, n);
    struct pol_action a = {
        .type = x->obs == POL_OBS_STARTING ? POL_START : POL_STOP, .group = g, .node = n};
    const char *op = a.type == POL_START ? "start" : "stop";
    snprintf(a.reason, sizeof(a.reason), "%s group %s on %s again: it did not answer in %u s", op,
             gv->cfg->groups[g].name, nname(gv, n), (unsigned)(gv->answer_ms / 1000));
    log_warn("%s has not answered the %s of group %s in %u s: sending it again", nname(gv, n), op,
             gv->cfg->groups[g].name, (unsigned)(gv->answer_ms / 1000));
    x->action_mono = time_mono_ms(); /* not again before this one is delivered */
    send_action(gv, &a);
}

void gview_check_answers(struct gview *gv, uint64_t now_ms)
{
    const struct cluster *cl = gv->cl;
    if (!cl->quorate || !cl->local_id || cl->coordinator != cl->local_id)
        return;
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            if (unanswered(gv, g, n, now_ms)) {
                replan(gv);
                return;
            }
}

void gview_coordinate(struct gview *gv, bool may_act)
{
    struct pol_output out = {0};
    gview_plan(gv, &out);
    const struct cluster *cl = gv->cl;
    bool coord = may_act && cl->quorate && cl->local_id && cl->coordinator == cl->local_id &&
                 gview_synced(gv) && !gv->blocked;
    for (size_t i = 0; coord && i < out.n_actions; i++) {
        const struct pol_action *a = &out.actions[i];
        if (a->type == POL_FENCE) {
            if (gv->fence_asked[a->node] || cl->nodes[a->node].fencing)
                continue;
            gv->fence_asked[a->node] = true;
            log_warn("fencing %s: %s", nname(gv, a->node), a->reason);
            if (gv->hooks && gv->hooks->fence)
                gv->hooks->fence(gv->ctx, a->node, a->reason);
            continue;
        }
        if (gv->inflight[a->group] || gv->hold[a->group])
            continue;
        send_action(gv, a);
    }
    uint64_t now = time_mono_ms();
    for (size_t g = 0; coord && g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++)
            if (unanswered(gv, g, n, now) && !gv->inflight[g])
                ask_again(gv, g, n);
    for (size_t g = 0; coord && g < gv->cfg->n_groups; g++) {
        if (gv->db->groups[g].prefer < 0)
            gv->drop_sent[g] = false;
        if (!out.groups[g].drop_prefer || gv->drop_sent[g])
            continue;
        gv->drop_sent[g] = true;
        struct db_intent in = {
            .op = DB_INTENT_DROP_PREFER, .group = (int)g, .node = -1, .resource = -1};
        _cleanup_free_ char *err = NULL;
        if (!gview_send_intent(gv, &in, &err))
            log_warn("%s", err);
    }
    pol_output_clear(&out);
}

void gview_set_domain(struct gview *gv, size_t g, const size_t *d, size_t n)
{
    free(gv->rt_domain[g]);
    gv->rt_domain[g] = NULL;
    gv->n_rt_domain[g] = 0;
    gv->have_rt_domain[g] = d != NULL;
    if (d) {
        gv->rt_domain[g] = xcalloc(n ? n : 1, sizeof(size_t));
        memcpy(gv->rt_domain[g], d, n * sizeof(size_t));
        gv->n_rt_domain[g] = n;
    }
    replan(gv);
}

/* ---- admin intents ---- */

int gview_check_intent(const struct gview *gv, struct db_intent *in, char **ret_err)
{
    const struct cfg *cfg = gv->cfg;
    if (!gv->cl->quorate) {
        *ret_err = xstrdup("refused: this node's partition has no quorum; an intent needs a "
                           "quorate cluster to be agreed");
        return -EINVAL;
    }
    if (in->op == DB_INTENT_START) {
        /* Refuse a start that cannot happen: plan as if started, and say why (the policy's words).
         */
        struct plan_in p;
        plan_in_build(gv, &p);
        p.groups[in->group].target_started = true;
        p.groups[in->group].halted = false;
        struct pol_output out = {0};
        policy_plan(&p.in, &out);
        plan_in_free(&p);
        const struct cfg_group *cg = &cfg->groups[in->group];
        int r = 0;
        if (out.groups[in->group].state == POL_ST_FAILED) {
            *ret_err = xasprintf("refused: group %s cannot start: %s; vigil cleanup %s clears "
                                 "failures",
                                 cg->name, out.groups[in->group].why, cg->name);
            r = -EINVAL;
        }
        pol_output_clear(&out);
        return r;
    }
    if (in->op != DB_INTENT_MOVE)
        return 0;
    const struct cfg_group *cg = &cfg->groups[in->group];
    struct plan_in p;
    plan_in_build(gv, &p);
    int current = -1;
    for (size_t n = 0; n < cfg->n_nodes; n++)
        if (gv->cl->nodes[n].online && pol_obs_active(gview_at(gv, (size_t)in->group, n)->obs))
            current = (int)n;
    int r = 0;
    if (in->node < 0) {
        in->node = policy_next_node(&p.in, (size_t)in->group, current);
        if (in->node < 0) {
            *ret_err = xasprintf("refused: no other node can run group %s now", cg->name);
            r = -EINVAL;
        }
    } else {
        bool in_domain = false;
        for (size_t i = 0; i < cg->n_domain; i++)
            in_domain |= cg->domain[i] == (size_t)in->node;
        const struct node_view *v = &gv->cl->nodes[in->node];
        const char *why = !in_domain                  ? "is not in its domain"
                          : !v->online                ? "is offline"
                          : gv->db->standby[in->node] ? "is in standby"
                          : gv->db->groups[in->group].banned[in->node]
                              ? "has failed it (vigil cleanup first)"
                              : NULL;
        if (why) {
            *ret_err = xasprintf("refused: %s %s for group %s", nname(gv, (size_t)in->node), why,
                                 cg->name);
            r = -EINVAL;
        }
    }
    plan_in_free(&p);
    return r;
}

/* ---- status ---- */

static json_t *res_type_json(const struct cfg_resource *r)
{
    if (r->type == CFG_RES_OCF)
        return json_sprintf("ocf:%s:%s", r->provider, r->agent);
    if (r->type == CFG_RES_LSB)
        return json_sprintf("lsb:%s", r->agent);
    return json_string(cfg_res_type_name(r->type));
}

json_t *gview_status_json(struct gview *gv)
{
    const struct cfg *cfg = gv->cfg;
    struct pol_output out = {0};
    struct plan_in p;
    plan_in_build(gv, &p);
    policy_plan(&p.in, &out);
    plan_in_free(&p);
    json_t *arr = json_array();
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct cfg_group *cg = &cfg->groups[g];
        const struct db_group *D = &gv->db->groups[g];
        const struct pol_group_out *o = &out.groups[g];
        /* Where it is: the node it is active on (or will run on). */
        int at = -1;
        for (size_t n = 0; n < cfg->n_nodes; n++)
            if (gv->cl->nodes[n].online && pol_obs_active(gview_at(gv, g, n)->obs))
                at = (int)n;
        if (at < 0)
            at = o->node;
        json_t *res = json_array();
        uint32_t total = 0;
        for (size_t r = 0; r < cg->n_resources; r++) {
            enum res_state rs =
                at >= 0 ? (enum res_state)gview_at(gv, g, (size_t)at)->rs[r] : RES_ST_STOPPED;
            total += D->res_failures[r];
            json_t *jr = json_pack("{s:s, s:o, s:s, s:i}", "name", cg->resources[r].name, "type",
                                   res_type_json(&cg->resources[r]), "state", res_state_name(rs),
                                   "failures", (int)D->res_failures[r]);
            for (size_t i = D->n_history; i-- > 0;) {
                const struct db_failure *f = &D->history[i];
                if (f->resource != r)
                    continue;
                char ts[32];
                json_object_set_new(jr, "last_failure",
                                    json_pack("{s:s, s:s, s:I, s:s, s:s}", "node",
                                              nname(gv, f->node), "reason", f->reason, "ts_ms",
                                              (json_int_t)f->ts_ms, "time",
                                              time_format_wall_ms(f->ts_ms, ts), "kind",
                                              db_fail_kind_name(f->kind)));
                break;
            }
            json_array_append_new(res, jr);
        }
        json_t *nodes = json_object();
        for (size_t n = 0; n < cfg->n_nodes; n++)
            json_object_set_new(nodes, nname(gv, n),
                                json_string(pol_obs_name(gview_at(gv, g, n)->obs)));
        json_t *banned = json_array();
        for (size_t n = 0; n < cfg->n_nodes; n++)
            if (D->banned[n])
                json_array_append_new(banned, json_string(nname(gv, n)));
        json_t *jg = json_pack(
            "{s:s, s:s, s:o, s:b, s:b, s:o, s:o, s:i, s:o, s:o}", "name", cg->name, "state",
            pol_state_name(o->state), "node",
            at >= 0 ? json_string(nname(gv, (size_t)at)) : json_null(), "managed", !D->unmanaged,
            "target_started", !D->stopped, "prefer",
            D->prefer >= 0 ? json_string(nname(gv, (size_t)D->prefer)) : json_null(), "banned",
            banned, "failures", (int)total, "resources", res, "on_nodes", nodes);
        if (o->why[0])
            json_object_set_new(jg, "why", json_string(o->why));
        if (D->n_history) {
            const struct db_failure *f = &D->history[D->n_history - 1];
            char ts[32];
            json_object_set_new(
                jg, "last_failure",
                json_pack("{s:s, s:s, s:s, s:I, s:s}", "resource", cg->resources[f->resource].name,
                          "node", nname(gv, f->node), "reason", f->reason, "ts_ms",
                          (json_int_t)f->ts_ms, "time", time_format_wall_ms(f->ts_ms, ts)));
        }
        json_array_append_new(arr, jg);
    }
    pol_output_clear(&out);
    return arr;
}
