/* Admin intents: checked, sent, applied by every member, acknowledged once saved, settled. */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static void pending_free(struct gview_pending *p)
{
    free(p->waiting);
    free(p->msg);
}

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
    const char *op = gview_get_str(j, "op", true, err);
    if (!op)
        return -EINVAL;
    int k = db_intent_op_parse(op);
    if (k < 0)
        return *err = xasprintf("unknown intent '%.32s'", op), -EINVAL;
    *in = (struct db_intent){.op = (enum db_intent_op)k, .group = -1, .node = -1, .resource = -1};
    if (json_object_get(j, "group") && (in->group = gview_get_group(gv, j, err)) < 0)
        return -EINVAL;
    if (json_object_get(j, "target") && (in->node = gview_get_node(gv, j, "target", err)) < 0)
        return -EINVAL;
    const char *res = gview_get_str(j, "resource", false, err);
    if (*err)
        return -EINVAL;
    if (res) {
        if (in->group < 0 || (in->resource = gview_res_index(&gv->cfg->groups[in->group], res)) < 0)
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
        snprintf(buf, size, "group %s%s %s to %s", gv->cfg->groups[in->group].name,
                 gv->cfg->groups[in->group].kind == CFG_KIND_PROMOTABLE ? "'s primary" : "", verb,
                 nname(gv, (size_t)in->node));
    else if (in->resource >= 0)
        snprintf(buf, size, "resource %s of group %s %s",
                 gv->cfg->groups[in->group].resources[in->resource].name,
                 gv->cfg->groups[in->group].name, verb);
    else
        snprintf(buf, size, "group %s %s", gv->cfg->groups[in->group].name, verb);
}

int gview_deliver_intent(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    uint64_t id, origin;
    if (!gview_get_u64(j, "origin", &origin, err) || !gview_get_u64(j, "id", &id, err))
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
        gview_save_db(gv);
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
        gview_send_ack_saved(gv, ack);
    }
    gview_replan(gv);
    return 0;
}

int gview_deliver_ack(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    uint64_t id, origin;
    if (!gview_get_u64(j, "origin", &origin, err) || !gview_get_u64(j, "id", &id, err))
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
            const char *e = gview_get_str(j, "error", false, err);
            pd->msg = xasprintf("%s refused it: %s", nname(gv, (size_t)n), e ?: "error");
            free(*err);
            *err = NULL;
        }
    }
    gview_expire_intents(gv, 0);
    return 0;
}

uint64_t gview_send_intent(struct gview *gv, const struct db_intent *in, char **ret_err)
{
    json_t *j = intent_json(gv, in);
    uint64_t id = ++gv->next_intent;
    json_object_set_new(j, "origin", json_integer(gv->cl->local_id));
    json_object_set_new(j, "id", json_integer((json_int_t)id));
    int r = gview_send(gv, PEER_G_INTENT, j);
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

/*
 * A move to a node the basic checks let through: what the policy says of it
 * (room, the groups it must run with, apart_from). 0 or -EINVAL, as
 * gview_check_intent.
 */
static int check_move_to(const struct gview *gv, const struct pol_input *pin,
                         const struct db_intent *in, char **ret_err, char **ret_note)
{
    const char *group = gv->cfg->groups[in->group].name, *node = nname(gv, (size_t)in->node);
    char why[256];
    int r = policy_node_refusal(pin, (size_t)in->group, (size_t)in->node, why, sizeof(why));
    if (r < 0 && gview_kind(gv, (size_t)in->group) == CFG_KIND_PROMOTABLE) {
        *ret_err =
            xasprintf("refused: group %s cannot be promoted on %s now: %s", group, node, why);
        return -EINVAL;
    }
    if (r < 0) {
        *ret_err = xasprintf("refused: group %s cannot move to %s now: %s", group, node, why);
        return -EINVAL;
    }
    if (r > 0 && ret_note)
        *ret_note = xasprintf("%s; apart_from gives way to an admin's move", why);
    return 0;
}

int gview_check_intent(const struct gview *gv, struct db_intent *in, char **ret_err,
                       char **ret_note)
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
        struct gview_plan_in p;
        gview_plan_in_build(gv, &p);
        p.groups[in->group].target_started = true;
        p.groups[in->group].halted = false;
        struct pol_output out = {0};
        policy_plan(&p.in, &out);
        gview_plan_in_free(&p);
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
    struct gview_plan_in p;
    gview_plan_in_build(gv, &p);
    if (cg->kind == CFG_KIND_CLONE) {
        /* Its copies are not moved: the policy says so, and how to move one away. */
        char why[256];
        policy_node_refusal(&p.in, (size_t)in->group, in->node >= 0 ? (size_t)in->node : 0, why,
                            sizeof(why));
        gview_plan_in_free(&p);
        *ret_err = xasprintf("refused: %s", why);
        return -EINVAL;
    }
    /* Where it is: a promotable group's primary (a move promotes another copy). */
    int current = -1;
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        const struct gnode *x = gview_at(gv, (size_t)in->group, n);
        if (gv->cl->nodes[n].online &&
            (cg->kind == CFG_KIND_PROMOTABLE ? gview_serving(gv, (size_t)in->group, x)
                                             : pol_obs_active(x->obs)))
            current = (int)n;
    }
    int r = 0;
    if (in->node < 0) {
        in->node = policy_next_node(&p.in, (size_t)in->group, current);
        if (in->node < 0) {
            *ret_err = cg->kind == CFG_KIND_PROMOTABLE
                           ? xasprintf("refused: no other copy of group %s can be promoted now "
                                       "(none is a running replica with a promotion score)",
                                       cg->name)
                           : xasprintf("refused: no other node can run group %s now", cg->name);
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
        } else {
            r = check_move_to(gv, &p.in, in, ret_err, ret_note);
        }
    }
    gview_plan_in_free(&p);
    return r;
}
