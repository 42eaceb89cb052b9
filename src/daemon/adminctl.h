/*
 * An administrator's changes that go through the cluster: intents (vigil
 * group, cleanup, node standby/online: answered once every member applied
 * and saved them) and node attributes (vigil attr and the Pacemaker-
 * compatible commands: set and delete answered once applied and saved
 * here, get and list at once from this node's copy). It checks a request,
 * sends it through the group view, and owns the replies that wait; vigild
 * tells it how each ended (the view's intent_done and attr_done hooks) and
 * lets the deadlines pass (adminctl_expire, from its periodic timer).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/db.h"
#include "daemon/gview.h"
#include "daemon/replies.h"

struct adminctl {
    struct gview *gv;       /* the view requests go through (borrowed) */
    struct replies intents; /* intents waiting for every member, by intent id */
    struct replies attrs;   /* attribute changes waiting to be applied here, by change id */
};

/* Sets a up; gv is borrowed and must outlive it; replies go out through send(ctx, ...). */
void adminctl_init(struct adminctl *a, struct gview *gv, replies_send_fn send, void *ctx);
/* Frees the waiting replies without answering them; accepts a zeroed a. */
void adminctl_done(struct adminctl *a);

/*
 * An intent (already parsed): refused at once with the view's reason, or sent;
 * then NULL with *ret_defer set, and the reply comes under token once every
 * member has applied and saved it (adminctl_intent_done).
 */
json_t *adminctl_intent(struct adminctl *a, const struct db_intent *in, uint64_t token,
                        bool *ret_defer);

/*
 * An `attr` request (req: {"op": "get"|"list"|"set"|"delete", "node",
 * "name", "value", "lifetime"}, already checked by ctl_parse). local_node is
 * this machine's node index (-1: not a node), the node when req names none.
 * Returns the reply, or NULL with *ret_defer set for set and delete.
 */
json_t *adminctl_attr(struct adminctl *a, json_t *req, int local_node, uint64_t token,
                      bool *ret_defer);

/* The view's hooks: intent id is over everywhere; attribute change id is over here. */
void adminctl_intent_done(struct adminctl *a, uint64_t id, bool ok, const char *msg);
void adminctl_attr_done(struct adminctl *a, uint64_t id, bool ok, const char *msg);

/* Answers the attribute changes not applied by their deadline (GVIEW_INTENT_TIMEOUT_MS). */
void adminctl_expire(struct adminctl *a, uint64_t now_ms);
