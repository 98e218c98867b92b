/* test_util.c - bounded copies that never split a UTF-8 character, and the
 * log line that stays inside its buffer (issue 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#include <unistd.h>

/* jansson refuses text that is not valid UTF-8: the property that matters
 * for every record built from a cut string. */
static int valid_utf8(const char *s, size_t len)
{
        json_t *j = json_stringn(s, len);
        int ok = j != NULL;

        json_decref(j);
        return ok;
}

static void test_prefix_never_splits_a_character(void **state)
{
        /* "aé€😀" = 1 + 2 + 3 + 4 bytes */
        const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
        static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};

        for (size_t max = 0; max < sizeof(want) / sizeof(want[0]); max++) {
                size_t n = dlp_utf8_prefix(s, max);
                assert_int_equal(n, want[max]);
                assert_true(valid_utf8(s, n));
        }
}

/* The inspector's "schema is %.40s" cut a long multibyte schema in two
 * and its dead letter could not be built: a crash loop. */
static void test_prefix_of_long_multibyte_text(void **state)
{
        char s[3 * 100 + 1] = "";

        for (int i = 0; i < 100; i++)
                strcat(s, "\xe2\x82\xac"); /* € */
        for (size_t max = 0; max < 50; max++) {
                size_t n = dlp_utf8_prefix(s, max);
                assert_true(n <= max && max - n < 3);
                assert_int_equal(n % 3, 0);
        }
}

static void test_fmt_returns_bytes_written_and_cuts_cleanly(void **state)
{
        char buf[8];
        size_t n;

        n = dlp_fmt(buf, sizeof(buf), "%s", "ab");
        assert_int_equal(n, 2);
        assert_string_equal(buf, "ab");
        /* 7 bytes fit; the 3-byte € at bytes 6..8 does not: cut before it */
        n = dlp_fmt(buf, sizeof(buf), "abcdef%s", "\xe2\x82\xac");
        assert_int_equal(n, 6);
        assert_string_equal(buf, "abcdef");
        /* snprintf would say 1006: n must stay inside buf */
        char big[1001];
        memset(big, 'x', 1000);
        big[1000] = '\0';
        n = dlp_fmt(buf, sizeof(buf), "%s", big);
        assert_int_equal(n, 7);
        assert_int_equal(strlen(buf), 7);
        /* a 4-byte character cut by the capacity */
        n = dlp_fmt(buf, 4, "%s", "\xf0\x9f\x98\x80");
        assert_int_equal(n, 0);
        assert_string_equal(buf, "");
}

static void test_sanitize_makes_any_bytes_valid(void **state)
{
        char out[64];
        size_t n;

        n = dlp_utf8_sanitize(out, sizeof(out), "ok\xff\xc3(\0z", 7);
        assert_string_equal(out, "ok?" "?( z");
        assert_int_equal(n, 7);
        /* overlong, surrogate, beyond U+10FFFF */
        n = dlp_utf8_sanitize(out, sizeof(out), "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 9);
        assert_true(valid_utf8(out, n));
        /* a valid character is kept whole or dropped whole */
        n = dlp_utf8_sanitize(out, 4, "ab\xe2\x82\xac", 5);
        assert_string_equal(out, "ab");
        n = dlp_utf8_sanitize(out, 6, "ab\xe2\x82\xac", 5);
        assert_string_equal(out, "ab\xe2\x82\xac");
}

static void test_json_escape_cuts_at_character_boundary(void **state)
{
        char out[9]; /* quote + 6 + quote + NUL */
        size_t n = dlp_json_escape(out, sizeof(out), "ab\xc3\xa9\xe2\x82\xac!");

        /* "abé" is 4 bytes, € would end at 7 > 6 */
        assert_string_equal(out, "\"ab\xc3\xa9\"");
        assert_int_equal(n, strlen(out));
        n = dlp_json_escape(out, sizeof(out), "\x01\x02");
        assert_string_equal(out, "\"\\u0001\"");
}

/* Runs one dlp_log_write with stderr sent to a file; returns the line. */
static char *log_line(const char *event_id, const char *msg)
{
        char path[] = "/tmp/dlp-test-log-XXXXXX";
        int fd = mkstemp(path), saved = dup(2);
        char *line;

        assert_true(fd >= 0);
        dup2(fd, 2);
        dlp_log_write(DLP_LOG_WARN, "tests/unit/test_util.c", 7, event_id, "%s",
                      msg);
        dup2(saved, 2);
        close(saved);
        close(fd);
        line = dlp_read_file(path, NULL, (char[64]){0}, 64);
        unlink(path);
        assert_non_null(line);
        return line;
}

/* An event id of 8 KB and more (or a message of control characters) used
 * to make write() read past the line buffer. */
static void test_log_line_stays_inside_its_buffer(void **state)
{
        static const size_t lens[] = {100, 7000, 8192, 20000};
        char ctl[1100];

        memset(ctl, 0x01, sizeof(ctl) - 1);
        ctl[sizeof(ctl) - 1] = '\0';
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
                char *id = malloc(lens[k] + 1);
                memset(id, 'E', lens[k]);
                id[lens[k]] = '\0';
                char *line = log_line(id, ctl);
                json_t *j = json_loads(line, 0, NULL);
                assert_non_null(j); /* one whole JSON object */
                assert_string_equal(
                    json_string_value(json_object_get(j, "src")),
                    "test_util.c:7");
                assert_true(
                    json_string_length(json_object_get(j, "event_id")) <=
                    lens[k]);
                assert_true(strlen(json_string_value(json_object_get(
                                j, "msg"))) == sizeof(ctl) - 2 ||
                            strlen(json_string_value(
                                json_object_get(j, "msg"))) == 1023);
                json_decref(j);
                free(line);
                free(id);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prefix_never_splits_a_character),
            cmocka_unit_test(test_prefix_of_long_multibyte_text),
            cmocka_unit_test(test_fmt_returns_bytes_written_and_cuts_cleanly),
            cmocka_unit_test(test_sanitize_makes_any_bytes_valid),
            cmocka_unit_test(test_json_escape_cuts_at_character_boundary),
            cmocka_unit_test(test_log_line_stays_inside_its_buffer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
