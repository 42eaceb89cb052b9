/* Helpers shared by vigil's subcommands: error reporting and safe output. */
#include "cli/cli.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("vigil: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "vigil%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vigil%s%s --help' for more information.\n", cmd ? " " : "",
            cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
    /* The element holding the bad option: exact for long options, and for a short one
     * unless it sits in the middle of a cluster such as -xj. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = strncmp(arg, "--", 2) == 0;

    if (c == ':') {
        if (is_long)
            return cli_usage_error(cmd, "option '%s' requires an argument", arg);
        return cli_usage_error(cmd, "option '-%c' requires an argument", optopt);
    }
    /* glibc sets optopt to 0 for an unknown long option, and to the option's
     * value for an argument given to a long option that takes none. */
    const char *eq = strchr(arg, '=');
    if (is_long && optopt == 0)
        return cli_usage_error(cmd, "unknown option '%.*s'",
                               eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    if (is_long && eq)
        return cli_usage_error(cmd, "option '%.*s' does not take an argument", (int)(eq - arg),
                               arg);
    if (optopt > 0 && isprint(optopt))
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_common_opt(const char *cmd, int c, char **argv, struct cli_globals *g, bool *json,
                   void (*usage)(FILE *out))
{
    switch (c) {
    case 'j':
        *json = true;
        return -1;
    case 's':
        g->socket_path = optarg;
        return -1;
    case 'h':
        usage(stdout);
        return CLI_EXIT_OK;
    default:
        return cli_bad_option(cmd, c, argv);
    }
}

int cli_daemon_opts(const char *cmd, int argc, char **argv, struct cli_globals *g, bool *json,
                    void (*usage)(FILE *out))
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, ":js:h", opts, NULL)) != -1) {
        int r = cli_common_opt(cmd, c, argv, g, json, usage);
        if (r >= 0)
            return r;
    }
    return -1;
}

int cli_no_args(const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return CLI_EXIT_OK;
}

void cli_fputs_safe(const char *s, FILE *out)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

void cli_fputs_padded(const char *s, size_t width, FILE *out)
{
    size_t len = s ? strlen(s) : 0;
    cli_fputs_safe(s, out);
    for (; len < width; len++)
        fputc(' ', out);
}

int cli_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;
    if (!s || !*s)
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (d > max || v > (max - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

const char *cli_suggest(const char *word, const char *const *words, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only close matches */
    for (size_t i = 0; i < n; i++) {
        size_t d = str_edit_distance(word, words[i], 2);
        if (d < best_d) {
            best_d = d;
            best = words[i];
        }
    }
    return best;
}

int cli_find_word(const char *word, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(word, words[i]) == 0)
            return (int)i;
    return -1;
}

const char *cli_jstr(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

const char *cli_jint(json_t *o, const char *key, char buf[static 32])
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return "?";
    snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return buf;
}

const char *cli_format_local_ms(uint64_t ms, bool with_ms, char buf[static 64])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm))
        return "?";
    size_t n = strftime(buf, 64, "%Y-%m-%d %H:%M:%S", &tm);
    if (n == 0)
        return "?";
    if (with_ms)
        snprintf(buf + n, 64 - n, ".%03u", (unsigned)(ms % 1000));
    return buf;
}

const char *cli_format_duration(uint64_t ms, char buf[static 32])
{
    if (ms < 1000)
        snprintf(buf, 32, "%u ms", (unsigned)ms);
    else if (ms < 10000)
        snprintf(buf, 32, "%u.%03u s", (unsigned)(ms / 1000), (unsigned)(ms % 1000));
    else if (ms < 60000)
        snprintf(buf, 32, "%u.%u s", (unsigned)(ms / 1000), (unsigned)(ms % 1000 / 100));
    else if (ms < 3600000)
        snprintf(buf, 32, "%u min %u s", (unsigned)(ms / 60000), (unsigned)(ms % 60000 / 1000));
    else
        snprintf(buf, 32, "%llu h %u min", (unsigned long long)(ms / 3600000),
                 (unsigned)(ms % 3600000 / 60000));
    return buf;
}
