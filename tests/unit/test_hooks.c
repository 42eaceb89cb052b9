/*
 * Hooks (src/daemon/hooks.c) with a real libuv loop and small shell scripts:
 * events reach a hook in order with their variables and JSON, never two at
 * once for one hook; a hanging hook is killed at its timeout and a failing one
 * stops nothing; filters, where a hook runs, the queue bound, a new
 * configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/log.h"
#include "base/util.h"
#include "daemon/cluster.h"
#include "daemon/hooks.h"

static char dir[64];
static uv_loop_t loop;

static int setup(void **state)
{
    uv_loop_init(&loop);
    snprintf(dir, sizeof(dir), "/tmp/vigil-hooks-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void write_script(const char *name, const char *body)
{
    _cleanup_free_ char *path = path_of(name);
    _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0755), 0);
}

static char *slurp(const char *name)
{
    _cleanup_free_ char *path = path_of(name);
    char *buf = NULL;
    size_t len;
    if (read_file(path, 1 << 20, &buf, &len) < 0)
        return xstrdup("");
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void on_deadline(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

/*
 * Turns the loop until name has at least lines lines and every one of the
 * NULL-terminated needles (or 30 s pass).
 */
static char *wait_file(const char *name, size_t lines, const char *const *needles)
{
    bool late = false;
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &late;
    uv_timer_start(&t, on_deadline, 30000, 0);
    char *s = NULL;
    for (;;) {
        free(s);
        s = slurp(name);
        bool all = count_lines(s) >= lines;
        for (size_t i = 0; all && needles && needles[i]; i++)
            all = strstr(s, needles[i]) != NULL;
        if (all || late)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return s;
}

static char *wait_lines(const char *name, size_t lines)
{
    return wait_file(name, lines, NULL);
}

/* vigild's log (stderr) goes to the file "log" of the test's directory until log_release. */
static int saved_stderr = -1;

static void log_capture(void)
{
    log_init("vigild", LOG_LVL_DEBUG, false);
    fflush(stderr);
    saved_stderr = dup(2);
    _cleanup_free_ char *path = path_of("log");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved_stderr >= 0);
    dup2(fd, 2);
    close(fd);
}

static char *log_release(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    return slurp("log");
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static struct cfg *load(const char *hooks)
{
    _cleanup_free_ char *text =
        xasprintf("cluster: {name: hk}\nnetworks: [{name: priv}]\nnodes:\n"
                  "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                  "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\nhooks:\n%s",
                  hooks);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    if (cfg_load_string(text, strlen(text), "h.yaml", 0, &c, &d) != 0)
        cfg_diags_print(&d, stderr);
    assert_non_null(c);
    cfg_diags_clear(&d);
    return c;
}

/* Events point at these (struct event's strings are not const). */
static char s_n1[] = "n1", s_n2[] = "n2", s_web[] = "web",
            s_msg[] = "group web moved from n2 to n1";

static struct event ev_of(enum event_type type, uint64_t seq, char *node, char *group, char *msg)
{
    static char empty[] = "";
    return (struct event){.seq = seq,
                          .ts_ms = 1795341600123,
                          .type = type,
                          .node = node,
                          .group = group,
                          .duration_ms = -1,
                          .message = msg ? msg : empty};
}

/* In order, one at a time, with the variables and the JSON. */
static void test_order_variables_and_json(void **state)
{
    write_script("rec", "echo \"start $VIGIL_SEQ $VIGIL_EVENT node=$VIGIL_NODE "
                        "group=$VIGIL_GROUP hook=$VIGIL_HOOK local=$VIGIL_LOCAL_NODE "
                        "cluster=$VIGIL_CLUSTER mail=$MAIL_TO\" >> \"$1/rec.log\"\n"
                        "cat > \"$1/stdin.$VIGIL_SEQ\"\n"
                        "sleep 0.2\n"
                        "echo \"end $VIGIL_SEQ\" >> \"$1/rec.log\"");
    _cleanup_free_ char *hooks = xasprintf("  - name: rec\n    command: [%s/rec, %s]\n"
                                           "    events: [node_lost, group_moved]\n"
                                           "    environment: {MAIL_TO: ops}\n",
                                           dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    struct event a = ev_of(EV_NODE_LEFT, 7, s_n2, NULL, NULL);
    struct event b = ev_of(EV_GROUP_MOVED, 8, s_n1, s_web, s_msg);
    struct event skip = ev_of(EV_GROUP_STARTED, 9, s_n1, s_web, NULL);
    struct event c3 = ev_of(EV_NODE_LEFT, 10, s_n2, NULL, NULL);
    hooks_event(h, &a, true, true);
    hooks_event(h, &b, false, true);
    hooks_event(h, &skip, false, true);
    hooks_event(h, &c3, false, true); /* node_left, not node_lost: not asked for */
    _cleanup_free_ char *log = wait_lines("rec.log", 4);
    assert_string_equal(log, "start 7 node_lost node=n2 group= hook=rec local=n1 cluster=hk "
                             "mail=ops\nend 7\n"
                             "start 8 group_moved node=n1 group=web hook=rec local=n1 cluster=hk "
                             "mail=ops\nend 8\n");
    _cleanup_free_ char *in = slurp("stdin.8");
    json_t *j = json_loads(in, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "group_moved");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "group_moved");
    assert_string_equal(json_string_value(json_object_get(j, "group")), "web");
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "group web moved from n2 to n1");
    assert_string_equal(json_string_value(json_object_get(j, "local_node")), "n1");
    json_decref(j);
    hooks_free(h);
    cfg_free(c);
}

/*
 * The whole environment of a run, exactly: PATH, the hook's own variables,
 * every VIGIL_ variable; nothing of vigild's environment (HOME, ...).
 */
static void test_exact_environment(void **state)
{
    setenv("VIGIL_TEST_LEAK", "from vigild", 1);
    /* sh adds PWD (and some shells SHLVL, _) of its own: not from vigild. */
    write_script("env", "env | grep -v -E '^(PWD|OLDPWD|SHLVL|_)=' | LC_ALL=C sort "
                        "> \"$1/env.$VIGIL_HOOK.$VIGIL_SEQ\"");
    _cleanup_free_ char *hooks =
        xasprintf("  - name: env\n    command: [%s/env, %s]\n    events: [all]\n"
                  "    environment: {MAIL_TO: ops, VIGIL_MAIL_TO: root@example.org}\n"
                  "  - name: path\n    command: [%s/env, %s]\n    events: [admin]\n"
                  "    environment: {PATH: /opt/vigil/bin:/usr/bin:/bin}\n",
                  dir, dir, dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    static char res[] = "vip", net[] = "priv", msg[] = "resource vip of web failed: gone";
    struct event e = ev_of(EV_RESOURCE_FAILED, 41, s_n2, s_web, msg);
    e.resource = res;
    e.network = net;
    e.duration_ms = 1500;
    hooks_event(h, &e, false, true);
    _cleanup_free_ char *env = wait_lines("env.env.41", 17);
    assert_string_equal(env, "MAIL_TO=ops\n"
                             "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
                             "VIGIL_CLUSTER=hk\n"
                             "VIGIL_DURATION_MS=1500\n"
                             "VIGIL_EVENT=resource_failed\n"
                             "VIGIL_EVENT_TYPE=resource_failed\n"
                             "VIGIL_GROUP=web\n"
                             "VIGIL_HOOK=env\n"
                             "VIGIL_LOCAL_NODE=n1\n"
                             "VIGIL_MAIL_TO=root@example.org\n"
                             "VIGIL_NETWORK=priv\n"
                             "VIGIL_NODE=n2\n"
                             "VIGIL_REASON=resource vip of web failed: gone\n"
                             "VIGIL_RESOURCE=vip\n"
                             "VIGIL_SEQ=41\n"
                             "VIGIL_TIME=2026-11-22T10:00:00.123Z\n"
                             "VIGIL_TIME_MS=1795341600123\n");
    /* An event without node, group, ...: those are empty; the hook's PATH replaces vigild's. */
    struct event a = ev_of(EV_ADMIN, 42, NULL, NULL, NULL);
    hooks_event(h, &a, false, true);
    _cleanup_free_ char *env2 = wait_lines("env.env.42", 17);
    assert_non_null(strstr(env2, "\nVIGIL_DURATION_MS=\nVIGIL_EVENT=admin\nVIGIL_EVENT_TYPE=admin\n"
                                 "VIGIL_GROUP=\n"));
    assert_non_null(strstr(env2, "\nVIGIL_NETWORK=\nVIGIL_NODE=\nVIGIL_REASON=\n"
                                 "VIGIL_RESOURCE=\nVIGIL_SEQ=42\n"));
    _cleanup_free_ char *path = wait_lines("env.path.42", 15);
    assert_true(strncmp(path, "PATH=/opt/vigil/bin:/usr/bin:/bin\nVIGIL_CLUSTER=hk\n", 51) == 0);
    assert_int_equal(count_of(path, "PATH="), 1);
    assert_int_equal(count_lines(path), 15);
    unsetenv("VIGIL_TEST_LEAK");
    hooks_free(h);
    cfg_free(c);
}

/* node_left also receives the nodes lost; node_lost only those. */
static void test_node_left_and_node_lost(void **state)
{
    write_script("rec", "echo \"$VIGIL_SEQ $VIGIL_EVENT $VIGIL_EVENT_TYPE\" >> \"$1/$2\"");
    _cleanup_free_ char *hooks =
        xasprintf("  - {name: left, command: [%s/rec, %s, left.log], events: [node_left]}\n"
                  "  - {name: lost, command: [%s/rec, %s, lost.log]}\n",
                  dir, dir, dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    struct event clean = ev_of(EV_NODE_LEFT, 1, s_n2, NULL, NULL);
    struct event lost = ev_of(EV_NODE_LEFT, 2, s_n2, NULL, NULL);
    struct event fenced = ev_of(EV_FENCE_SUCCEEDED, 3, s_n2, NULL, NULL);
    hooks_event(h, &clean, false, true);
    hooks_event(h, &lost, true, true);
    hooks_event(h, &fenced, false, true);
    _cleanup_free_ char *left = wait_lines("left.log", 2);
    _cleanup_free_ char *dflt = wait_lines("lost.log", 2);
    assert_string_equal(left, "1 node_left node_left\n2 node_lost node_left\n");
    /* No events: key: the default set has node_lost and node_fenced, not node_left. */
    assert_string_equal(dflt, "2 node_lost node_left\n3 node_fenced fence_succeeded\n");
    hooks_free(h);
    cfg_free(c);
}

/* Past HOOKS_MAX_QUEUE waiting events the oldest go, with one warning per burst. */
static void test_queue_bound(void **state)
{
    write_script("q", "[ \"$VIGIL_SEQ\" = 1 ] && sleep 1\necho \"$VIGIL_SEQ\" >> \"$1/q.log\"");
    _cleanup_free_ char *hooks =
        xasprintf("  - {name: q, command: [%s/q, %s], events: [all]}\n", dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    log_capture();
    /* 1 runs; 2 to 1006 wait: the 5 oldest of them (2 to 6) are dropped. */
    for (uint64_t seq = 1; seq <= HOOKS_MAX_QUEUE + 6; seq++) {
        struct event e = ev_of(EV_ADMIN, seq, NULL, NULL, NULL);
        hooks_event(h, &e, false, true);
    }
    _cleanup_free_ char *q = wait_lines("q.log", HOOKS_MAX_QUEUE + 1);
    _cleanup_free_ char *log = log_release();
    assert_int_equal(count_lines(q), HOOKS_MAX_QUEUE + 1);
    assert_true(strncmp(q, "1\n7\n8\n", 6) == 0);
    assert_non_null(strstr(q, "\n1005\n1006\n"));
    assert_int_equal(
        count_of(log, "warning: hook q: 1000 events wait for it; dropping the oldest\n"), 1);
    assert_int_equal(count_of(log, "warning: hook q: 5 events were dropped while it was behind\n"),
                     1);
    hooks_free(h);
    cfg_free(c);
}

/* A hanging hook is killed at its timeout; a failing one; the next events still run. */
static void test_timeout_and_failure_do_not_block(void **state)
{
    write_script("hang", "echo \"$VIGIL_SEQ\" >> \"$1/hang.log\"\n"
                         "echo $$ > \"$1/pid.$VIGIL_SEQ\"\n"
                         "[ \"$VIGIL_SEQ\" = 1 ] && exec sleep 30\n"
                         "[ \"$VIGIL_SEQ\" = 2 ] && { echo 'pager unreachable' >&2; exit 1; }\n"
                         "exit 0");
    _cleanup_free_ char *hooks = xasprintf(
        "  - {name: hang, command: [%s/hang, %s], events: [all], timeout: 300ms}\n", dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    log_capture();
    for (uint64_t seq = 1; seq <= 3; seq++) {
        struct event e = ev_of(EV_QUORUM_LOST, seq, NULL, NULL, NULL);
        hooks_event(h, &e, false, true);
    }
    /* Within wait_lines' 30 s: the sleep 30 did not hold the queue. */
    _cleanup_free_ char *log = wait_lines("hang.log", 3);
    /* The third run was started: the first is over, reaped, its process gone. */
    _cleanup_free_ char *pid = slurp("pid.1");
    assert_int_equal(kill((pid_t)atoi(pid), 0), -1);
    assert_int_equal(errno, ESRCH);
    /* The third ran to its end: a success, logged at debug level. */
    free(wait_file("log", 0, (const char *const[]){"(event 3): done in ", NULL}));
    _cleanup_free_ char *vlog = log_release();
    assert_string_equal(log, "1\n2\n3\n");
    assert_non_null(
        strstr(vlog, "warning: hook hang: quorum_lost (event 1): timed out after 300ms\n"));
    assert_non_null(strstr(vlog, "warning: hook hang: quorum_lost (event 2): exited with status 1: "
                                 "pager unreachable\n"));
    assert_non_null(strstr(vlog, "debug: hook hang: quorum_lost (event 3): done in "));
    hooks_free(h);
    cfg_free(c);
}

/* Where it runs: a hook for one node per partition runs only there; every_node everywhere. */
static void test_one_node_or_every_node(void **state)
{
    write_script("one", "echo one >> \"$1/where.log\"");
    /* every writes late: had one run too, its line would come first. */
    write_script("every", "sleep 0.3; echo every >> \"$1/where.log\"");
    _cleanup_free_ char *hooks =
        xasprintf("  - {name: one, command: [%s/one, %s], events: [quorum_lost]}\n"
                  "  - {name: every, command: [%s/every, %s], events: [quorum_lost], "
                  "every_node: true}\n",
                  dir, dir, dir, dir);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n2");
    struct event e = ev_of(EV_QUORUM_LOST, 1, NULL, NULL, NULL);
    hooks_event(h, &e, false, false); /* not the node that runs them */
    _cleanup_free_ char *log = wait_lines("where.log", 1);
    assert_string_equal(log, "every\n");
    hooks_free(h);
    cfg_free(c);
}

/* A new configuration: a removed hook's queue goes, a kept one carries on. */
static void test_new_configuration(void **state)
{
    write_script("slow", "echo \"$VIGIL_HOOK $VIGIL_SEQ\" >> \"$1/cfg.log\"; sleep 0.3");
    _cleanup_free_ char *both =
        xasprintf("  - {name: keep, command: [%s/slow, %s], events: [all]}\n"
                  "  - {name: gone, command: [%s/slow, %s], events: [all]}\n",
                  dir, dir, dir, dir);
    _cleanup_free_ char *one = xasprintf("  - {name: keep, command: [%s/slow, %s], events: [all]}\n"
                                         "  - {name: new, command: [%s/slow, %s], events: [all]}\n",
                                         dir, dir, dir, dir);
    struct cfg *c1 = load(both), *c2 = load(one);
    struct hooks *h = hooks_new(&loop, c1, "n1");
    for (uint64_t seq = 1; seq <= 2; seq++) {
        struct event e = ev_of(EV_ADMIN, seq, NULL, NULL, NULL);
        hooks_event(h, &e, false, true);
    }
    hooks_set_cfg(h, c2);
    cfg_free(c1);
    struct event e3 = ev_of(EV_ADMIN, 3, NULL, NULL, NULL);
    hooks_event(h, &e3, false, true);
    _cleanup_free_ char *log =
        wait_file("cfg.log", 4, (const char *const[]){"keep 3\n", "new 3\n", NULL});
    /* keep ran every event; gone's first run was killed before or after it wrote; new
     * started empty. */
    const char *k1 = strstr(log, "keep 1\n"), *k2 = strstr(log, "keep 2\n"),
               *k3 = strstr(log, "keep 3\n");
    assert_true(k1 && k2 && k3 && k1 < k2 && k2 < k3);
    assert_non_null(strstr(log, "new 3\n"));
    assert_null(strstr(log, "gone 2"));
    assert_null(strstr(log, "new 1"));
    assert_null(strstr(log, "new 2"));
    hooks_free(h);
    cfg_free(c2);
}

static void test_event_mapping(void **state)
{
    struct event e = ev_of(EV_NODE_LEFT, 1, s_n2, NULL, NULL);
    assert_int_equal(hooks_event_of(&e, true), CFG_HOOK_NODE_LOST);
    assert_int_equal(hooks_event_of(&e, false), CFG_HOOK_NODE_LEFT);
    e.type = EV_FENCE_CONFIRMED;
    assert_int_equal(hooks_event_of(&e, false), CFG_HOOK_NODE_FENCED);
    e.type = EV_FENCE_FAILED;
    assert_int_equal(hooks_event_of(&e, false), CFG_HOOK_FENCE_FAILED);
    e.type = EV_LINK_DOWN;
    assert_int_equal(hooks_event_of(&e, false), -1);
}

/* The example hooks shipped in examples/hooks, as vigild runs them. */
static void test_example_hooks(void **state)
{
    const char *data = getenv("VIGIL_TEST_DATA"); /* tests/unit/data */
    if (!data)
        skip();
    _cleanup_free_ char *rel = xasprintf("%s/../../../examples/hooks", data);
    _cleanup_free_ char *ex = realpath(rel, NULL);
    assert_non_null(ex);
    _cleanup_free_ char *hooks =
        xasprintf("  - {name: log, command: [%s/log-to-file, %s/events.log], events: [all]}\n"
                  "  - {name: mail, command: [%s/mail, root@example.org], events: [all]}\n",
                  ex, dir, ex);
    struct cfg *c = load(hooks);
    struct hooks *h = hooks_new(&loop, c, "n1");
    log_capture();
    struct event e = ev_of(EV_GROUP_MOVED, 5, s_n1, s_web, s_msg);
    hooks_event(h, &e, false, true);
    _cleanup_free_ char *line = wait_lines("events.log", 1);
    assert_string_equal(line, "2026-11-22T10:00:00.123Z\tgroup_moved\tnode=n1\tgroup=web\t"
                              "resource=\tgroup web moved from n2 to n1\n");
    /* Without a sendmail program the mail hook fails, and says why. */
    bool sendmail =
        access("/usr/sbin/sendmail", X_OK) == 0 || access("/usr/lib/sendmail", X_OK) == 0;
    free(wait_file("log", 0, (const char *const[]){"hook mail: ", NULL}));
    _cleanup_free_ char *vlog = log_release();
    if (!sendmail)
        assert_non_null(strstr(vlog, "warning: hook mail: group_moved (event 5): exited with "
                                     "status 3: mail hook: no sendmail program "
                                     "(/usr/sbin/sendmail): install a mail transfer agent\n"));
    hooks_free(h);
    cfg_free(c);
}

struct seen {
    struct cluster *cl;
    char got[512]; /* "type node lowest-here; ..." per node event */
};

static void on_cluster_event(void *ctx, const struct event *ev)
{
    struct seen *s = ctx;
    if (ev->type != EV_NODE_LEFT && ev->type != EV_NODE_JOINED && ev->type != EV_QUORUM_LOST)
        return;
    size_t used = strlen(s->got);
    snprintf(s->got + used, sizeof(s->got) - used, "%s %s %s; ", event_type_name(ev->type),
             ev->node ? ev->node : "-", cluster_lowest_member_is_local(s->cl) ? "here" : "not");
}

static void apply_view(struct cluster *cl, const uint32_t *members, size_t n, const uint32_t *left,
                       size_t n_left)
{
    enum engine_leave why[8];
    for (size_t i = 0; i < n_left; i++)
        why[i] = ENGINE_LEAVE_NODEDOWN;
    struct engine_view v = {
        .members = members, .n_members = n, .left = left, .left_reason = why, .n_left = n_left};
    cluster_apply_view(cl, &v);
}

/*
 * Where a hook for one node per partition runs: the lowest member of the
 * newest view, already while that view's events are raised (two nodes below
 * this one lost at once: both node_left events run here).
 */
static void test_lowest_member(void **state)
{
    static const char *const yaml = "cluster: {name: hk}\nnetworks: [{name: priv}]\nnodes:\n"
                                    "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
                                    "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
                                    "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n";
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    assert_int_equal(cfg_load_string(yaml, strlen(yaml), "h.yaml", 0, &c, &d), 0);
    cfg_diags_clear(&d);
    struct eventlog *el = eventlog_new(100);
    struct cluster cl;
    cluster_init(&cl, c, el);
    struct seen s = {.cl = &cl};
    eventlog_set_notify(el, on_cluster_event, &s);
    assert_true(cluster_lowest_member_is_local(&cl)); /* nothing known yet */
    cluster_engine_connected(&cl, 3);
    assert_true(cluster_lowest_member_is_local(&cl));
    static const uint32_t all[] = {1, 2, 3}, n3[] = {3}, n23[] = {2, 3}, n12[] = {1, 2}, n1[] = {1};
    apply_view(&cl, all, 3, NULL, 0);
    assert_false(cluster_lowest_member_is_local(&cl));
    apply_view(&cl, n3, 1, n12, 2);
    assert_string_equal(s.got, "node_joined n1 not; node_joined n2 not; node_joined n3 not; "
                               "node_left n1 here; node_left n2 here; ");
    s.got[0] = 0;
    apply_view(&cl, all, 3, NULL, 0);
    apply_view(&cl, n23, 2, n1, 1);
    assert_string_equal(s.got, "node_joined n1 not; node_joined n2 not; node_left n1 not; ");
    /* Without the engine this node is a partition of its own. */
    cluster_engine_lost(&cl, "test");
    assert_true(cluster_lowest_member_is_local(&cl));
    cluster_done(&cl);
    eventlog_free(el);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_variables_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_left_and_node_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_failure_do_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_node_or_every_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_hooks, setup, teardown),
        cmocka_unit_test(test_event_mapping),
        cmocka_unit_test(test_lowest_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
