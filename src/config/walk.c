/*
 * The loader's structural helpers: mappings checked against their keys
 * (plain or typed), lists and their limits, labels for list entries, and the
 * two compound values several sections share (a mapping of parameters, a
 * command). Pure: no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

#define PARAM_NAME_RULE "1 to 64 letters, digits or '_', not starting with a digit"

bool walk_plain_key(struct loader *ld, const struct ynode *k)
{
    if (k->type == YN_SCALAR && !ytree_has_nul(k))
        return true;
    _cleanup_free_ char *got = report_describe(k);
    report_error(ld, k, "keys must be plain text, not %s", got);
    return false;
}

/*
 * Checks that n is a mapping whose keys are among specs: reports unknown
 * keys (with a suggestion), duplicate keys and missing required keys. Stores
 * the value node of each known key in found[] (NULL when absent). Returns
 * false if n is not a mapping at all.
 */
bool walk_mapping(struct loader *ld, const struct ynode *n, const char *label, const char *where,
                  const struct key_spec *specs, size_t n_specs, struct ynode **found)
{
    const struct ynode *keys[16] = {0}; /* n_specs is a small compile-time count */
    bool suggested[16] = {false};
    for (size_t i = 0; i < n_specs; i++)
        found[i] = NULL;
    if (n->type != YN_MAPPING) {
        report_type(ld, n, label, "a mapping (key: value lines)");
        return false;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (!walk_plain_key(ld, k))
            continue;
        size_t s = 0;
        while (s < n_specs && strcmp(specs[s].name, k->text) != 0)
            s++;
        if (s == n_specs) {
            const char *names[16];
            for (size_t j = 0; j < n_specs; j++)
                names[j] = specs[j].name;
            _cleanup_free_ char *q = report_quote_node(k);
            const char *sug = report_suggest(k->text, names, n_specs);
            if (sug) {
                report_error(ld, k, "unknown key %s %s; did you mean '%s'?", q, where, sug);
                for (size_t j = 0; j < n_specs; j++)
                    suggested[j] |= specs[j].name == sug;
            } else {
                _cleanup_free_ char *all = report_join(names, n_specs, " and ");
                report_error(ld, k, "unknown key %s %s (the keys here are %s)", q, where, all);
            }
            continue;
        }
        if (keys[s]) {
            report_error(ld, k, "duplicate key '%s' %s (first at line %d)", specs[s].name, where,
                         keys[s]->line);
            continue;
        }
        keys[s] = k;
        found[s] = v;
    }
    for (size_t s = 0; s < n_specs; s++)
        if (specs[s].required && !found[s] && !suggested[s])
            report_error(ld, n, "missing required key '%s' %s", specs[s].name, where);
    return true;
}

/* Reports key k of a typed mapping that belongs to other types than this one. */
static void err_foreign_key(struct loader *ld, const struct ynode *k, const char *who,
                            const struct typed_schema *s, size_t x, const char *kind)
{
    const char **owners = xcalloc(s->n_types, sizeof(*owners));
    for (size_t t = 0; t < s->n_types; t++)
        owners[t] = s->masks[t] & BIT(x) ? s->types[t] : NULL;
    _cleanup_free_ char *list = report_join(owners, s->n_types, " and ");
    report_error(ld, k, "%s: '%s' is not a key of %s (it is a key of %s %s)", who, s->keys[x], kind,
                 list, s->noun);
    free(owners);
}

/*
 * walk_mapping for a typed mapping of type type (-1: unknown; then the keys
 * of every type are let through unchecked). A key of another type is
 * reported as such ("'mountpoint' is not a key of an ip resource"); kind
 * names this type's mappings with an article ("an ip resource"). Missing
 * keys of s->required are reported. *ret_suggested gets the keys that some
 * unknown key was taken for, so that the caller does not call them missing.
 */
void walk_typed(struct loader *ld, const struct ynode *n, const char *who, const char *where,
                const struct typed_schema *s, int type, const char *kind, struct ynode **found,
                uint32_t *ret_suggested)
{
    const struct ynode *keys[32] = {0};
    const char *names[32];
    uint32_t mask = type >= 0 ? s->masks[type] : UINT32_MAX, suggested = 0;
    for (size_t i = 0; i < s->n_keys; i++) {
        found[i] = NULL;
        names[i] = mask & BIT(i) ? s->keys[i] : NULL;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct ynode *k = n->items[i], *v = n->items[i + 1];
        if (!walk_plain_key(ld, k))
            continue;
        size_t x = 0;
        while (x < s->n_keys && strcmp(s->keys[x], k->text) != 0)
            x++;
        if (x < s->n_keys && !(mask & BIT(x))) {
            err_foreign_key(ld, k, who, s, x, kind);
            continue;
        }
        if (x == s->n_keys) {
            _cleanup_free_ char *q = report_quote_node(k);
            const char *sug = report_suggest(k->text, names, s->n_keys);
            if (sug) {
                report_error(ld, k, "unknown key %s %s; did you mean '%s'?", q, where, sug);
                for (size_t j = 0; j < s->n_keys; j++)
                    suggested |= names[j] == sug ? BIT(j) : 0;
            } else {
                _cleanup_free_ char *all = report_join(names, s->n_keys, " and ");
                report_error(ld, k, "unknown key %s %s (the keys here are %s)", q, where, all);
            }
            continue;
        }
        if (keys[x]) {
            report_error(ld, k, "duplicate key '%s' %s (first at line %d)", s->keys[x], where,
                         keys[x]->line);
            continue;
        }
        keys[x] = k;
        found[x] = v;
    }
    for (size_t i = 0; i < s->n_keys; i++)
        if ((s->required & BIT(i)) && !found[i] && !(suggested & BIT(i)))
            report_error(ld, n, "missing required key '%s' %s", s->keys[i], where);
    *ret_suggested = suggested;
}

/* The value of key in mapping m (the first one), or NULL. */
struct ynode *walk_find(const struct ynode *m, const char *key)
{
    for (size_t i = 0; m->type == YN_MAPPING && i + 1 < m->n; i += 2) {
        const struct ynode *k = m->items[i];
        if (k->type == YN_SCALAR && !ytree_has_nul(k) && strcmp(k->text, key) == 0)
            return m->items[i + 1];
    }
    return NULL;
}

/* The key of value v in mapping m (v itself if not found), to point at a section by name. */
struct ynode *walk_key_of(const struct ynode *m, struct ynode *v)
{
    for (size_t i = 0; m && m->type == YN_MAPPING && i + 1 < m->n; i += 2)
        if (m->items[i + 1] == v)
            return m->items[i];
    return v;
}

/*
 * Checks that n is a non-empty list of at most max entries, reporting what is
 * wrong with it. Returns how many entries to load (0: load none): the extra
 * entries past max are reported once and then ignored.
 */
size_t walk_list(struct loader *ld, struct ynode *n, const char *key, const char *shape,
                 const char *what, size_t max, const char *why)
{
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, key, shape);
        return 0;
    }
    if (n->n == 0) {
        report_error(ld, n, "%s is empty; declare at least one %s", key, what);
        return 0;
    }
    if (n->n <= max)
        return n->n;
    report_error(ld, n->items[max], "too many %s: %zu are declared, at most %zu are supported%s",
                 key, n->n, max, why);
    return max;
}

/*
 * How many entries of the list n to load: all of them, or the first max after
 * reporting "WHO: too many WHAT" at the first entry past the limit.
 */
size_t walk_cap(struct loader *ld, struct ynode *n, size_t max, const char *who, const char *what)
{
    if (n->n <= max)
        return n->n;
    report_error(ld, n->items[max], "%s: too many %s: %zu are given, at most %zu are supported",
                 who, what, n->n, max);
    return max;
}

/*
 * "WHAT 'n1'" when list entry e has a usable name (node name rules), else
 * "WHAT #3"; owned by the caller.
 */
char *walk_label(const struct ynode *e, size_t idx, const char *what)
{
    if (e->type == YN_MAPPING) {
        for (size_t i = 0; i + 1 < e->n; i += 2) {
            const struct ynode *k = e->items[i], *v = e->items[i + 1];
            if (k->type == YN_SCALAR && strcmp(k->text, "name") == 0 && v->type == YN_SCALAR &&
                scalar_name_ok(v, 63, "._-", true))
                return xasprintf("%s '%s'", what, v->text);
        }
    }
    return xasprintf("%s #%zu", what, idx + 1);
}

/* An environment variable or parameter name: [A-Za-z_][A-Za-z0-9_]*, 1 to 64 long. */
static bool param_name_ok(const struct ynode *k)
{
    return scalar_name_ok(k, 64, "_", false) && !(k->text[0] >= '0' && k->text[0] <= '9');
}

/*
 * A mapping of names to text: a resource's params or environment. what is
 * the key ("params"), entry what one name is ("parameter"), example a sample
 * for the message. The entries go to *ret and *ret_n, in file order.
 */
void walk_params(struct loader *ld, struct ynode *n, const char *who, const char *what,
                 const char *entry, const char *example, struct cfg_param **ret, size_t *ret_n)
{
    _cleanup_free_ char *label = xasprintf("%s: %s", who, what);
    if (n->type != YN_MAPPING) {
        _cleanup_free_ char *shape =
            xasprintf("a mapping of %s names to values, such as %s", entry, example);
        report_type(ld, n, label, shape);
        return;
    }
    size_t pairs = n->n / 2;
    if (pairs > CFG_MAX_RES_PARAMS) {
        report_error(ld, n->items[2 * CFG_MAX_RES_PARAMS],
                     "%s: too many %s: %zu are given, at most %d are supported", who, what, pairs,
                     CFG_MAX_RES_PARAMS);
        pairs = CFG_MAX_RES_PARAMS;
    }
    struct cfg_param *v = xcalloc(pairs ? pairs : 1, sizeof(*v));
    const struct ynode **keys = xcalloc(pairs ? pairs : 1, sizeof(*keys)); /* valid names so far */
    size_t count = 0, n_keys = 0;
    for (size_t i = 0; i < pairs; i++) {
        struct ynode *k = n->items[2 * i], *val = n->items[2 * i + 1];
        if (!walk_plain_key(ld, k))
            continue;
        if (!param_name_ok(k)) {
            _cleanup_free_ char *qk = report_quote_node(k);
            report_error(ld, k, "%s: %s name %s is not valid: use %s", who, entry, qk,
                         PARAM_NAME_RULE);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < n_keys && !dup; j++) {
            if (strcmp(keys[j]->text, k->text) == 0) {
                report_error(ld, k, "duplicate key '%s' in the %s of %s (first at line %d)",
                             k->text, what, who, keys[j]->line);
                dup = true;
            }
        }
        if (dup)
            continue;
        keys[n_keys++] = k;
        _cleanup_free_ char *vlabel = xasprintf("%s: %s.%s", who, what, k->text);
        if (val->type != YN_SCALAR || ytree_is_null(val)) {
            report_type(ld, val, vlabel, "text, a number or true/false");
            continue;
        }
        if (ytree_has_nul(val)) {
            report_error(ld, val, "%s contains a NUL character", vlabel);
            continue;
        }
        v[count].key = xstrdup(k->text);
        v[count].value = xstrdup(val->text);
        count++;
    }
    free(keys);
    *ret = v;
    *ret_n = count;
}

/*
 * A command: a list of the program (an absolute path) and its arguments.
 * Stores a NULL-terminated copy in *ret_argv and its length in *ret_argc
 * only when every entry is usable.
 */
void walk_command(struct loader *ld, struct ynode *n, const char *who, char ***ret_argv,
                  size_t *ret_argc)
{
    _cleanup_free_ char *label = xasprintf("%s: command", who);
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label,
                    "a list of the program and its arguments, such as [/usr/bin/python3, -m, "
                    "http.server]");
        return;
    }
    if (n->n == 0) {
        report_error(ld, n, "%s is empty; it needs at least the program", label);
        return;
    }
    if (n->n > CFG_MAX_ARGS) {
        report_error(ld, n->items[CFG_MAX_ARGS],
                     "%s: too many arguments: %zu are given, at most %d are supported", label, n->n,
                     CFG_MAX_ARGS);
        return;
    }
    bool ok = true;
    _cleanup_free_ char *plabel = xasprintf("%s: the program", who);
    if (!scalar_path(ld, n->items[0], plabel, "a program", "/usr/bin/"))
        ok = false;
    for (size_t i = 1; i < n->n; i++) {
        struct ynode *a = n->items[i];
        _cleanup_free_ char *alabel = xasprintf("%s: command argument #%zu", who, i);
        if (a->type != YN_SCALAR || ytree_is_null(a)) {
            report_type(ld, a, alabel, "text (write an empty argument as \"\")");
            ok = false;
        } else if (ytree_has_nul(a)) {
            report_error(ld, a, "%s contains a NUL character", alabel);
            ok = false;
        }
    }
    if (!ok)
        return;
    char **argv = xcalloc(n->n + 1, sizeof(*argv));
    for (size_t i = 0; i < n->n; i++)
        argv[i] = xstrdup(n->items[i]->text);
    *ret_argv = argv;
    *ret_argc = n->n;
}
