/* The normalised form of a configuration, and comparing two configurations. */
#include <string.h>

#include "base/util.h"
#include "config/internal.h"

/*
 * True if s can be written as a plain YAML scalar that reads back as the
 * same string: a conservative subset (names, IPv4 addresses, paths) that no
 * YAML 1.1 or 1.2 reader takes for a number, a boolean or null.
 */
static bool plain_safe(const char *s)
{
    static const char *const special[] = {"y",   "n",    "yes",   "no",   "on",
                                          "off", "true", "false", "null", "~"};
    if (!*s)
        return false;
    size_t dots = 0;
    bool digits_dots = true;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !strchr("._/-", ch))
            return false;
        if (ch == '.')
            dots++;
        else if (ch < '0' || ch > '9')
            digits_dots = false;
    }
    if (s[0] == '-' || s[0] == '.')
        return false;
    if (s[0] >= '0' && s[0] <= '9' && !(digits_dots && dots == 3))
        return false; /* numbers, 0x.., 1e5, dates; a dotted quad is fine */
    for (size_t i = 0; i < ARRAY_SIZE(special); i++)
        if (strcasecmp(s, special[i]) == 0)
            return false;
    return true;
}

/*
 * Appends s as a YAML scalar: plain when safe, else double-quoted with
 * escapes for control characters (C0, DEL, C1), line and paragraph separators
 * and the byte order mark, which a reader would not take back as written.
 */
static void put_scalar(struct cfg_buf *b, const char *s)
{
    if (plain_safe(s)) {
        cfg_buf_printf(b, "%s", s);
        return;
    }
    cfg_buf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            cfg_buf_printf(b, "\\%c", *p);
        } else if (*p < 0x20 || *p == 0x7f) {
            cfg_buf_printf(b, "\\x%02x", *p);
        } else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            cfg_buf_printf(b, "\\x%02x", p[1]);
            p++;
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            cfg_buf_printf(b, "\\u%04x", 0x2000u + p[2] - 0x80u);
            p += 2;
        } else if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
            cfg_buf_printf(b, "\\ufeff");
            p += 2;
        } else {
            cfg_buf_printf(b, "%c", *p);
        }
    }
    cfg_buf_printf(b, "\"");
}

static const char *tie_breaker_text(const struct cfg *c)
{
    if (c->tie_breaker == CFG_TIE_NODE) {
        const struct cfg_node *n = cfg_node_by_id(c, c->tie_breaker_node_id);
        return n && n->name ? n->name : "lowest";
    }
    const char *s = cfg_tie_breaker_name(c->tie_breaker);
    return s ? s : "lowest";
}

/* A device of a level: its name alone, or {device: NAME, port: PORT}. */
static void put_fence_ref(struct cfg_buf *b, const struct cfg *c, const struct cfg_fence_ref *r)
{
    const char *name = r->device < c->n_fence_devices && c->fence_devices[r->device].name
                           ? c->fence_devices[r->device].name
                           : "";
    if (!r->port) {
        put_scalar(b, name);
        return;
    }
    cfg_buf_printf(b, "{device: ");
    put_scalar(b, name);
    cfg_buf_printf(b, ", port: ");
    put_scalar(b, r->port);
    cfg_buf_printf(b, "}");
}

static void put_fence_device(struct cfg_buf *b, const struct cfg_fence_device *d)
{
    char dur[32];
    cfg_buf_printf(b, "    - name: ");
    put_scalar(b, d->name ? d->name : "");
    cfg_buf_printf(b, "\n      agent: ");
    put_scalar(b, d->agent ? d->agent : "");
    cfg_buf_printf(b, "\n      params:%s\n", d->n_params ? "" : " {}");
    for (size_t p = 0; p < d->n_params; p++) {
        cfg_buf_printf(b, "        ");
        put_scalar(b, d->params[p].key ? d->params[p].key : "");
        cfg_buf_printf(b, ": ");
        put_scalar(b, d->params[p].value ? d->params[p].value : "");
        cfg_buf_printf(b, "\n");
    }
    if (d->secrets) {
        cfg_buf_printf(b, "      secrets: ");
        put_scalar(b, d->secrets);
        cfg_buf_printf(b, "\n");
    }
    cfg_buf_printf(b, "      timeout: %s\n", dur_format(d->timeout_ms, dur));
}

/* The fencing section; a node with no levels and no delay is left out of nodes. */
static void put_fencing(struct cfg_buf *b, const struct cfg *c)
{
    char dur[32];
    const char *action = cfg_fence_action_name(c->fence_action);
    cfg_buf_printf(b, "fencing:\n  enabled: %s\n  unsafe_recovery: %s\n  action: ",
                   c->fence_enabled ? "true" : "false",
                   c->fence_unsafe_recovery ? "true" : "false");
    put_scalar(b, action ? action : "off");
    cfg_buf_printf(b, "\n  retries: %u\n  devices:%s\n", c->fence_retries,
                   c->n_fence_devices ? "" : " []");
    for (size_t i = 0; i < c->n_fence_devices; i++)
        put_fence_device(b, &c->fence_devices[i]);
    size_t shown = 0;
    for (size_t i = 0; c->fence_nodes && i < c->n_nodes; i++)
        shown += c->fence_nodes[i].n_levels > 0 || c->fence_nodes[i].delay_ms > 0;
    cfg_buf_printf(b, "  nodes:%s\n", shown ? "" : " {}");
    for (size_t i = 0; shown && i < c->n_nodes; i++) {
        const struct cfg_fence_node *fn = &c->fence_nodes[i];
        if (fn->n_levels == 0 && fn->delay_ms == 0)
            continue;
        cfg_buf_printf(b, "    ");
        put_scalar(b, c->nodes[i].name ? c->nodes[i].name : "");
        cfg_buf_printf(b, ":\n      delay: %s\n      levels:%s\n", dur_format(fn->delay_ms, dur),
                       fn->n_levels ? "" : " []");
        for (size_t l = 0; l < fn->n_levels; l++) {
            cfg_buf_printf(b, "        - [");
            for (size_t r = 0; r < fn->levels[l].n_refs; r++) {
                cfg_buf_printf(b, "%s", r ? ", " : "");
                put_fence_ref(b, c, &fn->levels[l].refs[r]);
            }
            cfg_buf_printf(b, "]\n");
        }
    }
}

/* Returns the normalised YAML text of c, owned by the caller (see config.h). */
char *cfg_print(const struct cfg *c)
{
    struct cfg_buf b = {0};
    char dur[32];
    const char *engine = cfg_engine_name(c->engine);
    const char *link_mode = cfg_link_mode_name(c->link_mode);

    cfg_buf_printf(&b, "cluster:\n  name: ");
    put_scalar(&b, c->cluster_name ? c->cluster_name : "");
    cfg_buf_printf(&b, "\n  key: ");
    put_scalar(&b, c->key_path ? c->key_path : CFG_DEFAULT_KEY_PATH);
    cfg_buf_printf(&b, "\nengine: %s\n", engine ? engine : "managed");
    cfg_buf_printf(&b, "heartbeat:\n  interval: %s\n  misses: %u\n  link_mode: %s\n",
                   dur_format(c->interval_ms, dur), c->misses, link_mode ? link_mode : "active");
    cfg_buf_printf(&b, "networks:\n");
    for (size_t i = 0; i < c->n_networks; i++) {
        cfg_buf_printf(&b, "  - name: ");
        put_scalar(&b, c->networks[i].name ? c->networks[i].name : "");
        cfg_buf_printf(&b, "\n");
    }
    cfg_buf_printf(&b, "nodes:\n");
    for (size_t i = 0; i < c->n_nodes; i++) {
        const struct cfg_node *n = &c->nodes[i];
        cfg_buf_printf(&b, "  - name: ");
        put_scalar(&b, n->name ? n->name : "");
        cfg_buf_printf(&b, "\n    id: %u\n    addresses:\n", n->id);
        for (size_t j = 0; j < c->n_networks; j++) {
            cfg_buf_printf(&b, "      ");
            put_scalar(&b, c->networks[j].name ? c->networks[j].name : "");
            cfg_buf_printf(&b, ": ");
            put_scalar(&b, n->addr && n->addr[j] ? n->addr[j] : "");
            cfg_buf_printf(&b, "\n");
        }
    }
    cfg_buf_printf(&b, "quorum:\n  tie_breaker: ");
    put_scalar(&b, tie_breaker_text(c));
    cfg_buf_printf(&b, "\n");
    put_fencing(&b, c);
    return cfg_buf_steal(&b);
}

static bool fence_device_equal(const struct cfg_fence_device *x, const struct cfg_fence_device *y)
{
    if (!streq_null(x->name, y->name) || !streq_null(x->agent, y->agent) ||
        !streq_null(x->secrets, y->secrets) || x->timeout_ms != y->timeout_ms ||
        x->n_params != y->n_params)
        return false;
    for (size_t p = 0; p < x->n_params; p++)
        if (!streq_null(x->params[p].key, y->params[p].key) ||
            !streq_null(x->params[p].value, y->params[p].value))
            return false;
    return true;
}

/* Node i's fencing; a missing array reads as no levels and no delay. */
static const struct cfg_fence_node *fence_node(const struct cfg *c, size_t i)
{
    static const struct cfg_fence_node none = {0};
    return c->fence_nodes ? &c->fence_nodes[i] : &none;
}

static bool fence_node_equal(const struct cfg_fence_node *x, const struct cfg_fence_node *y)
{
    if (x->delay_ms != y->delay_ms || x->n_levels != y->n_levels)
        return false;
    for (size_t l = 0; l < x->n_levels; l++) {
        const struct cfg_fence_level *p = &x->levels[l], *q = &y->levels[l];
        if (p->n_refs != q->n_refs)
            return false;
        for (size_t r = 0; r < p->n_refs; r++)
            if (p->refs[r].device != q->refs[r].device ||
                !streq_null(p->refs[r].port, q->refs[r].port))
                return false;
    }
    return true;
}

static bool fencing_equal(const struct cfg *a, const struct cfg *b)
{
    if (a->fence_enabled != b->fence_enabled ||
        a->fence_unsafe_recovery != b->fence_unsafe_recovery ||
        a->fence_action != b->fence_action || a->fence_retries != b->fence_retries ||
        a->n_fence_devices != b->n_fence_devices)
        return false;
    for (size_t i = 0; i < a->n_fence_devices; i++)
        if (!fence_device_equal(&a->fence_devices[i], &b->fence_devices[i]))
            return false;
    for (size_t i = 0; i < a->n_nodes; i++) /* the caller checked that n_nodes match */
        if (!fence_node_equal(fence_node(a, i), fence_node(b, i)))
            return false;
    return true;
}

/* True if a and b describe the same cluster; c->file is ignored. */
bool cfg_equal(const struct cfg *a, const struct cfg *b)
{
    if (!streq_null(a->cluster_name, b->cluster_name) || !streq_null(a->key_path, b->key_path) ||
        a->engine != b->engine || a->interval_ms != b->interval_ms || a->misses != b->misses ||
        a->link_mode != b->link_mode || a->n_networks != b->n_networks ||
        a->n_nodes != b->n_nodes || a->tie_breaker != b->tie_breaker)
        return false;
    if (a->tie_breaker == CFG_TIE_NODE && a->tie_breaker_node_id != b->tie_breaker_node_id)
        return false;
    for (size_t i = 0; i < a->n_networks; i++)
        if (!streq_null(a->networks[i].name, b->networks[i].name))
            return false;
    for (size_t i = 0; i < a->n_nodes; i++) {
        const struct cfg_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (!streq_null(x->name, y->name) || x->id != y->id)
            return false;
        for (size_t j = 0; j < a->n_networks; j++)
            if (!streq_null(x->addr ? x->addr[j] : NULL, y->addr ? y->addr[j] : NULL))
                return false;
    }
    return fencing_equal(a, b);
}
