/*
 * One request to vigild as the CLI makes it: connect, send, wait for the
 * reply, check it, and report every failure to the user exactly once.
 */
#pragma once

#include "cli/client.h"

#include <jansson.h>

#define CLI_REPLY_TIMEOUT_MS 10000
/*
 * For requests that change the cluster: vigild answers only once every member
 * has applied and saved the change, or after its own 10 s deadline for their
 * acknowledgements; this leaves room for both and for a busy daemon.
 */
#define CLI_CHANGE_TIMEOUT_MS 30000

/*
 * Sends req (not consumed) to vigild at socket_path and waits up to
 * CLI_REPLY_TIMEOUT_MS for the reply (as cli_request_timeout).
 *
 * On success returns CLI_EXIT_OK and stores the reply's "result" (a new
 * reference owned by the caller) in *ret_result. If ret_conn is not NULL the
 * connection stays open and is stored there, owned by the caller (client_close);
 * otherwise it is closed.
 *
 * On failure prints the error ("vigil: cannot reach vigild at ...", or the
 * daemon's own message) and returns CLI_EXIT_UNREACHABLE when the daemon could
 * not be reached or did not answer in time, CLI_EXIT_ERROR otherwise; the
 * output parameters are left untouched.
 */
int cli_request(const char *socket_path, json_t *req, json_t **ret_result,
                struct client **ret_conn);

/* As cli_request, waiting up to timeout_ms (> 0) for the reply. */
int cli_request_timeout(const char *socket_path, json_t *req, int timeout_ms, json_t **ret_result,
                        struct client **ret_conn);

/*
 * Reports a failed client_recv on the connection c to socket_path: r is what
 * client_recv returned (negative), or 0 for a connection closed before a reply
 * was expected to end. Returns the exit status to use.
 */
int cli_recv_error(const char *socket_path, const struct client *c, int r);

/*
 * Reports a reply or streamed line that does not have the expected shape;
 * what says what was wrong. Returns CLI_EXIT_ERROR.
 */
int cli_malformed(const char *what);

/*
 * Reports the daemon's error object {"ok":false,"error":"..."} (the error text
 * is printed with control characters neutralised). Returns CLI_EXIT_ERROR.
 */
int cli_daemon_error(json_t *reply);
