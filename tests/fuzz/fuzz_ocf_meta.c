/*
 * libFuzzer target for the OCF meta-data reader (src/resource/ocf_meta.c,
 * libxml2): any input must be read or refused with a reason, never crash,
 * leak or hang. What it reads must be whole (required names present
 * and non-empty), a refusal must leave the result untouched and say why in
 * one line of ASCII, and the NUL-terminated entry point must agree with the
 * counted one. Built and run by scripts/fuzz (dictionary: ocf_meta.dict).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource/ocf_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_ocf_meta: %s\n", what);
        abort();
    }
}

static int same(const struct ocf_meta *a, const struct ocf_meta *b)
{
    if (a->start_timeout_ms != b->start_timeout_ms || a->stop_timeout_ms != b->stop_timeout_ms ||
        a->monitor_timeout_ms != b->monitor_timeout_ms ||
        a->monitor_interval_ms != b->monitor_interval_ms)
        return 0;
    size_t i = 0;
    for (; a->required[i] && b->required[i]; i++)
        if (strcmp(a->required[i], b->required[i]) != 0)
            return 0;
    return !a->required[i] && !b->required[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    const struct ocf_meta untouched = {.start_timeout_ms = 17, .monitor_interval_ms = 23};
    struct ocf_meta m = untouched;
    char *err = NULL;
    int r = ocf_meta_parse_buf(xml, size, &m, &err);
    if (r == 0) {
        check(err == NULL, "a reason after success");
        check(m.required != NULL, "required is NULL after success");
        for (char **p = m.required; *p; p++)
            check(**p != '\0', "an empty required name");
    } else {
        check(r == -EINVAL, "an error other than -EINVAL");
        check(err != NULL && *err != '\0', "a refusal without a reason");
        for (const char *c = err; *c; c++)
            check(*c >= ' ' && *c <= '~', "a reason that is not one line of ASCII");
        check(memcmp(&m, &untouched, sizeof(m)) == 0, "the result changed on a refusal");
        free(err);
    }

    /* The NUL-terminated entry point reads a copy without its first NUL the same way. */
    if (!memchr(data, '\0', size)) {
        char *copy = malloc(size + 1);
        check(copy != NULL, "out of memory");
        memcpy(copy, data, size);
        copy[size] = '\0';
        struct ocf_meta m2 = untouched;
        int r2 = ocf_meta_parse(copy, &m2);
        check(r2 == r, "ocf_meta_parse and ocf_meta_parse_buf disagree");
        if (r2 == 0) {
            check(same(&m, &m2), "ocf_meta_parse and ocf_meta_parse_buf read differently");
            ocf_meta_clear(&m2);
        }
        free(copy);
    }
    if (r == 0) {
        ocf_meta_clear(&m);
        ocf_meta_clear(&m); /* cleared twice: harmless */
    }
    return 0;
}
