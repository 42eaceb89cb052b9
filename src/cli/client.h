/*
 * The client side of vigild's control socket: an AF_UNIX stream carrying one
 * JSON object per line in each direction. This layer does not print; it
 * returns negative errno values and keeps a description of the last protocol
 * error for the caller to report.
 */
#pragma once

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#define CLIENT_MAX_REQUEST (1024u * 1024)      /* the daemon refuses longer request lines */
#define CLIENT_MAX_REPLY   (16u * 1024 * 1024) /* we refuse longer reply lines */

struct client;

/*
 * Connects to the control socket at path. Returns 0 and stores a new client,
 * owned by the caller (free with client_close), in *ret; or returns a negative
 * errno (-ENOENT, -ECONNREFUSED, -EACCES, -ENAMETOOLONG for a path that does
 * not fit in sockaddr_un, ...) and leaves *ret untouched.
 */
int client_connect(const char *path, struct client **ret);

/* Closes the connection and frees c; accepts NULL. */
void client_close(struct client *c);

/*
 * Sends req as one compact JSON line. Does not take ownership of req.
 * Returns 0, -EMSGSIZE if the line would exceed CLIENT_MAX_REQUEST, or the
 * negative errno of the failed write (-EPIPE when the daemon hung up; SIGPIPE
 * is never raised).
 */
int client_send(struct client *c, json_t *req);

/*
 * Reads the next line and decodes it as a JSON object.
 *
 * timeout_ms bounds the wait for the whole line (-1: wait for ever). When
 * sigmask is not NULL the wait runs with that signal mask (as ppoll does), so
 * a caller can keep signals blocked and have them interrupt only the wait.
 *
 * Returns 0 and stores the object (a new reference owned by the caller) in
 * *ret; returns 0 and stores NULL when the daemon closed the connection at a
 * line boundary. Otherwise returns, leaving *ret untouched:
 *   -ETIMEDOUT  no complete line within timeout_ms;
 *   -EINTR      a signal interrupted the wait;
 *   -EMSGSIZE   a line longer than CLIENT_MAX_REPLY;
 *   -EBADMSG    a line that is not a JSON object (see client_last_error);
 *   -EPROTO     the connection closed in the middle of a line;
 *   another negative errno from the socket.
 */
int client_recv(struct client *c, int timeout_ms, const sigset_t *sigmask, json_t **ret);

/*
 * A human description of the last -EBADMSG from client_recv (the decoder's
 * message), or "" if there was none. Owned by c; valid until the next call.
 */
const char *client_last_error(const struct client *c);
