#include "daemon/ctl.h"
#include "base/util.h"
#include "daemon/history.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

json_t *ctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    str_sanitize(msg, strlen(msg), false); /* a word cut short (%.64s) is not UTF-8 */
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *ok(json_t *result)
{
    return json_pack("{s:b, s:o}", "ok", 1, "result", result);
}

char *ctl_dump_line(const json_t *reply, size_t *ret_len)
{
    char *s = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!s)
        s = xstrdup("{\"ok\":false,\"error\":\"internal error: reply could not be encoded\"}");
    size_t n = strlen(s);
    char *line = xmalloc(n + 2);
    memcpy(line, s, n);
    line[n] = '\n';
    line[n + 1] = '\0';
    free(s);
    *ret_len = n + 1;
    return line;
}

/* Rejects fields other than those named in allowed (NULL-terminated). */
static json_t *check_fields(json_t *req, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(req, key, val)
    {
        bool found = false;
        for (size_t i = 0; allowed[i]; i++)
            found |= strcmp(key, allowed[i]) == 0;
        if (!found)
            return ctl_error("unknown field '%s' in request", key);
    }
    return NULL;
}

static json_t *handle_events(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd", "since", "follow", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const json_t *since = json_object_get(req, "since");
    const json_t *follow = json_object_get(req, "follow");
    uint64_t s = 0;
    if (since) {
        if (!json_is_integer(since) || json_integer_value(since) < 0)
            return ctl_error("'since' must be a non-negative integer");
        s = (uint64_t)json_integer_value(since);
    }
    if (follow && !json_is_boolean(follow))
        return ctl_error("'follow' must be true or false");
    ret->follow = follow && json_is_true(follow);
    ret->since = s > eventlog_last_seq(cl->events) ? s : eventlog_last_seq(cl->events);
    return ok(json_pack("{s:o}", "events", eventlog_since_json(cl->events, s)));
}

static json_t *handle_fence(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd", "node", "action", "confirm", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const json_t *node = json_object_get(req, "node");
    const json_t *action = json_object_get(req, "action");
    const json_t *confirm = json_object_get(req, "confirm");
    if (!json_is_string(node))
        return ctl_error("'node' must be a node name");
    if (action && (!json_is_string(action) || (strcmp(json_string_value(action), "off") != 0 &&
                                               strcmp(json_string_value(action), "reboot") != 0)))
        return ctl_error("'action' must be off or reboot");
    if (confirm && !json_is_boolean(confirm))
        return ctl_error("'confirm' must be true or false");
    bool conf = confirm && json_is_true(confirm);
    int i = cluster_node_index_by_name(cl, json_string_value(node));
    if (i < 0)
        return ctl_error("unknown node '%.64s'", json_string_value(node));
    const char *name = cl->cfg->nodes[i].name;
    if (!cl->quorate)
        return ctl_error("refused: this node's partition has no quorum; only a quorate partition "
                         "may fence");
    if (conf && cl->nodes[i].online)
        return ctl_error("refused: %s is online; --confirm is only for a node known to be off",
                         name);
    if (!conf && !cl->cfg->fence_enabled)
        return ctl_error("refused: fencing is disabled in the configuration; if %s is known to be "
                         "off, use --confirm",
                         name);
    if (!conf && cl->cfg->nodes[i].id == cl->local_id)
        return ctl_error("refused: %s is this node; ask another member to fence it", name);
    ret->fence_node = i;
    ret->fence_confirm = conf;
    ret->fence_reboot = action && strcmp(json_string_value(action), "reboot") == 0;
    return ok(json_pack("{s:s, s:s}", "node", name, "requested",
                        conf                ? "confirm"
                        : ret->fence_reboot ? "reboot"
                                            : "off"));
}

/* "unknown KIND 'x'", with a suggestion among names when one is close. */
static json_t *unknown(const char *kind, const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = str_edit_distance(word, names[i], 3);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    if (best)
        return ctl_error("unknown %s '%.64s'; did you mean '%s'?", kind, word, best);
    return ctl_error("unknown %s '%.64s'", kind, word);
}

static json_t *unknown_node(const struct cfg *c, const char *name)
{
    const char **names = xcalloc(c->n_nodes + 1, sizeof(char *));
    for (size_t i = 0; i < c->n_nodes; i++)
        names[i] = c->nodes[i].name;
    json_t *e = unknown("node", name, names, c->n_nodes);
    free(names);
    return e;
}

static json_t *unknown_group(const struct cfg *c, const char *name, bool or_resource)
{
    size_t n = 0;
    for (size_t g = 0; g < c->n_groups; g++)
        n += 1 + (or_resource ? c->groups[g].n_resources : 0);
    const char **names = xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t g = 0; g < c->n_groups; g++) {
        names[k++] = c->groups[g].name;
        for (size_t r = 0; or_resource && r < c->groups[g].n_resources; r++)
            names[k++] = c->groups[g].resources[r].name;
    }
    json_t *e = unknown(or_resource ? "group or resource" : "group", name, names, k);
    free(names);
    return e;
}

static const char *get_string(json_t *req, const char *key)
{
    const json_t *v = json_object_get(req, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *handle_group(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd", "op", "group", "to", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const struct cfg *c = cl->cfg;
    const char *op = get_string(req, "op"), *group = get_string(req, "group");
    const json_t *to = json_object_get(req, "to");
    if (!op)
        return ctl_error("'op' must be one of start, stop, move, failover, manage, unmanage");
    if (!group)
        return ctl_error("'group' must be a group name");
    static const char *const ops[] = {"start", "stop", "move", "failover", "manage", "unmanage"};
    static const enum db_intent_op kinds[] = {DB_INTENT_START,  DB_INTENT_STOP,
                                              DB_INTENT_MOVE,   DB_INTENT_MOVE,
                                              DB_INTENT_MANAGE, DB_INTENT_UNMANAGE};
    int k = -1;
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        if (strcmp(op, ops[i]) == 0)
            k = (int)i;
    if (k < 0)
        return ctl_error("unknown group operation '%.32s' (start, stop, move, failover, manage, "
                         "unmanage)",
                         op);
    const struct cfg_group *cg = cfg_group_by_name(c, group);
    if (!cg)
        return unknown_group(c, group, false);
    ret->intent = (struct db_intent){
        .op = kinds[k], .group = (int)cfg_group_index(c, cg), .node = -1, .resource = -1};
    if (to) {
        if (kinds[k] != DB_INTENT_MOVE || strcmp(op, "failover") == 0)
            return ctl_error("'to' is only for move");
        if (!json_is_string(to))
            return ctl_error("'to' must be a node name");
        const struct cfg_node *nd = cfg_node_by_name(c, json_string_value(to));
        if (!nd)
            return unknown_node(c, json_string_value(to));
        ret->intent.node = (int)(nd - c->nodes);
    }
    ret->has_intent = true;
    return ok(json_object());
}

static json_t *handle_node(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd", "op", "node", "now", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const char *op = get_string(req, "op"), *node = get_string(req, "node");
    bool stop = op && strcmp(op, "stop") == 0;
    if (!op || (strcmp(op, "standby") != 0 && strcmp(op, "online") != 0 && !stop))
        return ctl_error("'op' must be standby, online or stop");
    if (!node)
        return ctl_error("'node' must be a node name");
    json_t *now = json_object_get(req, "now");
    if (now && (!stop || !json_is_boolean(now)))
        return ctl_error("'now' is only for stop, and must be true or false");
    const struct cfg_node *nd = cfg_node_by_name(cl->cfg, node);
    if (!nd)
        return unknown_node(cl->cfg, node);
    if (stop) {
        ret->request = json_incref(req);
        return ok(json_object());
    }
    ret->intent =
        (struct db_intent){.op = strcmp(op, "standby") == 0 ? DB_INTENT_STANDBY : DB_INTENT_ONLINE,
                           .group = -1,
                           .node = (int)(nd - cl->cfg->nodes),
                           .resource = -1};
    ret->has_intent = true;
    return ok(json_object());
}

static json_t *handle_cleanup(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd", "name", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const char *name = get_string(req, "name");
    if (!name)
        return ctl_error("'name' must be a group or resource name");
    const struct cfg *c = cl->cfg;
    const struct cfg_group *cg = cfg_group_by_name(c, name);
    int resource = -1;
    if (!cg) {
        const struct cfg_resource *r = cfg_resource_by_name(c, name, &cg);
        if (!r)
            return unknown_group(c, name, true);
        resource = (int)(r - cg->resources);
    }
    ret->intent = (struct db_intent){.op = DB_INTENT_CLEANUP,
                                     .group = (int)cfg_group_index(c, cg),
                                     .node = -1,
                                     .resource = resource};
    ret->has_intent = true;
    return ok(json_object());
}

static json_t *handle_config(json_t *req, struct ctl_result *ret)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    static const char *const show[] = {"cmd", "op", "version", NULL};
    static const char *const diff[] = {"cmd", "op", "text", "name", NULL};
    static const char *const apply[] = {"cmd", "op", "text", "name", "force", NULL};
    static const char *const reload[] = {"cmd", "op", "force", NULL};
    const char *const *fields = !op                         ? NULL
                                : strcmp(op, "show") == 0   ? show
                                : strcmp(op, "diff") == 0   ? diff
                                : strcmp(op, "apply") == 0  ? apply
                                : strcmp(op, "reload") == 0 ? reload
                                                            : NULL;
    if (!fields)
        return ctl_error("config: 'op' must be one of show, diff, apply, reload");
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    json_t *v = json_object_get(req, "version");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
        return ctl_error("config: 'version' must be a positive integer");
    json_t *f = json_object_get(req, "force");
    if (f && !json_is_boolean(f))
        return ctl_error("config: 'force' must be true or false");
    if (fields == diff || fields == apply) {
        json_t *t = json_object_get(req, "text"), *n = json_object_get(req, "name");
        if (!json_is_string(t) || strlen(json_string_value(t)) != json_string_length(t))
            return ctl_error("config %s: 'text' must be the configuration, as a string", op);
        if (n && !json_is_string(n))
            return ctl_error("config %s: 'name' must be a string", op);
    }
    ret->request = json_incref(req);
    return ok(json_object());
}

/*
 * vigil attr: {"cmd":"attr","op":"set"|"get"|"delete"|"list","node":N,"name":X,"value":V,
 * "lifetime":"reboot"|"forever"}, checked here; vigild answers it (gview_attr_*).
 */
static json_t *handle_attr(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd", "op", "node", "name", "value", "lifetime", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const char *op = get_string(req, "op");
    static const char *const ops[] = {"set", "get", "delete", "list"};
    int k = -1;
    for (size_t i = 0; op && i < ARRAY_SIZE(ops); i++)
        if (strcmp(op, ops[i]) == 0)
            k = (int)i;
    if (k < 0)
        return ctl_error("attr: 'op' must be one of set, get, delete, list");
    bool set = k == 0, list = k == 3;
    json_t *node = json_object_get(req, "node"), *name = json_object_get(req, "name");
    json_t *value = json_object_get(req, "value"), *life = json_object_get(req, "lifetime");
    if (node && !json_is_string(node))
        return ctl_error("attr: 'node' must be a node name");
    if (node && !cfg_node_by_name(cl->cfg, json_string_value(node)))
        return unknown_node(cl->cfg, json_string_value(node));
    if (list && name)
        return ctl_error("attr list: 'name' is not for list");
    if (!list &&
        (!json_is_string(name) || strlen(json_string_value(name)) != json_string_length(name)))
        return ctl_error("attr %s: 'name' must be an attribute name", op);
    _cleanup_free_ char *e = NULL;
    if (!list && db_attr_check_name(json_string_value(name), &e) < 0)
        return ctl_error("attr %s: %s", op, e);
    if (set != (value != NULL))
        return ctl_error(
            set ? "attr set: 'value' must be given" : "attr %s: 'value' is only for set", op);
    if (value && !json_is_string(value))
        return ctl_error("attr set: 'value' must be a string");
    if (value && db_attr_check_value(json_string_value(name), json_string_value(value),
                                     json_string_length(value), &e) < 0)
        return ctl_error("attr set: %s", e);
    if (life && (k == 1 || list))
        return ctl_error("attr %s: 'lifetime' is only for set and delete", op);
    if (life && (!json_is_string(life) || db_attr_life_parse(json_string_value(life)) < 0))
        return ctl_error("attr %s: 'lifetime' must be reboot or forever", op);
    ret->request = json_incref(req);
    return ok(json_object());
}

/*
 * crm_resource's questions (the Pacemaker-compatible commands):
 * {"cmd":"resource","name":R}: R's group and the Pacemaker meta attributes
 * its group stands for (notify, clone-max, promoted-max, ...), as strings.
 */
static json_t *handle_resource(const struct cluster *cl, json_t *req)
{
    static const char *const fields[] = {"cmd", "name", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    const char *name = get_string(req, "name");
    if (!name)
        return ctl_error("resource: 'name' must be a resource name");
    const struct cfg_group *cg = NULL;
    const struct cfg_resource *r = cfg_resource_by_name(cl->cfg, name, &cg);
    if (!r)
        return ctl_error("resource: no resource %.64s in the configuration", name);
    static const char *const kinds[] = {"single", "clone", "promotable"};
    bool clone = cg->kind == CFG_KIND_CLONE || cg->kind == CFG_KIND_PROMOTABLE;
    uint32_t copies = cg->copies ? cg->copies : (uint32_t)cg->n_domain;
    json_t *meta = json_pack("{s:s}", "notify", cg->notify ? "true" : "false");
    if (clone) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%u", (unsigned)copies);
        json_object_set_new(meta, "clone-max", json_string(buf));
        json_object_set_new(meta, "clone-node-max", json_string("1"));
        json_object_set_new(meta, "globally-unique", json_string("false"));
        if (cg->kind == CFG_KIND_PROMOTABLE) {
            json_object_set_new(meta, "promotable", json_string("true"));
            snprintf(buf, sizeof(buf), "%u", (unsigned)(cg->primaries ? cg->primaries : 1));
            json_object_set_new(meta, "promoted-max", json_string(buf));
            json_object_set_new(meta, "master-max", json_string(buf));
            json_object_set_new(meta, "promoted-node-max", json_string("1"));
            json_object_set_new(meta, "master-node-max", json_string("1"));
        }
    }
    return ok(json_pack("{s:s, s:s, s:s, s:o}", "resource", r->name, "group", cg->name, "kind",
                        (unsigned)cg->kind < ARRAY_SIZE(kinds) ? kinds[cg->kind] : "single", "meta",
                        meta));
}

/* The history request's values, their types checked: a limit in range, a known event type. */
static json_t *check_history_values(json_t *req)
{
    json_t *lim = json_object_get(req, "limit");
    if (lim && (json_integer_value(lim) < 1 || json_integer_value(lim) > HISTORY_MAX_LIMIT))
        return ctl_error("history: 'limit' must be from 1 to %d (the newest events)",
                         HISTORY_MAX_LIMIT);
    json_int_t since = json_integer_value(json_object_get(req, "since"));
    json_int_t until = json_integer_value(json_object_get(req, "until"));
    if (since && until && since > until)
        return ctl_error("history: 'since' is after 'until': no event can match");
    const char *type = json_string_value(json_object_get(req, "type"));
    if (!type)
        return NULL;
    const char *best = NULL;
    size_t best_d = 3;
    for (int t = 0; t < EV_TYPE_MAX; t++) {
        size_t dist = str_edit_distance(type, event_type_name(t), 2);
        if (dist == 0)
            return NULL;
        if (dist < best_d) {
            best_d = dist;
            best = event_type_name(t);
        }
    }
    if (best)
        return ctl_error("history: unknown event type '%.64s'; did you mean '%s'?", type, best);
    _cleanup_free_ char *all = xstrdup(event_type_name(0));
    for (int t = 1; t < EV_TYPE_MAX; t++) {
        char *more = xasprintf("%s, %s", all, event_type_name(t));
        free(all);
        all = more;
    }
    return ctl_error("history: unknown event type '%.64s'; the types are %s", type, all);
}

static json_t *handle_history(json_t *req, struct ctl_result *ret)
{
    static const char *const fields[] = {"cmd",  "since", "until", "group",
                                         "node", "type",  "limit", NULL};
    json_t *err = check_fields(req, fields);
    if (err)
        return err;
    static const char *const times[] = {"since", "until", "limit"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(req, times[i]);
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
            return ctl_error("history: '%s' must be a non-negative integer%s", times[i],
                             i < 2 ? " (milliseconds since the epoch)" : "");
    }
    static const char *const names[] = {"group", "node", "type"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(req, names[i]);
        if (v && (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)))
            return ctl_error("history: '%s' must be a string", names[i]);
    }
    err = check_history_values(req);
    if (err)
        return err;
    ret->request = json_incref(req);
    return ok(json_object());
}

/* The reply to a request that is JSON: by its command. */
static json_t *dispatch(const struct cluster *cl, json_t *req, struct ctl_result *ret)
{
    const json_t *cmd = json_object_get(req, "cmd");
    static const char *const plain[] = {"cmd", NULL};
    if (!json_is_object(req))
        return ctl_error("malformed request: expected a JSON object");
    if (!cmd)
        return ctl_error("malformed request: missing 'cmd'");
    if (!json_is_string(cmd))
        return ctl_error("malformed request: 'cmd' must be a string");
    const char *c = json_string_value(cmd);
    if (strcmp(c, "ping") == 0)
        return check_fields(req, plain) ?: ok(json_pack("{s:s}", "version", VIGIL_VERSION));
    if (strcmp(c, "status") == 0)
        return check_fields(req, plain) ?: ok(cluster_status_json(cl));
    if (strcmp(c, "events") == 0)
        return handle_events(cl, req, ret);
    if (strcmp(c, "fence") == 0)
        return handle_fence(cl, req, ret);
    if (strcmp(c, "group") == 0)
        return handle_group(cl, req, ret);
    if (strcmp(c, "node") == 0)
        return handle_node(cl, req, ret);
    if (strcmp(c, "cleanup") == 0)
        return handle_cleanup(cl, req, ret);
    if (strcmp(c, "config") == 0)
        return handle_config(req, ret);
    if (strcmp(c, "history") == 0)
        return handle_history(req, ret);
    if (strcmp(c, "attr") == 0)
        return handle_attr(cl, req, ret);
    if (strcmp(c, "resource") == 0)
        return handle_resource(cl, req);
    return ctl_error("unknown command '%.64s'", c);
}

void ctl_handle(const struct cluster *cl, const char *line, size_t len, struct ctl_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->fence_node = -1;
    json_error_t jerr;
    json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (req)
        ret->reply = dispatch(cl, req, ret);
    else
        ret->reply = ctl_error("malformed request: %s at column %d", jerr.text, jerr.column);
    json_decref(req);
    /* An error quotes the request's words (a name, a command, JSON), on one line. */
    const char *err = json_string_value(json_object_get(ret->reply, "error"));
    _cleanup_free_ char *line1 = err ? str_one_line(xstrdup(err)) : NULL;
    if (line1)
        json_object_set_new(ret->reply, "error", json_string(line1));
}
