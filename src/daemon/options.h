/*
 * vigild's command line (vigild(8)) and its first reading of the
 * configuration file, before the loop starts. Errors go to stderr: nothing
 * else runs yet, and systemd shows them.
 */
#pragma once

#include <stdbool.h>

#include "config/config.h"

struct options {
    const char *cfg_path, *socket_path, *run_dir, *state_dir; /* point into argv or constants */
    bool check_only; /* -n: check the configuration and exit */
    bool verbose;
    bool use_syslog;
};

/*
 * Parses argv into *o (defaults first). Returns 1 to run, 0 when the
 * command is done (--help, --version: printed to stdout), or -EINVAL for a
 * bad argument (said on stderr).
 */
int options_parse(int argc, char **argv, struct options *o);

/*
 * Reads and checks o->cfg_path as vigil verify does, printing its
 * diagnostics to stderr (and "configuration is valid" to stdout with -n).
 * Returns 0 with the configuration and the file's text in *ret_cfg and
 * *ret_text (both owned by the caller), or a negative errno.
 */
int options_load_config(const struct options *o, struct cfg **ret_cfg, char **ret_text);
