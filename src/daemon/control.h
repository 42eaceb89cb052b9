/*
 * The local control socket: a Unix stream socket (mode 0600) on which the CLI
 * and libvigil send requests of the control protocol (ctl.h). Only root (or
 * the daemon's own user) may connect; peers are checked with SO_PEERCRED.
 */
#pragma once

#include <uv.h>

#include "daemon/cluster.h"

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

/* Sends ev to every client following the event stream. */
void control_publish(struct control *ctl, const struct event *ev);

/* Closes every connection, removes the socket file and frees; accepts NULL. */
void control_close(struct control *ctl);
