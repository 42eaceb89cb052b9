/* Requests to vigild, with every failure reported once in the user's terms. */
#include "cli/request.h"
#include "cli/cli.h"
#include "base/util.h"

#include <errno.h>
#include <string.h>

static int connect_error(const char *socket_path, int r)
{
    const char *hint = "is vigild running?";
    if (r == -EACCES || r == -EPERM)
        hint = "the control socket is for root only";
    else if (r == -EAGAIN)
        hint = "vigild is not accepting connections";
    cli_error("cannot reach vigild at %s: %s (%s)", socket_path, strerror(-r), hint);
    return CLI_EXIT_UNREACHABLE;
}

/* cli_recv_error for a wait of at most timeout_ms. */
static int recv_error(const char *socket_path, const struct client *c, int r, int timeout_ms)
{
    switch (r) {
    case 0:
        cli_error("vigild at %s closed the connection without replying", socket_path);
        return CLI_EXIT_ERROR;
    case -ETIMEDOUT:
        cli_error("no reply from vigild at %s within %d s (is it stuck?)", socket_path,
                  timeout_ms / 1000);
        return CLI_EXIT_UNREACHABLE;
    case -EBADMSG:
        cli_error("malformed reply from vigild: %s", client_last_error(c));
        return CLI_EXIT_ERROR;
    case -EMSGSIZE:
        cli_error("reply line from vigild is longer than %u MiB; refusing it",
                  CLIENT_MAX_REPLY / (1024 * 1024));
        return CLI_EXIT_ERROR;
    case -EPROTO:
        cli_error("vigild closed the connection in the middle of a reply");
        return CLI_EXIT_ERROR;
    default:
        cli_error("cannot read the reply from vigild at %s: %s", socket_path, strerror(-r));
        return CLI_EXIT_ERROR;
    }
}

int cli_recv_error(const char *socket_path, const struct client *c, int r)
{
    return recv_error(socket_path, c, r, CLI_REPLY_TIMEOUT_MS);
}

int cli_malformed(const char *what)
{
    cli_error("malformed reply from vigild: %s", what);
    return CLI_EXIT_ERROR;
}

int cli_daemon_error(json_t *reply)
{
    const char *msg = json_string_value(json_object_get(reply, "error"));
    fflush(stdout);
    if (!msg)
        msg = "vigild reported an error without a message";
    /* One "vigil: " line per line of the message (diagnostics come several at once). */
    for (const char *p = msg;;) {
        const char *nl = strchr(p, '\n');
        _cleanup_free_ char *line = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
        fputs("vigil: ", stderr);
        cli_fputs_safe(line, stderr);
        fputc('\n', stderr);
        if (!nl)
            break;
        p = nl + 1;
    }
    return CLI_EXIT_ERROR;
}

int cli_request(const char *socket_path, json_t *req, json_t **ret_result, struct client **ret_conn)
{
    return cli_request_timeout(socket_path, req, CLI_REPLY_TIMEOUT_MS, ret_result, ret_conn);
}

int cli_request_timeout(const char *socket_path, json_t *req, int timeout_ms, json_t **ret_result,
                        struct client **ret_conn)
{
    struct client *c = NULL;
    json_t *reply = NULL;
    int status;

    int r = client_connect(socket_path, &c);
    if (r < 0)
        return connect_error(socket_path, r);

    int sent = client_send(c, req);
    if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET) {
        cli_error("cannot send the request to vigild at %s: %s", socket_path, strerror(-sent));
        status = CLI_EXIT_ERROR;
        goto out;
    }

    /* Even when the write failed, the daemon may have said why it refused us. */
    r = client_recv(c, timeout_ms, NULL, &reply);
    if ((r < 0 || !reply) && sent < 0) {
        cli_error("cannot send the request to vigild at %s: %s", socket_path, strerror(-sent));
        status = CLI_EXIT_ERROR;
        goto out;
    }
    if (r < 0 || !reply) {
        status = recv_error(socket_path, c, r, timeout_ms);
        goto out;
    }

    json_t *ok = json_object_get(reply, "ok");
    if (!json_is_boolean(ok)) {
        status = cli_malformed("no boolean \"ok\" member");
        goto out;
    }
    if (!json_is_true(ok)) {
        status = cli_daemon_error(reply);
        goto out;
    }
    json_t *result = json_object_get(reply, "result");
    if (!result) {
        status = cli_malformed("no \"result\" member");
        goto out;
    }

    *ret_result = json_incref(result);
    if (ret_conn) {
        *ret_conn = c;
        c = NULL;
    }
    status = CLI_EXIT_OK;
out:
    json_decref(reply);
    client_close(c);
    return status;
}
