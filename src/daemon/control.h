/*
 * The local control socket: a Unix stream socket (mode 0600) on which the CLI
 * and libvigil send requests of the control protocol (ctl.h). Only root (or
 * the daemon's own user) may connect; peers are checked with SO_PEERCRED.
 */
#pragma once

#include <uv.h>

#include "daemon/cluster.h"
#include "daemon/ctl.h"

#define CONTROL_MAX_CLIENTS      128
#define CONTROL_MAX_QUEUED_BYTES (4u * 1024 * 1024) /* per follower before it is dropped */

struct control;

/*
 * Binds the socket at path (creating its directory) and starts serving
 * requests about cl. Refuses (-EADDRINUSE) if another daemon answers on path;
 * a stale socket file is replaced. Returns 0 and the server (owned by the
 * caller) in *ret, or a negative errno.
 */
int control_open(uv_loop_t *loop, const char *path, const struct cluster *cl, struct control **ret);

/*
 * Called for a request that asks the daemon to act (see struct ctl_result);
 * returns NULL to keep the reply, or a new reply (for example an error) that
 * replaces it. To answer later, set *ret_defer and call control_reply with
 * token once the outcome is known.
 */
typedef json_t *(*control_action_fn)(void *ctx, const struct ctl_result *res, uint64_t token,
                                     bool *ret_defer);

/* The deferred reply for token (takes ownership of reply; dropped if the client left). */
void control_reply(struct control *ctl, uint64_t token, json_t *reply);

struct ctl_result;
/* Sets the function that carries out requests to act. */
void control_set_action(struct control *ctl, control_action_fn fn, void *ctx);

/* Sends ev to every client following the event stream. */
void control_publish(struct control *ctl, const struct event *ev);

/* Closes every connection, removes the socket file and frees; accepts NULL. */
void control_close(struct control *ctl);
