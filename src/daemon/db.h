/*
 * The cluster database: what every member must agree on about groups beyond
 * the configuration. Admin intents (stopped groups, moves, maintenance,
 * standby nodes) and failure state (failure counts, restart history, nodes a
 * group failed on, halted groups).
 *
 * Every change is a message applied by every member in agreed order, so all
 * members compute the same database; each change increments the version and
 * records the node it came from (src). Changes are applied only in a quorate
 * partition, so a minority never moves the version on. After every membership
 * change each member broadcasts its copy; every member adopts the greatest
 * (version, then lowest src), so all converge on the same copy without an
 * election. Every node keeps its copy on disk (fsync, then rename) before
 * acknowledging a change.
 *
 * Node attributes (db_attr.c): per node, name -> value with a lifetime,
 * set and deleted by agreed messages like intents. Transient ones (reboot)
 * travel in the copies members exchange (db_to_json) but are never written
 * to disk (db_dump): a copy loaded from disk is partial (complete false),
 * and at an equal version a complete copy replaces it (db_should_adopt).
 *
 * The database is pure data: no I/O except db_load and db_save.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"

#define DB_MAX_HISTORY 20 /* recent failures kept per group */
#define DB_FILE        "state.json"

/* What a failure asks for (from the resource's on_fail, or a failed start). */
enum db_fail_kind {
    DB_FAIL_IGNORE,
    DB_FAIL_RESTART,
    DB_FAIL_FAILOVER,
    DB_FAIL_HALT,
    DB_FAIL_FENCE,
    DB_FAIL_START, /* a start failed: the node is banned for the group, like failover */
    DB_FAIL_KIND_MAX
};

struct db_failure {
    size_t node;
    size_t resource;
    uint64_t ts_ms; /* the reporting node's wall clock */
    enum db_fail_kind kind;
    char *reason;
};

struct db_group {
    bool stopped;   /* admin: vigil group stop */
    bool unmanaged; /* admin: vigil group unmanage */
    int prefer;     /* admin: vigil group move --to (node index), or -1 */
    bool halted;    /* a failure with on_fail: halt */
    /*
     * per node: failed there beyond its budget, a failed start or on_fail:
     * failover; until cleanup, or until the coordinator expires it
     * restarts.within after the failure that caused it (db_apply_expiry)
     */
    bool *banned;
    /*
     * per node, for a banned node: the wall-clock time (of the node that
     * reported it) of the failure that banned it; 0 when unknown (a ban of a
     * database written before bans were dated: the group view counts it from
     * when it first sees it)
     */
    uint64_t *banned_ms;
    bool *fence_wanted; /* per node: a failure with on_fail: fence (until the node is fenced) */
    /* per node: wall-clock times of restarts within the restart window, oldest first */
    uint64_t **restarts;
    size_t *n_restarts;
    uint32_t *res_failures;                    /* per resource: failures since the last cleanup */
    struct db_failure history[DB_MAX_HISTORY]; /* oldest first */
    size_t n_history;
};

/* Node attributes: limits (db_attr_check_*, db_attr_set), also on copies read from JSON. */
#define DB_ATTR_MAX_NAME  128  /* bytes of a name: letters, digits, '_', '-', '.', ':' */
#define DB_ATTR_MAX_VALUE 1024 /* bytes of a value (UTF-8, no control characters) */
#define DB_ATTR_MAX_COUNT 64   /* attributes per node */
#define DB_ATTR_MAX_BYTES 8192 /* names and values of one node together */

/* How long a node attribute lives. */
enum db_attr_life {
    DB_ATTR_REBOOT,  /* transient: forgotten when its node leaves the membership; never on disk */
    DB_ATTR_FOREVER, /* kept in state.json until deleted */
    DB_ATTR_LIFE_MAX
};

struct db_attr {
    char *name;  /* owned */
    char *value; /* owned */
    enum db_attr_life life;
    uint64_t since; /* the database version its last set made */
};

/* One node's attributes, sorted by name. */
struct db_node_attrs {
    struct db_attr *a;
    size_t n;
};

struct db {
    const struct cfg *cfg; /* not owned */
    uint64_t version;
    uint32_t src;                /* node id the last change came from (0: none) */
    bool *standby;               /* per node */
    struct db_group *groups;     /* cfg->n_groups */
    struct db_node_attrs *attrs; /* per node */
    /*
     * It holds every transient attribute of its version: false for a copy
     * read from disk (state.json has only the forever ones), true for a new
     * database and for copies received from members that had it complete.
     */
    bool complete;
};

/*
 * An empty database for cfg (version 0): every group started and managed.
 * cfg is borrowed and must outlive it. Owned by the caller: db_free.
 */
struct db *db_new(const struct cfg *cfg);
/* Frees db and everything it holds; accepts NULL. */
void db_free(struct db *db);

/* True if a is newer than b: a greater version, or the same version from a lower src. */
bool db_newer(uint64_t a_version, uint32_t a_src, uint64_t b_version, uint32_t b_src);
/*
 * Whether a member holding `mine` adopts `theirs` (a member's copy): theirs
 * is newer (db_newer), or of the same version and src and complete while
 * mine is partial (read from disk: it lacks the transient attributes).
 */
bool db_should_adopt(const struct db *mine, const struct db *theirs);

/*
 * The database as JSON, by names (groups, nodes, resources), so that it
 * survives configuration changes: the complete copy, transient attributes
 * included ("complete": true), as members exchange it. Caller owns the
 * result.
 */
json_t *db_to_json(const struct db *db);
/*
 * As db_to_json, without the transient attributes and without "complete":
 * what state.json holds (db_dump). Caller owns the result.
 */
json_t *db_to_json_persisted(const struct db *db);
/*
 * Reads a database from JSON written by db_to_json. Names unknown to the
 * configuration are dropped (the configuration changed); anything malformed
 * fails with a reason. A ban without its time (no "banned_at": files of
 * earlier releases) has banned_ms 0, and is written without one. Returns 0 and a new database in
 * *ret, or -EINVAL and a reason of one line owned by the caller in *ret_err.
 */
int db_from_json(const struct cfg *cfg, const json_t *j, struct db **ret, char **ret_err);

/* Loads dir/state.json: 0, -ENOENT (none yet: *ret is a new empty db), or -EINVAL with *ret_err. */
int db_load(const struct cfg *cfg, const char *dir, struct db **ret, char **ret_err);
/*
 * Writes dir/state.json now, atomically (fsync, rename), on the calling
 * thread. 0 or a negative errno (the file is then unchanged). vigild saves
 * through its group view's serialised writer (statewrite) instead.
 */
int db_save(const struct db *db, const char *dir);
/*
 * The text db_save writes: JSON by names (db_to_json_persisted: no transient
 * attribute), with a final newline (caller frees).
 */
char *db_dump(const struct db *db);
/* Writes text as dir/state.json atomically, on any thread. 0 or a negative errno. */
int db_write(const char *dir, const char *text);

/* Admin intents. */
enum db_intent_op {
    DB_INTENT_START,
    DB_INTENT_STOP,
    DB_INTENT_MOVE, /* prefer = node */
    DB_INTENT_MANAGE,
    DB_INTENT_UNMANAGE,
    DB_INTENT_STANDBY,
    DB_INTENT_ONLINE,
    DB_INTENT_CLEANUP,     /* group, resource (-1: the whole group) */
    DB_INTENT_DROP_PREFER, /* the coordinator: the moved-to node can no longer run it */
    DB_INTENT_OP_MAX
};

struct db_intent {
    enum db_intent_op op;
    int group;    /* index, or -1 */
    int node;     /* index, or -1 (MOVE: the target; STANDBY/ONLINE: the node) */
    int resource; /* index within the group, or -1 */
};

/*
 * The wire name of an intent op ("start", "move", ...), or "unknown" out of
 * range: a constant string.
 */
const char *db_intent_op_name(enum db_intent_op op);
/* Parses an op name; -1 if unknown. */
int db_intent_op_parse(const char *name);

/*
 * Applies an intent from node src_id. Returns true if the database changed
 * (version incremented), false if it was already so.
 */
bool db_apply_intent(struct db *db, const struct db_intent *in, uint32_t src_id);

/*
 * Applies a failure of resource r of group g on node n, reported by that node
 * (src_id) at ts_ms: counts it, keeps it in the history, and applies its
 * kind: restart (ban the node when the restarts within the window exceed the
 * group's budget), failover and start (ban the node), halt (halt the group),
 * fence (the node is to be fenced). Returns true when the node is banned or
 * the group halted by it.
 */
bool db_apply_failure(struct db *db, size_t g, size_t r, size_t n, enum db_fail_kind kind,
                      uint64_t ts_ms, const char *reason, uint32_t src_id);

/* Node n was fenced: its fence requests are done. Returns true if anything changed. */
bool db_apply_fenced(struct db *db, size_t n, uint32_t src_id);

/* Restarts of group g on node n within the window ending at now_ms. */
size_t db_restarts_within(const struct db *db, size_t g, size_t n, uint64_t now_ms);

/* The wall-clock time of the latest restart of group g on node n, or 0 if none is kept. */
uint64_t db_last_restart_ms(const struct db *db, size_t g, size_t n);
/*
 * The back-off of the restart in place that follows the latest restart
 * failure of group g on node n, counted from that failure: 0 for the first
 * restart within restarts.within (and when there is none), then
 * restarts.backoff, doubling with each further restart within the window,
 * at most restarts.backoff_max.
 */
uint64_t db_restart_delay_ms(const struct db *db, size_t g, size_t n);

/*
 * The failures of group g on node n have expired: when node n is still
 * banned by the failure of ban_ms (banned_ms[n] == ban_ms, so that an expiry
 * decided before a newer ban never lifts that one; 0 for a ban of unknown
 * time, which every member holds alike), the ban is lifted and
 * the node's restarts are forgotten. The history and failure counts stay
 * (until cleanup). Returns true if the database changed (version
 * incremented, src_id recorded).
 */
bool db_apply_expiry(struct db *db, size_t g, size_t n, uint64_t ban_ms, uint32_t src_id);

/*
 * The name of a failure kind ("restart", "halt", ...), or "unknown" out of
 * range: a constant string.
 */
const char *db_fail_kind_name(enum db_fail_kind k);
/* Parses a failure kind's name; -1 if unknown. */
int db_fail_kind_parse(const char *name);
/* The failure kind for a resource's on_fail. */
enum db_fail_kind db_fail_kind_of(enum cfg_on_fail f);

/* ---- node attributes (db_attr.c) ---- */

/* "reboot" or "forever"; "unknown" out of range (constant strings). */
const char *db_attr_life_name(enum db_attr_life l);
/* Parses a lifetime's name; -1 if unknown. */
int db_attr_life_parse(const char *name);
/*
 * Checks an attribute's name: 1 to DB_ATTR_MAX_NAME bytes of letters,
 * digits, '_', '-', '.' and ':', not starting with '-'. 0, or -EINVAL with
 * a reason naming it in *ret_err (owned by the caller).
 */
int db_attr_check_name(const char *name, char **ret_err);
/*
 * Checks an attribute's value (len bytes): at most DB_ATTR_MAX_VALUE bytes,
 * no NUL or other control character (empty is fine). 0, or -EINVAL with a
 * reason naming attribute `name` in *ret_err (owned by the caller).
 */
int db_attr_check_value(const char *name, const char *value, size_t len, char **ret_err);
/* Node n's attribute name, or NULL (n in range). Valid until the database changes. */
const struct db_attr *db_attr_get(const struct db *db, size_t n, const char *name);
/*
 * Sets node n's attribute name to value with lifetime life (a set replaces
 * the value and the lifetime), from node src_id. Returns 1 when the
 * database changed (version incremented, the attribute's since set to it),
 * 0 when it was already so, -EINVAL for a bad name or value, or -E2BIG when
 * node n would pass DB_ATTR_MAX_COUNT or DB_ATTR_MAX_BYTES; on error the
 * database is unchanged and *ret_err (owned by the caller) names the node
 * and the attribute.
 */
int db_attr_set(struct db *db, size_t n, const char *name, const char *value,
                enum db_attr_life life, uint32_t src_id, char **ret_err);
/*
 * Deletes node n's attribute name, only if its lifetime is life (-1: any),
 * from node src_id. Returns true when the database changed.
 */
bool db_attr_delete(struct db *db, size_t n, const char *name, int life, uint32_t src_id);
/*
 * Node n left the membership: forgets its transient attributes set at
 * version `before` or earlier (so that those its node set again after it
 * came back stay). Returns true when the database changed.
 */
bool db_attr_forget(struct db *db, size_t n, uint64_t before, uint32_t src_id);
/* Whether node n has a transient attribute set at version `before` or earlier. */
bool db_attr_has_transient(const struct db *db, size_t n, uint64_t before);

/*
 * Private to db.c and db_attr.c: the attributes' part of the JSON form
 * ({NODE: {NAME: {"value", "lifetime", "since"}}}, transient ones only with
 * `transient`), its reader (names of unknown nodes dropped; anything
 * malformed or over the limits sets *err once), and freeing them.
 */
json_t *db_attr_to_json(const struct db *db, bool transient);
void db_attr_from_json(struct db *db, json_t *j, char **err);
void db_attr_free_all(struct db *db);
