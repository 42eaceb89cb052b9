/*
 * Hooks: the operator's programs, run on cluster events (vigil.yaml(5),
 * HOOKS). Each hook has its own queue: its runs follow the order of the
 * events and never overlap; different hooks run side by side. A run gets the
 * event in its environment (VIGIL_EVENT, VIGIL_NODE, VIGIL_GROUP, ...) and as
 * one JSON object on stdin, and is killed past its timeout. A hook that
 * fails, hangs or cannot start is logged and changes nothing else: nothing
 * in the cluster ever waits for a hook.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "config/config.h"
#include "daemon/eventlog.h"

/* Events waiting per hook; past this the oldest are dropped (with a warning). */
#define HOOKS_MAX_QUEUE     1000
#define HOOKS_KILL_GRACE_MS 2000

struct hooks;

/*
 * The hooks of cfg (borrowed: call hooks_set_cfg before it goes), on node
 * local_node (may be NULL). Never NULL.
 */
struct hooks *hooks_new(uv_loop_t *loop, const struct cfg *cfg, const char *local_node);
/*
 * The configuration changed: hooks are matched by name. A removed hook's
 * waiting events are dropped and a run under way is killed; a new hook
 * starts with an empty queue; a changed one keeps its queue.
 */
void hooks_set_cfg(struct hooks *h, const struct cfg *cfg);
/*
 * The hook event ev stands for (node_left is node_lost when the node left
 * without a clean shutdown), or -1 for events no hook can ask for.
 */
int hooks_event_of(const struct event *ev, bool node_lost);
/*
 * Queues ev for every hook that asks for its hook event (hooks_event_of)
 * and runs here: every_node hooks always, the others only when one_here
 * (this node is the one of its partition that runs them).
 */
void hooks_event(struct hooks *h, const struct event *ev, bool node_lost, bool one_here);
/* Kills runs under way and frees everything; accepts NULL. */
void hooks_free(struct hooks *h);
