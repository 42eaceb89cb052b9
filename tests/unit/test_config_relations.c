/*
 * Unit tests for the placement keys of vigil.yaml (src/config): group
 * relationships (requires, colocated, together_with, apart_from), node
 * capacity and group load, priority, policy balanced, restart back-off and
 * an ip resource's mac. Each valid form loads to the right fields, each
 * error is checked byte for byte (file:line:col and the words), a file with
 * every key prints and reloads equal, and what a change of each restarts.
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
#include "cfg_helpers.h"
#include "config/config.h"
#include "config/diff.h"

/* Lines 1 to 7; groups start on line 8. */
#define HEAD                                                                                       \
    "cluster: {name: r}\n"                                                                         \
    "networks: [{name: priv}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"                                        \
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"                                        \
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"                                        \
    "groups:\n"
/* The same nodes with capacity (lines 4 to 6): memory and cpu on n1, memory on n2, n3 unlimited. */
#define HEAD_CAP                                                                                   \
    "cluster: {name: r}\n"                                                                         \
    "networks: [{name: priv}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {memory: 16, cpu: 8}}\n"        \
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {memory: 8}}\n"                 \
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"                                        \
    "groups:\n"
/* One group on one line: "  - {name: NAME, domain: [n1, n2, n3], " 35 + len(NAME) columns. */
#define G(name, keys)                                                                              \
    "  - {name: " name ", domain: [n1, n2, n3], " keys "resources: [{name: " name                  \
    "-r, type: lsb:x}]}\n"
/* A load that must succeed with only the no-fencing warning. */
static struct cfg *load_ok(const char *text)
{
    return load_text(text, 0, 0, W_NOFENCE);
}

/* A load that must fail with exactly these diagnostics. */
static void load_bad(const char *text, const char *want)
{
    load_text(text, 0, -EINVAL, want);
}

/* Loads a printed configuration: it has no errors (its warnings are the printer's business). */
static struct cfg *reload(const char *text)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    if (cfg_load_string(text, strlen(text), "printed.yaml", 0, &c, &d) != 0) {
        cfg_diags_print(&d, stderr);
        fail_msg("the printed form does not load:\n%s", text);
    }
    cfg_diags_clear(&d);
    return c;
}

static size_t gidx(const struct cfg *c, const char *name)
{
    const struct cfg_group *g = cfg_group_by_name(c, name);
    assert_non_null(g);
    return cfg_group_index(c, g);
}

/* ---- Relationships ---- */

static void test_relations_valid(void **state)
{
    (void)state;
    /* Forward references, a single name, a list, an empty list, colocated. */
    struct cfg *c = load_ok(HEAD G("app", "requires: [db, cache], colocated: true, "
                                          "together_with: cache, apart_from: [web], ")
                                G("db", "requires: [], apart_from: web, ") G("cache", "")
                                    G("web", "together_with: [], "));
    const struct cfg_group *app = &c->groups[gidx(c, "app")];
    assert_int_equal(app->n_requires, 2);
    assert_int_equal(app->requires[0], gidx(c, "db"));
    assert_int_equal(app->requires[1], gidx(c, "cache"));
    assert_true(app->colocated);
    assert_int_equal(app->n_together_with, 1);
    assert_int_equal(app->together_with[0], gidx(c, "cache"));
    assert_int_equal(app->n_apart_from, 1);
    assert_int_equal(app->apart_from[0], gidx(c, "web"));
    assert_int_equal(app->priority, 0);
    const struct cfg_group *db = &c->groups[gidx(c, "db")];
    assert_int_equal(db->n_requires, 0);
    assert_false(db->colocated);
    assert_int_equal(db->n_apart_from, 1);
    assert_int_equal(db->apart_from[0], gidx(c, "web"));
    const struct cfg_group *web = &c->groups[gidx(c, "web")];
    assert_int_equal(web->n_requires + web->n_together_with + web->n_apart_from, 0);
    cfg_free(c);

    /* requires without colocated; mutual apart_from is no cycle. */
    c = load_ok(HEAD G("a", "requires: b, apart_from: b, ") G("b", "apart_from: [a], "));
    assert_false(c->groups[0].colocated);
    assert_int_equal(c->groups[0].apart_from[0], 1);
    assert_int_equal(c->groups[1].apart_from[0], 0);
    cfg_free(c);
}

static void test_relations_names(void **state)
{
    (void)state;
    /* Line 8: app; "  - {name: app, domain: [n1, n2, n3], " is 38 columns wide. */
    load_bad(
        HEAD G("app", "requires: [dbb, app, db-r, db, db], ") G("db", ""),
        "test.yaml:8:50: error: group 'app': undeclared group 'dbb' in requires; did you mean "
        "'db'?\n"
        "test.yaml:8:55: error: group 'app': requires names the group itself\n"
        "test.yaml:8:60: error: group 'app': requires names resource 'db-r' (of group 'db', "
        "line 9); requires names groups, not resources\n"
        "test.yaml:8:70: error: group 'app': requires names group 'db' twice (first at line 8)\n");
    load_bad(HEAD G("app", "together_with: zzzzzz, ") G("db", "") G("web", ""),
             "test.yaml:8:54: error: group 'app': undeclared group 'zzzzzz' in together_with (the "
             "groups are app, db and web)\n");
    load_bad(
        HEAD G("app", "apart_from: {db: 1}, ") G("db", "") G("web", "apart_from: [[db]], "),
        "test.yaml:8:51: error: group 'app': apart_from must be a group name or a list of group "
        "names, such as [db], not a mapping\n"
        "test.yaml:10:52: error: group 'web': apart_from entry #1 must be a group name, not a "
        "list\n");
    /* A group without a usable name: no names can be checked against it. */
    load_bad(HEAD G("app", "requires: [nope], ") "  - {name: 'x y', domain: [n1], resources: "
                                                 "[{name: q, type: lsb:x}]}\n",
             "test.yaml:9:12: error: group #2: name 'x y' is not a valid group name: use 1 to 63 "
             "letters, digits, '.', '_' or '-', starting with a letter or digit\n"
             "test.yaml:9:27: warning: group #2: the domain has only one node, so the group cannot "
             "fail over\n");
}

static void test_relations_too_many(void **state)
{
    (void)state;
    char *groups = xstrdup("");
    char *list = xstrdup("");
    for (int i = 0; i < CFG_MAX_RELATIONS + 1; i++) {
        char *t = xasprintf("%s  - {name: g%d, domain: [n1, n2], resources: [{name: r%d, type: "
                            "lsb:x}]}\n",
                            groups, i, i);
        free(groups);
        groups = t;
        t = xasprintf("%s%sg%d", list, i ? ", " : "", i);
        free(list);
        list = t;
    }
    /* Line 8: app names 33 groups; the 33rd is refused. */
    _cleanup_free_ char *text = xasprintf(HEAD G("app", "apart_from: [%s], ") "%s", list, groups);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    assert_int_equal(cfg_load_string(text, strlen(text), "test.yaml", 0, &c, &d), -EINVAL);
    _cleanup_free_ char *got = cfg_diags_text(&d, CFG_SEV_ERROR);
    assert_string_equal(got, "test.yaml:8:202: error: group 'app': too many groups in apart_from: "
                             "33 are given, at most 32 are supported");
    cfg_diags_clear(&d);
    free(groups);
    free(list);
}

static void test_relations_cycles(void **state)
{
    (void)state;
    /* Reported once, from the group first in the file, at its entry that starts the cycle. */
    load_bad(HEAD G("app", "requires: [db], ") G("db", "requires: app, "),
             "test.yaml:8:50: error: group 'app': requires makes a cycle: app -> db -> app\n");
    load_bad(HEAD G("a", "") G("b", "together_with: [c], ") G("c", "together_with: [b], "),
             "test.yaml:9:53: error: group 'b': together_with makes a cycle: b -> c -> b\n");
    /* Through both keys, entered from a group outside the cycle. */
    load_bad(HEAD G("top", "requires: [x], ") G("x", "requires: [y], ") G("y", "together_with: z, ")
                 G("z", "requires: [x], "),
             "test.yaml:9:48: error: group 'x': requires and together_with make a cycle: x -> y -> "
             "z -> x\n");
    /* A chain without a cycle loads. */
    cfg_free(load_ok(HEAD G("a", "requires: [b, c], ") G("b", "together_with: c, ") G("c", "")));
}

static void test_relations_contradictions(void **state)
{
    (void)state;
    load_bad(
        HEAD G("app", "together_with: db, apart_from: [db], ") G("db", ""),
        "test.yaml:8:71: error: group 'app': apart_from 'db' contradicts its together_with 'db' "
        "(line 8): a group cannot be kept off the node it must run on\n");
    load_bad(HEAD G("app", "requires: db, colocated: true, apart_from: db, ") G("db", ""),
             "test.yaml:8:82: error: group 'app': apart_from 'db' contradicts its requires "
             "(colocated) 'db' (line 8): a group cannot be kept off the node it must run on\n");
    /* From the other side: db must run with app, app keeps away from db. */
    load_bad(HEAD G("app", "apart_from: db, ") G("db", "together_with: app, "),
             "test.yaml:8:51: error: group 'app': apart_from 'db' contradicts the together_with "
             "'app' of group 'db' (line 9): the two must run on the same node\n");
    /* requires without colocated may run elsewhere: no contradiction. */
    cfg_free(load_ok(HEAD G("app", "requires: db, apart_from: db, ") G("db", "")));
}

/* One group on one line with its own domain: "  - {name: NAME, domain: DOMAIN, KEYS...". */
#define GD(name, domain, keys)                                                                     \
    "  - {name: " name ", domain: " domain ", " keys "resources: [{name: " name                    \
    "-r, type: lsb:x}]}\n"
/* The warning of a one-node domain (group on line `line`, its domain at column `col`). */
#define W_ONE(line, col, name)                                                                     \
    "test.yaml:" #line ":" #col ": warning: group '" name "': the domain has only one node, so "   \
    "the group cannot fail over\n"

/* Groups that must share a node although their domains never meet are refused. */
static void test_relations_domains_never_meet(void **state)
{
    (void)state;
    load_bad(HEAD GD("app", "[n1, n2]", "together_with: db, ") GD("db", "[n3]", ""),
             "test.yaml:8:50: error: group 'app': together_with 'db' can never be "
             "satisfied: its domain (n1, n2) shares no node with that of group 'db' "
             "(n3)\n" W_ONE(9, 24, "db"));
    load_bad(HEAD GD("app", "[n1]", "requires: [cache, db], colocated: true, ")
                 GD("cache", "[n1, n2]", "") GD("db", "[n2, n3]", ""),
             W_ONE(8, 25, "app") "test.yaml:8:49: error: group 'app': requires "
                                 "(colocated) 'db' can never be satisfied: its domain "
                                 "(n1) shares no node with that of group 'db' (n2, "
                                 "n3)\n");
    /* Through another group: a runs with b, b with c, and only n3 takes b and c. */
    load_bad(HEAD GD("a", "[n1, n2]", "together_with: b, ")
                 GD("b", "[n1, n2, n3]", "together_with: c, ") GD("c", "[n3]", ""),
             "test.yaml:8:48: error: group 'a' can never run: it must run on one node "
             "with groups 'b' and 'c', and no node is in all their domains (a: n1, n2; "
             "b: n1, n2, n3; c: n3)\n" W_ONE(10, 23, "c"));
    /* Two groups it must run with, on different nodes (each alone would do). */
    load_bad(HEAD GD("a", "[n1, n2]", "together_with: b, requires: c, colocated: true, ")
                 GD("b", "[n1]", "") GD("c", "[n2]", ""),
             "test.yaml:8:48: error: group 'a' can never run: it must run on one node "
             "with groups 'b' and 'c', and no node is in all their domains (a: n1, n2; "
             "b: n1; c: n2)\n" W_ONE(9, 23, "b") W_ONE(10, 23, "c"));
    /* Reported where it arises only: b's own relationship, not a's through it. */
    load_bad(HEAD GD("a", "[n1, n2]", "together_with: b, ")
                 GD("b", "[n1, n2]", "together_with: c, ") GD("c", "[n3]", ""),
             "test.yaml:9:48: error: group 'b': together_with 'c' can never be "
             "satisfied: its domain (n1, n2) shares no node with that of group 'c' "
             "(n3)\n" W_ONE(10, 23, "c"));
    /* requires without colocated runs anywhere; a placement script names any node. */
    cfg_free(load_text(HEAD GD("app", "[n1, n2]", "requires: db, ") GD("db", "[n3]", ""), 0, 0,
                       W_NOFENCE W_ONE(9, 24, "db")));
    cfg_free(
        load_text(HEAD GD("app", "[n1, n2]", "together_with: db, policy: {script: /bin/true}, ")
                      GD("db", "[n3]", ""),
                  0, 0, W_NOFENCE W_ONE(9, 24, "db")));
    /* Domains that meet on one node are enough. */
    cfg_free(load_ok(HEAD GD("a", "[n1, n2]", "together_with: b, ")
                         GD("b", "[n2, n3]", "together_with: c, ") GD("c", "[n3, n2]", "")));
}

/* apart_from between two groups that can only run on the same one node: a warning. */
static void test_relations_apart_on_one_node(void **state)
{
    (void)state;
    struct cfg *c = load_text(
        HEAD GD("a", "[n2]", "apart_from: [b, c], ") GD("b", "[n2]", "") GD("c", "[n3]", ""), 0, 0,
        W_NOFENCE W_ONE(8, 23, "a") "test.yaml:8:42: warning: group 'a': apart_from 'b' "
                                    "can never be honoured: both groups can run only on "
                                    "n2 (apart_from is a preference: they will share "
                                    "it)\n" W_ONE(9, 23, "b") W_ONE(10, 23, "c"));
    assert_int_equal(c->groups[0].n_apart_from, 2);
    cfg_free(c);
}

static void test_relations_colocated(void **state)
{
    (void)state;
    struct cfg *c =
        load_text(HEAD G("app", "colocated: true, ") G("db", "colocated: false, "), 0, 0,
                  "test.yaml:1:1: warning: no fencing section: fencing is disabled, so "
                  "the services of a failed node are not recovered until it comes "
                  "back (add fencing:, see vigil.yaml(5))\n"
                  "test.yaml:8:50: warning: group 'app': colocated is ignored without "
                  "requires (it puts the group on the node of the groups it "
                  "requires)\n");
    assert_true(c->groups[0].colocated);
    cfg_free(c);
    load_bad(HEAD G("app", "colocated: yes, "),
             "test.yaml:8:50: error: group 'app': colocated must be true or false, not 'yes'; did "
             "you mean 'true'?\n");
}

/* ---- Capacity and load ---- */

static void test_capacity_valid(void **state)
{
    (void)state;
    struct cfg *c = load_ok(HEAD_CAP G("app", "load: {cpu: 2, memory: 8}, ") G("db", "load: {}, "));
    assert_int_equal(c->n_capacity_names, 2);
    assert_string_equal(c->capacity_names[0], "memory");
    assert_string_equal(c->capacity_names[1], "cpu");
    assert_true(c->nodes[0].has_capacity);
    assert_int_equal(c->nodes[0].capacity[0], 16);
    assert_int_equal(c->nodes[0].capacity[1], 8);
    assert_true(c->nodes[1].has_capacity);
    assert_int_equal(c->nodes[1].capacity[0], 8);
    assert_int_equal(c->nodes[1].capacity[1], 0); /* not listed: none of it */
    assert_false(c->nodes[2].has_capacity);       /* unlimited */
    assert_int_equal(c->groups[0].load[0], 8);
    assert_int_equal(c->groups[0].load[1], 2);
    assert_int_equal(c->groups[1].load[0], 0);
    assert_int_equal(c->groups[1].load[1], 0);
    cfg_free(c);

    /* The limit itself is accepted; an empty capacity is a node that takes no load. */
    c = load_ok("cluster: {name: r}\nnetworks: [{name: priv}]\nnodes:\n"
                "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {m: "
                "1000000000000}}\n"
                "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {}}\n"
                "groups:\n"
                "  - {name: app, domain: [n1, n2], load: {m: 1000000000000}, resources: [{name: "
                "a, type: lsb:x}]}\n");
    assert_int_equal(c->nodes[0].capacity[0], CFG_MAX_CAPACITY);
    assert_true(c->nodes[1].has_capacity);
    assert_int_equal(c->nodes[1].capacity[0], 0);
    cfg_free(c);
}

static void test_capacity_errors(void **state)
{
    (void)state;
    load_bad(
        "cluster: {name: r}\nnetworks: [{name: priv}]\nnodes:\n"
        "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {Memory: 1, m: -1}}\n"
        "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: [memory]}\n"
        "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}, capacity: {m: 1, m: 2}}\n",
        "test.yaml:4:64: error: node 'n1': capacity: 'Memory' is not a valid capacity name: use 1 "
        "to 32 lower-case letters, digits, '_' or '-', starting with a letter\n"
        "test.yaml:4:78: error: node 'n1': capacity.m must be a whole number from 0 to "
        "1000000000000, not '-1'\n"
        "test.yaml:5:63: error: node 'n2': capacity must be a mapping of capacity name to "
        "amount, such as {memory: 64}, not a list\n"
        "test.yaml:6:70: error: duplicate key 'm' in the capacity of node 'n3' (first at line "
        "6)\n");
    /* The ninth name in the file is refused, with the eight there are. */
    load_bad(
        "cluster: {name: r}\nnetworks: [{name: priv}]\nnodes:\n"
        "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {a: 1, b: 1, c: 1, "
        "d: 1}}\n"
        "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {a: 1, e: 1, f: 1, "
        "g: 1, h: 1, i: 1}}\n",
        "test.yaml:5:94: error: node 'n2': capacity: too many capacity names: 'i' would be the "
        "9th; at most 8 are supported in the file (a, b, c, d, e, f, g and h are declared)\n");
    /* Load names: only those the nodes declare. */
    load_bad(
        HEAD_CAP G("app", "load: {memroy: 1, disk: 2, cpu: 1, cpu: 2}, ")
            G("db", "load: {cpu: 1000000000001}, "),
        "test.yaml:8:46: error: group 'app': load of 'memroy', a capacity no node declares; did "
        "you mean 'memory'?\n"
        "test.yaml:8:57: error: group 'app': load of 'disk', a capacity no node declares (the "
        "capacities are memory and cpu)\n"
        "test.yaml:8:74: error: duplicate key 'cpu' in the load of group 'app' (first at line "
        "8)\n"
        "test.yaml:9:50: error: group 'db': load.cpu is 1000000000001; it must be from 0 to "
        "1000000000000\n");
    load_bad(
        HEAD G("app", "load: {memory: 1}, ") G("db", "load: 3, "),
        "test.yaml:8:46: error: group 'app': load of 'memory', a capacity no node declares (no "
        "node declares a capacity: add capacity: {NAME: AMOUNT} to the nodes)\n"
        "test.yaml:9:44: error: group 'db': load must be a mapping of capacity name to amount, "
        "such as {memory: 8}, not '3'\n");
}

/* ---- Priority, policy, back-off ---- */

static void test_priority(void **state)
{
    (void)state;
    struct cfg *c = load_ok(HEAD G("a", "priority: 10, ") G("b", "priority: -1000000, ")
                                G("c", "priority: 1000000, ") G("d", ""));
    assert_int_equal(c->groups[0].priority, 10);
    assert_int_equal(c->groups[1].priority, -1000000);
    assert_int_equal(c->groups[2].priority, 1000000);
    assert_int_equal(c->groups[3].priority, 0);
    cfg_free(c);
    load_bad(HEAD G("a", "priority: 1000001, ") G("b", "priority: -99999999999999999999, ")
                 G("c", "priority: high, ") G("d", "priority: '5', ") G("e", "priority: 1.5, "),
             "test.yaml:8:47: error: group 'a': priority is 1000001; it must be from -1000000 to "
             "1000000\n"
             "test.yaml:9:47: error: group 'b': priority is -99999999999999999999; it must be from "
             "-1000000 to 1000000\n"
             "test.yaml:10:47: error: group 'c': priority must be a whole number from -1000000 to "
             "1000000, not 'high'\n"
             "test.yaml:11:47: error: group 'd': priority must be a whole number from -1000000 to "
             "1000000, not the quoted string \"5\" (write it without quotes)\n"
             "test.yaml:12:47: error: group 'e': priority must be a whole number from -1000000 to "
             "1000000, not '1.5'\n");
}

static void test_policy_balanced(void **state)
{
    (void)state;
    struct cfg *c = load_ok(HEAD G("a", "policy: balanced, "));
    assert_int_equal(c->groups[0].policy, CFG_POLICY_BALANCED);
    assert_string_equal(cfg_policy_name(CFG_POLICY_BALANCED), "balanced");
    cfg_free(c);
    load_bad(HEAD G("a", "policy: balance, "),
             "test.yaml:8:45: error: group 'a': policy must be ordered, round-robin, balanced or "
             "{script: PATH}, not 'balance'; did you mean 'balanced'?\n");
}

static void test_backoff(void **state)
{
    (void)state;
    struct cfg *c = load_ok(HEAD G("a", "") G("b", "restarts: {backoff: 0s, backoff_max: 0s}, ") G(
        "c", "restarts: {max: 3, within: 1h, backoff: 5s, backoff_max: 10min}, "));
    assert_int_equal(c->groups[0].backoff_ms, CFG_DEFAULT_BACKOFF_MS);
    assert_int_equal(c->groups[0].backoff_max_ms, CFG_DEFAULT_BACKOFF_MAX_MS);
    assert_int_equal(c->groups[1].backoff_ms, 0);
    assert_int_equal(c->groups[1].backoff_max_ms, 0);
    assert_int_equal(c->groups[2].restarts_max, 3);
    assert_int_equal(c->groups[2].restarts_within_ms, 3600000);
    assert_int_equal(c->groups[2].backoff_ms, 5000);
    assert_int_equal(c->groups[2].backoff_max_ms, 600000);
    cfg_free(c);
    load_bad(
        HEAD G("a", "restarts: {backoff: 2min}, ") G("b", "restarts: {backoff_max: 500ms}, ")
            G("c", "restarts: {backoff: 30s, backoff_max: 10s}, ")
                G("d", "restarts: {backoff: 2h, backoff_max: 5}, "),
        "test.yaml:8:57: error: group 'a': restarts.backoff (2min) is longer than "
        "restarts.backoff_max (1min, the default); the delay doubles from backoff up to "
        "backoff_max\n"
        "test.yaml:9:61: error: group 'b': restarts.backoff (1s, the default) is longer than "
        "restarts.backoff_max (500ms); the delay doubles from backoff up to backoff_max\n"
        "test.yaml:10:57: error: group 'c': restarts.backoff (30s) is longer than "
        "restarts.backoff_max (10s); the delay doubles from backoff up to backoff_max\n"
        "test.yaml:11:57: error: group 'd': restarts.backoff is 2h; it must be from 0ms to 1h\n"
        "test.yaml:11:74: error: group 'd': restarts.backoff_max: '5' is not a duration: it "
        "needs a unit; write 5ms (or s, min, h)\n");
}

/* ---- mac ---- */

#define IP(name, addr, mac)                                                                        \
    "      - {name: " name ", type: ip, address: " addr "/24, network: priv, mac: " mac "}\n"

static void test_mac_valid(void **state)
{
    (void)state;
    struct cfg *c = load_ok(HEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n" IP(
        "vip", "192.0.2.50", "\"02:00:c0:00:02:32\"") IP("vip2", "192.0.2.51", "0A:BC:DE:F0:12:34")
                                IP("vip3", "192.0.2.52", "'06:00:00:00:00:01'"));
    const struct cfg_resource *r = &c->groups[0].resources[0];
    static const uint8_t want[6] = {0x02, 0x00, 0xc0, 0x00, 0x02, 0x32};
    assert_true(r->has_mac);
    assert_memory_equal(r->mac, want, 6);
    static const uint8_t want2[6] = {0x0a, 0xbc, 0xde, 0xf0, 0x12, 0x34};
    assert_memory_equal(c->groups[0].resources[1].mac, want2, 6);
    assert_true(c->groups[0].resources[2].has_mac);
    cfg_free(c);
    c = load_ok(HEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n" IP(
        "vip", "192.0.2.50", "\"02:00:c0:00:02:32\"") "      - {name: v6, type: ip, address: "
                                                      "192.0.2.60/24, network: priv}\n");
    assert_false(c->groups[0].resources[1].has_mac);
    cfg_free(c);
}

static void test_mac_errors(void **state)
{
    (void)state;
    /* Lines 11 on; the mac's value is at column 76 for a four-letter name. */
    load_text(
        HEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n" IP("vip1", "192.0.2.50",
                                                                        "\"00:16:3e:00:00:01\"")
            IP("vip2", "192.0.2.51", "\"01:00:5e:00:00:01\"") IP("vip3", "192.0.2.52",
                                                                 "\"ff:ff:ff:ff:ff:ff\"")
                IP("vip4", "192.0.2.53", "\"00:00:00:00:00:00\"") IP("vip5", "192.0.2.54",
                                                                     "\"00:16:3e:00:00:01\"")
                    IP("vip6", "192.0.2.55", "\"02:00:00:00:00\"") IP("vip7", "192.0.2.56",
                                                                      "\"02-00-00-00-00-01\"")
                        IP("vip8", "192.0.2.57",
                           "[1]") "      - {name: proc, type: process, command: [/bin/true], mac: "
                                  "\"02:00:00:00:00:09\"}\n",
        0, -EINVAL,
        "test.yaml:11:76: warning: resource 'vip1': mac '00:16:3e:00:00:01' is not locally "
        "administered (the second bit of the first byte is clear): it may be the burnt-in "
        "address of some device; addresses such as 02:xx:xx:xx:xx:xx are free for local "
        "use\n"
        "test.yaml:12:76: error: resource 'vip2': mac '01:00:5e:00:00:01' is a multicast "
        "address (the first byte is odd); a service needs a unicast address, such as "
        "02:00:5e:00:00:01\n"
        "test.yaml:13:76: error: resource 'vip3': mac 'ff:ff:ff:ff:ff:ff' is a multicast "
        "address (the first byte is odd); a service needs a unicast address, such as "
        "02:ff:ff:ff:ff:ff\n"
        "test.yaml:14:76: error: resource 'vip4': mac '00:00:00:00:00:00' is the all-zero "
        "address; use a unicast address such as 02:00:c0:00:02:32\n"
        "test.yaml:15:76: error: resource 'vip5': mac '00:16:3e:00:00:01' is already used by "
        "resource 'vip1' (line 11)\n"
        "test.yaml:16:76: error: resource 'vip6': mac '02:00:00:00:00' is not a MAC address: "
        "write six hexadecimal bytes separated by ':', such as \"02:00:c0:00:02:32\"\n"
        "test.yaml:17:76: error: resource 'vip7': mac '02-00-00-00-00-01' is not a MAC "
        "address: write six hexadecimal bytes separated by ':', such as "
        "\"02:00:c0:00:02:32\"\n"
        "test.yaml:18:76: error: resource 'vip8': mac must be six hexadecimal bytes separated "
        "by ':', such as \"02:00:c0:00:02:32\", not a list\n"
        "test.yaml:19:59: error: resource 'proc': 'mac' is not a key of a process resource (it "
        "is a key of ip resources)\n");
}

/* ---- The normalised print ---- */

/* Every new key, most of them away from their defaults. */
static const char every_key[] =
    "cluster: {name: r}\n"
    "networks: [{name: priv}]\n"
    "nodes:\n"
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {memory: 16, cpu: 8}}\n"
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {gpu: 1, memory: 8}}\n"
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
    "groups:\n"
    "  - name: app\n"
    "    domain: [n1, n2, n3]\n"
    "    policy: balanced\n"
    "    requires: [db, cache]\n"
    "    colocated: true\n"
    "    together_with: cache\n"
    "    apart_from: [web]\n"
    "    load: {memory: 8, cpu: 2, gpu: 0}\n"
    "    priority: -10\n"
    "    restarts: {max: 2, within: 10min, backoff: 0s, backoff_max: 1min}\n"
    "    resources:\n"
    "      - {name: vip, type: ip, address: 192.0.2.50/24, network: priv, mac: "
    "\"02:00:C0:00:02:32\"}\n"
    "  - name: db\n"
    "    domain: [n1, n2]\n"
    "    priority: 100\n"
    "    load: {gpu: 1}\n"
    "    restarts: {backoff: 2s, backoff_max: 2min}\n"
    "    resources: [{name: db-r, type: lsb:x}]\n"
    "  - {name: cache, domain: [n1, n2], resources: [{name: cache-r, type: lsb:x}]}\n"
    "  - {name: web, domain: [n2, n3], apart_from: app, resources: [{name: web-r, type: "
    "lsb:x}]}\n";

static void test_print_roundtrip(void **state)
{
    (void)state;
    struct cfg *a = load_ok(every_key);
    char *text = cfg_print(a);
    struct cfg *b = reload(text);
    assert_true(cfg_equal(a, b));
    char *again = cfg_print(b);
    assert_string_equal(text, again); /* a fixed point */
    /* The keys as the printer writes them. */
    assert_non_null(strstr(text, "    addresses:\n      priv: 192.0.2.1\n    capacity:\n"
                                 "      memory: 16\n      cpu: 8\n      gpu: 0\n"));
    assert_non_null(strstr(text, "    addresses:\n      priv: 192.0.2.3\nquorum:\n"));
    assert_non_null(strstr(text, "  - name: app\n    domain: [n1, n2, n3]\n    policy: balanced\n"
                                 "    failback: controlled\n    priority: -10\n"
                                 "    requires: [db, cache]\n    colocated: true\n"
                                 "    together_with: [cache]\n    apart_from: [web]\n"
                                 "    load:\n      memory: 8\n      cpu: 2\n"
                                 "    restarts:\n      max: 2\n      within: 10min\n"
                                 "      backoff: 0ms\n    resources:\n"));
    assert_non_null(strstr(text, "        network: priv\n        mac: \"02:00:c0:00:02:32\"\n"));
    assert_non_null(strstr(text, "    priority: 100\n    load:\n      gpu: 1\n    restarts:\n"
                                 "      max: 2\n      within: 10min\n      backoff: 2s\n"
                                 "      backoff_max: 2min\n"));
    assert_non_null(strstr(text, "  - name: web\n    domain: [n2, n3]\n    policy: ordered\n"
                                 "    failback: controlled\n    apart_from: [app]\n"
                                 "    restarts:\n"));
    free(again);
    free(text);
    cfg_free(b);
    cfg_free(a);
}

/* The example file of the test data: loads, round-trips, and holds what it says. */
static void test_data_file(void **state)
{
    (void)state;
    const char *dir = getenv("VIGIL_TEST_DATA");
    assert_non_null(dir);
    _cleanup_free_ char *path = xasprintf("%s/configs/valid/placement.yaml", dir);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *a = NULL;
    assert_int_equal(cfg_load_file(path, 0, &a, &d), 0);
    assert_int_equal(d.n_errors, 0);
    cfg_diags_clear(&d);
    const struct cfg_group *app = cfg_group_by_name(a, "app");
    assert_int_equal(app->policy, CFG_POLICY_BALANCED);
    assert_string_equal(a->groups[app->requires[0]].name, "db");
    assert_string_equal(a->groups[app->together_with[0]].name, "cache");
    assert_string_equal(a->groups[app->apart_from[0]].name, "batch");
    assert_int_equal(cfg_group_by_name(a, "batch")->priority, -5);
    assert_int_equal(a->n_capacity_names, 3);
    assert_string_equal(a->capacity_names[2], "gpu");
    char *text = cfg_print(a);
    struct cfg *b = reload(text);
    assert_true(cfg_equal(a, b));
    free(text);
    cfg_free(b);
    cfg_free(a);
}

/* A file that uses none of the new keys prints as it did before them (its hash stays). */
static void test_print_without_new_keys(void **state)
{
    (void)state;
    struct cfg *a = load_ok(HEAD G("app", ""));
    char *text = cfg_print(a);
    const char *groups = strstr(text, "groups:\n");
    assert_non_null(groups);
    assert_string_equal(groups, "groups:\n"
                                "  - name: app\n"
                                "    domain: [n1, n2, n3]\n"
                                "    policy: ordered\n"
                                "    failback: controlled\n"
                                "    restarts:\n"
                                "      max: 2\n"
                                "      within: 10min\n"
                                "    resources:\n"
                                "      - name: app-r\n"
                                "        type: lsb:x\n"
                                "        on_fail: restart\n"
                                "        timeouts:\n"
                                "          start: 20s\n"
                                "          stop: 20s\n"
                                "          monitor: 20s\n"
                                "        monitor: 10s\n"
                                "        checks: []\n");
    assert_null(strstr(text, "capacity"));
    free(text);
    cfg_free(a);
}

/* ---- Equality ---- */

/* Changes field of b, checks that a and b now differ, and puts it back. */
#define DIFFERS(field, value)                                                                      \
    do {                                                                                           \
        __typeof__(field) saved_ = (field);                                                        \
        (field) = (value);                                                                         \
        assert_false(cfg_equal(a, b));                                                             \
        (field) = saved_;                                                                          \
        assert_true(cfg_equal(a, b));                                                              \
    } while (0)

static void test_equal(void **state)
{
    (void)state;
    struct cfg *a = load_ok(every_key), *b = load_ok(every_key);
    assert_true(cfg_equal(a, b));
    struct cfg_group *g = &b->groups[0];
    DIFFERS(g->priority, 0);
    DIFFERS(g->colocated, false);
    DIFFERS(g->requires[1], 3);
    DIFFERS(g->n_requires, 1);
    DIFFERS(g->together_with[0], 1);
    DIFFERS(g->n_apart_from, 0);
    DIFFERS(g->load[0], 9);
    DIFFERS(g->backoff_ms, 1);
    DIFFERS(g->backoff_max_ms, 1);
    DIFFERS(g->policy, CFG_POLICY_ORDERED);
    DIFFERS(g->resources[0].mac[5], 0x33);
    DIFFERS(g->resources[0].has_mac, false);
    DIFFERS(b->nodes[0].capacity[1], 4);
    DIFFERS(b->nodes[2].has_capacity, true);
    /* Capacity and load are compared by name, not by position. */
    char *t = b->capacity_names[0];
    b->capacity_names[0] = b->capacity_names[1];
    b->capacity_names[1] = t;
    assert_false(cfg_equal(a, b));
    for (size_t n = 0; n < b->n_nodes; n++) {
        uint64_t x = b->nodes[n].capacity[0];
        b->nodes[n].capacity[0] = b->nodes[n].capacity[1];
        b->nodes[n].capacity[1] = x;
    }
    for (size_t i = 0; i < b->n_groups; i++) {
        uint64_t x = b->groups[i].load[0];
        b->groups[i].load[0] = b->groups[i].load[1];
        b->groups[i].load[1] = x;
    }
    assert_true(cfg_equal(a, b));
    cfg_free(a);
    cfg_free(b);
}

/* ---- What a new configuration changes ---- */

static const struct cfg_group_diff *find(const struct cfg_diff *d, const char *name)
{
    for (size_t i = 0; i < d->n_groups; i++)
        if (strcmp(d->groups[i].name, name) == 0)
            return &d->groups[i];
    fail_msg("group %s not in the diff", name);
    return NULL;
}

/* Placement keys change where a group runs, not what: it keeps all its resources. */
static void test_diff_placement_only(void **state)
{
    (void)state;
    static const char *const changes[] = {
        G("app", "requires: [db], ") G("db", "") G("web", ""),
        G("app", "requires: [db], colocated: true, ") G("db", "") G("web", ""),
        G("app", "together_with: db, ") G("db", "") G("web", ""),
        G("app", "apart_from: [web, db], ") G("db", "") G("web", ""),
        G("app", "priority: 5, ") G("db", "") G("web", ""),
        G("app", "load: {memory: 1}, ") G("db", "") G("web", ""),
        G("app", "restarts: {backoff: 5s}, ") G("db", "") G("web", ""),
        G("app", "restarts: {backoff_max: 5min}, ") G("db", "") G("web", ""),
        G("app", "policy: balanced, ") G("db", "") G("web", ""),
    };
    struct cfg *old = load_ok(HEAD_CAP G("app", "") G("db", "") G("web", ""));
    for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
        _cleanup_free_ char *text = xasprintf(HEAD_CAP "%s", changes[i]);
        struct cfg *new = load_ok(text);
        struct cfg_diff d;
        cfg_diff(old, new, &d);
        const struct cfg_group_diff *gd = find(&d, "app");
        assert_int_equal(gd->change, CFG_CHANGE_MODIFIED);
        assert_true(gd->settings);
        assert_false(gd->order);
        assert_int_equal(gd->n_res, 0);
        assert_int_equal(gd->keep, 1); /* its one resource keeps running */
        assert_int_equal(find(&d, "db")->change, CFG_CHANGE_NONE);
        assert_int_equal(cfg_diff_n_changed(&d), 1);
        assert_int_equal(d.n_core, 0);
        cfg_diff_clear(&d);
        cfg_free(new);
    }
    cfg_free(old);
}

/* A changed mac changes the resource: the group restarts from it. */
static void test_diff_mac(void **state)
{
    (void)state;
#define WEB(mac)                                                                                   \
    HEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"                                   \
         "      - {name: www, type: lsb:x}\n" IP("vip", "192.0.2.50", mac)
    struct cfg *old = load_ok(WEB("\"02:00:00:00:00:01\""));
    struct cfg *new = load_ok(WEB("\"02:00:00:00:00:02\""));
    struct cfg_diff d;
    cfg_diff(old, new, &d);
    const struct cfg_group_diff *gd = find(&d, "web");
    assert_int_equal(gd->change, CFG_CHANGE_MODIFIED);
    assert_false(gd->settings);
    assert_int_equal(gd->keep, 1); /* www keeps running; vip restarts */
    assert_int_equal(gd->n_res, 1);
    assert_string_equal(gd->res[0].name, "vip");
    assert_int_equal(gd->res[0].change, CFG_CHANGE_MODIFIED);
    cfg_diff_clear(&d);
    cfg_free(new);
    new = load_ok(HEAD "  - name: web\n    domain: [n1, n2]\n    resources:\n"
                       "      - {name: www, type: lsb:x}\n"
                       "      - {name: vip, type: ip, address: 192.0.2.50/24, network: priv}\n");
    cfg_diff(old, new, &d);
    assert_int_equal(find(&d, "web")->keep, 1);
    assert_int_equal(find(&d, "web")->n_res, 1);
    cfg_diff_clear(&d);
    cfg_free(new);
    cfg_free(old);
#undef WEB
}

/* Node capacity changes apply at once: the diff is not empty, nothing is core. */
static void test_diff_capacity(void **state)
{
    (void)state;
    struct cfg *old = load_ok(HEAD_CAP G("app", ""));
    struct cfg *new = load_ok("cluster: {name: r}\nnetworks: [{name: priv}]\nnodes:\n"
                              "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: "
                              "{memory: 32, cpu: 8}}\n"
                              "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: "
                              "{memory: 8}}\n"
                              "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
                              "groups:\n" G("app", ""));
    struct cfg_diff d;
    cfg_diff(old, new, &d);
    assert_true(d.capacity);
    assert_false(cfg_diff_empty(&d));
    assert_int_equal(d.n_core, 0);
    assert_int_equal(cfg_diff_n_changed(&d), 0);
    cfg_diff_clear(&d);
    /* The same capacities written in another order are no change. */
    cfg_free(new);
    new = load_ok("cluster: {name: r}\nnetworks: [{name: priv}]\nnodes:\n"
                  "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {cpu: 8, "
                  "memory: 16}}\n"
                  "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {memory: 8, "
                  "cpu: 0}}\n"
                  "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
                  "groups:\n" G("app", ""));
    cfg_diff(old, new, &d);
    assert_true(cfg_diff_empty(&d));
    cfg_diff_clear(&d);
    cfg_free(new);
    cfg_free(old);
}

/*
 * Relationships are compared by name: a group added in front shifts every
 * index, yet the others are unchanged; moving them over to the new
 * configuration leaves each one pointing at the right groups there.
 */
static void test_diff_shifted_indices(void **state)
{
    (void)state;
    struct cfg *old = load_ok(HEAD_CAP G("app", "requires: [db], apart_from: web, load: {cpu: 1}, ")
                                  G("db", "") G("web", ""));
    struct cfg *new = load_ok(
        "cluster: {name: r}\nnetworks: [{name: priv}]\nnodes:\n"
        "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}, capacity: {cpu: 8, memory: 16}}\n"
        "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}, capacity: {memory: 8}}\n"
        "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
        "groups:\n" G("new", "") G("app", "requires: [db], apart_from: web, load: {cpu: 1}, ")
            G("db", "") G("web", ""));
    struct cfg_diff d;
    cfg_diff(old, new, &d);
    assert_int_equal(find(&d, "app")->change, CFG_CHANGE_NONE);
    assert_int_equal(find(&d, "new")->change, CFG_CHANGE_ADDED);
    assert_int_equal(cfg_diff_n_changed(&d), 1);
    cfg_transplant_unchanged(new, old, &d);
    const struct cfg_group *app = cfg_group_by_name(new, "app");
    assert_string_equal(new->groups[app->requires[0]].name, "db");
    assert_string_equal(new->groups[app->apart_from[0]].name, "web");
    assert_int_equal(app->load[0], 1); /* cpu is new's capacity name 0 */
    assert_string_equal(new->capacity_names[0], "cpu");
    const struct cfg_group *oapp = cfg_group_by_name(old, "app");
    assert_string_equal(old->groups[oapp->requires[0]].name, "db");
    assert_int_equal(oapp->load[1], 1);
    cfg_diff_clear(&d);

    /* A relationship that now names another group is a change of settings. */
    cfg_free(new);
    new = load_ok(HEAD_CAP G("app", "requires: [web], apart_from: web, load: {cpu: 1}, ")
                      G("db", "") G("web", ""));
    cfg_diff(old, new, &d);
    assert_int_equal(find(&d, "app")->change, CFG_CHANGE_MODIFIED);
    assert_true(find(&d, "app")->settings);
    cfg_diff_clear(&d);
    cfg_free(new);
    cfg_free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relations_valid),
        cmocka_unit_test(test_relations_names),
        cmocka_unit_test(test_relations_too_many),
        cmocka_unit_test(test_relations_cycles),
        cmocka_unit_test(test_relations_contradictions),
        cmocka_unit_test(test_relations_colocated),
        cmocka_unit_test(test_relations_domains_never_meet),
        cmocka_unit_test(test_relations_apart_on_one_node),
        cmocka_unit_test(test_capacity_valid),
        cmocka_unit_test(test_capacity_errors),
        cmocka_unit_test(test_priority),
        cmocka_unit_test(test_policy_balanced),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_mac_valid),
        cmocka_unit_test(test_mac_errors),
        cmocka_unit_test(test_print_roundtrip),
        cmocka_unit_test(test_data_file),
        cmocka_unit_test(test_print_without_new_keys),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_diff_placement_only),
        cmocka_unit_test(test_diff_mac),
        cmocka_unit_test(test_diff_capacity),
        cmocka_unit_test(test_diff_shifted_indices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
