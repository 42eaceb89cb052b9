/*
 * The replicated configuration (src/daemon/cfgsync.c, cfgstore.c; the decision
 * itself, cfgsync_decide.c, has test_cfgsync_decide.c): the version record on
 * disk, malformed messages from peers, and applies between two or three
 * in-memory members driven by hand: every message goes into one queue, in
 * the order it was sent, and is delivered from there to every member of the
 * current view (the engine's agreed order).
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
#include "daemon/statewrite.h"

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

static char *slurp(const char *path)
{
    char *buf = NULL;
    size_t len;
    int r = read_file(path, 1 << 20, &buf, &len);
    if (r < 0)
        fail_msg("cannot read %s: %s", path, strerror(-r));
    return buf;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void test_store(void **state)
{
    struct cfgstore_rec rec = {.version = 0, .applied_ms = 5};
    char *err = NULL;
    assert_int_equal(cfgstore_load(dir, &rec, &err), -ENOENT);
    assert_null(err);
    assert_int_equal(cfgstore_list(dir, NULL, 0), 0);
    for (uint64_t v = 1; v <= 25; v++) {
        rec.version = v;
        rec.applied_ms = 1000 + v;
        sha256_hex(&v, sizeof(v), rec.sha256);
        snprintf(rec.from, sizeof(rec.from), "n%u", (unsigned)(v % 3 + 1));
        _cleanup_free_ char *text = xasprintf("version %llu\n", (unsigned long long)v);
        assert_int_equal(cfgstore_record(dir, &rec, text), 0);
    }
    struct cfgstore_rec got;
    assert_int_equal(cfgstore_load(dir, &got, &err), 0);
    assert_int_equal(got.version, 25);
    assert_string_equal(got.sha256, rec.sha256);
    assert_int_equal(got.applied_ms, 1025);
    assert_string_equal(got.from, "n2");
    /* The newest CFGSTORE_KEEP (20) versions are kept, newest first: 25 down to 6. */
    uint64_t kept[40];
    size_t n = cfgstore_list(dir, kept, 40);
    assert_int_equal(n, CFGSTORE_KEEP);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kept[i], 25 - i);
    assert_int_equal(cfgstore_list(dir, kept, 3), 3);
    assert_int_equal(kept[2], 23);
    char *text = NULL;
    assert_int_equal(cfgstore_read_version(dir, 6, &text), 0);
    assert_string_equal(text, "version 6\n");
    free(text);
    for (uint64_t v = 1; v <= 5; v++) {
        text = NULL;
        assert_int_equal(cfgstore_read_version(dir, v, &text), -ENOENT); /* pruned */
        assert_null(text);
        _cleanup_free_ char *p =
            xasprintf("%s/%s/%llu.yaml", dir, CFGSTORE_DIR, (unsigned long long)v);
        assert_false(exists(p));
    }
    assert_int_equal(cfgstore_read_version(dir, 26, &text), -ENOENT);
    /* Other files in the archive directory are not versions. */
    _cleanup_free_ char *junk = xasprintf("%s/%s/notes.txt", dir, CFGSTORE_DIR);
    assert_int_equal(write_file_atomic(junk, "x", 1, 0600), 0);
    assert_int_equal(cfgstore_list(dir, kept, 40), CFGSTORE_KEEP);
}

static void test_store_write_file(void **state)
{
    /* The file, with its previous content kept and its mode unchanged. */
    _cleanup_free_ char *path = xasprintf("%s/vigil.yaml", dir);
    _cleanup_free_ char *bak = xasprintf("%s.bak", path);
    assert_int_equal(write_file_atomic(path, "old\n", 4, 0640), 0);
    assert_int_equal(cfgstore_write_file(path, "new\n", "old\n"), 0);
    char *buf = slurp(path);
    assert_string_equal(buf, "new\n");
    free(buf);
    buf = slurp(bak);
    assert_string_equal(buf, "old\n");
    free(buf);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(stat(bak, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    /* Without a previous text, the backup is left as it was. */
    assert_int_equal(cfgstore_write_file(path, "newer\n", NULL), 0);
    buf = slurp(path);
    assert_string_equal(buf, "newer\n");
    free(buf);
    buf = slurp(bak);
    assert_string_equal(buf, "old\n");
    free(buf);
    /* A file in a missing directory: the error, and nothing written. */
    _cleanup_free_ char *lost = xasprintf("%s/missing/vigil.yaml", dir);
    assert_int_equal(cfgstore_write_file(lost, "x\n", "y\n"), -ENOENT);
}

static void expect_bad_record(const char *content, const char *want_reason)
{
    _cleanup_free_ char *cj = xasprintf("%s/%s", dir, CFGSTORE_FILE);
    assert_int_equal(write_file_atomic(cj, content, strlen(content), 0600), 0);
    struct cfgstore_rec got = {.version = 77};
    char *err = NULL;
    assert_int_equal(cfgstore_load(dir, &got, &err), -EINVAL);
    _cleanup_free_ char *want = xasprintf("%s: not a configuration record: %s", cj, want_reason);
    assert_non_null(err);
    assert_string_equal(err, want);
    assert_int_equal(got.version, 77); /* left untouched */
    free(err);
}

static void test_store_damaged_record(void **state)
{
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex("x", 1, hash);
    expect_bad_record("{\"version\":\"x\"}", "bad version or sha256");
    _cleanup_free_ char *zero = xasprintf("{\"version\":0,\"sha256\":\"%s\"}", hash);
    expect_bad_record(zero, "bad version or sha256");
    expect_bad_record("{\"version\":3,\"sha256\":\"abc\"}", "bad version or sha256");
    expect_bad_record("{\"version\":3}", "bad version or sha256");
    expect_bad_record("", "'[' or '{' expected near end of file");
    expect_bad_record("{\"version\":", "unexpected token near end of file");
}

/* ---- cfgsync_init ---- */

#define NODES                                                                                      \
    "cluster: {name: cs}\n"                                                                        \
    "networks: [{name: priv}]\n"                                                                   \
    "nodes:\n"                                                                                     \
    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"                                        \
    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"                                        \
    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
#define WEB                                                                                        \
    "groups:\n"                                                                                    \
    "  - name: web\n    domain: [n1, n2]\n    resources:\n"                                        \
    "      - {name: www, type: process, command: [/bin/sleep, '100']}\n"
#define DB                                                                                         \
    "  - name: db\n    domain: [n2]\n    resources:\n"                                             \
    "      - {name: pg, type: process, command: [/bin/sleep, '7']}\n"
#define BASE   NODES WEB
#define WITHDB NODES WEB DB

static struct cfg *load(const char *text)
{
    struct cfg *c = NULL;
    struct cfg_diags d;
    cfg_diags_init(&d);
    if (cfg_load_string(text, strlen(text), "t.yaml", 0, &c, &d) < 0) {
        cfg_diags_print(&d, stderr);
        fail_msg("the test configuration does not load");
    }
    cfg_diags_clear(&d);
    return c;
}

/* The first 12 hex digits of a text's SHA-256, as messages show them. */
static const char *short_hash(const char *text, char buf[static SHA256_HEX_LEN + 1])
{
    sha256_hex(text, strlen(text), buf);
    buf[12] = 0;
    return buf;
}

struct lone {
    struct cfg *cfg;
    struct eventlog *events;
    struct cluster cl;
    struct cfgsync cs;
    char *path;
};

static int lone_init(struct lone *l, const char *text, char **ret_err)
{
    memset(l, 0, sizeof(*l));
    l->cfg = load(text);
    l->events = eventlog_new(100);
    cluster_init(&l->cl, l->cfg, l->events);
    l->path = xasprintf("%s/vigil.yaml", dir);
    assert_int_equal(write_file_atomic(l->path, text, strlen(text), 0644), 0);
    return cfgsync_init(&l->cs, NULL, &l->cl, l->cfg, l->path, text, dir, NULL, NULL, ret_err);
}

static void lone_done(struct lone *l)
{
    cfgsync_done(&l->cs);
    cluster_done(&l->cl);
    eventlog_free(l->events);
    cfg_free(l->cfg);
    free(l->path);
}

static void test_init_first_run(void **state)
{
    struct lone l;
    char *err = NULL;
    assert_int_equal(lone_init(&l, BASE, &err), 0);
    assert_null(err);
    assert_int_equal(l.cs.cur.version, 1);
    assert_false(l.cs.cur.edited);
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex(BASE, strlen(BASE), hash);
    assert_string_equal(l.cs.cur.sha256, hash);
    /* Recorded at once (no loop: synchronously): config.json and config/1.yaml. */
    struct cfgstore_rec rec;
    assert_int_equal(cfgstore_load(dir, &rec, &err), 0);
    assert_int_equal(rec.version, 1);
    assert_string_equal(rec.sha256, hash);
    assert_string_equal(rec.from, "");
    assert_true(rec.applied_ms > 0);
    char *text = NULL;
    assert_int_equal(cfgstore_read_version(dir, 1, &text), 0);
    assert_string_equal(text, BASE);
    free(text);
    /* The configuration file itself is left alone: no backup. */
    _cleanup_free_ char *bak = xasprintf("%s.bak", l.path);
    assert_false(exists(bak));
    /* What vigil status shows. */
    json_t *st = cfgsync_status_json(&l.cs);
    assert_int_equal(json_integer_value(json_object_get(st, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(st, "sha256")), hash);
    assert_true(json_is_false(json_object_get(st, "edited")));
    assert_string_equal(json_string_value(json_object_get(st, "file")), l.path);
    assert_string_equal(json_string_value(json_object_get(st, "state")), "unknown");
    assert_null(json_object_get(st, "from"));
    json_decref(st);
    char buf[64], h[SHA256_HEX_LEN + 1];
    _cleanup_free_ char *want = xasprintf("version 1 (sha256 %s)", short_hash(BASE, h));
    assert_string_equal(cfgver_describe(&l.cs.cur, buf), want);
    lone_done(&l);
}

static void test_init_recorded(void **state)
{
    struct cfgstore_rec rec = {.version = 7, .applied_ms = 1795341600123, .from = "n2"};
    sha256_hex(BASE, strlen(BASE), rec.sha256);
    assert_int_equal(cfgstore_record(dir, &rec, BASE), 0);
    struct lone l;
    char *err = NULL;
    assert_int_equal(lone_init(&l, BASE, &err), 0);
    assert_int_equal(l.cs.cur.version, 7);
    assert_false(l.cs.cur.edited);
    json_t *st = cfgsync_status_json(&l.cs);
    assert_string_equal(json_string_value(json_object_get(st, "from")), "n2");
    assert_int_equal(json_integer_value(json_object_get(st, "applied_ms")), 1795341600123);
    assert_true(json_is_false(json_object_get(st, "edited")));
    json_decref(st);
    /* Nothing new recorded. */
    uint64_t kept[4];
    assert_int_equal(cfgstore_list(dir, kept, 4), 1);
    assert_int_equal(kept[0], 7);
    lone_done(&l);
}

static void test_init_edited_by_hand(void **state)
{
    struct cfgstore_rec rec = {.version = 7, .applied_ms = 5, .from = "n1"};
    sha256_hex(BASE, strlen(BASE), rec.sha256);
    assert_int_equal(cfgstore_record(dir, &rec, BASE), 0);
    struct lone l;
    char *err = NULL;
    const char *edited = BASE "# changed by hand\n";
    assert_int_equal(lone_init(&l, edited, &err), 0);
    assert_int_equal(l.cs.cur.version, 7);
    assert_true(l.cs.cur.edited);
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex(edited, strlen(edited), hash);
    assert_string_equal(l.cs.cur.sha256, hash);
    char buf[64], h[SHA256_HEX_LEN + 1];
    _cleanup_free_ char *want =
        xasprintf("version 7 (sha256 %s, edited by hand)", short_hash(edited, h));
    assert_string_equal(cfgver_describe(&l.cs.cur, buf), want);
    json_t *st = cfgsync_status_json(&l.cs);
    assert_true(json_is_true(json_object_get(st, "edited")));
    json_decref(st);
    /* The record still names the version applied. */
    struct cfgstore_rec got;
    assert_int_equal(cfgstore_load(dir, &got, &err), 0);
    assert_string_equal(got.sha256, rec.sha256);
    lone_done(&l);
}

static void test_init_damaged_record(void **state)
{
    _cleanup_free_ char *cj = xasprintf("%s/%s", dir, CFGSTORE_FILE);
    assert_int_equal(write_file_atomic(cj, "{\"version\":-1}", 14, 0600), 0);
    struct lone l;
    char *err = NULL;
    assert_int_equal(lone_init(&l, BASE, &err), -EINVAL);
    _cleanup_free_ char *want =
        xasprintf("%s: not a configuration record: bad version or sha256", cj);
    assert_non_null(err);
    assert_string_equal(err, want);
    free(err);
    /* Kept for the admin: not replaced by a new version 1. */
    char *buf = slurp(cj);
    assert_string_equal(buf, "{\"version\":-1}");
    free(buf);
    assert_int_equal(cfgstore_list(dir, NULL, 0), 0);
    lone_done(&l);
}

/* ---- members ---- */

#define MAXM 3

struct member {
    uint32_t id;
    bool running;
    bool in_view;
    char dir[80];
    char *path;
    struct cfg *cfg;
    struct eventlog *events;
    struct cluster cl;
    struct cfgsync cs;
    unsigned prepared, activated, aborted, refused, changed, done_ok, done_failed;
    size_t prepared_groups;  /* the groups of the configuration prepare announced */
    size_t activated_groups; /* the groups of the configuration activated */
    uint64_t done_id, done_version;
    char *done_msg, *refused_msg;
};

static struct member members[MAXM];
/* The members' loop: their writes run on its thread pool. NULL: written synchronously. */
static uv_loop_t *member_loop;
/* Messages sent and not yet delivered, in agreed order: [[from, kind, body], ...]. */
static json_t *queue;

static int h_send(void *ctx, enum peer_group_kind kind, json_t *body)
{
    struct member *m = ctx;
    json_array_append_new(queue, json_pack("[i, i, O]", (int)m->id, (int)kind, body));
    return 0;
}

static void h_prepare(void *ctx, const struct cfg *next, const struct cfg_diff *diff)
{
    struct member *m = ctx;
    m->prepared++;
    m->prepared_groups = next->n_groups;
}

static void h_activate(void *ctx, struct cfg *next, const struct cfg_diff *diff)
{
    struct member *m = ctx;
    m->activated++;
    m->activated_groups = next->n_groups;
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
    struct member *m = ctx;
    m->refused++;
    free(m->refused_msg);
    m->refused_msg = xstrdup(msg);
}

static void h_done(void *ctx, uint64_t id, bool ok, uint64_t version, const char *msg)
{
    struct member *m = ctx;
    if (ok)
        m->done_ok++;
    else
        m->done_failed++;
    m->done_id = id;
    m->done_version = version;
    free(m->done_msg);
    m->done_msg = xstrdup(msg);
}

static void h_changed(void *ctx)
{
    ((struct member *)ctx)->changed++;
}

static const struct cfgsync_hooks hooks = {
    .send = h_send,
    .prepare = h_prepare,
    .activate = h_activate,
    .abort = h_abort,
    .refused = h_refused,
    .done = h_done,
    .changed = h_changed,
};

static struct member *M(uint32_t id)
{
    return &members[id - 1];
}

static void member_dir(struct member *m, uint32_t id)
{
    snprintf(m->dir, sizeof(m->dir), "%s/n%u", dir, id);
    if (mkdir(m->dir, 0700) < 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", m->dir, strerror(errno));
}

/* Records version `version` of `text` in node id's state directory, as a previous run would. */
static void seed_record(uint32_t id, uint64_t version, const char *text)
{
    struct member *m = M(id);
    member_dir(m, id);
    struct cfgstore_rec rec = {.version = version, .applied_ms = 1, .from = "n1"};
    sha256_hex(text, strlen(text), rec.sha256);
    assert_int_equal(cfgstore_record(m->dir, &rec, text), 0);
}

/*
 * Starts node id's vigild with its file holding text (path: where the file
 * is, NULL for the node's directory). It is connected to the engine but in
 * no view yet.
 */
static void member_start(uint32_t id, const char *text, const char *path)
{
    struct member *m = M(id);
    memset(m, 0, sizeof(*m));
    m->id = id;
    m->running = true;
    member_dir(m, id);
    m->path = path ? xstrdup(path) : xasprintf("%s/vigil.yaml", m->dir);
    if (!path)
        assert_int_equal(write_file_atomic(m->path, text, strlen(text), 0644), 0);
    m->cfg = load(text);
    m->events = eventlog_new(100);
    cluster_init(&m->cl, m->cfg, m->events);
    char *err = NULL;
    if (cfgsync_init(&m->cs, member_loop, &m->cl, m->cfg, m->path, text, m->dir, &hooks, m, &err) <
        0)
        fail_msg("cfgsync_init: %s", err);
    cluster_engine_connected(&m->cl, id);
}

static void member_stop(struct member *m)
{
    if (!m->running)
        return;
    cfgsync_done(&m->cs);
    cluster_done(&m->cl);
    eventlog_free(m->events);
    cfg_free(m->cfg);
    free(m->path);
    free(m->done_msg);
    free(m->refused_msg);
    memset(m, 0, sizeof(*m));
}

/* A new view with the nodes in ids (ascending) as members; each of them learns it, quorate. */
static void view(const uint32_t *ids, size_t n)
{
    bool now[MAXM + 1] = {false};
    for (size_t i = 0; i < n; i++)
        now[ids[i]] = true;
    for (uint32_t id = 1; id <= MAXM; id++) {
        struct member *m = M(id);
        m->in_view = m->running && now[id];
        if (!m->in_view)
            continue;
        uint32_t joined[MAXM], left[MAXM];
        enum engine_leave why[MAXM];
        size_t nj = 0, nl = 0;
        for (uint32_t k = 1; k <= MAXM; k++) {
            bool was = m->cl.nodes[k - 1].online;
            if (now[k] && !was)
                joined[nj++] = k;
            if (!now[k] && was) {
                why[nl] = ENGINE_LEAVE_CLEAN;
                left[nl++] = k;
            }
        }
        struct engine_view v = {.members = ids,
                                .n_members = n,
                                .joined = joined,
                                .n_joined = nj,
                                .left = left,
                                .left_reason = why,
                                .n_left = nl};
        cluster_apply_view(&m->cl, &v);
        struct engine_quorum q = {.quorate = true,
                                  .total_votes = (uint32_t)n,
                                  .expected_votes = (uint32_t)n,
                                  .needed_votes = (uint32_t)n / 2 + 1};
        cluster_apply_quorum(&m->cl, &q);
        cfgsync_membership(&m->cs);
        cfgsync_quorum(&m->cs);
    }
}

static json_t *queue_get(size_t i, uint32_t *from, enum peer_group_kind *kind)
{
    json_t *msg = json_array_get(queue, i);
    *from = (uint32_t)json_integer_value(json_array_get(msg, 0));
    *kind = (enum peer_group_kind)json_integer_value(json_array_get(msg, 1));
    return json_array_get(msg, 2);
}

/* Delivers the oldest message to every member in the view; false when there is none. */
static bool deliver_one(void)
{
    if (!json_array_size(queue))
        return false;
    uint32_t from;
    enum peer_group_kind kind;
    json_t *body = json_incref(queue_get(0, &from, &kind));
    json_array_remove(queue, 0);
    for (uint32_t id = 1; id <= MAXM; id++) {
        if (!M(id)->in_view)
            continue;
        char *err = NULL;
        if (cfgsync_deliver(&M(id)->cs, from, kind, body, &err) < 0)
            fail_msg("n%u refused a %s from n%u: %s", id, peer_group_kind_name(kind), from, err);
    }
    json_decref(body);
    return true;
}

static void deliver_all(void)
{
    for (int i = 0; i < 1000; i++)
        if (!deliver_one())
            return;
    fail_msg("messages never settle");
}

/* Drops the pending messages of a kind from a node (it died before they went out). */
static size_t drop(uint32_t from, enum peer_group_kind kind)
{
    size_t dropped = 0;
    for (size_t i = json_array_size(queue); i-- > 0;) {
        uint32_t f;
        enum peer_group_kind k;
        queue_get(i, &f, &k);
        if (f == from && k == kind) {
            json_array_remove(queue, i);
            dropped++;
        }
    }
    return dropped;
}

static size_t pending(enum peer_group_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(queue); i++) {
        uint32_t f;
        enum peer_group_kind k;
        queue_get(i, &f, &k);
        n += k == kind;
    }
    return n;
}

static const char *state_of(uint32_t id)
{
    static char buf[32];
    json_t *st = cfgsync_status_json(&M(id)->cs);
    snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(st, "state")));
    json_decref(st);
    return buf;
}

/* The message of node id's newest event of a type ("config_changed"), or NULL (caller frees). */
static char *last_event(uint32_t id, const char *type)
{
    json_t *evs = eventlog_since_json(M(id)->events, 0);
    char *msg = NULL;
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "type")), type) != 0)
            continue;
        free(msg);
        msg = xstrdup(json_string_value(json_object_get(ev, "message")));
    }
    json_decref(evs);
    return msg;
}

static uint64_t recorded_version(uint32_t id, char from[static 64])
{
    struct cfgstore_rec rec;
    char *err = NULL;
    int r = cfgstore_load(M(id)->dir, &rec, &err);
    if (r < 0)
        fail_msg("n%u's record: %s", id, err ? err : strerror(-r));
    snprintf(from, 64, "%s", rec.from);
    return rec.version;
}

static void assert_file(uint32_t id, const char *want)
{
    char *buf = slurp(M(id)->path);
    assert_string_equal(buf, want);
    free(buf);
}

static int setup_queue(void **state)
{
    if (setup_dir(state) < 0)
        return -1;
    memset(members, 0, sizeof(members));
    queue = json_array();
    return 0;
}

static const uint32_t N12[] = {1, 2}, N123[] = {1, 2, 3}, N1[] = {1};

/* n1 and n2 run version 1 of BASE, and know it of each other. */
static int setup_two(void **state)
{
    if (setup_queue(state) < 0)
        return -1;
    member_start(1, BASE, NULL);
    member_start(2, BASE, NULL);
    view(N12, 2);
    deliver_all();
    return 0;
}

static int setup_three(void **state)
{
    if (setup_queue(state) < 0)
        return -1;
    for (uint32_t id = 1; id <= 3; id++)
        member_start(id, BASE, NULL);
    view(N123, 3);
    deliver_all();
    return 0;
}

static int teardown_members(void **state)
{
    for (uint32_t id = 1; id <= MAXM; id++)
        member_stop(M(id));
    json_decref(queue);
    queue = NULL;
    return teardown_dir(state);
}

static void test_in_sync_at_start(void **state)
{
    for (uint32_t id = 1; id <= 2; id++) {
        assert_int_equal(M(id)->cs.cur.version, 1);
        assert_false(cfgsync_blocked(&M(id)->cs));
        assert_string_equal(state_of(id), "in sync");
        assert_int_equal(M(id)->refused + M(id)->prepared, 0);
        /* Each knows the other's version, as vigil status shows it. */
        json_t *j = cfgsync_node_json(&M(id)->cs, id == 1 ? 1 : 0);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
        assert_string_equal(json_string_value(json_object_get(j, "sha256")), M(id)->cs.cur.sha256);
        json_decref(j);
        /* n3 is not a member: nothing known of it. */
        assert_null(cfgsync_node_json(&M(id)->cs, 2));
    }
}

/* Before every member's version has arrived, the coordinator must wait. */
static void test_blocked_until_versions_known(void **state)
{
    member_start(1, BASE, NULL);
    member_start(2, BASE, NULL);
    view(N12, 2);
    assert_int_equal(json_array_size(queue), 2); /* each sent its version */
    assert_true(cfgsync_blocked(&M(1)->cs));
    char *err = NULL;
    assert_int_equal(cfgsync_apply(&M(1)->cs, WITHDB, &err), 0);
    assert_string_equal(err, "the members' configurations are being brought to the same version; "
                             "try again in a moment");
    free(err);
    deliver_one();
    assert_true(cfgsync_blocked(&M(1)->cs));
    deliver_one();
    assert_false(cfgsync_blocked(&M(1)->cs));
    assert_false(cfgsync_blocked(&M(2)->cs));
    assert_true(M(1)->changed > 0);
}

static void test_apply_between_two_members(void **state)
{
    char *err = NULL;
    unsigned changed_before = M(2)->changed;
    uint64_t id = cfgsync_apply(&M(2)->cs, WITHDB, &err);
    assert_true(id > 0);
    assert_null(err);
    assert_int_equal(pending(PEER_G_CONFIG), 1);
    deliver_all();
    /* A second apply while the first is under way is refused, sending nothing. */
    assert_int_equal(cfgsync_apply(&M(1)->cs, BASE, &err), 0);
    assert_string_equal(err,
                        "another configuration change is under way; try again when it is over");
    free(err);
    assert_int_equal(json_array_size(queue), 0);
    /* Both prepared the new configuration; nothing is active until both are ready. */
    for (uint32_t n = 1; n <= 2; n++) {
        assert_int_equal(M(n)->prepared, 1);
        assert_int_equal(M(n)->prepared_groups, 2);
        assert_int_equal(M(n)->activated, 0);
        assert_true(cfgsync_blocked(&M(n)->cs));
        assert_string_equal(state_of(n), "applying");
    }
    assert_true(M(2)->changed > changed_before);
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    deliver_all();
    assert_int_equal(M(1)->activated + M(2)->activated, 0);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    /* Once the last ready message is delivered, both activate it at that point. */
    assert_int_equal(pending(PEER_G_CFG_READY), 1);
    deliver_one();
    for (uint32_t n = 1; n <= 2; n++) {
        assert_int_equal(M(n)->activated, 1);
        assert_int_equal(M(n)->activated_groups, 2);
        assert_int_equal(M(n)->cfg->n_groups, 2);
        assert_int_equal(M(n)->cs.cur.version, 2);
        assert_false(cfgsync_blocked(&M(n)->cs));
    }
    /* The reply waits for every member's acknowledgement of its write. */
    assert_int_equal(pending(PEER_G_CFG_ACK), 2);
    assert_int_equal(M(2)->done_ok + M(2)->done_failed, 0);
    deliver_one();
    assert_int_equal(M(2)->done_ok + M(2)->done_failed, 0);
    deliver_one();
    assert_int_equal(M(2)->done_ok, 1);
    assert_int_equal(M(2)->done_failed, 0);
    assert_int_equal(M(2)->done_id, id);
    assert_int_equal(M(2)->done_version, 2);
    assert_string_equal(M(2)->done_msg, "written by every member");
    assert_int_equal(M(1)->done_ok + M(1)->done_failed, 0);
    char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1], from[64];
    _cleanup_free_ char *want_ev =
        xasprintf("configuration version 2 (sha256 %s) applied (was version 1 (sha256 %s)): "
                  "group db added",
                  short_hash(WITHDB, h2), short_hash(BASE, h1));
    for (uint32_t n = 1; n <= 2; n++) {
        assert_string_equal(state_of(n), "in sync");
        /* On disk: the file, its backup, the record and the archive. */
        assert_file(n, WITHDB);
        _cleanup_free_ char *bak = xasprintf("%s.bak", M(n)->path);
        char *buf = slurp(bak);
        assert_string_equal(buf, BASE);
        free(buf);
        assert_int_equal(recorded_version(n, from), 2);
        assert_string_equal(from, "n2");
        char *text = NULL;
        assert_int_equal(cfgstore_read_version(M(n)->dir, 2, &text), 0);
        assert_string_equal(text, WITHDB);
        free(text);
        _cleanup_free_ char *ev = last_event(n, "config_changed");
        assert_non_null(ev);
        assert_string_equal(ev, want_ev);
        json_t *st = cfgsync_status_json(&M(n)->cs);
        assert_string_equal(json_string_value(json_object_get(st, "from")), "n2");
        assert_int_equal(json_integer_value(json_object_get(st, "version")), 2);
        json_decref(st);
    }
    /* The next apply builds on version 2. */
    id = cfgsync_apply(&M(1)->cs, BASE, &err);
    assert_true(id > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    assert_int_equal(M(1)->done_ok, 1);
    assert_int_equal(M(1)->done_version, 3);
    for (uint32_t n = 1; n <= 2; n++) {
        assert_int_equal(M(n)->cs.cur.version, 3);
        assert_int_equal(M(n)->cfg->n_groups, 1);
        assert_file(n, BASE);
    }
}

static void test_apply_among_three(void **state)
{
    char *err = NULL;
    uint64_t id = cfgsync_apply(&M(3)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    for (uint32_t n = 1; n <= 3; n++)
        assert_int_equal(M(n)->prepared, 1);
    cfgsync_local_ready(&M(3)->cs, true, NULL);
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    deliver_all();
    for (uint32_t n = 1; n <= 3; n++)
        assert_int_equal(M(n)->activated, 0);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    char from[64];
    for (uint32_t n = 1; n <= 3; n++) {
        assert_int_equal(M(n)->activated, 1);
        assert_int_equal(M(n)->cs.cur.version, 2);
        assert_file(n, WITHDB);
        assert_int_equal(recorded_version(n, from), 2);
        assert_string_equal(from, "n3");
        assert_string_equal(state_of(n), "in sync");
    }
    assert_int_equal(M(3)->done_ok, 1);
    assert_int_equal(M(3)->done_id, id);
    assert_int_equal(M(1)->done_ok + M(2)->done_ok + M(1)->done_failed + M(2)->done_failed, 0);
}

static void assert_nothing_applied(const char *text_on_disk)
{
    for (uint32_t n = 1; n <= MAXM; n++) {
        if (!M(n)->in_view)
            continue;
        assert_int_equal(M(n)->activated, 0);
        assert_int_equal(M(n)->cs.cur.version, 1);
        assert_int_equal(M(n)->cfg->n_groups, 1);
        assert_file(n, text_on_disk);
        assert_null(last_event(n, "config_changed"));
    }
}

static void test_member_that_cannot_take_it_aborts(void **state)
{
    char *err = NULL;
    uint64_t id = cfgsync_apply(&M(1)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, false, "group web could not be stopped on n2");
    deliver_all();
    for (uint32_t n = 1; n <= 2; n++) {
        assert_int_equal(M(n)->aborted, 1);
        assert_false(cfgsync_blocked(&M(n)->cs));
    }
    assert_nothing_applied(BASE);
    assert_int_equal(M(1)->done_failed, 1);
    assert_int_equal(M(1)->done_id, id);
    assert_string_equal(M(1)->done_msg,
                        "n2 could not take it: group web could not be stopped on n2");
    assert_int_equal(M(2)->done_ok + M(2)->done_failed, 0);
    /* A ready that arrives late for the abandoned apply changes nothing. */
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    assert_int_equal(json_array_size(queue), 0);
}

static void test_membership_change_abandons_an_apply(void **state)
{
    char *err = NULL;
    uint64_t id = cfgsync_apply(&M(2)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    deliver_all();
    /* n3 joins before n2 is ready: every member abandons the apply. */
    member_start(3, BASE, NULL);
    view(N123, 3);
    for (uint32_t n = 1; n <= 3; n++)
        assert_int_equal(M(n)->aborted, n == 3 ? 0 : 1);
    assert_int_equal(M(2)->done_failed, 1);
    assert_int_equal(M(2)->done_id, id);
    assert_string_equal(
        M(2)->done_msg,
        "the membership changed before every member was ready; nothing was changed");
    assert_int_equal(M(1)->done_failed + M(1)->done_ok, 0);
    /* n2's readiness now comes too late. */
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    assert_nothing_applied(BASE);
    for (uint32_t n = 1; n <= 3; n++) {
        assert_false(cfgsync_blocked(&M(n)->cs));
        assert_string_equal(state_of(n), "in sync");
    }
    /* The same change can be applied again, by all three. */
    id = cfgsync_apply(&M(2)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    for (uint32_t n = 1; n <= 3; n++)
        cfgsync_local_ready(&M(n)->cs, true, NULL);
    deliver_all();
    assert_int_equal(M(2)->done_ok, 1);
    for (uint32_t n = 1; n <= 3; n++)
        assert_int_equal(M(n)->cs.cur.version, 2);
}

static void test_member_not_ready_in_time(void **state)
{
    char *err = NULL;
    uint64_t id = cfgsync_apply(&M(1)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    deliver_all();
    /* Only the node applying gives up, and only once its deadline passed. */
    cfgsync_tick(&M(1)->cs, time_mono_ms());
    cfgsync_tick(&M(2)->cs, time_mono_ms() + 3600 * 1000);
    assert_int_equal(json_array_size(queue), 0);
    cfgsync_tick(&M(1)->cs, time_mono_ms() + 3600 * 1000);
    assert_int_equal(pending(PEER_G_CFG_ABORT), 1);
    cfgsync_tick(&M(1)->cs, time_mono_ms() + 7200 * 1000); /* sent once */
    assert_int_equal(pending(PEER_G_CFG_ABORT), 1);
    deliver_all();
    for (uint32_t n = 1; n <= 2; n++)
        assert_int_equal(M(n)->aborted, 1);
    assert_int_equal(M(1)->done_failed, 1);
    assert_int_equal(M(1)->done_id, id);
    assert_string_equal(M(1)->done_msg,
                        "n2 did not stop the changed groups in time; nothing was changed");
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    assert_nothing_applied(BASE);
}

static void test_acknowledgement_missing(void **state)
{
    char *err = NULL;
    uint64_t id = cfgsync_apply(&M(1)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    while (M(1)->activated == 0 && deliver_one())
        ;
    /* n2's acknowledgement is held back; n1's own arrives. */
    json_t *held = json_deep_copy(queue);
    assert_int_equal(drop(2, PEER_G_CFG_ACK), 1);
    deliver_all();
    assert_int_equal(M(1)->done_ok + M(1)->done_failed, 0);
    cfgsync_tick(&M(1)->cs, time_mono_ms());
    assert_int_equal(M(1)->done_ok + M(1)->done_failed, 0);
    cfgsync_tick(&M(1)->cs, time_mono_ms() + CFGSYNC_ACK_TIMEOUT_MS + 1000);
    assert_int_equal(M(1)->done_failed, 1);
    assert_int_equal(M(1)->done_id, id);
    assert_int_equal(M(1)->done_version, 2);
    assert_string_equal(M(1)->done_msg, "applied, but n2 did not confirm writing it in time");
    /* It was applied all the same; a late acknowledgement gives no second reply. */
    json_decref(queue);
    queue = held;
    drop(1, PEER_G_CFG_ACK);
    deliver_all();
    assert_int_equal(M(1)->done_failed + M(1)->done_ok, 1);
    for (uint32_t n = 1; n <= 2; n++)
        assert_int_equal(M(n)->cs.cur.version, 2);
}

static void test_member_cannot_write(void **state)
{
    member_start(1, BASE, NULL);
    member_dir(M(2), 2);
    _cleanup_free_ char *lost = xasprintf("%s/n2/gone/vigil.yaml", dir);
    member_start(2, BASE, lost);
    view(N12, 2);
    deliver_all();
    char *err = NULL;
    uint64_t id = cfgsync_apply(&M(1)->cs, WITHDB, &err);
    assert_true(id > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    /* Active everywhere, but the reply says which member could not write it. */
    assert_int_equal(M(2)->activated, 1);
    assert_int_equal(M(1)->done_failed, 1);
    assert_int_equal(M(1)->done_id, id);
    assert_string_equal(M(1)->done_msg,
                        "applied, but n2 cannot write it: No such file or directory");
    char from[64];
    assert_int_equal(recorded_version(2, from), 1);
    assert_int_equal(recorded_version(1, from), 2);
}

/* n1 and n2 apply version 2 (WITHDB) while n3 is down; then n3 starts with BASE. */
static void apply_while_n3_is_down(void)
{
    char *err = NULL;
    assert_true(cfgsync_apply(&M(1)->cs, WITHDB, &err) > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    assert_int_equal(M(1)->done_ok, 1);
    member_start(3, BASE, NULL);
}

/* A node that was down while a version was applied takes it over from the lowest holder. */
static void test_late_node_catches_up(void **state)
{
    apply_while_n3_is_down();
    assert_int_equal(M(3)->cs.cur.version, 1);
    view(N123, 3);
    deliver_all();
    /* n3 is behind: n1 sent it version 2 and nobody else prepares anything. */
    assert_int_equal(M(3)->prepared, 1);
    assert_int_equal(M(3)->prepared_groups, 2);
    assert_int_equal(M(1)->prepared + M(2)->prepared, 2);
    assert_int_equal(M(3)->refused, 0);
    assert_string_equal(state_of(3), "taking over");
    assert_true(cfgsync_blocked(&M(1)->cs));
    assert_string_equal(state_of(1), "members differ");
    cfgsync_local_ready(&M(3)->cs, true, NULL);
    deliver_all();
    assert_int_equal(M(3)->activated, 1);
    assert_int_equal(M(3)->cs.cur.version, 2);
    assert_int_equal(M(3)->cfg->n_groups, 2);
    assert_file(3, WITHDB);
    char from[64];
    assert_int_equal(recorded_version(3, from), 2);
    assert_string_equal(from, "n1");
    char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
    _cleanup_free_ char *want_ev =
        xasprintf("configuration version 2 (sha256 %s) taken over from the cluster (was version 1 "
                  "(sha256 %s)): group db added",
                  short_hash(WITHDB, h2), short_hash(BASE, h1));
    _cleanup_free_ char *ev = last_event(3, "config_changed");
    assert_non_null(ev);
    assert_string_equal(ev, want_ev);
    for (uint32_t n = 1; n <= 3; n++) {
        assert_false(cfgsync_blocked(&M(n)->cs));
        assert_string_equal(state_of(n), "in sync");
        assert_int_equal(M(n)->aborted + M(n)->refused, 0);
    }
    /* No reply for a catch-up: nobody asked for it. */
    assert_int_equal(M(3)->done_ok + M(3)->done_failed, 0);
    assert_int_equal(M(1)->done_ok, 1);
}

/* Node id learns that its partition is quorate (or not), after the view. */
static void set_quorate(uint32_t id, bool quorate, size_t n)
{
    struct engine_quorum q = {.quorate = quorate,
                              .total_votes = (uint32_t)n,
                              .expected_votes = (uint32_t)n,
                              .needed_votes = (uint32_t)n / 2 + 1};
    cluster_apply_quorum(&M(id)->cl, &q);
    cfgsync_quorum(&M(id)->cs);
}

/*
 * A joining node may learn its partition's quorum after the holder, which
 * decides and sends the configuration at once: the joiner keeps it and takes
 * it once it decides (found by the lab: the catch-up was dropped, and the
 * cluster stayed "members differ" for good).
 */
static void test_late_node_takes_a_catch_up_that_came_before_its_quorum(void **state)
{
    apply_while_n3_is_down();
    view(N123, 3);
    set_quorate(3, false, 3);
    deliver_all();
    /* n1 decided and sent version 2 to n3, which had not decided yet. */
    assert_int_equal(M(3)->prepared, 0);
    assert_int_equal(M(3)->cs.cur.version, 1);
    set_quorate(3, true, 3);
    assert_int_equal(M(3)->prepared, 1);
    cfgsync_local_ready(&M(3)->cs, true, NULL);
    deliver_all();
    assert_int_equal(M(3)->activated, 1);
    assert_int_equal(M(3)->cs.cur.version, 2);
    for (uint32_t n = 1; n <= 3; n++) {
        assert_false(cfgsync_blocked(&M(n)->cs));
        assert_string_equal(state_of(n), "in sync");
    }
}

/* A node whose file was edited by hand is refused, with a message naming both versions. */
static void test_edited_file_refused(void **state)
{
    const char *edited = BASE "# edited on n2\n";
    member_start(1, BASE, NULL);
    seed_record(2, 1, BASE);
    member_start(2, edited, NULL);
    assert_true(M(2)->cs.cur.edited);
    view(N12, 2);
    deliver_all();
    assert_int_equal(M(2)->refused, 1);
    assert_int_equal(M(1)->refused, 0);
    char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
    short_hash(BASE, h1);
    short_hash(edited, h2);
    _cleanup_free_ char *want = xasprintf(
        "this node's %s is version 1 (sha256 %s, edited by hand), but the cluster runs version 1 "
        "(sha256 %s) (held by n1). A file edited by hand is never taken over silently: apply the "
        "change from a member with `vigil config apply`, or restore the file (vigil config show "
        "on n1 prints the cluster's), then start vigild again",
        M(2)->path, h2, h1);
    assert_string_equal(M(2)->refused_msg, want);
    assert_string_equal(state_of(2), "refused");
    assert_true(cfgsync_blocked(&M(2)->cs));
    /* The others say why, and wait while it is a member. */
    _cleanup_free_ char *want_ev = xasprintf(
        "n2 refused: its configuration is version 1 (sha256 %s, edited by hand) but the cluster "
        "runs version 1 (sha256 %s) from n1",
        h2, h1);
    _cleanup_free_ char *ev = last_event(1, "config_mismatch");
    assert_non_null(ev);
    assert_string_equal(ev, want_ev);
    assert_true(cfgsync_blocked(&M(1)->cs));
    assert_string_equal(state_of(1), "members differ");
    /* Nothing taken over: n2's file is as the admin left it. */
    assert_file(2, edited);
    assert_int_equal(M(2)->prepared + M(2)->activated, 0);
    /* Once n2 left, n1 goes on alone. */
    view(N1, 1);
    deliver_all();
    assert_false(cfgsync_blocked(&M(1)->cs));
    assert_string_equal(state_of(1), "in sync");
    assert_int_equal(M(1)->cs.cur.version, 1);
}

/* The same hand edit on every member (then a restart everywhere) becomes the next version. */
static void test_same_edit_everywhere_is_the_next_version(void **state)
{
    const char *edited = BASE "# edited everywhere\n";
    seed_record(1, 4, BASE);
    seed_record(2, 4, BASE);
    member_start(1, edited, NULL);
    member_start(2, edited, NULL);
    view(N12, 2);
    deliver_all();
    char from[64];
    for (uint32_t n = 1; n <= 2; n++) {
        assert_int_equal(M(n)->refused, 0);
        assert_int_equal(M(n)->cs.cur.version, 5);
        assert_false(M(n)->cs.cur.edited);
        assert_false(cfgsync_blocked(&M(n)->cs));
        assert_int_equal(recorded_version(n, from), 5);
        assert_string_equal(from, "n1");
        char *text = NULL;
        assert_int_equal(cfgstore_read_version(M(n)->dir, 5, &text), 0);
        assert_string_equal(text, edited);
        free(text);
    }
}

static void test_two_applies_at_once(void **state)
{
    char *err = NULL;
    uint64_t a = cfgsync_apply(&M(1)->cs, WITHDB, &err);
    uint64_t b = cfgsync_apply(&M(2)->cs, BASE "# another\n", &err);
    assert_true(a > 0 && b > 0);
    deliver_all();
    /* The second in agreed order is refused to its sender; nobody prepares it. */
    assert_int_equal(M(2)->done_failed, 1);
    assert_int_equal(M(2)->done_id, b);
    assert_string_equal(M(2)->done_msg, "another configuration change is under way");
    assert_int_equal(M(1)->prepared + M(2)->prepared, 2);
    assert_int_equal(M(1)->prepared_groups, 2);
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    /* Whatever became of the first, every member ends on one same version. */
    assert_int_equal(M(1)->done_ok + M(1)->done_failed, 1);
    assert_int_equal(M(2)->done_ok + M(2)->done_failed, 1);
    assert_int_equal(M(1)->cs.cur.version, M(2)->cs.cur.version);
    assert_string_equal(M(1)->cs.cur.sha256, M(2)->cs.cur.sha256);
    assert_false(cfgsync_blocked(&M(1)->cs));
}

/* ---- on a real loop: the writes run on its thread pool ---- */

static uv_loop_t the_loop;

static int setup_two_on_a_loop(void **state)
{
    uv_loop_init(&the_loop);
    member_loop = &the_loop;
    return setup_two(state);
}

static int teardown_loop(void **state)
{
    for (uint32_t id = 1; id <= MAXM; id++)
        member_stop(M(id));
    uv_run(member_loop, UV_RUN_DEFAULT); /* writes detached by cfgsync_done end */
    int r = uv_loop_close(member_loop);
    member_loop = NULL;
    json_decref(queue);
    queue = NULL;
    return teardown_dir(state) < 0 || r != 0 ? -1 : 0;
}

static bool settled(uint32_t id)
{
    return M(id)->done_ok + M(id)->done_failed > 0;
}

/*
 * Two applies back to back: n2 applies version 3 as soon as version 2 is
 * active, while version 2 is still being written. Each node writes one
 * version at a time, the newer last; every acknowledgement waits for its
 * version (or the newer one) on disk.
 */
static void test_applies_back_to_back_on_a_loop(void **state)
{
    char *err = NULL;
    uint64_t a = cfgsync_apply(&M(1)->cs, WITHDB, &err);
    assert_true(a > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    for (uint32_t n = 1; n <= 2; n++)
        assert_int_equal(M(n)->cs.cur.version, 2);
    /* Written on the thread pool: nobody acknowledged before its write ended. */
    assert_int_equal(pending(PEER_G_CFG_ACK), 0);
    uint64_t b = cfgsync_apply(&M(2)->cs, BASE, &err);
    assert_true(b > 0);
    deliver_all();
    cfgsync_local_ready(&M(1)->cs, true, NULL);
    cfgsync_local_ready(&M(2)->cs, true, NULL);
    deliver_all();
    for (uint32_t n = 1; n <= 2; n++)
        assert_int_equal(M(n)->cs.cur.version, 3);
    for (int i = 0; i < 10000 && !(settled(1) && settled(2)); i++) {
        uv_run(member_loop, UV_RUN_NOWAIT);
        deliver_all();
        usleep(1000);
    }
    assert_int_equal(M(1)->done_ok, 1);
    assert_int_equal(M(1)->done_id, a);
    assert_int_equal(M(1)->done_version, 2);
    assert_int_equal(M(2)->done_ok, 1);
    assert_int_equal(M(2)->done_id, b);
    assert_int_equal(M(2)->done_version, 3);
    assert_string_equal(M(2)->done_msg, "written by every member");
    char from[64];
    for (uint32_t n = 1; n <= 2; n++) {
        assert_int_equal(M(n)->done_failed, 0);
        assert_file(n, BASE);
        _cleanup_free_ char *bak = xasprintf("%s.bak", M(n)->path);
        char *buf = slurp(bak);
        assert_string_equal(buf, WITHDB);
        free(buf);
        assert_int_equal(recorded_version(n, from), 3);
        assert_string_equal(from, "n2");
        char *text = NULL;
        assert_int_equal(cfgstore_read_version(M(n)->dir, 2, &text), 0);
        assert_string_equal(text, WITHDB);
        free(text);
        assert_int_equal(cfgstore_read_version(M(n)->dir, 3, &text), 0);
        assert_string_equal(text, BASE);
        free(text);
    }
}

/* cfgsync_done with a write in flight: the write lands, nothing calls back into the freed state. */
static void test_done_with_a_write_in_flight(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct cfg *cfg = load(BASE);
    struct eventlog *events = eventlog_new(10);
    struct cluster cl;
    cluster_init(&cl, cfg, events);
    _cleanup_free_ char *path = xasprintf("%s/vigil.yaml", dir);
    assert_int_equal(write_file_atomic(path, BASE, strlen(BASE), 0644), 0);
    struct cfgsync *cs = xcalloc(1, sizeof(*cs));
    char *err = NULL;
    assert_int_equal(cfgsync_init(cs, &loop, &cl, cfg, path, BASE, dir, NULL, NULL, &err), 0);
    assert_true(statewrite_pending(cs->sw)); /* the first record, on the thread pool */
    cfgsync_done(cs);
    free(cs); /* a callback now would touch freed memory (ASan) */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    struct cfgstore_rec rec;
    assert_int_equal(cfgstore_load(dir, &rec, &err), 0);
    assert_int_equal(rec.version, 1);
    cluster_done(&cl);
    eventlog_free(events);
    cfg_free(cfg);
}

static void test_apply_refused_locally(void **state)
{
    char *err = NULL;
    /* Too large to replicate. */
    size_t big = CFGSYNC_MAX_TEXT + 1;
    char *text = xmalloc(big + 1);
    memset(text, '#', big);
    text[big] = 0;
    assert_int_equal(cfgsync_apply(&M(1)->cs, text, &err), 0);
    free(text);
    _cleanup_free_ char *want = xasprintf(
        "the configuration is %zu bytes; at most %u can be replicated", big, CFGSYNC_MAX_TEXT);
    assert_string_equal(err, want);
    free(err);
    /* Without quorum. */
    struct engine_quorum q = {
        .quorate = false, .total_votes = 1, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&M(1)->cl, &q);
    cfgsync_quorum(&M(1)->cs);
    assert_int_equal(cfgsync_apply(&M(1)->cs, WITHDB, &err), 0);
    assert_string_equal(err, "this node's partition has no quorum: nothing can be applied");
    free(err);
    assert_int_equal(json_array_size(queue), 0);
    assert_int_equal(M(1)->cs.next_id, 0);
}

static void test_check(void **state)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *next = NULL;
    struct cfg_diff diff;
    char *err = NULL;
    /* A valid change: what it does. */
    assert_int_equal(cfgsync_check(&M(1)->cs, WITHDB, "new.yaml", 0, &d, &next, &diff, &err), 0);
    assert_int_equal(next->n_groups, 2);
    assert_int_equal(cfg_diff_n_changed(&diff), 1);
    assert_int_equal(diff.groups[1].change, CFG_CHANGE_ADDED);
    assert_string_equal(diff.groups[1].name, "db");
    assert_int_equal(d.n_errors, 0);
    cfg_diff_clear(&diff);
    cfg_free(next);
    cfg_diags_clear(&d);
    next = NULL;
    /* Sections that cannot change on a running cluster. */
    const char *moved = "cluster: {name: other}\n"
                        "networks: [{name: priv}]\n"
                        "nodes:\n"
                        "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                        "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
                        "  - {name: n3, id: 3, addresses: {priv: 192.0.2.33}}\n" WEB;
    assert_int_equal(cfgsync_check(&M(1)->cs, moved, "new.yaml", 0, &d, &next, &diff, &err),
                     -EPERM);
    assert_null(next);
    assert_string_equal(err, "new.yaml changes cluster.name, nodes, which cannot change while the "
                             "cluster runs: stop vigild on every node, put the same file on "
                             "every node, then start them again");
    free(err);
    err = NULL;
    cfg_diags_clear(&d);
    /* An invalid file: the diagnostics of vigil verify. */
    assert_int_equal(
        cfgsync_check(&M(1)->cs, NODES "groups: 7\n", "new.yaml", 0, &d, &next, &diff, &err),
        -EINVAL);
    assert_null(next);
    assert_null(err);
    assert_true(d.n_errors > 0);
    assert_string_equal(d.v[0].file, "new.yaml");
    assert_int_equal(d.v[0].line, 7);
    assert_string_equal(d.v[0].msg, "groups must be a list of groups (- name: NAME, domain: "
                                    "[NODES], resources: [RESOURCES]), not '7'");
    cfg_diags_clear(&d);
}

/* ---- malformed messages ---- */

#define H64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_malformed_messages(void **state)
{
    struct cfgsync *cs = &M(1)->cs;
    char th[SHA256_HEX_LEN + 1];
    sha256_hex("t", 1, th);
    _cleanup_free_ char *sync_for_str = xasprintf(
        "{\"version\":5,\"sha256\":\"%s\",\"mode\":\"sync\",\"text\":\"t\",\"for\":\"n1\"}", th);
    _cleanup_free_ char *sync_no_for =
        xasprintf("{\"version\":5,\"sha256\":\"%s\",\"mode\":\"sync\",\"text\":\"t\"}", th);
    _cleanup_free_ char *apply_no_id =
        xasprintf("{\"version\":2,\"sha256\":\"%s\",\"mode\":\"apply\",\"text\":\"t\"}", th);
    _cleanup_free_ char *apply_id_zero = xasprintf(
        "{\"version\":2,\"sha256\":\"%s\",\"mode\":\"apply\",\"text\":\"t\",\"id\":0}", th);
    _cleanup_free_ char *mismatch =
        xasprintf("the text's sha256 is %.12s, not aaaaaaaaaaaa as announced", th);
    _cleanup_free_ char *too_long =
        xasprintf("'text' must be a string of at most %u bytes", CFGSYNC_MAX_TEXT);
    const struct {
        enum peer_group_kind kind;
        uint32_t from;
        const char *body;
        const char *want;
    } cases[] = {
        {PEER_G_CFG_VER, 2, "{}", "'version' must be a positive integer"},
        {PEER_G_CFG_VER, 2, "{\"version\":-3,\"sha256\":\"" H64 "\"}",
         "'version' must be a positive integer"},
        {PEER_G_CFG_VER, 2, "{\"version\":0,\"sha256\":\"" H64 "\"}",
         "'version' must be a positive integer"},
        {PEER_G_CFG_VER, 2, "{\"version\":\"3\",\"sha256\":\"" H64 "\"}",
         "'version' must be a positive integer"},
        {PEER_G_CFG_VER, 2, "{\"version\":1.5,\"sha256\":\"" H64 "\"}",
         "'version' must be a positive integer"},
        {PEER_G_CFG_VER, 2, "{\"version\":1}", "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CFG_VER, 2, "{\"version\":1,\"sha256\":\"abc\"}",
         "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CFG_VER, 2, "{\"version\":1,\"sha256\":\"" H64 "a\"}",
         "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CFG_VER, 2,
         "{\"version\":1,\"sha256\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
         "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CFG_VER, 2,
         "{\"version\":1,\"sha256\":"
         "\"gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\"}",
         "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CFG_VER, 2, "{\"version\":1,\"sha256\":7}",
         "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CFG_VER, 2, "{\"version\":1,\"sha256\":\"" H64 "\",\"edited\":1}",
         "'edited' must be true or false"},
        {PEER_G_CFG_VER, 2, "{\"version\":1,\"sha256\":\"" H64 "\",\"edited\":\"no\"}",
         "'edited' must be true or false"},
        {PEER_G_CFG_VER, 9, "{\"version\":1,\"sha256\":\"" H64 "\"}",
         "a version from unknown node id 9"},
        {PEER_G_CONFIG, 2, "{\"sha256\":\"" H64 "\",\"mode\":\"apply\",\"text\":\"t\",\"id\":1}",
         "'version' must be a positive integer"},
        {PEER_G_CONFIG, 2, "{\"version\":2,\"mode\":\"apply\",\"text\":\"t\",\"id\":1}",
         "'sha256' must be 64 lowercase hex digits"},
        {PEER_G_CONFIG, 2,
         "{\"version\":2,\"sha256\":\"" H64 "\",\"mode\":\"x\",\"text\":\"t\",\"id\":1}",
         "'mode' must be \"apply\" or \"sync\""},
        {PEER_G_CONFIG, 2, "{\"version\":2,\"sha256\":\"" H64 "\",\"text\":\"t\",\"id\":1}",
         "'mode' must be \"apply\" or \"sync\""},
        {PEER_G_CONFIG, 2, "{\"version\":2,\"sha256\":\"" H64 "\",\"mode\":\"apply\",\"id\":1}",
         too_long},
        {PEER_G_CONFIG, 2,
         "{\"version\":2,\"sha256\":\"" H64 "\",\"mode\":\"apply\",\"text\":[\"t\"],\"id\":1}",
         too_long},
        {PEER_G_CONFIG, 2,
         "{\"version\":2,\"sha256\":\"" H64 "\",\"mode\":\"apply\",\"text\":\"t\",\"id\":1}",
         mismatch},
        {PEER_G_CONFIG, 2,
         "{\"version\":2,\"sha256\":\"" H64 "\",\"mode\":\"sync\",\"text\":\"t\",\"for\":[\"n1\"]}",
         mismatch},
        {PEER_G_CONFIG, 2, apply_no_id, "'id' must be a positive integer"},
        {PEER_G_CONFIG, 2, apply_id_zero, "'id' must be a positive integer"},
        {PEER_G_CONFIG, 2, sync_for_str, "'for' must be a list of node names"},
        {PEER_G_CONFIG, 2, sync_no_for, "'for' must be a list of node names"},
        {PEER_G_CFG_READY, 2, "{\"ok\":true}", "'version' must be a positive integer"},
        {PEER_G_CFG_READY, 2, "{\"version\":2}", "'ok' must be true or false"},
        {PEER_G_CFG_READY, 2, "{\"version\":2,\"ok\":\"yes\"}", "'ok' must be true or false"},
        {PEER_G_CFG_READY, 2, "{\"version\":2,\"ok\":1}", "'ok' must be true or false"},
        {PEER_G_CFG_ACK, 2, "{\"version\":0,\"ok\":true}", "'version' must be a positive integer"},
        {PEER_G_CFG_ABORT, 2, "{\"reason\":\"x\"}", "'version' must be a positive integer"},
        {PEER_G_REPORT, 2, "{}", "not a configuration message"},
        {PEER_G_NODE_STOP, 2, "{}", "not a configuration message"},
    };
    unsigned changed = M(1)->changed;
    json_t *before = cfgsync_node_json(cs, 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = json_loads(cases[i].body, 0, NULL);
        if (!body)
            fail_msg("case %zu: not JSON", i);
        char *err = NULL;
        int r = cfgsync_deliver(cs, cases[i].from, cases[i].kind, body, &err);
        if (r != -EINVAL || !err || strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: got %d '%s', want '%s'", i, r, err ? err : "(none)", cases[i].want);
        free(err);
        json_decref(body);
    }
    /* Nothing changed: no hook fired, nothing sent, n2's version as it was. */
    assert_int_equal(json_array_size(queue), 0);
    assert_int_equal(M(1)->changed, changed);
    assert_int_equal(M(1)->prepared + M(1)->activated + M(1)->aborted + M(1)->refused, 0);
    assert_int_equal(M(1)->done_ok + M(1)->done_failed, 0);
    assert_int_equal(cs->cur.version, 1);
    assert_false(cfgsync_blocked(cs));
    json_t *after = cfgsync_node_json(cs, 1);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
}

/* Well-formed messages that are not for this node, or about nothing under way. */
static void test_stray_messages_ignored(void **state)
{
    struct cfgsync *cs = &M(1)->cs;
    char hx[SHA256_HEX_LEN + 1];
    sha256_hex(WITHDB, strlen(WITHDB), hx);
    json_t *text = json_string(WITHDB);
    json_t *msgs[] = {
        /* A catch-up for other nodes, or for an unknown one. */
        json_pack("{s:I, s:s, s:s, s:O, s:[s, s]}", "version", (json_int_t)5, "sha256", hx, "mode",
                  "sync", "text", text, "for", "n2", "n3"),
        json_pack("{s:I, s:s, s:s, s:O, s:[i, s]}", "version", (json_int_t)5, "sha256", hx, "mode",
                  "sync", "text", text, "for", 1, "n9"),
        /* Readiness, acknowledgement and abort of applies not under way. */
        json_pack("{s:I, s:b}", "version", (json_int_t)9, "ok", true),
        json_pack("{s:I, s:b, s:s}", "version", (json_int_t)2, "ok", false, "error", "x"),
        json_pack("{s:I, s:b}", "version", (json_int_t)2, "ok", true),
        json_pack("{s:I, s:s}", "version", (json_int_t)2, "reason", "gave up"),
    };
    enum peer_group_kind kinds[] = {PEER_G_CONFIG,    PEER_G_CONFIG,  PEER_G_CFG_READY,
                                    PEER_G_CFG_READY, PEER_G_CFG_ACK, PEER_G_CFG_ABORT};
    json_decref(text);
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        char *err = NULL;
        if (cfgsync_deliver(cs, 2, kinds[i], msgs[i], &err) != 0)
            fail_msg("message %zu refused: %s", i, err);
        assert_null(err);
        json_decref(msgs[i]);
    }
    /* A catch-up naming this node with the content it already runs. */
    char hb[SHA256_HEX_LEN + 1];
    sha256_hex(BASE, strlen(BASE), hb);
    json_t *same = json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "version", (json_int_t)1, "sha256", hb,
                             "mode", "sync", "text", BASE, "for", "n1");
    char *err = NULL;
    assert_int_equal(cfgsync_deliver(cs, 2, PEER_G_CONFIG, same, &err), 0);
    json_decref(same);
    assert_int_equal(json_array_size(queue), 0);
    assert_int_equal(M(1)->prepared + M(1)->activated + M(1)->aborted + M(1)->refused, 0);
    assert_int_equal(M(1)->done_ok + M(1)->done_failed, 0);
    assert_int_equal(cs->cur.version, 1);
    assert_false(cfgsync_blocked(cs));
    assert_string_equal(state_of(1), "in sync");
}

/* An apply made against another version than the members run is refused by every member. */
static void test_apply_for_another_version(void **state)
{
    char hx[SHA256_HEX_LEN + 1];
    sha256_hex(WITHDB, strlen(WITHDB), hx);
    json_t *b = json_pack("{s:s, s:I, s:s, s:s, s:I}", "mode", "apply", "version", (json_int_t)7,
                          "sha256", hx, "text", WITHDB, "id", (json_int_t)4);
    for (uint32_t n = 1; n <= 2; n++) {
        char *err = NULL;
        assert_int_equal(cfgsync_deliver(&M(n)->cs, 2, PEER_G_CONFIG, b, &err), 0);
    }
    json_decref(b);
    /* n2 sent it: its reply; n1 says it cannot take it. */
    assert_int_equal(M(2)->done_failed, 1);
    assert_int_equal(M(2)->done_id, 4);
    assert_int_equal(M(2)->done_version, 7);
    assert_string_equal(M(2)->done_msg,
                        "it was made against another version than this member runs");
    assert_int_equal(pending(PEER_G_CFG_READY), 1);
    uint32_t from;
    enum peer_group_kind kind;
    json_t *ready = queue_get(0, &from, &kind);
    assert_int_equal(from, 1);
    assert_true(json_is_false(json_object_get(ready, "ok")));
    assert_int_equal(json_integer_value(json_object_get(ready, "version")), 7);
    assert_string_equal(json_string_value(json_object_get(ready, "error")),
                        "it was made against another version than this member runs");
    deliver_all();
    assert_int_equal(M(1)->prepared + M(2)->prepared, 0);
    assert_nothing_applied(BASE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_store_write_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_store_damaged_record, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_init_first_run, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_init_recorded, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_init_edited_by_hand, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_init_damaged_record, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_in_sync_at_start, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_blocked_until_versions_known, setup_queue,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_apply_between_two_members, setup_two,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_apply_among_three, setup_three, teardown_members),
        cmocka_unit_test_setup_teardown(test_member_that_cannot_take_it_aborts, setup_two,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_membership_change_abandons_an_apply, setup_two,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_member_not_ready_in_time, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_acknowledgement_missing, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_member_cannot_write, setup_queue, teardown_members),
        cmocka_unit_test_setup_teardown(test_late_node_takes_a_catch_up_that_came_before_its_quorum,
                                        setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_late_node_catches_up, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_edited_file_refused, setup_queue, teardown_members),
        cmocka_unit_test_setup_teardown(test_same_edit_everywhere_is_the_next_version, setup_queue,
                                        teardown_members),
        cmocka_unit_test_setup_teardown(test_two_applies_at_once, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_applies_back_to_back_on_a_loop, setup_two_on_a_loop,
                                        teardown_loop),
        cmocka_unit_test_setup_teardown(test_done_with_a_write_in_flight, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_apply_refused_locally, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_check, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_malformed_messages, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_stray_messages_ignored, setup_two, teardown_members),
        cmocka_unit_test_setup_teardown(test_apply_for_another_version, setup_two,
                                        teardown_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
