/* vigil, the admin command: global options and dispatch to the subcommands. */
#include "cli/cli.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"status", cmd_status, "show the cluster: quorum, engine, nodes and links"},
    {"events", cmd_events, "show the event history, or follow new events"},
    {"verify", cmd_verify, "check a configuration file"},
    {"keygen", cmd_keygen, "create the cluster authentication key"},
    {"fence", cmd_fence, "fence a node now, or confirm that a node is off"},
    {"group", cmd_group, "start, stop, move, fail over, manage or unmanage a resource group"},
    {"node", cmd_node, "put a node in standby (it runs no groups), or online again"},
    {"cleanup", cmd_cleanup, "forget the failures of a group or resource"},
    {"history", cmd_history, "show the event history kept on disk, across restarts"},
    {"config", cmd_config, "show, compare, apply or reload the cluster's configuration"},
    {"attr", cmd_attr, "set, get, delete or list node attributes"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: vigil [-s PATH] COMMAND [OPTIONS]\n"
                 "Administer a vigil failover cluster.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-8s  %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-8s  %s\n", "help", "show the help of a command");
    fprintf(out, "\n"
                 "Options:\n"
                 "  -s, --socket PATH  vigild's control socket (default: $VIGIL_SOCKET, or\n"
                 "                     " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "  -V, --version      show the version and exit\n"
                 "\n"
                 "Run 'vigil COMMAND --help' for the options of a command.\n"
                 "Exit status: 0 ok, 1 error, refused request or invalid configuration,\n"
                 "2 usage error, 3 vigild unreachable.\n");
}

/* Finds a command by exact name, or returns -1. */
static int find_command(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int unknown_command(const char *name)
{
    const char *names[ARRAY_SIZE(commands)];
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        names[i] = commands[i].name;
    const char *best = cli_suggest(name, names, ARRAY_SIZE(commands));
    if (best)
        return cli_usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", name, best);
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

/* Runs command i with argv[0] being its name. */
static int run_command(int i, int argc, char **argv, struct cli_globals *g)
{
    optind = 0; /* a full getopt reset (glibc) for the command's own options */
    return commands[i].fn(argc, argv, g);
}

/* `vigil help [COMMAND]`. */
static int cmd_help(int argc, char **argv, struct cli_globals *g)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return cli_usage_error("help", "unexpected argument '%s'", argv[2]);
    int i = find_command(argv[1]);
    if (i < 0)
        return unknown_command(argv[1]);
    char *help_argv[] = {argv[1], (char *)"--help", NULL};
    return run_command(i, 2, help_argv, g);
}

/* Reports a failure to write stdout (a full disk, a closed pipe) as an error. */
static int close_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        if (e != EPIPE)
            fprintf(stderr, "vigil: cannot write the output: %s\n", strerror(e));
        return status == CLI_EXIT_OK ? CLI_EXIT_ERROR : status;
    }
    return status;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    struct cli_globals g = {.socket_path = CLI_DEFAULT_SOCKET};
    const char *env = getenv("VIGIL_SOCKET");
    if (env && *env)
        g.socket_path = env;

    opterr = 0;
    int c;
    /* '+': stop at the command name; ':': report a missing argument as ':'. */
    while ((c = getopt_long(argc, argv, "+:s:hV", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            g.socket_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return close_stdout(CLI_EXIT_OK);
        case 'V':
            printf("vigil %s\n", VIGIL_VERSION);
            return close_stdout(CLI_EXIT_OK);
        default:
            return cli_bad_option(NULL, c, argv);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }

    char *name = argv[optind];
    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    if (strcmp(name, "help") == 0) {
        optind = 0;
        return close_stdout(cmd_help(cmd_argc, cmd_argv, &g));
    }
    int i = find_command(name);
    if (i < 0)
        return unknown_command(name);
    return close_stdout(run_command(i, cmd_argc, cmd_argv, &g));
}
