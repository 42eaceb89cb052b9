#include "daemon/ctl.h"
#include "base/util.h"

#include <stdarg.h>
#include <string.h>

json_t *ctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    va_end(ap);
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

void ctl_handle(const struct cluster *cl, const char *line, size_t len, struct ctl_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->fence_node = -1;
    json_error_t jerr;
    json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req) {
        ret->reply = ctl_error("malformed request: %s at column %d", jerr.text, jerr.column);
        return;
    }
    const json_t *cmd = json_object_get(req, "cmd");
    static const char *const plain[] = {"cmd", NULL};
    if (!json_is_object(req))
        ret->reply = ctl_error("malformed request: expected a JSON object");
    else if (!cmd)
        ret->reply = ctl_error("malformed request: missing 'cmd'");
    else if (!json_is_string(cmd))
        ret->reply = ctl_error("malformed request: 'cmd' must be a string");
    else if (strcmp(json_string_value(cmd), "ping") == 0)
        ret->reply = check_fields(req, plain) ?: ok(json_pack("{s:s}", "version", VIGIL_VERSION));
    else if (strcmp(json_string_value(cmd), "status") == 0)
        ret->reply = check_fields(req, plain) ?: ok(cluster_status_json(cl));
    else if (strcmp(json_string_value(cmd), "events") == 0)
        ret->reply = handle_events(cl, req, ret);
    else if (strcmp(json_string_value(cmd), "fence") == 0)
        ret->reply = handle_fence(cl, req, ret);
    else
        ret->reply = ctl_error("unknown command '%.64s'", json_string_value(cmd));
    json_decref(req);
}
