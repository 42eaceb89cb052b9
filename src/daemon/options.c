/* vigild's command line and its first reading of the configuration: see options.h. */
#include "daemon/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "daemon/ctl.h"

/* The --help text. */
static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vigild [OPTIONS]\n"
            "The vigil cluster daemon: one per node.\n\n"
            "  -c, --config FILE   configuration (default %s)\n"
            "  -n, --check         check the configuration and exit (0 valid, 1 invalid)\n"
            "  -s, --socket PATH   control socket (default %s)\n"
            "      --run-dir DIR   runtime files, such as the generated corosync.conf\n"
            "                      (default /run/vigil)\n"
            "      --state-dir DIR persistent state (default /var/lib/vigil)\n"
            "  -v, --verbose       log debug messages\n"
            "      --syslog        log to syslog instead of stderr\n"
            "  -h, --help          show this help\n"
            "  -V, --version       show the version\n\n"
            "See vigild(8), vigil(8) and vigil.yaml(5).\n",
            CFG_DEFAULT_PATH, CTL_DEFAULT_SOCKET);
}

int options_parse(int argc, char **argv, struct options *o)
{
    enum { OPT_RUN_DIR = 256, OPT_STATE_DIR, OPT_SYSLOG };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'n'},
        {"socket", required_argument, NULL, 's'},
        {"run-dir", required_argument, NULL, OPT_RUN_DIR},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"verbose", no_argument, NULL, 'v'},
        {"syslog", no_argument, NULL, OPT_SYSLOG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){
        .cfg_path = CFG_DEFAULT_PATH,
        .socket_path = CTL_DEFAULT_SOCKET,
        .run_dir = "/run/vigil",
        .state_dir = "/var/lib/vigil",
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:ns:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->cfg_path = optarg;
            break;
        case 'n':
            o->check_only = true;
            break;
        case 's':
            o->socket_path = optarg;
            break;
        case OPT_RUN_DIR:
            o->run_dir = optarg;
            break;
        case OPT_STATE_DIR:
            o->state_dir = optarg;
            break;
        case 'v':
            o->verbose = true;
            break;
        case OPT_SYSLOG:
            o->use_syslog = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("vigild %s\n", VIGIL_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'vigild --help'.\n");
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigild: unexpected argument '%s'\nTry 'vigild --help'.\n", argv[optind]);
        return -EINVAL;
    }
    return 1;
}

int options_load_config(const struct options *o, struct cfg **ret_cfg, char **ret_text)
{
    struct cfg_diags diags;
    cfg_diags_init(&diags);
    char *text = NULL;
    size_t len;
    struct cfg *cfg = NULL;
    int r = read_file(o->cfg_path, CFG_MAX_FILE_SIZE, &text, &len);
    if (r < 0) {
        fprintf(stderr, "vigild: cannot read %s: %s\n", o->cfg_path,
                r == -EFBIG ? "file too large" : strerror(-r));
        return r;
    }
    r = cfg_load_string(text, len, o->cfg_path, CFG_LOAD_CHECK_FILES, &cfg, &diags);
    cfg_diags_print(&diags, stderr);
    cfg_diags_clear(&diags);
    if (r < 0) {
        fprintf(stderr, "vigild: %s is not valid; nothing was started\n", o->cfg_path);
        free(text);
        return r;
    }
    if (o->check_only)
        printf("%s: configuration is valid\n", o->cfg_path);
    *ret_cfg = cfg;
    *ret_text = text;
    return 0;
}
