/*
 * The replicated configuration (src/daemon/cfgsync.c, cfgstore.c): the
 * decision every member takes from the versions it sees, the version record
 * on disk, malformed messages from peers, and an apply between two members
 * driven by hand (each member's messages delivered to both, in one order).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/cfgstore.h"
#include "daemon/cfgsync.h"

/* ---- the decision ---- */

static struct cfgver ver(uint64_t v, char c, bool edited)
{
    struct cfgver x = {.version = v, .edited = edited};
    memset(x.sha256, c, SHA256_HEX_LEN);
    x.sha256[SHA256_HEX_LEN] = 0;
    return x;
}

static void decide(const struct cfgver *v, const bool *present, size_t n, uint64_t want_version,
                   char want_hash, size_t want_holder, const char *want_fates)
{
    struct cfgver adopted;
    size_t holder;
    enum cfgsync_fate fates[8];
    cfgsync_decide(v, present, n, &adopted, &holder, fates);
    assert_int_equal(adopted.version, want_version);
    assert_int_equal(adopted.sha256[0], want_hash);
    assert_false(adopted.edited);
    assert_int_equal(holder, want_holder);
    for (size_t i = 0; i < n; i++) {
        char f = fates[i] == CFGSYNC_SAME ? 's' : fates[i] == CFGSYNC_BEHIND ? 'b' : 'r';
        if (f != want_fates[i])
            fail_msg("member %zu: fate %c, want %c", i, f, want_fates[i]);
    }
}

static void test_decide(void **state)
{
    bool all[3] = {true, true, true};
    /* One content: the highest version, from its lowest holder. */
    struct cfgver a[3] = {ver(4, 'a', false), ver(5, 'a', false), ver(5, 'a', true)};
    decide(a, all, 3, 5, 'a', 1, "sss");
    /* One content held only edited at the top: the next version. */
    struct cfgver b[3] = {ver(5, 'b', true), ver(5, 'b', true), ver(4, 'b', false)};
    decide(b, all, 3, 6, 'b', 0, "sss");
    /* A newer unedited copy wins; older unedited ones are behind. */
    struct cfgver c[3] = {ver(3, 'a', false), ver(4, 'c', false), ver(4, 'c', false)};
    decide(c, all, 3, 4, 'c', 1, "bss");
    /* An edited copy is refused, at the same version or a lower one. */
    struct cfgver d[3] = {ver(4, 'c', false), ver(4, 'd', true), ver(3, 'e', true)};
    decide(d, all, 3, 4, 'c', 0, "srr");
    /* Two unedited contents at the same version: the lowest node's; the other refused. */
    struct cfgver e[3] = {ver(1, 'e', false), ver(1, 'f', false), ver(1, 'e', false)};
    decide(e, all, 3, 1, 'e', 0, "srs");
    /* Only edited copies, differing: the lowest node's, as the next version. */
    struct cfgver g[2] = {ver(2, 'g', true), ver(2, 'h', true)};
    decide(g, all, 2, 3, 'g', 0, "sr");
    /* Absent members count for nothing. */
    bool some[3] = {false, true, true};
    struct cfgver h[3] = {ver(9, 'z', false), ver(2, 'h', false), ver(2, 'h', false)};
    decide(h, some, 3, 2, 'h', 1, "sss");
}

/* ---- the record on disk ---- */

static char dir[64];

static int setup_dir(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-cfgsync-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_store(void **state)
{
    struct cfgstore_rec rec = {.version = 0, .applied_ms = 5};
    char *err = NULL;
    assert_int_equal(cfgstore_load(dir, &rec, &err), -ENOENT);
    for (uint64_t v = 1; v <= 25; v++) {
        rec.version = v;
        sha256_hex(&v, sizeof(v), rec.sha256);
        snprintf(rec.from, sizeof(rec.from), "n%u", (unsigned)(v % 3 + 1));
        _cleanup_free_ char *text = xasprintf("version %llu\n", (unsigned long long)v);
        assert_int_equal(cfgstore_record(dir, &rec, text), 0);
    }
    struct cfgstore_rec got;
    assert_int_equal(cfgstore_load(dir, &got, &err), 0);
    assert_int_equal(got.version, 25);
    assert_string_equal(got.sha256, rec.sha256);
    assert_string_equal(got.from, "n2");
    uint64_t kept[40];
    size_t n = cfgstore_list(dir, kept, 40);
    assert_int_equal(n, CFGSTORE_KEEP);
    assert_int_equal(kept[0], 25);
    assert_int_equal(kept[n - 1], 25 - CFGSTORE_KEEP + 1);
    char *text = NULL;
    assert_int_equal(cfgstore_read_version(dir, 7, &text), 0);
    assert_string_equal(text, "version 7\n");
    free(text);
    assert_int_equal(cfgstore_read_version(dir, 3, &text), -ENOENT); /* pruned */
    /* The file, with its previous content kept and its mode unchanged. */
    _cleanup_free_ char *path = xasprintf("%s/vigil.yaml", dir);
    assert_int_equal(write_file_atomic(path, "old\n", 4, 0640), 0);
    assert_int_equal(cfgstore_write_file(path, "new\n", "old\n"), 0);
    size_t len;
    char *buf = NULL;
    assert_int_equal(read_file(path, 100, &buf, &len), 0);
    assert_string_equal(buf, "new\n");
    free(buf);
    _cleanup_free_ char *bak = xasprintf("%s.bak", path);
    assert_int_equal(read_file(bak, 100, &buf, &len), 0);
    assert_string_equal(buf, "old\n");
    free(buf);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    /* A damaged record is reported, naming the file. */
    _cleanup_free_ char *cj = xasprintf("%s/%s", dir, CFGSTORE_FILE);
    assert_int_equal(write_file_atomic(cj, "{\"version\":\"x\"}", 15, 0600), 0);
    assert_int_equal(cfgstore_load(dir, &got, &err), -EINVAL);
    assert_non_null(strstr(err, CFGSTORE_FILE));
    free(err);
}

/* ---- members ---- */

#define YAML                                                                                       \
    "cluster: {name: cs}\n"                                                                        \
    "networks: [{name: priv}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"                                        \
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
#define WEB                                                                                        \
    "groups:\n"                                                                                    \
    "  - name: web\n    domain: [n1, n2]\n    resources:\n"                                        \
    "      - {name: www, type: process, command: [/bin/sleep, '100']}\n"

struct member {
    uint32_t id;
    char dir[80];
    struct cfg *cfg;
    struct eventlog *events;
    struct cluster cl;
    struct cfgsync cs;
    json_t *sent; /* [[kind, body], ...] not yet delivered */
    unsigned prepared, activated, aborted, refused, done_ok, done_failed;
    char *done_msg;
};

static int h_send(void *ctx, enum peer_group_kind kind, json_t *body)
{
    struct member *m = ctx;
    json_array_append_new(m->sent, json_pack("[i, O]", (int)kind, body));
    return 0;
}

static void h_prepare(void *ctx, const struct cfg *next, const struct cfg_diff *diff)
{
    ((struct member *)ctx)->prepared++;
}

static void h_activate(void *ctx, struct cfg *next, const struct cfg_diff *diff)
{
    struct member *m = ctx;
    m->activated++;
    cfg_free(m->cfg);
    m->cfg = next;
    m->cl.cfg = next;
    m->cs.cfg = next;
}

static void h_abort(void *ctx)
{
    ((struct member *)ctx)->aborted++;
}

static void h_refused(void *ctx, const char *msg)
{
    ((struct member *)ctx)->refused++;
}

static void h_done(void *ctx, uint64_t id, bool ok, uint64_t version, const char *msg)
{
    struct member *m = ctx;
    if (ok)
        m->done_ok++;
    else
        m->done_failed++;
    free(m->done_msg);
    m->done_msg = xstrdup(msg);
}

static const struct cfgsync_hooks hooks = {
    .send = h_send,
    .prepare = h_prepare,
    .activate = h_activate,
    .abort = h_abort,
    .refused = h_refused,
    .done = h_done,
};

static struct member members[2];

static void member_up(struct member *m, uint32_t id)
{
    memset(m, 0, sizeof(*m));
    m->id = id;
    snprintf(m->dir, sizeof(m->dir), "%s/n%u", dir, id);
    assert_int_equal(mkdir(m->dir, 0700), 0);
    const char *text = YAML WEB;
    struct cfg_diags d;
    cfg_diags_init(&d);
    assert_int_equal(cfg_load_string(text, strlen(text), "t.yaml", 0, &m->cfg, &d), 0);
    cfg_diags_clear(&d);
    m->events = eventlog_new(100);
    cluster_init(&m->cl, m->cfg, m->events);
    m->sent = json_array();
    _cleanup_free_ char *path = xasprintf("%s/vigil.yaml", m->dir);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
    char *err = NULL;
    assert_int_equal(
        cfgsync_init(&m->cs, NULL, &m->cl, m->cfg, path, text, m->dir, &hooks, m, &err), 0);
    cluster_engine_connected(&m->cl, id);
    uint32_t ids[2] = {1, 2};
    struct engine_view v = {.members = ids, .n_members = 2, .joined = ids, .n_joined = 2};
    cluster_apply_view(&m->cl, &v);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 2, .expected_votes = 2, .needed_votes = 2};
    cluster_apply_quorum(&m->cl, &q);
    cfgsync_membership(&m->cs);
}

static void member_down(struct member *m)
{
    cfgsync_done(&m->cs);
    cluster_done(&m->cl);
    eventlog_free(m->events);
    cfg_free(m->cfg);
    json_decref(m->sent);
    free(m->done_msg);
}

/* Delivers every pending message to both members, in one order, until none is left. */
static void deliver_all(void)
{
    for (int round = 0; round < 50; round++) {
        bool any = false;
        for (size_t s = 0; s < 2; s++) {
            json_t *q = members[s].sent;
            members[s].sent = json_array();
            size_t i;
            json_t *msg;
            json_array_foreach(q, i, msg)
            {
                any = true;
                for (size_t r = 0; r < 2; r++) {
                    char *err = NULL;
                    int rc = cfgsync_deliver(
                        &members[r].cs, members[s].id,
                        (enum peer_group_kind)json_integer_value(json_array_get(msg, 0)),
                        json_array_get(msg, 1), &err);
                    if (rc < 0)
                        fail_msg("delivery refused: %s", err);
                }
            }
            json_decref(q);
        }
        if (!any)
            return;
    }
    fail_msg("messages never settle");
}

static int setup_members(void **state)
{
    if (setup_dir(state) < 0)
        return -1;
    member_up(&members[0], 1);
    member_up(&members[1], 2);
    deliver_all();
    return 0;
}

static int teardown_members(void **state)
{
    member_down(&members[0]);
    member_down(&members[1]);
    return teardown_dir(state);
}

static void test_in_sync_at_start(void **state)
{
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(members[i].cs.cur.version, 1);
        assert_false(cfgsync_blocked(&members[i].cs));
        assert_int_equal(members[i].refused, 0);
    }
}

static void test_apply_between_two_members(void **state)
{
    const char *next = YAML WEB "  - name: db\n    domain: [n2]\n    resources:\n"
                                "      - {name: pg, type: process, command: [/bin/sleep, '7']}\n";
    char *err = NULL;
    uint64_t id = cfgsync_apply(&members[1].cs, next, &err);
    assert_true(id > 0);
    deliver_all();
    /* Both prepared; nothing is active until both are ready. */
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(members[i].prepared, 1);
        assert_int_equal(members[i].activated, 0);
        assert_true(cfgsync_blocked(&members[i].cs));
    }
    cfgsync_local_ready(&members[0].cs, true, NULL);
    deliver_all();
    assert_int_equal(members[0].activated + members[1].activated, 0);
    cfgsync_local_ready(&members[1].cs, true, NULL);
    deliver_all();
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(members[i].activated, 1);
        assert_int_equal(members[i].cs.cur.version, 2);
        assert_int_equal(members[i].cfg->n_groups, 2);
        assert_false(cfgsync_blocked(&members[i].cs));
        /* On disk: the file, its backup, the record. */
        _cleanup_free_ char *path = xasprintf("%s/vigil.yaml", members[i].dir);
        char *buf = NULL;
        size_t len;
        assert_int_equal(read_file(path, 1 << 16, &buf, &len), 0);
        assert_string_equal(buf, next);
        free(buf);
        struct cfgstore_rec rec;
        assert_int_equal(cfgstore_load(members[i].dir, &rec, &err), 0);
        assert_int_equal(rec.version, 2);
        assert_string_equal(rec.from, "n2");
    }
    assert_int_equal(members[1].done_ok, 1);
    assert_int_equal(members[0].done_ok + members[0].done_failed, 0);
}

static void test_member_that_cannot_take_it_aborts(void **state)
{
    char *err = NULL;
    assert_true(cfgsync_apply(&members[0].cs, YAML, &err) > 0);
    deliver_all();
    cfgsync_local_ready(&members[1].cs, false, "group web could not be stopped on n2");
    deliver_all();
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(members[i].aborted, 1);
        assert_int_equal(members[i].activated, 0);
        assert_int_equal(members[i].cs.cur.version, 1);
    }
    assert_int_equal(members[0].done_failed, 1);
    assert_non_null(strstr(members[0].done_msg, "n2 could not take it"));
}

static void test_membership_change_abandons_an_apply(void **state)
{
    char *err = NULL;
    assert_true(cfgsync_apply(&members[0].cs, YAML, &err) > 0);
    deliver_all();
    cfgsync_membership(&members[0].cs);
    assert_int_equal(members[0].aborted, 1);
    assert_int_equal(members[0].done_failed, 1);
    assert_non_null(strstr(members[0].done_msg, "membership changed"));
}

static void test_malformed_messages(void **state)
{
    struct cfgsync *cs = &members[0].cs;
    static const struct {
        enum peer_group_kind kind;
        const char *body;
        const char *want;
    } cases[] = {
        {PEER_G_CFG_VER, "{}", "'version' must be a positive integer"},
        {PEER_G_CFG_VER, "{\"version\":-3}", "'version' must be a positive integer"},
        {PEER_G_CFG_VER, "{\"version\":1,\"sha256\":\"abc\"}", "'sha256' must be 64"},
        {PEER_G_CFG_VER,
         "{\"version\":1,\"sha256\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
         "lowercase hex"},
        {PEER_G_CFG_VER,
         "{\"version\":1,\"sha256\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"edited\":1}",
         "'edited' must be true or false"},
        {PEER_G_CONFIG,
         "{\"version\":2,\"sha256\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"mode\":\"x\","
         "\"text\":\"t\"}",
         "'mode' must be"},
        {PEER_G_CONFIG,
         "{\"version\":2,\"sha256\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"mode\":\"apply\","
         "\"text\":\"t\",\"id\":1}",
         "the text's sha256 is"},
        {PEER_G_CONFIG,
         "{\"version\":2,\"sha256\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"mode\":\"apply\"}",
         "'text' must be a string"},
        {PEER_G_CFG_READY, "{\"version\":2,\"ok\":\"yes\"}", "'ok' must be true or false"},
        {PEER_G_CFG_ACK, "{\"version\":0}", "'version' must be a positive integer"},
        {PEER_G_REPORT, "{}", "not a configuration message"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = json_loads(cases[i].body, 0, NULL);
        assert_non_null(body);
        char *err = NULL;
        assert_int_equal(cfgsync_deliver(cs, 2, cases[i].kind, body, &err), -EINVAL);
        if (!err || !strstr(err, cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, err ? err : "(none)", cases[i].want);
        free(err);
        json_decref(body);
    }
    /* Nothing changed; a "sync" for another node and a stray ready are ignored. */
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex("x", 1, hash);
    _cleanup_free_ char *sync = xasprintf(
        "{\"version\":5,\"sha256\":\"%s\",\"mode\":\"sync\",\"text\":\"x\",\"for\":[\"n2\"]}",
        hash);
    json_t *body = json_loads(sync, 0, NULL);
    char *err = NULL;
    assert_int_equal(cfgsync_deliver(cs, 2, PEER_G_CONFIG, body, &err), 0);
    json_decref(body);
    body = json_loads("{\"version\":9,\"ok\":true}", 0, NULL);
    assert_int_equal(cfgsync_deliver(cs, 2, PEER_G_CFG_READY, body, &err), 0);
    json_decref(body);
    assert_int_equal(cs->cur.version, 1);
    assert_int_equal(members[0].prepared + members[0].activated + members[0].refused, 0);
    assert_false(cfgsync_blocked(cs));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
        cmocka_unit_test_setup_teardown(test_store, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_in_sync_at_start, setup_members, teardown_members),
        cmocka_unit_test_setup_teardown(test_apply_between_two_members, setup_members,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_member_that_cannot_take_it_aborts, setup_members,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_membership_change_abandons_an_apply, setup_members,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_malformed_messages, setup_members, teardown_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
