/*
 * libFuzzer target for the vigil.yaml loader: any input must load or be
 * rejected with diagnostics, never crash or leak. A configuration that loads
 * must also print, reload to an equal configuration, and render corosync.conf;
 * compared with its reloaded copy it changes nothing, and moving the unchanged
 * definitions over leaves both configurations whole.
 * Built and run by scripts/fuzz.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string((const char *)data, size, "fuzz.yaml", 0, &c, &d);
    if (r == 0) {
        if (d.n_errors != 0)
            abort();
        char *text = cfg_print(c);
        struct cfg *again = NULL;
        struct cfg_diags d2;
        cfg_diags_init(&d2);
        if (cfg_load_string(text, strlen(text), "printed.yaml", 0, &again, &d2) != 0 ||
            !cfg_equal(c, again)) {
            cfg_diags_print(&d2, stderr);
            fprintf(stderr, "printed form does not reload equal:\n%s", text);
            abort();
        }
        char *text2 = cfg_print(again);
        if (strcmp(text, text2) != 0)
            abort(); /* print is a fixed point */
        free(cfg_corosync_conf(c));
        struct cfg_diff diff;
        cfg_diff(c, again, &diff);
        if (!cfg_diff_empty(&diff))
            abort(); /* equal configurations differ in nothing */
        cfg_transplant_unchanged(again, c, &diff);
        cfg_diff_clear(&diff);
        if (!cfg_equal(c, again))
            abort();
        free(text2);
        free(text);
        cfg_free(again);
        cfg_diags_clear(&d2);
        cfg_free(c);
    } else if (d.n_errors == 0) {
        abort(); /* a failed load always says why */
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        cfg_diags_print(&d, null);
        fclose(null);
    }
    cfg_diags_clear(&d);
    return 0;
}
