/*
 * Unit tests for health checks (src/resource/check.c): tcp, http and exec
 * probes against real sockets and programs on the loopback, on a real libuv
 * loop. The health that runs them is tested in test_health.c.
 *
 * The HTTP server is a thread with blocking sockets on 127.0.0.1, one
 * connection per test; nothing leaves the machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "resource/check.h"

static char dir[] = "/tmp/vigil-check-test-XXXXXX";

#include "check_helpers.h"

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- one probe ---- */

struct result {
    int calls;
    bool ok;
    char *reason;
};

static void on_done(void *ctx, bool ok, const char *reason)
{
    struct result *res = ctx;
    res->calls++;
    res->ok = ok;
    free(res->reason);
    res->reason = xstrdup(reason);
}

/* Runs one probe of c to its end on a fresh loop; the callback never comes synchronously. */
static void probe(const struct cfg_check *c, struct result *res)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct check *ck = check_new(&loop, c);
    memset(res, 0, sizeof(*res));
    assert_int_equal(check_run(ck, on_done, res), 0);
    assert_int_equal(res->calls, 0);
    assert_int_equal(check_run(ck, on_done, res), -EBUSY);
    assert_true(check_busy(ck));
    assert_true(run_until(&loop, &res->calls, 1, 30000));
    assert_false(check_busy(ck));
    check_free(ck);
    loop_done(&loop);
    assert_int_equal(res->calls, 1);
}

static void result_free(struct result *res)
{
    free(res->reason);
    res->reason = NULL;
}

/* ---- tcp ---- */

static void test_tcp_connects(void **state)
{
    uint16_t port;
    int fd = tcp_socket(8, &port);
    struct cfg_check c = tcp_check("127.0.0.1", port, 10000);
    struct result res;
    probe(&c, &res);
    assert_true(res.ok);
    assert_string_equal(res.reason, "");
    result_free(&res);

    c.host = "localhost";
    probe(&c, &res);
    assert_true(res.ok);
    result_free(&res);
    close(fd);
}

static void test_tcp_refused(void **state)
{
    uint16_t port;
    int fd = tcp_socket(-1, &port); /* bound, not listening: the port stays ours, and refuses */
    struct cfg_check c = tcp_check("127.0.0.1", port, 10000);
    struct result res;
    probe(&c, &res);
    assert_false(res.ok);
    _cleanup_free_ char *want = xasprintf("tcp 127.0.0.1:%u: connection refused", port);
    assert_string_equal(res.reason, want);
    result_free(&res);

    c.host = "::1";
    probe(&c, &res);
    assert_false(res.ok);
    _cleanup_free_ char *want6 = xasprintf("tcp [::1]:%u: connection refused", port);
    assert_string_equal(res.reason, want6);
    result_free(&res);
    close(fd);
}

static void test_tcp_timeout(void **state)
{
    /* A listener whose queue is full (backlog 0, one connection waiting) drops new SYNs. */
    uint16_t port;
    int fd = tcp_socket(0, &port);
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);

    struct cfg_check c = tcp_check("127.0.0.1", port, 300);
    struct result res;
    probe(&c, &res);
    assert_false(res.ok);
    _cleanup_free_ char *want = xasprintf("tcp 127.0.0.1:%u: timed out after 300ms", port);
    assert_string_equal(res.reason, want);
    result_free(&res);
    close(filler);
    close(fd);
}

static void test_tcp_bad_host(void **state)
{
    struct cfg_check c = tcp_check("db.example.invalid", 5432, 2000);
    struct result res;
    probe(&c, &res); /* a failure known at once still comes from the loop */
    assert_false(res.ok);
    assert_string_equal(res.reason, "tcp db.example.invalid:5432: not a numeric address");
    result_free(&res);
}

/* ---- http ---- */

struct server {
    int fd;
    uint16_t port;
    const char *response; /* NULL: answer nothing, wait for the client to close */
    size_t split;         /* write the response in two parts, 50 ms apart, at this offset */
    char request[4096];
    size_t request_len;
    pthread_t thread;
};

static void *serve(void *arg)
{
    struct server *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    while (s->request_len < sizeof(s->request) - 1) {
        ssize_t n = read(c, s->request + s->request_len, sizeof(s->request) - 1 - s->request_len);
        if (n <= 0)
            break;
        s->request_len += (size_t)n;
        s->request[s->request_len] = '\0';
        if (strstr(s->request, "\r\n\r\n"))
            break;
    }
    if (s->response) {
        size_t len = strlen(s->response), first = s->split ? s->split : len;
        send(c, s->response, first, MSG_NOSIGNAL);
        if (first < len) {
            usleep(50000);
            send(c, s->response + first, len - first, MSG_NOSIGNAL);
        }
    } else {
        char buf[64];
        while (read(c, buf, sizeof(buf)) > 0)
            ;
    }
    close(c);
    return NULL;
}

static void server_start(struct server *s, const char *response, size_t split)
{
    memset(s, 0, sizeof(*s));
    s->fd = tcp_socket(8, &s->port);
    s->response = response;
    s->split = split;
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
    shutdown(s->fd, SHUT_RDWR); /* wakes an accept that never got a connection */
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static struct cfg_check http_check(const struct server *s, char *url, uint32_t status)
{
    return (struct cfg_check){.type = CFG_CHECK_HTTP,
                              .host = "127.0.0.1",
                              .port = s->port,
                              .url = url,
                              .path = "/health",
                              .status = status,
                              .interval_ms = 1000,
                              .timeout_ms = 10000,
                              .failures = 1};
}

/* Probes an http check of the server answering response; returns the result. */
static struct result http_probe(const char *response, size_t split, uint32_t status,
                                uint64_t timeout_ms, char **ret_url)
{
    struct server s;
    server_start(&s, response, split);
    char *url = xasprintf("http://127.0.0.1:%u/health", s.port);
    struct cfg_check c = http_check(&s, url, status);
    c.timeout_ms = timeout_ms;
    struct result res;
    probe(&c, &res);
    server_stop(&s);
    *ret_url = url;
    return res;
}

static void test_http_ok_and_request(void **state)
{
    struct server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%u/health", s.port);
    struct cfg_check c = http_check(&s, url, 0);
    struct result res;
    probe(&c, &res);
    server_stop(&s);
    assert_true(res.ok);
    result_free(&res);
    _cleanup_free_ char *want = xasprintf("GET /health HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n"
                                          "User-Agent: vigil-check\r\nConnection: close\r\n\r\n",
                                          s.port);
    assert_string_equal(s.request, want);
}

static void test_http_statuses(void **state)
{
    struct {
        const char *response;
        uint32_t status;
        bool ok;
        const char *reason; /* after "http URL: " */
    } cases[] = {
        {"HTTP/1.1 500 Internal Server Error\r\n\r\n", 0, false, "status 500"},
        {"HTTP/1.1 404 Not Found\r\n\r\n", 0, false, "status 404"},
        {"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", 0, true, NULL},
        {"HTTP/1.1 204 No Content\r\n\r\n", 0, true, NULL},
        {"HTTP/1.1 204 No Content\r\n\r\n", 204, true, NULL},
        {"HTTP/1.1 200 OK\r\n\r\n", 204, false, "status 200, expected 204"},
        {"HTTP/1.1 503 Unavailable\r\n\r\n", 503, true, NULL},
        {"HTTP/1.0 200\n\n", 0, true, NULL}, /* no reason phrase, bare LF */
        {"FOO BAR\r\n\r\n", 0, false, "malformed response"},
        {"HTTP/1.1 2000 OK\r\n\r\n", 0, false, "malformed response"},
        {"HTTP/2 200\r\n\r\n", 0, false, "malformed response"},
        {"HTTP/1.1 200", 0, false, "malformed response"}, /* closed mid-line */
        {"", 0, false, "connection closed without a response"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *url = NULL;
        struct result res = http_probe(cases[i].response, 0, cases[i].status, 2000, &url);
        if (res.ok != cases[i].ok)
            fail_msg("case %zu: ok=%d reason=%s", i, res.ok, res.reason);
        if (cases[i].reason) {
            _cleanup_free_ char *want = xasprintf("http %s: %s", url, cases[i].reason);
            assert_string_equal(res.reason, want);
        }
        result_free(&res);
    }
}

static void test_http_status_line_in_pieces(void **state)
{
    _cleanup_free_ char *url = NULL;
    struct result res = http_probe("HTTP/1.1 200 OK\r\n\r\n", 10, 200, 2000, &url);
    assert_true(res.ok);
    result_free(&res);
}

static void test_http_reads_at_most_8k(void **state)
{
    char *big = xmalloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    memcpy(big, "HTTP/1.1 200 ", 13); /* a status line that never ends */
    _cleanup_free_ char *url = NULL;
    struct result res = http_probe(big, 0, 0, 2000, &url);
    free(big);
    assert_false(res.ok);
    _cleanup_free_ char *want = xasprintf("http %s: malformed response", url);
    assert_string_equal(res.reason, want);
    result_free(&res);
}

static void test_http_never_answers(void **state)
{
    _cleanup_free_ char *url = NULL;
    struct result res = http_probe(NULL, 0, 0, 300, &url);
    assert_false(res.ok);
    _cleanup_free_ char *want = xasprintf("http %s: timed out after 300ms", url);
    assert_string_equal(res.reason, want);
    result_free(&res);
}

static void test_http_refused_and_bad_path(void **state)
{
    uint16_t port;
    int fd = tcp_socket(-1, &port);
    struct cfg_check c = {
        .type = CFG_CHECK_HTTP, .host = "127.0.0.1", .port = port, .path = "/", .timeout_ms = 2000};
    struct result res;
    probe(&c, &res); /* no url written: the label is made from host, port and path */
    _cleanup_free_ char *want = xasprintf("http http://127.0.0.1:%u/: connection refused", port);
    assert_string_equal(res.reason, want);
    result_free(&res);
    close(fd);

    c.path = "/a b\r\nX: y";
    probe(&c, &res);
    assert_false(res.ok);
    assert_non_null(strstr(res.reason, ": invalid path"));
    result_free(&res);
}

/* ---- exec ---- */

static void test_exec_true_false(void **state)
{
    char *t[] = {"/bin/true", NULL}, *f[] = {"/bin/false", NULL};
    struct cfg_check c = exec_check(t, 10000);
    struct result res;
    probe(&c, &res);
    assert_true(res.ok);
    result_free(&res);
    c = exec_check(f, 10000);
    probe(&c, &res);
    assert_false(res.ok);
    assert_string_equal(res.reason, "exec /bin/false: exited with status 1");
    result_free(&res);

    char *test[] = {"/usr/bin/test", "-e", "/nonexistent-vigil", NULL};
    c = exec_check(test, 10000);
    probe(&c, &res);
    assert_string_equal(res.reason, "exec /usr/bin/test: exited with status 1");
    result_free(&res);
}

static void test_exec_stdio_is_dev_null(void **state)
{
    _cleanup_free_ char *s =
        write_script("stdio.sh", "for f in 0 1 2; do\n"
                                 "  [ \"$(readlink /proc/$$/fd/$f)\" = /dev/null "
                                 "] || exit 3\n"
                                 "done\n"
                                 "echo noise; echo noise >&2");
    char *argv[] = {s, NULL};
    struct cfg_check c = exec_check(argv, 10000);
    struct result res;
    probe(&c, &res);
    if (!res.ok)
        fail_msg("%s", res.reason);
    result_free(&res);
}

static bool pid_gone(pid_t pid)
{
    /* Gone, or a zombie waiting for whoever adopted it. */
    _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
    char *buf = NULL;
    size_t len;
    if (read_file(path, 4096, &buf, &len) < 0)
        return true;
    char *p = strrchr(buf, ')');
    bool zombie = p && p[1] == ' ' && p[2] == 'Z';
    free(buf);
    return zombie;
}

static void wait_gone(pid_t pid)
{
    for (int i = 0; i < 500 && !pid_gone(pid); i++)
        usleep(10000);
    assert_true(pid_gone(pid));
}

static void test_exec_timeout_kills_the_group(void **state)
{
    _cleanup_free_ char *pidfile = xasprintf("%s/bg.pid", dir);
    _cleanup_free_ char *body =
        xasprintf("sleep 30 &\necho $! > %s.tmp\nmv %s.tmp %s\nwait", pidfile, pidfile, pidfile);
    _cleanup_free_ char *s = write_script("slow.sh", body);
    char *argv[] = {s, NULL};
    struct cfg_check c = exec_check(argv, 300);
    struct result res;
    probe(&c, &res);
    assert_false(res.ok);
    _cleanup_free_ char *want = xasprintf("exec %s: timed out after 300ms", s);
    assert_string_equal(res.reason, want);
    result_free(&res);
    /* The background sleep was in the group: killed too. */
    wait_gone(read_pid(pidfile, 100));
}

static void test_exec_not_runnable(void **state)
{
    char *argv[] = {"/nonexistent/vigil-check", NULL};
    struct cfg_check c = exec_check(argv, 10000);
    struct result res;
    probe(&c, &res);
    assert_false(res.ok);
    assert_string_equal(res.reason, "exec /nonexistent/vigil-check: no such file or directory");
    result_free(&res);
}

/* ---- cancelling and reuse ---- */

static void test_free_cancels_probes(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct result res = {0};

    /* A command under way is killed with its group; cb never fires. */
    _cleanup_free_ char *pidfile = xasprintf("%s/cancel.pid", dir);
    _cleanup_free_ char *body =
        xasprintf("echo $$ > %s.tmp\nmv %s.tmp %s\nexec sleep 30", pidfile, pidfile, pidfile);
    _cleanup_free_ char *s = write_script("cancel.sh", body);
    char *argv[] = {s, NULL};
    /*
     * Its timeout is far beyond the wait for its pid file: on a loaded machine
     * that wait has taken longer than a 10 s timeout, and the probe then timed
     * out (its callback fired) before it was freed.
     */
    struct cfg_check ce = exec_check(argv, 600000);
    struct check *ck = check_new(&loop, &ce);
    assert_int_equal(check_run(ck, on_done, &res), 0);
    pid_t pid = 0;
    for (int i = 0; i < 3000 && access(pidfile, F_OK) < 0; i++)
        run_for(&loop, 10);
    pid = read_pid(pidfile, 100);
    check_free(ck);

    /* A connection under way. */
    struct server srv;
    server_start(&srv, NULL, 0);
    struct cfg_check ch = http_check(&srv, NULL, 0);
    ck = check_new(&loop, &ch);
    assert_int_equal(check_run(ck, on_done, &res), 0);
    run_for(&loop, 50);
    check_free(ck);

    /* A failure that was only waiting to be delivered. */
    struct cfg_check cb = tcp_check("nowhere", 1, 1000);
    ck = check_new(&loop, &cb);
    assert_int_equal(check_run(ck, on_done, &res), 0);
    check_free(ck);
    check_free(NULL);

    run_for(&loop, 100);
    loop_done(&loop);
    server_stop(&srv);
    assert_int_equal(res.calls, 0);
    wait_gone(pid);
}

struct rerun {
    struct check *ck;
    int calls;
    bool free_in_cb;
};

static void on_rerun(void *ctx, bool ok, const char *reason)
{
    struct rerun *r = ctx;
    r->calls++;
    assert_false(check_busy(r->ck));
    if (r->free_in_cb) {
        check_free(r->ck);
        r->ck = NULL;
    } else if (r->calls < 3) {
        assert_int_equal(check_run(r->ck, on_rerun, r), 0);
    }
}

static void test_run_again_and_free_from_callback(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *f[] = {"/bin/false", NULL};
    struct cfg_check c = exec_check(f, 10000);
    struct rerun r = {.ck = check_new(&loop, &c)};
    assert_string_equal(check_label(r.ck), "exec /bin/false");
    assert_int_equal(check_run(r.ck, on_rerun, &r), 0);
    assert_true(run_until(&loop, &r.calls, 3, 10000));
    run_for(&loop, 50);
    assert_int_equal(r.calls, 3);
    r.free_in_cb = true;
    assert_int_equal(check_run(r.ck, on_rerun, &r), 0);
    assert_true(run_until(&loop, &r.calls, 4, 10000));
    assert_null(r.ck);
    loop_done(&loop);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_connects),
        cmocka_unit_test(test_tcp_refused),
        cmocka_unit_test(test_tcp_timeout),
        cmocka_unit_test(test_tcp_bad_host),
        cmocka_unit_test(test_http_ok_and_request),
        cmocka_unit_test(test_http_statuses),
        cmocka_unit_test(test_http_status_line_in_pieces),
        cmocka_unit_test(test_http_reads_at_most_8k),
        cmocka_unit_test(test_http_never_answers),
        cmocka_unit_test(test_http_refused_and_bad_path),
        cmocka_unit_test(test_exec_true_false),
        cmocka_unit_test(test_exec_stdio_is_dev_null),
        cmocka_unit_test(test_exec_timeout_kills_the_group),
        cmocka_unit_test(test_exec_not_runnable),
        cmocka_unit_test(test_free_cancels_probes),
        cmocka_unit_test(test_run_again_and_free_from_callback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
