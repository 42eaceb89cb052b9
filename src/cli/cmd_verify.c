/* vigil verify: check a configuration file the way vigild will load it. */
#include "cli/cli.h"
#include "base/util.h"
#include "config/config.h"
#include "fence/agent.h"
#include "resource/compatdir.h"
#include "resource/ip.h"
#include "resource/res_agent.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

static void verify_usage(FILE *out)
{
    fprintf(out, "Usage: vigil verify [-c FILE] [--print] [--probe-fencing]\n"
                 "Check a configuration file, and the key file it names, as vigild would.\n"
                 "Every problem is reported as FILE:LINE:COL: error|warning: MESSAGE.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE  the file to check (default: " CFG_DEFAULT_PATH ")\n"
                 "  -p, --print        write the normalised configuration to stdout\n"
                 "                     (the summary then goes to stderr)\n"
                 "      --probe-fencing  also run every fence device's monitor action and\n"
                 "                     report whether each device answers\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.\n");
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

struct probe {
    const struct cfg_fence_device *dev;
    bool done;
    bool ok;
};

static void on_probe_done(const struct fence_result *r, void *ctx)
{
    struct probe *p = ctx;
    p->done = true;
    p->ok = r->outcome == FENCE_SUCCESS;
    printf("fence device %s: monitor %s: %s\n", p->dev->name, p->ok ? "ok" : "FAILED", r->reason);
}

/*
 * Runs every fence device's monitor action at once and reports each.
 * Returns the number of devices that did not answer well.
 */
/*
 * The name agents are told is theirs (as vigild tells them): the node of the
 * configuration with one of this machine's addresses, else the host name.
 */
static const char *local_name(const struct cfg *cfg)
{
    static char host[256];
    int n = ip_local_node(cfg);
    if (n >= 0)
        return cfg->nodes[n].name;
    if (!host[0] && gethostname(host, sizeof(host) - 1) < 0)
        host[0] = '\0';
    return host;
}

/*
 * Runs `meta-data` and `validate-all` of every OCF resource (and checks that
 * scripts and init scripts can run), as the resource would be run on this
 * node. Prints one error line per refused resource; returns how many.
 */
static size_t validate_agents(const struct cfg *cfg, const char *path)
{
    size_t bad = 0;
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct cfg_group *cg = &cfg->groups[g];
        for (size_t r = 0; r < cg->n_resources; r++) {
            const struct cfg_resource *rc = &cg->resources[r];
            if (rc->type != CFG_RES_OCF && rc->type != CFG_RES_SCRIPT && rc->type != CFG_RES_LSB)
                continue;
            /* As vigild runs it: the compatible commands, a clone's meta variables. */
            struct res_agent_env env = {.ocf_root = cfg->ocf_root,
                                        .group = cg->name,
                                        .node = local_name(cfg),
                                        .rsc_tmp = NULL,
                                        .compat_dir = compat_dir()};
            if (cg->kind != CFG_KIND_SINGLE) {
                env.clone_max = cg->copies;
                env.promoted_max = cg->primaries;
                env.clone_notify = cg->notify;
            }
            _cleanup_free_ char *err = NULL;
            if (res_agent_validate_sync(&env, rc, rc->start_timeout_ms, NULL, &err) < 0) {
                fprintf(stderr, "%s: error: resource %s of group %s: %s\n", path, rc->name,
                        cg->name, err);
                bad++;
            }
        }
    }
    return bad;
}

static size_t probe_fencing(const struct cfg *cfg)
{
    if (cfg->n_fence_devices == 0) {
        printf("no fence devices to probe\n");
        return 0;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct probe *probes = xcalloc(cfg->n_fence_devices, sizeof(*probes));
    size_t failed = 0;
    for (size_t i = 0; i < cfg->n_fence_devices; i++) {
        probes[i].dev = &cfg->fence_devices[i];
        struct fence_call *call;
        char *err = NULL;
        if (fence_call_start(&loop, probes[i].dev, "monitor", NULL, NULL, on_probe_done, &probes[i],
                             &call, &err) < 0) {
            printf("fence device %s: monitor FAILED: %s\n", probes[i].dev->name, err);
            free(err);
            probes[i].done = true;
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    for (size_t i = 0; i < cfg->n_fence_devices; i++)
        failed += !probes[i].ok;
    free(probes);
    fflush(stdout);
    return failed;
}

/*
 * vigil verify. The summary goes to stdout, or to stderr with --print so that
 * stdout holds nothing but the configuration.
 */
int cmd_verify(int argc, char **argv, struct cli_globals *g)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"print", no_argument, NULL, 'p'},
        {"probe-fencing", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *path = CFG_DEFAULT_PATH;
    bool print = false, probe = false;
    int c;
    while ((c = getopt_long(argc, argv, ":c:ph", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'p':
            print = true;
            break;
        case 'P':
            probe = true;
            break;
        case 'h':
            verify_usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option("verify", c, argv);
        }
    }
    if (cli_no_args("verify", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (print && probe)
        return cli_usage_error("verify", "--print and --probe-fencing exclude each other");

    struct cfg_diags diags;
    struct cfg *cfg = NULL;
    cfg_diags_init(&diags);
    int r = cfg_load_file(path, CFG_LOAD_CHECK_FILES, &cfg, &diags);
    fflush(stdout);
    cfg_diags_print(&diags, stderr);

    int status;
    if (r < 0) {
        if (diags.n_errors == 0)
            cli_error("%s: %s", path, strerror(-r));
        else
            fprintf(stderr, "%s: configuration is invalid (%zu %s)\n", path, diags.n_errors,
                    plural(diags.n_errors, "error", "errors"));
        status = CLI_EXIT_ERROR;
        goto out;
    }

    size_t invalid = validate_agents(cfg, path);
    if (invalid > 0) {
        fprintf(stderr, "%s: configuration is invalid (%zu %s refused by %s agent)\n", path,
                invalid, plural(invalid, "resource", "resources"), plural(invalid, "its", "their"));
        status = CLI_EXIT_ERROR;
        goto out;
    }

    if (print) {
        _cleanup_free_ char *text = cfg_print(cfg);
        fputs(text, stdout);
        fflush(stdout);
    }

    struct cfg_timers timers;
    char timeout[32];
    cfg_derive_timers(cfg, &timers);
    fprintf(print ? stderr : stdout,
            "%s: configuration is valid (%zu %s, %zu %s, heartbeat timeout %s)\n", path,
            cfg->n_nodes, plural(cfg->n_nodes, "node", "nodes"), cfg->n_networks,
            plural(cfg->n_networks, "network", "networks"), dur_format(timers.token_ms, timeout));
    if (cfg->n_nodes == 1)
        fprintf(print ? stderr : stdout,
                "%s: a one-node cluster: node %s always has quorum; its groups restart in place "
                "up to their restart budget, then stay failed until their failures expire "
                "(restarts.within) or 'vigil cleanup'; nothing fails over and nothing is "
                "fenced\n",
                path, cfg->nodes[0].name);
    status = CLI_EXIT_OK;
    if (probe) {
        size_t bad = probe_fencing(cfg);
        if (bad > 0) {
            fprintf(stderr, "%s: %zu fence %s did not answer\n", path, bad,
                    plural(bad, "device", "devices"));
            status = CLI_EXIT_ERROR;
        }
    }
out:
    cfg_free(cfg);
    cfg_diags_clear(&diags);
    return status;
}
