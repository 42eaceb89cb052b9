/*
 * Run-time domains for groups with `policy: {script: PATH}`. On the
 * coordinator, whenever what the script is told changes (members, standby
 * and fence state of the nodes, where the group runs), the script is run
 * again; it prints the node names of the run-time domain, most preferred
 * first. Until its first answer the group gets no actions; a script that
 * fails, times out or prints nothing usable leaves the previous domain (or
 * the configured one) in force, with a warning.
 *
 * The script gets, as environment: VIGIL_GROUP, VIGIL_DOMAIN (the configured
 * domain, space-separated), VIGIL_OWNER (the node it runs on, or empty),
 * VIGIL_MEMBERS (online nodes), VIGIL_STANDBY (nodes in standby), VIGIL_NODE
 * (this node), and on stdin one JSON object with the same and, per node,
 * {"online", "standby", "fence"}.
 */
#pragma once

#include <uv.h>

#include "daemon/gview.h"

#define PLACER_TIMEOUT_MS 5000

struct placer;

/*
 * A placer for the groups of gv that have a policy script; local_node is
 * this node's name (VIGIL_NODE; copied). gv must outlive it. Owned by the
 * caller (placer_free).
 */
struct placer *placer_new(uv_loop_t *loop, struct gview *gv, const char *local_node);
/* Kills the scripts still running and frees; accepts NULL. */
void placer_free(struct placer *p);
/* Runs the scripts whose input changed (call before planning, on the coordinator). */
void placer_update(struct placer *p);
