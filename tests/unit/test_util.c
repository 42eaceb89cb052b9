/* Unit tests for src/base: durations, edit distance, atomic files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void test_write_file_atomic(void **state)
{
    char dir[] = "/tmp/vigil-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *path = xasprintf("%s/f", dir);
    assert_int_equal(write_file_atomic(path, "one\n", 4, 0600), 0);
    assert_int_equal(write_file_atomic(path, "second\n", 7, 0400), 0);
    char *buf;
    size_t len;
    assert_int_equal(read_file(path, 100, &buf, &len), 0);
    assert_int_equal(len, 7);
    assert_string_equal(buf, "second\n");
    free(buf);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0400);
    assert_int_equal(read_file(path, 3, &buf, &len), -EFBIG);
    _cleanup_free_ char *missing = xasprintf("%s/nope/f", dir);
    assert_int_equal(write_file_atomic(missing, "x", 1, 0600), -ENOENT);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dur_parse_valid),    cmocka_unit_test(test_dur_parse_invalid),
        cmocka_unit_test(test_dur_parse_overflow), cmocka_unit_test(test_dur_format_roundtrip),
        cmocka_unit_test(test_edit_distance),      cmocka_unit_test(test_write_file_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
