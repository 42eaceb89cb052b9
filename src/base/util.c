#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
    static const char msg[] = "vigil: out of memory\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)r;
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            oom();
        ncap *= 2;
    }
    *p = xrealloc(*p, ncap * elem);
    memset((char *)*p + *cap * elem, 0, (ncap - *cap) * elem);
    *cap = ncap;
}

char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        oom();
    return d;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        oom();
    return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

bool streq_null(const char *s, const char *t)
{
    if (!s || !t)
        return s == t;
    return strcmp(s, t) == 0;
}

size_t str_edit_distance(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    if ((la > lb ? la - lb : lb - la) > max)
        return max + 1;
    size_t *row = xcalloc(lb + 1, sizeof(*row));
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = diag + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d > max ? max + 1 : d;
}

void str_sanitize(char *buf, size_t len, bool one_line)
{
    unsigned char *p = (unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        bool ok = n > 0 && i + n <= len && !(n == 2 && c < 0xc2);
        for (size_t k = 1; ok && k < n; k++)
            ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && n == 3)
            ok = !(c == 0xe0 && p[i + 1] < 0xa0) && !(c == 0xed && p[i + 1] >= 0xa0);
        if (ok && n == 4)
            ok = !(c == 0xf0 && p[i + 1] < 0x90) && c <= 0xf4 && !(c == 0xf4 && p[i + 1] >= 0x90);
        if (!ok) {
            p[i++] = '?';
            continue;
        }
        if (n == 1 && (c < 0x20 || c == 0x7f) && (one_line || (c != '\n' && c != '\t')))
            p[i] = '?';
        i += n;
    }
}

char *str_one_line(char *s)
{
    if (s)
        str_sanitize(s, strlen(s), true);
    return s;
}

static uint64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t time_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

uint64_t time_wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

char *time_format_wall_ms(uint64_t ms, char buf[static 32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000));
    return buf;
}

static const struct {
    const char *name;
    uint64_t ms;
} dur_units[] = {
    {"h", 3600000},
    {"min", 60000},
    {"s", 1000},
    {"ms", 1},
};

int dur_parse(const char *s, uint64_t *ret_ms)
{
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    uint64_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++) {
        if (strcmp(p, dur_units[i].name) == 0) {
            if (v > UINT64_MAX / dur_units[i].ms)
                return -ERANGE;
            *ret_ms = v * dur_units[i].ms;
            return 0;
        }
    }
    return -EINVAL;
}

char *dur_format(uint64_t ms, char buf[static 32])
{
    for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++) {
        if (ms != 0 && ms % dur_units[i].ms == 0) {
            snprintf(buf, 32, "%llu%s", (unsigned long long)(ms / dur_units[i].ms),
                     dur_units[i].name);
            return buf;
        }
    }
    snprintf(buf, 32, "0ms");
    return buf;
}

/* Writes all len bytes of data to fd. 0 or a negative errno. */
static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    /* The directory is opened first: the file is written, renamed and synced through it. */
    _cleanup_free_ char *dir = xstrdup(path);
    const char *base = path;
    char *slash = strrchr(dir, '/');
    if (slash) {
        base = path + (slash - dir) + 1;
        slash[slash == dir ? 1 : 0] = '\0';
    } else {
        strcpy(dir, ".");
    }
    if (!*base)
        return -EISDIR;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;

    _cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", base, (long)getpid());
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = -errno;
        close(dfd);
        return e;
    }
    int r = write_all(fd, data, len);
    if (r == 0 && fchmod(fd, mode) < 0)
        r = -errno;
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && renameat(dfd, tmp, dfd, base) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return r;
    }
    /* The rename is durable only once the directory is: an acknowledgement waits for this. */
    if (fsync(dfd) < 0)
        r = -errno;
    if (close(dfd) < 0 && r == 0)
        r = -errno;
    return r;
}

int read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max + 1) {
                free(buf);
                close(fd);
                return -EFBIG;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len > max) {
        free(buf);
        return -EFBIG;
    }
    buf[len] = '\0';
    *ret_buf = buf;
    *ret_len = len;
    return 0;
}
