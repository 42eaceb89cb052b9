/*
 * Private to the loader of vigil.yaml (load.c and the files it is split
 * into): the loader's state, and the helpers its sections share.
 *
 * The calls form a star: load.c (the entry points, cfg_load_string and
 * cfg_load_file) walks the top level and calls one section loader per key
 * (load_cluster.c, load_fencing.c, load_resources.c, load_groups.c,
 * load_hooks.c; load_resources.c calls load_checks.c, load_cluster.c and
 * load_groups.c call load_capacity.c for capacity and load, and
 * load_groups.c calls load_resources.c for the resources of a group,
 * load_clone.c for the keys of clone and promotable groups (load_resources.c
 * calls it too, for a resource's role and promote, demote and notify
 * timeouts) and load_relations.c, once every group is loaded, for their
 * relationships).
 * Every section uses the shared helpers, and none of those calls a section:
 * report.c records diagnostics, scalar.c reads scalars, walk.c reads
 * mappings and lists.
 * files.c holds the only I/O (reading vigil.yaml and, with
 * CFG_LOAD_CHECK_FILES, checking the files, programs and users it names); all
 * the other files are pure.
 *
 * Every helper that takes a label or a who names the value in its messages
 * ("node 'n1': id"); the strings it reports are copied into the diagnostics.
 * Text returned from the tree (a name, a path) is owned by the tree and lives
 * until the load ends. Nothing here logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/internal.h"

/* Longest key path accepted (it is written into corosync.conf). */
#define KEY_PATH_MAX   4096
#define NODE_NAME_RULE "1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
#define BIT(k)         (1u << (k))

/* Where each accepted value came from, for messages that involve two nodes. */
struct node_src {
    struct ynode *entry; /* the node's mapping */
    struct ynode *name;  /* value nodes, NULL when absent */
    struct ynode *id;
    struct ynode **addr; /* [n_networks]: the value node of each address */
    bool name_ok;
    bool id_ok;
};

/* Where each fence device came from. */
struct fdev_src {
    struct ynode *name; /* the name's value node when usable and unique, else NULL */
    struct ynode *agent;
    struct ynode *secrets;
    bool used; /* named by some level */
};

/* An address as bytes, to compare spellings of the same address. */
struct addr_bin {
    int family; /* AF_INET or AF_INET6, 0 if invalid */
    unsigned char bytes[16];
};

/* A group or resource name accepted so far (names are unique among both). */
struct gname {
    const char *name; /* owned by the configuration */
    const struct ynode *at;
    size_t group; /* the group, or the resource's group */
    bool is_group;
};

/* A resource and the value node that gave it an address or mount point. */
struct res_at {
    const struct cfg_resource *r;
    const struct ynode *at;
};

/* A group's relationship lists, in the order load_relations resolves them. */
enum { REL_REQUIRES, REL_TOGETHER_WITH, REL_APART_FROM, REL_MAX };

/* Where a group's relationships were written, resolved once every group is loaded. */
struct group_src {
    struct ynode *rel[REL_MAX]; /* value nodes of requires, together_with, apart_from, or NULL */
    struct ynode *colocated;    /* the value node of colocated: true, else NULL */
    bool domain_ok;             /* every entry of the domain loaded (it is the whole domain) */
    struct ynode *entry;        /* the group's mapping */
    struct ynode *kind;         /* the key clone or promotable that set the kind, else NULL */
    struct ynode *notify;       /* the value node of notify: true, else NULL */
    bool roles_unknown;         /* some resource's type or role was unusable */
};

/*
 * The state of one load: where diagnostics go, the configuration being
 * built, and what the sections record for the checks that come after them.
 * The configuration belongs to the load until cfg_load_string hands it over;
 * the arrays here are freed when the load ends.
 */
struct loader {
    const char *file;
    struct cfg_diags *d;
    struct cfg *c;
    unsigned flags; /* CFG_LOAD_* */

    struct ynode **net_name; /* [n_networks]: value node of each usable network name */
    bool networks_ok;        /* the list is present and usable to check addresses against */
    struct node_src *src;    /* [c->n_nodes] */
    struct addr_bin *bin;    /* [c->n_nodes * c->n_networks] */

    struct ynode *cluster;
    struct ynode *key;
    struct ynode *heartbeat;
    struct ynode *interval;
    struct ynode *misses;
    struct ynode *link_mode; /* the value node, NULL when absent or not a keyword */
    struct ynode *tie_breaker;
    bool interval_ok, misses_ok, tie_ok;

    struct ynode *fencing;         /* the section's key, NULL when absent */
    bool fencing_ok;               /* the section is a mapping */
    struct ynode *fence_enabled;   /* value nodes when valid, else NULL */
    struct ynode *fence_unsafe;    /* set only when true */
    struct ynode *fence_nodes_map; /* the key of fencing.nodes when that is a mapping */
    bool fence_enabled_bad;        /* enabled is present but not true or false */
    bool fence_nodes_bad;          /* fencing.nodes is present but unusable */
    bool fence_refs_ok;            /* every level and entry loaded without error */
    bool fdevs_ok;                 /* every device has a usable name: references can be checked */
    struct fdev_src *fdev;         /* [c->n_fence_devices] */
    struct ynode **fnode_key;      /* [c->n_nodes]: the node's key in fencing.nodes */
    struct ynode **fnode_at;       /* [c->n_nodes]: its levels list when that is empty */
    bool *fnode_bad;               /* [c->n_nodes]: its entry had errors */

    struct gname *gnames; /* every group and resource name so far, in file order */
    size_t n_gnames, gnames_cap;
    struct res_at *ips; /* ip resources with a usable address */
    size_t n_ips, ips_cap;
    struct res_at *mounts; /* fs resources with a usable mount point */
    size_t n_mounts, mounts_cap;
    struct res_at *macs; /* ip resources with a usable mac */
    size_t n_macs, macs_cap;

    bool capacity_bad;      /* some node's capacity key was unusable: load names go unchecked */
    struct group_src *gsrc; /* [c->n_groups] */
    bool groups_all;        /* every entry of groups was loaded (not past CFG_MAX_GROUPS) */
};

/* One key of a mapping, for walk_mapping. */
struct key_spec {
    const char *name;
    bool required;
};

/*
 * A mapping whose keys depend on its type (resources, checks): keys[] holds
 * every key of every type, masks[t] the keys type t accepts (bit i for
 * keys[i]), types[t] the type's name, and required the keys every type needs.
 */
struct typed_schema {
    const char *const *keys;
    size_t n_keys; /* at most 32 */
    const uint32_t *masks;
    const char *const *types;
    size_t n_types;
    const char *noun; /* "resources", "checks" */
    uint32_t required;
};

/* ---- Diagnostics (report.c) ---- */

/*
 * Records an error (report_error) or a warning (report_warning) in ld->d,
 * at node at of the file being loaded (NULL: no position), with a printf
 * style message.
 */
void report_error(struct loader *ld, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void report_warning(struct loader *ld, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports "LABEL must be EXPECTED, not WHAT N IS" (see report_describe) at n. */
void report_type(struct loader *ld, const struct ynode *n, const char *label, const char *expected);
/*
 * len bytes of s quoted for a message ('text'), with control bytes escaped and
 * long values cut short. Returns a string owned by the caller.
 */
char *report_quote(const char *s, size_t len);
/* report_quote of scalar n's text. Returns a string owned by the caller. */
char *report_quote_node(const struct ynode *n);
/*
 * What n is, for "must be X, not Y": "a mapping", "a list", "an empty value",
 * an alias, or its quoted text. Returns a string owned by the caller.
 */
char *report_describe(const struct ynode *n);
/*
 * The candidate closest to word (edit distance at most 2, and less than the
 * candidate's length), for "did you mean"; NULL entries of cand are skipped.
 * Returns one of cand's strings (borrowed), or NULL when none is close.
 */
const char *report_suggest(const char *word, const char *const *cand, size_t n);
/*
 * The non-NULL entries of v, joined as "a, b or c" (last_sep is the last
 * separator: " or ", " and "). Returns a string owned by the caller.
 */
char *report_join(const char *const *v, size_t n, const char *last_sep);
/* How report_unknown speaks of a name that is not declared. */
struct unknown_name {
    const char *what;    /* before the name: "undeclared node", "unknown fencing device" */
    const char *context; /* after it, or NULL: " in the domain" */
    const char *plural;  /* the candidates: "nodes", for "(the nodes are a and b)" */
    const char *none; /* when no candidate has a name, or NULL: "fencing.devices declares none" */
};
/*
 * Reports at n (a scalar) that its text names none of the n_cand names of
 * cand (NULL entries are skipped): "WHO: WHAT 'x'CONTEXT; did you mean
 * 'y'?" when one is close (report_suggest), else "WHO: WHAT 'x'CONTEXT (the
 * PLURAL are a, b and c)", or "(NONE)" when cand holds no name and u->none
 * is set. who may be NULL: the message then starts with WHAT.
 */
void report_unknown(struct loader *ld, const struct ynode *n, const char *who,
                    const struct unknown_name *u, const char *const *cand, size_t n_cand);
/* "IPv4" for AF_INET, else "IPv6" (a static string). */
const char *report_family(int family);

/* ---- Scalars (scalar.c) ---- */

/*
 * The getters check node n, named label in their messages. A usable value
 * goes to *ret and they return true (or the value); otherwise they report
 * why at n and return false (or NULL, or -1), leaving *ret untouched.
 */

/* True if n is a scalar and not null; else reports "LABEL must be EXPECTED, not ...". */
bool scalar_ok(struct loader *ld, const struct ynode *n, const char *label, const char *expected);
/* A plain decimal number from lo to hi (hi below 2^63 / 10). */
bool scalar_uint(struct loader *ld, const struct ynode *n, const char *label, uint64_t lo,
                 uint64_t hi, uint64_t *ret);
/* A plain decimal number from lo to hi, negative with a leading '-' (|lo|, hi below 2^62). */
bool scalar_int(struct loader *ld, const struct ynode *n, const char *label, int64_t lo, int64_t hi,
                int64_t *ret);
/*
 * A duration such as 100ms, 5s, 2min or 1h, from lo to hi milliseconds, in
 * milliseconds. Fractions and bare numbers are refused with the spelling to
 * write instead.
 */
bool scalar_duration(struct loader *ld, const struct ynode *n, const char *label, uint64_t lo,
                     uint64_t hi, uint64_t *ret);
/* true or false (YAML 1.2 spellings); yes, no, on, off and the like get a hint. */
bool scalar_bool(struct loader *ld, const struct ynode *n, const char *label, bool *ret);
/*
 * One of the n_names keywords in names[] (no NULL entries). Returns its
 * index, or -1 after reporting (with a suggestion when one is close).
 */
int scalar_keyword(struct loader *ld, const struct ynode *n, const char *label,
                   const char *const *names, size_t n_names);
/*
 * True if the len bytes at s are 1 to max letters, digits or characters of
 * extra, starting with a letter or a digit when alnum_first. Reports nothing.
 */
bool scalar_chars_ok(const char *s, size_t len, size_t max, const char *extra, bool alnum_first);
/* scalar_chars_ok of scalar n's text, which must also hold no NUL. Reports nothing. */
bool scalar_name_ok(const struct ynode *n, size_t max, const char *extra, bool alnum_first);
/*
 * True if scalar n's text can go on one key=value line and print back
 * unchanged: no NUL, no control character (C0, DEL or C1) and no Unicode line
 * or paragraph separator. Reports nothing.
 */
bool scalar_one_line(const struct ynode *n);
/*
 * A name checked with scalar_name_ok (max, extra, alnum_first); what is the
 * kind of name ("node name") and rule says what is allowed, for the messages.
 * Returns n's text (owned by the tree) or NULL after reporting.
 */
const char *scalar_name(struct loader *ld, const struct ynode *n, const char *label,
                        const char *what, size_t max, const char *extra, bool alnum_first,
                        const char *rule);
/*
 * An absolute path of at most KEY_PATH_MAX bytes without control characters;
 * what is what it names ("a program"). A bare name gets the hint
 * DIR_HINT/NAME when dir_hint is not NULL. Returns n's text (owned by the
 * tree) or NULL after reporting.
 */
const char *scalar_path(struct loader *ld, const struct ynode *n, const char *label,
                        const char *what, const char *dir_hint);
/*
 * Parses scalar n as a numeric IPv4 or IPv6 address into *ret. Returns
 * false, with ret->family untouched, when it is neither. Reports nothing.
 */
bool scalar_addr(const struct ynode *n, struct addr_bin *ret);

/* ---- Mappings and lists (walk.c) ---- */

/*
 * True if k, a key of a mapping, is plain text; otherwise reports "keys must
 * be plain text, not WHAT" at k and returns false (the caller skips it).
 */
bool walk_plain_key(struct loader *ld, const struct ynode *k);
/*
 * Checks that n is a mapping whose keys are among the n_specs (at most 16)
 * specs: reports keys that are not text, unknown keys (with a suggestion),
 * duplicate keys and missing required keys, placing them with where ("in
 * cluster"). Stores the value node of each spec's key in found[] (NULL when
 * absent). Returns false, after reporting "LABEL must be a mapping", if n is
 * not a mapping at all.
 */
bool walk_mapping(struct loader *ld, const struct ynode *n, const char *label, const char *where,
                  const struct key_spec *specs, size_t n_specs, struct ynode **found);
/*
 * walk_mapping for n, a mapping whose keys depend on its type:
 * s->masks[type], or with type -1 (unknown) the keys of every type, let
 * through unchecked. A key of another type is reported as such ("'mountpoint'
 * is not a key of an ip resource"), kind naming this type's mappings with an
 * article ("an ip resource"), and missing keys of s->required are reported
 * at n. found[] gets s->n_keys value nodes (NULL when absent);
 * *ret_suggested gets the keys that some unknown key was taken for, so that
 * the caller does not also call them missing.
 */
void walk_typed(struct loader *ld, const struct ynode *n, const char *who, const char *where,
                const struct typed_schema *s, int type, const char *kind, struct ynode **found,
                uint32_t *ret_suggested);
/* The value of key in mapping m (the first one), or NULL. Reports nothing. */
struct ynode *walk_find(const struct ynode *m, const char *key);
/*
 * The key of value v in mapping m, or v itself when m holds no such value:
 * to point at a section by its name. Reports nothing.
 */
struct ynode *walk_key_of(const struct ynode *m, struct ynode *v);
/*
 * Checks that n, the value of key, is a non-empty list of shape, declaring
 * at least one what. Returns how many entries to load: 0 after reporting the
 * list unusable, else all of them, or max after reporting the entries past
 * max once ("too many KEY ... at most MAX are supported" and then why).
 */
size_t walk_list(struct loader *ld, struct ynode *n, const char *key, const char *shape,
                 const char *what, size_t max, const char *why);
/*
 * How many entries of list n to load: all of them, or the first max after
 * reporting "WHO: too many WHAT" at the first entry past the limit.
 */
size_t walk_cap(struct loader *ld, struct ynode *n, size_t max, const char *who, const char *what);
/*
 * "WHAT 'name'" when list entry e (the idx-th, from 0) is a mapping with a
 * usable name (node name rules), else "WHAT #N". Returns a string owned by
 * the caller.
 */
char *walk_label(const struct ynode *e, size_t idx, const char *what);
/*
 * A mapping of names to text: a resource's params, or a process's or hook's
 * environment. what is its key ("params"), entry what one name is
 * ("parameter"), example a sample for the messages. Names are 1 to 64 of
 * [A-Za-z0-9_], not starting with a digit, and unique; at most
 * CFG_MAX_RES_PARAMS are read. The usable entries, in file order, go to a new
 * array in *ret, owned by the caller, and their number to *ret_n; both are
 * left untouched when n is not a mapping.
 */
void walk_params(struct loader *ld, struct ynode *n, const char *who, const char *what,
                 const char *entry, const char *example, struct cfg_param **ret, size_t *ret_n);
/*
 * A command: a list of the program (an absolute path) and its arguments, at
 * most CFG_MAX_ARGS entries in all. When every entry is usable, stores a
 * NULL-terminated copy in *ret_argv, owned by the caller, and its length in
 * *ret_argc; otherwise reports and leaves both untouched.
 */
void walk_command(struct loader *ld, struct ynode *n, const char *who, char ***ret_argv,
                  size_t *ret_argc);

/* ---- The file system (files.c) ---- */

/*
 * Reads the configuration file at path, at most CFG_MAX_FILE_SIZE bytes,
 * into a new NUL-terminated buffer in *ret_buf, owned by the caller, and its
 * length in *ret_len; returns 0. A file that cannot be read gives one
 * diagnostic without a position in diags and its negative errno (-ENOENT,
 * -EACCES, -EISDIR, -EFBIG, ...), with *ret_buf and *ret_len untouched.
 */
int files_read(const char *path, struct cfg_diags *diags, char **ret_buf, size_t *ret_len);

/*
 * The checks of what the configuration names on this node's disk, for loads
 * with CFG_LOAD_CHECK_FILES (the callers test the flag). Each reports what
 * is wrong at the node that named the file, and returns nothing.
 */

/*
 * The cluster key, ld->c->key_path (at ld->key, or at ld->cluster for the
 * default path): a readable regular file of CFG_MIN_KEY_SIZE to
 * CFG_MAX_KEY_SIZE bytes; a warning when group or others may read it.
 */
void files_check_key(struct loader *ld);
/*
 * The program at path, which what names in the message ("fence agent"): a
 * regular file with an execute bit, that root may execute when the load runs
 * as root.
 */
void files_check_executable(struct loader *ld, const struct ynode *at, const char *what,
                            const char *path);
/*
 * The agent of ocf resource r (OCF_ROOT/resource.d/PROVIDER/AGENT) or the
 * init script of lsb resource r (CFG_DEFAULT_LSB_DIR/NAME): present and
 * executable. at is the resource's type; who names the resource.
 */
void files_check_agent(struct loader *ld, const struct cfg_resource *r, const struct ynode *at,
                       const char *who);
/* name, the user a process of who runs as, must be in this node's user database. */
void files_check_user(struct loader *ld, const struct ynode *at, const char *who, const char *name);
/*
 * Every fence device's agent (files_check_executable) and secrets file: a
 * readable regular file, with a warning when group or others may read it.
 */
void files_check_fencing(struct loader *ld);

/* ---- Sections: the cluster, its networks and nodes (load_cluster.c) ---- */

/*
 * Each loads the value n of one top-level key into ld->c, recording in ld
 * where the values came from:
 *   load_cluster           cluster: name and key (ld->cluster, ld->key);
 *   load_cluster_engine    engine: managed or external;
 *   load_cluster_heartbeat heartbeat: interval, misses and link_mode;
 *   load_cluster_networks  networks: the list of networks, best first
 *                          (ld->networks_ok when nodes can be matched to it);
 *   load_cluster_nodes     nodes: names, ids and an address on every network,
 *                          each unique (load the networks first);
 *   load_cluster_quorum    quorum: tie_breaker (a keyword or the name of a
 *                          node: load the nodes first) and no_quorum.
 */
void load_cluster(struct loader *ld, struct ynode *n);
void load_cluster_engine(struct loader *ld, struct ynode *n);
void load_cluster_heartbeat(struct loader *ld, struct ynode *n);
void load_cluster_networks(struct loader *ld, struct ynode *n);
void load_cluster_nodes(struct loader *ld, struct ynode *n);
void load_cluster_quorum(struct loader *ld, struct ynode *n);
/*
 * The checks that need the whole file, once every section is loaded: the
 * heartbeat timeout (interval x misses) in range, passive link mode with a
 * short timeout (a warning), and a tie-breaker that does nothing or stops
 * everything after an even split (warnings). ld->heartbeat must be set (to
 * the top level when the section is absent) to place them.
 */
void load_cluster_check(struct loader *ld);

/* ---- Sections: fencing (load_fencing.c) ---- */

/*
 * The fencing section, n (its value): settings, devices, and each node's
 * levels and delay, into ld->c. Load the nodes first: ld->c->fence_nodes and
 * ld->fnode_key, fnode_at and fnode_bad must hold ld->c->n_nodes entries
 * (load.c allocates them). Records in ld what load_fencing_check and
 * files_check_fencing need.
 */
void load_fencing(struct loader *ld, struct ynode *n);
/*
 * The fencing checks that need the whole file, once every section is
 * loaded: enabled and unsafe_recovery together, levels for every node,
 * devices no level uses (a warning), and the delay a two-node cluster needs
 * (a warning). Does nothing when the section was absent or not a mapping.
 */
void load_fencing_check(struct loader *ld);

/* ---- Sections: resources (load_resources.c) ---- */

/*
 * The top-level resources section, n: settings for every resource
 * (ocf_root), into ld->c. The resources themselves are listed in groups
 * (load_resource).
 */
void load_resources(struct loader *ld, struct ynode *n);
/*
 * Resource ri of group gi from list entry e, into
 * ld->c->groups[gi].resources[ri] (allocated and zeroed by the caller), with
 * the defaults of its type and its checks (load_checks). Its name is claimed
 * (load_resources_claim_name). With CFG_LOAD_CHECK_FILES, the agent, init
 * script, script or user it names is checked on this node (files.c).
 */
void load_resource(struct loader *ld, size_t gi, size_t ri, struct ynode *e);
/*
 * Records the name at (its text, owned by the tree): a group's when
 * is_group, else a resource's of group gi. Names are unique among all
 * groups and resources together: a name already held is reported with its
 * first holder, and false returned.
 */
bool load_resources_claim_name(struct loader *ld, const struct ynode *at, size_t gi, bool is_group);

/* ---- Sections: checks (load_checks.c) ---- */

/*
 * The checks of resource r, n: a list of at most CFG_MAX_CHECKS tcp, http or
 * exec checks, into a new r->checks and r->n_checks; who names the resource.
 */
void load_checks(struct loader *ld, struct cfg_resource *r, struct ynode *n, const char *who);

/* ---- Sections: groups (load_groups.c) ---- */

/*
 * The groups section, n: a list of at most CFG_MAX_GROUPS groups (an empty
 * list for none) into a new ld->c->groups, each with its resources
 * (load_resource). Domains name nodes, and resources refer to networks,
 * fencing and resources.ocf_root: load those sections first. With
 * CFG_LOAD_CHECK_FILES, a policy script is checked with
 * files_check_executable.
 */
void load_groups(struct loader *ld, struct ynode *n);

/* ---- Sections: relationships between groups (load_relations.c) ---- */

/*
 * Resolves the requires, together_with and apart_from that ld->gsrc recorded
 * for each group into ld->c's index lists, once every group is loaded (a
 * group may name one written after it), and refuses unknown names (with a
 * suggestion), a group naming itself or one group twice, an apart_from
 * contradicting a same-node relationship, cycles through requires and
 * together_with, and relationships of or to clone and promotable groups
 * (not supported yet); colocated without requires is a warning.
 */
void load_relations(struct loader *ld);

/* ---- Sections: clone and promotable groups (load_clone.c) ---- */

/*
 * clone: and promotable: of group gi (their value nodes, NULL when absent;
 * policy is the value node of the group's policy, or NULL), into kind,
 * copies, primaries and notify; who names the group. Load the group's
 * domain and policy first, its resources after. A single-copy group gets
 * kind CFG_KIND_SINGLE, copies 1, primaries 0. Refuses both keys together,
 * copies of 0 or more than the domain, primaries of 0 or more than copies
 * (or in a plain clone), and a policy other than ordered on a clone.
 */
void load_clone_group(struct loader *ld, size_t gi, struct ynode *clone, struct ynode *promotable,
                      struct ynode *policy, const char *who);
/* The value nodes of the keys of a resource that load_clone_resource reads (NULL: absent). */
struct clone_res_keys {
    struct ynode *entry; /* the resource's mapping */
    struct ynode *type;
    struct ynode *role;
    struct ynode *promote_timeout;
    struct ynode *demote_timeout;
    struct ynode *notify_timeout;
    struct ynode *fstype;
};
/*
 * The role and the promote, demote and notify timeouts of resource r of
 * group gi (type: its type, -1 when unusable), once the rest of it is
 * loaded: defaults (the role by type in promotable groups), keys written
 * where they do not apply, a role the type cannot have, and what a clone
 * must not run on several nodes at once (an fs on a local filesystem, an ip
 * address). who names the resource.
 */
void load_clone_resource(struct loader *ld, size_t gi, struct cfg_resource *r, int type,
                         const struct clone_res_keys *k, const char *who);
/*
 * The checks of group gi that need all its resources: a promotable group
 * needs a resource of role promotable; notify without an ocf resource is a
 * warning. who names the group.
 */
void load_clone_check(struct loader *ld, size_t gi, const char *who);

/* ---- Sections: capacity and load (load_capacity.c) ---- */

/*
 * capacity, n, of node ni (who names it): a mapping of capacity names to
 * amounts; names new to the file join ld->c->capacity_names (at most
 * CFG_MAX_CAPACITIES). Sets ld->capacity_bad when a key is unusable.
 */
void load_capacity_node(struct loader *ld, size_t ni, struct ynode *n, const char *who);
/*
 * load, n, of group g (who names it): a mapping of capacity names (each one
 * some node declares: load the nodes first) to amounts, into g->load.
 */
void load_capacity_load(struct loader *ld, struct cfg_group *g, struct ynode *n, const char *who);

/* ---- Sections: hooks (load_hooks.c) ---- */

/*
 * The hooks section, n: a list of at most CFG_MAX_HOOKS hooks (an empty list
 * for none) into a new ld->c->hooks. With CFG_LOAD_CHECK_FILES, each
 * command's program is checked with files_check_executable.
 */
void load_hooks(struct loader *ld, struct ynode *n);
