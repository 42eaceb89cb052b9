/*
 * Clone and promotable groups in vigil.yaml: a group's clone: or
 * promotable: mapping (copies, primaries, notify), and the keys of its
 * resources that go with them (role, promote_timeout, demote_timeout,
 * notify_timeout). Refuses what a clone would run on several nodes at once
 * although it cannot be shared: an fs on a local filesystem, an ip address.
 * Relationships with clones are refused in load_relations.c. Pure: no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

/* Filesystems that several nodes may mount at once (cluster and network filesystems). */
static const char *const shared_fs[] = {"gfs2", "ocfs2", "nfs",      "nfs4",
                                        "cifs", "ceph",  "glusterfs"};

/* Parsed before the range checks, which give their own messages. */
#define MAX_COUNT 1000000u

/* "group 'web'", or "group #2" when it has no usable name; owned by the caller. */
static char *group_ref(const struct cfg *c, size_t gi)
{
    const struct cfg_group *g = &c->groups[gi];
    return g->name ? xasprintf("group '%s'", g->name) : xasprintf("group #%zu", gi + 1);
}

/* "a clone", "promotable": what group g is, after "group 'x' is". */
static const char *kind_phrase(const struct cfg_group *g)
{
    return g->kind == CFG_KIND_PROMOTABLE ? "promotable" : "a clone";
}

/*
 * copies, primaries and notify of the clone or promotable mapping m (key:
 * its key, "clone" or "promotable"), into g.
 */
static void load_kind_keys(struct loader *ld, size_t gi, struct ynode *m, const char *key,
                           const char *who)
{
    enum { CK_COPIES, CK_PRIMARIES, CK_NOTIFY, CK_MAX };
    static const struct key_spec specs[CK_MAX] = {
        [CK_COPIES] = {"copies", false},
        [CK_PRIMARIES] = {"primaries", false},
        [CK_NOTIFY] = {"notify", false},
    };
    struct cfg_group *g = &ld->c->groups[gi];
    bool domain_ok = ld->gsrc[gi].domain_ok;
    struct ynode *f[CK_MAX];
    _cleanup_free_ char *label = xasprintf("%s: %s", who, key);
    _cleanup_free_ char *where = xasprintf("in the %s of %s", key, who);
    if (m->type != YN_MAPPING) {
        report_type(ld, m, label,
                    g->kind == CFG_KIND_PROMOTABLE
                        ? "a mapping such as {} (one primary, a copy on every node of the domain) "
                          "or {copies: 2, primaries: 1}"
                        : "a mapping such as {} (a copy on every node of the domain) or "
                          "{copies: 2}");
        return;
    }
    walk_mapping(ld, m, label, where, specs, CK_MAX, f);
    bool copies_ok = domain_ok;
    uint64_t v;
    if (f[CK_COPIES]) {
        _cleanup_free_ char *l = xasprintf("%s: %s.copies", who, key);
        copies_ok = false;
        if (scalar_uint(ld, f[CK_COPIES], l, 0, MAX_COUNT, &v)) {
            if (v == 0)
                report_error(ld, f[CK_COPIES],
                             "%s is 0; a group runs at least one copy (leave copies out for a "
                             "copy on every node of the domain)",
                             l);
            else if (domain_ok && v > g->n_domain)
                report_error(ld, f[CK_COPIES],
                             "%s is %llu, more than the %zu node%s of its domain (a node runs one "
                             "copy at most)",
                             l, (unsigned long long)v, g->n_domain, g->n_domain == 1 ? "" : "s");
            copies_ok = v > 0 && (!domain_ok || v <= g->n_domain);
            if (copies_ok)
                g->copies = (uint32_t)v;
        }
    }
    if (f[CK_PRIMARIES] && g->kind != CFG_KIND_PROMOTABLE) {
        report_error(ld, walk_key_of(m, f[CK_PRIMARIES]),
                     "%s: primaries applies only to promotable groups; write promotable: instead "
                     "of clone: to have copies promoted",
                     who);
    } else if (f[CK_PRIMARIES]) {
        _cleanup_free_ char *l = xasprintf("%s: %s.primaries", who, key);
        if (scalar_uint(ld, f[CK_PRIMARIES], l, 0, MAX_COUNT, &v)) {
            if (v == 0)
                report_error(ld, f[CK_PRIMARIES],
                             "%s is 0; a promotable group promotes at least one copy (make it a "
                             "clone: to promote none)",
                             l);
            else if (copies_ok && v > g->copies)
                report_error(ld, f[CK_PRIMARIES], "%s is %llu, more than its copies (%u%s)", l,
                             (unsigned long long)v, g->copies,
                             f[CK_COPIES] ? "" : ", one on each node of the domain");
            else
                g->primaries = (uint32_t)v;
        }
    }
    if (f[CK_NOTIFY]) {
        _cleanup_free_ char *l = xasprintf("%s: %s.notify", who, key);
        if (scalar_bool(ld, f[CK_NOTIFY], l, &g->notify) && g->notify)
            ld->gsrc[gi].notify = f[CK_NOTIFY];
    }
}

void load_clone_group(struct loader *ld, size_t gi, struct ynode *clone, struct ynode *promotable,
                      struct ynode *policy, const char *who)
{
    struct cfg_group *g = &ld->c->groups[gi];
    struct ynode *e = ld->gsrc[gi].entry;
    g->kind = CFG_KIND_SINGLE;
    g->copies = 1;
    g->primaries = 0;
    if (!clone && !promotable)
        return;
    if (clone && promotable) {
        struct ynode *ck = walk_key_of(e, clone), *pk = walk_key_of(e, promotable);
        bool clone_first = ck->line < pk->line || (ck->line == pk->line && ck->col < pk->col);
        report_error(ld, clone_first ? pk : ck,
                     "%s: clone and promotable exclude each other (a promotable group is a clone "
                     "whose copies can be promoted); keep one of them",
                     who);
        if (clone_first)
            promotable = NULL;
        else
            clone = NULL;
    }
    struct ynode *m = clone ? clone : promotable;
    ld->gsrc[gi].kind = walk_key_of(e, m);
    g->kind = clone ? CFG_KIND_CLONE : CFG_KIND_PROMOTABLE;
    g->copies = g->n_domain ? (uint32_t)g->n_domain : 1;
    g->primaries = promotable ? 1 : 0;
    load_kind_keys(ld, gi, m, clone ? "clone" : "promotable", who);
    if (policy && g->policy != CFG_POLICY_ORDERED) {
        const char *p = cfg_policy_name(g->policy);
        report_error(ld, policy,
                     "%s: policy %s applies only to single-copy groups: the copies of %s group go "
                     "to the first eligible nodes of its domain (leave policy out)",
                     who, p ? p : "?", g->kind == CFG_KIND_PROMOTABLE ? "a promotable" : "a clone");
    }
}

/* role: a keyword, promotable only for types that can be promoted. */
static bool load_role(struct loader *ld, struct cfg_resource *r, int type, struct ynode *n,
                      const char *who)
{
    static const char *const names[] = {"promotable", "primary", "all"};
    static const enum cfg_res_role values[] = {CFG_ROLE_PROMOTABLE, CFG_ROLE_PRIMARY, CFG_ROLE_ALL};
    _cleanup_free_ char *label = xasprintf("%s: role", who);
    int i = scalar_keyword(ld, n, label, names, ARRAY_SIZE(names));
    if (i < 0)
        return false;
    if (values[i] == CFG_ROLE_PROMOTABLE && type != CFG_RES_OCF && type != CFG_RES_SCRIPT) {
        static const char *const kinds[CFG_RES_TYPE_MAX] = {[CFG_RES_IP] = "an ip",
                                                            [CFG_RES_PROCESS] = "a process",
                                                            [CFG_RES_FS] = "an fs",
                                                            [CFG_RES_LSB] = "an lsb"};
        report_error(ld, n,
                     "%s: role promotable needs an ocf or script resource (only they can be "
                     "promoted); %s resource runs as primary (with the promoted copy only) or "
                     "all (on every copy)",
                     who, kinds[type]);
        return false;
    }
    r->role = values[i];
    return true;
}

/* The role of a resource of type type in a promotable group when role: is not written. */
static enum cfg_res_role default_role(int type)
{
    switch (type) {
    case CFG_RES_OCF:
    case CFG_RES_SCRIPT:
        return CFG_ROLE_PROMOTABLE;
    case CFG_RES_IP:
        return CFG_ROLE_PRIMARY;
    default:
        return CFG_ROLE_ALL;
    }
}

/* promote_timeout and demote_timeout: only for resources of role promotable. */
static void load_promote_timeouts(struct loader *ld, const struct cfg_group *g,
                                  struct cfg_resource *r, int type, const struct clone_res_keys *k,
                                  bool role_ok, const char *who)
{
    struct ynode *v[] = {k->promote_timeout, k->demote_timeout};
    static const char *const keys[] = {"promote_timeout", "demote_timeout"};
    uint64_t *dst[] = {&r->promote_timeout_ms, &r->demote_timeout_ms};
    bool promotable = g->kind == CFG_KIND_PROMOTABLE && role_ok && r->role == CFG_ROLE_PROMOTABLE;
    for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
        if (promotable)
            *dst[i] = type == CFG_RES_SCRIPT ? CFG_DEFAULT_PROMOTE_TIMEOUT_MS : 0;
        if (!v[i])
            continue;
        struct ynode *key = walk_key_of(k->entry, v[i]);
        if (g->kind != CFG_KIND_PROMOTABLE) {
            report_error(ld, key, "%s: %s applies only to resources of promotable groups", who,
                         keys[i]);
        } else if (role_ok && r->role != CFG_ROLE_PROMOTABLE) {
            report_error(ld, key,
                         "%s: %s applies only to resources of role promotable (its role is %s)",
                         who, keys[i], cfg_res_role_name(r->role));
        } else if (role_ok) {
            _cleanup_free_ char *label = xasprintf("%s: %s", who, keys[i]);
            uint64_t ms;
            if (scalar_duration(ld, v[i], label, CFG_MIN_TIMEOUT_MS, CFG_MAX_TIMEOUT_MS, &ms))
                *dst[i] = ms;
        }
    }
}

/* notify_timeout: only for ocf resources of groups with notify: true. */
static void load_notify_timeout(struct loader *ld, const struct cfg_group *g,
                                struct cfg_resource *r, int type, const struct clone_res_keys *k,
                                const char *who)
{
    if (!k->notify_timeout)
        return;
    struct ynode *key = walk_key_of(k->entry, k->notify_timeout);
    if (g->kind == CFG_KIND_SINGLE) {
        report_error(ld, key,
                     "%s: notify_timeout applies only to resources of clone and promotable groups "
                     "with notify: true",
                     who);
        return;
    }
    if (!g->notify) {
        report_error(ld, key,
                     "%s: notify_timeout applies only to groups with notify: true (write it in "
                     "the group's %s: mapping)",
                     who, g->kind == CFG_KIND_PROMOTABLE ? "promotable" : "clone");
        return;
    }
    if (type >= 0 && type != CFG_RES_OCF) {
        report_error(ld, key,
                     "%s: notify_timeout applies only to ocf resources (only ocf agents are "
                     "notified)",
                     who);
        return;
    }
    _cleanup_free_ char *label = xasprintf("%s: notify_timeout", who);
    uint64_t ms;
    if (scalar_duration(ld, k->notify_timeout, label, CFG_MIN_TIMEOUT_MS, CFG_MAX_TIMEOUT_MS, &ms))
        r->notify_timeout_ms = ms;
}

/* True if fstype names a filesystem several nodes may mount at once. */
static bool fs_shared(const char *fstype)
{
    for (size_t i = 0; fstype && i < ARRAY_SIZE(shared_fs); i++)
        if (strcmp(fstype, shared_fs[i]) == 0)
            return true;
    return false;
}

/*
 * What the copies of a clone cannot all run: an fs on a filesystem that
 * only one node may mount, and an ip address (except, in a promotable
 * group, with the primary only).
 */
static void check_shared(struct loader *ld, size_t gi, const struct cfg_resource *r, int type,
                         const struct clone_res_keys *k, const char *who)
{
    const struct cfg_group *g = &ld->c->groups[gi];
    if (g->kind == CFG_KIND_SINGLE || r->role == CFG_ROLE_PRIMARY)
        return;
    _cleanup_free_ char *gref = group_ref(ld->c, gi);
    if (type == CFG_RES_FS && !(k->fstype && !r->fstype) && !fs_shared(r->fstype)) {
        report_error(ld, k->fstype ? k->fstype : k->type,
                     "%s is %s: fs %s (%s) would be mounted on several nodes at once; use a "
                     "cluster filesystem (gfs2, ocfs2, nfs)%s or put it in a single-copy group",
                     gref, kind_phrase(g), who, r->fstype ? r->fstype : "fstype not given",
                     g->kind == CFG_KIND_PROMOTABLE ? ", give it role: primary," : "");
    }
    if (type == CFG_RES_IP) {
        if (g->kind == CFG_KIND_CLONE)
            report_error(ld, k->type,
                         "%s is a clone: ip %s would hold its address on several nodes at once; "
                         "to have an address follow one copy, make the group promotable (an ip "
                         "resource then runs with the primary only)",
                         gref, who);
        else
            report_error(ld, k->role,
                         "%s: role all would hold the address on every copy of %s at once; "
                         "leave role out (primary: with the promoted copy only)",
                         who, gref);
    }
}

void load_clone_resource(struct loader *ld, size_t gi, struct cfg_resource *r, int type,
                         const struct clone_res_keys *k, const char *who)
{
    const struct cfg_group *g = &ld->c->groups[gi];
    r->role = CFG_ROLE_ALL;
    bool role_ok = type >= 0;
    if (g->kind == CFG_KIND_PROMOTABLE && type >= 0)
        r->role = default_role(type);
    if (k->role && g->kind != CFG_KIND_PROMOTABLE) {
        _cleanup_free_ char *gref = group_ref(ld->c, gi);
        report_error(ld, walk_key_of(k->entry, k->role),
                     "%s: role applies only to resources of promotable groups (%s %s)", who, gref,
                     g->kind == CFG_KIND_CLONE ? "is a plain clone" : "has a single copy");
    } else if (k->role && type >= 0) {
        role_ok = load_role(ld, r, type, k->role, who);
    }
    if (!role_ok)
        ld->gsrc[gi].roles_unknown = true;
    load_promote_timeouts(ld, g, r, type, k, role_ok, who);
    load_notify_timeout(ld, g, r, type, k, who);
    if (role_ok)
        check_shared(ld, gi, r, type, k, who);
}

void load_clone_check(struct loader *ld, size_t gi, const char *who)
{
    const struct cfg_group *g = &ld->c->groups[gi];
    if (g->kind == CFG_KIND_SINGLE || g->n_resources == 0)
        return;
    bool promotable = false, ocf = false;
    for (size_t i = 0; i < g->n_resources; i++) {
        promotable |= g->resources[i].role == CFG_ROLE_PROMOTABLE;
        ocf |= g->resources[i].type == CFG_RES_OCF;
    }
    if (ld->gsrc[gi].roles_unknown)
        return;
    if (g->kind == CFG_KIND_PROMOTABLE && !promotable)
        report_error(ld, ld->gsrc[gi].kind,
                     "%s is promotable but none of its resources can be promoted: it needs an "
                     "ocf or script resource of role promotable (their default); make it a "
                     "clone: otherwise",
                     who);
    if (ld->gsrc[gi].notify && !ocf)
        report_warning(ld, ld->gsrc[gi].notify,
                       "%s: notify is ignored: only ocf agents are notified, and the group has "
                       "no ocf resource",
                       who);
}
