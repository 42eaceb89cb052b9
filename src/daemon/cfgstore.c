#include "daemon/cfgstore.h"
#include "base/util.h"
#include "config/config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

int cfgstore_load(const char *state_dir, struct cfgstore_rec *ret, char **ret_err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", state_dir, CFGSTORE_FILE);
    _cleanup_free_ char *buf = NULL;
    size_t len;
    int r = read_file(path, 65536, &buf, &len);
    if (r < 0) {
        if (r != -ENOENT)
            *ret_err = xasprintf("%s: %s", path, strerror(-r));
        return r == -ENOENT ? -ENOENT : -EINVAL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(buf, len, 0, &jerr);
    json_int_t version = 0, applied = 0;
    const char *hash = NULL, *from = "";
    if (!j ||
        json_unpack_ex(j, &jerr, 0, "{s:I, s:s, s?I, s?s}", "version", &version, "sha256", &hash,
                       "applied_ms", &applied, "from", &from) < 0 ||
        version < 1 || strlen(hash) != SHA256_HEX_LEN) {
        *ret_err = xasprintf("%s: not a configuration record: %s", path,
                             j ? "bad version or sha256" : jerr.text);
        json_decref(j);
        return -EINVAL;
    }
    memset(ret, 0, sizeof(*ret));
    ret->version = (uint64_t)version;
    memcpy(ret->sha256, hash, SHA256_HEX_LEN + 1);
    ret->applied_ms = applied > 0 ? (uint64_t)applied : 0;
    snprintf(ret->from, sizeof(ret->from), "%s", from);
    json_decref(j);
    return 0;
}

static char *version_path(const char *state_dir, uint64_t version)
{
    return xasprintf("%s/%s/%" PRIu64 ".yaml", state_dir, CFGSTORE_DIR, version);
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

size_t cfgstore_list(const char *state_dir, uint64_t *ret, size_t max)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", state_dir, CFGSTORE_DIR);
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    uint64_t *all = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        char *end;
        unsigned long long v = strtoull(de->d_name, &end, 10);
        if (end == de->d_name || strcmp(end, ".yaml") != 0 || v == 0)
            continue;
        all = xrealloc(all, (n + 1) * sizeof(*all));
        all[n++] = v;
    }
    closedir(dp);
    qsort(all, n, sizeof(*all), cmp_desc);
    size_t k = n < max ? n : max;
    if (k)
        memcpy(ret, all, k * sizeof(*all));
    free(all);
    return k;
}

void cfgstore_prune(const char *state_dir)
{
    uint64_t v[CFGSTORE_KEEP * 4];
    size_t n = cfgstore_list(state_dir, v, CFGSTORE_KEEP * 4);
    for (size_t i = CFGSTORE_KEEP; i < n; i++) {
        _cleanup_free_ char *p = version_path(state_dir, v[i]);
        unlink(p);
    }
}

static char *owned(struct cfgstore_files *fs, char *s)
{
    fs->owned[fs->n_owned++] = s;
    return s;
}

void cfgstore_files(struct cfgstore_files *ret, const char *path, const char *text,
                    const char *prev, const char *state_dir, const struct cfgstore_rec *rec)
{
    memset(ret, 0, sizeof(*ret));
    if (path && prev) {
        ret->f[ret->n++] = (struct statewrite_file){.path = owned(ret, xasprintf("%s.bak", path)),
                                                    .data = prev,
                                                    .len = strlen(prev),
                                                    .mode = 0644,
                                                    .mode_from = path};
    }
    if (path)
        ret->f[ret->n++] = (struct statewrite_file){
            .path = path, .data = text, .len = strlen(text), .mode = 0644, .mode_from = path};
    if (state_dir && rec) {
        ret->f[ret->n++] =
            (struct statewrite_file){.path = owned(ret, version_path(state_dir, rec->version)),
                                     .data = text,
                                     .len = strlen(text),
                                     .mode = 0600,
                                     .make_dir = true};
        json_t *j =
            json_pack("{s:I, s:s, s:I, s:s}", "version", (json_int_t)rec->version, "sha256",
                      rec->sha256, "applied_ms", (json_int_t)rec->applied_ms, "from", rec->from);
        char *s = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        char *line = owned(ret, xasprintf("%s\n", s));
        free(s);
        ret->f[ret->n++] = (struct statewrite_file){
            .path = owned(ret, xasprintf("%s/%s", state_dir, CFGSTORE_FILE)),
            .data = line,
            .len = strlen(line),
            .mode = 0600};
    }
}

void cfgstore_files_clear(struct cfgstore_files *f)
{
    for (size_t i = 0; i < f->n_owned; i++)
        free(f->owned[i]);
    memset(f, 0, sizeof(*f));
}

static void store_result(void *arg, int result)
{
    *(int *)arg = result;
}

/* Writes fs now, on this thread. */
static int write_now(const struct cfgstore_files *fs)
{
    int r = 0;
    struct statewrite *sw = statewrite_new(NULL);
    statewrite_submit(sw, fs->f, fs->n, store_result, &r);
    statewrite_free(sw);
    return r;
}

int cfgstore_record(const char *state_dir, const struct cfgstore_rec *rec, const char *text)
{
    struct cfgstore_files fs;
    cfgstore_files(&fs, NULL, text, NULL, state_dir, rec);
    int r = write_now(&fs);
    cfgstore_files_clear(&fs);
    if (r == 0)
        cfgstore_prune(state_dir);
    return r;
}

int cfgstore_write_file(const char *path, const char *text, const char *prev)
{
    struct cfgstore_files fs;
    cfgstore_files(&fs, path, text, prev, NULL, NULL);
    int r = write_now(&fs);
    cfgstore_files_clear(&fs);
    return r;
}

int cfgstore_read_version(const char *state_dir, uint64_t version, char **ret_text)
{
    _cleanup_free_ char *p = version_path(state_dir, version);
    size_t len;
    int r = read_file(p, CFG_MAX_FILE_SIZE, ret_text, &len);
    return r == -ENOENT ? -ENOENT : r;
}
