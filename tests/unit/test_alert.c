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
            alert_message(ins, findings, "CALERT",
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
        s = dump(
            alert_digest(all, fs, 2, "CALERT", "https://x.slack.com", &used));
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
        free(dump(alert_message(ins, findings, "CALERT", NULL)));
        free(dump(alert_message(ins, findings, "CALERT", id)));
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
        json_t *msg = alert_digest(ins, fs, N, "CALERT", "https://x", &used);
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
        s = dump(alert_message(ins, f, "CALERT", NULL));
        assert_non_null(strstr(s, "by <@U1> (an edit)"));
        assert_non_null(
            strstr(s, "Sensitive data edited into a Slack message"));
        free(s);
        s = dump(alert_message(plain, f, "CALERT", NULL));
        assert_null(strstr(s, "an edit"));
        free(s);
        s = dump(
            alert_digest(both, fs, 2, "CALERT", "https://x.slack.com", &used));
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
        s = dump(alert_message(ins, f, "CALERT", NULL));
        assert_non_null(
            strstr(s, "*CREDIT_CARD_NUMBER* (LIKELY) in attachment 2: "));
        assert_non_null(strstr(s,
                               "*EMAIL_ADDRESS* (LIKELY) in the file title of "
                               "&lt;!here&gt;.csv: "));
        assert_non_null(strstr(s, "*US_SOCIAL_SECURITY_NUMBER* (LIKELY): "));
        assert_null(strstr(s, "<!here>"));
        free(s);
        s = dump(
            alert_digest(one, fs, 1, "CALERT", "https://x.slack.com", &used));
        assert_non_null(strstr(s, "` in attachment 2 <https://x.slack.com/"));
        free(s);
        json_decref(ins);
        json_decref(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields_cannot_ping),
            cmocka_unit_test(test_multibyte_fields_cut_anywhere_still_alert),
            cmocka_unit_test(test_digest_keeps_every_section),
            cmocka_unit_test(test_edit_says_so),
            cmocka_unit_test(test_part_is_named),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
