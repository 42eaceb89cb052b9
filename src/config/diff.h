/*
 * What changes between two configurations, for `vigil config diff` and for
 * applying a new configuration to a running cluster: groups and their
 * resources added, removed or modified (matched by name), and the sections
 * that cannot change while the cluster runs (nodes, networks, heartbeat,
 * engine, key, quorum tie-breaker, fencing, resources.ocf_root).
 *
 * What restarts: a group whose resources are the same keeps them running
 * whatever else changes (gd->keep counts them). Its domain, policy,
 * failback, restarts (with back-off), priority, relationships (requires,
 * colocated, together_with, apart_from), load, and kind with copies,
 * primaries and notify (clone:, promotable:) only decide where, when and
 * how many times it runs: a change to them is a change of settings. A
 * resource's own keys (a mac, a role and the promote, demote and notify
 * timeouts included) change the resource, which restarts from there on. Node capacity changes apply
 * at once without restarting anything (d->capacity).
 *
 * Pure: no I/O. Names in a diff are borrowed from the two configurations.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

enum cfg_change {
    CFG_CHANGE_NONE,
    CFG_CHANGE_ADDED,
    CFG_CHANGE_REMOVED,
    CFG_CHANGE_MODIFIED,
    CFG_CHANGE_MAX
};

struct cfg_res_diff {
    const char *name;
    enum cfg_change change; /* never NONE */
};

struct cfg_group_diff {
    const char *name;
    enum cfg_change change;
    int old_index; /* -1 when added */
    int new_index; /* -1 when removed */
    /* MODIFIED: what changed */
    /*
     * domain, policy, failback, restarts, priority, relationships, load, or
     * kind, copies, primaries and notify (placement only)
     */
    bool settings;
    bool order; /* the same resources, in another order */
    /*
     * How many leading resources are the same in both (names and definitions,
     * in the same places): a running group need not restart those. All of
     * them for an unchanged group; 0 for an added or removed one.
     */
    size_t keep;
    struct cfg_res_diff *res; /* resources added, removed or modified (unchanged ones left out) */
    size_t n_res;
};

#define CFG_DIFF_MAX_CORE 12

struct cfg_diff {
    /* Every group of either configuration: the old ones in order, then the added ones. */
    struct cfg_group_diff *groups;
    size_t n_groups;
    /* Sections that differ and cannot change on a running cluster ("nodes", "heartbeat", ...). */
    const char *core[CFG_DIFF_MAX_CORE];
    size_t n_core;
    bool no_quorum; /* quorum.no_quorum changed (applies at once) */
    bool hooks;     /* hooks changed (apply at once) */
    bool capacity;  /* some node's capacity changed (applies at once; placement only) */
};

/*
 * Fills *ret (its previous contents are not freed) with what changes from old
 * to new; *ret owns its arrays (free them with cfg_diff_clear) and borrows
 * the names from old and new, which must outlive it.
 */
void cfg_diff(const struct cfg *old, const struct cfg *new, struct cfg_diff *ret);
/* Frees what cfg_diff allocated; accepts a zeroed diff. */
void cfg_diff_clear(struct cfg_diff *d);
/* True when nothing at all changes. */
bool cfg_diff_empty(const struct cfg_diff *d);
/* How many groups change in some way (added, removed or modified). */
size_t cfg_diff_n_changed(const struct cfg_diff *d);
/* "unchanged", "added", "removed" or "modified" (a static string); "unknown" out of range. */
const char *cfg_change_name(enum cfg_change c);

/*
 * Swaps the definitions that d (from cfg_diff(old, new)) found unchanged
 * between old and new: whole groups, and the leading resources a modified
 * group keeps. Each such definition, with every pointer into its contents
 * (checks, commands, names), then belongs to new, and new's equal copy to
 * old: whatever points into them stays valid once old is freed. (Pointers to
 * a kept resource's own struct must move to new's.)
 */
void cfg_transplant_unchanged(struct cfg *new, struct cfg *old, const struct cfg_diff *d);
