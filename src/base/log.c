#include "base/log.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static const char *log_ident = "vigil";
static enum log_level log_level = LOG_LVL_INFO;
static bool log_syslog;

static const char *const level_names[LOG_LVL_MAX] = {"error", "warning", "info", "debug"};
static const int level_prio[LOG_LVL_MAX] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void log_init(const char *ident, enum log_level level, bool use_syslog)
{
    log_ident = ident;
    log_level = level;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
    log_level = level;
}

enum log_level log_get_level(void)
{
    return log_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > log_level || level >= LOG_LVL_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (log_syslog) {
        vsyslog(level_prio[level], fmt, ap);
    } else {
        char ts[32];
        time_format_wall_ms(time_wall_ms(), ts);
        fprintf(stderr, "%s %s %s: ", ts, log_ident, level_names[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        fflush(stderr);
    }
    va_end(ap);
}
