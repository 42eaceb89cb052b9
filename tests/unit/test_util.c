/*
 * Unit tests for src/base/util.c: durations, edit distance, safe text,
 * atomic files.
 * fsync is wrapped (-Wl,--wrap=fsync, see meson.build) so that a test can
 * make it fail for a directory or a regular file.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"

static void test_dur_parse_valid(void **state)
{
    static const struct {
        const char *s;
        uint64_t ms;
    } ok[] = {
        {"0ms", 0},     {"1ms", 1},           {"250ms", 250},    {"1s", 1000},
        {"5s", 5000},   {"2min", 120000},     {"1h", 3600000},   {"007s", 7000},
        {"100ms", 100}, {"86400s", 86400000}, {"10min", 600000},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        uint64_t v = 12345;
        assert_int_equal(dur_parse(ok[i].s, &v), 0);
        assert_int_equal(v, ok[i].ms);
    }
}

static void test_dur_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "",     "100", "100 ms", "-1s", "abc", "1.5s", "s",   "10m",
        "1sec", " 1s", "1s ",    "1S",  "+1s", "ms",   "1hh", "1 min",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t v = 777;
        assert_int_equal(dur_parse(bad[i], &v), -EINVAL);
        assert_int_equal(v, 777); /* untouched on failure */
    }
    uint64_t v = 5;
    assert_int_equal(dur_parse(NULL, &v), -EINVAL);
}

static void test_dur_parse_overflow(void **state)
{
    uint64_t v = 1;
    assert_int_equal(dur_parse("99999999999999999999999ms", &v), -ERANGE);
    assert_int_equal(dur_parse("18446744073709551615h", &v), -ERANGE);
    assert_int_equal(v, 1);
}

static void test_dur_format_roundtrip(void **state)
{
    static const uint64_t vals[] = {0, 1, 100, 999, 1000, 1500, 60000, 90000, 3600000, 7200000};
    static const char *const want[] = {"0ms",    "1ms",  "100ms", "999ms", "1s",
                                       "1500ms", "1min", "90s",   "1h",    "2h"};
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        char buf[32];
        assert_string_equal(dur_format(vals[i], buf), want[i]);
        uint64_t back;
        assert_int_equal(dur_parse(buf, &back), 0);
        assert_int_equal(back, vals[i]);
    }
}

static void test_edit_distance(void **state)
{
    assert_int_equal(str_edit_distance("addresses", "adresses", 3), 1);
    assert_int_equal(str_edit_distance("interval", "intervall", 3), 1);
    assert_int_equal(str_edit_distance("misses", "mises", 3), 1);
    assert_int_equal(str_edit_distance("abc", "abc", 3), 0);
    assert_int_equal(str_edit_distance("nodes", "heartbeat", 2), 3); /* capped at max + 1 */
    assert_int_equal(str_edit_distance("", "abc", 5), 3);
}

/* Safe text: UTF-8 kept, anything else and control bytes '?'; newline and tab unless one line. */
static void test_sanitize(void **state)
{
    char multi[] = "a\tb\nc\x01"
                   "d\x7f \xc3\xa9 \xff \xe2\x82 \xed\xa0\x80";
    str_sanitize(multi, strlen(multi), false);
    assert_string_equal(multi, "a\tb\nc?d? \xc3\xa9 ? ?? ???");
    char line[] = "unknown type 'a\nb\r\tc\xc3'";
    assert_ptr_equal(str_one_line(line), line);
    assert_string_equal(line, "unknown type 'a?b??c?'");
    char nul[] = {'x', '\0', 'y', '\0'};
    str_sanitize(nul, 3, false); /* counted bytes: a NUL inside becomes '?' */
    assert_string_equal(nul, "x?y");
    assert_null(str_one_line(NULL));
}

/* fsync fails with EIO for descriptors of this file type (S_IFDIR, S_IFREG); 0: never. */
static mode_t fsync_fails_for;

int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
    struct stat st;
    if (fsync_fails_for && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == fsync_fails_for) {
        errno = EIO;
        return -1;
    }
    return __real_fsync(fd);
}

/* The names in dir, sorted and joined by spaces ("" when it is empty). */
static char *dir_names(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    assert_true(n >= 0);
    char *names = xstrdup("");
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char *more = xasprintf("%s%s%s", names, *names ? " " : "", name);
            free(names);
            names = more;
        }
        free(list[i]);
    }
    free(list);
    return names;
}

static void assert_file_text(const char *path, const char *want)
{
    char *buf;
    size_t len;
    assert_int_equal(read_file(path, 1 << 20, &buf, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_string_equal(buf, want);
    free(buf);
}

static void test_write_file_atomic(void **state)
{
    char dir[] = "/tmp/vigil-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *path = xasprintf("%s/f", dir);
    assert_int_equal(write_file_atomic(path, "one\n", 4, 0600), 0);
    assert_int_equal(write_file_atomic(path, "second\n", 7, 0400), 0);
    assert_file_text(path, "second\n");
    /* Exactly the new file: no temporary file is left behind. */
    _cleanup_free_ char *names = dir_names(dir);
    assert_string_equal(names, "f");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0400);
    char *buf;
    size_t len;
    assert_int_equal(read_file(path, 3, &buf, &len), -EFBIG);
    assert_int_equal(write_file_atomic(path, "", 0, 0600), 0);
    assert_file_text(path, "");

    /* A bare name is written in the working directory. */
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(write_file_atomic("g", "here\n", 5, 0644), 0);
    assert_int_equal(chdir(cwd), 0);
    _cleanup_free_ char *g = xasprintf("%s/g", dir);
    assert_file_text(g, "here\n");
    unlink(g);
    unlink(path);
    rmdir(dir);
}

/* Each failure is returned, leaves the target as it was and no temporary file. */
static void test_write_file_atomic_failures(void **state)
{
    char dir[] = "/tmp/vigil-test-XXXXXX";
    assert_non_null(mkdtemp(dir));

    /* The directory does not exist, or is a file. */
    _cleanup_free_ char *missing = xasprintf("%s/nope/f", dir);
    assert_int_equal(write_file_atomic(missing, "x", 1, 0600), -ENOENT);
    _cleanup_free_ char *file = xasprintf("%s/file", dir);
    assert_int_equal(write_file_atomic(file, "old\n", 4, 0600), 0);
    _cleanup_free_ char *under_file = xasprintf("%s/file/f", dir);
    assert_int_equal(write_file_atomic(under_file, "x", 1, 0600), -ENOTDIR);

    /* The target is a directory: the rename fails and the temporary file goes. */
    _cleanup_free_ char *sub = xasprintf("%s/sub", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(write_file_atomic(sub, "x", 1, 0600), -EISDIR);
    _cleanup_free_ char *slash = xasprintf("%s/", sub);
    assert_int_equal(write_file_atomic(slash, "x", 1, 0600), -EISDIR);

    _cleanup_free_ char *names = dir_names(dir);
    assert_string_equal(names, "file sub");
    _cleanup_free_ char *sub_names = dir_names(sub);
    assert_string_equal(sub_names, "");
    assert_file_text(file, "old\n");

    rmdir(sub);
    unlink(file);
    rmdir(dir);
}

/*
 * A failed fsync is returned. Of the file: before the rename, so path keeps
 * its old content. Of the directory: after the rename, which is then not
 * known to be durable (what an acknowledgement waits for).
 */
static void test_write_file_atomic_fsync_fails(void **state)
{
    char dir[] = "/tmp/vigil-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *path = xasprintf("%s/f", dir);
    assert_int_equal(write_file_atomic(path, "old\n", 4, 0600), 0);

    fsync_fails_for = S_IFREG;
    assert_int_equal(write_file_atomic(path, "new\n", 4, 0600), -EIO);
    fsync_fails_for = 0;
    assert_file_text(path, "old\n");
    _cleanup_free_ char *names = dir_names(dir);
    assert_string_equal(names, "f");

    fsync_fails_for = S_IFDIR;
    assert_int_equal(write_file_atomic(path, "new\n", 4, 0600), -EIO);
    fsync_fails_for = 0;
    assert_file_text(path, "new\n");
    free(names);
    names = dir_names(dir);
    assert_string_equal(names, "f");

    unlink(path);
    rmdir(dir);
}

/*
 * A directory that cannot be opened (here: write and search permission but
 * no read, for a user who is not root) is refused before anything is
 * written, since its fsync could not be done.
 */
static void test_write_file_atomic_unreadable_dir(void **state)
{
    if (geteuid() != 0)
        skip(); /* no other user to become */
    char dir[] = "/tmp/vigil-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0711), 0);
    _cleanup_free_ char *sub = xasprintf("%s/wx", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(chmod(sub, 0333), 0);
    _cleanup_free_ char *path = xasprintf("%s/f", sub);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(100);
        int r = write_file_atomic(path, "x", 1, 0600);
        _exit(r == -EACCES ? 0 : r == 0 ? 1 : 2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    _cleanup_free_ char *names = dir_names(sub);
    assert_string_equal(names, "");
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dur_parse_valid),
        cmocka_unit_test(test_dur_parse_invalid),
        cmocka_unit_test(test_dur_parse_overflow),
        cmocka_unit_test(test_dur_format_roundtrip),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_write_file_atomic),
        cmocka_unit_test(test_write_file_atomic_failures),
        cmocka_unit_test(test_write_file_atomic_fsync_fails),
        cmocka_unit_test(test_write_file_atomic_unreadable_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
