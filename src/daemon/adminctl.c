#include "daemon/adminctl.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/cluster.h"
#include "daemon/ctl.h"

#include <string.h>

void adminctl_init(struct adminctl *a, struct gview *gv, replies_send_fn send, void *ctx)
{
    a->gv = gv;
    replies_init(&a->intents, send, ctx);
    replies_init(&a->attrs, send, ctx);
}

void adminctl_done(struct adminctl *a)
{
    replies_done(&a->intents);
    replies_done(&a->attrs);
}

json_t *adminctl_intent(struct adminctl *a, const struct db_intent *intent, uint64_t token,
                        bool *ret_defer)
{
    struct db_intent in = *intent;
    _cleanup_free_ char *err = NULL, *note = NULL;
    if (gview_check_intent(a->gv, &in, &err, &note) < 0)
        return ctl_error("%s", err);
    uint64_t id = gview_send_intent(a->gv, &in, &err);
    if (!id)
        return ctl_error("%s", err);
    char what[512];
    gview_describe_intent(a->gv, &in, what, sizeof(what));
    if (note) /* the reply says it, and the log */
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " (note: %s)", note);
    replies_add(&a->intents, id, token, what, 0);
    log_info("an administrator asked: %s", what);
    *ret_defer = true;
    return NULL;
}

void adminctl_intent_done(struct adminctl *a, uint64_t id, bool ok, const char *msg)
{
    const struct reply_wait *w = replies_find(&a->intents, id);
    if (!w)
        return;
    json_t *reply;
    if (ok) {
        reply = json_pack("{s:b, s:{s:s, s:I}}", "ok", 1, "result", "message", w->what, "version",
                          (json_int_t)a->gv->db->version);
        log_info("%s: applied and saved by every member", w->what);
    } else {
        reply = ctl_error("%s: %s", w->what, msg);
        log_warn("%s: %s", w->what, msg);
    }
    replies_answer(&a->intents, id, reply);
}

json_t *adminctl_attr(struct adminctl *a, json_t *req, int local_node, uint64_t token,
                      bool *ret_defer)
{
    struct gview *gv = a->gv;
    const char *op = json_string_value(json_object_get(req, "op"));
    const char *node = json_string_value(json_object_get(req, "node"));
    const char *name = json_string_value(json_object_get(req, "name"));
    const char *value = json_string_value(json_object_get(req, "value"));
    const char *life = json_string_value(json_object_get(req, "lifetime"));
    int n = node ? cluster_node_index_by_name(gv->cl, node) : local_node;
    if (n < 0 && strcmp(op, "list") != 0)
        return ctl_error("attr %s: this machine is not a node of the cluster: name the node", op);
    if (strcmp(op, "list") == 0)
        return json_pack("{s:b, s:{s:o}}", "ok", 1, "result", "attributes",
                         gview_attr_list_json(gv, node ? n : -1));
    node = gv->cfg->nodes[n].name;
    if (strcmp(op, "get") == 0) {
        json_t *res = json_pack("{s:s, s:s}", "node", node, "name", name);
        const struct db_attr *at = db_attr_get(gv->db, (size_t)n, name);
        if (at) {
            json_object_set_new(res, "value", json_string(at->value));
            json_object_set_new(res, "lifetime", json_string(db_attr_life_name(at->life)));
        }
        return json_pack("{s:b, s:o}", "ok", 1, "result", res);
    }
    bool del = strcmp(op, "delete") == 0;
    struct gview_attr_req r = {.del = del,
                               .node = (size_t)n,
                               .name = name,
                               .value = value,
                               .life = life  ? db_attr_life_parse(life)
                                       : del ? -1
                                             : DB_ATTR_REBOOT};
    _cleanup_free_ char *err = NULL;
    uint64_t id = gview_attr_send(gv, &r, &err);
    if (!id)
        return ctl_error("%s", err);
    _cleanup_free_ char *what =
        del ? xasprintf("attribute %s of node %s deleted", name, node)
            : xasprintf("attribute %s of node %s set to '%s' (%s)", name, node, value,
                        db_attr_life_name((enum db_attr_life)r.life));
    replies_add(&a->attrs, id, token, what, time_mono_ms() + GVIEW_INTENT_TIMEOUT_MS);
    *ret_defer = true;
    return NULL;
}

void adminctl_attr_done(struct adminctl *a, uint64_t id, bool ok, const char *msg)
{
    const struct reply_wait *w = replies_find(&a->attrs, id);
    if (!w)
        return;
    json_t *reply = ok ? json_pack("{s:b, s:{s:s}}", "ok", 1, "result", "message", w->what)
                       : ctl_error("%s", msg);
    replies_answer(&a->attrs, id, reply);
}

static json_t *attr_timed_out(void *ctx, const struct reply_wait *w)
{
    (void)ctx;
    return ctl_error("%s: not applied within %d s (is the cluster engine running?)", w->what,
                     GVIEW_INTENT_TIMEOUT_MS / 1000);
}

void adminctl_expire(struct adminctl *a, uint64_t now_ms)
{
    replies_expire(&a->attrs, now_ms, attr_timed_out, NULL);
}
