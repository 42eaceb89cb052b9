/*
 * Clone and promotable groups in vigil.yaml (src/config/load_clone.c, and
 * load_relations.c for relationships): defaults, every key, every error
 * with its exact message and position, the printed form and the
 * comparisons.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "config/config.h"
#include "config/diff.h"
#include "cfg_helpers.h"

/* Loads GHEAD followed by groups (line 8 on), which must fail with exactly diags. */
static void refused(const char *groups, const char *diags)
{
    _cleanup_free_ char *text = xasprintf(GHEAD "%s", groups);
    load_text(text, 0, -EINVAL, diags);
}

/* Loads GHEAD followed by groups, which must load with no diagnostic but W_NOFENCE. */
static struct cfg *accepted(const char *groups)
{
    _cleanup_free_ char *text = xasprintf(GHEAD "%s", groups);
    return load_text(text, 0, 0, W_NOFENCE);
}

/* ---- Values ---- */

static void test_single_defaults(void **state)
{
    struct cfg *c = accepted(GWEB "  - name: job\n    domain: [n1, n3]\n    resources:\n"
                                  "      - {name: j, type: \"ocf:heartbeat:Dummy\"}\n"
                                  "      - {name: s, type: script, path: /bin/s}\n");
    for (size_t i = 0; i < c->n_groups; i++) {
        const struct cfg_group *g = &c->groups[i];
        assert_int_equal(g->kind, CFG_KIND_SINGLE);
        assert_int_equal(g->copies, 1);
        assert_int_equal(g->primaries, 0);
        assert_false(g->notify);
        for (size_t r = 0; r < g->n_resources; r++) {
            assert_int_equal(g->resources[r].role, CFG_ROLE_ALL);
            assert_int_equal(g->resources[r].promote_timeout_ms, 0);
            assert_int_equal(g->resources[r].demote_timeout_ms, 0);
            assert_int_equal(g->resources[r].notify_timeout_ms, 0);
        }
    }
    /* A single-copy group prints as before: no clone keys, no role. */
    char *text = cfg_print(c);
    assert_null(strstr(text, "clone"));
    assert_null(strstr(text, "promotable"));
    assert_null(strstr(text, "role:"));
    assert_null(strstr(text, "_timeout:"));
    free(text);
    cfg_free(c);
}

static void test_clone_values(void **state)
{
    struct cfg *c = load_valid("valid/clones.yaml");
    assert_int_equal(c->n_groups, 4);

    /* www: clone: {} is a copy on every node of the domain. */
    const struct cfg_group *g = &c->groups[0];
    assert_int_equal(g->kind, CFG_KIND_CLONE);
    assert_int_equal(g->copies, 3);
    assert_int_equal(g->primaries, 0);
    assert_false(g->notify);
    assert_int_equal(g->resources[0].role, CFG_ROLE_ALL); /* a gfs2 mount: shared */
    assert_string_equal(g->resources[0].fstype, "gfs2");
    assert_int_equal(g->resources[1].role, CFG_ROLE_ALL);
    /* A network filesystem's remote source. */
    assert_string_equal(g->resources[2].device, "nas.example.org:/export/uploads");
    assert_string_equal(g->resources[2].fstype, "nfs4");

    /* cache: copies and notify; an ocf resource's notify timeout. */
    g = &c->groups[1];
    assert_int_equal(g->kind, CFG_KIND_CLONE);
    assert_int_equal(g->copies, 2);
    assert_int_equal(g->primaries, 0);
    assert_true(g->notify);
    const struct cfg_resource *r = &g->resources[0];
    assert_int_equal(r->role, CFG_ROLE_ALL);
    assert_int_equal(r->notify_timeout_ms, 15000);
    assert_int_equal(r->promote_timeout_ms, 0);
    assert_int_equal(r->demote_timeout_ms, 0);

    /* pg: promotable with its defaults (copies: the domain), roles by type. */
    g = &c->groups[2];
    assert_int_equal(g->kind, CFG_KIND_PROMOTABLE);
    assert_int_equal(g->copies, 3);
    assert_int_equal(g->primaries, 1);
    assert_true(g->notify);
    r = &g->resources[0];
    assert_int_equal(r->role, CFG_ROLE_PROMOTABLE); /* the default for ocf */
    assert_int_equal(r->promote_timeout_ms, 30000);
    assert_int_equal(r->demote_timeout_ms, 120000);
    assert_int_equal(r->notify_timeout_ms, 60000);
    r = &g->resources[1];
    assert_int_equal(r->role, CFG_ROLE_PRIMARY); /* the default for ip */
    assert_int_equal(r->promote_timeout_ms, 0);
    assert_int_equal(r->notify_timeout_ms, 0);

    /* queue: every key written. */
    g = &c->groups[3];
    assert_int_equal(g->kind, CFG_KIND_PROMOTABLE);
    assert_int_equal(g->copies, 2);
    assert_int_equal(g->primaries, 1);
    assert_false(g->notify);
    assert_int_equal(g->resources[0].role, CFG_ROLE_ALL);
    assert_int_equal(g->resources[1].role, CFG_ROLE_PROMOTABLE);
    assert_int_equal(g->resources[1].promote_timeout_ms, 10000);
    assert_int_equal(g->resources[1].demote_timeout_ms, 15000);
    assert_int_equal(g->resources[2].role, CFG_ROLE_PRIMARY); /* ext4, with the primary only */
    assert_int_equal(g->resources[3].role, CFG_ROLE_PRIMARY);
    cfg_free(c);
}

static void test_promotable_defaults(void **state)
{
    struct cfg *c = accepted("  - name: pg\n    domain: [n1, n2, n3]\n    promotable: {}\n"
                             "    resources:\n"
                             "      - {name: o, type: \"ocf:heartbeat:Stateful\"}\n"
                             "      - {name: s, type: script, path: /bin/s}\n"
                             "      - {name: p, type: process, command: [/bin/sleep, \"9\"]}\n"
                             "      - {name: f, type: fs, device: /dev/vdb, mountpoint: /srv/f, "
                             "fstype: ocfs2}\n"
                             "      - {name: l, type: \"lsb:cron\"}\n"
                             "      - {name: v, type: ip, address: 192.0.2.100/24, network: "
                             "priv}\n"
                             "  - name: two\n    domain: [n2, n3]\n"
                             "    promotable: {copies: 1}\n    resources:\n"
                             "      - {name: s2, type: script, path: /bin/s, role: promotable}\n");
    const struct cfg_group *g = &c->groups[0];
    assert_int_equal(g->kind, CFG_KIND_PROMOTABLE);
    assert_int_equal(g->copies, 3);
    assert_int_equal(g->primaries, 1);
    assert_false(g->notify);
    static const enum cfg_res_role roles[] = {CFG_ROLE_PROMOTABLE, CFG_ROLE_PROMOTABLE,
                                              CFG_ROLE_ALL,        CFG_ROLE_ALL,
                                              CFG_ROLE_ALL,        CFG_ROLE_PRIMARY};
    assert_int_equal(g->n_resources, ARRAY_SIZE(roles));
    for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
        assert_int_equal(g->resources[i].role, roles[i]);
    /* ocf: 0, the agent's meta-data; script: 20s. */
    assert_int_equal(g->resources[0].promote_timeout_ms, 0);
    assert_int_equal(g->resources[0].demote_timeout_ms, 0);
    assert_int_equal(g->resources[0].notify_timeout_ms, 0);
    assert_int_equal(g->resources[1].promote_timeout_ms, CFG_DEFAULT_PROMOTE_TIMEOUT_MS);
    assert_int_equal(g->resources[1].demote_timeout_ms, 20000);
    assert_int_equal(g->resources[1].notify_timeout_ms, 0);
    for (size_t i = 2; i < g->n_resources; i++)
        assert_int_equal(g->resources[i].promote_timeout_ms, 0);
    g = &c->groups[1];
    assert_int_equal(g->copies, 1);
    assert_int_equal(g->primaries, 1);
    cfg_free(c);
}

static void test_names(void **state)
{
    assert_string_equal(cfg_group_kind_name(CFG_KIND_SINGLE), "single");
    assert_string_equal(cfg_group_kind_name(CFG_KIND_CLONE), "clone");
    assert_string_equal(cfg_group_kind_name(CFG_KIND_PROMOTABLE), "promotable");
    assert_null(cfg_group_kind_name(CFG_KIND_MAX));
    assert_string_equal(cfg_res_role_name(CFG_ROLE_ALL), "all");
    assert_string_equal(cfg_res_role_name(CFG_ROLE_PROMOTABLE), "promotable");
    assert_string_equal(cfg_res_role_name(CFG_ROLE_PRIMARY), "primary");
    assert_null(cfg_res_role_name(CFG_ROLE_MAX));
}

/* ---- Errors: the group's keys ---- */

static void test_group_errors(void **state)
{
    /* clone and promotable together: at the second; copies past the domain; 0. */
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {copies: 3}\n    promotable: {}\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n",
            "test.yaml:10:21: error: group 'www': clone.copies is 3, more than the 2 nodes of its "
            "domain (a node runs one copy at most)\n"
            "test.yaml:11:5: error: group 'www': clone and promotable exclude each other (a "
            "promotable group is a clone whose copies can be promoted); keep one of them\n");
    refused("  - name: pg\n    domain: [n1]\n    promotable: {copies: 2}\n    clone: {}\n"
            "    resources:\n      - {name: s, type: script, path: /bin/s}\n",
            "test.yaml:9:13: warning: group 'pg': the domain has only one node, so the group "
            "cannot fail over\n"
            "test.yaml:10:26: error: group 'pg': promotable.copies is 2, more than the 1 node of "
            "its domain (a node runs one copy at most)\n"
            "test.yaml:11:5: error: group 'pg': clone and promotable exclude each other (a "
            "promotable group is a clone whose copies can be promoted); keep one of them\n");
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {copies: 0}\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n",
            "test.yaml:10:21: error: group 'www': clone.copies is 0; a group runs at least one "
            "copy (leave copies out for a copy on every node of the domain)\n");
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {copies: two}\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n",
            "test.yaml:10:21: error: group 'www': clone.copies must be a whole number from 0 to "
            "1000000, not 'two'\n");

    /* primaries: not in a clone; 0; more than copies (written, or the default). */
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {primaries: 1, notfy: true}\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n",
            "test.yaml:10:13: error: group 'www': primaries applies only to promotable groups; "
            "write promotable: instead of clone: to have copies promoted\n"
            "test.yaml:10:27: error: unknown key 'notfy' in the clone of group 'www'; did you "
            "mean 'notify'?\n");
    refused("  - name: pg\n    domain: [n1, n2]\n    promotable: {primaries: 0}\n"
            "    resources:\n      - {name: s, type: script, path: /bin/s}\n",
            "test.yaml:10:29: error: group 'pg': promotable.primaries is 0; a promotable group "
            "promotes at least one copy (make it a clone: to promote none)\n");
    refused("  - name: pg\n    domain: [n1, n2, n3]\n    promotable: {copies: 2, primaries: 3}\n"
            "    resources:\n      - {name: s, type: script, path: /bin/s}\n",
            "test.yaml:10:40: error: group 'pg': promotable.primaries is 3, more than its copies "
            "(2)\n");
    refused("  - name: pg\n    domain: [n1, n2, n3]\n    promotable:\n      primaries: 4\n"
            "      notify: yes\n"
            "    resources:\n      - {name: s, type: script, path: /bin/s}\n",
            "test.yaml:11:18: error: group 'pg': promotable.primaries is 4, more than its copies "
            "(3, one on each node of the domain)\n"
            "test.yaml:12:15: error: group 'pg': promotable.notify must be true or false, not "
            "'yes'; did you mean 'true'?\n");

    /* Not a mapping. */
    refused("  - name: www\n    domain: [n1, n2]\n    clone: true\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n",
            "test.yaml:10:12: error: group 'www': clone must be a mapping such as {} (a copy on "
            "every node of the domain) or {copies: 2}, not 'true'\n");
    refused("  - name: pg\n    domain: [n1, n2]\n    promotable:\n"
            "    resources:\n      - {name: s, type: script, path: /bin/s}\n",
            "test.yaml:10:5: error: group 'pg': promotable must be a mapping such as {} (one "
            "primary, a copy on every node of the domain) or {copies: 2, primaries: 1}, not an "
            "empty value\n");

    /* A policy other than ordered; a promotable group with nothing to promote. */
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {}\n    policy: round-robin\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n",
            "test.yaml:11:13: error: group 'www': policy round-robin applies only to single-copy "
            "groups: the copies of a clone group go to the first eligible nodes of its domain "
            "(leave policy out)\n");
    refused("  - name: pg\n    domain: [n1, n2]\n    policy: {script: /bin/place}\n"
            "    promotable: {}\n"
            "    resources:\n      - {name: s, type: script, path: /bin/s}\n",
            "test.yaml:10:13: error: group 'pg': policy script applies only to single-copy "
            "groups: the copies of a promotable group go to the first eligible nodes of its "
            "domain (leave policy out)\n");
    refused("  - name: pg\n    domain: [n1, n2]\n    promotable: {}\n    resources:\n"
            "      - {name: p, type: process, command: [/bin/true]}\n"
            "      - {name: s, type: script, path: /bin/s, role: all}\n",
            "test.yaml:10:5: error: group 'pg' is promotable but none of its resources can be "
            "promoted: it needs an ocf or script resource of role promotable (their default); "
            "make it a clone: otherwise\n");
}

/* ---- Errors: the resources' keys ---- */

static void test_resource_errors(void **state)
{
    /* role outside promotable groups. */
    refused(GWEB "  - name: www\n    domain: [n1, n2]\n    clone: {}\n    resources:\n"
                 "      - {name: p, type: process, command: [/bin/true], role: all}\n"
                 "  - name: one\n    domain: [n1, n2]\n    resources:\n"
                 "      - {name: o, type: \"ocf:a:b\", role: promotable}\n",
            "test.yaml:16:56: error: resource 'p': role applies only to resources of promotable "
            "groups (group 'www' is a plain clone)\n"
            "test.yaml:20:36: error: resource 'o': role applies only to resources of promotable "
            "groups (group 'one' has a single copy)\n");

    /* A role the type cannot have, a misspelt one. */
    refused("  - name: pg\n    domain: [n1, n2]\n    promotable: {}\n    resources:\n"
            "      - {name: s, type: script, path: /bin/s}\n"
            "      - {name: v, type: ip, address: 192.0.2.100/24, network: priv, role: "
            "promotable}\n"
            "      - {name: p, type: process, command: [/bin/true], role: promotable}\n"
            "      - {name: f, type: fs, device: /dev/vdb, mountpoint: /srv/f, fstype: gfs2, "
            "role: promotable}\n"
            "      - {name: l, type: \"lsb:cron\", role: promotable}\n"
            "      - {name: o, type: \"ocf:a:b\", role: primry}\n",
            "test.yaml:13:75: error: resource 'v': role promotable needs an ocf or script "
            "resource (only they can be promoted); an ip resource runs as primary (with the "
            "promoted copy only) or all (on every copy)\n"
            "test.yaml:14:62: error: resource 'p': role promotable needs an ocf or script "
            "resource (only they can be promoted); a process resource runs as primary (with the "
            "promoted copy only) or all (on every copy)\n"
            "test.yaml:15:87: error: resource 'f': role promotable needs an ocf or script "
            "resource (only they can be promoted); an fs resource runs as primary (with the "
            "promoted copy only) or all (on every copy)\n"
            "test.yaml:16:43: error: resource 'l': role promotable needs an ocf or script "
            "resource (only they can be promoted); an lsb resource runs as primary (with the "
            "promoted copy only) or all (on every copy)\n"
            "test.yaml:17:42: error: resource 'o': role must be promotable, primary or all, not "
            "'primry'; did you mean 'primary'?\n");

    /* promote_timeout and demote_timeout: only where the role is promotable. */
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {}\n    resources:\n"
            "      - {name: s, type: script, path: /bin/s, promote_timeout: 10s}\n"
            "  - name: pg\n    domain: [n1, n2]\n    promotable: {}\n    resources:\n"
            "      - {name: o, type: \"ocf:a:b\", role: all, demote_timeout: 10s}\n"
            "      - {name: o2, type: \"ocf:a:b\", promote_timeout: 1.5s}\n"
            "      - {name: o3, type: \"ocf:a:b\", demote_timeout: 2h}\n"
            "      - {name: p, type: process, command: [/bin/true], promote_timeout: 1s}\n",
            "test.yaml:12:47: error: resource 's': promote_timeout applies only to resources of "
            "promotable groups\n"
            "test.yaml:17:47: error: resource 'o': demote_timeout applies only to resources of "
            "role promotable (its role is all)\n"
            "test.yaml:18:54: error: resource 'o2': promote_timeout: '1.5s' is not a duration: "
            "fractions are not accepted; write 1500ms\n"
            "test.yaml:19:53: error: resource 'o3': demote_timeout is 2h; it must be from 100ms "
            "to 1h\n"
            "test.yaml:20:56: error: resource 'p': 'promote_timeout' is not a key of a process "
            "resource (it is a key of script and ocf resources)\n");

    /* notify_timeout: ocf resources of groups with notify: true. */
    refused("  - name: one\n    domain: [n1, n2]\n    resources:\n"
            "      - {name: o, type: \"ocf:a:b\", notify_timeout: 10s}\n"
            "  - name: www\n    domain: [n1, n2]\n    clone: {}\n    resources:\n"
            "      - {name: o2, type: \"ocf:a:b\", notify_timeout: 10s}\n"
            "  - name: pg\n    domain: [n1, n2]\n    promotable: {notify: true}\n    resources:\n"
            "      - {name: s, type: script, path: /bin/s, notify_timeout: 10s}\n"
            "      - {name: o3, type: \"ocf:a:b\", notify_timeout: 0ms}\n",
            "test.yaml:11:36: error: resource 'o': notify_timeout applies only to resources of "
            "clone and promotable groups with notify: true\n"
            "test.yaml:16:37: error: resource 'o2': notify_timeout applies only to groups with "
            "notify: true (write it in the group's clone: mapping)\n"
            "test.yaml:21:47: error: resource 's': 'notify_timeout' is not a key of a script "
            "resource (it is a key of ocf resources)\n"
            "test.yaml:22:53: error: resource 'o3': notify_timeout is 0ms; it must be from "
            "100ms to 1h\n");
}

/* ---- Errors: what the copies cannot all run ---- */

static void test_shared_errors(void **state)
{
    /* fs on a local filesystem, or without fstype, in a clone; an ip address in a clone. */
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {}\n    resources:\n"
            "      - {name: data, type: fs, device: /dev/vdb, mountpoint: /srv/d, fstype: ext4}\n"
            "      - {name: d2, type: fs, device: /dev/vdc, mountpoint: /srv/e}\n"
            "      - {name: d3, type: fs, device: /dev/vdd, mountpoint: /srv/f, fstype: nfs}\n"
            "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n",
            "test.yaml:12:78: error: group 'www' is a clone: fs resource 'data' (ext4) would be "
            "mounted on several nodes at once; use a cluster filesystem (gfs2, ocfs2, nfs) or "
            "put it in a single-copy group\n"
            "test.yaml:13:26: error: group 'www' is a clone: fs resource 'd2' (fstype not given) "
            "would be mounted on several nodes at once; use a cluster filesystem (gfs2, ocfs2, "
            "nfs) or put it in a single-copy group\n"
            "test.yaml:15:27: error: group 'www' is a clone: ip resource 'vip' would hold its "
            "address on several nodes at once; to have an address follow one copy, make the "
            "group promotable (an ip resource then runs with the primary only)\n");
    /* Promotable: fs of role all (the default), ip of role all; role primary is fine. */
    refused("  - name: pg\n    domain: [n1, n2]\n    promotable: {}\n    resources:\n"
            "      - {name: s, type: script, path: /bin/s}\n"
            "      - {name: data, type: fs, device: /dev/vdb, mountpoint: /srv/d, fstype: xfs}\n"
            "      - {name: d2, type: fs, device: /dev/vdc, mountpoint: /srv/e, fstype: ext4, "
            "role: primary}\n"
            "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv, role: all}\n",
            "test.yaml:13:78: error: group 'pg' is promotable: fs resource 'data' (xfs) would be "
            "mounted on several nodes at once; use a cluster filesystem (gfs2, ocfs2, nfs), give "
            "it role: primary, or put it in a single-copy group\n"
            "test.yaml:15:77: error: resource 'vip': role all would hold the address on every "
            "copy of group 'pg' at once; leave role out (primary: with the promoted copy only)\n");
}

/* A remote source as an fs device: only with a network fstype, and safe to pass to mount. */
static void test_network_device(void **state)
{
    struct cfg *c = accepted(
        "  - name: www\n    domain: [n1, n2]\n    clone: {}\n    resources:\n"
        "      - {name: a, type: fs, device: \"nas:/export/a\", mountpoint: /a, fstype: nfs}\n"
        "      - {name: b, type: fs, device: //server/share, mountpoint: /b, fstype: cifs}\n"
        "      - {name: c, type: fs, device: \"m1,m2:/\", mountpoint: /c, fstype: ceph}\n");
    assert_string_equal(c->groups[0].resources[0].device, "nas:/export/a");
    assert_string_equal(c->groups[0].resources[1].device, "//server/share");
    assert_string_equal(c->groups[0].resources[2].device, "m1,m2:/");
    cfg_free(c);
    refused("  - name: www\n    domain: [n1, n2]\n    clone: {}\n    resources:\n"
            "      - {name: a, type: fs, device: \"nas:/x\", mountpoint: /a, fstype: gfs2}\n"
            "      - {name: b, type: fs, device: \"-oro\", mountpoint: /b, fstype: nfs}\n"
            "      - {name: c, type: fs, device: \"nas:/a b\", mountpoint: /c, fstype: nfs}\n",
            "test.yaml:12:37: error: resource 'a': device 'nas:/x' must be an absolute path "
            "(such as /dev/vdb1), UUID=... or LABEL=..., on one line; a remote source needs "
            "fstype nfs, nfs4, cifs, ceph or glusterfs\n"
            "test.yaml:13:37: error: resource 'b': device '-oro' must be a remote source such as "
            "nas:/export or //server/share, on one line, without spaces and not starting with "
            "'-'\n"
            "test.yaml:14:37: error: resource 'c': device 'nas:/a b' must be a remote source "
            "such as nas:/export or //server/share, on one line, without spaces and not "
            "starting with '-'\n");
}

/* ---- Errors: relationships ---- */

static void test_relation_errors(void **state)
{
    refused("  - name: web\n    domain: [n1, n2]\n    requires: [pg, db]\n    apart_from: www\n"
            "    resources:\n      - {name: vip, type: ip, address: 192.0.2.100/24, network: "
            "priv}\n"
            "  - name: www\n    domain: [n1, n2]\n    clone: {}\n    together_with: db\n"
            "    colocated: true\n"
            "    resources:\n      - {name: p, type: process, command: [/bin/true]}\n"
            "  - name: pg\n    domain: [n1, n2]\n    promotable: {}\n    requires: db\n"
            "    colocated: true\n    apart_from: [db]\n"
            "    resources:\n      - {name: o, type: \"ocf:a:b\"}\n"
            "  - name: db\n    domain: [n1, n2]\n"
            "    resources:\n      - {name: p2, type: process, command: [/bin/true]}\n",
            "test.yaml:10:16: error: group 'web': requires 'pg': relationships with clone and "
            "promotable groups are not supported yet (group 'pg' is promotable)\n"
            "test.yaml:11:17: error: group 'web': apart_from 'www': relationships with clone and "
            "promotable groups are not supported yet (group 'www' is a clone)\n"
            "test.yaml:17:5: error: group 'www' is a clone: together_with: relationships with "
            "clone and promotable groups are not supported yet\n"
            "test.yaml:18:5: error: group 'www' is a clone: colocated: relationships with clone "
            "and promotable groups are not supported yet\n"
            "test.yaml:24:5: error: group 'pg' is promotable: requires: relationships with clone "
            "and promotable groups are not supported yet\n"
            "test.yaml:26:5: error: group 'pg' is promotable: apart_from: relationships with "
            "clone and promotable groups are not supported yet\n");
}

/* ---- Printing and comparing ---- */

static void test_print(void **state)
{
    struct cfg *c = load_valid("valid/clones.yaml");
    char *text = cfg_print(c);
    assert_non_null(strstr(text, "  - name: www\n    domain: [n1, n2, n3]\n    clone:\n"
                                 "      copies: 3\n      notify: false\n    policy: ordered\n"));
    assert_non_null(strstr(text, "    clone:\n      copies: 2\n      notify: true\n"));
    assert_non_null(strstr(text, "    promotable:\n      copies: 3\n      primaries: 1\n"
                                 "      notify: true\n"));
    assert_non_null(strstr(text, "        on_fail: restart\n        notify_timeout: 15s\n"));
    assert_non_null(strstr(text, "        on_fail: restart\n        role: promotable\n"
                                 "        promote_timeout: 30s\n        demote_timeout: 2min\n"
                                 "        notify_timeout: 1min\n        checks: []\n"));
    assert_non_null(strstr(text, "        monitor: 10s\n        role: primary\n"
                                 "        checks: []\n"));
    assert_non_null(strstr(text, "        monitor: \"off\"\n        role: all\n"));
    assert_non_null(strstr(text, "        role: promotable\n        promote_timeout: 10s\n"
                                 "        demote_timeout: 15s\n"));
    free(text);
    cfg_free(c);

    /* A script's default promote and demote timeouts are written out. */
    c = accepted("  - name: pg\n    domain: [n1, n2]\n    promotable: {}\n    resources:\n"
                 "      - {name: s, type: script, path: /bin/s}\n");
    text = cfg_print(c);
    assert_non_null(strstr(text, "        role: promotable\n        promote_timeout: 20s\n"
                                 "        demote_timeout: 20s\n        checks: []\n"));
    free(text);
    cfg_free(c);
}

/* cfg_equal and cfg_group_equal see every new field; cfg_resource_equal the resource's. */
static void test_equal(void **state)
{
    struct cfg *a = load_valid("valid/clones.yaml");
    struct cfg *b = load_valid("valid/clones.yaml");
    assert_true(cfg_equal(a, b));
    struct cfg_group *g = &b->groups[2];
    struct {
        uint32_t *field;
        uint32_t other;
    } u32[] = {{(uint32_t *)&g->kind, CFG_KIND_CLONE}, {&g->copies, 2}, {&g->primaries, 2}};
    for (size_t i = 0; i < ARRAY_SIZE(u32); i++) {
        uint32_t keep = *u32[i].field;
        *u32[i].field = u32[i].other;
        assert_false(cfg_group_equal(&a->groups[2], g));
        assert_false(cfg_equal(a, b));
        *u32[i].field = keep;
        assert_true(cfg_equal(a, b));
    }
    g->notify = false;
    assert_false(cfg_group_equal(&a->groups[2], g));
    g->notify = true;
    struct cfg_resource *r = &g->resources[0];
    uint64_t *ms[] = {&r->promote_timeout_ms, &r->demote_timeout_ms, &r->notify_timeout_ms};
    for (size_t i = 0; i < ARRAY_SIZE(ms); i++) {
        (*ms[i])++;
        assert_false(cfg_resource_equal(&a->groups[2].resources[0], r));
        assert_false(cfg_equal(a, b));
        (*ms[i])--;
    }
    r->role = CFG_ROLE_ALL;
    assert_false(cfg_resource_equal(&a->groups[2].resources[0], r));
    r->role = CFG_ROLE_PROMOTABLE;
    assert_true(cfg_equal(a, b));
    cfg_free(a);
    cfg_free(b);
}

/* What a change of the clone keys restarts (cfg_diff). */
static void test_diff(void **state)
{
#define PG(kind, res)                                                                              \
    GHEAD "  - name: pg\n    domain: [n1, n2, n3]\n" kind "    resources:\n"                       \
          "      - {name: o, type: \"ocf:a:b\"" res "}\n"                                          \
          "      - {name: p, type: process, command: [/bin/true]}\n"                               \
          "      - {name: s, type: script, path: /bin/s}\n"
    static const struct {
        const char *old, *new;
        bool settings;
        size_t keep;  /* of 3 */
        size_t n_res; /* resources modified: o first */
    } cases[] = {
        /* The group's keys are settings: its resources keep running. */
        {PG("", ""), PG("    clone: {}\n", ""), true, 3, 0},
        {PG("    clone: {}\n", ""), PG("    clone: {copies: 2}\n", ""), true, 3, 0},
        {PG("    clone: {}\n", ""), PG("    clone: {notify: true}\n", ""), true, 3, 0},
        {PG("    promotable: {}\n", ""), PG("    promotable: {primaries: 2}\n", ""), true, 3, 0},
        /* single -> promotable: the ocf and script resources' role becomes promotable. */
        {PG("", ""), PG("    promotable: {}\n", ""), true, 0, 2},
        /* A resource's role or timeouts change the resource. */
        {PG("    promotable: {}\n", ""), PG("    promotable: {}\n", ", promote_timeout: 9s"), false,
         0, 1},
        {PG("    promotable: {}\n", ""), PG("    promotable: {}\n", ", demote_timeout: 9s"), false,
         0, 1},
        {PG("    promotable: {notify: true}\n", ""),
         PG("    promotable: {notify: true}\n", ", notify_timeout: 9s"), false, 0, 1},
        {PG("    promotable: {}\n", ""), PG("    promotable: {}\n", ", role: all"), false, 0, 1},
    };
#undef PG
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cfg *a = load_yaml(cases[i].old), *b = load_yaml(cases[i].new);
        struct cfg_diff d;
        cfg_diff(a, b, &d);
        assert_int_equal(d.n_groups, 1);
        const struct cfg_group_diff *gd = &d.groups[0];
        if (gd->settings != cases[i].settings || gd->keep != cases[i].keep)
            fail_msg("case %zu: settings %d keep %zu", i, gd->settings, gd->keep);
        assert_int_equal(gd->change, CFG_CHANGE_MODIFIED);
        assert_int_equal(gd->n_res, cases[i].n_res);
        if (gd->n_res)
            assert_string_equal(gd->res[0].name, "o");
        assert_false(cfg_diff_empty(&d));
        cfg_diff_clear(&d);
        cfg_free(a);
        cfg_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_defaults),
        cmocka_unit_test(test_clone_values),
        cmocka_unit_test(test_promotable_defaults),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_group_errors),
        cmocka_unit_test(test_resource_errors),
        cmocka_unit_test(test_shared_errors),
        cmocka_unit_test(test_network_device),
        cmocka_unit_test(test_relation_errors),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
