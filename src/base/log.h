/*
 * Logging for the programs (vigild, vigil). Library layers (config, engine
 * adapters' pure parts) return errors instead of logging. Log once, where an
 * error is handled, naming the node, group or resource concerned.
 */
#pragma once

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_MAX };

/*
 * Sets the program name, the most verbose level that is written, and the
 * sink: stderr (with a timestamp) when use_syslog is false, syslog otherwise.
 * ident must stay valid for the life of the process.
 */
void log_init(const char *ident, enum log_level level, bool use_syslog);
/* Sets the most verbose level that is written (LOG_LVL_DEBUG: everything). */
void log_set_level(enum log_level level);
/* The most verbose level that is written. */
enum log_level log_get_level(void);

/*
 * Writes one message at level, formatted as printf, with the program name
 * and level (and on stderr a UTC timestamp) and a newline added; nothing
 * when level is more verbose than the current one. Never fails: a message
 * that cannot be written is lost. Use the log_error..log_debug macros.
 */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
