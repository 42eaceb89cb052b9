/* The group view's messages: their bodies, and what each one delivered does to the view. */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* ---- message fields ---- */

const char *gview_get_str(json_t *j, const char *key, bool required, char **err)
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

bool gview_get_u64(json_t *j, const char *key, uint64_t *ret, char **err)
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

int gview_get_node(const struct gview *gv, json_t *j, const char *key, char **err)
{
    const char *s = gview_get_str(j, key, true, err);
    if (!s)
        return -1;
    const struct cfg_node *nd = cfg_node_by_name(gv->cfg, s);
    if (!nd && !*err)
        *err = xasprintf("unknown node '%.64s'", s);
    return nd ? (int)(nd - gv->cfg->nodes) : -1;
}

int gview_get_group(const struct gview *gv, json_t *j, char **err)
{
    const char *s = gview_get_str(j, "group", true, err);
    if (!s)
        return -1;
    const struct cfg_group *cg = cfg_group_by_name(gv->cfg, s);
    if (!cg && !*err)
        *err = xasprintf("unknown group '%.64s'", s);
    return cg ? (int)cfg_group_index(gv->cfg, cg) : -1;
}

int gview_res_index(const struct cfg_group *cg, const char *name)
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
                          const uint8_t *res_states, bool promoted, bool leaving)
{
    int self = local_index(gv);
    const struct cfg_group *cg = &gv->cfg->groups[g];
    json_t *rs = json_array();
    for (size_t r = 0; r < cg->n_resources; r++)
        json_array_append_new(rs, json_string(res_state_name((enum res_state)res_states[r])));
    json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "node", self >= 0 ? nname(gv, (size_t)self) : "",
                          "group", cg->name, "state", pol_obs_name(obs), "resources", rs);
    if (promoted)
        json_object_set_new(j, "promoted", json_true());
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

void gview_report_notified(json_t *report, struct act_id id)
{
    json_object_set_new(
        report, "notified",
        json_pack("{s:I, s:I}", "ring", (json_int_t)id.ring, "seq", (json_int_t)id.seq));
}

static int64_t since(uint64_t then, uint64_t now)
{
    return then && now >= then ? (int64_t)(now - then) : -1;
}

/* Group g runs on node n after a start (a single group, or a copy of a clone or promotable one). */
static void event_running(struct gview *gv, size_t g, size_t n, struct gnode *x)
{
    const char *gname = gv->cfg->groups[g].name;
    uint64_t now = time_wall_ms();
    int64_t took = since(x->start_ms, now);
    if (gview_kind(gv, g) != CFG_KIND_SINGLE) {
        /* A copy: its group neither moved nor recovered (see the promoted event). */
        const char *what = gview_kind(gv, g) == CFG_KIND_PROMOTABLE ? " (replica)" : "";
        if (x->before == POL_OBS_FAILED)
            eventlog_add_group(gv->events, EV_GROUP_RESTARTED, nname(gv, n), gname, NULL, took,
                               "group %s restarted on %s%s", gname, nname(gv, n), what);
        else
            eventlog_add_group(gv->events, EV_GROUP_STARTED, nname(gv, n), gname, NULL, took,
                               "group %s started on %s%s", gname, nname(gv, n), what);
        return;
    }
    int64_t gap = since(gv->down_ms[g], now);
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

/*
 * A promotable group's copy on node n became primary after a promote (it
 * took `took` ms): group_promoted, naming the primary before it when that
 * was another node (lost, or demoted by a switchover) and for how long no
 * primary ran.
 */
static void event_promoted(struct gview *gv, size_t g, size_t n, struct gnode *x)
{
    const char *gname = gv->cfg->groups[g].name;
    uint64_t now = time_wall_ms();
    int64_t took = since(x->role_ms, now), gap = since(gv->down_ms[g], now);
    int prev = gv->last_owner[g];
    char extra[160] = "";
    if (prev >= 0 && (size_t)prev != n && gap >= 0)
        snprintf(extra, sizeof(extra), " after the %s of %s (no primary for %lld ms)",
                 gv->lost[g] ? "loss" : "demotion", nname(gv, (size_t)prev), (long long)gap);
    else if (prev >= 0 && (size_t)prev != n)
        snprintf(extra, sizeof(extra), " (primary before: %s)", nname(gv, (size_t)prev));
    eventlog_add_group(gv->events, EV_GROUP_PROMOTED, nname(gv, n), gname, NULL, took,
                       "group %s promoted on %s%s", gname, nname(gv, n), extra);
    gv->last_owner[g] = (int)n;
    gv->down_ms[g] = 0;
    gv->lost[g] = false;
}

/* What a report that changed group g's state on node n from old means: events, gaps, primaries. */
static void report_changed(struct gview *gv, size_t g, size_t n, struct gnode *x,
                           const struct gnode *before)
{
    enum pol_obs old = before->obs;
    const char *gname = gv->cfg->groups[g].name;
    uint64_t now = time_wall_ms();
    bool promotable = gview_kind(gv, g) == CFG_KIND_PROMOTABLE;
    if (promotable && x->obs == POL_OBS_PRIMARY && old != POL_OBS_PRIMARY) {
        if (old == POL_OBS_UNKNOWN)
            gv->last_owner[g] = (int)n; /* found primary by its probe */
        else
            event_promoted(gv, g, n, x);
    } else if (promotable && x->obs == POL_OBS_RUNNING && old == POL_OBS_DEMOTING) {
        eventlog_add_group(gv->events, EV_GROUP_DEMOTED, nname(gv, n), gname, NULL,
                           since(x->role_ms, now), "group %s demoted on %s (now a replica)", gname,
                           nname(gv, n));
    } else if (x->obs == POL_OBS_RUNNING && old != POL_OBS_RUNNING && old != POL_OBS_UNKNOWN &&
               (gview_kind(gv, g) == CFG_KIND_SINGLE || old == POL_OBS_STARTING)) {
        /* A copy: only after a start (not a promote refused, a primary found a replica). */
        event_running(gv, g, n, x);
    } else if (x->obs == POL_OBS_RUNNING && old == POL_OBS_UNKNOWN &&
               gview_kind(gv, g) == CFG_KIND_SINGLE) {
        gv->last_owner[g] = (int)n;
    }
    /* It no longer serves there: the gap of the next start (or promotion) counts from now. */
    if (gview_kind(gv, g) == CFG_KIND_SINGLE
            ? old == POL_OBS_RUNNING && x->obs != POL_OBS_RUNNING
            : promotable && gview_serving(gv, g, before) && !gview_serving(gv, g, x))
        gview_went_down(gv, g, false);
    if (x->obs == POL_OBS_STOPPED && old == POL_OBS_STOPPING)
        eventlog_add_group(gv->events, EV_GROUP_STOPPED, nname(gv, n), gname, NULL,
                           since(x->stop_ms, now), "group %s stopped on %s", gname, nname(gv, n));
    if (x->obs == POL_OBS_STOP_FAILED && old != POL_OBS_STOP_FAILED)
        eventlog_add_group(gv->events, EV_GROUP_STOP_FAILED, nname(gv, n), gname, NULL, -1,
                           "group %s could not be stopped on %s: the node will be fenced", gname,
                           nname(gv, n));
}

static int deliver_report(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = gview_get_node(gv, j, "node", err);
    int g = n >= 0 ? gview_get_group(gv, j, err) : -1;
    const char *st = g >= 0 ? gview_get_str(j, "state", true, err) : NULL;
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
        if (!gview_get_u64(a, "ring", &ack.ring, err) || !gview_get_u64(a, "seq", &ack.seq, err))
            return -EINVAL;
        have_ack = true;
    }
    json_t *pr = json_object_get(j, "promoted");
    if (pr && !json_is_boolean(pr))
        return *err = xstrdup("'promoted' must be true or false"), -EINVAL;
    json_t *lv = json_object_get(j, "leaving");
    if (lv && !json_is_boolean(lv))
        return *err = xstrdup("'leaving' must be true or false"), -EINVAL;
    if (lv && json_is_true(lv) && !gv->leaving[n]) {
        gv->leaving[n] = true;
        log_info("%s is shutting down: its groups go elsewhere", nname(gv, (size_t)n));
    }
    struct gnode *x = gview_at(gv, (size_t)g, (size_t)n);
    json_t *nf = json_object_get(j, "notified");
    if (nf) {
        /* The answer to a notification, stale or not as a report of the group. */
        struct act_id id;
        if (!gview_get_u64(nf, "ring", &id.ring, err) || !gview_get_u64(nf, "seq", &id.seq, err))
            return -EINVAL;
        gview_notify_answered(gv, (size_t)g, (size_t)n, id);
    }
    /* Sent before an action it had not seen yet: stale. It reports again after the action. */
    if (x->have_last && (!have_ack || ack.ring != x->last.ring || ack.seq != x->last.seq))
        return 0;
    if (!x->have_last && have_ack) {
        x->last = ack;
        x->have_last = true;
    }
    x->answered = true;
    struct gnode before = *x;
    x->obs = (enum pol_obs)obs;
    /* Only promotable groups have primaries; an older peer sends no "promoted": false. */
    x->promoted = gview_kind(gv, (size_t)g) == CFG_KIND_PROMOTABLE && pr && json_is_true(pr);
    memcpy(x->rs, states, cg->n_resources);
    report_changed(gv, (size_t)g, (size_t)n, x, &before);
    gview_replan(gv);
    return 0;
}

/* ---- actions ---- */

/* Actions kept while this node does not know its partition's quorum yet. */
#define GVIEW_MAX_HELD 256

/* The action named op ("start", "stop", "promote", "demote"; fence is no message), or -1. */
static int action_parse(const char *op)
{
    static const enum pol_action_type ops[] = {POL_START, POL_STOP, POL_PROMOTE, POL_DEMOTE};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(op, pol_action_name(ops[i])) == 0)
            return (int)ops[i];
    return -1;
}

json_t *gview_action_body(struct gview *gv, const struct pol_action *a)
{
    gv->inflight[a->group]++;
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "op", pol_action_name(a->type), "group",
                     gv->cfg->groups[a->group].name, "node", nname(gv, a->node), "ring",
                     (json_int_t)gv->cl->ring_seq, "seq", (json_int_t)++gv->act_seq, "reason",
                     a->reason);
}

int gview_deliver_action(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    const char *op = gview_get_str(j, "op", true, err);
    if (op && strcmp(op, "notify") == 0) /* no node of its own, nothing in flight */
        return gview_notify_deliver(gv, from, j, err);
    int g = op ? gview_get_group(gv, j, err) : -1;
    int n = g >= 0 ? gview_get_node(gv, j, "node", err) : -1;
    struct act_id id;
    if (n < 0 || !gview_get_u64(j, "ring", &id.ring, err) || !gview_get_u64(j, "seq", &id.seq, err))
        return -EINVAL;
    const char *reason = gview_get_str(j, "reason", false, err);
    if (*err)
        return -EINVAL;
    if (from == gv->cl->local_id && gv->inflight[g] > 0)
        gv->inflight[g]--;
    int type = action_parse(op);
    if (type < 0)
        return *err = xasprintf("unknown action '%.16s'", op), -EINVAL;
    if ((type == POL_PROMOTE || type == POL_DEMOTE) &&
        gview_kind(gv, (size_t)g) != CFG_KIND_PROMOTABLE)
        return *err = xasprintf("a %s of group %s, which is not promotable", op,
                                gv->cfg->groups[g].name),
               -EINVAL;
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
    bool serving = gview_kind(gv, (size_t)g) == CFG_KIND_SINGLE ? x->obs == POL_OBS_RUNNING
                                                                : gview_serving(gv, (size_t)g, x);
    switch ((enum pol_action_type)type) {
    case POL_START:
        x->before = x->obs;
        x->start_ms = time_wall_ms();
        x->obs = POL_OBS_STARTING;
        break;
    case POL_PROMOTE:
        /* Promoted resources may be active there from now on, until it says otherwise. */
        x->role_ms = time_wall_ms();
        x->obs = POL_OBS_PROMOTING;
        x->promoted = true;
        break;
    case POL_DEMOTE:
        x->role_ms = time_wall_ms();
        x->obs = POL_OBS_DEMOTING;
        if (serving)
            gview_went_down(gv, (size_t)g, false);
        break;
    default:
        x->stop_ms = time_wall_ms();
        if (serving)
            gview_went_down(gv, (size_t)g, false);
        x->obs = POL_OBS_STOPPING;
        break;
    }
    if (reason)
        log_info("%s", reason);
    else
        log_info("%s group %s on %s", op, gv->cfg->groups[g].name, nname(gv, (size_t)n));
    if ((int)n == local_index(gv) && gv->hooks && gv->hooks->local_action)
        gv->hooks->local_action(gv->ctx, (size_t)g, (enum pol_action_type)type);
    gview_replan(gv);
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
        db_fail_kind_name(kind), "reason", reason ?: "", "ts", (json_int_t)gv->wall_ms());
}

static int deliver_failure(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = gview_get_node(gv, j, "node", err);
    int g = n >= 0 ? gview_get_group(gv, j, err) : -1;
    const char *res = g >= 0 ? gview_get_str(j, "resource", true, err) : NULL;
    const char *kind = res ? gview_get_str(j, "kind", true, err) : NULL;
    const char *reason = kind ? gview_get_str(j, "reason", true, err) : NULL;
    uint64_t ts;
    if (!reason || !gview_get_u64(j, "ts", &ts, err))
        return -EINVAL;
    if (gv->cfg->nodes[n].id != from)
        return *err = xasprintf("a failure on %s came from node id %" PRIu32, nname(gv, (size_t)n),
                                from),
               -EINVAL;
    int r = gview_res_index(&gv->cfg->groups[g], res);
    int k = db_fail_kind_parse(kind);
    if (r < 0 || k < 0)
        return *err = xasprintf("unknown resource '%.64s' or kind '%.16s'", res, kind), -EINVAL;
    const char *gname = gv->cfg->groups[g].name;
    bool decisive = false;
    if (gv->cl->quorate) {
        decisive = db_apply_failure(gv->db, (size_t)g, (size_t)r, (size_t)n, (enum db_fail_kind)k,
                                    ts, reason, from);
        gview_retry_delivered(gv, (size_t)g, (size_t)n, ts);
        gview_save_db(gv);
    }
    const char *then = "";
    char backoff[96];
    switch ((enum db_fail_kind)k) {
    case DB_FAIL_IGNORE:
        then = "ignored (on_fail: ignore)";
        break;
    case DB_FAIL_RESTART:
        then = decisive ? "restart budget used up: failing over" : "restarting in place";
        if (!decisive && gv->cl->quorate) {
            uint64_t wait = db_restart_delay_ms(gv->db, (size_t)g, (size_t)n);
            char dur[32];
            if (wait)
                snprintf(backoff, sizeof(backoff), "restarting in place in %s (back-off)",
                         dur_format(wait, dur));
            if (wait)
                then = backoff;
        }
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
    gview_replan(gv);
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
    if (db_should_adopt(gv->db, nd)) {
        log_info("adopting the cluster database version %" PRIu64 " from %s (had %" PRIu64 "%s)",
                 nd->version, nname(gv, (size_t)n), gv->db->version,
                 gv->db->complete ? "" : ", without transient attributes");
        db_free(gv->db);
        gv->db = nd;
        gview_save_db(gv);
    } else {
        db_free(nd);
    }
    gview_replan(gv);
    return 0;
}

/* ---- dispatch ---- */

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
        r = gview_deliver_action(gv, from, body, ret_err);
        break;
    case PEER_G_FAILURE:
        r = deliver_failure(gv, from, body, ret_err);
        break;
    case PEER_G_INTENT:
        r = gview_deliver_intent(gv, from, body, ret_err);
        break;
    case PEER_G_ACK:
        r = gview_deliver_ack(gv, from, body, ret_err);
        break;
    case PEER_G_DB:
        r = deliver_db(gv, from, body, ret_err);
        break;
    case PEER_G_EXPIRE:
        r = gview_deliver_expire(gv, from, body, ret_err);
        break;
    case PEER_G_ATTR:
        r = gview_deliver_attr(gv, from, body, ret_err);
        break;
    default: /* the configuration's messages go to cfgsync_deliver */
        *ret_err = xstrdup("not a group message");
        break;
    }
    if (r < 0 && !*ret_err)
        *ret_err = xstrdup("malformed message");
    return r;
}
