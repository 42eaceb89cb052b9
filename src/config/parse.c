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

/* "node 'n1'" when the entry has a usable name, else "node #3"; owned by the caller. */
static char *node_label(const struct ynode *e, size_t idx)
{
    if (e->type == YN_MAPPING) {
        for (size_t i = 0; i + 1 < e->n; i += 2) {
            const struct ynode *k = e->items[i], *v = e->items[i + 1];
            if (k->type == YN_SCALAR && strcmp(k->text, "name") == 0 && v->type == YN_SCALAR &&
                name_chars_ok(v, 63, "._-", true))
                return xasprintf("node '%s'", v->text);
        }
    }
    return xasprintf("node #%zu", idx + 1);
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

/* ---- Top level ---- */

static void load_root(struct loader *ld, struct ynode *root, unsigned flags)
{
    static const struct key_spec specs[] = {
        {"cluster", true},  {"engine", false}, {"heartbeat", false},
        {"networks", true}, {"nodes", true},   {"quorum", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    if (root->type != YN_MAPPING) {
        _cleanup_free_ char *got = describe(root);
        err(ld, root,
            "the file must be a mapping with the keys cluster, networks and nodes, not %s", got);
        return;
    }
    walk_mapping(ld, root, "the top level", "at the top level", specs, ARRAY_SIZE(specs), f);
    if (f[0])
        load_cluster(ld, f[0]);
    if (f[1])
        load_engine(ld, f[1]);
    if (f[2])
        load_heartbeat(ld, f[2]);
    if (f[3])
        load_networks(ld, f[3]);
    if (f[4])
        load_nodes(ld, f[4]);
    if (f[5])
        load_quorum(ld, f[5]);
    if (!ld->heartbeat)
        ld->heartbeat = root;
    check_token(ld);
    check_link_mode(ld);
    check_quorum(ld);
    if ((flags & CFG_LOAD_CHECK_FILES) && ld->c->key_path && (ld->key || ld->cluster))
        check_key_file(ld);
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

    struct loader ld = {.file = name, .d = diags, .c = cfg_new(name)};
    load_root(&ld, root, flags);
    cfg_diags_sort_from(diags, first);

    for (size_t i = 0; ld.src && i < ld.c->n_nodes; i++)
        free(ld.src[i].addr);
    free(ld.src);
    free(ld.bin);
    free(ld.net_name);
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
