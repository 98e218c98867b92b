/* test_util.c - util.h's helpers: bounded copies that never split a UTF-8
 * character, the log line that stays inside its buffer (issue 9), the retry
 * schedule and Retry-After bounds, RFC 3339 times, JSON escaping, base64,
 * whole-file reads, host:port, and sleeps cut short by the stop flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "oom.h"
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
        assert_string_equal(out, "ok?"
                                 "?( z");
        assert_int_equal(n, 7);
        /* overlong, surrogate, beyond U+10FFFF */
        n = dlp_utf8_sanitize(out, sizeof(out),
                              "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 9);
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
                assert_true(json_string_length(
                                json_object_get(j, "event_id")) <= lens[k]);
                assert_true(
                    strlen(json_string_value(json_object_get(j, "msg"))) ==
                        sizeof(ctl) - 2 ||
                    strlen(json_string_value(json_object_get(j, "msg"))) ==
                        1023);
                json_decref(j);
                free(line);
                free(id);
        }
}

static void test_backoff_schedule(void **state)
{
        /* equal jitter: [d/2, d] with d = 0.5 * 2^(n-1), capped */
        assert_true(fabs(dlp_backoff(1, 0.5, 30, -1, 1.0) - 0.5) < 1e-9);
        assert_true(fabs(dlp_backoff(1, 0.5, 30, -1, 0.0) - 0.25) < 1e-9);
        assert_true(fabs(dlp_backoff(3, 0.5, 30, -1, 1.0) - 2.0) < 1e-9);
        assert_true(fabs(dlp_backoff(20, 0.5, 30, -1, 1.0) - 30) < 1e-9);
        assert_true(fabs(dlp_backoff(20, 0.5, 30, -1, 0.0) - 15) < 1e-9);
        /* Retry-After wins when longer, never shortens */
        assert_true(fabs(dlp_backoff(1, 0.5, 30, 7, 0.5) - 7) < 1e-9);
        assert_true(fabs(dlp_backoff(6, 0.5, 30, 1, 1.0) - 16) < 1e-9);
}

static void test_backoff_huge_attempt_stays_capped(void **state)
{
        /* the doubling stops at the cap: no overflow to inf after many
         * retries of a long outage */
        double d = dlp_backoff(100000, 0.5, 30, -1, 1.0);

        assert_true(isfinite(d));
        assert_true(fabs(d - 30) < 1e-9);
}

static void test_rfc3339_parse(void **state)
{
        char now[40];
        double t = dlp_wall_s();

        assert_true(fabs(dlp_rfc3339_parse("2026-11-23T14:50:00.250Z") -
                         1795445400.25) < 1e-6);
        assert_true(fabs(dlp_rfc3339_parse("1970-01-01T00:00:00Z")) < 1e-9);
        dlp_rfc3339_now(now, sizeof(now));
        assert_true(fabs(dlp_rfc3339_parse(now) - t) < 1.0);
        assert_true(dlp_rfc3339_parse("2026-11-23 14:50:00Z") < 0);
        assert_true(dlp_rfc3339_parse("2026-11-23T14:50:00+01:00") < 0);
        assert_true(dlp_rfc3339_parse("yesterday") < 0);
        assert_true(dlp_rfc3339_parse("") < 0);
        assert_true(dlp_rfc3339_parse(NULL) < 0);
        /* the fraction is digits only (fuzz_cuts: strtod took an exponent
         * and gave inf) */
        assert_true(dlp_rfc3339_parse("2026-11-23T14:50:00.1e308Z") < 0);
        assert_true(dlp_rfc3339_parse("2026-11-23T14:50:00.12555555555555555555"
                                      "5555551e308555Z") < 0);
        assert_true(dlp_rfc3339_parse("2026-11-23T14:50:00.infZ") < 0);
        assert_true(dlp_rfc3339_parse("2026-11-23T14:50:00.Z") < 0);
        assert_true(fabs(dlp_rfc3339_parse("2026-11-23T14:50:00."
                                           "1255555555555555555555Z") -
                         (dlp_rfc3339_parse("2026-11-23T14:50:00Z") +
                          0.1255555555555555)) < 1e-6);
}

/* Retry-After: 1e8 or inf from a service or a proxy used to pause an
 * inspector or a Slack channel for years (and inf reached an undefined
 * float-to-integer conversion). */
static void test_retry_after_is_bounded(void **state)
{
        assert_true(fabs(dlp_retry_after_parse(" 120", 4) - 120) < 1e-9);
        assert_true(fabs(dlp_retry_after_parse("2.5\r\n", 5) - 2.5) < 1e-9);
        assert_true(dlp_retry_after_parse(" 1e8", 4) == DLP_RETRY_AFTER_MAX_S);
        assert_true(dlp_retry_after_parse(" inf", 4) == DLP_RETRY_AFTER_MAX_S);
        assert_true(dlp_retry_after_parse(" nan", 4) < 0);
        assert_true(dlp_retry_after_parse(" -5", 3) < 0);
        assert_true(dlp_retry_after_parse("", 0) < 0);
        assert_true(
            dlp_retry_after_parse(" Wed, 21 Oct 2026 07:28:00 GMT", 30) < 0);
        /* a caller that hands dlp_backoff a raw value is bounded too */
        assert_true(dlp_backoff(1, 0.5, 30, INFINITY, 0.5) ==
                    DLP_RETRY_AFTER_MAX_S);
        assert_true(dlp_backoff(1, 0.5, 30, 1e8, 0.5) == DLP_RETRY_AFTER_MAX_S);
        assert_true(isfinite(dlp_backoff(1, 0.5, 30, NAN, 0.5)));
        assert_true(dlp_backoff(1, 0.5, 30, NAN, 1.0) == 0.5);
}

static void test_rfc3339_now_shape(void **state)
{
        char now[40];

        dlp_rfc3339_now(now, sizeof(now));
        /* 2026-11-23T14:50:00.123Z: UTC, milliseconds, Z */
        assert_int_equal(strlen(now), 24);
        assert_int_equal(now[10], 'T');
        assert_int_equal(now[19], '.');
        assert_int_equal(now[23], 'Z');
}

static void test_json_escape(void **state)
{
        char out[64];
        size_t n;

        n = dlp_json_escape(out, sizeof(out), "a\"b\\c\nd\te\r\x01");
        assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\"");
        assert_int_equal(n, strlen(out));
        /* UTF-8 passes through as it is */
        dlp_json_escape(out, sizeof(out), "caf\xc3\xa9");
        assert_string_equal(out, "\"caf\xc3\xa9\"");
        dlp_json_escape(out, sizeof(out), "");
        assert_string_equal(out, "\"\"");
}

static void test_utf8_len(void **state)
{
        assert_int_equal(dlp_utf8_len('a'), 1);
        assert_int_equal(dlp_utf8_len(0xC3), 2);
        assert_int_equal(dlp_utf8_len(0xE2), 3);
        assert_int_equal(dlp_utf8_len(0xF0), 4);
        /* a stray continuation byte still advances a walk */
        assert_int_equal(dlp_utf8_len(0x80), 1);
}

static void test_base64_vectors(void **state)
{
        /* RFC 4648 section 10 */
        const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
        const char *want[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                              "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                char *b = dlp_base64(in[i], strlen(in[i]));
                unsigned char *d;
                size_t n = 99;

                assert_non_null(b);
                assert_string_equal(b, want[i]);
                free(b);
                d = dlp_base64_decode(want[i], &n);
                assert_non_null(d);
                assert_int_equal(n, strlen(in[i]));
                assert_memory_equal(d, in[i], n);
                free(d);
        }
}

/* Both alphabets, padding optional; anything else refused. */
static void test_base64_decode(void **state)
{
        static const unsigned char bin[] = {0xfb, 0xff, 0xbf};
        unsigned char *d;
        size_t n;

        (void)state;
        d = dlp_base64_decode("-_-_", &n); /* URL-safe */
        assert_non_null(d);
        assert_int_equal(n, 3);
        assert_memory_equal(d, bin, 3);
        free(d);
        d = dlp_base64_decode("+/+/", &n);
        assert_non_null(d);
        assert_memory_equal(d, bin, 3);
        free(d);
        d = dlp_base64_decode("Zm8", &n); /* no padding */
        assert_non_null(d);
        assert_int_equal(n, 2);
        free(d);
        assert_null(dlp_base64_decode("Zm 9v", &n));
        assert_null(dlp_base64_decode("Z", &n));
        assert_null(dlp_base64_decode("@@@@", &n));
}

static void test_base64_out_of_memory(void **state)
{
        oom_fail_nth(1);
        assert_null(dlp_base64("foo", 3));
        assert_int_equal(oom_failures(), 1);
        oom_off();
}

static char *temp_file(const char *content)
{
        char path[] = "/tmp/dlp-test-util-XXXXXX";
        int fd = mkstemp(path);
        FILE *fp;

        assert_true(fd >= 0);
        fp = fdopen(fd, "w");
        assert_non_null(fp);
        fputs(content, fp);
        fclose(fp);
        return strdup(path);
}

static void test_read_file(void **state)
{
        char err[256];
        size_t len;
        char *path = temp_file("xoxb-secret\n");
        char *v = dlp_read_file(path, &len, err, sizeof(err));

        /* one trailing newline goes (secrets written by `echo`) */
        assert_string_equal(v, "xoxb-secret");
        assert_int_equal(len, 11);
        free(v);
        unlink(path);
        free(path);

        path = temp_file("a\r\n\n");
        v = dlp_read_file(path, NULL, err, sizeof(err));
        assert_string_equal(v, "a\r\n"); /* only one */
        free(v);
        unlink(path);
        free(path);

        assert_null(dlp_read_file("/nonexistent/dlp", NULL, err, sizeof(err)));
        assert_non_null(strstr(err, "/nonexistent/dlp"));
}

static void test_read_file_large(void **state)
{
        /* bigger than the first buffer: the buffer grows */
        char *big = malloc(20001);
        char err[256];
        size_t len;
        char *path, *v;

        memset(big, 'x', 20000);
        big[20000] = '\0';
        path = temp_file(big);
        v = dlp_read_file(path, &len, err, sizeof(err));
        assert_int_equal(len, 20000);
        assert_memory_equal(v, big, 20000);
        free(v);
        unlink(path);
        free(path);
        free(big);
}

static void test_read_file_out_of_memory(void **state)
{
        char err[256];
        char *path = temp_file("value");

        oom_fail_nth(1);
        assert_null(dlp_read_file(path, NULL, err, sizeof(err)));
        assert_string_equal(err, "out of memory");
        oom_off();
        unlink(path);
        free(path);
}

static void test_parse_hostport(void **state)
{
        char host[64];
        int port;

        assert_int_equal(
            dlp_parse_hostport("127.0.0.1:3000", host, sizeof(host), &port),
            DLP_OK);
        assert_string_equal(host, "127.0.0.1");
        assert_int_equal(port, 3000);
        /* port 0: the tools pick a free one */
        assert_int_equal(
            dlp_parse_hostport("0.0.0.0:0", host, sizeof(host), &port), DLP_OK);
        assert_int_equal(port, 0);
        assert_int_equal(
            dlp_parse_hostport("localhost", host, sizeof(host), &port),
            DLP_ERR_INVALID);
        assert_int_equal(dlp_parse_hostport(":80", host, sizeof(host), &port),
                         DLP_ERR_INVALID);
        assert_int_equal(
            dlp_parse_hostport("host:65536", host, sizeof(host), &port),
            DLP_ERR_INVALID);
        assert_int_equal(dlp_parse_hostport("host:", host, sizeof(host), &port),
                         DLP_ERR_INVALID);
        assert_int_equal(
            dlp_parse_hostport("host:80x", host, sizeof(host), &port),
            DLP_ERR_INVALID);
        /* a host longer than the buffer is refused, not cut */
        assert_int_equal(
            dlp_parse_hostport("averyveryverylonghost:1", host, 8, &port),
            DLP_ERR_INVALID);
}

static void test_sleep_returns_early_when_stopping(void **state)
{
        assert_int_equal(dlp_sleep_ms(1), DLP_OK);
        dlp_stopping = DLP_STOP_SIGNAL;
        /* an hour, cut short by the flag */
        assert_int_equal(dlp_sleep_ms(3600 * 1000), DLP_ERR_STOPPED);
        dlp_stopping = 0;
}

/* The growable array: room for what is asked, doubling, contents kept;
 * out of memory or a size that overflows leave it as it was. */
static void test_grow(void **state)
{
        long *v = NULL;
        size_t cap = 0;

        assert_int_equal(dlp_grow(&v, &cap, 3, sizeof(*v)), DLP_OK);
        assert_int_equal(cap, 3);
        for (long i = 0; i < 3; i++)
                v[i] = i;
        assert_int_equal(dlp_grow(&v, &cap, 2, sizeof(*v)), DLP_OK);
        assert_int_equal(cap, 3); /* enough already */
        assert_int_equal(dlp_grow(&v, &cap, 4, sizeof(*v)), DLP_OK);
        assert_int_equal(cap, 6); /* doubled */
        assert_int_equal(dlp_grow(&v, &cap, 20, sizeof(*v)), DLP_OK);
        assert_int_equal(cap, 20); /* what is asked, when more than double */
        for (long i = 0; i < 3; i++)
                assert_int_equal(v[i], i);

        long *before = v;
        oom_fail_nth(1);
        assert_int_equal(dlp_grow(&v, &cap, 21, sizeof(*v)), DLP_ERR_NOMEM);
        oom_off();
        assert_int_equal(oom_failures(), 1);
        assert_ptr_equal(v, before);
        assert_int_equal(cap, 20);
        assert_int_equal(dlp_grow(&v, &cap, SIZE_MAX / 2, sizeof(*v)),
                         DLP_ERR_NOMEM);
        assert_ptr_equal(v, before);
        assert_int_equal(cap, 20);
        for (long i = 0; i < 3; i++)
                assert_int_equal(v[i], i);
        free(v);
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
            cmocka_unit_test(test_backoff_schedule),
            cmocka_unit_test(test_backoff_huge_attempt_stays_capped),
            cmocka_unit_test(test_rfc3339_parse),
            cmocka_unit_test(test_retry_after_is_bounded),
            cmocka_unit_test(test_rfc3339_now_shape),
            cmocka_unit_test(test_json_escape),
            cmocka_unit_test(test_utf8_len),
            cmocka_unit_test(test_base64_vectors),
            cmocka_unit_test(test_base64_decode),
            cmocka_unit_test(test_base64_out_of_memory),
            cmocka_unit_test(test_read_file),
            cmocka_unit_test(test_read_file_large),
            cmocka_unit_test(test_read_file_out_of_memory),
            cmocka_unit_test(test_parse_hostport),
            cmocka_unit_test(test_grow),
            cmocka_unit_test(test_sleep_returns_early_when_stopping),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
