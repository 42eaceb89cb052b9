/*
 * vigil.yaml: the cluster configuration, the same file on every node.
 *
 * Loading never logs: every problem becomes a diagnostic with the file, line
 * and column it concerns, so that `vigil verify`, `vigild` and (later) the
 * replicated configuration path all report problems identically.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_DEFAULT_PATH  "/etc/vigil/vigil.yaml"
#define CFG_MAX_FILE_SIZE (4u * 1024 * 1024)
#define CFG_MAX_NETWORKS  8 /* knet's link limit */
#define CFG_MAX_NODES     32

/* Defaults and limits of vigil.yaml; vigil.yaml(5) documents the same values. */
#define CFG_DEFAULT_KEY_PATH    "/etc/vigil/authkey"
#define CFG_DEFAULT_INTERVAL_MS 100
#define CFG_DEFAULT_MISSES      4
#define CFG_MIN_INTERVAL_MS     10
#define CFG_MAX_INTERVAL_MS     5000
#define CFG_MIN_MISSES          2
#define CFG_MAX_MISSES          60
#define CFG_MIN_TOKEN_MS        100 /* interval x misses */
#define CFG_MAX_TOKEN_MS        60000
#define CFG_MIN_KEY_SIZE        128 /* bytes, checked with CFG_LOAD_CHECK_FILES */
#define CFG_MAX_KEY_SIZE        4096
#define CFG_MAX_NODE_ID         65535 /* knet's node ids are 16 bits; Corosync refuses more */
/*
 * Below this heartbeat timeout (interval x misses), passive link mode gets a
 * warning: the knet ping timeout it implies (token / 3) is then short enough
 * for links to flap on a busy or virtualised machine, and a link failover
 * slower than the token costs a node. Measured in the namespace lab; see
 * vigil.yaml(5).
 */
#define CFG_PASSIVE_MIN_TOKEN_MS 1500

/* fencing: defaults and limits (vigil.yaml(5), FENCING). */
#define CFG_DEFAULT_FENCE_RETRIES    1
#define CFG_MAX_FENCE_RETRIES        10
#define CFG_DEFAULT_FENCE_TIMEOUT_MS 20000
#define CFG_MIN_FENCE_TIMEOUT_MS     1000
#define CFG_MAX_FENCE_TIMEOUT_MS     600000
#define CFG_MAX_FENCE_DELAY_MS       300000
#define CFG_MAX_FENCE_DEVICES        64
#define CFG_MAX_FENCE_PARAMS         64 /* per device */
#define CFG_MAX_FENCE_LEVELS         10 /* per node */
#define CFG_MAX_FENCE_LEVEL_DEVICES  16 /* per level */
/* A node not seen since start-up is fenced after this (fencing.startup_wait). */
#define CFG_DEFAULT_STARTUP_WAIT_MS 20000
#define CFG_MAX_STARTUP_WAIT_MS     3600000

/* groups: defaults and limits (vigil.yaml(5), GROUPS). */
#define CFG_MAX_GROUPS              256
#define CFG_MAX_RESOURCES           64  /* per group */
#define CFG_MAX_CHECKS              8   /* per resource */
#define CFG_MAX_ARGS                256 /* per command (process command, exec check) */
#define CFG_MAX_RES_PARAMS          64  /* params and environment entries, per resource */
#define CFG_DEFAULT_RESTARTS_MAX    2
#define CFG_MAX_RESTARTS            100
#define CFG_DEFAULT_RESTARTS_WITHIN 600000 /* 10min */
#define CFG_MAX_TIMEOUT_MS          3600000
#define CFG_MIN_TIMEOUT_MS          100
#define CFG_DEFAULT_CHECK_INTERVAL  5000
#define CFG_DEFAULT_CHECK_TIMEOUT   2000
#define CFG_DEFAULT_CHECK_FAILURES  1
#define CFG_MAX_CHECK_FAILURES      100
#define CFG_MIN_CHECK_INTERVAL      100
#define CFG_DEFAULT_OCF_ROOT        "/usr/lib/ocf"
#define CFG_DEFAULT_LSB_DIR         "/etc/init.d"
#define CFG_MIN_RESTARTS_WITHIN_MS  1000     /* 1s */
#define CFG_MAX_RESTARTS_WITHIN_MS  86400000 /* 24h */
/* Restart back-off: the first restart is immediate, then backoff, 2x, 4x ... up to backoff_max. */
#define CFG_DEFAULT_BACKOFF_MS      1000  /* 1s */
#define CFG_DEFAULT_BACKOFF_MAX_MS  60000 /* 1min */
#define CFG_MAX_BACKOFF_MS          3600000
#define CFG_MAX_CAPACITIES          8 /* capacity names (memory, cpu, ...) in one file */
#define CFG_MAX_CAPACITY            1000000000000ull /* one node's amount of one capacity */
#define CFG_MAX_PRIORITY            1000000
#define CFG_MAX_RELATIONS           32 /* groups named by one group's requires, together_with, apart_from */
#define CFG_MIN_MONITOR_INTERVAL_MS 1000
#define CFG_MAX_MONITOR_INTERVAL_MS 3600000
#define CFG_MAX_CHECK_INTERVAL_MS   3600000
#define CFG_MIN_CHECK_TIMEOUT_MS    10
/* A script resource's promote and demote timeouts when not written (ocf: the agent's). */
#define CFG_DEFAULT_PROMOTE_TIMEOUT_MS 20000

/* hooks: limits and defaults (vigil.yaml(5), HOOKS). */
#define CFG_MAX_HOOKS               32
#define CFG_DEFAULT_HOOK_TIMEOUT_MS 10000
#define CFG_MAX_HOOK_TIMEOUT_MS     600000

enum cfg_severity { CFG_SEV_ERROR, CFG_SEV_WARNING, CFG_SEV_MAX };

/* One problem found while loading. line and col are 1-based; 0 means unknown. */
struct cfg_diag {
    char *file;
    int line;
    int col;
    enum cfg_severity severity;
    char *msg;
};

/* A growing list of diagnostics, in the order of the file where possible. */
struct cfg_diags {
    struct cfg_diag *v;
    size_t n;
    size_t cap;
    size_t n_errors;
};

/* Makes d an empty list (whatever it held is not freed); clear it with cfg_diags_clear. */
void cfg_diags_init(struct cfg_diags *d);
/* Frees every diagnostic; d may then be reused. Accepts a zeroed d. */
void cfg_diags_clear(struct cfg_diags *d);
/* Appends a diagnostic; file may be NULL. The strings are copied. */
void cfg_diags_add(struct cfg_diags *d, enum cfg_severity sev, const char *file, int line, int col,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * Writes each diagnostic as one line "FILE:LINE:COL: error: MESSAGE" (or
 * "warning:"), omitting ":LINE:COL" parts that are unknown.
 */
void cfg_diags_print(const struct cfg_diags *d, FILE *out);
/* One diagnostic as cfg_diags_print writes it, without the newline (caller frees). */
char *cfg_diag_format(const struct cfg_diag *g);
/*
 * The diagnostics of severity sev (CFG_SEV_MAX: all) as cfg_diags_print
 * writes them, newline-separated, without a final newline; "" for none.
 * Caller frees.
 */
char *cfg_diags_text(const struct cfg_diags *d, enum cfg_severity sev);

enum cfg_tie_breaker {
    CFG_TIE_LOWEST,  /* the half holding the lowest node id wins a 50/50 split */
    CFG_TIE_HIGHEST, /* the half holding the highest node id wins */
    CFG_TIE_NODE,    /* the half holding tie_breaker_node wins */
    CFG_TIE_NONE,    /* an exact split leaves both halves without quorum */
    CFG_TIE_MAX
};

enum cfg_link_mode {
    CFG_LINK_ACTIVE,  /* knet sends each packet on every up link and drops duplicates (default) */
    CFG_LINK_PASSIVE, /* knet sends on the up link with the highest priority only */
    CFG_LINK_MODE_MAX
};

enum cfg_engine {
    CFG_ENGINE_MANAGED,  /* vigild runs Corosync as a supervised child (default) */
    CFG_ENGINE_EXTERNAL, /* the admin runs Corosync; vigild only connects to it */
    CFG_ENGINE_MAX
};

struct cfg_network {
    char *name;
};

struct cfg_node {
    char *name;
    uint32_t id;
    /* addr[i] is the node's address on networks[i], as written (no prefix length). */
    char **addr;
    /*
     * capacity: {NAME: AMOUNT, ...}. Without the key (has_capacity false) the
     * node is not limited. With it, capacity[i] is its amount of
     * cfg.capacity_names[i]; a name the node does not list is 0 there, so a
     * group with a load of it cannot run on that node.
     */
    bool has_capacity;
    uint64_t capacity[CFG_MAX_CAPACITIES];
};

/* A key: value pair: a fence device's parameter, an OCF parameter, an environment variable. */
struct cfg_param {
    char *key;
    char *value;
};

struct cfg_fence_device {
    char *name;
    char *agent; /* absolute path of a program speaking the fence-agents protocol */
    struct cfg_param *params;
    size_t n_params;
    char *secrets;       /* file of key=value lines added to the agent's input; may be NULL */
    uint64_t timeout_ms; /* per agent call; default 20s */
};

/* One device of a fencing level, with the port (plug) of the node on it, if any. */
struct cfg_fence_ref {
    size_t device; /* index into cfg.fence_devices */
    char *port;    /* may be NULL: then no plug= is passed */
};

/* A level succeeds only if every one of its devices succeeds. */
struct cfg_fence_level {
    struct cfg_fence_ref *refs;
    size_t n_refs;
};

/* Fencing of one node: levels tried in order; delay before fencing *this* node. */
struct cfg_fence_node {
    struct cfg_fence_level *levels;
    size_t n_levels;
    uint64_t delay_ms;
};

enum cfg_fence_action { CFG_FENCE_OFF, CFG_FENCE_REBOOT, CFG_FENCE_ACTION_MAX };

/* ---- groups ---- */

enum cfg_res_type {
    CFG_RES_IP,      /* a virtual address added over netlink, then announced (ARP / NA) */
    CFG_RES_PROCESS, /* a supervised long-running command */
    CFG_RES_FS,      /* mount / unmount */
    CFG_RES_SCRIPT,  /* the user's own action script: start, stop, monitor */
    CFG_RES_OCF,     /* an OCF resource agent: ocf:PROVIDER:AGENT */
    CFG_RES_LSB,     /* an init script: lsb:NAME */
    CFG_RES_TYPE_MAX
};

/* What happens when a resource fails (it stops, exits, or its checks fail). */
enum cfg_on_fail {
    CFG_ON_FAIL_IGNORE,   /* record it, change nothing */
    CFG_ON_FAIL_RESTART,  /* restart in place while the group's restart budget lasts, then failover
                           */
    CFG_ON_FAIL_FAILOVER, /* move the group to the next eligible node at once */
    CFG_ON_FAIL_HALT,     /* stop the group and keep it stopped until cleanup or start */
    CFG_ON_FAIL_FENCE,    /* fence the node (the group is then recovered elsewhere) */
    CFG_ON_FAIL_MAX
};

enum cfg_check_type {
    CFG_CHECK_TCP,  /* a connection to host:port succeeds */
    CFG_CHECK_HTTP, /* GET url answers with the expected status */
    CFG_CHECK_EXEC, /* a command exits 0 */
    CFG_CHECK_TYPE_MAX
};

enum cfg_policy {
    CFG_POLICY_ORDERED,     /* the first eligible node of the domain */
    CFG_POLICY_ROUND_ROBIN, /* the eligible node running the fewest groups, rotating after the last
                               owner */
    CFG_POLICY_SCRIPT,      /* a script rewrites the domain at run time */
    CFG_POLICY_BALANCED,    /* the eligible node with the most room left (capacity, else fewest
                               groups); domain order breaks ties */
    CFG_POLICY_MAX
};

enum cfg_failback {
    CFG_FAILBACK_CONTROLLED, /* stay where it runs until an admin moves it (default) */
    CFG_FAILBACK_AUTO,       /* return to the most preferred eligible node when it is back */
    CFG_FAILBACK_MAX
};

/* How many copies of a group run (vigil.yaml(5), CLONES AND PROMOTABLE GROUPS). */
enum cfg_group_kind {
    CFG_KIND_SINGLE,     /* one copy, on one node at a time (default) */
    CFG_KIND_CLONE,      /* clone: a copy on each of `copies` nodes of the domain */
    CFG_KIND_PROMOTABLE, /* promotable: clone copies, `primaries` of them promoted */
    CFG_KIND_MAX
};

/*
 * What a resource of a promotable group does on each copy (role:). Outside
 * promotable groups it is always CFG_ROLE_ALL.
 */
enum cfg_res_role {
    CFG_ROLE_ALL,        /* runs on every copy, never promoted (default: process, fs, lsb) */
    CFG_ROLE_PROMOTABLE, /* runs on every copy and is promoted / demoted (default: ocf, script) */
    CFG_ROLE_PRIMARY,    /* runs with the promoted copy only (default: ip) */
    CFG_ROLE_MAX
};

/* What the nodes of a partition without quorum do with their groups. */
enum cfg_no_quorum {
    CFG_NO_QUORUM_STOP,   /* stop every group at once (default) */
    CFG_NO_QUORUM_FREEZE, /* keep them running, start nothing, restart nothing */
    CFG_NO_QUORUM_MAX
};

struct cfg_check {
    enum cfg_check_type type;
    /* tcp: host (a numeric IPv4/IPv6 address or "localhost") and port; http: taken from url. */
    char *host;
    uint16_t port;
    /* http: the url as written (http://HOST[:PORT]/PATH), its path, and the expected status. */
    char *url;
    char *path;
    uint32_t status; /* 0: any 2xx or 3xx */
    /* exec: the command (argv[0] absolute), NULL-terminated. */
    char **argv;
    size_t argc;
    uint64_t interval_ms; /* default CFG_DEFAULT_CHECK_INTERVAL */
    uint64_t timeout_ms;  /* default CFG_DEFAULT_CHECK_TIMEOUT; less than interval */
    uint32_t failures;    /* consecutive failures before the check counts as failed */
};

struct cfg_resource {
    char *name; /* unique in the whole file, among groups and resources */
    enum cfg_res_type type;
    enum cfg_on_fail on_fail; /* default restart */
    /*
     * Action timeouts and the monitor interval. The loader fills the type's
     * defaults; for ocf they stay 0 when not written, meaning "the agent's
     * meta-data, else 20s". monitor_interval_ms 0 means no periodic monitor
     * (process: its exit is seen at once, so it has none by default).
     */
    uint64_t start_timeout_ms;
    uint64_t stop_timeout_ms;
    uint64_t monitor_timeout_ms;
    uint64_t monitor_interval_ms;
    /*
     * Promotable groups (role promotable): the promote, demote and notify
     * timeouts. As for start: 0 for ocf when not written (the agent's
     * meta-data, else 20s); the type's default otherwise.
     */
    uint64_t promote_timeout_ms;
    uint64_t demote_timeout_ms;
    uint64_t notify_timeout_ms;
    enum cfg_res_role role; /* role: (CFG_ROLE_ALL outside promotable groups) */
    struct cfg_check *checks;
    size_t n_checks;
    bool healthy_any; /* healthy: any (true) or all (false, default; always with < 2 checks) */
    /*
     * With checks: the resource counts as started once its start action
     * succeeded and its checks then pass (by healthy), within this time. The
     * loader fills the start timeout when it is not written; 0 (ocf without a
     * start timeout) means the agent's start timeout. Always 0 without checks.
     */
    uint64_t ready_timeout_ms;

    /* ip: address/prefix as written, parsed; network index; optional interface name. */
    char *address;
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t prefix;
    /*
     * network: index into networks (the interface holding this node's address
     * there), -1 when not given; interface overrides it when set (may be NULL).
     */
    int network;
    char *interface;
    /*
     * mac: a fixed MAC address for the service (has_mac). The address is then
     * held by a macvlan interface with that MAC on top of the interface, so
     * that clients which ignore gratuitous ARP still reach it after a move.
     */
    bool has_mac;
    uint8_t mac[6];

    /* process: argv (argv[0] absolute, NULL-terminated), user, environment, directory. */
    char **argv;
    size_t argc;
    char *user; /* may be NULL: root */
    struct cfg_param *env;
    size_t n_env;
    char *directory; /* may be NULL: / */

    /*
     * fs: device (absolute path, UUID=... or LABEL=...), mountpoint (absolute,
     * without a trailing slash), fstype and options (may be NULL).
     */
    char *device;
    char *mountpoint;
    char *fstype;
    char *options;

    /* script: the action script (absolute, executable). */
    char *path;

    /* ocf: provider and agent (ocf:PROVIDER:AGENT); lsb: the init script's name (lsb:NAME). */
    char *provider;
    char *agent;
    /* ocf: params, passed as OCF_RESKEY_key; script: passed as environment too. */
    struct cfg_param *params;
    size_t n_params;
};

struct cfg_group {
    char *name;
    size_t *domain; /* indices into nodes, most preferred first; never empty */
    size_t n_domain;
    enum cfg_policy policy;
    char *policy_script; /* CFG_POLICY_SCRIPT: absolute path */
    enum cfg_failback failback;
    uint32_t restarts_max; /* local restarts within restarts_within_ms before failover */
    /*
     * Failures older than this are forgotten: restarts no longer count, and a
     * node the group failed on may run it again (a group failed everywhere
     * tries again once its oldest failure expires).
     */
    uint64_t restarts_within_ms;
    /* restarts.backoff, restarts.backoff_max: delays between restarts in place (CFG_DEFAULT_*). */
    uint64_t backoff_ms;
    uint64_t backoff_max_ms;
    struct cfg_resource *resources; /* start order; stopped in reverse */
    size_t n_resources;

    /*
     * Relationships with other groups (indices into cfg.groups; never itself).
     * requires: starts only once each of them runs, and is stopped before any
     * of them stops; with colocated, only on the node where they run.
     * together_with: only on the node where each of them runs. apart_from:
     * never on a node where one of them runs while another node could take
     * it. The loader refuses cycles through requires and together_with.
     */
    size_t *requires;
    size_t n_requires;
    bool colocated;
    size_t *together_with;
    size_t n_together_with;
    size_t *apart_from;
    size_t n_apart_from;
    /* load: {NAME: AMOUNT}: load[i] of cfg.capacity_names[i] used where it runs (0 default). */
    uint64_t load[CFG_MAX_CAPACITIES];
    /* priority: when capacity is short, higher goes first and may stop lower ones (default 0). */
    int32_t priority;
    /*
     * clone: / promotable: (kind). copies: how many nodes of the domain run
     * a copy (1..n_domain; the loader fills n_domain when not written; 1 for
     * CFG_KIND_SINGLE). primaries: promoted copies (promotable: 1..copies,
     * default 1; 0 otherwise). notify: agents' notify actions are run around
     * starts, stops, promotions and demotions of copies (default false).
     */
    enum cfg_group_kind kind;
    uint32_t copies;
    uint32_t primaries;
    bool notify;
};

/* The events a hook may be called on (names as in vigil.yaml: node_lost, ...). */
enum cfg_hook_event {
    CFG_HOOK_NODE_LOST, /* a node left without a clean shutdown */
    CFG_HOOK_NODE_LEFT, /* a node left, cleanly or not */
    CFG_HOOK_NODE_JOINED,
    CFG_HOOK_NODE_FENCED, /* fenced, or confirmed off by an admin */
    CFG_HOOK_FENCE_FAILED,
    CFG_HOOK_QUORUM_LOST,
    CFG_HOOK_QUORUM_GAINED,
    CFG_HOOK_GROUP_FAILED, /* no eligible node can run it, or it halted */
    CFG_HOOK_GROUP_MOVED,
    CFG_HOOK_GROUP_RECOVERED,
    CFG_HOOK_GROUP_STARTED,
    CFG_HOOK_GROUP_STOPPED,
    CFG_HOOK_GROUP_RESTARTED,
    CFG_HOOK_GROUP_STOP_FAILED,
    CFG_HOOK_GROUP_MULTI_ACTIVE,
    CFG_HOOK_GROUP_PROMOTED, /* a promotable group's copy became primary */
    CFG_HOOK_GROUP_DEMOTED,  /* a promotable group's primary became a replica */
    CFG_HOOK_RESOURCE_FAILED,
    CFG_HOOK_ADMIN,
    CFG_HOOK_CONFIG_CHANGED,
    CFG_HOOK_EVENT_MAX
};

/* The events of a hook with no `events:` key. */
#define CFG_HOOK_DEFAULT_EVENTS                                                                    \
    ((1u << CFG_HOOK_NODE_LOST) | (1u << CFG_HOOK_NODE_FENCED) | (1u << CFG_HOOK_FENCE_FAILED) |   \
     (1u << CFG_HOOK_QUORUM_LOST) | (1u << CFG_HOOK_QUORUM_GAINED) |                               \
     (1u << CFG_HOOK_GROUP_FAILED) | (1u << CFG_HOOK_GROUP_MOVED) |                                \
     (1u << CFG_HOOK_GROUP_RECOVERED) | (1u << CFG_HOOK_GROUP_STOP_FAILED) |                       \
     (1u << CFG_HOOK_GROUP_MULTI_ACTIVE) | (1u << CFG_HOOK_GROUP_PROMOTED))

/* A program run on cluster events (vigil.yaml(5), HOOKS). */
struct cfg_hook {
    char *name;
    char **argv; /* argv[0] absolute, NULL-terminated */
    size_t argc;
    uint32_t events;     /* bit (1 << enum cfg_hook_event) per event it is called on */
    uint64_t timeout_ms; /* default CFG_DEFAULT_HOOK_TIMEOUT_MS */
    bool every_node;     /* run on every node (default: one node per partition) */
    struct cfg_param *env;
    size_t n_env;
};

struct cfg {
    char *file; /* path it was loaded from (or the name given to cfg_load_string) */
    char *cluster_name;
    char *key_path;
    enum cfg_engine engine;
    uint64_t interval_ms; /* heartbeat interval */
    uint32_t misses;      /* heartbeats missed in a row before a node is declared failed */
    enum cfg_link_mode link_mode;
    size_t n_networks;
    struct cfg_network *networks; /* best first */
    size_t n_nodes;
    struct cfg_node *nodes; /* in file order */
    enum cfg_tie_breaker tie_breaker;
    uint32_t tie_breaker_node_id; /* for CFG_TIE_NODE */

    /* fencing: */
    bool fence_enabled;         /* default true */
    bool fence_unsafe_recovery; /* only with fencing disabled: recover without fencing */
    enum cfg_fence_action fence_action;
    uint32_t fence_retries; /* extra attempts of a failed level before the next one */
    /*
     * How long the coordinator waits, after its vigild started, for a node it
     * has never seen before fencing it (a node that was down when the cluster
     * started may still hold resources of an earlier run).
     */
    uint64_t fence_startup_wait_ms;
    size_t n_fence_devices;
    struct cfg_fence_device *fence_devices;
    /*
     * n_nodes entries, indexed like nodes (NULL only when n_nodes is 0); a node
     * absent from fencing.nodes has no levels and no delay.
     */
    struct cfg_fence_node *fence_nodes;

    /* quorum.no_quorum: what a partition without quorum does with its groups. */
    enum cfg_no_quorum no_quorum;
    char *ocf_root; /* resources.ocf_root, default CFG_DEFAULT_OCF_ROOT */

    /* Capacity names (memory, cpu, ...), in order of first appearance in the file. */
    size_t n_capacity_names;
    char *capacity_names[CFG_MAX_CAPACITIES];

    /* groups: */
    size_t n_groups;
    struct cfg_group *groups; /* in file order */

    /* hooks: */
    size_t n_hooks;
    struct cfg_hook *hooks;
};

/* Flags for the loaders. */
enum {
    /*
     * Check on this node what the configuration names (src/config/files.c):
     * the cluster key (present, readable, sane size), fence agents and
     * secrets, OCF agents and init scripts, scripts, policy scripts and hook
     * commands (executable), and the users processes run as. Without it,
     * cfg_load_string does no I/O.
     */
    CFG_LOAD_CHECK_FILES = 1u << 0,
};

/*
 * Parses and validates a configuration. Every problem found is appended to
 * diags (errors and warnings; all of them, not only the first). Returns 0 and
 * stores a new configuration, owned by the caller (free with cfg_free), in
 * *ret when there were no errors; returns -EINVAL (errors in the file) or
 * another negative errno (file unreadable, too large) and leaves *ret
 * untouched otherwise. Warnings alone do not fail the load.
 */
int cfg_load_file(const char *path, unsigned flags, struct cfg **ret, struct cfg_diags *diags);
/* The same, from memory; name is used as the file name in diagnostics. */
int cfg_load_string(const char *buf, size_t len, const char *name, unsigned flags, struct cfg **ret,
                    struct cfg_diags *diags);

/* Frees a configuration; accepts NULL. */
void cfg_free(struct cfg *c);

/*
 * Writes the normalised form of c as YAML (every default spelled out, block
 * style except for lists of names or words, which are one flow list each:
 * fencing levels, group domains, commands; durations in their shortest exact
 * unit). Loading that text gives a configuration equal to c (cfg_equal). A
 * configuration loaded without a fencing section prints as
 * fencing.enabled: false. An ocf resource's timeouts and monitor interval
 * are left out where they are 0 (the agent's own defaults); a resource's
 * healthy only appears with two or more checks. The keys added after the
 * first release appear only when they are not the default, so that a file
 * that does not use them prints as before (and hashes the same): a node's
 * capacity (then with every capacity name, 0 included), a group's priority,
 * requires, colocated, together_with, apart_from, load (amounts above 0),
 * restarts.backoff and restarts.backoff_max, and an ip resource's mac. A
 * clone or promotable group prints its clone: or promotable: mapping with
 * every key; a resource prints its role in promotable groups, and its
 * promote, demote and notify timeouts where they are not 0.
 * Returns a string owned by the caller.
 */
char *cfg_print(const struct cfg *c);

/* True if a and b describe the same cluster (the file name is ignored). */
bool cfg_equal(const struct cfg *a, const struct cfg *b);

/*
 * Lookups. The node with id id, or named name, pointing into c (valid while
 * c lives), or NULL; the index in c->networks of the network named name, or
 * -1.
 */
const struct cfg_node *cfg_node_by_id(const struct cfg *c, uint32_t id);
const struct cfg_node *cfg_node_by_name(const struct cfg *c, const char *name);
int cfg_network_index(const struct cfg *c, const char *name);
/* The fence device named name, pointing into c (valid while c lives), or NULL. */
const struct cfg_fence_device *cfg_fence_device_by_name(const struct cfg *c, const char *name);

/* The group named name, or NULL. */
const struct cfg_group *cfg_group_by_name(const struct cfg *c, const char *name);
/*
 * The resource named name (names are unique in the file) and, when ret_group
 * is not NULL, its group. NULL when absent.
 */
const struct cfg_resource *cfg_resource_by_name(const struct cfg *c, const char *name,
                                                const struct cfg_group **ret_group);
/* Index of group g in c->groups (g must point into c). */
size_t cfg_group_index(const struct cfg *c, const struct cfg_group *g);

/* The Corosync timers vigil derives from the heartbeat settings. */
struct cfg_timers {
    uint64_t token_ms;         /* node declared failed after this silence */
    uint64_t consensus_ms;     /* corosync consensus: 1.2 x token, rounded up */
    uint64_t ping_interval_ms; /* knet link ping interval, per link */
    uint64_t ping_timeout_ms;  /* knet link declared down after this silence */
    uint32_t pong_count;       /* pongs needed before a link is up again */
};

/* Computes the timers for c. The formula is documented in vigil.yaml(5). */
void cfg_derive_timers(const struct cfg *c, struct cfg_timers *ret);

/*
 * Renders corosync.conf for c: knet transport in c's link mode, one link per
 * network with priorities in order (the first network highest), the derived
 * timers, crypto with the cluster key, the node list, and votequorum
 * (two_node for two nodes, the tie-breaker for an even number of four or
 * more, neither for an odd number). Returns a string owned by the caller.
 */
char *cfg_corosync_conf(const struct cfg *c);

/* Names for enums, as written in vigil.yaml; NULL for values out of range. */
const char *cfg_engine_name(enum cfg_engine e);
/* "active" or "passive". */
const char *cfg_link_mode_name(enum cfg_link_mode m);
/* "lowest", "highest", "none", or "node" for CFG_TIE_NODE (the file names the node). */
const char *cfg_tie_breaker_name(enum cfg_tie_breaker t);
/* "off" or "reboot": the action= vigil passes to a fence agent to fence a node. */
const char *cfg_fence_action_name(enum cfg_fence_action a);
/* "ip", "process", "fs", "script", "ocf", "lsb". */
const char *cfg_res_type_name(enum cfg_res_type t);
/* "ignore", "restart", "failover", "halt", "fence". */
const char *cfg_on_fail_name(enum cfg_on_fail f);
/* "tcp", "http", "exec". */
const char *cfg_check_type_name(enum cfg_check_type t);
/* "ordered", "round-robin", "script", "balanced". */
const char *cfg_policy_name(enum cfg_policy p);
/* "controlled", "auto". */
const char *cfg_failback_name(enum cfg_failback f);
/* "stop", "freeze". */
const char *cfg_no_quorum_name(enum cfg_no_quorum q);
/* "single", "clone", "promotable" (the key that makes one, or none for single). */
const char *cfg_group_kind_name(enum cfg_group_kind k);
/* "all", "promotable", "primary". */
const char *cfg_res_role_name(enum cfg_res_role r);

/* "node_lost", "group_moved", ...; NULL when out of range. */
const char *cfg_hook_event_name(enum cfg_hook_event e);
/* Parses an event name; -1 if unknown. */
int cfg_hook_event_parse(const char *name);

/* Parts of cfg_equal, for telling what changed (src/config/diff.h). */
/* True if a and b have the same hooks, in the same order. */
bool cfg_hooks_equal(const struct cfg *a, const struct cfg *b);
/*
 * True if groups a and b are the same: name, domain (node indices, so only
 * meaningful between configurations with the same nodes), policy, failback,
 * restarts (with back-off), kind, copies, primaries, notify, and resources
 * in the same order
 * (cfg_resource_equal). Not their priority, relationships and load, which
 * refer to other parts of their configurations: see
 * cfg_group_placement_equal.
 */
bool cfg_group_equal(const struct cfg_group *a, const struct cfg_group *b);
/*
 * True if group x of configuration a and group y of b have the same
 * priority, colocated, requires, together_with and apart_from (the groups
 * compared by name, in order) and load (compared by capacity name: a name
 * one configuration lacks counts as 0).
 */
bool cfg_group_placement_equal(const struct cfg *a, const struct cfg_group *x, const struct cfg *b,
                               const struct cfg_group *y);
/*
 * True if a and b have as many nodes and each has the same capacity in both
 * (or none in both), compared by capacity name.
 */
bool cfg_capacity_equal(const struct cfg *a, const struct cfg *b);
/* True if resources a and b are the same: every key of every type, and their checks in order. */
bool cfg_resource_equal(const struct cfg_resource *a, const struct cfg_resource *b);
/*
 * True if a and b have the same fencing section: settings, devices in order,
 * and every node's levels and delay. False when their numbers of nodes
 * differ (levels are indexed by node).
 */
bool cfg_fencing_equal(const struct cfg *a, const struct cfg *b);
