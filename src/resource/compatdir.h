/*
 * Where the Pacemaker-compatible commands (vigil-compat and its names
 * crm_master, crm_attribute, crm_node, attrd_updater, crm_resource) are, for
 * the environment of the agents vigild runs and `vigil verify` validates
 * (HA_SBIN_DIR, first in PATH).
 */
#pragma once

/*
 * The compatible commands' directory for a vigild or vigil whose executable
 * is exe: $VIGIL_COMPAT_DIR when set and not empty; else, for a program of a
 * build tree (exe is BUILD/src/daemon/vigild or BUILD/src/cli/vigil),
 * BUILD/src/compat when it holds
 * vigil-compat; else the installed $libexecdir/vigil/compat when it holds
 * vigil-compat; else NULL. A new string owned by the caller, or NULL.
 */
char *compat_dir_find(const char *exe);

/*
 * compat_dir_find for this process (/proc/self/exe), found once: a string
 * that lives as long as the process, or NULL when there is none.
 */
const char *compat_dir(void);
