/*
 * Loading vigil.yaml: the YAML tree (ytree.c) is checked against the schema
 * and turned into a struct cfg. Every problem is reported, each at the node it
 * concerns, and the walk goes on after a problem so that one run of `vigil
 * verify` shows them all. Nothing here logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/internal.h"

/* Longest piece of a value quoted back in a message. */
#define QUOTE_MAX 48
/* Longest key path accepted (it is written into corosync.conf). */
#define KEY_PATH_MAX 4096

/* Where each accepted value came from, for messages that involve two nodes. */
struct node_src {
    struct ynode *entry; /* the node's mapping */
    struct ynode *name;  /* value nodes, NULL when absent */
    struct ynode *id;
    struct ynode **addr; /* [n_networks]: the value node of each address */
    bool name_ok;
    bool id_ok;
};

/* Where each fence device came from. */
struct fdev_src {
    struct ynode *name; /* the name's value node when usable and unique, else NULL */
    struct ynode *agent;
    struct ynode *secrets;
    bool used; /* named by some level */
};

struct addr_bin {
    int family; /* AF_INET or AF_INET6, 0 if invalid */
    unsigned char bytes[16];
};

struct loader {
    const char *file;
    struct cfg_diags *d;
    struct cfg *c;

    struct ynode **net_name; /* [n_networks]: value node of each usable network name */
    bool networks_ok;        /* the list is present and usable to check addresses against */
    struct node_src *src;    /* [c->n_nodes] */
    struct addr_bin *bin;    /* [c->n_nodes * c->n_networks] */

    struct ynode *cluster;
    struct ynode *key;
    struct ynode *heartbeat;
    struct ynode *interval;
    struct ynode *misses;
    struct ynode *link_mode; /* the value node, NULL when absent or not a keyword */
    struct ynode *tie_breaker;
    bool interval_ok, misses_ok, tie_ok;

    struct ynode *fencing;         /* the section's key, NULL when absent */
    bool fencing_ok;               /* the section is a mapping */
    struct ynode *fence_enabled;   /* value nodes when valid, else NULL */
    struct ynode *fence_unsafe;    /* set only when true */
    struct ynode *fence_nodes_map; /* the key of fencing.nodes when that is a mapping */
    bool fence_enabled_bad;        /* enabled is present but not true or false */
    bool fence_nodes_bad;          /* fencing.nodes is present but unusable */
    bool fence_refs_ok;            /* every level and entry loaded without error */
    bool fdevs_ok;                 /* every device has a usable name: references can be checked */
    struct fdev_src *fdev;         /* [c->n_fence_devices] */
    struct ynode **fnode_key;      /* [c->n_nodes]: the node's key in fencing.nodes */
    struct ynode **fnode_at;       /* [c->n_nodes]: its levels list when that is empty */
    bool *fnode_bad;               /* [c->n_nodes]: its entry had errors */
};

/* ---- Reporting ---- */

static void verr(struct loader *ld, enum cfg_severity sev, const struct ynode *at, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));
static void verr(struct loader *ld, enum cfg_severity sev, const struct ynode *at, const char *fmt,
                 va_list ap)
{
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    cfg_diags_add(ld->d, sev, ld->file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

static void err(struct loader *ld, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err(struct loader *ld, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(ld, CFG_SEV_ERROR, at, fmt, ap);
    va_end(ap);
}

static void warn(struct loader *ld, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(struct loader *ld, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(ld, CFG_SEV_WARNING, at, fmt, ap);
    va_end(ap);
}

/*
 * Quotes text for a message: 'text', with control bytes escaped and long
 * values cut short. Returns a string owned by the caller.
 */
static char *quote_with(const char *s, size_t len, char delim)
{
    struct cfg_buf b = {0};
    size_t n = len;
    bool cut = false;
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        cut = true;
    }
    cfg_buf_printf(&b, "%c", delim);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            cfg_buf_printf(&b, "\\x%02x", ch);
        else
            cfg_buf_printf(&b, "%c", ch);
    }
    cfg_buf_printf(&b, "%s%c", cut ? "..." : "", delim);
    return cfg_buf_steal(&b);
}

static char *quote(const char *s, size_t len)
{
    return quote_with(s, len, '\'');
}

static char *quote_node(const struct ynode *n)
{
    return quote(n->text, n->len);
}

static bool is_null(const struct ynode *n)
{
    if (n->type != YN_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
           strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

/* Describes what a node is, for "must be X, not Y". Returns a string owned by the caller. */
static char *describe(const struct ynode *n)
{
    switch (n->type) {
    case YN_MAPPING:
        return xstrdup("a mapping");
    case YN_SEQUENCE:
        return xstrdup("a list");
    case YN_ALIAS: {
        _cleanup_free_ char *q = quote(n->text, n->len);
        return xasprintf("the alias *%.*s (anchors and aliases are not supported)",
                         (int)strlen(q) - 2, q + 1);
    }
    default:
        break;
    }
    if (is_null(n))
        return xstrdup("an empty value");
    if (n->plain)
        return quote_node(n);
    _cleanup_free_ char *q = quote_with(n->text, n->len, '"');
    return xasprintf("the quoted string %s", q);
}

static void err_type(struct loader *ld, const struct ynode *n, const char *label,
                     const char *expected)
{
    _cleanup_free_ char *got = describe(n);
    err(ld, n, "%s must be %s, not %s", label, expected, got);
}

/* Picks the candidate closest to word (edit distance at most 2), or NULL. */
static const char *suggest(const char *word, const char *const *cand, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        if (!cand[i])
            continue;
        size_t d = str_edit_distance(word, cand[i], 2);
        if (d < best_d && d < strlen(cand[i])) {
            best = cand[i];
            best_d = d;
        }
    }
    return best;
}

/* "a, b or c", owned by the caller. */
static char *join_or(const char *const *v, size_t n, const char *last_sep)
{
    struct cfg_buf b = {0};
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            continue;
        size_t rest = 0;
        for (size_t j = i + 1; j < n; j++)
            rest += v[j] != NULL;
        cfg_buf_printf(&b, "%s%s", shown == 0 ? "" : rest == 0 ? last_sep : ", ", v[i]);
        shown++;
    }
    return cfg_buf_steal(&b);
}

/* ---- Scalars ---- */

static bool is_scalar(struct loader *ld, const struct ynode *n, const char *label,
                      const char *expected)
{
    if (n->type == YN_SCALAR && !is_null(n))
        return true;
    err_type(ld, n, label, expected);
    return false;
}

static bool has_nul(const struct ynode *n)
{
    return strlen(n->text) != n->len;
}

/* A plain decimal number within lo..hi. */
static bool get_uint(struct loader *ld, const struct ynode *n, const char *label, uint64_t lo,
                     uint64_t hi, uint64_t *ret)
{
    _cleanup_free_ char *expected = xasprintf("a whole number from %llu to %llu",
                                              (unsigned long long)lo, (unsigned long long)hi);
    if (!is_scalar(ld, n, label, expected))
        return false;
    uint64_t v = 0;
    bool digits = n->plain && n->len > 0 && !has_nul(n);
    for (size_t i = 0; digits && i < n->len; i++) {
        char ch = n->text[i];
        if (ch < '0' || ch > '9') {
            digits = false;
        } else if (v <= hi) {
            v = v * 10 + (uint64_t)(ch - '0'); /* cannot overflow: hi < 2^63 / 10 here */
        }
    }
    if (!digits) {
        _cleanup_free_ char *got = describe(n);
        if (!n->plain && n->len > 0 && strspn(n->text, "0123456789") == n->len)
            err(ld, n, "%s must be %s, not %s (write it without quotes)", label, expected, got);
        else
            err_type(ld, n, label, expected);
        return false;
    }
    if (v < lo || v > hi) {
        err(ld, n, "%s is %s; it must be from %llu to %llu", label, n->text, (unsigned long long)lo,
            (unsigned long long)hi);
        return false;
    }
    *ret = v;
    return true;
}

static const char *const dur_units[] = {"ms", "s", "min", "h"};
static const uint64_t dur_unit_ms[] = {1, 1000, 60000, 3600000};

/*
 * For a value like "1.5s" that dur_parse refuses, finds the exact spelling
 * in milliseconds ("1500ms"). Returns a string owned by the caller, or NULL.
 */
static char *fraction_hint(const char *s)
{
    const char *p = s;
    uint64_t whole = 0, frac = 0, scale = 1;
    if (*p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > 1000000000)
            return NULL;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p++ != '.' || *p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (scale > 1000000000)
            return NULL;
        frac = frac * 10 + (uint64_t)(*p - '0');
        scale *= 10;
    }
    for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++) {
        if (strcmp(p, dur_units[i]) != 0)
            continue;
        uint64_t u = dur_unit_ms[i];
        if ((frac * u) % scale != 0)
            return NULL;
        char buf[32];
        return xstrdup(dur_format(whole * u + frac * u / scale, buf));
    }
    return NULL;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A duration string ("100ms") within lo..hi milliseconds. */
static bool get_duration(struct loader *ld, const struct ynode *n, const char *label, uint64_t lo,
                         uint64_t hi, uint64_t *ret)
{
    static const char form[] =
        "write a whole number followed by ms, s, min or h, with no space (e.g. 100ms, 5s, 2min)";
    if (!is_scalar(ld, n, label, "a duration such as 100ms, 5s or 2min"))
        return false;
    _cleanup_free_ char *q = quote_node(n);
    uint64_t v = 0;
    int r = has_nul(n) ? -EINVAL : dur_parse(n->text, &v);
    char lo_s[32], hi_s[32];
    dur_format(lo, lo_s);
    dur_format(hi, hi_s);
    if (r == -ERANGE || (r == 0 && (v < lo || v > hi))) {
        err(ld, n, "%s is %s; it must be from %s to %s", label, n->text, lo_s, hi_s);
        return false;
    }
    if (r < 0) {
        _cleanup_free_ char *hint = has_nul(n) ? NULL : fraction_hint(n->text);
        if (hint)
            err(ld, n, "%s: %s is not a duration: fractions are not accepted; write %s", label, q,
                hint);
        else if (!has_nul(n) && all_digits(n->text))
            err(ld, n, "%s: %s is not a duration: it needs a unit; write %sms (or s, min, h)",
                label, q, n->text);
        else
            err(ld, n, "%s: %s is not a duration; %s", label, q, form);
        return false;
    }
    *ret = v;
    return true;
}

/* Text made of allowed characters, 1..max long, optionally starting with a letter or digit. */
static bool name_chars_ok(const struct ynode *n, size_t max, const char *extra, bool alnum_first)
{
    if (n->len < 1 || n->len > max || has_nul(n))
        return false;
    for (size_t i = 0; i < n->len; i++) {
        char ch = n->text[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (i == 0 && alnum_first && !alnum)
            return false;
        if (!alnum && !strchr(extra, ch))
            return false;
    }
    return true;
}

/*
 * A name: a scalar checked with name_chars_ok. rule says what is allowed,
 * for the message. Returns the text (owned by the tree) or NULL.
 */
static const char *get_name(struct loader *ld, const struct ynode *n, const char *label,
                            const char *what, size_t max, const char *extra, bool alnum_first,
                            const char *rule)
{
    _cleanup_free_ char *expected = xasprintf("a %s (%s)", what, rule);
    if (!is_scalar(ld, n, label, expected))
        return NULL;
    if (!name_chars_ok(n, max, extra, alnum_first)) {
        _cleanup_free_ char *q = quote_node(n);
        err(ld, n, "%s %s is not a valid %s: use %s", label, q, what, rule);
        return NULL;
    }
    return n->text;
}

#define CLUSTER_NAME_RULE "1 to 32 letters, digits, '_' or '-'"
#define NETWORK_NAME_RULE "1 to 15 letters, digits, '_' or '-'"
#define NODE_NAME_RULE    "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"

/* ---- Mappings ---- */

struct key_spec {
    const char *name;
    bool required;
};

/*
 * Checks that n is a mapping whose keys are among specs: reports unknown
 * keys (with a suggestion), duplicate keys and missing required keys. Stores
 * the value node of each known key in found[] (NULL when absent). Returns
 * false if n is not a mapping at all.
 */
static bool walk_mapping(struct loader *ld, const struct ynode *n, const char *label,
                         const char *where, const struct key_spec *specs, size_t n_specs,
                         struct ynode **found)
{
    const struct ynode *keys[16] = {0}; /* n_specs is a small compile-time count */
    bool suggested[16] = {false};
    for (size_t i = 0; i < n_specs; i++)
        found[i] = NULL;
    if (n->type != YN_MAPPING) {
        err_type(ld, n, label, "a mapping (key: value lines)");
        return false;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YN_SCALAR || has_nul(k)) {
            _cleanup_free_ char *got = describe(k);
            err(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        size_t s = 0;
        while (s < n_specs && strcmp(specs[s].name, k->text) != 0)
            s++;
        if (s == n_specs) {
            const char *names[16];
            for (size_t j = 0; j < n_specs; j++)
                names[j] = specs[j].name;
            _cleanup_free_ char *q = quote_node(k);
            const char *sug = suggest(k->text, names, n_specs);
            if (sug) {
                err(ld, k, "unknown key %s %s; did you mean '%s'?", q, where, sug);
                for (size_t j = 0; j < n_specs; j++)
                    suggested[j] |= specs[j].name == sug;
            } else {
                _cleanup_free_ char *all = join_or(names, n_specs, " and ");
                err(ld, k, "unknown key %s %s (the keys here are %s)", q, where, all);
            }
            continue;
        }
        if (keys[s]) {
            err(ld, k, "duplicate key '%s' %s (first at line %d)", specs[s].name, where,
                keys[s]->line);
            continue;
        }
        keys[s] = k;
        found[s] = v;
    }
    for (size_t s = 0; s < n_specs; s++)
        if (specs[s].required && !found[s] && !suggested[s])
            err(ld, n, "missing required key '%s' %s", specs[s].name, where);
    return true;
}

/* ---- Sections ---- */

/* The key of value v in mapping m (v itself if not found), to point at a section by name. */
static struct ynode *key_of(const struct ynode *m, struct ynode *v)
{
    for (size_t i = 0; m && m->type == YN_MAPPING && i + 1 < m->n; i += 2)
        if (m->items[i + 1] == v)
            return m->items[i];
    return v;
}

static void load_cluster(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"name", true}, {"key", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    ld->cluster = n;
    if (!walk_mapping(ld, n, "cluster", "in cluster", specs, ARRAY_SIZE(specs), f))
        return;
    if (f[0]) {
        const char *name =
            get_name(ld, f[0], "cluster.name", "cluster name", 32, "_-", false, CLUSTER_NAME_RULE);
        if (name)
            ld->c->cluster_name = xstrdup(name);
    }
    if (f[1] && is_scalar(ld, f[1], "cluster.key", "the absolute path of the key file")) {
        const struct ynode *k = f[1];
        bool ok = k->len > 1 && k->len <= KEY_PATH_MAX && k->text[0] == '/' && !has_nul(k);
        for (size_t i = 0; ok && i < k->len; i++) {
            unsigned char ch = (unsigned char)k->text[i];
            if (ch <= ' ' || ch == 0x7f || strchr("{}#\"'\\", ch))
                ok = false;
        }
        _cleanup_free_ char *q = quote_node(k);
        if (k->text[0] != '/') {
            err(ld, k, "cluster.key %s must be an absolute path (starting with /)", q);
        } else if (!ok) {
            err(ld, k,
                "cluster.key %s is not a usable key file path: write an absolute path without "
                "spaces, control characters or any of {}#\"'\\",
                q);
        } else {
            free(ld->c->key_path);
            ld->c->key_path = xstrdup(k->text);
            ld->key = f[1];
        }
    }
}

/* A keyword among names[] (NULL-free), else reports; returns its index or -1. */
static int get_keyword(struct loader *ld, const struct ynode *n, const char *label,
                       const char *const *names, size_t n_names)
{
    _cleanup_free_ char *choices = join_or(names, n_names, " or ");
    if (!is_scalar(ld, n, label, choices))
        return -1;
    for (size_t i = 0; i < n_names; i++)
        if (!has_nul(n) && strcmp(n->text, names[i]) == 0)
            return (int)i;
    _cleanup_free_ char *q = quote_node(n);
    const char *sug = has_nul(n) ? NULL : suggest(n->text, names, n_names);
    if (sug)
        err(ld, n, "%s must be %s, not %s; did you mean '%s'?", label, choices, q, sug);
    else
        err(ld, n, "%s must be %s, not %s", label, choices, q);
    return -1;
}

static void load_engine(struct loader *ld, struct ynode *n)
{
    static const char *const names[] = {"managed", "external"};
    int i = get_keyword(ld, n, "engine", names, ARRAY_SIZE(names));
    if (i >= 0)
        ld->c->engine = i == 0 ? CFG_ENGINE_MANAGED : CFG_ENGINE_EXTERNAL;
}

static void load_heartbeat(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {
        {"interval", false}, {"misses", false}, {"link_mode", false}};
    static const char *const modes[] = {"active", "passive"};
    struct ynode *f[ARRAY_SIZE(specs)];
    ld->heartbeat = n;
    if (!walk_mapping(ld, n, "heartbeat", "in heartbeat", specs, ARRAY_SIZE(specs), f)) {
        ld->interval_ok = ld->misses_ok = false;
        return;
    }
    ld->interval = f[0];
    ld->misses = f[1];
    uint64_t v;
    if (f[0]) {
        ld->interval_ok = get_duration(ld, f[0], "heartbeat.interval", CFG_MIN_INTERVAL_MS,
                                       CFG_MAX_INTERVAL_MS, &v);
        if (ld->interval_ok)
            ld->c->interval_ms = v;
    }
    if (f[1]) {
        ld->misses_ok = get_uint(ld, f[1], "heartbeat.misses", CFG_MIN_MISSES, CFG_MAX_MISSES, &v);
        if (ld->misses_ok)
            ld->c->misses = (uint32_t)v;
    }
    if (f[2]) {
        int i = get_keyword(ld, f[2], "heartbeat.link_mode", modes, ARRAY_SIZE(modes));
        if (i >= 0) {
            ld->c->link_mode = i == 0 ? CFG_LINK_ACTIVE : CFG_LINK_PASSIVE;
            ld->link_mode = f[2];
        }
    }
}

/*
 * Checks that n is a non-empty list of at most max entries, reporting what is
 * wrong with it. Returns how many entries to load (0: load none): the extra
 * entries past max are reported once and then ignored.
 */
static size_t check_list(struct loader *ld, struct ynode *n, const char *key, const char *shape,
                         const char *what, size_t max, const char *why)
{
    if (n->type != YN_SEQUENCE) {
        err_type(ld, n, key, shape);
        return 0;
    }
    if (n->n == 0) {
        err(ld, n, "%s is empty; declare at least one %s", key, what);
        return 0;
    }
    if (n->n <= max)
        return n->n;
    err(ld, n->items[max], "too many %s: %zu are declared, at most %zu are supported%s", key, n->n,
        max, why);
    return max;
}

static void load_networks(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"name", true}};
    size_t count = check_list(ld, n, "networks", "a list of networks (- name: NAME)", "network",
                              CFG_MAX_NETWORKS, " (knet's link limit)");
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->networks = xcalloc(count, sizeof(*c->networks));
    ld->net_name = xcalloc(count, sizeof(*ld->net_name));
    c->n_networks = count;
    ld->networks_ok = true;
    for (size_t i = 0; i < count; i++) {
        struct ynode *e = n->items[i];
        struct ynode *f[1];
        _cleanup_free_ char *label = xasprintf("network #%zu", i + 1);
        _cleanup_free_ char *where = xasprintf("in network #%zu", i + 1);
        if (e->type != YN_MAPPING) {
            err_type(ld, e, label, "a mapping such as {name: priv}");
            continue;
        }
        walk_mapping(ld, e, label, where, specs, 1, f);
        if (!f[0])
            continue;
        _cleanup_free_ char *nlabel = xasprintf("network #%zu: name", i + 1);
        const char *name =
            get_name(ld, f[0], nlabel, "network name", 15, "_-", false, NETWORK_NAME_RULE);
        if (!name)
            continue;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            if (ld->net_name[j] && strcmp(c->networks[j].name, name) == 0) {
                err(ld, f[0], "duplicate network name '%s' (first at line %d)", name,
                    ld->net_name[j]->line);
                dup = true;
            }
        }
        if (dup)
            continue;
        c->networks[i].name = xstrdup(name);
        ld->net_name[i] = f[0];
    }
    /* Without every name, node addresses cannot be matched to links: skip those checks. */
    for (size_t i = 0; i < count; i++)
        if (!c->networks[i].name)
            ld->networks_ok = false;
    if (n->n > count)
        ld->networks_ok = false;
}

/*
 * "WHAT 'n1'" when list entry e has a usable name (node name rules), else
 * "WHAT #3"; owned by the caller.
 */
static char *entry_label(const struct ynode *e, size_t idx, const char *what)
{
    if (e->type == YN_MAPPING) {
        for (size_t i = 0; i + 1 < e->n; i += 2) {
            const struct ynode *k = e->items[i], *v = e->items[i + 1];
            if (k->type == YN_SCALAR && strcmp(k->text, "name") == 0 && v->type == YN_SCALAR &&
                name_chars_ok(v, 63, "._-", true))
                return xasprintf("%s '%s'", what, v->text);
        }
    }
    return xasprintf("%s #%zu", what, idx + 1);
}

/* "node 'n1'" when the entry has a usable name, else "node #3"; owned by the caller. */
static char *node_label(const struct ynode *e, size_t idx)
{
    return entry_label(e, idx, "node");
}

static bool parse_addr(const struct ynode *n, struct addr_bin *ret)
{
    if (has_nul(n) || n->len > 64)
        return false;
    if (inet_pton(AF_INET, n->text, ret->bytes) == 1) {
        ret->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, n->text, ret->bytes) == 1) {
        ret->family = AF_INET6;
        return true;
    }
    return false;
}

static const char *family_name(int family)
{
    return family == AF_INET ? "IPv4" : "IPv6";
}

static void load_addresses(struct loader *ld, size_t ni, struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    struct cfg_node *node = &c->nodes[ni];
    struct node_src *src = &ld->src[ni];
    _cleanup_free_ char *label = xasprintf("%s: addresses", who);
    if (n->type != YN_MAPPING) {
        err_type(ld, n, label, "a mapping of network name to address ({priv: 192.0.2.1})");
        return;
    }
    const char **names = xcalloc(c->n_networks + 1, sizeof(*names));
    const struct ynode **seen = xcalloc(c->n_networks + 1, sizeof(*seen)); /* key per network */
    for (size_t j = 0; j < c->n_networks; j++)
        names[j] = c->networks[j].name;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YN_SCALAR || has_nul(k)) {
            _cleanup_free_ char *got = describe(k);
            err(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        int net = ld->networks_ok ? cfg_network_index(c, k->text) : -1;
        if (ld->networks_ok && net < 0) {
            _cleanup_free_ char *q = quote_node(k);
            const char *sug = suggest(k->text, names, c->n_networks);
            _cleanup_free_ char *all = join_or(names, c->n_networks, " and ");
            if (sug)
                err(ld, k, "%s: address for undeclared network %s; did you mean '%s'?", who, q,
                    sug);
            else
                err(ld, k, "%s: address for undeclared network %s (the networks are %s)", who, q,
                    all);
            continue;
        }
        if (net >= 0 && seen[net]) {
            err(ld, k, "duplicate key '%s' in the addresses of %s (first at line %d)", k->text, who,
                seen[net]->line);
            continue;
        }
        if (net >= 0)
            seen[net] = k;
        _cleanup_free_ char *qk = quote_node(k);
        _cleanup_free_ char *vlabel = xasprintf("%s: the address on network %s", who, qk);
        if (!is_scalar(ld, v, vlabel, "an IPv4 or IPv6 address"))
            continue;
        struct addr_bin bin = {0};
        if (!parse_addr(v, &bin)) {
            _cleanup_free_ char *q = quote_node(v);
            err(ld, v, "%s: address %s on network %s is not a valid IPv4 or IPv6 address", who, q,
                qk);
            continue;
        }
        if (net < 0)
            continue;
        src->addr[net] = v;
        node->addr[net] = xstrdup(v->text);
        ld->bin[ni * c->n_networks + (size_t)net] = bin;
    }
    /* A gap is reported when the key is absent, not when its value was bad. */
    for (size_t j = 0; ld->networks_ok && j < c->n_networks; j++)
        if (!seen[j])
            err(ld, n, "%s has no address on network '%s'", who, c->networks[j].name);
    free(seen);
    free(names);
}

static void load_node(struct loader *ld, size_t ni, struct ynode *e)
{
    static const struct key_spec specs[] = {{"name", true}, {"id", true}, {"addresses", true}};
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    struct node_src *src = &ld->src[ni];
    _cleanup_free_ char *who = node_label(e, ni);
    _cleanup_free_ char *where = xasprintf("in %s", who);
    src->entry = e;
    if (e->type != YN_MAPPING) {
        err_type(ld, e, who, "a mapping with name, id and addresses");
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        const char *name = get_name(ld, f[0], label, "node name", 63, "._-", true, NODE_NAME_RULE);
        if (name) {
            c->nodes[ni].name = xstrdup(name);
            src->name = f[0];
            src->name_ok = true;
        }
    }
    if (f[1]) {
        _cleanup_free_ char *label = xasprintf("%s: id", who);
        uint64_t id;
        if (get_uint(ld, f[1], label, 1, CFG_MAX_NODE_ID, &id)) {
            c->nodes[ni].id = (uint32_t)id;
            src->id = f[1];
            src->id_ok = true;
        }
    }
    if (f[2])
        load_addresses(ld, ni, f[2], who);
}

/* Names, ids and addresses must be unique across nodes; a network uses one address family. */
static void check_nodes_unique(struct loader *ld)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_nodes; i++) {
        struct node_src *s = &ld->src[i];
        _cleanup_free_ char *who = node_label(s->entry, i);
        for (size_t j = 0; j < i; j++) {
            struct node_src *t = &ld->src[j];
            if (s->name_ok && t->name_ok && strcmp(c->nodes[i].name, c->nodes[j].name) == 0) {
                err(ld, s->name, "duplicate node name '%s' (first at line %d)", c->nodes[i].name,
                    t->name->line);
                break;
            }
        }
        for (size_t j = 0; j < i; j++) {
            struct node_src *t = &ld->src[j];
            if (s->id_ok && t->id_ok && c->nodes[i].id == c->nodes[j].id) {
                _cleanup_free_ char *other = node_label(t->entry, j);
                err(ld, s->id, "%s: id %u is already used by %s (line %d)", who, c->nodes[i].id,
                    other, t->id->line);
                break;
            }
        }
        for (size_t a = 0; a < c->n_networks; a++) {
            struct addr_bin *x = &ld->bin[i * c->n_networks + a];
            if (!x->family)
                continue;
            bool found = false;
            for (size_t j = 0; j <= i && !found; j++) {
                for (size_t b = 0; b < c->n_networks && !found; b++) {
                    struct addr_bin *y = &ld->bin[j * c->n_networks + b];
                    if ((j == i && b >= a) || y->family != x->family ||
                        memcmp(x->bytes, y->bytes, sizeof(x->bytes)) != 0)
                        continue;
                    _cleanup_free_ char *other = node_label(ld->src[j].entry, j);
                    const char *first = c->nodes[j].addr[b];
                    bool same = strcmp(first, c->nodes[i].addr[a]) == 0;
                    _cleanup_free_ char *as = same ? xstrdup("") : xasprintf(", as %s", first);
                    err(ld, s->addr[a],
                        "%s: address %s is already used by %s on network '%s' (line %d%s)", who,
                        c->nodes[i].addr[a], other, c->networks[b].name, ld->src[j].addr[b]->line,
                        as);
                    found = true;
                }
            }
            for (size_t j = 0; j < i && !found; j++) {
                struct addr_bin *y = &ld->bin[j * c->n_networks + a];
                if (!y->family || y->family == x->family)
                    continue;
                _cleanup_free_ char *other = node_label(ld->src[j].entry, j);
                err(ld, s->addr[a],
                    "%s: address %s on network '%s' is %s, but %s uses %s there (line %d); all "
                    "nodes on a network must use the same address family",
                    who, c->nodes[i].addr[a], c->networks[a].name, family_name(x->family), other,
                    family_name(y->family), ld->src[j].addr[a]->line);
                found = true;
            }
        }
    }
}

static void load_nodes(struct loader *ld, struct ynode *n)
{
    size_t count =
        check_list(ld, n, "nodes", "a list of nodes (- name: NAME, id: ID, addresses: ...)", "node",
                   CFG_MAX_NODES, "");
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->nodes = xcalloc(count, sizeof(*c->nodes));
    c->n_nodes = count;
    ld->src = xcalloc(count, sizeof(*ld->src));
    ld->bin = xcalloc(count * (c->n_networks ? c->n_networks : 1), sizeof(*ld->bin));
    for (size_t i = 0; i < count; i++) {
        c->nodes[i].addr = xcalloc(c->n_networks ? c->n_networks : 1, sizeof(char *));
        ld->src[i].addr = xcalloc(c->n_networks ? c->n_networks : 1, sizeof(struct ynode *));
    }
    for (size_t i = 0; i < count; i++)
        load_node(ld, i, n->items[i]);
    check_nodes_unique(ld);
}

static void load_quorum(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {{"tie_breaker", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    if (!walk_mapping(ld, n, "quorum", "in quorum", specs, ARRAY_SIZE(specs), f) || !f[0])
        return;
    ld->tie_breaker = f[0];
    static const char expected[] = "lowest, highest, none or the name of a node";
    if (!is_scalar(ld, f[0], "quorum.tie_breaker", expected))
        return;
    const struct ynode *v = f[0];
    static const char *const kw[] = {"lowest", "highest", "none"};
    static const enum cfg_tie_breaker kv[] = {CFG_TIE_LOWEST, CFG_TIE_HIGHEST, CFG_TIE_NONE};
    for (size_t i = 0; i < ARRAY_SIZE(kw); i++) {
        if (!has_nul(v) && strcmp(v->text, kw[i]) == 0) {
            ld->c->tie_breaker = kv[i];
            ld->tie_ok = true;
            return;
        }
    }
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_nodes; i++) {
        if (ld->src[i].name_ok && !has_nul(v) && strcmp(c->nodes[i].name, v->text) == 0) {
            if (ld->src[i].id_ok) {
                c->tie_breaker = CFG_TIE_NODE;
                c->tie_breaker_node_id = c->nodes[i].id;
                ld->tie_ok = true;
            }
            return;
        }
    }
    const char **cand = xcalloc(c->n_nodes + ARRAY_SIZE(kw), sizeof(*cand));
    for (size_t i = 0; i < ARRAY_SIZE(kw); i++)
        cand[i] = kw[i];
    for (size_t i = 0; i < c->n_nodes; i++)
        cand[ARRAY_SIZE(kw) + i] = c->nodes[i].name;
    const char *sug = has_nul(v) ? NULL : suggest(v->text, cand, c->n_nodes + ARRAY_SIZE(kw));
    _cleanup_free_ char *q = quote_node(v);
    if (sug)
        err(ld, v, "quorum.tie_breaker %s is not %s; did you mean '%s'?", q, expected, sug);
    else
        err(ld, v, "quorum.tie_breaker %s is not %s", q, expected);
    free(cand);
}

/* ---- fencing ---- */

/*
 * True if n's text can go on one key=value line of an agent's input and print
 * back unchanged: no NUL, no control character (C0, DEL or C1) and no Unicode
 * line or paragraph separator.
 */
static bool one_line_text(const struct ynode *n)
{
    const unsigned char *p = (const unsigned char *)n->text;
    for (size_t i = 0; i < n->len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        if (p[i] == 0xc2 && i + 1 < n->len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            return false;
        if (p[i] == 0xe2 && i + 2 < n->len && p[i + 1] == 0x80 &&
            (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
            return false;
    }
    return true;
}

/* true or false (YAML 1.2 spellings), else reports, with a hint for yes, no, on, off. */
static bool get_bool(struct loader *ld, const struct ynode *n, const char *label, bool *ret)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    static const char *const yes_like[] = {"true", "yes", "y", "on"};
    static const char *const no_like[] = {"false", "no", "n", "off"};
    if (!is_scalar(ld, n, label, "true or false"))
        return false;
    for (size_t i = 0; n->plain && !has_nul(n) && i < ARRAY_SIZE(yes); i++) {
        if (strcmp(n->text, yes[i]) == 0 || strcmp(n->text, no[i]) == 0) {
            *ret = strcmp(n->text, yes[i]) == 0;
            return true;
        }
    }
    const char *meant = NULL;
    for (size_t i = 0; !has_nul(n) && i < ARRAY_SIZE(yes_like); i++) {
        if (strcasecmp(n->text, yes_like[i]) == 0)
            meant = "true";
        else if (strcasecmp(n->text, no_like[i]) == 0)
            meant = "false";
    }
    _cleanup_free_ char *got = describe(n);
    if (meant && !n->plain && strcasecmp(n->text, meant) == 0)
        err(ld, n, "%s must be true or false, not %s (write it without quotes)", label, got);
    else if (meant)
        err(ld, n, "%s must be true or false, not %s; did you mean '%s'?", label, got, meant);
    else
        err_type(ld, n, label, "true or false");
    return false;
}

/*
 * An absolute path of at most KEY_PATH_MAX bytes with no control characters.
 * A bare command name gets the hint dir_hint/NAME when dir_hint is given.
 * Returns the text (owned by the tree) or NULL after reporting.
 */
static const char *get_path(struct loader *ld, const struct ynode *n, const char *label,
                            const char *what, const char *dir_hint)
{
    _cleanup_free_ char *expected = xasprintf("the absolute path of %s", what);
    if (!is_scalar(ld, n, label, expected))
        return NULL;
    _cleanup_free_ char *q = quote_node(n);
    if (n->text[0] != '/') {
        if (dir_hint && name_chars_ok(n, 63, "._-", true))
            err(ld, n, "%s %s must be an absolute path (starting with /), such as %s%s", label, q,
                dir_hint, n->text);
        else
            err(ld, n, "%s %s must be an absolute path (starting with /)", label, q);
        return NULL;
    }
    if (n->len > KEY_PATH_MAX || !one_line_text(n)) {
        err(ld, n, "%s %s is not a usable path: write at most %d bytes, without control characters",
            label, q, KEY_PATH_MAX);
        return NULL;
    }
    return n->text;
}

#define PLUG_FROM_LEVELS                                                                           \
    "vigil passes plug= itself, from the port given in a node's levels ({device: NAME, port: "     \
    "PORT})"

/* The keys vigil writes to an agent's input itself, and what to do instead. */
static const struct {
    const char *key;
    const char *why;
} reserved_params[] = {
    {"action", "vigil passes action= itself (set fencing.action)"},
    {"nodename", "vigil passes nodename= itself: the name of the node being fenced"},
    {"plug", PLUG_FROM_LEVELS},
    {"port", PLUG_FROM_LEVELS},
};

/* A parameter name as fence agents spell them: 1 to 64 of [a-z0-9_]. */
static bool param_key_ok(const struct ynode *k)
{
    if (k->len < 1 || k->len > 64 || has_nul(k))
        return false;
    for (size_t i = 0; i < k->len; i++) {
        char ch = k->text[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static void load_fence_params(struct loader *ld, struct cfg_fence_device *dev, struct ynode *n,
                              const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: params", who);
    if (n->type != YN_MAPPING) {
        err_type(ld, n, label,
                 "a mapping of agent parameters such as {ip: 192.0.2.101, username: admin}");
        return;
    }
    size_t pairs = n->n / 2;
    if (pairs > CFG_MAX_FENCE_PARAMS) {
        err(ld, n->items[2 * CFG_MAX_FENCE_PARAMS],
            "%s: too many params: %zu are given, at most %d are supported", who, pairs,
            CFG_MAX_FENCE_PARAMS);
        pairs = CFG_MAX_FENCE_PARAMS;
    }
    dev->params = xcalloc(pairs ? pairs : 1, sizeof(*dev->params));
    const struct ynode **keys = xcalloc(pairs ? pairs : 1, sizeof(*keys)); /* valid keys so far */
    size_t n_keys = 0;
    for (size_t i = 0; i < pairs; i++) {
        struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        if (k->type != YN_SCALAR || has_nul(k)) {
            _cleanup_free_ char *got = describe(k);
            err(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        _cleanup_free_ char *qk = quote_node(k);
        if (!param_key_ok(k)) {
            err(ld, k,
                "%s: parameter name %s is not valid: use 1 to 64 lowercase letters, digits or "
                "'_'",
                who, qk);
            continue;
        }
        bool bad = false;
        for (size_t r = 0; r < ARRAY_SIZE(reserved_params) && !bad; r++) {
            if (strcmp(k->text, reserved_params[r].key) == 0) {
                err(ld, k, "%s: params.%s is reserved: %s", who, k->text, reserved_params[r].why);
                bad = true;
            }
        }
        for (size_t j = 0; j < n_keys && !bad; j++) {
            if (strcmp(keys[j]->text, k->text) == 0) {
                err(ld, k, "duplicate key '%s' in the params of %s (first at line %d)", k->text,
                    who, keys[j]->line);
                bad = true;
            }
        }
        if (bad)
            continue;
        keys[n_keys++] = k;
        _cleanup_free_ char *vlabel = xasprintf("%s: params.%s", who, k->text);
        if (v->type != YN_SCALAR || is_null(v)) {
            err_type(ld, v, vlabel, "text, a number or true/false");
            continue;
        }
        if (!one_line_text(v)) {
            _cleanup_free_ char *qv = quote_node(v);
            err(ld, v,
                "%s %s contains a line break or control character; an agent reads one "
                "key=value per line",
                vlabel, qv);
            continue;
        }
        dev->params[dev->n_params].key = xstrdup(k->text);
        dev->params[dev->n_params].value = xstrdup(v->text);
        dev->n_params++;
    }
    free(keys);
}

static void load_fence_device(struct loader *ld, size_t di, struct ynode *e)
{
    static const struct key_spec specs[] = {
        {"name", true}, {"agent", true}, {"params", false}, {"secrets", false}, {"timeout", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    struct cfg_fence_device *dev = &c->fence_devices[di];
    struct fdev_src *src = &ld->fdev[di];
    _cleanup_free_ char *who = entry_label(e, di, "fencing device");
    _cleanup_free_ char *where = xasprintf("in %s", who);
    dev->timeout_ms = CFG_DEFAULT_FENCE_TIMEOUT_MS;
    if (e->type != YN_MAPPING) {
        err_type(ld, e, who, "a mapping with name, agent and optional params, secrets and timeout");
        ld->fdevs_ok = false;
        return;
    }
    walk_mapping(ld, e, who, where, specs, ARRAY_SIZE(specs), f);
    const char *name = NULL;
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: name", who);
        name = get_name(ld, f[0], label, "device name", 63, "._-", true, NODE_NAME_RULE);
    }
    if (!name)
        ld->fdevs_ok = false; /* a level may name it: do not call that name unknown */
    for (size_t j = 0; name && j < di; j++) {
        if (ld->fdev[j].name && strcmp(c->fence_devices[j].name, name) == 0) {
            err(ld, f[0], "duplicate fencing device name '%s' (first at line %d)", name,
                ld->fdev[j].name->line);
            name = NULL; /* levels naming it resolve to the first */
        }
    }
    if (name) {
        dev->name = xstrdup(name);
        src->name = f[0];
    }
    if (f[1]) {
        _cleanup_free_ char *label = xasprintf("%s: agent", who);
        const char *p = get_path(ld, f[1], label, "a fence agent", "/usr/sbin/");
        if (p) {
            dev->agent = xstrdup(p);
            src->agent = f[1];
        }
    }
    if (f[2])
        load_fence_params(ld, dev, f[2], who);
    if (f[3]) {
        _cleanup_free_ char *label = xasprintf("%s: secrets", who);
        const char *p = get_path(ld, f[3], label, "a file of key=value lines", NULL);
        if (p) {
            dev->secrets = xstrdup(p);
            src->secrets = f[3];
        }
    }
    if (f[4]) {
        _cleanup_free_ char *label = xasprintf("%s: timeout", who);
        uint64_t v;
        if (get_duration(ld, f[4], label, CFG_MIN_FENCE_TIMEOUT_MS, CFG_MAX_FENCE_TIMEOUT_MS, &v))
            dev->timeout_ms = v;
    }
}

static void load_fence_devices(struct loader *ld, struct ynode *n)
{
    if (n->type == YN_SEQUENCE && n->n == 0)
        return; /* no devices: fine while fencing is disabled */
    size_t count =
        check_list(ld, n, "fencing.devices", "a list of fence devices (- name: NAME, agent: PATH)",
                   "device", CFG_MAX_FENCE_DEVICES, "");
    if (count == 0 || n->n > count)
        ld->fdevs_ok = false;
    if (count == 0)
        return;
    struct cfg *c = ld->c;
    c->fence_devices = xcalloc(count, sizeof(*c->fence_devices));
    c->n_fence_devices = count;
    ld->fdev = xcalloc(count, sizeof(*ld->fdev));
    for (size_t i = 0; i < count; i++)
        load_fence_device(ld, i, n->items[i]);
}

/*
 * The index in c->fence_devices of the device n names, or -1 after reporting
 * an unknown name (unless some device has no usable name: n may be that one).
 */
static int find_fence_device(struct loader *ld, const struct ynode *n, const char *who)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_fence_devices; i++)
        if (ld->fdev[i].name && !has_nul(n) && strcmp(c->fence_devices[i].name, n->text) == 0)
            return (int)i;
    if (!ld->fdevs_ok)
        return -1;
    _cleanup_free_ char *q = quote_node(n);
    if (c->n_fence_devices == 0) {
        err(ld, n, "%s: unknown fencing device %s (fencing.devices declares none)", who, q);
        return -1;
    }
    const char **names = xcalloc(c->n_fence_devices, sizeof(*names));
    for (size_t i = 0; i < c->n_fence_devices; i++)
        names[i] = c->fence_devices[i].name;
    const char *sug = has_nul(n) ? NULL : suggest(n->text, names, c->n_fence_devices);
    if (sug) {
        err(ld, n, "%s: unknown fencing device %s; did you mean '%s'?", who, q, sug);
    } else {
        _cleanup_free_ char *all = join_or(names, c->n_fence_devices, " and ");
        err(ld, n, "%s: unknown fencing device %s (the devices are %s)", who, q, all);
    }
    free(names);
    return -1;
}

/*
 * One device of a level: a device name, or {device: NAME, port: PORT}.
 * Appends it to lv; at[] holds the position of each ref already in lv.
 */
static void load_fence_ref(struct loader *ld, struct cfg_fence_level *lv, const struct ynode **at,
                           struct ynode *r, const char *lw, size_t ri)
{
    static const struct key_spec specs[] = {{"device", true}, {"port", false}};
    struct cfg *c = ld->c;
    _cleanup_free_ char *rw = xasprintf("device #%zu of %s", ri + 1, lw);
    struct ynode *dn = NULL, *pn = NULL;
    if (r->type == YN_MAPPING) {
        struct ynode *f[ARRAY_SIZE(specs)];
        _cleanup_free_ char *where = xasprintf("in %s", rw);
        walk_mapping(ld, r, rw, where, specs, ARRAY_SIZE(specs), f);
        dn = f[0];
        pn = f[1];
        if (!dn)
            return;
        _cleanup_free_ char *dlabel = xasprintf("%s: device", rw);
        if (!is_scalar(ld, dn, dlabel, "the name of a fencing device"))
            return;
    } else if (r->type == YN_SCALAR && !is_null(r)) {
        dn = r;
    } else {
        err_type(ld, r, rw, "a device name or {device: NAME, port: PORT}");
        return;
    }
    int di = find_fence_device(ld, dn, lw);
    if (pn) {
        _cleanup_free_ char *plabel = xasprintf("%s: port", rw);
        if (!is_scalar(ld, pn, plabel, "the node's port (plug) on the device, such as \"3\""))
            return;
        if (pn->len == 0 || pn->len > 255 || !one_line_text(pn)) {
            _cleanup_free_ char *q = quote_node(pn);
            err(ld, pn,
                "%s %s is not a valid port: use 1 to 255 characters, without line breaks or "
                "control characters",
                plabel, q);
            return;
        }
    }
    if (di < 0)
        return;
    const char *port = pn ? pn->text : NULL;
    for (size_t j = 0; j < lv->n_refs; j++) {
        if (lv->refs[j].device != (size_t)di || !streq_null(lv->refs[j].port, port))
            continue;
        if (port) {
            _cleanup_free_ char *q = quote_node(pn);
            err(ld, dn, "%s names device '%s' with port %s twice (first at line %d)", lw,
                c->fence_devices[di].name, q, at[j]->line);
        } else {
            err(ld, dn, "%s names device '%s' twice (first at line %d)", lw,
                c->fence_devices[di].name, at[j]->line);
        }
        return;
    }
    at[lv->n_refs] = dn;
    lv->refs[lv->n_refs].device = (size_t)di;
    lv->refs[lv->n_refs].port = port ? xstrdup(port) : NULL;
    lv->n_refs++;
    ld->fdev[di].used = true;
}

/*
 * How many entries of the list n to load: all of them, or the first max after
 * reporting "WHO: too many WHAT" at the first entry past the limit.
 */
static size_t cap_count(struct loader *ld, struct ynode *n, size_t max, const char *who,
                        const char *what)
{
    if (n->n <= max)
        return n->n;
    err(ld, n->items[max], "%s: too many %s: %zu are given, at most %zu are supported", who, what,
        n->n, max);
    return max;
}

static void load_fence_level(struct loader *ld, struct cfg_fence_level *lv, struct ynode *n,
                             size_t ni, size_t li)
{
    _cleanup_free_ char *lw =
        xasprintf("fencing level %zu of node '%s'", li + 1, ld->c->nodes[ni].name);
    if (n->type != YN_SEQUENCE) {
        if (n->type == YN_SCALAR && n->plain && name_chars_ok(n, 63, "._-", true)) {
            _cleanup_free_ char *q = quote_node(n);
            err(ld, n, "%s must be a list of devices, not %s; write [%s]", lw, q, n->text);
        } else {
            err_type(ld, n, lw,
                     "a list of devices such as [ipmi-n1] or [{device: pdu1, port: \"3\"}]");
        }
        return;
    }
    if (n->n == 0) {
        err(ld, n, "%s is empty; a level names at least one device", lw);
        return;
    }
    size_t count = cap_count(ld, n, CFG_MAX_FENCE_LEVEL_DEVICES, lw, "devices");
    lv->refs = xcalloc(count, sizeof(*lv->refs));
    const struct ynode **at = xcalloc(count, sizeof(*at));
    for (size_t ri = 0; ri < count; ri++)
        load_fence_ref(ld, lv, at, n->items[ri], lw, ri);
    free(at);
}

static void load_fence_levels(struct loader *ld, size_t ni, struct ynode *n, const char *who)
{
    struct cfg_fence_node *fn = &ld->c->fence_nodes[ni];
    _cleanup_free_ char *label = xasprintf("%s: levels", who);
    if (n->type != YN_SEQUENCE) {
        err_type(ld, n, label, "a list of levels, each a list of devices (- [ipmi-n1])");
        return;
    }
    if (n->n == 0) {
        ld->fnode_at[ni] = n; /* "has no fencing levels" points here */
        return;
    }
    size_t count = cap_count(ld, n, CFG_MAX_FENCE_LEVELS, who, "levels");
    fn->levels = xcalloc(count, sizeof(*fn->levels));
    fn->n_levels = count;
    for (size_t li = 0; li < count; li++)
        load_fence_level(ld, &fn->levels[li], n->items[li], ni, li);
}

static void load_fence_node(struct loader *ld, size_t ni, struct ynode *v)
{
    static const struct key_spec specs[] = {{"delay", false}, {"levels", false}};
    struct ynode *f[ARRAY_SIZE(specs)];
    _cleanup_free_ char *who = xasprintf("fencing of node '%s'", ld->c->nodes[ni].name);
    _cleanup_free_ char *where = xasprintf("in the %s", who);
    if (v->type != YN_MAPPING) {
        err_type(ld, v, who, "a mapping with levels and an optional delay ({levels: [[ipmi-n1]]})");
        return;
    }
    walk_mapping(ld, v, who, where, specs, ARRAY_SIZE(specs), f);
    if (f[0]) {
        _cleanup_free_ char *label = xasprintf("%s: delay", who);
        uint64_t ms;
        if (get_duration(ld, f[0], label, 0, CFG_MAX_FENCE_DELAY_MS, &ms))
            ld->c->fence_nodes[ni].delay_ms = ms;
    }
    if (f[1])
        load_fence_levels(ld, ni, f[1], who);
}

static void load_fence_nodes(struct loader *ld, struct ynode *n)
{
    struct cfg *c = ld->c;
    size_t errors = ld->d->n_errors;
    if (n->type != YN_MAPPING) {
        err_type(ld, n, "fencing.nodes",
                 "a mapping of node name to its fencing ({n1: {levels: [[ipmi-n1]]}})");
        ld->fence_nodes_bad = true;
        return;
    }
    bool names_ok = c->n_nodes > 0; /* every node has a name to match keys against */
    const char **names = xcalloc(c->n_nodes + 1, sizeof(*names));
    for (size_t i = 0; i < c->n_nodes; i++) {
        names_ok = names_ok && ld->src[i].name_ok;
        names[i] = ld->src[i].name_ok ? c->nodes[i].name : NULL;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (k->type != YN_SCALAR || has_nul(k)) {
            _cleanup_free_ char *got = describe(k);
            err(ld, k, "keys must be plain text, not %s", got);
            continue;
        }
        size_t ni = 0;
        while (ni < c->n_nodes && !(names[ni] && strcmp(names[ni], k->text) == 0))
            ni++;
        if (ni == c->n_nodes) {
            if (!names_ok)
                continue;
            _cleanup_free_ char *q = quote_node(k);
            const char *sug = suggest(k->text, names, c->n_nodes);
            if (sug) {
                err(ld, k, "fencing.nodes: undeclared node %s; did you mean '%s'?", q, sug);
            } else {
                _cleanup_free_ char *all = join_or(names, c->n_nodes, " and ");
                err(ld, k, "fencing.nodes: undeclared node %s (the nodes are %s)", q, all);
            }
            continue;
        }
        if (ld->fnode_key[ni]) {
            err(ld, k, "duplicate key '%s' in fencing.nodes (first at line %d)", k->text,
                ld->fnode_key[ni]->line);
            continue;
        }
        ld->fnode_key[ni] = k;
        size_t before = ld->d->n_errors;
        load_fence_node(ld, ni, v);
        ld->fnode_bad[ni] = ld->d->n_errors > before;
    }
    free(names);
    if (ld->d->n_errors > errors)
        ld->fence_refs_ok = false;
}

static void load_fencing(struct loader *ld, struct ynode *n)
{
    static const struct key_spec specs[] = {
        {"enabled", false}, {"unsafe_recovery", false}, {"action", false},
        {"retries", false}, {"devices", false},         {"nodes", false},
    };
    static const char *const actions[] = {"off", "reboot"};
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    if (n->type == YN_SCALAR && !is_null(n)) {
        _cleanup_free_ char *got = describe(n);
        err(ld, n,
            "fencing must be a mapping (key: value lines), not %s; to turn fencing off, write "
            "fencing: {enabled: false}",
            got);
        return;
    }
    size_t errors = ld->d->n_errors;
    if (!walk_mapping(ld, n, "fencing", "in fencing", specs, ARRAY_SIZE(specs), f))
        return;
    ld->fencing_ok = true;
    if (!f[5] && ld->d->n_errors > errors)
        ld->fence_nodes_bad = true; /* perhaps misspelt: do not also ask for every node's levels */
    bool b;
    if (f[0]) {
        if (get_bool(ld, f[0], "fencing.enabled", &b)) {
            c->fence_enabled = b;
            ld->fence_enabled = f[0];
        } else {
            ld->fence_enabled_bad = true;
        }
    }
    if (f[1] && get_bool(ld, f[1], "fencing.unsafe_recovery", &b)) {
        c->fence_unsafe_recovery = b;
        ld->fence_unsafe = b ? f[1] : NULL;
    }
    if (f[2]) {
        int i = get_keyword(ld, f[2], "fencing.action", actions, ARRAY_SIZE(actions));
        if (i >= 0)
            c->fence_action = i == 0 ? CFG_FENCE_OFF : CFG_FENCE_REBOOT;
    }
    uint64_t v;
    if (f[3] && get_uint(ld, f[3], "fencing.retries", 0, CFG_MAX_FENCE_RETRIES, &v))
        c->fence_retries = (uint32_t)v;
    if (f[4])
        load_fence_devices(ld, f[4]);
    if (f[5]) {
        load_fence_nodes(ld, f[5]);
        if (f[5]->type == YN_MAPPING)
            ld->fence_nodes_map = key_of(n, f[5]);
    }
}

/* ---- Checks across sections ---- */

static void check_token(struct loader *ld)
{
    struct cfg *c = ld->c;
    if ((ld->interval && !ld->interval_ok) || (ld->misses && !ld->misses_ok))
        return;
    uint64_t token = c->interval_ms * c->misses;
    if (token >= CFG_MIN_TOKEN_MS && token <= CFG_MAX_TOKEN_MS)
        return;
    char iv[32], tk[32];
    err(ld, ld->heartbeat,
        "heartbeat timeout (interval x misses) is %s x %u = %s; it must be from %ums to %us",
        dur_format(c->interval_ms, iv), c->misses, dur_format(token, tk), CFG_MIN_TOKEN_MS,
        CFG_MAX_TOKEN_MS / 1000);
}

/* Passive link mode needs a long token to fail over between links in time (config.h). */
static void check_link_mode(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->link_mode || c->link_mode != CFG_LINK_PASSIVE || (ld->interval && !ld->interval_ok) ||
        (ld->misses && !ld->misses_ok))
        return;
    uint64_t token = c->interval_ms * c->misses;
    if (token < CFG_MIN_TOKEN_MS || token >= CFG_PASSIVE_MIN_TOKEN_MS)
        return; /* a token out of range is an error of its own */
    char tk[32], min[32];
    warn(ld, ld->link_mode,
         "heartbeat.link_mode is passive with a heartbeat timeout of %s: on a busy or "
         "virtualised machine knet links then flap, and losing the best network can be mistaken "
         "for a node failure; use link_mode: active, or a heartbeat timeout (interval x misses) "
         "of at least %s",
         dur_format(token, tk), dur_format(CFG_PASSIVE_MIN_TOKEN_MS, min));
}

static void check_quorum(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->tie_breaker || !ld->tie_ok)
        return;
    if (c->n_nodes == 2 && c->tie_breaker != CFG_TIE_LOWEST)
        warn(ld, ld->tie_breaker,
             "quorum.tie_breaker is ignored in a two-node cluster: two-node mode decides "
             "instead (see vigil.yaml(5))");
    if (c->n_nodes >= 4 && c->n_nodes % 2 == 0 && c->tie_breaker == CFG_TIE_NONE)
        warn(ld, ld->tie_breaker,
             "quorum.tie_breaker is none with an even number of nodes (%zu): after an exact "
             "half split no partition has quorum and every group stops",
             c->n_nodes);
}

static void check_key_file(struct loader *ld)
{
    const char *path = ld->c->key_path;
    const struct ynode *at = ld->key ? ld->key : ld->cluster;
    const char *dflt = ld->key ? "" : " (the default)";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        err(ld, at, "key file %s%s cannot be read: %s", path, dflt, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        err(ld, at, "key file %s%s cannot be read: %s", path, dflt, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        err(ld, at, "key file %s%s is not a regular file", path, dflt);
    } else if (st.st_size < CFG_MIN_KEY_SIZE || st.st_size > CFG_MAX_KEY_SIZE) {
        err(ld, at,
            "key file %s%s has %lld bytes; a key has %d to %d bytes (create one with "
            "corosync-keygen -k %s)",
            path, dflt, (long long)st.st_size, CFG_MIN_KEY_SIZE, CFG_MAX_KEY_SIZE, path);
    } else if (st.st_mode & (S_IRGRP | S_IROTH)) {
        warn(ld, at, "key file %s%s is readable by group or others (mode %04o); run chmod 600 %s",
             path, dflt, (unsigned)(st.st_mode & 07777), path);
    }
    close(fd);
}

/*
 * Fencing across sections: enabled and unsafe_recovery, levels for every
 * node, devices no level uses, and the delay a two-node cluster needs.
 */
static void check_fencing(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->fencing_ok)
        return;
    bool enabled = c->fence_enabled && !ld->fence_enabled_bad;
    if (ld->fence_enabled && !c->fence_enabled)
        warn(ld, ld->fence_enabled,
             "fencing is disabled: a failed node's services are not recovered until it returns, "
             "unless unsafe_recovery is set");
    if (ld->fence_unsafe && ld->fence_enabled && !c->fence_enabled)
        warn(ld, ld->fence_unsafe,
             "unsafe_recovery is set: services of a failed node may be started elsewhere while it "
             "still runs them (data corruption risk)");
    else if (ld->fence_unsafe && enabled)
        err(ld, ld->fence_unsafe, "unsafe_recovery only applies with fencing.enabled: false");

    bool missing = false; /* some node has no levels: its devices may look unused */
    for (size_t i = 0; enabled && !ld->fence_nodes_bad && i < c->n_nodes; i++) {
        if (!ld->src[i].name_ok || ld->fnode_bad[i] || c->fence_nodes[i].n_levels > 0)
            continue;
        const struct ynode *at = ld->fnode_at[i]       ? ld->fnode_at[i]
                                 : ld->fnode_key[i]    ? ld->fnode_key[i]
                                 : ld->fence_nodes_map ? ld->fence_nodes_map
                                                       : ld->fencing;
        err(ld, at,
            "node '%s' has no fencing levels; every node needs at least one level, or set "
            "fencing.enabled: false",
            c->nodes[i].name);
        missing = true;
    }
    bool refs_ok = ld->fdevs_ok && ld->fence_refs_ok && !ld->fence_nodes_bad && !missing;
    for (size_t i = 0; refs_ok && i < c->n_fence_devices; i++)
        if (ld->fdev[i].name && !ld->fdev[i].used)
            warn(ld, ld->fdev[i].name, "device '%s' is not used by any node's levels",
                 c->fence_devices[i].name);
    if (enabled && c->n_nodes == 2 && ld->fence_nodes_map && ld->fence_refs_ok && !missing &&
        c->fence_nodes[0].delay_ms == 0 && c->fence_nodes[1].delay_ms == 0)
        warn(ld, ld->fence_nodes_map,
             "two-node cluster with no fencing delay: in a split both nodes may fence each other "
             "at once; give one node a delay");
}

/* The agent must be a regular file that root may execute (CFG_LOAD_CHECK_FILES). */
static void check_fence_agent(struct loader *ld, const struct ynode *at, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        err(ld, at, "fence agent %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        err(ld, at, "fence agent %s is not a regular file", path);
    else if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) ||
             (geteuid() == 0 && access(path, X_OK) < 0))
        err(ld, at, "fence agent %s is not executable", path);
}

/* The secrets file must be a readable regular file, private to its owner. */
static void check_fence_secrets(struct loader *ld, const struct ynode *at, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        err(ld, at, "fence secrets file %s cannot be read: %s", path, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        err(ld, at, "fence secrets file %s cannot be read: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        err(ld, at, "fence secrets file %s is not a regular file", path);
    else if (st.st_mode & (S_IRGRP | S_IROTH))
        warn(ld, at,
             "fence secrets file %s is readable by group or others (mode %04o); run chmod 600 %s",
             path, (unsigned)(st.st_mode & 07777), path);
    close(fd);
}

static void check_fence_files(struct loader *ld)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_fence_devices; i++) {
        if (ld->fdev[i].agent)
            check_fence_agent(ld, ld->fdev[i].agent, c->fence_devices[i].agent);
        if (ld->fdev[i].secrets)
            check_fence_secrets(ld, ld->fdev[i].secrets, c->fence_devices[i].secrets);
    }
}

/* ---- Top level ---- */

/* The keys of the top level, in the order of specs in load_root. */
enum { TOP_CLUSTER, TOP_ENGINE, TOP_FENCING, TOP_HEARTBEAT, TOP_NETWORKS, TOP_NODES, TOP_QUORUM };

static void load_root(struct loader *ld, struct ynode *root, unsigned flags)
{
    static const struct key_spec specs[] = {
        [TOP_CLUSTER] = {"cluster", true},   [TOP_ENGINE] = {"engine", false},
        [TOP_FENCING] = {"fencing", false},  [TOP_HEARTBEAT] = {"heartbeat", false},
        [TOP_NETWORKS] = {"networks", true}, [TOP_NODES] = {"nodes", true},
        [TOP_QUORUM] = {"quorum", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    size_t errors = ld->d->n_errors;
    if (root->type != YN_MAPPING) {
        _cleanup_free_ char *got = describe(root);
        err(ld, root,
            "the file must be a mapping with the keys cluster, networks and nodes, not %s", got);
        return;
    }
    walk_mapping(ld, root, "the top level", "at the top level", specs, ARRAY_SIZE(specs), f);
    if (f[TOP_CLUSTER])
        load_cluster(ld, f[TOP_CLUSTER]);
    if (f[TOP_ENGINE])
        load_engine(ld, f[TOP_ENGINE]);
    if (f[TOP_HEARTBEAT])
        load_heartbeat(ld, f[TOP_HEARTBEAT]);
    if (f[TOP_NETWORKS])
        load_networks(ld, f[TOP_NETWORKS]);
    if (f[TOP_NODES])
        load_nodes(ld, f[TOP_NODES]);
    if (f[TOP_QUORUM])
        load_quorum(ld, f[TOP_QUORUM]);
    if (c->n_nodes > 0) {
        c->fence_nodes = xcalloc(c->n_nodes, sizeof(*c->fence_nodes));
        ld->fnode_key = xcalloc(c->n_nodes, sizeof(*ld->fnode_key));
        ld->fnode_at = xcalloc(c->n_nodes, sizeof(*ld->fnode_at));
        ld->fnode_bad = xcalloc(c->n_nodes, sizeof(*ld->fnode_bad));
    }
    if (f[TOP_FENCING]) {
        ld->fencing = key_of(root, f[TOP_FENCING]);
        load_fencing(ld, f[TOP_FENCING]);
    } else
        c->fence_enabled = false; /* existing configurations stay valid; warned below */
    if (!ld->heartbeat)
        ld->heartbeat = root;
    check_token(ld);
    check_link_mode(ld);
    check_quorum(ld);
    check_fencing(ld);
    if ((flags & CFG_LOAD_CHECK_FILES) && c->key_path && (ld->key || ld->cluster))
        check_key_file(ld);
    if (flags & CFG_LOAD_CHECK_FILES)
        check_fence_files(ld);
    /* Only for a file that otherwise loads: it is about what the cluster will do. */
    if (!f[TOP_FENCING] && ld->d->n_errors == errors)
        cfg_diags_add(ld->d, CFG_SEV_WARNING, ld->file, 1, 1,
                      "no fencing section: fencing is disabled, so the services of a failed node "
                      "are not recovered until it comes back (add fencing:, see vigil.yaml(5))");
}

static struct cfg *cfg_new(const char *name)
{
    struct cfg *c = xcalloc(1, sizeof(*c));
    c->file = xstrdup(name ? name : "");
    c->key_path = xstrdup(CFG_DEFAULT_KEY_PATH);
    c->engine = CFG_ENGINE_MANAGED;
    c->interval_ms = CFG_DEFAULT_INTERVAL_MS;
    c->misses = CFG_DEFAULT_MISSES;
    c->link_mode = CFG_LINK_ACTIVE;
    c->tie_breaker = CFG_TIE_LOWEST;
    c->fence_enabled = true;
    c->fence_action = CFG_FENCE_OFF;
    c->fence_retries = CFG_DEFAULT_FENCE_RETRIES;
    return c;
}

/*
 * Loads a configuration from len bytes at buf (not necessarily NUL-terminated).
 * All problems go to diags, sorted by position; on success *ret gets a new
 * configuration owned by the caller. Returns 0, -EINVAL (errors in the text)
 * or -EFBIG (larger than CFG_MAX_FILE_SIZE); *ret is untouched on failure.
 */
int cfg_load_string(const char *buf, size_t len, const char *name, unsigned flags, struct cfg **ret,
                    struct cfg_diags *diags)
{
    size_t first = diags->n, errors = diags->n_errors;
    if (len > CFG_MAX_FILE_SIZE) {
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0,
                      "the file is too large (%zu bytes; the limit is %u)", len, CFG_MAX_FILE_SIZE);
        return -EFBIG;
    }
    struct ynode *root = NULL;
    if (ytree_parse(buf, len, name, diags, &root) < 0)
        return -EINVAL;
    if (!root || (root->type == YN_SCALAR && is_null(root))) {
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0,
                      "the file is empty; it needs at least cluster, networks and nodes");
        ytree_free(root);
        return -EINVAL;
    }

    struct loader ld = {
        .file = name, .d = diags, .c = cfg_new(name), .fdevs_ok = true, .fence_refs_ok = true};
    load_root(&ld, root, flags);
    cfg_diags_sort_from(diags, first);

    for (size_t i = 0; ld.src && i < ld.c->n_nodes; i++)
        free(ld.src[i].addr);
    free(ld.src);
    free(ld.bin);
    free(ld.net_name);
    free(ld.fdev);
    free(ld.fnode_key);
    free(ld.fnode_at);
    free(ld.fnode_bad);
    ytree_free(root);

    if (diags->n_errors > errors) {
        cfg_free(ld.c);
        return -EINVAL;
    }
    *ret = ld.c;
    return 0;
}

/*
 * Reads path and loads it with cfg_load_string. A file that cannot be read
 * gives one diagnostic without a position and its negative errno (-ENOENT,
 * -EACCES, -EISDIR, -EFBIG, ...). Ownership as for cfg_load_string.
 */
int cfg_load_file(const char *path, unsigned flags, struct cfg **ret, struct cfg_diags *diags)
{
    char *buf = NULL;
    size_t len = 0;
    int r = read_file(path, CFG_MAX_FILE_SIZE, &buf, &len);
    if (r == -EFBIG) {
        cfg_diags_add(diags, CFG_SEV_ERROR, path, 0, 0,
                      "the file is too large (more than %u bytes)", CFG_MAX_FILE_SIZE);
        return r;
    }
    if (r < 0) {
        cfg_diags_add(diags, CFG_SEV_ERROR, path, 0, 0, "cannot read: %s", strerror(-r));
        return r;
    }
    r = cfg_load_string(buf, len, path, flags, ret, diags);
    free(buf);
    return r;
}
