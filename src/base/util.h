/* Memory, strings and time helpers shared by every layer. No project dependencies. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Allocation helpers. Running out of memory is not an input error: these abort
 * the process with a message instead of returning NULL, so callers never carry
 * half-built state. Every pointer they return is owned by the caller (free()).
 */

/* n bytes, uninitialised; n may be 0 (a unique pointer all the same). Never NULL. */
void *xmalloc(size_t n);
/* nmemb * size bytes, zeroed; either may be 0. Never NULL. */
void *xcalloc(size_t nmemb, size_t size);
/* p (NULL or from these helpers) resized to n bytes, contents kept; p is gone after. Never NULL. */
void *xrealloc(void *p, size_t n);
/*
 * Grows *p (an array of *cap elements of size elem, owned by the caller) to
 * hold at least need elements, doubling; the new elements are zeroed and
 * *cap updated. Does nothing when *cap >= need. Aborts if the size overflows.
 */
void xgrow(void **p, size_t *cap, size_t need, size_t elem);
/* A copy of the NUL-terminated s. Never NULL. */
char *xstrdup(const char *s);
/* A copy of at most n bytes of s, NUL-terminated. Never NULL. */
char *xstrndup(const char *s, size_t n);
/* The printf-formatted string, newly allocated. Never NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xasprintf with a va_list (ap is used up, as by vprintf). Never NULL. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static inline void freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))

/* Returns true if s equals t; either may be NULL (two NULLs are equal). */
bool streq_null(const char *s, const char *t);

/*
 * Levenshtein distance between a and b, capped: returns at most max + 1.
 * Used for "did you mean" suggestions.
 */
size_t str_edit_distance(const char *a, const char *b, size_t max);

/*
 * Makes len bytes of buf safe text in place, for logs and JSON: every byte
 * that is not part of valid UTF-8 (no overlong forms, no UTF-16 surrogates,
 * nothing past U+10FFFF) and every control byte (NUL and DEL included)
 * becomes '?', except newline and tab unless one_line.
 */
void str_sanitize(char *buf, size_t len, bool one_line);
/* The string s made one line by str_sanitize: for reasons quoting outside words. NULL ok. */
char *str_one_line(char *s);

/* Milliseconds on the monotonic clock. */
uint64_t time_mono_ms(void);
/* Milliseconds since the Unix epoch (wall clock). */
uint64_t time_wall_ms(void);
/*
 * Formats a wall-clock time in milliseconds as ISO 8601 in UTC with
 * milliseconds ("2026-11-22T10:00:00.123Z") into buf, which must hold 32 bytes.
 * Returns buf.
 */
char *time_format_wall_ms(uint64_t ms, char buf[static 32]);

/*
 * Durations, written as a number followed by a unit without a space:
 * "250ms", "5s", "2min", "1h". Fractions are not accepted ("0.5s": write "500ms").
 *
 * dur_parse: on success stores milliseconds in *ret_ms and returns 0; returns
 * -EINVAL for a malformed string (with no change to *ret_ms) and -ERANGE when the
 * value does not fit.
 */
int dur_parse(const char *s, uint64_t *ret_ms);
/*
 * Writes the shortest exact spelling of ms ("0ms" for 0) into buf, which
 * must hold 32 bytes, and returns buf; dur_parse(dur_format(x)) == x.
 */
char *dur_format(uint64_t ms, char buf[static 32]);

/*
 * Writes len bytes of data to path atomically and durably: the directory of
 * path is opened (O_RDONLY | O_DIRECTORY), a temporary file PATH.tmp.PID is
 * written in it, fsynced and renamed over path, and the directory is fsynced;
 * every step is checked. mode is applied to the new file. Returns 0 once the
 * new content would survive a crash, or a negative errno: -ENOENT or
 * -ENOTDIR when the directory does not exist, -EISDIR for a path ending in
 * '/' (or naming a directory), or the error of the failed step. A failure
 * before the rename leaves path unchanged and no temporary file. A failure
 * of the directory's fsync or close comes after the rename: path may then
 * hold the new content, but not durably, so a caller must not acknowledge
 * it. Only one write of a given path may be under way at a time (within a
 * process, the temporary name is shared). The caller keeps data.
 */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

/*
 * Reads the whole file at path into a NUL-terminated buffer owned by the
 * caller, refusing files larger than max bytes (-EFBIG). Returns 0 or a
 * negative errno; *ret_buf and *ret_len are set only on success.
 */
int read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len);
