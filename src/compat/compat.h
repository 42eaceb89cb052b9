/*
 * vigil-compat: the Pacemaker-compatible commands that resource agents
 * written for Pacemaker call (crm_master, crm_attribute, attrd_updater,
 * crm_node, crm_resource), one program chosen by the name it is run as. It
 * implements the options the Debian agents pgsqlms, pgsql and Stateful use,
 * with Pacemaker's output formats and exit codes, on vigil's node attributes
 * and status, asked of vigild on its control socket. vigil(8), COMPATIBLE
 * COMMANDS, lists what each supports.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* Pacemaker's exit codes (crm_exit_t) that these commands use. */
enum compat_exit {
    COMPAT_EX_OK = 0,
    COMPAT_EX_ERROR = 1,        /* generic error (a refusal of vigild) */
    COMPAT_EX_USAGE = 64,       /* bad command line */
    COMPAT_EX_NOSUCH = 105,     /* no such attribute or parameter */
    COMPAT_EX_DISCONNECT = 102, /* vigild could not be reached */
};

/*
 * Sends req (not consumed) to vigild (the socket in $VIGIL_SOCKET, or the
 * default) and waits for the reply. Returns COMPAT_EX_OK and the reply's
 * result in *ret_result (owned by the caller), or prints "PROG: ..." on
 * stderr and returns COMPAT_EX_DISCONNECT (unreachable, no answer) or
 * COMPAT_EX_ERROR (vigild refused: its reason is printed).
 */
int compat_request(const char *prog, json_t *req, json_t **ret_result);

/*
 * Reports a command-line mistake: "PROG (vigil): MESSAGE" and where the
 * supported options are documented. Returns the usage exit code `code`.
 */
int compat_usage(const char *prog, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * What every command does with getopt_long's answers it has no case of:
 * '$' (--version) prints the version and returns COMPAT_EX_OK; ':' (a
 * missing argument) and anything else (an unknown option) are reported
 * with compat_usage and return the usage exit code `code`.
 */
int compat_other_opt(const char *prog, int o, char **argv, int code);

/* The commands, each a main() of its own; argv[0] is the name it was run as. */
int compat_crm_attribute(int argc, char **argv, bool master);
int compat_attrd_updater(int argc, char **argv);
int compat_crm_node(int argc, char **argv);
int compat_crm_resource(int argc, char **argv);
