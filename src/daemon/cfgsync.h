/*
 * The replicated configuration: one version of vigil.yaml on every member.
 *
 * A version is a counter and the SHA-256 of the file's content. Every node
 * keeps the version it last applied (src/daemon/cfgstore.h); a file whose
 * digest differs from the recorded one was edited by hand since.
 *
 * After every membership change each member sends its version. Once every
 * member's has arrived (in a quorate partition), all of them decide the same
 * thing (cfgsync_decide): the configuration the cluster runs, which members
 * are behind (they receive it from the lowest member holding it, and take it
 * over), and which are refused (a hand-edited file, or another content at the
 * same version: they must leave, with a message naming both versions). While
 * members' versions differ, the coordinator acts on nothing.
 *
 * An admin's apply is a message in agreed order carrying the whole text.
 * Every member checks it and stops, on this node, the groups it removes or
 * changes (the "prepare" hook); each then says it is ready. When the last
 * member's ready message is delivered, every member activates the new
 * configuration at that same point of the message order, writes it to disk
 * (through one serialised writer, src/daemon/statewrite.h, off the loop:
 * the backup, the file, the archived text, then the record naming it; see
 * cfgstore_files) and acknowledges once all of it, or a newer version, is
 * durable. The node that applied replies to the admin when every member
 * acknowledged. A membership change before activation, a member that cannot
 * follow, or a member not ready in time aborts the apply everywhere, with
 * nothing changed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "base/sha256.h"
#include "config/config.h"
#include "config/diff.h"
#include "daemon/cluster.h"
#include "daemon/peer.h"

/* A configuration's text must fit in one cluster message with room to spare. */
#define CFGSYNC_MAX_TEXT (192u * 1024)
/* How long members get to stop what an apply changes, beyond the slowest stop timeout. */
#define CFGSYNC_READY_MARGIN_MS 30000
/* How long the node applying waits for every member to write the new version. */
#define CFGSYNC_ACK_TIMEOUT_MS 30000

struct cfgver {
    uint64_t version;
    char sha256[SHA256_HEX_LEN + 1];
    bool edited; /* the file differs from the version recorded (edited by hand) */
};

enum cfgsync_fate {
    CFGSYNC_SAME,    /* runs the cluster's configuration */
    CFGSYNC_BEHIND,  /* has an older version: receives the cluster's */
    CFGSYNC_REFUSED, /* edited by hand, or another content at the same version: must leave */
    CFGSYNC_FATE_MAX
};

/*
 * Decides, from the versions of the members present (present[i]), the
 * configuration the cluster runs (*ret_adopted; its holder, the lowest member
 * having it, in *ret_holder) and each member's fate. When every member has
 * the same content, that is it (its version is the highest one held, plus
 * one if only edited copies hold it). Otherwise the highest version among
 * copies not edited by hand wins (the lowest node on a tie); members with
 * another content are behind if their copy is unedited and older, and
 * refused otherwise. Pure (cfgsync_decide.c). n > 0 and at least one member
 * present.
 */
void cfgsync_decide(const struct cfgver *v, const bool *present, size_t n,
                    struct cfgver *ret_adopted, size_t *ret_holder, enum cfgsync_fate *ret_fates);

struct cfgsync_hooks {
    /* Broadcast a message (body borrowed). 0 or a negative errno. */
    int (*send)(void *ctx, enum peer_group_kind kind, json_t *body);
    /*
     * A new configuration is coming: stop, on this node, the groups diff
     * removes or changes, then call cfgsync_local_ready. Both borrowed until
     * activate or abort.
     */
    void (*prepare)(void *ctx, const struct cfg *next, const struct cfg_diff *diff);
    /*
     * Make next (taken over) the active configuration now; diff tells what
     * changed from the current one (valid during the call only).
     */
    void (*activate)(void *ctx, struct cfg *next, const struct cfg_diff *diff);
    /* The change announced by prepare will not happen: what was stopped may run again. */
    void (*abort)(void *ctx);
    /* This node's configuration cannot join the cluster's: it must leave. msg names both. */
    void (*refused)(void *ctx, const char *msg);
    /* An apply this node sent is over: applied by every member, or not (msg says why). */
    void (*done)(void *ctx, uint64_t id, bool ok, uint64_t version, const char *msg);
    /* Whether the coordinator may act changed (cfgsync_blocked). */
    void (*changed)(void *ctx);
};

struct cfgsync_apply;
struct statewrite;

struct cfgsync {
    uv_loop_t *loop; /* NULL: disk writes are synchronous (tests) */
    struct cluster *cl;
    const struct cfg *cfg; /* the active configuration; not owned */
    char *path;            /* the configuration file */
    char *state_dir;
    const struct cfgsync_hooks *hooks;
    void *ctx;
    char *text;        /* the active configuration's text */
    struct cfgver cur; /* this node's version */
    uint64_t applied_ms;
    char *applied_from;
    struct cfgver *peer; /* per node: its version, once seen since the last membership change */
    bool *seen;
    bool *sync_sent; /* per node: the holder sent it the configuration since the last change */
    enum cfgsync_fate *fate;
    bool decided;          /* every member's version arrived and the fates are known */
    struct cfgver adopted; /* when decided: the cluster's version, and its lowest holder */
    size_t holder;
    /*
     * The holder's configuration for this node, delivered before this node
     * had decided (a joining node may learn the partition's quorum after the
     * holder, which decides and sends at once): kept, and taken once this
     * node decides; dropped at the next membership change. NULL: none.
     */
    json_t *held_sync;
    uint32_t held_from;
    bool refused;
    struct cfgsync_apply *ap; /* an apply or a catch-up under way, or NULL */
    /* The node applying: members whose acknowledgement it waits for. */
    uint64_t await_id, await_version;
    bool *await;
    bool await_failed;
    char *await_msg;
    char *await_left; /* members that left before acknowledging, for the reply */
    uint64_t await_deadline_ms;
    uint64_t next_id;
    struct statewrite *sw; /* the file, the archived texts and the record: one writer; owned */
};

/*
 * Sets up from this node's file: text is its content (copied), cfg the
 * configuration loaded from it. Reads the version record in state_dir; with
 * none yet, records the file as version 1. Returns 0, or -EINVAL with a
 * reason (a corrupt record, kept for the admin) in *ret_err; call
 * cfgsync_done either way.
 */
int cfgsync_init(struct cfgsync *cs, uv_loop_t *loop, struct cluster *cl, const struct cfg *cfg,
                 const char *path, const char *text, const char *state_dir,
                 const struct cfgsync_hooks *hooks, void *ctx, char **ret_err);
/*
 * Frees what cfgsync_init and the protocol allocated (an apply under way is
 * dropped without its hooks) and zeroes cs; a zeroed cs is accepted. Writes
 * in flight still land, but no callback comes into cs afterwards, so no
 * acknowledgement is sent for them (keep running the loop until they end).
 */
void cfgsync_done(struct cfgsync *cs);

/*
 * A new membership (after cluster_apply_view): versions are exchanged again
 * (this node sends its own); an apply not yet active is abandoned (abort
 * hook; done hook on the node that sent it); members that left no longer
 * hold up the reply to this node's apply.
 */
void cfgsync_membership(struct cfgsync *cs);
/*
 * The engine was lost: nothing is known about other members; an apply not
 * yet active is abandoned as for a membership change.
 */
void cfgsync_engine_lost(struct cfgsync *cs);
/* Quorum changed (after cluster_apply_quorum): the decision may now be taken. */
void cfgsync_quorum(struct cfgsync *cs);

/*
 * A configuration message from node `from`, in agreed order (body
 * borrowed). Returns 0 when it was applied or ignored (about another apply,
 * not meant for this node), or -EINVAL with a reason in *ret_err (owned by
 * the caller) for a malformed one, which changes nothing.
 */
int cfgsync_deliver(struct cfgsync *cs, uint32_t from, enum peer_group_kind kind, json_t *body,
                    char **ret_err);

/* True while the coordinator must not act: members' versions unknown or different, or an apply. */
bool cfgsync_blocked(const struct cfgsync *cs);

/*
 * Checks a new text (name: for diagnostics) against the running
 * configuration: the diagnostics of vigil verify in *diags, and, for a valid
 * one, what would change in *ret_diff and the new configuration in *ret_cfg
 * (both owned by the caller). Returns 0, -EINVAL (diagnostics), or -EPERM
 * with *ret_err (a section that cannot change on a running cluster).
 */
int cfgsync_check(const struct cfgsync *cs, const char *text, const char *name, unsigned flags,
                  struct cfg_diags *diags, struct cfg **ret_cfg, struct cfg_diff *ret_diff,
                  char **ret_err);

/*
 * Sends an apply of text (borrowed; checked by the caller with
 * cfgsync_check). Returns its id (> 0; the done hook tells how it ended),
 * or 0 with *ret_err (owned by the caller: too large, no quorum, another
 * change under way, members not in sync, or the send failed); then done is
 * never called for it.
 */
uint64_t cfgsync_apply(struct cfgsync *cs, const char *text, char **ret_err);

/*
 * This node stopped what the change it was told of (prepare) needs stopped
 * (ok), or could not (error, borrowed, says why: the apply is refused
 * everywhere; a catch-up makes this node leave). Ignored when no change is
 * waiting for it.
 */
void cfgsync_local_ready(struct cfgsync *cs, bool ok, const char *error);

/*
 * Gives up an apply this node sent whose members are not ready in time, and
 * ends the wait for acknowledgements past CFGSYNC_ACK_TIMEOUT_MS (now_ms:
 * the monotonic clock; call about every second).
 */
void cfgsync_tick(struct cfgsync *cs, uint64_t now_ms);

/* {"version", "sha256", "applied_ms", "from", "state"} and each member's version (caller owns). */
json_t *cfgsync_status_json(const struct cfgsync *cs);
/* This node's version of node n as JSON ({"version", "sha256"}), or NULL if not known. */
json_t *cfgsync_node_json(const struct cfgsync *cs, size_t n);

/* "version 7 (sha256 1a2b3c4d5e6f)" (", edited by hand" when so) into buf; returns buf. */
const char *cfgver_describe(const struct cfgver *v, char buf[static 64]);
