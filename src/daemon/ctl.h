/*
 * The control protocol, independent of the socket: one JSON object per line.
 * Requests: {"cmd":"ping"}, {"cmd":"status"}, {"cmd":"events","since":N,"follow":B},
 * {"cmd":"fence","node":NAME,"action":"off"|"reboot","confirm":B},
 * {"cmd":"group","op":"start"|"stop"|"move"|"failover"|"manage"|"unmanage","group":G,"to":NODE},
 * {"cmd":"node","op":"standby"|"online","node":NODE}, {"cmd":"node","op":"stop","node":NODE,
 * "now":B}, {"cmd":"cleanup","name":GROUP|RESOURCE},
 * {"cmd":"config","op":"show","version":N}, {"cmd":"config","op":"diff","text":T,"name":FILE},
 * {"cmd":"config","op":"apply","text":T,"name":FILE,"force":B},
 * {"cmd":"config","op":"reload","force":B},
 * {"cmd":"history","since":MS,"until":MS,"group":G,"node":N,"type":T,"limit":N},
 * {"cmd":"attr","op":"set"|"get"|"delete"|"list","node":N,"name":X,"value":V,"lifetime":L},
 * {"cmd":"resource","name":R} (a resource's group and meta attributes, for crm_resource).
 * Replies: {"ok":true,"result":...} or {"ok":false,"error":"..."}.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/cluster.h"
#include "daemon/db.h"

#define CTL_DEFAULT_SOCKET "/run/vigil/vigild.sock"
/* Bytes in one request line, newline excluded: room for a configuration's text, escaped. */
#define CTL_MAX_REQUEST (1024u * 1024)

struct ctl_result {
    json_t *reply;  /* owned by the caller */
    bool follow;    /* keep the connection open and stream new events */
    uint64_t since; /* with follow: the last event sequence already sent */
    /* A fence request the daemon must broadcast: node index, or -1 for none. */
    int fence_node;
    bool fence_confirm; /* an admin states the node is off */
    bool fence_reboot;  /* reboot instead of the configured action */
    /*
     * An admin intent the daemon must check, send and see applied by every
     * member before it replies (the reply here is only a placeholder).
     */
    bool has_intent;
    struct db_intent intent;
    /*
     * A request the daemon answers itself (config show, diff, apply,
     * reload; node stop; history), its fields checked here; owned by the caller.
     */
    json_t *request;
};

/*
 * Handles one request line (without its newline). Malformed or unknown
 * requests get an error reply, of one line; nothing about the cluster
 * changes for them. Always sets ret->reply.
 */
void ctl_handle(const struct cluster *cl, const char *line, size_t len, struct ctl_result *ret);

/*
 * A new error reply {"ok":false,"error":MESSAGE} (caller owns it); bytes of
 * MESSAGE that are not UTF-8 or are control bytes but newline and tab become '?'.
 */
json_t *ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Serialises reply as one compact line ending in '\n' (caller frees). */
char *ctl_dump_line(const json_t *reply, size_t *ret_len);
