/* test_alert.c - alerts from hostile inspection records (issue 9): mrkdwn
 * control characters are escaped, so no field can ping a channel, and a
 * multibyte field cut anywhere still makes an alert. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alert.h"

static json_t *finding(const char *type, const char *quote)
{
        return json_pack("{s:s, s:s, s:I, s:I, s:s}", "info_type", type,
                         "likelihood", "LIKELY", "byte_start", (json_int_t)0,
                         "byte_end", (json_int_t)4, "quote_masked", quote);
}

static json_t *inspection(const char *event_id, const char *user,
                          const char *channel, const char *ts)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema",
                         "dlp.inspection/1", "event_id", event_id, "team_id",
                         "T1", "channel", channel, "ts", ts, "user", user);
}

static char *dump(json_t *msg)
{
        char *s;

        assert_non_null(msg);
        s = json_dumps(msg, 0);
        json_decref(msg);
        return s;
}

/* "<!everyone>", "<!here|…>", "<!channel>", "<@U…>" typed into a field
 * the alert shows must be shown, not obeyed. */
static void test_fields_cannot_ping(void **state)
{
        json_t *ins =
            inspection("Ev1<!here|now>", "U1><!everyone", "C1<!channel>",
                       "1700000000.000100<!everyone>");
        json_t *findings = json_array();
        char *s;

        json_array_append_new(findings, finding("A&B<!everyone>", "<!here>"));
        s = dump(
            alert_message(ins, findings, NULL, "CALERT",
                          "https://x.slack.com/archives/C1/p1?a=1&b=<!here>"));
        assert_null(strstr(s, "<!everyone"));
        assert_null(strstr(s, "<!here"));
        assert_null(strstr(s, "<!channel"));
        assert_non_null(strstr(s, "&lt;!everyone&gt;"));
        assert_non_null(strstr(s, "A&amp;B"));
        /* the date control sequence takes the digits of ts only */
        assert_non_null(strstr(s, "<!date^1700000000^"));
        free(s);

        json_t *all[2] = {ins, ins}, *fs[2] = {findings, findings};
        size_t used;
        s = dump(alert_digest(all, fs, NULL, 2, "CALERT", "https://x.slack.com",
                              &used));
        assert_int_equal(used, 2);
        assert_null(strstr(s, "<!everyone"));
        assert_null(strstr(s, "<!here"));
        assert_null(strstr(s, "<!channel"));
        free(s);
        json_decref(findings);
        json_decref(ins);
}

/* "%.10s" of a ts and the cuts of long fields split a character: the
 * alert was NULL and the reporter retried "cannot build alert" for ever. */
static void test_multibyte_fields_cut_anywhere_still_alert(void **state)
{
        char ts[400] = "1", quote[900] = "", id[700] = "Ev";
        json_t *findings = json_array(), *ins;

        for (int i = 0; i < 120; i++)
                strcat(ts, "\xc3\xa9"); /* é: "1é..." cut at 10 bytes */
        for (int i = 0; i < 290; i++)
                strcat(quote, "\xe2\x80\xa2"); /* • */
        for (int i = 0; i < 230; i++)
                strcat(id, "\xe2\x82\xac"); /* € */
        for (int i = 0; i < 12; i++)
                json_array_append_new(findings,
                                      finding("CREDIT_CARD_NUMBER", quote));
        ins = inspection(id, "U1", "C1", ts);
        free(dump(alert_message(ins, findings, NULL, "CALERT", NULL)));
        free(dump(alert_message(ins, findings, NULL, "CALERT", id)));
        json_decref(ins);
        json_decref(findings);
}

/* A digest line cut mid-character made its section fail to build: it was
 * dropped, and its items were still recorded as alerted. */
static void test_digest_keeps_every_section(void **state)
{
        enum { N = 40 };
        json_t *ins[N], *fs[N];
        char quote[900] = "";
        size_t used;

        for (int i = 0; i < 250; i++)
                strcat(quote, "\xe2\x80\xa2");
        for (int i = 0; i < N; i++) {
                ins[i] = inspection("Ev1", "U1", "C1", "1700000000.000100");
                fs[i] = json_array();
                json_array_append_new(fs[i], finding("X", quote));
        }
        json_t *msg =
            alert_digest(ins, fs, NULL, N, "CALERT", "https://x", &used);
        assert_non_null(msg);
        json_t *blocks = json_object_get(msg, "blocks");
        size_t lines = 0, i;
        json_t *b;
        json_array_foreach(blocks, i, b)
        {
                const char *t = json_string_value(
                    json_object_get(json_object_get(b, "text"), "text"));
                for (const char *p = t; p && (p = strstr(p, "• <#")); p++)
                        lines++;
        }
        assert_int_equal(lines, used); /* every item counted is shown */
        json_decref(msg);
        for (int k = 0; k < N; k++) {
                json_decref(ins[k]);
                json_decref(fs[k]);
        }
}

/* An alert for an edit says it is one, alone and in a digest; a plain
 * message's does not. */
static void test_edit_says_so(void **state)
{
        json_t *ins = inspection("EvE1", "U1", "C1", "1700000000.000100");
        json_t *plain = inspection("EvP1", "U1", "C1", "1700000000.000200");
        json_t *f = json_pack("[o]", finding("CREDIT_CARD_NUMBER", "4111 ••"));
        json_t *const both[] = {ins, plain};
        json_t *const fs[] = {f, f};
        size_t used;
        char *s;

        json_object_set_new(ins, "kind", json_string("message_changed"));
        json_object_set_new(plain, "kind", json_string("message"));
        s = dump(alert_message(ins, f, NULL, "CALERT", NULL));
        assert_non_null(strstr(s, "by <@U1> (an edit)"));
        assert_non_null(
            strstr(s, "Sensitive data edited into a Slack message"));
        free(s);
        s = dump(alert_message(plain, f, NULL, "CALERT", NULL));
        assert_null(strstr(s, "an edit"));
        free(s);
        s = dump(alert_digest(both, fs, NULL, 2, "CALERT",
                              "https://x.slack.com", &used));
        assert_int_equal(used, 2);
        assert_non_null(strstr(s, "<@U1> (an edit): "));
        assert_non_null(strstr(s, "<#C1> <@U1>: "));
        free(s);
        json_decref(ins);
        json_decref(plain);
        json_decref(f);
}

/* A finding in a part of the message says where: "in attachment 2", "in
 * the file title of report.csv"; one in the text says nothing more. The
 * part is escaped like every other field. */
static void test_part_is_named(void **state)
{
        json_t *ins = inspection("EvA1", "U1", "C1", "1700000000.000100");
        json_t *f =
            json_pack("[o, o, o]", finding("CREDIT_CARD_NUMBER", "4111 ••"),
                      finding("EMAIL_ADDRESS", "j••@example.com"),
                      finding("US_SOCIAL_SECURITY_NUMBER", "•••-••-6789"));
        json_t *const one[] = {ins};
        json_t *const fs[] = {f};
        size_t used;
        char *s;

        json_object_set_new(json_array_get(f, 0), "part",
                            json_string("attachment 2"));
        json_object_set_new(json_array_get(f, 1), "part",
                            json_string("the file title of <!here>.csv"));
        s = dump(alert_message(ins, f, NULL, "CALERT", NULL));
        assert_non_null(
            strstr(s, "*CREDIT_CARD_NUMBER* (LIKELY) in attachment 2: "));
        assert_non_null(strstr(s,
                               "*EMAIL_ADDRESS* (LIKELY) in the file title of "
                               "&lt;!here&gt;.csv: "));
        assert_non_null(strstr(s, "*US_SOCIAL_SECURITY_NUMBER* (LIKELY): "));
        assert_null(strstr(s, "<!here>"));
        free(s);
        s = dump(alert_digest(one, fs, NULL, 1, "CALERT", "https://x.slack.com",
                              &used));
        assert_non_null(strstr(s, "` in attachment 2 <https://x.slack.com/"));
        free(s);
        json_decref(ins);
        json_decref(f);
}

/* The record of the e2e test's shape: a CSV with a card on line 5000, a
 * PDF with an SSN (the service gave a page here), a file too large and a
 * file deleted before it was fetched. */
static json_t *with_files(void)
{
        json_t *ins = inspection("EvF1", "U1", "C1", "1700000000.000100");
        json_t *f = finding("CREDIT_CARD_NUMBER", "4111••••••••1111");
        json_t *g = finding("US_SOCIAL_SECURITY_NUMBER", "•••-••-4680");

        json_object_set_new(f, "part", json_string("file customers.csv"));
        json_object_set_new(f, "file_id", json_string("F1"));
        json_object_set_new(f, "line", json_integer(5000));
        json_object_set_new(g, "part", json_string("file contract.pdf"));
        json_object_set_new(g, "file_id", json_string("F2"));
        json_object_set_new(g, "page", json_integer(2));
        json_object_set_new(ins, "findings", json_pack("[o, o]", f, g));
        json_object_set_new(
            ins, "files",
            json_pack(
                "[{s:s, s:s, s:s, s:i, s:s, s:b},"
                " {s:s, s:s, s:s, s:i, s:s, s:b},"
                " {s:s, s:s, s:s, s:i, s:s, s:b, s:s},"
                " {s:s, s:b, s:s}]",
                "id", "F1", "name", "customers.csv", "mimetype", "text/csv",
                "size", 2097152, "link",
                "https://acme.slack.com/files/U1/F1/customers.csv", "inspected",
                1, "id", "F2", "name", "contract.pdf", "mimetype",
                "application/pdf", "size", 48211, "link",
                "https://acme.slack.com/files/U1/F2/contract.pdf", "inspected",
                1, "id", "F3", "name", "dump.sql", "mimetype", "text/plain",
                "size", 12582912, "link",
                "https://files.slack.com/files-pri/T1-F3/dump.sql", "inspected",
                0, "reason",
                "too large: 12582912 bytes, DLP_FILE_MAX_BYTES is 10485760",
                "id", "F4", "inspected", 0, "reason",
                "deleted before it was fetched"));
        return ins;
}

/* A finding in a file names the file (linked name, type, size) and where
 * in it: the line of a text file, the page when the record has one. */
static void test_file_finding_names_the_file(void **state)
{
        json_t *ins = with_files();
        json_t *f = json_object_get(ins, "findings");
        json_t *const one[] = {ins};
        json_t *const fs[] = {f};
        json_t *rec;
        size_t used;
        char *s;

        (void)state;
        s = dump(alert_message(ins, f, NULL, "CALERT", NULL));
        assert_non_null(strstr(
            s, "*CREDIT_CARD_NUMBER* (LIKELY) in file "
               "<https://acme.slack.com/files/U1/F1/customers.csv|customers."
               "csv> (text/csv, 2.0 MiB), line 5000: `4111••••••••1111`"));
        assert_non_null(strstr(
            s, "*US_SOCIAL_SECURITY_NUMBER* (LIKELY) in file "
               "<https://acme.slack.com/files/U1/F2/contract.pdf|contract.pdf> "
               "(application/pdf, 47.1 KiB), page 2: "));
        assert_null(strstr(s, "not inspected")); /* none passed */
        free(s);
        s = dump(alert_digest(one, fs, NULL, 1, "CALERT", "https://x.slack.com",
                              &used));
        assert_non_null(strstr(s, "customers.csv> (text/csv, 2.0 MiB), line "
                                  "5000 <https://x.slack.com/"));
        free(s);
        rec =
            alert_record(ins, f, NULL, "CALERT", "1.2", "2026-01-01T00:00:00Z");
        s = dump(rec);
        assert_non_null(strstr(s, "\"file_ids\": [\"F1\", \"F2\"]"));
        assert_null(strstr(s, "uninspected_file_ids"));
        free(s);
        json_decref(ins);
}

/* Files not inspected are said, with why: with the findings, or alone
 * (no findings at all), in alerts, digests and the alert record. */
static void test_uninspected_files_said(void **state)
{
        json_t *ins = with_files();
        json_t *none = json_array();
        json_t *un = json_pack(
            "[O, O]", json_array_get(json_object_get(ins, "files"), 2),
            json_array_get(json_object_get(ins, "files"), 3));
        json_t *const one[] = {ins};
        json_t *const fs[] = {none}, *const us[] = {un};
        size_t used;
        char *s;

        (void)state;
        assert_null(alert_message(ins, none, NULL, "CALERT", NULL));
        assert_null(alert_message(ins, none, none, "CALERT", NULL));
        s = dump(alert_message(ins, none, un, "CALERT", NULL));
        assert_non_null(strstr(s, "Shared files were not inspected"));
        assert_non_null(strstr(s, "DLP alert: 2 files not inspected in <#C1>"));
        assert_non_null(strstr(
            s, "• file <https://files.slack.com/files-pri/T1-F3/dump.sql|"
               "dump.sql> (text/plain, 12.0 MiB) was not inspected: too large: "
               "12582912 bytes, DLP_FILE_MAX_BYTES is 10485760\\n"));
        assert_non_null(
            strstr(s, "• file F4 was not inspected: deleted before it was "
                      "fetched"));
        free(s);
        s = dump(alert_message(ins, json_object_get(ins, "findings"), un,
                               "CALERT", NULL));
        assert_non_null(strstr(s, "×1, 2 files not inspected"));
        assert_non_null(strstr(s, "line 5000"));
        assert_non_null(strstr(s, "dump.sql> (text/plain, 12.0 MiB) was not"));
        free(s);
        s = dump(alert_digest(one, fs, us, 1, "CALERT", "https://x.slack.com",
                              &used));
        assert_int_equal(used, 1);
        assert_non_null(strstr(s, "<@U1>: file <https://files.slack.com/"));
        assert_non_null(strstr(s, "(and more files)"));
        free(s);
        s = dump(alert_record(ins, none, un, "CALERT", "1.2",
                              "2026-01-01T00:00:00Z"));
        assert_non_null(strstr(s, "\"findings_count\": 0"));
        assert_non_null(strstr(s, "\"info_types\": []"));
        assert_non_null(
            strstr(s, "\"uninspected_file_ids\": [\"F3\", \"F4\"]"));
        free(s);
        json_decref(un);
        json_decref(none);
        json_decref(ins);
}

/* A file's name, type and link come from the sharer: escaped, and a link
 * that is no http(s) URL (a mention in disguise) or holds '|' is not made
 * a link at all. */
static void test_hostile_file_fields(void **state)
{
        json_t *ins = with_files();
        json_t *files = json_object_get(ins, "files");
        json_t *f = json_object_get(ins, "findings");
        char *s;

        (void)state;
        json_object_set_new(json_array_get(files, 0), "name",
                            json_string("<!channel>.csv"));
        json_object_set_new(json_array_get(files, 0), "link",
                            json_string("!here"));
        json_object_set_new(json_array_get(files, 1), "link",
                            json_string("https://x/a|<!everyone>"));
        json_object_set_new(json_array_get(files, 1), "mimetype",
                            json_string("a<b"));
        s = dump(alert_message(ins, f, NULL, "CALERT", NULL));
        assert_null(strstr(s, "<!channel"));
        assert_null(strstr(s, "<!here"));
        assert_null(strstr(s, "<!everyone"));
        assert_null(strstr(s, "<https://x/a"));
        assert_non_null(strstr(s, "in file &lt;!channel&gt;.csv (text/csv, 2.0 "
                                  "MiB), line 5000"));
        assert_non_null(strstr(s, "in file contract.pdf (a&lt;b, 47.1 KiB)"));
        free(s);
        json_decref(ins);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields_cannot_ping),
            cmocka_unit_test(test_multibyte_fields_cut_anywhere_still_alert),
            cmocka_unit_test(test_digest_keeps_every_section),
            cmocka_unit_test(test_edit_says_so),
            cmocka_unit_test(test_part_is_named),
            cmocka_unit_test(test_file_finding_names_the_file),
            cmocka_unit_test(test_uninspected_files_said),
            cmocka_unit_test(test_hostile_file_fields),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
