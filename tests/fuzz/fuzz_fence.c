/*
 * libFuzzer target for what vigil keeps of a fence agent's output
 * (src/fence/agent.c, src/exec/run.c): the input is a secrets file, a NUL
 * byte, then what the agent printed. As a call does, the output is cut to
 * FENCE_MAX_OUTPUT bytes (the head), made safe (run_sanitize), masked with
 * the secrets file's values (fence_secret_values, fence_mask_secrets), and
 * its last line is what the reason quotes (run_last_line). What must hold:
 *  - every occurrence of a secret value in what the agent printed is all
 *    '*' in the output kept (for values that are UTF-8 text: a value with
 *    control bytes is masked as the safe output shows it);
 *  - no secret value (without a '*' of its own) is left in the output or the
 *    reason, even where two secrets overlap or one ends where another starts;
 *  - masking only writes '*' over the safe output, which keeps its length;
 *  - the reason's line is one line of UTF-8 taken from the output, at most
 *    RUN_REASON_LINE_MAX bytes.
 * Built and run by scripts/fuzz (dictionary: fence.dict).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "exec/run.h"
#include "fence/agent.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool key_ok(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/*
 * The secret values as the agent reads them (fence-agents' key=value lines):
 * blank and '#' lines skipped, a carriage return before the newline dropped,
 * the walk stopped at the first malformed line. A NULL-terminated array.
 */
static char **raw_values(const char *text)
{
    size_t n = 0, cap = 0;
    char **v = NULL;
    xgrow((void **)&v, &cap, 1, sizeof(*v));
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : p + len;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len > 0 && p[0] != '#') {
            const char *eq = memchr(p, '=', len);
            if (!eq || !key_ok(p, (size_t)(eq - p)))
                break;
            size_t vlen = len - (size_t)(eq - p) - 1;
            if (vlen > 0) {
                xgrow((void **)&v, &cap, n + 2, sizeof(*v));
                v[n++] = xstrndup(eq + 1, vlen);
            }
        }
        p = next;
    }
    v[n] = NULL;
    return v;
}

/* Whether s is UTF-8 (control bytes allowed): safe text differs from it only where s had those. */
static bool is_utf8(const char *s)
{
    size_t n = strlen(s);
    char *copy = xstrndup(s, n);
    str_sanitize(copy, n, false);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = copy[i] == s[i] || (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
    free(copy);
    return ok;
}

static bool all_stars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '*')
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    if (!nul)
        return 0; /* no output: nothing to keep */
    char *secrets_text = xstrndup((const char *)data, (size_t)(nul - data));
    const char *raw = (const char *)nul + 1;
    size_t len = size - (size_t)(nul - data) - 1;
    if (len > FENCE_MAX_OUTPUT)
        len = FENCE_MAX_OUTPUT; /* a call keeps the head */

    char *safe = xmalloc(len + 1);
    memcpy(safe, raw, len);
    run_sanitize(safe, len);
    char *out = xstrndup(safe, len);
    fuzz_check(strlen(out) == len, "safe output with a NUL byte");
    char **secrets = fence_secret_values(secrets_text);
    fence_mask_secrets(out, secrets);

    fuzz_check(strlen(out) == len, "masking changed the output's length");
    for (size_t i = 0; i < len; i++)
        fuzz_check(out[i] == safe[i] || out[i] == '*', "masking wrote something other than '*'");

    char **values = raw_values(secrets_text);
    size_t n_values = 0;
    for (char **v = values; *v; v++, n_values++) {
        size_t n = strlen(*v);
        if (!is_utf8(*v))
            continue;
        for (const char *p = memmem(raw, len, *v, n); p;
             p = memmem(p + 1, len - (size_t)(p + 1 - raw), *v, n))
            fuzz_check(all_stars(out + (p - raw), n), "a secret left in the output");
    }
    size_t n_secrets = 0;
    char *reason = run_last_line(out);
    for (char **s = secrets; *s; s++, n_secrets++) {
        fuzz_check(**s != '\0' && !strchr(*s, '\n'), "an empty or multi-line secret value");
        if (strchr(*s, '*'))
            continue;
        fuzz_check(strstr(out, *s) == NULL, "a secret value in the output");
        fuzz_check(strstr(reason, *s) == NULL, "a secret value in the reason");
    }
    fuzz_check(n_secrets == n_values, "secret values missed or invented");

    size_t rn = strlen(reason);
    fuzz_check(!strchr(reason, '\n') && rn <= RUN_REASON_LINE_MAX, "a reason of more than a line");
    fuzz_check(strstr(out, reason) != NULL, "a reason not taken from the output");
    fuzz_check(is_utf8(reason), "a reason cut inside a character");

    free(reason);
    fence_strv_free(values);
    fence_strv_free(secrets);
    free(out);
    free(safe);
    free(secrets_text);
    return 0;
}
