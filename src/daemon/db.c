#include "daemon/db.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define DB_MAX_FILE (4u * 1024 * 1024)

static const char *const intent_names[DB_INTENT_OP_MAX] = {
    "start", "stop", "move", "manage", "unmanage", "standby", "online", "cleanup", "drop_prefer"};
static const char *const kind_names[DB_FAIL_KIND_MAX] = {"ignore", "restart", "failover",
                                                         "halt",   "fence",   "start"};

const char *db_intent_op_name(enum db_intent_op op)
{
    return (unsigned)op < DB_INTENT_OP_MAX ? intent_names[op] : "unknown";
}

int db_intent_op_parse(const char *name)
{
    for (int i = 0; i < DB_INTENT_OP_MAX; i++)
        if (strcmp(name, intent_names[i]) == 0)
            return i;
    return -1;
}

const char *db_fail_kind_name(enum db_fail_kind k)
{
    return (unsigned)k < DB_FAIL_KIND_MAX ? kind_names[k] : "unknown";
}

int db_fail_kind_parse(const char *name)
{
    for (int i = 0; i < DB_FAIL_KIND_MAX; i++)
        if (strcmp(name, kind_names[i]) == 0)
            return i;
    return -1;
}

enum db_fail_kind db_fail_kind_of(enum cfg_on_fail f)
{
    switch (f) {
    case CFG_ON_FAIL_IGNORE:
        return DB_FAIL_IGNORE;
    case CFG_ON_FAIL_RESTART:
        return DB_FAIL_RESTART;
    case CFG_ON_FAIL_FAILOVER:
        return DB_FAIL_FAILOVER;
    case CFG_ON_FAIL_HALT:
        return DB_FAIL_HALT;
    case CFG_ON_FAIL_FENCE:
        return DB_FAIL_FENCE;
    case CFG_ON_FAIL_MAX:
        break;
    }
    return DB_FAIL_RESTART;
}

bool db_newer(uint64_t a_version, uint32_t a_src, uint64_t b_version, uint32_t b_src)
{
    if (a_version != b_version)
        return a_version > b_version;
    return a_src < b_src;
}

bool db_should_adopt(const struct db *mine, const struct db *theirs)
{
    if (db_newer(theirs->version, theirs->src, mine->version, mine->src))
        return true;
    return theirs->version == mine->version && theirs->src == mine->src && !mine->complete &&
           theirs->complete;
}

struct db *db_new(const struct cfg *cfg)
{
    struct db *db = xcalloc(1, sizeof(*db));
    size_t nn = cfg->n_nodes ? cfg->n_nodes : 1;
    db->cfg = cfg;
    db->complete = true;
    db->standby = xcalloc(nn, sizeof(bool));
    db->attrs = xcalloc(nn, sizeof(*db->attrs));
    db->groups = xcalloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*db->groups));
    for (size_t g = 0; g < cfg->n_groups; g++) {
        struct db_group *G = &db->groups[g];
        G->prefer = -1;
        G->banned = xcalloc(nn, sizeof(bool));
        G->banned_ms = xcalloc(nn, sizeof(uint64_t));
        G->fence_wanted = xcalloc(nn, sizeof(bool));
        G->restarts = xcalloc(nn, sizeof(uint64_t *));
        G->n_restarts = xcalloc(nn, sizeof(size_t));
        G->res_failures =
            xcalloc(cfg->groups[g].n_resources ? cfg->groups[g].n_resources : 1, sizeof(uint32_t));
    }
    return db;
}

static void history_clear(struct db_group *G)
{
    for (size_t i = 0; i < G->n_history; i++)
        free(G->history[i].reason);
    G->n_history = 0;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    for (size_t g = 0; g < db->cfg->n_groups; g++) {
        struct db_group *G = &db->groups[g];
        for (size_t n = 0; n < db->cfg->n_nodes; n++)
            free(G->restarts[n]);
        free(G->restarts);
        free(G->n_restarts);
        free(G->banned);
        free(G->banned_ms);
        free(G->fence_wanted);
        free(G->res_failures);
        history_clear(G);
    }
    free(db->groups);
    free(db->standby);
    db_attr_free_all(db);
    free(db->attrs);
    free(db);
}

static void bump(struct db *db, uint32_t src_id)
{
    db->version++;
    db->src = src_id;
}

/* Clears the failure state of group g (a cleanup). Returns true if there was any. */
static bool cleanup_group(struct db *db, size_t g, int resource)
{
    const struct cfg *cfg = db->cfg;
    struct db_group *G = &db->groups[g];
    bool changed = G->halted || G->n_history > 0;
    G->halted = false;
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        changed |= G->banned[n] || G->fence_wanted[n] || G->n_restarts[n];
        G->banned[n] = false;
        G->banned_ms[n] = 0;
        G->fence_wanted[n] = false;
        free(G->restarts[n]);
        G->restarts[n] = NULL;
        G->n_restarts[n] = 0;
    }
    for (size_t r = 0; r < cfg->groups[g].n_resources; r++) {
        if (resource >= 0 && (size_t)resource != r)
            continue;
        changed |= G->res_failures[r] != 0;
        G->res_failures[r] = 0;
    }
    if (resource < 0) {
        history_clear(G);
    } else {
        /* Keep the history of the other resources. */
        size_t k = 0;
        for (size_t i = 0; i < G->n_history; i++) {
            if (G->history[i].resource == (size_t)resource)
                free(G->history[i].reason);
            else
                G->history[k++] = G->history[i];
        }
        G->n_history = k;
    }
    return changed;
}

bool db_apply_intent(struct db *db, const struct db_intent *in, uint32_t src_id)
{
    const struct cfg *cfg = db->cfg;
    bool group_ok = in->group >= 0 && (size_t)in->group < cfg->n_groups;
    bool node_ok = in->node >= 0 && (size_t)in->node < cfg->n_nodes;
    struct db_group *G = group_ok ? &db->groups[in->group] : NULL;
    bool changed = false;
    switch (in->op) {
    case DB_INTENT_START:
        if (!G)
            return false;
        changed = G->stopped || G->halted;
        G->stopped = false;
        G->halted = false;
        break;
    case DB_INTENT_STOP:
        if (!G)
            return false;
        changed = !G->stopped;
        G->stopped = true;
        break;
    case DB_INTENT_MOVE:
        if (!G || !node_ok)
            return false;
        changed = G->prefer != in->node;
        G->prefer = in->node;
        break;
    case DB_INTENT_DROP_PREFER:
        if (!G)
            return false;
        changed = G->prefer != -1;
        G->prefer = -1;
        break;
    case DB_INTENT_MANAGE:
    case DB_INTENT_UNMANAGE:
        if (!G)
            return false;
        changed = G->unmanaged != (in->op == DB_INTENT_UNMANAGE);
        G->unmanaged = in->op == DB_INTENT_UNMANAGE;
        break;
    case DB_INTENT_STANDBY:
    case DB_INTENT_ONLINE:
        if (!node_ok)
            return false;
        changed = db->standby[in->node] != (in->op == DB_INTENT_STANDBY);
        db->standby[in->node] = in->op == DB_INTENT_STANDBY;
        break;
    case DB_INTENT_CLEANUP:
        if (!G)
            return false;
        if (in->resource >= 0 && (size_t)in->resource >= cfg->groups[in->group].n_resources)
            return false;
        changed = cleanup_group(db, (size_t)in->group, in->resource);
        break;
    case DB_INTENT_OP_MAX:
        return false;
    }
    if (changed)
        bump(db, src_id);
    return changed;
}

size_t db_restarts_within(const struct db *db, size_t g, size_t n, uint64_t now_ms)
{
    const struct db_group *G = &db->groups[g];
    uint64_t within = db->cfg->groups[g].restarts_within_ms;
    size_t k = 0;
    for (size_t i = 0; i < G->n_restarts[n]; i++)
        if (G->restarts[n][i] + within > now_ms)
            k++;
    return k;
}

uint64_t db_last_restart_ms(const struct db *db, size_t g, size_t n)
{
    const struct db_group *G = &db->groups[g];
    uint64_t last = 0;
    for (size_t i = 0; i < G->n_restarts[n]; i++)
        if (G->restarts[n][i] > last)
            last = G->restarts[n][i];
    return last;
}

uint64_t db_restart_delay_ms(const struct db *db, size_t g, size_t n)
{
    const struct cfg_group *cg = &db->cfg->groups[g];
    uint64_t last = db_last_restart_ms(db, g, n);
    if (!last)
        return 0;
    /* The restarts within the window that ends at the latest one, the latest included. */
    size_t k = db_restarts_within(db, g, n, last);
    if (k <= 1)
        return 0;
    uint64_t d = cg->backoff_ms;
    for (size_t i = 2; i < k && d < cg->backoff_max_ms; i++)
        d *= 2;
    return d < cg->backoff_max_ms ? d : cg->backoff_max_ms;
}

bool db_apply_expiry(struct db *db, size_t g, size_t n, uint64_t ban_ms, uint32_t src_id)
{
    if (g >= db->cfg->n_groups || n >= db->cfg->n_nodes)
        return false;
    struct db_group *G = &db->groups[g];
    if (!G->banned[n] || G->banned_ms[n] != ban_ms)
        return false;
    G->banned[n] = false;
    G->banned_ms[n] = 0;
    free(G->restarts[n]);
    G->restarts[n] = NULL;
    G->n_restarts[n] = 0;
    bump(db, src_id);
    return true;
}

/* Bans node n for group g, dated by the failure of ts_ms (the latest, when banned again). */
static void ban(struct db_group *G, size_t n, uint64_t ts_ms)
{
    G->banned[n] = true;
    if (ts_ms > G->banned_ms[n])
        G->banned_ms[n] = ts_ms;
}

bool db_apply_failure(struct db *db, size_t g, size_t r, size_t n, enum db_fail_kind kind,
                      uint64_t ts_ms, const char *reason, uint32_t src_id)
{
    const struct cfg *cfg = db->cfg;
    if (g >= cfg->n_groups || n >= cfg->n_nodes || r >= cfg->groups[g].n_resources)
        return false;
    const struct cfg_group *cg = &cfg->groups[g];
    struct db_group *G = &db->groups[g];
    if (G->res_failures[r] < UINT32_MAX)
        G->res_failures[r]++;
    if (G->n_history == DB_MAX_HISTORY) {
        free(G->history[0].reason);
        memmove(G->history, G->history + 1, (DB_MAX_HISTORY - 1) * sizeof(G->history[0]));
        G->n_history--;
    }
    G->history[G->n_history++] = (struct db_failure){
        .node = n, .resource = r, .ts_ms = ts_ms, .kind = kind, .reason = xstrdup(reason ?: "")};
    bool decisive = false;
    switch (kind) {
    case DB_FAIL_IGNORE:
        break;
    case DB_FAIL_RESTART: {
        /* Keep the restarts still within the window, then this one. */
        size_t k = 0;
        for (size_t i = 0; i < G->n_restarts[n]; i++)
            if (G->restarts[n][i] + cg->restarts_within_ms > ts_ms)
                G->restarts[n][k++] = G->restarts[n][i];
        G->restarts[n] = xrealloc(G->restarts[n], (k + 1) * sizeof(uint64_t));
        G->restarts[n][k++] = ts_ms;
        G->n_restarts[n] = k;
        if (k > cg->restarts_max) {
            ban(G, n, ts_ms);
            decisive = true;
        }
        break;
    }
    case DB_FAIL_FAILOVER:
    case DB_FAIL_START:
        ban(G, n, ts_ms);
        decisive = true;
        break;
    case DB_FAIL_HALT:
        G->halted = true;
        decisive = true;
        break;
    case DB_FAIL_FENCE:
        G->fence_wanted[n] = true;
        decisive = true;
        break;
    case DB_FAIL_KIND_MAX:
        break;
    }
    bump(db, src_id);
    return decisive;
}

bool db_apply_fenced(struct db *db, size_t n, uint32_t src_id)
{
    if (n >= db->cfg->n_nodes)
        return false;
    bool changed = false;
    for (size_t g = 0; g < db->cfg->n_groups; g++) {
        changed |= db->groups[g].fence_wanted[n];
        db->groups[g].fence_wanted[n] = false;
    }
    if (changed)
        bump(db, src_id);
    return changed;
}

/* ---- JSON ---- */

static json_t *node_list(const struct cfg *cfg, const bool *flags)
{
    json_t *a = json_array();
    for (size_t n = 0; n < cfg->n_nodes; n++)
        if (flags[n])
            json_array_append_new(a, json_string(cfg->nodes[n].name));
    return a;
}

static json_t *to_json(const struct db *db, bool complete)
{
    const struct cfg *cfg = db->cfg;
    json_t *groups = json_object();
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct cfg_group *cg = &cfg->groups[g];
        const struct db_group *G = &db->groups[g];
        json_t *restarts = json_object();
        for (size_t n = 0; n < cfg->n_nodes; n++) {
            if (!G->n_restarts[n])
                continue;
            json_t *a = json_array();
            for (size_t i = 0; i < G->n_restarts[n]; i++)
                json_array_append_new(a, json_integer((json_int_t)G->restarts[n][i]));
            json_object_set_new(restarts, cfg->nodes[n].name, a);
        }
        json_t *banned_at = json_object();
        for (size_t n = 0; n < cfg->n_nodes; n++)
            if (G->banned[n] && G->banned_ms[n])
                json_object_set_new(banned_at, cfg->nodes[n].name,
                                    json_integer((json_int_t)G->banned_ms[n]));
        json_t *fails = json_object();
        for (size_t r = 0; r < cg->n_resources; r++)
            if (G->res_failures[r])
                json_object_set_new(fails, cg->resources[r].name, json_integer(G->res_failures[r]));
        json_t *hist = json_array();
        for (size_t i = 0; i < G->n_history; i++) {
            const struct db_failure *f = &G->history[i];
            json_array_append_new(hist, json_pack("{s:s, s:s, s:I, s:s, s:s}", "node",
                                                  cfg->nodes[f->node].name, "resource",
                                                  cg->resources[f->resource].name, "ts",
                                                  (json_int_t)f->ts_ms, "kind",
                                                  db_fail_kind_name(f->kind), "reason", f->reason));
        }
        json_t *jg =
            json_pack("{s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "stopped", G->stopped,
                      "unmanaged", G->unmanaged, "halted", G->halted, "prefer",
                      G->prefer >= 0 ? json_string(cfg->nodes[G->prefer].name) : json_null(),
                      "banned", node_list(cfg, G->banned), "banned_at", banned_at, "fence_wanted",
                      node_list(cfg, G->fence_wanted), "restarts", restarts, "failures", fails,
                      "history", hist);
        json_object_set_new(groups, cg->name, jg);
    }
    json_t *j = json_pack("{s:I, s:I, s:o, s:o, s:o}", "version", (json_int_t)db->version, "src",
                          (json_int_t)db->src, "standby", node_list(cfg, db->standby), "groups",
                          groups, "attributes", db_attr_to_json(db, complete));
    if (complete)
        json_object_set_new(j, "complete", json_boolean(db->complete));
    return j;
}

json_t *db_to_json(const struct db *db)
{
    return to_json(db, true);
}

json_t *db_to_json_persisted(const struct db *db)
{
    return to_json(db, false);
}

/* Typed getters: each sets *err (once) when the value has the wrong type. */
static bool want(const json_t *v, json_type t, const char *what, char **err)
{
    if (v && json_typeof(v) == t)
        return true;
    if (!*err)
        *err = xasprintf("%s: %s", what, v ? "wrong type" : "missing");
    return false;
}

/* An optional boolean member (false when absent). */
static bool get_bool(const json_t *obj, const char *key, char **err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return false;
    if (!json_is_boolean(v)) {
        if (!*err)
            *err = xasprintf("%s: wrong type", key);
        return false;
    }
    return json_is_true(v);
}

static void read_node_list(const struct cfg *cfg, const json_t *a, bool *flags, const char *what,
                           char **err)
{
    if (!a)
        return;
    if (!want(a, JSON_ARRAY, what, err))
        return;
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!want(v, JSON_STRING, what, err))
            return;
        const struct cfg_node *nd = cfg_node_by_name(cfg, json_string_value(v));
        if (nd)
            flags[nd - cfg->nodes] = true;
    }
}

static int res_index(const struct cfg_group *cg, const char *name)
{
    for (size_t r = 0; r < cg->n_resources; r++)
        if (strcmp(cg->resources[r].name, name) == 0)
            return (int)r;
    return -1;
}

static void read_group(const struct cfg *cfg, size_t g, struct db_group *G, const json_t *jg,
                       char **err)
{
    const struct cfg_group *cg = &cfg->groups[g];
    if (!want(jg, JSON_OBJECT, "group", err))
        return;
    G->stopped = get_bool(jg, "stopped", err);
    G->unmanaged = get_bool(jg, "unmanaged", err);
    G->halted = get_bool(jg, "halted", err);
    json_t *v = json_object_get(jg, "prefer");
    if (v && json_is_string(v)) {
        const struct cfg_node *nd = cfg_node_by_name(cfg, json_string_value(v));
        G->prefer = nd ? (int)(nd - cfg->nodes) : -1;
    } else if (v && !json_is_null(v)) {
        want(v, JSON_STRING, "prefer", err);
    }
    read_node_list(cfg, json_object_get(jg, "banned"), G->banned, "banned", err);
    read_node_list(cfg, json_object_get(jg, "fence_wanted"), G->fence_wanted, "fence_wanted", err);
    const char *key;
    json_t *jv;
    /* When each ban began; absent before bans were dated (then 0: unknown). */
    v = json_object_get(jg, "banned_at");
    if (v && want(v, JSON_OBJECT, "banned_at", err)) {
        json_object_foreach(v, key, jv)
        {
            if (!want(jv, JSON_INTEGER, "banned_at", err))
                return;
            if (json_integer_value(jv) < 0) {
                if (!*err)
                    *err = xstrdup("banned_at: negative time");
                return;
            }
            const struct cfg_node *nd = cfg_node_by_name(cfg, key);
            if (nd && G->banned[nd - cfg->nodes])
                G->banned_ms[nd - cfg->nodes] = (uint64_t)json_integer_value(jv);
        }
    }
    v = json_object_get(jg, "restarts");
    if (v && want(v, JSON_OBJECT, "restarts", err)) {
        json_object_foreach(v, key, jv)
        {
            const struct cfg_node *nd = cfg_node_by_name(cfg, key);
            if (!want(jv, JSON_ARRAY, "restarts", err))
                return;
            if (!nd)
                continue;
            size_t n = (size_t)(nd - cfg->nodes), i;
            json_t *t;
            free(G->restarts[n]);
            G->restarts[n] = xcalloc(json_array_size(jv) + 1, sizeof(uint64_t));
            G->n_restarts[n] = 0;
            json_array_foreach(jv, i, t)
            {
                if (!want(t, JSON_INTEGER, "restarts", err) || json_integer_value(t) < 0)
                    return;
                G->restarts[n][G->n_restarts[n]++] = (uint64_t)json_integer_value(t);
            }
        }
    }
    v = json_object_get(jg, "failures");
    if (v && want(v, JSON_OBJECT, "failures", err)) {
        json_object_foreach(v, key, jv)
        {
            if (!want(jv, JSON_INTEGER, "failures", err))
                return;
            int r = res_index(cg, key);
            json_int_t x = json_integer_value(jv);
            if (r >= 0)
                G->res_failures[r] = x < 0 ? 0 : x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
        }
    }
    v = json_object_get(jg, "history");
    if (v && want(v, JSON_ARRAY, "history", err)) {
        size_t i;
        json_array_foreach(v, i, jv)
        {
            const char *node = NULL, *res = NULL, *kind = NULL, *reason = NULL;
            json_int_t ts = 0;
            if (json_unpack(jv, "{s:s, s:s, s:I, s:s, s:s}", "node", &node, "resource", &res, "ts",
                            &ts, "kind", &kind, "reason", &reason) < 0) {
                if (!*err)
                    *err = xstrdup("history: malformed entry");
                return;
            }
            const struct cfg_node *nd = cfg_node_by_name(cfg, node);
            int r = res_index(cg, res), k = db_fail_kind_parse(kind);
            if (!nd || r < 0 || k < 0 || ts < 0 || G->n_history == DB_MAX_HISTORY)
                continue;
            G->history[G->n_history++] = (struct db_failure){.node = (size_t)(nd - cfg->nodes),
                                                             .resource = (size_t)r,
                                                             .ts_ms = (uint64_t)ts,
                                                             .kind = (enum db_fail_kind)k,
                                                             .reason = xstrdup(reason)};
        }
    }
}

int db_from_json(const struct cfg *cfg, const json_t *j, struct db **ret, char **ret_err)
{
    char *err = NULL;
    struct db *db = db_new(cfg);
    if (!want(j, JSON_OBJECT, "database", &err))
        goto fail;
    const json_t *v = json_object_get(j, "version");
    const json_t *s = json_object_get(j, "src");
    if (!want(v, JSON_INTEGER, "version", &err) || !want(s, JSON_INTEGER, "src", &err))
        goto fail;
    if (json_integer_value(v) < 0 || json_integer_value(s) < 0 ||
        json_integer_value(s) > UINT32_MAX) {
        err = xstrdup("version or src out of range");
        goto fail;
    }
    db->version = (uint64_t)json_integer_value(v);
    db->src = (uint32_t)json_integer_value(s);
    read_node_list(cfg, json_object_get(j, "standby"), db->standby, "standby", &err);
    /* Absent in state.json: a copy from disk lacks the transient attributes. */
    db->complete = get_bool(j, "complete", &err);
    db_attr_from_json(db, json_object_get(j, "attributes"), &err);
    json_t *groups = json_object_get(j, "groups");
    if (groups && want(groups, JSON_OBJECT, "groups", &err)) {
        const char *key;
        json_t *jg;
        json_object_foreach(groups, key, jg)
        {
            const struct cfg_group *cg = cfg_group_by_name(cfg, key);
            if (cg)
                read_group(cfg, cfg_group_index(cfg, cg), &db->groups[cfg_group_index(cfg, cg)], jg,
                           &err);
            if (err)
                break;
        }
    }
    if (err)
        goto fail;
    *ret = db;
    return 0;
fail:
    db_free(db);
    *ret_err = str_one_line(err); /* it may quote the input's words */
    return -EINVAL;
}

int db_load(const struct cfg *cfg, const char *dir, struct db **ret, char **ret_err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, DB_FILE);
    char *buf = NULL;
    size_t len = 0;
    int r = read_file(path, DB_MAX_FILE, &buf, &len);
    if (r == -ENOENT) {
        *ret = db_new(cfg);
        return -ENOENT;
    }
    if (r < 0) {
        *ret_err = xasprintf("%s: %s", path, strerror(-r));
        return r;
    }
    json_error_t jerr;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (!j) {
        *ret_err = xasprintf("%s:%d: %s", path, jerr.line, jerr.text);
        return -EINVAL;
    }
    char *err = NULL;
    r = db_from_json(cfg, j, ret, &err);
    json_decref(j);
    if (r < 0) {
        *ret_err = xasprintf("%s: %s", path, err);
        free(err);
    }
    return r;
}

char *db_dump(const struct db *db)
{
    json_t *j = db_to_json_persisted(db);
    char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(j);
    char *withnl = xasprintf("%s\n", s ? s : "{}");
    free(s);
    return withnl;
}

int db_write(const char *dir, const char *text)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, DB_FILE);
    return write_file_atomic(path, text, strlen(text), 0600);
}

int db_save(const struct db *db, const char *dir)
{
    _cleanup_free_ char *text = db_dump(db);
    return db_write(dir, text);
}
