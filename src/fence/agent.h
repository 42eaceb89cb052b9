/*
 * Calls to fence agents: programs speaking the fence-agents protocol. The
 * agent reads key=value lines on stdin (action, nodename, plug, the device's
 * parameters, then the lines of its secrets file) and answers by its exit
 * status: 0 success, 1 failure; for "status", 0 = on and 2 = off.
 *
 * Secrets never reach an argument list or a log: they go to the agent's stdin
 * only, and every secret value is masked in the output kept from the agent.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"

#define FENCE_MAX_INPUT     (32u * 1024) /* the whole stdin of one call */
#define FENCE_MAX_OUTPUT    4096u        /* output kept from one call, the rest is dropped */
#define FENCE_KILL_GRACE_MS 2000 /* after the timeout: SIGTERM, then SIGKILL this much later */

enum fence_outcome {
    FENCE_SUCCESS,     /* exit 0 (for status: the node is on) */
    FENCE_FAILED,      /* exit 1, or any other status */
    FENCE_POWERED_OFF, /* exit 2 of a status call: the node is off */
    FENCE_TIMED_OUT,   /* killed after the device's timeout */
    FENCE_NOT_RUN,     /* could not be started (not found, not executable, bad secrets) */
    FENCE_OUTCOME_MAX
};

struct fence_result {
    enum fence_outcome outcome;
    int wstatus;          /* as from waitpid, when the agent ran */
    uint64_t duration_ms; /* from start to exit */
    char *output;         /* stdout and stderr, secrets masked, at most FENCE_MAX_OUTPUT bytes */
    char *reason;         /* one line for operators: "exited with status 1: <last output line>" */
};

/*
 * Builds the agent's stdin for one call. secrets_text is the content of the
 * device's secrets file (NULL if none). Returns 0 and a buffer owned by the
 * caller in *ret_input, or -EINVAL with a reason owned by the caller in
 * *ret_err (a secrets line that is not key=value, a value with a newline, an
 * input over FENCE_MAX_INPUT). The reason never contains a secret.
 */
int fence_build_input(const struct cfg_fence_device *dev, const char *action, const char *nodename,
                      const char *port, const char *secrets_text, char **ret_input, char **ret_err);

/*
 * Collects the values of a secrets file's key=value lines (for masking), each
 * as the agent's safe output would show it (str_sanitize: a control byte
 * becomes '?'). Returns a NULL-terminated array owned by the caller (free
 * with fence_strv_free); the walk stops at the first malformed line.
 */
char **fence_secret_values(const char *secrets_text);
/* Frees a NULL-terminated array of strings and the strings. Accepts NULL. */
void fence_strv_free(char **v);

/*
 * Replaces every occurrence of each secret in text (in place) with '*'
 * characters, overlapping ones included: every byte of text that belongs to
 * an occurrence of a secret, as text was before the call.
 */
void fence_mask_secrets(char *text, char *const *secrets);

struct fence_call;

/* Called once with the result; the call is freed after the callback returns. */
typedef void (*fence_call_fn)(const struct fence_result *res, void *ctx);

/*
 * Starts one agent call for dev: action ("off", "reboot", "status", "monitor",
 * ...), the target nodename and port (either may be NULL). The secrets file
 * is read now. Returns 0 and the call in *ret (which may be passed to
 * fence_call_cancel until cb has run), or a negative errno with a reason in
 * *ret_err (owned by the caller); cb then never fires.
 */
int fence_call_start(uv_loop_t *loop, const struct cfg_fence_device *dev, const char *action,
                     const char *nodename, const char *port, fence_call_fn cb, void *ctx,
                     struct fence_call **ret, char **ret_err);

/* Kills the agent and drops the call; cb does not fire. */
void fence_call_cancel(struct fence_call *call);

/* "success", "failed", "powered off", "timed out", "not run"; "unknown" out of range. Static. */
const char *fence_outcome_name(enum fence_outcome o);
