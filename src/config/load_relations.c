/*
 * Relationships between groups in vigil.yaml: requires (with colocated),
 * together_with and apart_from. A group may name groups written after it, so
 * the names are resolved here once every group is loaded: unknown names
 * (with did-you-mean), a group naming itself, the same group twice, an
 * apart_from that contradicts a same-node relationship, cycles through
 * requires and together_with, and groups that must share a node although
 * their domains share none are refused; an apart_from that can never be
 * honoured is a warning. Relationships of or to clone and promotable groups
 * are refused (not supported yet). Pure: no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

static const char *const rel_keys[REL_MAX] = {"requires", "together_with", "apart_from"};

/* The list of kind k of group g: its array and count. */
static size_t **rel_list(struct cfg_group *g, int k, size_t **ret_n)
{
    switch (k) {
    case REL_REQUIRES:
        *ret_n = &g->n_requires;
        return &g->requires;
    case REL_TOGETHER_WITH:
        *ret_n = &g->n_together_with;
        return &g->together_with;
    default:
        *ret_n = &g->n_apart_from;
        return &g->apart_from;
    }
}

/* The same, to read: list k of g and its length in *ret_n. */
static const size_t *rel_view(const struct cfg_group *g, int k, size_t *ret_n)
{
    switch (k) {
    case REL_REQUIRES:
        *ret_n = g->n_requires;
        return g->requires;
    case REL_TOGETHER_WITH:
        *ret_n = g->n_together_with;
        return g->together_with;
    default:
        *ret_n = g->n_apart_from;
        return g->apart_from;
    }
}

/* The relationships as they were resolved: where each entry of each list was written. */
struct rel_state {
    struct loader *ld;
    const char **names;               /* [n_groups]: usable group names (NULL entries) */
    bool names_ok;                    /* every group loaded with a usable name */
    const struct ynode **at[REL_MAX]; /* [n_groups * CFG_MAX_RELATIONS] */
    bool *list_bad;                   /* [n_groups * REL_MAX]: a list had an error */
};

static const struct ynode *rel_at(const struct rel_state *st, int k, size_t gi, size_t i)
{
    return st->at[k][gi * CFG_MAX_RELATIONS + i];
}

/*
 * When v names a resource, reports "KEY names resource 'x' (of group 'g',
 * line N); KEY names groups, not resources" and returns true.
 */
static bool report_resource_name(struct rel_state *st, const struct ynode *v, const char *who,
                                 const char *key)
{
    struct loader *ld = st->ld;
    for (size_t i = 0; i < ld->n_gnames; i++) {
        const struct gname *o = &ld->gnames[i];
        if (o->is_group || strcmp(o->name, v->text) != 0)
            continue;
        const char *gname = ld->c->groups[o->group].name;
        report_error(ld, v,
                     "%s: %s names resource '%s' (of group '%s', line %d); %s names groups, not "
                     "resources",
                     who, key, o->name, gname ? gname : "?", o->at->line, key);
        return true;
    }
    return false;
}

/* Entry v of list k of group gi: resolved, checked, and appended. */
static void load_rel_entry(struct rel_state *st, size_t gi, int k, const struct ynode *v,
                           const char *who, const char *label)
{
    struct loader *ld = st->ld;
    struct cfg *c = ld->c;
    struct cfg_group *g = &c->groups[gi];
    size_t *n, **list = rel_list(g, k, &n);
    if (!scalar_ok(ld, v, label, "a group name")) {
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
        return;
    }
    size_t j = 0;
    while (j < c->n_groups &&
           !(st->names[j] && !ytree_has_nul(v) && strcmp(st->names[j], v->text) == 0))
        j++;
    if (j == c->n_groups) {
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
        if (ytree_has_nul(v) || report_resource_name(st, v, who, rel_keys[k]) || !st->names_ok)
            return;
        _cleanup_free_ char *ctx = xasprintf(" in %s", rel_keys[k]);
        struct unknown_name u = {.what = "undeclared group", .context = ctx, .plural = "groups"};
        report_unknown(ld, v, who, &u, st->names, c->n_groups);
        return;
    }
    if (c->groups[j].kind != CFG_KIND_SINGLE) {
        report_error(ld, v,
                     "%s: %s '%s': relationships with clone and promotable groups are not "
                     "supported yet (group '%s' is %s)",
                     who, rel_keys[k], st->names[j], st->names[j],
                     c->groups[j].kind == CFG_KIND_PROMOTABLE ? "promotable" : "a clone");
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
        return;
    }
    if (j == gi) {
        report_error(ld, v, "%s: %s names the group itself", who, rel_keys[k]);
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        if ((*list)[i] == j) {
            report_error(ld, v, "%s: %s names group '%s' twice (first at line %d)", who,
                         rel_keys[k], st->names[j], rel_at(st, k, gi, i)->line);
            return;
        }
    }
    st->at[k][gi * CFG_MAX_RELATIONS + *n] = v;
    (*list)[(*n)++] = j;
}

/* List k of group gi, value n: one group name or a list of them (possibly empty). */
static void load_rel_list(struct rel_state *st, size_t gi, int k, struct ynode *n, const char *who)
{
    struct loader *ld = st->ld;
    struct cfg_group *g = &ld->c->groups[gi];
    size_t *count, **list = rel_list(g, k, &count);
    _cleanup_free_ char *label = xasprintf("%s: %s", who, rel_keys[k]);
    if (n->type == YN_SCALAR && !ytree_is_null(n)) {
        *list = xcalloc(1, sizeof(**list));
        load_rel_entry(st, gi, k, n, who, label);
        return;
    }
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label, "a group name or a list of group names, such as [db]");
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
        return;
    }
    _cleanup_free_ char *what = xasprintf("groups in %s", rel_keys[k]);
    size_t max = walk_cap(ld, n, CFG_MAX_RELATIONS, who, what);
    if (max < n->n)
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
    *list = xcalloc(max ? max : 1, sizeof(**list));
    for (size_t i = 0; i < max; i++) {
        _cleanup_free_ char *ilabel = xasprintf("%s: %s entry #%zu", who, rel_keys[k], i + 1);
        load_rel_entry(st, gi, k, n->items[i], who, ilabel);
    }
}

/* The position in group gi's list k of group j, or -1. */
static int rel_find(const struct cfg_group *g, int k, size_t j)
{
    size_t n;
    const size_t *list = rel_view(g, k, &n);
    for (size_t i = 0; i < n; i++)
        if (list[i] == j)
            return (int)i;
    return -1;
}

/*
 * Which relationship of group a keeps it on b's node: "together_with", or
 * "requires" with colocated; NULL if none. *ret_at gets where it is written.
 */
static const char *same_node(const struct rel_state *st, size_t a, size_t b,
                             const struct ynode **ret_at)
{
    const struct cfg_group *g = &st->ld->c->groups[a];
    int i = rel_find(g, REL_TOGETHER_WITH, b);
    if (i >= 0) {
        *ret_at = rel_at(st, REL_TOGETHER_WITH, a, (size_t)i);
        return "together_with";
    }
    i = g->colocated ? rel_find(g, REL_REQUIRES, b) : -1;
    if (i >= 0) {
        *ret_at = rel_at(st, REL_REQUIRES, a, (size_t)i);
        return "requires (colocated)";
    }
    return NULL;
}

/* apart_from a group that must share the node, in either direction, is a contradiction. */
static void check_contradictions(struct rel_state *st)
{
    struct loader *ld = st->ld;
    struct cfg *c = ld->c;
    for (size_t gi = 0; gi < c->n_groups; gi++) {
        const struct cfg_group *g = &c->groups[gi];
        for (size_t i = 0; i < g->n_apart_from; i++) {
            size_t j = g->apart_from[i];
            const struct ynode *at = NULL;
            const struct ynode *v = rel_at(st, REL_APART_FROM, gi, i);
            const char *why = same_node(st, gi, j, &at);
            if (why) {
                report_error(ld, v,
                             "group '%s': apart_from '%s' contradicts its %s '%s' (line %d): a "
                             "group cannot be kept off the node it must run on",
                             g->name, st->names[j], why, st->names[j], at->line);
                continue;
            }
            why = same_node(st, j, gi, &at);
            if (why)
                report_error(ld, v,
                             "group '%s': apart_from '%s' contradicts the %s '%s' of group '%s' "
                             "(line %d): the two must run on the same node",
                             g->name, st->names[j], why, g->name, st->names[j], at->line);
        }
    }
}

/* ---- Cycles through requires and together_with ---- */

struct cycle_walk {
    struct rel_state *st;
    unsigned char *color; /* [n_groups]: 0 not seen, 1 on the path, 2 done */
    size_t *path;         /* [n_groups] */
    size_t depth;
};

/* Reports the cycle path[from..depth-1] -> path[from], from its group earliest in the file. */
static void report_cycle(struct cycle_walk *w, size_t from)
{
    struct rel_state *st = w->st;
    const struct cfg *c = st->ld->c;
    size_t m = w->depth - from, r = 0;
    const size_t *cy = &w->path[from];
    for (size_t i = 1; i < m; i++)
        if (cy[i] < cy[r])
            r = i;
    bool req = false, tog = false;
    struct cfg_buf b = {0};
    const struct ynode *at = NULL;
    for (size_t s = 0; s < m; s++) {
        size_t u = cy[(r + s) % m], v = cy[(r + s + 1) % m];
        int i = rel_find(&c->groups[u], REL_REQUIRES, v);
        int kind = i >= 0 ? REL_REQUIRES : REL_TOGETHER_WITH;
        if (i < 0)
            i = rel_find(&c->groups[u], REL_TOGETHER_WITH, v);
        req |= kind == REL_REQUIRES;
        tog |= kind == REL_TOGETHER_WITH;
        if (s == 0)
            at = rel_at(st, kind, u, (size_t)i);
        cfg_buf_printf(&b, "%s -> ", c->groups[u].name);
    }
    cfg_buf_printf(&b, "%s", c->groups[cy[r]].name);
    _cleanup_free_ char *text = cfg_buf_steal(&b);
    report_error(st->ld, at, "group '%s': %s a cycle: %s", c->groups[cy[r]].name,
                 req && tog ? "requires and together_with make"
                 : req      ? "requires makes"
                            : "together_with makes",
                 text);
}

static void walk_from(struct cycle_walk *w, size_t u)
{
    const struct cfg_group *g = &w->st->ld->c->groups[u];
    w->color[u] = 1;
    w->path[w->depth++] = u;
    for (int k = REL_REQUIRES; k <= REL_TOGETHER_WITH; k++) {
        size_t n;
        const size_t *list = rel_view(g, k, &n);
        for (size_t i = 0; i < n; i++) {
            size_t v = list[i];
            if (k == REL_TOGETHER_WITH && rel_find(g, REL_REQUIRES, v) >= 0)
                continue; /* the same edge, already followed */
            if (w->color[v] == 0) {
                walk_from(w, v);
            } else if (w->color[v] == 1) {
                size_t from = w->depth;
                while (from > 0 && w->path[from - 1] != v)
                    from--;
                report_cycle(w, from - 1);
            }
        }
    }
    w->depth--;
    w->color[u] = 2;
}

static void check_cycles(struct rel_state *st)
{
    size_t n = st->ld->c->n_groups;
    struct cycle_walk w = {st, xcalloc(n, 1), xcalloc(n, sizeof(size_t)), 0};
    for (size_t u = 0; u < n; u++)
        if (w.color[u] == 0)
            walk_from(&w, u);
    free(w.color);
    free(w.path);
}

/* ---- Domains: groups that must share a node, and groups kept apart ---- */

/* Group g's domain as a set of node indices; false when it is not known whole at load. */
static bool domain_set(const struct rel_state *st, size_t g, uint64_t *ret)
{
    const struct cfg_group *cg = &st->ld->c->groups[g];
    if (!st->ld->gsrc[g].domain_ok || cg->policy == CFG_POLICY_SCRIPT)
        return false; /* a placement script may name any node at run time */
    uint64_t set = 0;
    for (size_t i = 0; i < cg->n_domain; i++)
        set |= 1ull << cg->domain[i];
    *ret = set;
    return true;
}

/* Whether group g must run on the node of group h: together_with, or requires with colocated. */
static bool with(const struct cfg_group *g, size_t h)
{
    return rel_find(g, REL_TOGETHER_WITH, h) >= 0 ||
           (g->colocated && rel_find(g, REL_REQUIRES, h) >= 0);
}

/*
 * The nodes group g can run on, given the groups it must share a node with,
 * directly or through others: the meet of their domains. Marks them in
 * seen[] (g included). false when a domain in it is not known.
 */
static bool meet(const struct rel_state *st, size_t g, bool *seen, uint64_t *ret)
{
    const struct cfg *c = st->ld->c;
    uint64_t set;
    if (!domain_set(st, g, &set))
        return false;
    seen[g] = true;
    for (size_t h = 0; h < c->n_groups; h++) {
        uint64_t more;
        if (h == g || seen[h] || !with(&c->groups[g], h))
            continue;
        if (!meet(st, h, seen, &more))
            return false;
        set &= more;
    }
    *ret = set;
    return true;
}

/* "n1, n2" (or "none"), into b. */
static void print_set(const struct cfg *c, uint64_t set, struct cfg_buf *b)
{
    bool first = true;
    for (size_t n = 0; n < c->n_nodes; n++)
        if (set >> n & 1) {
            cfg_buf_printf(b, "%s%s", first ? "" : ", ", c->nodes[n].name);
            first = false;
        }
    if (first)
        cfg_buf_printf(b, "none");
}

/* One relationship of a group that puts it on another group's node. */
struct with_edge {
    size_t to;
    const struct ynode *at;
    const char *rel; /* "together_with" or "requires (colocated)" */
};

/* Group a's relationships that put it on another group's node, in file order of the keys. */
static size_t with_edges(const struct rel_state *st, size_t a, struct with_edge *ret)
{
    const struct cfg_group *g = &st->ld->c->groups[a];
    size_t n = 0;
    for (size_t i = 0; i < g->n_together_with; i++)
        ret[n++] = (struct with_edge){g->together_with[i], rel_at(st, REL_TOGETHER_WITH, a, i),
                                      "together_with"};
    for (size_t i = 0; g->colocated && i < g->n_requires; i++)
        if (rel_find(g, REL_TOGETHER_WITH, g->requires[i]) < 0)
            ret[n++] = (struct with_edge){g->requires[i], rel_at(st, REL_REQUIRES, a, i),
                                          "requires (colocated)"};
    return n;
}

/*
 * "it must run on one node with groups 'b' and 'c', and no node is in all
 * their domains (a: n1, n2; b: n1; c: n2)", of group a and the groups marked
 * in seen[] (a among them), into t.
 */
static void explain_meet(const struct rel_state *st, size_t a, const bool *seen, struct cfg_buf *t)
{
    const struct cfg *c = st->ld->c;
    size_t k = 0, last = 0, others = 0;
    for (size_t h = 0; h < c->n_groups; h++)
        if (seen[h] && h != a) {
            last = h;
            others++;
        }
    cfg_buf_printf(t, "it must run on one node with group%s", others > 1 ? "s" : "");
    for (size_t h = 0; h < c->n_groups; h++)
        if (seen[h] && h != a)
            cfg_buf_printf(t, "%s'%s'",
                           k++ == 0    ? " "
                           : h == last ? " and "
                                       : ", ",
                           c->groups[h].name);
    cfg_buf_printf(t, ", and no node is in all their domains (");
    k = 0;
    for (size_t h = 0; h < c->n_groups; h++) {
        uint64_t dh;
        if (seen[h] && domain_set(st, h, &dh)) {
            cfg_buf_printf(t, "%s%s: ", k++ ? "; " : "", c->groups[h].name);
            print_set(c, dh, t);
        }
    }
    cfg_buf_printf(t, ")");
}

/*
 * Group a and the groups it must share a node with (together_with, requires
 * with colocated, and theirs in turn): refused when a's domain and one of
 * theirs share no node (at that entry), or, failing that, when no node is
 * in all their domains (at a's first such entry), unless one of those
 * groups is itself in that case (reported there). Domains a placement
 * script rewrites are not known here: not checked.
 */
static void check_meet(struct rel_state *st, size_t a)
{
    const struct cfg *c = st->ld->c;
    struct with_edge e[2 * CFG_MAX_RELATIONS];
    size_t ne = with_edges(st, a, e);
    uint64_t da, db, m;
    if (ne == 0 || !domain_set(st, a, &da))
        return;
    bool reported = false;
    for (size_t i = 0; i < ne; i++) {
        if (!domain_set(st, e[i].to, &db) || (da & db))
            continue;
        struct cfg_buf t = {0};
        print_set(c, da, &t);
        _cleanup_free_ char *mine = cfg_buf_steal(&t);
        print_set(c, db, &t);
        _cleanup_free_ char *theirs = cfg_buf_steal(&t);
        report_error(st->ld, e[i].at,
                     "group '%s': %s '%s' can never be satisfied: its domain (%s) shares no node "
                     "with that of group '%s' (%s)",
                     c->groups[a].name, e[i].rel, c->groups[e[i].to].name, mine,
                     c->groups[e[i].to].name, theirs);
        reported = true;
    }
    bool *seen = xcalloc(c->n_groups, sizeof(bool));
    for (size_t i = 0; i < ne && !reported; i++) {
        memset(seen, 0, c->n_groups * sizeof(bool));
        reported = meet(st, e[i].to, seen, &m) && !m; /* that group says so itself */
    }
    memset(seen, 0, c->n_groups * sizeof(bool));
    if (!reported && meet(st, a, seen, &m) && !m) {
        struct cfg_buf t = {0};
        explain_meet(st, a, seen, &t);
        _cleanup_free_ char *why = cfg_buf_steal(&t);
        report_error(st->ld, e[0].at, "group '%s' can never run: %s", c->groups[a].name, why);
    }
    free(seen);
}

/*
 * together_with, or requires with colocated, between groups whose domains
 * cannot meet is refused (check_meet); apart_from between two groups that
 * can both run on one node only, the same, is a warning (it is a
 * preference: they share it).
 */
static void check_domains(struct rel_state *st)
{
    const struct cfg *c = st->ld->c;
    for (size_t a = 0; a < c->n_groups; a++) {
        const struct cfg_group *g = &c->groups[a];
        check_meet(st, a);
        for (size_t i = 0; i < g->n_apart_from; i++) {
            size_t b = g->apart_from[i];
            uint64_t da, db;
            if (!domain_set(st, a, &da) || !domain_set(st, b, &db) || da != db || (da & (da - 1)))
                continue;
            report_warning(st->ld, rel_at(st, REL_APART_FROM, a, i),
                           "group '%s': apart_from '%s' can never be honoured: both groups can "
                           "run only on %s (apart_from is a preference: they will share it)",
                           g->name, c->groups[b].name, c->nodes[g->domain[0]].name);
        }
    }
}

/*
 * Relationships written on a clone or promotable group gi are refused, at
 * each key (colocated only without requires, which is reported already),
 * and left unresolved.
 */
static void refuse_on_clone(struct rel_state *st, size_t gi, const char *who)
{
    struct loader *ld = st->ld;
    const struct group_src *src = &ld->gsrc[gi];
    const char *what = ld->c->groups[gi].kind == CFG_KIND_PROMOTABLE ? "promotable" : "a clone";
    for (int k = 0; k < REL_MAX; k++) {
        if (!src->rel[k])
            continue;
        st->list_bad[gi * REL_MAX + (size_t)k] = true;
        report_error(ld, walk_key_of(src->entry, src->rel[k]),
                     "%s is %s: %s: relationships with clone and promotable groups are not "
                     "supported yet",
                     who, what, rel_keys[k]);
    }
    if (src->colocated && !src->rel[REL_REQUIRES])
        report_error(ld, walk_key_of(src->entry, src->colocated),
                     "%s is %s: colocated: relationships with clone and promotable groups are not "
                     "supported yet",
                     who, what);
}

/*
 * Resolves every group's requires, together_with and apart_from (written
 * where ld->gsrc says) into indices, then checks colocated, contradictions
 * and cycles. Call once every group is loaded.
 */
void load_relations(struct loader *ld)
{
    struct cfg *c = ld->c;
    if (!ld->gsrc || c->n_groups == 0)
        return;
    struct rel_state st = {.ld = ld, .names_ok = ld->groups_all};
    st.names = xcalloc(c->n_groups, sizeof(*st.names));
    st.list_bad = xcalloc(c->n_groups * REL_MAX, sizeof(*st.list_bad));
    for (int k = 0; k < REL_MAX; k++)
        st.at[k] = xcalloc(c->n_groups * CFG_MAX_RELATIONS, sizeof(*st.at[k]));
    for (size_t gi = 0; gi < c->n_groups; gi++) {
        st.names[gi] = c->groups[gi].name;
        st.names_ok = st.names_ok && c->groups[gi].name;
    }
    for (size_t gi = 0; gi < c->n_groups; gi++) {
        _cleanup_free_ char *who = c->groups[gi].name ? xasprintf("group '%s'", c->groups[gi].name)
                                                      : xasprintf("group #%zu", gi + 1);
        const struct cfg_group *g = &c->groups[gi];
        if (g->kind != CFG_KIND_SINGLE) {
            refuse_on_clone(&st, gi, who);
            continue;
        }
        for (int k = 0; k < REL_MAX; k++)
            if (ld->gsrc[gi].rel[k])
                load_rel_list(&st, gi, k, ld->gsrc[gi].rel[k], who);
        if (ld->gsrc[gi].colocated && g->n_requires == 0 && !st.list_bad[gi * REL_MAX])
            report_warning(ld, ld->gsrc[gi].colocated,
                           "%s: colocated is ignored without requires (it puts the group on the "
                           "node of the groups it requires)",
                           who);
    }
    /* Messages name both groups: only when every group has a name. */
    if (st.names_ok)
        check_contradictions(&st);
    size_t errors = ld->d->n_errors;
    check_cycles(&st); /* every group on a cycle is named by another, so it has a name */
    if (st.names_ok && ld->d->n_errors == errors)
        check_domains(&st);
    for (int k = 0; k < REL_MAX; k++)
        free(st.at[k]);
    free(st.list_bad);
    free(st.names);
}
