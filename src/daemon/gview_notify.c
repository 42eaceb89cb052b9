/*
 * Notifications of the copies of clone and promotable groups (notify: true),
 * as Pacemaker gives them to agents such as pgsqlms: before an operation of
 * the group (pre-OP) every copy that runs is told what is about to happen,
 * and after it (post-OP) what happened. The coordinator carries out such a
 * group's actions one operation type at a time, in Pacemaker's order
 * (demote, stop, start, promote):
 *
 *   IDLE -> PRE: the first type in that order among the plan's actions of
 *          the group; a "notify" action (pre) to every node with a running
 *          copy, naming the nodes of each list;
 *   PRE  -> OP:  every node notified answered (a report with "notified"),
 *          left, or the notify timeout passed: the actions of that type
 *          that the current plan still has are sent;
 *   OP   -> POST: they came back and no node of theirs is still starting,
 *          stopping, promoting or demoting: "notify" (post) to every node
 *          with a running copy now;
 *   POST -> IDLE: answered (as PRE); the next plan gives the next type.
 *
 * The runs are the coordinator's own (not replicated): a new membership or
 * configuration forgets them and the next plan begins afresh (an agent may
 * then see a pre-OP twice, as after an aborted Pacemaker transition). What
 * every member applies is per copy: the last notification id and whether
 * it is still unanswered (gnode.notify_id, notify_wait).
 */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Notify timeout when no resource of the group has one (pgsqlms's meta-data says 60 s). */
#define NOTIFY_DEFAULT_MS 60000

enum phase { NR_IDLE, NR_PRE, NR_OP, NR_POST };

struct notify_run {
    enum phase phase;
    enum pol_action_type type;
    struct pol_action *acts; /* this type's actions of the plan that began the run */
    size_t n_acts;
    struct act_id id;  /* the notification sent last */
    bool *to;          /* per node: it was sent that notification */
    uint64_t deadline; /* monotonic (the view's clock) */
};

struct gview_notify {
    size_t n_groups, n_nodes;
    struct notify_run *runs;
};

static const enum pol_action_type order[] = {POL_DEMOTE, POL_STOP, POL_START, POL_PROMOTE};

static const char *const list_names[RES_NL_MAX] = {
    [RES_NL_ACTIVE] = "active",     [RES_NL_INACTIVE] = "inactive",     [RES_NL_START] = "start",
    [RES_NL_STOP] = "stop",         [RES_NL_PROMOTE] = "promote",       [RES_NL_DEMOTE] = "demote",
    [RES_NL_PROMOTED] = "promoted", [RES_NL_UNPROMOTED] = "unpromoted",
};

bool gview_notify_wanted(const struct gview *gv, size_t g)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    if (!cg->notify || cg->kind == CFG_KIND_SINGLE)
        return false;
    /* Only ocf agents are notified: without one, notify is ignored (the loader warns). */
    for (size_t r = 0; r < cg->n_resources; r++)
        if (cg->resources[r].type == CFG_RES_OCF)
            return true;
    return false;
}

void gview_notify_reset(struct gview *gv)
{
    struct gview_notify *nt = gv->notify;
    if (!nt)
        return;
    for (size_t g = 0; g < nt->n_groups; g++) {
        free(nt->runs[g].acts);
        free(nt->runs[g].to);
    }
    free(nt->runs);
    free(nt);
    gv->notify = NULL;
}

static struct notify_run *run_of(struct gview *gv, size_t g)
{
    if (!gv->notify) {
        struct gview_notify *nt = xcalloc(1, sizeof(*nt));
        nt->n_groups = gv->cfg->n_groups;
        nt->n_nodes = n_nodes(gv);
        nt->runs = xcalloc(nt->n_groups ? nt->n_groups : 1, sizeof(*nt->runs));
        for (size_t i = 0; i < nt->n_groups; i++)
            nt->runs[i].to = xcalloc(nt->n_nodes ? nt->n_nodes : 1, sizeof(bool));
        gv->notify = nt;
    }
    return &gv->notify->runs[g];
}

/* The operation an action type is for the agents. */
static enum res_op op_of(enum pol_action_type t)
{
    switch (t) {
    case POL_STOP:
        return RES_OP_STOP;
    case POL_PROMOTE:
        return RES_OP_PROMOTE;
    case POL_DEMOTE:
        return RES_OP_DEMOTE;
    default:
        return RES_OP_START;
    }
}

/* A copy whose agents run there (what is notified, and the "active" list). */
static bool copy_active(const struct gview *gv, size_t g, size_t n)
{
    switch (gview_at(gv, g, n)->obs) {
    case POL_OBS_RUNNING:
    case POL_OBS_PARTIAL:
    case POL_OBS_PROMOTING:
    case POL_OBS_PRIMARY:
    case POL_OBS_DEMOTING:
        return gv->cl->nodes[n].online;
    default:
        return false;
    }
}

static bool copy_promoted(const struct gview *gv, size_t g, size_t n)
{
    const struct gnode *x = gview_at(gv, g, n);
    return x->promoted || x->obs == POL_OBS_PRIMARY || x->obs == POL_OBS_PROMOTING;
}

static uint64_t timeout_ms(const struct gview *gv, size_t g)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    uint64_t t = 0;
    for (size_t r = 0; r < cg->n_resources; r++)
        if (cg->resources[r].notify_timeout_ms > t)
            t = cg->resources[r].notify_timeout_ms;
    /* The agent's time, and the time to hear of it. */
    return (t ? t : NOTIFY_DEFAULT_MS) + GVIEW_ACTION_ANSWER_MS;
}

static void add_name(json_t *lists, enum res_notify_list l, const struct gview *gv, size_t n)
{
    json_array_append_new(json_object_get(lists, list_names[l]), json_string(nname(gv, n)));
}

/*
 * Sends the pre (post false) or post notification of run's operation to
 * every node with a running copy; false when there is none (nothing to
 * wait for).
 */
static bool send_notify(struct gview *gv, size_t g, struct notify_run *run, bool post)
{
    const struct cfg_group *cg = &gv->cfg->groups[g];
    json_t *lists = json_object();
    for (int l = 0; l < RES_NL_MAX; l++)
        json_object_set_new(lists, list_names[l], json_array());
    json_t *to = json_array();
    memset(run->to, 0, n_nodes(gv) * sizeof(bool));
    for (size_t n = 0; n < n_nodes(gv); n++) {
        if (!copy_active(gv, g, n))
            continue;
        run->to[n] = true;
        json_array_append_new(to, json_string(nname(gv, n)));
        add_name(lists, RES_NL_ACTIVE, gv, n);
        add_name(lists, copy_promoted(gv, g, n) ? RES_NL_PROMOTED : RES_NL_UNPROMOTED, gv, n);
    }
    for (size_t i = 0; i < cg->n_domain; i++)
        if (!copy_active(gv, g, cg->domain[i]))
            add_name(lists, RES_NL_INACTIVE, gv, cg->domain[i]);
    static const enum res_notify_list of_type[] = {[POL_START] = RES_NL_START,
                                                   [POL_STOP] = RES_NL_STOP,
                                                   [POL_PROMOTE] = RES_NL_PROMOTE,
                                                   [POL_DEMOTE] = RES_NL_DEMOTE};
    for (size_t i = 0; i < run->n_acts; i++)
        add_name(lists, of_type[run->type], gv, run->acts[i].node);
    const char *op = res_op_name(op_of(run->type)), *type = post ? "post" : "pre";
    if (json_array_size(to) == 0) {
        json_decref(to);
        json_decref(lists);
        return false;
    }
    run->id = (struct act_id){gv->cl->ring_seq, ++gv->act_seq};
    run->deadline = gv->mono_ms() + timeout_ms(gv, g);
    json_t *body =
        json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:o}", "op", "notify", "group", cg->name,
                  "ring", (json_int_t)run->id.ring, "seq", (json_int_t)run->id.seq, "when", type,
                  "operation", op, "to", to, "lists", lists);
    log_info("notifying the copies of group %s: %s-%s", cg->name, type, op);
    int r = gview_send(gv, PEER_G_ACTION, body);
    if (r < 0) {
        log_warn("could not send the %s-%s notification of group %s: %s", type, op, cg->name,
                 strerror(-r));
        return false;
    }
    return true;
}

/* Whether a node run's notification went to has not answered it yet (and is still there). */
static bool waiting(const struct gview *gv, size_t g, const struct notify_run *run)
{
    for (size_t n = 0; n < n_nodes(gv); n++) {
        const struct gnode *x = gview_at(gv, g, n);
        if (!run->to[n] || !gv->cl->nodes[n].online)
            continue;
        bool delivered = x->notify_id.ring == run->id.ring && x->notify_id.seq == run->id.seq;
        if (!delivered || x->notify_wait)
            return true;
    }
    return false;
}

/* Still waiting for the notification's answers; logs the ones given up on. */
static bool still_waiting(struct gview *gv, size_t g, const struct notify_run *run)
{
    if (!waiting(gv, g, run))
        return false;
    if (gv->mono_ms() < run->deadline)
        return true;
    for (size_t n = 0; n < n_nodes(gv); n++)
        if (run->to[n] && gv->cl->nodes[n].online && gview_at(gv, g, n)->notify_wait)
            log_warn("%s did not answer the notification of group %s in %u s: going on",
                     nname(gv, n), gv->cfg->groups[g].name, (unsigned)(timeout_ms(gv, g) / 1000));
    return false;
}

/* Sends run's actions that plan out still has (the current reasons); false when none is left. */
static bool send_ops(struct gview *gv, size_t g, struct notify_run *run,
                     const struct pol_output *out)
{
    bool sent = false;
    for (size_t i = 0; i < out->n_actions; i++) {
        const struct pol_action *a = &out->actions[i];
        if (a->group != g || a->type != run->type)
            continue;
        for (size_t k = 0; k < run->n_acts; k++)
            if (run->acts[k].node == a->node) {
                gview_send_action(gv, a);
                sent = true;
                break;
            }
    }
    if (!sent)
        log_info("group %s: the plan no longer has the %s that its copies were notified of",
                 gv->cfg->groups[g].name, pol_action_name(run->type));
    return sent;
}

/* run's actions came back and their nodes are done with them. */
static bool ops_done(const struct gview *gv, size_t g, const struct notify_run *run)
{
    for (size_t k = 0; k < run->n_acts; k++) {
        size_t n = run->acts[k].node;
        enum pol_obs o = gview_at(gv, g, n)->obs;
        if (gv->cl->nodes[n].online && (o == POL_OBS_STARTING || o == POL_OBS_STOPPING ||
                                        o == POL_OBS_PROMOTING || o == POL_OBS_DEMOTING))
            return false;
    }
    return true;
}

/* IDLE: begins a run with the plan's first operation type for g; false when it has none. */
static bool begin(struct gview *gv, size_t g, struct notify_run *run, const struct pol_output *out)
{
    for (size_t t = 0; t < sizeof(order) / sizeof(order[0]); t++) {
        size_t k = 0;
        for (size_t i = 0; i < out->n_actions; i++)
            k += out->actions[i].group == g && out->actions[i].type == order[t];
        if (!k)
            continue;
        free(run->acts);
        run->acts = xcalloc(k, sizeof(*run->acts));
        run->n_acts = 0;
        for (size_t i = 0; i < out->n_actions; i++)
            if (out->actions[i].group == g && out->actions[i].type == order[t])
                run->acts[run->n_acts++] = out->actions[i];
        run->type = order[t];
        run->phase = send_notify(gv, g, run, false) ? NR_PRE : NR_OP;
        if (run->phase == NR_OP)
            run->phase = send_ops(gv, g, run, out) ? NR_OP : NR_IDLE;
        return true;
    }
    return false;
}

void gview_notify_step(struct gview *gv, size_t g, const struct pol_output *out, bool busy)
{
    struct notify_run *run = run_of(gv, g);
    /* Bounded: each turn moves the run on, and IDLE begins at most once. */
    for (int turn = 0; turn < 5; turn++) {
        switch (run->phase) {
        case NR_IDLE:
            if (busy || turn > 0 || !begin(gv, g, run, out))
                return;
            break;
        case NR_PRE:
            if (still_waiting(gv, g, run))
                return;
            run->phase = send_ops(gv, g, run, out) ? NR_OP : NR_IDLE;
            return; /* the actions come back first */
        case NR_OP:
            if (gv->inflight[g] || !ops_done(gv, g, run))
                return;
            run->phase = send_notify(gv, g, run, true) ? NR_POST : NR_IDLE;
            if (run->phase == NR_IDLE)
                return;
            break;
        case NR_POST:
            if (still_waiting(gv, g, run))
                return;
            run->phase = NR_IDLE;
            /* The plan that began this run is stale: the next one gives the next type. */
            gview_replan(gv);
            return;
        }
    }
}

bool gview_notify_overdue(const struct gview *gv)
{
    if (!gv->notify)
        return false;
    uint64_t now = gv->mono_ms();
    for (size_t g = 0; g < gv->notify->n_groups; g++) {
        const struct notify_run *run = &gv->notify->runs[g];
        if ((run->phase == NR_PRE || run->phase == NR_POST) && now >= run->deadline)
            return true;
    }
    return false;
}

void gview_notify_answered(struct gview *gv, size_t g, size_t n, struct act_id id)
{
    struct gnode *x = gview_at(gv, g, n);
    if (x->notify_wait && x->notify_id.ring == id.ring && x->notify_id.seq == id.seq) {
        x->notify_wait = false;
        gview_replan(gv);
    }
}

/* The node names of j[key] into idx (at most n_nodes); -1 with *err on a bad one. */
static int get_nodes(const struct gview *gv, json_t *j, const char *key, size_t *idx, char **err)
{
    json_t *a = json_object_get(j, key);
    if (!json_is_array(a) || json_array_size(a) > n_nodes(gv))
        return *err = xasprintf("'%s' must list at most %zu nodes", key, n_nodes(gv)), -1;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));
        const struct cfg_node *nd = s ? cfg_node_by_name(gv->cfg, s) : NULL;
        if (!nd)
            return *err = xasprintf("unknown node in '%s'", key), -1;
        idx[i] = (size_t)(nd - gv->cfg->nodes);
    }
    return (int)json_array_size(a);
}

int gview_notify_deliver(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int g = gview_get_group(gv, j, err);
    struct act_id id;
    if (g < 0 || !gview_get_u64(j, "ring", &id.ring, err) || !gview_get_u64(j, "seq", &id.seq, err))
        return -EINVAL;
    const char *type = gview_get_str(j, "when", true, err);
    const char *op = type ? gview_get_str(j, "operation", true, err) : NULL;
    if (!op)
        return -EINVAL;
    struct res_notify rn = {.post = strcmp(type, "post") == 0};
    if (!rn.post && strcmp(type, "pre") != 0)
        return *err = xasprintf("unknown notification type '%.16s'", type), -EINVAL;
    static const enum res_op ops[] = {RES_OP_START, RES_OP_STOP, RES_OP_PROMOTE, RES_OP_DEMOTE};
    int k = -1;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(op, res_op_name(ops[i])) == 0)
            k = (int)i;
    if (k < 0)
        return *err = xasprintf("unknown notified operation '%.16s'", op), -EINVAL;
    rn.op = ops[k];
    size_t nn = n_nodes(gv) ? n_nodes(gv) : 1;
    _cleanup_free_ size_t *to = xcalloc(nn, sizeof(size_t));
    _cleanup_free_ size_t *idx = xcalloc(nn * RES_NL_MAX, sizeof(size_t));
    int n_to = get_nodes(gv, j, "to", to, err);
    if (n_to < 0)
        return -EINVAL;
    json_t *lists = json_object_get(j, "lists");
    if (!json_is_object(lists))
        return *err = xstrdup("'lists' must be an object"), -EINVAL;
    for (int l = 0; l < RES_NL_MAX; l++) {
        int c = get_nodes(gv, lists, list_names[l], idx + (size_t)l * nn, err);
        if (c < 0)
            return -EINVAL;
        rn.nodes[l] = idx + (size_t)l * nn;
        rn.n[l] = (size_t)c;
    }
    char buf[32];
    const char *gname = gv->cfg->groups[g].name;
    if (!gview_notify_wanted(gv, (size_t)g))
        return *err = xasprintf("a notification of group %s, which has no notify", gname), -EINVAL;
    if (!gv->cl->quorate || from != gv->cl->coordinator || id.ring != gv->cl->ring_seq) {
        log_info("ignored a notification of group %s from %s: not the coordinator's of this ring",
                 gname, cluster_node_name(gv->cl, from, buf));
        return 0;
    }
    int self = local_index(gv);
    bool here = false;
    for (int i = 0; i < n_to; i++) {
        struct gnode *x = gview_at(gv, (size_t)g, to[i]);
        x->notify_id = id;
        x->notify_wait = true;
        here |= (int)to[i] == self;
    }
    if (here && gv->hooks && gv->hooks->local_notify)
        gv->hooks->local_notify(gv->ctx, (size_t)g, &rn, id);
    gview_replan(gv);
    return 0;
}
