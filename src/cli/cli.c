/* Helpers shared by vigil's subcommands: error reporting and safe output. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

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
