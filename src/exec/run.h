/*
 * Runs a program once, with a timeout, and captures what it prints: the one
 * copy of the machinery that fence agents, resource agents and checks share.
 *
 * A run starts argv[0] (an absolute path) with proc_spawn: in a process group
 * of its own, killed with the daemon (PR_SET_PDEATHSIG), every other
 * descriptor closed. Its stdin is the given text (or /dev/null); its stdout
 * and stderr share one pipe (unless stderr is discarded), read by the loop
 * into a bounded buffer. Past the
 * timeout the whole group gets SIGTERM, then SIGKILL kill_grace_ms later
 * (also the members still there when the program itself has already exited).
 * After the program exits, its output may still come for RUN_EOF_WAIT_MS (a
 * child it left behind may hold the pipe open: the run does not wait for it).
 *
 * Output is made safe before anyone sees it: NUL and other control bytes
 * (but newline and tab) and every byte that is not part of valid UTF-8
 * become '?', so it can go to logs and JSON as it is.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define RUN_EOF_WAIT_MS        200            /* after the exit, how long output may still come */
#define RUN_DEFAULT_MAX_OUTPUT 4096           /* output kept when run_opts.max_output is 0 */
#define RUN_REASON_LINE_MAX    200            /* bytes of the last output line in a reason */
#define RUN_MAX_INPUT          (1024u * 1024) /* stdin text: the default pipe-max-size */

struct run_opts {
    char *const *argv; /* argv[0] absolute; NULL-terminated */
    char *const *envp; /* the whole environment (NULL-terminated); NULL: an empty one */
    /*
     * Written to the program's stdin, which is then closed; NULL: stdin is
     * /dev/null. At most RUN_MAX_INPUT bytes, else run_start fails with
     * -E2BIG: it is written at once into the pipe, enlarged to hold it, so
     * that the loop never waits on a program that does not read.
     */
    const char *input;
    uint64_t timeout_ms;    /* 0: no timeout */
    uint64_t kill_grace_ms; /* after the timeout's SIGTERM, SIGKILL this much later */
    /*
     * How much output to keep (0: RUN_DEFAULT_MAX_OUTPUT), and which part:
     * by default the last max_output bytes (where errors are), with
     * keep_head the first ones. The rest is read and dropped.
     */
    size_t max_output;
    bool keep_head;
    /* stderr goes to /dev/null, not to the output (when stdout is data, like meta-data XML). */
    bool discard_stderr;
};

struct run_result {
    bool exited;          /* ended by exit (exit_code is valid); false: killed by a signal */
    int exit_code;        /* WEXITSTATUS, or -1 when killed */
    int wstatus;          /* as from waitpid */
    bool timed_out;       /* the timeout passed and the group was signalled */
    bool truncated;       /* output was dropped beyond max_output */
    uint64_t duration_ms; /* from the start to the program's exit */
    /*
     * Safe text, NUL-terminated, at most max_output bytes. The callback may
     * change bytes in place (for example to mask secrets) but not extend it.
     */
    char *output;
    /*
     * One line: "timed out after 20s", "exited with status 1: <last
     * non-empty output line>", "killed by signal 9 (Killed)". Like output,
     * owned by the run (or by the caller of run_sync).
     */
    char *reason;
};

struct run;

/*
 * Called once with the result, which (output and reason included) is valid
 * only during the call; the run is freed after the callback returns.
 */
typedef void (*run_fn)(const struct run_result *res, void *ctx);
/*
 * Optional: called on the safe output just before the reason is built from
 * it, to change bytes in place (masking secrets) so that the reason never
 * shows what the output must not.
 */
typedef void (*run_filter_fn)(char *output, void *ctx);

/*
 * Starts a run. Returns 0 and the run in *ret (owned by the run itself: pass
 * it to run_cancel at most until cb has fired); cb fires exactly once, later
 * (never inside run_start), unless run_cancel comes first. Or returns a
 * negative errno (-ENOENT, -EACCES: from exec; -E2BIG: input too large) and
 * then neither cb nor filter ever fires and *ret is untouched.
 */
int run_start(uv_loop_t *loop, const struct run_opts *opts, run_fn cb, run_filter_fn filter,
              void *ctx, struct run **ret);

/*
 * Drops the run: cb does not fire. A program still running is killed with its
 * whole group (SIGKILL), as are the members of a timed-out group still
 * waiting for their SIGKILL; the children of a program that exited on its
 * own are left alone (a start script may have launched a daemon). Accepts
 * NULL. Must not be called from cb.
 */
void run_cancel(struct run *r);

/*
 * Runs a program to completion on a private loop, blocking the caller (for
 * command-line tools such as `vigil verify`, never in the daemon). Returns 0
 * and the result in *ret (output and reason owned by the caller: free them
 * with run_result_clear), or a negative errno as run_start.
 */
int run_sync(const struct run_opts *opts, struct run_result *ret);
/* Frees the output and reason of a run_sync result. Accepts NULL. */
void run_result_clear(struct run_result *r);

/*
 * Makes len bytes of buf safe text in place (see above) and NUL-terminates it
 * at buf[len], which must be writable.
 */
void run_sanitize(char *buf, size_t len);

/*
 * The last non-empty line of safe text out (what a reason quotes), without
 * trailing blanks, at most RUN_REASON_LINE_MAX bytes cut at a character
 * boundary. Returns a new string owned by the caller ("" for none).
 */
char *run_last_line(const char *out);
