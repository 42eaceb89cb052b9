/*
 * vigil, the admin command: what its pieces share. Each subcommand lives in
 * its own cmd_*.c file and is reached through the table in main.c.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, documented in vigil(8). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,       /* an operation failed or the configuration is invalid */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_UNREACHABLE = 3, /* vigild could not be reached */
    CLI_EXIT_MAX
};

#define CLI_DEFAULT_SOCKET "/run/vigil/vigild.sock"
#define CLI_DEFAULT_KEY    "/etc/vigil/authkey"

/* Options given before the command name, shared by every command. */
struct cli_globals {
    const char *socket_path; /* never NULL once main() has parsed the globals */
};

/*
 * A subcommand. argv[0] is the command name; getopt_long is reset before the
 * call. Returns an exit status (enum cli_exit) and prints its own errors.
 */
typedef int (*cli_cmd_fn)(int argc, char **argv, struct cli_globals *g);

/*
 * The subcommands, each a cli_cmd_fn in cmd_NAME.c; `vigil NAME --help`
 * documents its options and exit statuses.
 */

/* vigil status: the cluster, its nodes and its groups as vigild here sees them. */
int cmd_status(int argc, char **argv, struct cli_globals *g);
/* vigil events: the events vigild keeps in memory, or followed as they come (--follow). */
int cmd_events(int argc, char **argv, struct cli_globals *g);
/* vigil verify: checks a configuration file (and its key) offline, optionally prints it. */
int cmd_verify(int argc, char **argv, struct cli_globals *g);
/* vigil keygen: writes a new random cluster key file (mode 0400). */
int cmd_keygen(int argc, char **argv, struct cli_globals *g);
/* vigil fence: asks the coordinator to fence a node, or confirms one fenced by hand. */
int cmd_fence(int argc, char **argv, struct cli_globals *g);
/* vigil group: an admin change to a resource group (start, stop, move, ...). */
int cmd_group(int argc, char **argv, struct cli_globals *g);
/* vigil node: standby, online, or a planned stop of a node. */
int cmd_node(int argc, char **argv, struct cli_globals *g);
/* vigil cleanup: forgets the failures of a group or of one of its resources. */
int cmd_cleanup(int argc, char **argv, struct cli_globals *g);
/* vigil config: shows, diffs, applies or reloads the replicated configuration. */
int cmd_config(int argc, char **argv, struct cli_globals *g);
/* vigil history: the events recorded on disk, with time, group, node and type filters. */
int cmd_history(int argc, char **argv, struct cli_globals *g);
/* vigil attr: sets, gets, deletes or lists the replicated node attributes. */
int cmd_attr(int argc, char **argv, struct cli_globals *g);

/*
 * Prints one event object as `vigil events` and `vigil history` show it:
 * "TIME  TYPE  SUBJECT  MESSAGE  [DURATION]", times local (or UTC).
 */
void cli_print_event(json_t *ev, bool utc);

/*
 * Prints "vigil: MESSAGE\n" on stderr. Use it once, where an error is
 * handled; it never exits.
 */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Reports a command-line mistake: "vigil[ CMD]: MESSAGE" and a hint to run
 * --help, on stderr. cmd may be NULL for the global options. Returns
 * CLI_EXIT_USAGE so callers can write `return cli_usage_error(...)`.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Turns what getopt_long returned for a bad option (c is '?' or ':') into a
 * usage error for cmd, naming the offending option. Must be called right
 * after getopt_long returned c. Returns CLI_EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, int c, char **argv);

/*
 * Reports positional arguments left after option parsing (argv[optind] on)
 * as a usage error for cmd. Returns CLI_EXIT_OK when there are none,
 * CLI_EXIT_USAGE otherwise.
 */
int cli_no_args(const char *cmd, int argc, char **argv);

/*
 * Parses the options of a command that asks vigild something: -j/--json
 * (sets *json), -s/--socket PATH and -h/--help (prints usage to stdout).
 * Returns -1 when the command goes on (argv[optind] is its first operand),
 * or the exit status to return at once (help shown, bad option).
 */
int cli_daemon_opts(const char *cmd, int argc, char **argv, struct cli_globals *g, bool *json,
                    void (*usage)(FILE *out));
/*
 * The options every command asking vigild shares, for commands with options
 * of their own: call it for any getopt_long result c the command does not
 * handle. -j sets *json, -s the socket, -h prints usage; anything else is a
 * usage error. Returns -1 to go on, or the exit status to return at once.
 */
int cli_common_opt(const char *cmd, int c, char **argv, struct cli_globals *g, bool *json,
                   void (*usage)(FILE *out));

/*
 * Writes s to out with every control character (including newlines and
 * escape sequences) replaced by '?', so that text from the daemon or a file
 * cannot drive the terminal. The length in bytes is preserved. s may be NULL
 * (nothing is written).
 */
void cli_fputs_safe(const char *s, FILE *out);

/* As cli_fputs_safe, padded with spaces to at least width bytes. */
void cli_fputs_padded(const char *s, size_t width, FILE *out);

/*
 * Parses a decimal unsigned integer no larger than max, with nothing around
 * it ("12", not "+12", " 12" or "12x"). Returns 0 and stores it in *ret, or
 * -EINVAL / -ERANGE and leaves *ret untouched.
 */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *ret);

/*
 * The word of words[0..n) closest to word (edit distance at most 2), for a
 * "did you mean" hint, or NULL when none is close. The result points into
 * words.
 */
const char *cli_suggest(const char *word, const char *const *words, size_t n);

/* The index of word in words[0..n) (exact match), or -1. */
int cli_find_word(const char *word, const char *const *words, size_t n);

/*
 * The string member key of object o, or dflt when o is not an object or the
 * member is absent or not a string. The result is owned by o (or is dflt).
 */
const char *cli_jstr(json_t *o, const char *key, const char *dflt);

/* The integer member key of o in decimal (written into buf), or "?" when absent or not one. */
const char *cli_jint(json_t *o, const char *key, char buf[static 32]);

/*
 * Formats a wall-clock time in ms since the epoch in local time (TZ), as
 * "2026-11-22 10:00:00.123", or without the milliseconds when with_ms is
 * false. Returns buf, or "?" when the time cannot be converted.
 */
const char *cli_format_local_ms(uint64_t ms, bool with_ms, char buf[static 64]);

/*
 * Formats a duration in milliseconds for people: "850 ms", "1.234 s",
 * "12.3 s", "2 min 5 s", "3 h 20 min". Returns buf.
 */
const char *cli_format_duration(uint64_t ms, char buf[static 32]);
