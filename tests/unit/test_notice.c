/* test_notice.c - the texts of the actions: what the author, the channel
 * and the security channel are told, escaped, and never a raw value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "notice.h"

static json_t *record(void)
{
        return json_pack(
            "{s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]}",
            "event_id", "Ev0NOTICE", "channel", "C0GENERAL", "user", "U0ALICE",
            "ts", "1763900412.004519", "findings", "info_type",
            "CREDIT_CARD_NUMBER", "likelihood", "VERY_LIKELY", "quote_masked",
            "4111 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 1111",
            "info_type", "EMAIL_ADDRESS", "likelihood", "LIKELY",
            "quote_masked", "<a\u2022\u2022\u2022@x.io> & co", "info_type",
            "CREDIT_CARD_NUMBER", "likelihood", "LIKELY", "quote_masked",
            "5500 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 0004");
}

static const char *text(json_t *msg)
{
        return json_string_value(json_object_get(msg, "text"));
}

static void test_author_notice(void **state)
{
        json_t *ins = record(), *f = json_object_get(ins, "findings");
        json_t *m = notice_author(ins, f, 1), *k = notice_author(ins, f, 0);

        (void)state;
        /* the types once each, the masked quotes, where, what to do */
        assert_non_null(strstr(text(m), "*CREDIT_CARD_NUMBER, EMAIL_ADDRESS*"));
        assert_non_null(strstr(text(m), "<#C0GENERAL>"));
        assert_non_null(strstr(text(m), "`4111 \u2022\u2022\u2022\u2022"));
        assert_non_null(strstr(text(m), "has been removed"));
        assert_non_null(strstr(text(k), "Please delete it"));
        assert_non_null(strstr(text(m), "Ev0NOTICE"));
        /* a masked quote cannot open a mention or a link */
        assert_non_null(
            strstr(text(m), "&lt;a\u2022\u2022\u2022@x.io&gt; &amp; co"));
        assert_null(strstr(text(m), "<a\u2022"));
        assert_null(json_object_get(m, "channel")); /* the caller's */
        json_decref(m);
        json_decref(k);
        json_decref(ins);
}

static void test_tombstone_and_note(void **state)
{
        json_t *ins = record(), *f = json_object_get(ins, "findings");
        json_t *t = notice_tombstone(ins, f);
        json_t *n = notice_not_removed(ins, f, "cant_delete_message");

        (void)state;
        assert_string_equal(text(t), ":no_entry: A message from <@U0ALICE> was "
                                     "removed: it contained "
                                     "CREDIT_CARD_NUMBER, EMAIL_ADDRESS.");
        assert_non_null(strstr(text(n), "could not remove the message from "
                                        "<@U0ALICE> in <#C0GENERAL>"));
        assert_non_null(strstr(text(n), "Ev0NOTICE): cant_delete_message"));
        /* no quotes at all outside the author's own notice */
        assert_null(strstr(text(t), "\u2022"));
        assert_null(strstr(text(n), "\u2022"));
        json_object_del(ins, "user");
        json_object_set_new(ins, "bot_id", json_string("B0BOT"));
        json_decref(t);
        t = notice_tombstone(ins, f);
        assert_non_null(strstr(text(t), "from bot B0BOT was removed"));
        json_decref(t);
        json_decref(n);
        json_decref(ins);
}

/* A long list of quotes is cut whole: never half a UTF-8 character. */
static void test_long_text_is_valid_utf8(void **state)
{
        json_t *ins = record(), *f = json_array();
        char q[400];

        (void)state;
        memset(q, 0, sizeof(q));
        for (size_t i = 0; i + 3 < sizeof(q) - 1; i += 3)
                memcpy(q + i, "\u2022", 3);
        for (int i = 0; i < 10; i++)
                json_array_append_new(
                    f, json_pack("{s:s,s:s,s:s}", "info_type", "PASSWORD",
                                 "likelihood", "LIKELY", "quote_masked", q));
        json_t *m = notice_author(ins, f, 0);
        assert_non_null(m); /* jansson refuses invalid UTF-8: NULL */
        assert_non_null(text(m));
        json_decref(m);
        json_decref(f);
        json_decref(ins);
}

/* Findings in files' contents: the author and the tombstone name the
 * files (escaped: a file name is the sharer's text). */
static void test_files_named(void **state)
{
        json_t *ins = record(), *f = json_object_get(ins, "findings");
        json_t *m, *t;

        (void)state;
        json_object_set_new(json_array_get(f, 0), "file_id",
                            json_string("F0CSV"));
        json_object_set_new(ins, "files",
                            json_pack("[{s:s,s:s,s:b}]", "id", "F0CSV", "name",
                                      "<!here>customers.csv", "inspected", 1));
        m = notice_author(ins, f, 1);
        t = notice_tombstone(ins, f);
        assert_non_null(strstr(text(m), " in the file &lt;!here&gt;customers"
                                        ".csv. It has been removed"));
        assert_string_equal(text(t), ":no_entry: A message from <@U0ALICE> was "
                                     "removed: it contained "
                                     "CREDIT_CARD_NUMBER, EMAIL_ADDRESS in the "
                                     "file &lt;!here&gt;customers.csv.");
        json_decref(m);
        json_decref(t);
        /* two files; one without a files entry goes by its id */
        json_object_set_new(json_array_get(f, 2), "file_id",
                            json_string("F0PDF"));
        m = notice_author(ins, f, 0);
        assert_non_null(strstr(text(m), " in the files &lt;!here&gt;customers"
                                        ".csv, F0PDF. Please delete it"));
        json_decref(m);
        json_decref(ins);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_author_notice),
            cmocka_unit_test(test_tombstone_and_note),
            cmocka_unit_test(test_long_text_is_valid_utf8),
            cmocka_unit_test(test_files_named),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
