/* vigil events: the event history kept by vigild, and the live stream. */
#include "cli/cli.h"
#include "cli/request.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

enum { OPT_SINCE = 256 };

static void events_usage(FILE *out)
{
    fprintf(out, "Usage: vigil events [--follow] [--json] [--since SEQ] [--utc] [-s PATH]\n"
                 "Show the events vigild has recorded (membership, quorum, links, the\n"
                 "coordinator, the engine, fencing, groups and admin commands), oldest\n"
                 "first, one per line:\n"
                 "  TIME  TYPE  SUBJECT  MESSAGE  [DURATION]\n"
                 "SUBJECT is the group (GROUP/RESOURCE for a resource) of a group event,\n"
                 "else the node, else '-'. DURATION, when the event has one, is how long\n"
                 "the action took, or how long the group was unavailable (moved,\n"
                 "recovered, restarted).\n"
                 "\n"
                 "Options:\n"
                 "  -f, --follow       keep running and print new events as they happen\n"
                 "                     (until vigild closes the stream or Ctrl-C)\n"
                 "  -j, --json         print each event as one JSON object per line\n"
                 "      --since SEQ    only events with a sequence number above SEQ\n"
                 "  -u, --utc          show times in UTC (as vigild logs them), not local time\n"
                 "  -s, --socket PATH  vigild's control socket (default: " CLI_DEFAULT_SOCKET ")\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "Exit status: 0 ok, 1 error, 2 usage error, 3 vigild unreachable.\n");
}

struct events_opts {
    bool follow;
    bool json;
    bool utc;
    uint64_t since;
};

/*
 * What an event is about, for the third column: the group (with the
 * resource, "web/vip") for group events, else the node, else "-".
 */
static const char *event_subject(json_t *ev, char **ret_owned)
{
    const char *group = cli_jstr(ev, "group", NULL);
    const char *resource = cli_jstr(ev, "resource", NULL);
    const char *node = cli_jstr(ev, "node", NULL);
    if (group && *group && resource && *resource)
        return *ret_owned = xasprintf("%s/%s", group, resource);
    if (group && *group)
        return group;
    return node && *node ? node : "-";
}

void cli_print_event(json_t *ev, bool utc)
{
    char buf[64];
    const char *when = json_string_value(json_object_get(ev, "time"));
    json_t *ts = json_object_get(ev, "ts_ms");
    if (json_is_integer(ts) && json_integer_value(ts) >= 0) {
        uint64_t ms = (uint64_t)json_integer_value(ts);
        when = utc ? time_format_wall_ms(ms, buf) : cli_format_local_ms(ms, true, buf);
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *msg = json_string_value(json_object_get(ev, "message"));
    _cleanup_free_ char *owned = NULL;
    const char *subject = event_subject(ev, &owned);
    json_t *dur = json_object_get(ev, "duration_ms");

    cli_fputs_safe(when ? when : "?", stdout);
    fputs("  ", stdout);
    /* Columns fit every event type and the usual node names; longer ones push the line. */
    cli_fputs_padded(type ? type : "?", 20, stdout);
    fputc(' ', stdout);
    cli_fputs_padded(subject, 6, stdout);
    fputs("  ", stdout);
    cli_fputs_safe(msg ? msg : "", stdout);
    if (json_is_integer(dur) && json_integer_value(dur) >= 0) {
        char d[32];
        printf("  [%s]", cli_format_duration((uint64_t)json_integer_value(dur), d));
    }
    fputc('\n', stdout);
}

static void print_event(json_t *ev, const struct events_opts *o)
{
    if (o->json) {
        json_dumpf(ev, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    } else {
        cli_print_event(ev, o->utc);
    }
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    stop_requested = 1;
}

/*
 * From here on SIGINT and SIGTERM end `vigil events --follow` cleanly (exit
 * 0). They stay blocked except while waiting for the socket with the mask
 * stored in *ret_wait_mask, so one cannot slip in between a check and the wait.
 */
static void catch_stop_signals(sigset_t *ret_wait_mask)
{
    sigset_t stop_set;
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_set, ret_wait_mask);
    sigdelset(ret_wait_mask, SIGINT);
    sigdelset(ret_wait_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/*
 * Prints streamed {"event":...} lines until the daemon closes the stream or a
 * stop signal arrives (see catch_stop_signals).
 */
static int follow_stream(struct client *c, const char *socket_path, const struct events_opts *o,
                         const sigset_t *wait_mask)
{
    for (;;) {
        json_t *msg = NULL;
        int r = client_recv(c, -1, wait_mask, &msg);
        if (r == -EINTR) {
            if (stop_requested)
                return CLI_EXIT_OK;
            continue;
        }
        if (r < 0)
            return cli_recv_error(socket_path, c, r);
        if (!msg)
            return CLI_EXIT_OK; /* the daemon ended the stream */

        json_t *ev = json_object_get(msg, "event");
        json_t *ok = json_object_get(msg, "ok");
        int status = CLI_EXIT_OK;
        if (json_is_object(ev)) {
            print_event(ev, o);
            if (fflush(stdout) != 0)
                status = CLI_EXIT_ERROR; /* reported by main() */
        } else if (json_is_false(ok)) {
            status = cli_daemon_error(msg);
        }
        /* Other lines are for newer clients; skip them. */
        json_decref(msg);
        if (status != CLI_EXIT_OK)
            return status;
    }
}

static int parse_events_opts(int argc, char **argv, struct cli_globals *g, struct events_opts *o,
                             bool *ret_help)
{
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"since", required_argument, NULL, OPT_SINCE},
        {"utc", no_argument, NULL, 'u'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, ":fjus:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->follow = true;
            break;
        case 'j':
            o->json = true;
            break;
        case 'u':
            o->utc = true;
            break;
        case OPT_SINCE:
            if (cli_parse_u64(optarg, LLONG_MAX, &o->since) < 0)
                return cli_usage_error("events", "--since wants an event sequence number, not '%s'",
                                       optarg);
            break;
        case 's':
            g->socket_path = optarg;
            break;
        case 'h':
            *ret_help = true;
            return CLI_EXIT_OK;
        default:
            return cli_bad_option("events", c, argv);
        }
    }
    return cli_no_args("events", argc, argv);
}

/* vigil events. */
int cmd_events(int argc, char **argv, struct cli_globals *g)
{
    struct events_opts o = {0};
    bool help = false;
    int status = parse_events_opts(argc, argv, g, &o, &help);
    if (status != CLI_EXIT_OK)
        return status;
    if (help) {
        events_usage(stdout);
        return CLI_EXIT_OK;
    }

    json_t *req = json_pack("{s:s, s:b, s:I}", "cmd", "events", "follow", o.follow, "since",
                            (json_int_t)o.since);
    json_t *result = NULL;
    struct client *c = NULL;
    status = cli_request(g->socket_path, req, &result, o.follow ? &c : NULL);
    json_decref(req);
    if (status != CLI_EXIT_OK)
        return status;

    /* Before the first line is printed: whoever reads it may then send SIGINT. */
    sigset_t wait_mask;
    if (o.follow)
        catch_stop_signals(&wait_mask);

    json_t *events = json_object_get(result, "events");
    if (!json_is_array(events)) {
        status = cli_malformed("no \"events\" array in the result");
        goto out;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        if (json_is_object(ev))
            print_event(ev, &o);
    }
    if (o.follow) {
        if (fflush(stdout) != 0) {
            status = CLI_EXIT_ERROR; /* reported by main() */
            goto out;
        }
        status = follow_stream(c, g->socket_path, &o, &wait_mask);
    }
out:
    json_decref(result);
    client_close(c);
    return status;
}
