/*
 * The configuration on this node's disk, with its version: the file vigild
 * runs (vigil.yaml, written atomically, the previous content kept as
 * vigil.yaml.bak) and, in the state directory, config.json (the version
 * number and SHA-256 of the content last applied) and config/N.yaml (the
 * last CFGSTORE_KEEP versions, for `vigil config show --version N`).
 *
 * A file whose digest differs from the one recorded was edited by hand since
 * the last apply. No logging: errors are returned.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/sha256.h"
#include "daemon/statewrite.h"

#define CFGSTORE_FILE "config.json"
#define CFGSTORE_DIR  "config"
#define CFGSTORE_KEEP 20

struct cfgstore_rec {
    uint64_t version;
    char sha256[SHA256_HEX_LEN + 1];
    uint64_t applied_ms; /* wall clock */
    char from[64];       /* the node it came from ("" if unknown) */
};

/* Reads state_dir/config.json: 0, -ENOENT (none yet), or -EINVAL with a reason in *ret_err. */
int cfgstore_load(const char *state_dir, struct cfgstore_rec *ret, char **ret_err);

/*
 * Records that the content text is version rec->version, synchronously:
 * writes state_dir/config/VERSION.yaml and then config.json (each
 * atomically; cfgstore_files, step 2), and removes archived versions older
 * than the newest CFGSTORE_KEEP. Safe on any thread. 0 or a negative errno.
 */
int cfgstore_record(const char *state_dir, const struct cfgstore_rec *rec, const char *text);

/*
 * Replaces the configuration file at path with text, synchronously
 * (atomically: fsync, rename), after saving prev (what the file held) as
 * path.bak; both keep path's permission bits. prev may be NULL (no backup).
 * Safe on any thread. 0 or a negative errno.
 */
int cfgstore_write_file(const char *path, const char *text, const char *prev);

/* The files of one version, for the serialised writer (cfgstore_files). */
struct cfgstore_files {
    struct statewrite_file f[4];
    size_t n;
    char *owned[4];
    size_t n_owned;
};

/*
 * The files that make text version rec->version, in the order they must
 * reach the disk (for statewrite_submit):
 *
 *  1. with path and prev: path.bak (prev), then path (text), both with the
 *     permission bits path has when they are written (0644 for a new file):
 *     the file vigild runs, before the record that names its digest (a crash
 *     in between leaves a file that differs from its record: "edited", which
 *     the cluster takes as the next version when every member has the same
 *     content, rather than a record naming a text the file does not hold);
 *  2. with state_dir and rec: config/VERSION.yaml (the text; the directory is
 *     made when missing), then config.json (the record naming that version).
 *
 * The paths and the record's text are owned by ret (cfgstore_files_clear);
 * text and prev are borrowed until then.
 */
void cfgstore_files(struct cfgstore_files *ret, const char *path, const char *text,
                    const char *prev, const char *state_dir, const struct cfgstore_rec *rec);
/* Frees what cfgstore_files allocated; accepts a zeroed f. */
void cfgstore_files_clear(struct cfgstore_files *f);

/*
 * Removes the archived versions older than the newest CFGSTORE_KEEP. Safe on
 * any thread (a statewrite tidy function). Errors are ignored: an old
 * archive left behind is harmless.
 */
void cfgstore_prune(const char *state_dir);

/*
 * Reads archived version N: 0 and a text owned by the caller in *ret_text,
 * or a negative errno (-ENOENT: not archived, or pruned).
 */
int cfgstore_read_version(const char *state_dir, uint64_t version, char **ret_text);

/*
 * The versions archived, newest first, at most max of them into ret:
 * returns their number (0 when there is no archive yet).
 */
size_t cfgstore_list(const char *state_dir, uint64_t *ret, size_t max);
