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

/* Appends s as a YAML scalar: plain when safe, else double-quoted with escapes. */
static void put_scalar(struct cfg_buf *b, const char *s)
{
    if (plain_safe(s)) {
        cfg_buf_printf(b, "%s", s);
        return;
    }
    cfg_buf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            cfg_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            cfg_buf_printf(b, "\\x%02x", *p);
        else
            cfg_buf_printf(b, "%c", *p);
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
    return cfg_buf_steal(&b);
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
    return true;
}
