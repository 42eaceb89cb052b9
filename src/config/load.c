/*
 * Loading vigil.yaml, the entry points: the YAML tree (ytree.c) is checked
 * against the schema and turned into a struct cfg. The top level is walked
 * here, each of its keys loaded by its section (load_cluster.c,
 * load_fencing.c, load_resources.c, load_groups.c, load_hooks.c; see load.h),
 * then the checks that need the whole file run. Every problem is reported,
 * each at the node it concerns, and the walk goes on after a problem so that
 * one run of `vigil verify` shows them all. Nothing here logs.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/util.h"
#include "config/load.h"

/* The keys of the top level, in the order of specs in load_root. */
enum {
    TOP_CLUSTER,
    TOP_ENGINE,
    TOP_FENCING,
    TOP_GROUPS,
    TOP_HEARTBEAT,
    TOP_HOOKS,
    TOP_NETWORKS,
    TOP_NODES,
    TOP_QUORUM,
    TOP_RESOURCES
};

/*
 * The top level: each section in the order their references need, then the
 * checks across sections, and those of the disk with CFG_LOAD_CHECK_FILES.
 */
static void load_root(struct loader *ld, struct ynode *root, unsigned flags)
{
    static const struct key_spec specs[] = {
        [TOP_CLUSTER] = {"cluster", true},      [TOP_ENGINE] = {"engine", false},
        [TOP_FENCING] = {"fencing", false},     [TOP_GROUPS] = {"groups", false},
        [TOP_HEARTBEAT] = {"heartbeat", false}, [TOP_HOOKS] = {"hooks", false},
        [TOP_NETWORKS] = {"networks", true},    [TOP_NODES] = {"nodes", true},
        [TOP_QUORUM] = {"quorum", false},       [TOP_RESOURCES] = {"resources", false},
    };
    struct ynode *f[ARRAY_SIZE(specs)];
    struct cfg *c = ld->c;
    size_t errors = ld->d->n_errors;
    if (root->type != YN_MAPPING) {
        _cleanup_free_ char *got = report_describe(root);
        report_error(ld, root,
                     "the file must be a mapping with the keys cluster, networks and nodes, not %s",
                     got);
        return;
    }
    walk_mapping(ld, root, "the top level", "at the top level", specs, ARRAY_SIZE(specs), f);
    if (f[TOP_CLUSTER])
        load_cluster(ld, f[TOP_CLUSTER]);
    if (f[TOP_ENGINE])
        load_cluster_engine(ld, f[TOP_ENGINE]);
    if (f[TOP_HEARTBEAT])
        load_cluster_heartbeat(ld, f[TOP_HEARTBEAT]);
    if (f[TOP_NETWORKS])
        load_cluster_networks(ld, f[TOP_NETWORKS]);
    if (f[TOP_NODES])
        load_cluster_nodes(ld, f[TOP_NODES]);
    if (f[TOP_QUORUM])
        load_cluster_quorum(ld, f[TOP_QUORUM]);
    if (c->n_nodes > 0) {
        c->fence_nodes = xcalloc(c->n_nodes, sizeof(*c->fence_nodes));
        ld->fnode_key = xcalloc(c->n_nodes, sizeof(*ld->fnode_key));
        ld->fnode_at = xcalloc(c->n_nodes, sizeof(*ld->fnode_at));
        ld->fnode_bad = xcalloc(c->n_nodes, sizeof(*ld->fnode_bad));
    }
    if (f[TOP_FENCING]) {
        ld->fencing = walk_key_of(root, f[TOP_FENCING]);
        load_fencing(ld, f[TOP_FENCING]);
    } else
        c->fence_enabled = false; /* existing configurations stay valid; warned below */
    /* Groups last: they refer to nodes, networks, fencing and resources.ocf_root. */
    if (f[TOP_RESOURCES])
        load_resources(ld, f[TOP_RESOURCES]);
    if (f[TOP_GROUPS])
        load_groups(ld, f[TOP_GROUPS]);
    if (f[TOP_HOOKS])
        load_hooks(ld, f[TOP_HOOKS]);
    if (!ld->heartbeat)
        ld->heartbeat = root;
    load_cluster_check(ld);
    load_fencing_check(ld);
    if ((flags & CFG_LOAD_CHECK_FILES) && c->key_path && (ld->key || ld->cluster))
        files_check_key(ld);
    if (flags & CFG_LOAD_CHECK_FILES)
        files_check_fencing(ld);
    /* Only for a file that otherwise loads: it is about what the cluster will do. */
    if (!f[TOP_FENCING] && ld->d->n_errors == errors && c->n_nodes != 1)
        cfg_diags_add(ld->d, CFG_SEV_WARNING, ld->file, 1, 1,
                      "no fencing section: fencing is disabled, so the services of a failed node "
                      "are not recovered until it comes back (add fencing:, see vigil.yaml(5))");
}

/* A configuration with every default, named name, owned by the caller. */
static struct cfg *cfg_new(const char *name)
{
    struct cfg *c = xcalloc(1, sizeof(*c));
    c->file = xstrdup(name ? name : "");
    c->key_path = xstrdup(CFG_DEFAULT_KEY_PATH);
    c->engine = CFG_ENGINE_MANAGED;
    c->interval_ms = CFG_DEFAULT_INTERVAL_MS;
    c->misses = CFG_DEFAULT_MISSES;
    c->link_mode = CFG_LINK_ACTIVE;
    c->tie_breaker = CFG_TIE_LOWEST;
    c->fence_enabled = true;
    c->fence_action = CFG_FENCE_OFF;
    c->fence_retries = CFG_DEFAULT_FENCE_RETRIES;
    c->fence_startup_wait_ms = CFG_DEFAULT_STARTUP_WAIT_MS;
    c->no_quorum = CFG_NO_QUORUM_STOP;
    c->ocf_root = xstrdup(CFG_DEFAULT_OCF_ROOT);
    return c;
}

/*
 * Loads a configuration from len bytes at buf (not necessarily NUL-terminated).
 * All problems go to diags, sorted by position; on success *ret gets a new
 * configuration owned by the caller. Returns 0, -EINVAL (errors in the text)
 * or -EFBIG (larger than CFG_MAX_FILE_SIZE); *ret is untouched on failure.
 */
int cfg_load_string(const char *buf, size_t len, const char *name, unsigned flags, struct cfg **ret,
                    struct cfg_diags *diags)
{
    size_t first = diags->n, errors = diags->n_errors;
    if (len > CFG_MAX_FILE_SIZE) {
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0,
                      "the file is too large (%zu bytes; the limit is %u)", len, CFG_MAX_FILE_SIZE);
        return -EFBIG;
    }
    struct ynode *root = NULL;
    if (ytree_parse(buf, len, name, diags, &root) < 0)
        return -EINVAL;
    if (!root || (root->type == YN_SCALAR && ytree_is_null(root))) {
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0,
                      "the file is empty; it needs at least cluster, networks and nodes");
        ytree_free(root);
        return -EINVAL;
    }

    struct loader ld = {.file = name,
                        .d = diags,
                        .c = cfg_new(name),
                        .flags = flags,
                        .fdevs_ok = true,
                        .fence_refs_ok = true};
    load_root(&ld, root, flags);
    cfg_diags_sort_from(diags, first);

    for (size_t i = 0; ld.src && i < ld.c->n_nodes; i++)
        free(ld.src[i].addr);
    free(ld.src);
    free(ld.bin);
    free(ld.net_name);
    free(ld.fdev);
    free(ld.fnode_key);
    free(ld.fnode_at);
    free(ld.fnode_bad);
    free(ld.gnames);
    free(ld.ips);
    free(ld.mounts);
    free(ld.macs);
    free(ld.gsrc);
    ytree_free(root);

    if (diags->n_errors > errors) {
        cfg_free(ld.c);
        return -EINVAL;
    }
    *ret = ld.c;
    return 0;
}

/*
 * Reads path and loads it with cfg_load_string. A file that cannot be read
 * gives one diagnostic without a position and its negative errno (-ENOENT,
 * -EACCES, -EISDIR, -EFBIG, ...). Ownership as for cfg_load_string.
 */
int cfg_load_file(const char *path, unsigned flags, struct cfg **ret, struct cfg_diags *diags)
{
    char *buf = NULL;
    size_t len = 0;
    int r = files_read(path, diags, &buf, &len);
    if (r < 0)
        return r;
    r = cfg_load_string(buf, len, path, flags, ret, diags);
    free(buf);
    return r;
}
