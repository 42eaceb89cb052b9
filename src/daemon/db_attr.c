/* Node attributes in the cluster database: checks, set, delete, forget, and their JSON. */
#include "base/util.h"
#include "daemon/db.h"

#include <errno.h>
#include <string.h>

static const char *const life_names[DB_ATTR_LIFE_MAX] = {"reboot", "forever"};

const char *db_attr_life_name(enum db_attr_life l)
{
    return (unsigned)l < DB_ATTR_LIFE_MAX ? life_names[l] : "unknown";
}

int db_attr_life_parse(const char *name)
{
    for (int i = 0; i < DB_ATTR_LIFE_MAX; i++)
        if (strcmp(name, life_names[i]) == 0)
            return i;
    return -1;
}

int db_attr_check_name(const char *name, char **ret_err)
{
    size_t len = strlen(name);
    if (len == 0) {
        *ret_err = xstrdup("the attribute name is empty");
        return -EINVAL;
    }
    if (len > DB_ATTR_MAX_NAME) {
        *ret_err =
            xasprintf("attribute name '%.32s...' is longer than %d bytes", name, DB_ATTR_MAX_NAME);
        return -EINVAL;
    }
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == ':';
        if (!ok || (p == name && c == '-')) {
            *ret_err = xasprintf("bad attribute name '%.*s': use letters, digits, '_', '-', "
                                 "'.' and ':' (not starting with '-')",
                                 (int)(len > 64 ? 64 : len), name);
            for (char *q = *ret_err; *q; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7f)
                    *q = '?';
            return -EINVAL;
        }
    }
    return 0;
}

int db_attr_check_value(const char *name, const char *value, size_t len, char **ret_err)
{
    if (len > DB_ATTR_MAX_VALUE) {
        *ret_err =
            xasprintf("the value of attribute %s is longer than %d bytes", name, DB_ATTR_MAX_VALUE);
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c == 0x7f) {
            *ret_err = xasprintf("the value of attribute %s holds a control character (byte %zu)",
                                 name, i + 1);
            return -EINVAL;
        }
    }
    return 0;
}

/* The index where name is, or would be inserted, in node attributes na; *found says which. */
static size_t find(const struct db_node_attrs *na, const char *name, bool *found)
{
    size_t lo = 0, hi = na->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(na->a[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const struct db_attr *db_attr_get(const struct db *db, size_t n, const char *name)
{
    bool found;
    size_t i = find(&db->attrs[n], name, &found);
    return found ? &db->attrs[n].a[i] : NULL;
}

/* Bytes node attributes na take (names and values), the entry at skip left out. */
static size_t bytes_of(const struct db_node_attrs *na, size_t skip)
{
    size_t b = 0;
    for (size_t i = 0; i < na->n; i++)
        if (i != skip)
            b += strlen(na->a[i].name) + strlen(na->a[i].value);
    return b;
}

static void attr_clear(struct db_attr *a)
{
    free(a->name);
    free(a->value);
}

static void bump(struct db *db, uint32_t src_id)
{
    db->version++;
    db->src = src_id;
}

int db_attr_set(struct db *db, size_t n, const char *name, const char *value,
                enum db_attr_life life, uint32_t src_id, char **ret_err)
{
    const char *node = db->cfg->nodes[n].name;
    char *e = NULL;
    if (db_attr_check_name(name, &e) < 0 ||
        db_attr_check_value(name, value, strlen(value), &e) < 0) {
        *ret_err = xasprintf("node %s: %s", node, e);
        free(e);
        return -EINVAL;
    }
    struct db_node_attrs *na = &db->attrs[n];
    bool found;
    size_t i = find(na, name, &found);
    if (found && strcmp(na->a[i].value, value) == 0 && na->a[i].life == life)
        return 0;
    if (!found && na->n >= DB_ATTR_MAX_COUNT) {
        *ret_err = xasprintf("node %s has %d attributes already (the limit): attribute %s not set",
                             node, DB_ATTR_MAX_COUNT, name);
        return -E2BIG;
    }
    if (bytes_of(na, found ? i : SIZE_MAX) + strlen(name) + strlen(value) > DB_ATTR_MAX_BYTES) {
        *ret_err = xasprintf("the attributes of node %s would take more than %d bytes: attribute "
                             "%s not set",
                             node, DB_ATTR_MAX_BYTES, name);
        return -E2BIG;
    }
    if (!found) {
        na->a = xrealloc(na->a, (na->n + 1) * sizeof(*na->a));
        memmove(na->a + i + 1, na->a + i, (na->n - i) * sizeof(*na->a));
        na->n++;
        na->a[i] = (struct db_attr){.name = xstrdup(name)};
    } else {
        free(na->a[i].value);
    }
    na->a[i].value = xstrdup(value);
    na->a[i].life = life;
    bump(db, src_id);
    na->a[i].since = db->version;
    return 1;
}

/* Removes entry i of node attributes na. */
static void remove_at(struct db_node_attrs *na, size_t i)
{
    attr_clear(&na->a[i]);
    memmove(na->a + i, na->a + i + 1, (na->n - i - 1) * sizeof(*na->a));
    na->n--;
}

bool db_attr_delete(struct db *db, size_t n, const char *name, int life, uint32_t src_id)
{
    struct db_node_attrs *na = &db->attrs[n];
    bool found;
    size_t i = find(na, name, &found);
    if (!found || (life >= 0 && na->a[i].life != (enum db_attr_life)life))
        return false;
    remove_at(na, i);
    bump(db, src_id);
    return true;
}

bool db_attr_has_transient(const struct db *db, size_t n, uint64_t before)
{
    const struct db_node_attrs *na = &db->attrs[n];
    for (size_t i = 0; i < na->n; i++)
        if (na->a[i].life == DB_ATTR_REBOOT && na->a[i].since <= before)
            return true;
    return false;
}

bool db_attr_forget(struct db *db, size_t n, uint64_t before, uint32_t src_id)
{
    struct db_node_attrs *na = &db->attrs[n];
    bool changed = false;
    for (size_t i = na->n; i-- > 0;)
        if (na->a[i].life == DB_ATTR_REBOOT && na->a[i].since <= before) {
            remove_at(na, i);
            changed = true;
        }
    if (changed)
        bump(db, src_id);
    return changed;
}

void db_attr_free_all(struct db *db)
{
    for (size_t n = 0; n < db->cfg->n_nodes; n++) {
        for (size_t i = 0; i < db->attrs[n].n; i++)
            attr_clear(&db->attrs[n].a[i]);
        free(db->attrs[n].a);
        db->attrs[n] = (struct db_node_attrs){0};
    }
}

json_t *db_attr_to_json(const struct db *db, bool transient)
{
    json_t *all = json_object();
    for (size_t n = 0; n < db->cfg->n_nodes; n++) {
        const struct db_node_attrs *na = &db->attrs[n];
        json_t *jn = json_object();
        for (size_t i = 0; i < na->n; i++) {
            const struct db_attr *a = &na->a[i];
            if (a->life == DB_ATTR_REBOOT && !transient)
                continue;
            json_object_set_new(jn, a->name,
                                json_pack("{s:s, s:s, s:I}", "value", a->value, "lifetime",
                                          db_attr_life_name(a->life), "since",
                                          (json_int_t)a->since));
        }
        if (json_object_size(jn))
            json_object_set_new(all, db->cfg->nodes[n].name, jn);
        else
            json_decref(jn);
    }
    return all;
}

/* Reads one attribute of node n (name, its JSON object ja); sets *err once on anything wrong. */
static void read_attr(struct db *db, size_t n, const char *name, json_t *ja, char **err)
{
    const char *node = db->cfg->nodes[n].name;
    const char *value = NULL, *life = NULL;
    json_int_t since = 0;
    if (json_unpack(ja, "{s:s, s:s, s?:I}", "value", &value, "lifetime", &life, "since", &since) <
            0 ||
        since < 0) {
        *err = xasprintf("attributes: node %s: attribute %.64s is malformed", node, name);
        return;
    }
    int l = db_attr_life_parse(life);
    if (l < 0) {
        *err = xasprintf("attributes: node %s: attribute %.64s: unknown lifetime '%.16s'", node,
                         name, life);
        return;
    }
    char *e = NULL;
    size_t vlen = json_string_length(json_object_get(ja, "value"));
    if (db_attr_check_name(name, &e) < 0 || db_attr_check_value(name, value, vlen, &e) < 0) {
        *err = xasprintf("attributes: node %s: %s", node, e);
        free(e);
        return;
    }
    struct db_node_attrs *na = &db->attrs[n];
    bool found;
    size_t i = find(na, name, &found);
    if (found || na->n >= DB_ATTR_MAX_COUNT ||
        bytes_of(na, SIZE_MAX) + strlen(name) + vlen > DB_ATTR_MAX_BYTES) {
        *err = xasprintf("attributes: node %s has more attributes than the limits allow", node);
        return;
    }
    na->a = xrealloc(na->a, (na->n + 1) * sizeof(*na->a));
    memmove(na->a + i + 1, na->a + i, (na->n - i) * sizeof(*na->a));
    na->n++;
    na->a[i] = (struct db_attr){.name = xstrdup(name),
                                .value = xstrdup(value),
                                .life = (enum db_attr_life)l,
                                .since = (uint64_t)since};
}

void db_attr_from_json(struct db *db, json_t *j, char **err)
{
    if (!j || *err)
        return;
    if (!json_is_object(j)) {
        *err = xstrdup("attributes: wrong type");
        return;
    }
    const char *node;
    json_t *jn;
    json_object_foreach(j, node, jn)
    {
        if (!json_is_object(jn)) {
            *err = xasprintf("attributes: node %.64s: wrong type", node);
            return;
        }
        const struct cfg_node *nd = cfg_node_by_name(db->cfg, node);
        if (!nd)
            continue; /* a node the configuration no longer has */
        const char *name;
        json_t *ja;
        json_object_foreach(jn, name, ja)
        {
            read_attr(db, (size_t)(nd - db->cfg->nodes), name, ja, err);
            if (*err)
                return;
        }
    }
}
