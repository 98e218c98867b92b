/* test_actions.c - the actions' plan and ledger (DESIGN §10): what is
 * queued for an event, what is skipped because it was done (learned from
 * dlp.action/1 records or recorded here), what follows a removal, what a
 * drop hands back. No worker threads: nothing calls Slack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"

static const struct actions_config cfg = {
    .api_url = "http://127.0.0.1:9/api",
    .bot_token = "xoxb-test",
    .admin_token = "xoxp-test",
    .alert_channel = "C0ALERTS",
    .via = NOTIFY_EPHEMERAL,
    .workers = 0, /* the test plays the workers */
    .timeout_ms = 1000,
    .channel_interval_ms = 1000,
    .tier3_per_min = 50,
    .retry_max_s = 1,
    .capacity = 100,
    .window_s = 600,
};

static json_t *inspection(const char *id)
{
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s}]}", "event_id",
                         id, "team_id", "T0TEST", "channel", "C0GENERAL",
                         "user", "U0ALICE", "ts", "1763900412.004519",
                         "findings", "info_type", "CREDIT_CARD_NUMBER",
                         "likelihood", "LIKELY", "quote_masked",
                         "4111 \u2022\u2022\u2022\u2022 1111");
}

static size_t submit(struct actions *a, const char *id, unsigned acts)
{
        json_t *ins = inspection(id);
        size_t n = actions_submit(a, ins, json_object_get(ins, "findings"),
                                  acts, "cards", (void *)id);
        json_decref(ins);
        return n;
}

static void learn(struct actions *a, const char *id, const char *action,
                  const char *outcome)
{
        json_t *rec =
            json_pack("{s:s,s:s,s:s,s:s}", "schema", "dlp.action/1", "event_id",
                      id, "action", action, "outcome", outcome);
        actions_learn(a, rec);
        json_decref(rec);
}

static int dropped_n;
static void count_dropped(void *cookie, void *opaque)
{
        (void)cookie;
        (void)opaque;
        dropped_n++;
}

static size_t drop(struct actions *a)
{
        dropped_n = 0;
        size_t n = actions_drop_queued(a, count_dropped, NULL);
        assert_int_equal(n, (size_t)dropped_n);
        return n;
}

static void test_fresh_event_queues_each_action_once(void **state)
{
        struct actions *a = actions_new(&cfg);

        (void)state;
        assert_non_null(a);
        assert_int_equal(submit(a, "Ev1", ACTION_NOTIFY | ACTION_REMOVE), 2);
        assert_int_equal(actions_outstanding(a), 2);
        /* the same event again (a duplicate inspection) while under way */
        assert_int_equal(submit(a, "Ev1", ACTION_NOTIFY | ACTION_REMOVE), 0);
        assert_int_equal(actions_counters(a)->skipped, 2);
        /* dropped (a revocation): forgotten, so read again they are
         * queued again */
        assert_int_equal(drop(a), 2);
        assert_int_equal(actions_outstanding(a), 0);
        assert_int_equal(submit(a, "Ev1", ACTION_NOTIFY), 1);
        assert_int_equal(drop(a), 1);
        actions_free(a);
}

/* Records read back from the alerts topic: only what is missing is done. */
static void test_learned_records_skip_what_is_done(void **state)
{
        struct actions *a = actions_new(&cfg);

        (void)state;
        learn(a, "Ev2", "notify", "ok");
        assert_int_equal(submit(a, "Ev2", ACTION_NOTIFY), 0);
        /* removed before the crash, tombstone missing: the tombstone */
        learn(a, "Ev3", "remove", "ok");
        assert_int_equal(submit(a, "Ev3", ACTION_NOTIFY | ACTION_REMOVE), 2);
        /* removed and tombstoned: nothing */
        learn(a, "Ev4", "remove", "ok");
        learn(a, "Ev4", "tombstone", "ok");
        assert_int_equal(submit(a, "Ev4", ACTION_REMOVE), 0);
        /* refused, note missing: the note */
        learn(a, "Ev5", "remove", "failed");
        assert_int_equal(submit(a, "Ev5", ACTION_REMOVE), 1);
        learn(a, "Ev5", "note", "ok");
        /* not an action record: ignored */
        json_t *alert =
            json_pack("{s:s,s:s}", "schema", "dlp.alert/1", "event_id", "Ev6");
        actions_learn(a, alert);
        json_decref(alert);
        assert_int_equal(submit(a, "Ev6", ACTION_NOTIFY), 1);
        assert_int_equal(drop(a), 4); /* Ev3: 2, Ev5: 1, Ev6: 1 */
        actions_free(a);
}

/* The dlp.action/1 record of a finished task: Slack's answer as it was,
 * the info types, never a quote. */
static void test_records(void **state)
{
        struct action_task t = {0};
        json_t *rec, *ins = inspection("Ev7");
        char *text;

        (void)state;
        t.kind = ACT_REMOVE;
        t.ins = ins;
        t.findings = json_object_get(ins, "findings");
        t.event_id = "Ev7";
        snprintf(t.method, sizeof(t.method), "chat.delete");
        snprintf(t.error, sizeof(t.error), "cant_delete_message");
        rec = actions_record(&t, NOTIFY_EPHEMERAL);
        assert_string_equal(json_string_value(json_object_get(rec, "action")),
                            "remove");
        assert_string_equal(json_string_value(json_object_get(rec, "outcome")),
                            "failed");
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(rec, "slack"), "error")),
                            "cant_delete_message");
        assert_null(json_object_get(rec, "via"));
        assert_null(json_object_get(rec, "rule")); /* none given */
        assert_string_equal(json_string_value(json_array_get(
                                json_object_get(rec, "info_types"), 0)),
                            "CREDIT_CARD_NUMBER");
        text = json_dumps(rec, 0);
        assert_null(strstr(text, "4111")); /* not even the masked quote */
        free(text);
        json_decref(rec);

        t.kind = ACT_NOTIFY;
        t.ok = 1;
        t.error[0] = '\0';
        snprintf(t.rule, sizeof(t.rule), "cards");
        snprintf(t.method, sizeof(t.method), "chat.postEphemeral");
        snprintf(t.channel, sizeof(t.channel), "C0GENERAL");
        snprintf(t.ts, sizeof(t.ts), "1763900413.000100");
        rec = actions_record(&t, NOTIFY_EPHEMERAL);
        assert_string_equal(json_string_value(json_object_get(rec, "via")),
                            "ephemeral");
        assert_string_equal(json_string_value(json_object_get(rec, "rule")),
                            "cards");
        assert_true(
            json_is_true(json_object_get(json_object_get(rec, "slack"), "ok")));
        assert_null(json_object_get(json_object_get(rec, "slack"), "error"));
        assert_string_equal(json_string_value(json_object_get(rec, "user")),
                            "U0ALICE");
        json_decref(rec);
        json_decref(ins);
}

/* An event with findings in two files (twice in one) and in its text. */
static json_t *with_files(const char *id)
{
        json_t *ins = inspection(id);
        json_t *fs = json_object_get(ins, "findings");

        json_object_set_new(ins, "files",
                            json_pack("[{s:s,s:b},{s:s,s:b},{s:s,s:b}]", "id",
                                      "F0CSV", "inspected", 1, "id", "F0PDF",
                                      "inspected", 1, "id", "F0BIG",
                                      "inspected", 0));
        json_array_append_new(fs, json_pack("{s:s,s:s,s:s,s:s}", "info_type",
                                            "CREDIT_CARD_NUMBER", "likelihood",
                                            "LIKELY", "file_id", "F0CSV",
                                            "part", "file customers.csv"));
        json_array_append_new(fs, json_pack("{s:s,s:s,s:s,s:s}", "info_type",
                                            "EMAIL_ADDRESS", "likelihood",
                                            "LIKELY", "file_id", "F0CSV",
                                            "part", "file customers.csv"));
        json_array_append_new(
            fs, json_pack("{s:s,s:s,s:s,s:s}", "info_type",
                          "US_SOCIAL_SECURITY_NUMBER", "likelihood", "LIKELY",
                          "file_id", "F0PDF", "part", "file contract.pdf"));
        return ins;
}

/* Removing an event whose findings are in files deletes each file once
 * (files.delete), besides the message; a file's removal read back from
 * its record is not done again. */
static void test_files_removed_once(void **state)
{
        struct actions *a = actions_new(&cfg);
        json_t *ins = with_files("Ev8"), *fs = json_object_get(ins, "findings");
        json_t *rec;

        (void)state;
        /* chat.delete, files.delete F0CSV, files.delete F0PDF */
        assert_int_equal(actions_submit(a, ins, fs, ACTION_REMOVE, "r", NULL),
                         3);
        assert_int_equal(actions_submit(a, ins, fs, ACTION_REMOVE, "r", NULL),
                         0);
        assert_int_equal(drop(a), 3);
        /* after a crash: the message and F0CSV were done */
        learn(a, "Ev8", "remove", "ok");
        learn(a, "Ev8", "tombstone", "ok");
        rec = json_pack("{s:s,s:s,s:s,s:s,s:s}", "schema", "dlp.action/1",
                        "event_id", "Ev8", "action", "remove_file", "outcome",
                        "ok", "file_id", "F0CSV");
        actions_learn(a, rec);
        json_decref(rec);
        assert_int_equal(actions_submit(a, ins, fs, ACTION_REMOVE, "r", NULL),
                         1);
        assert_int_equal(drop(a), 1);
        /* notify alone deletes nothing */
        json_decref(ins);
        ins = with_files("Ev9");
        assert_int_equal(actions_submit(a, ins,
                                        json_object_get(ins, "findings"),
                                        ACTION_NOTIFY, "r", NULL),
                         1);
        assert_int_equal(drop(a), 1);
        json_decref(ins);
        actions_free(a);
}

/* files.delete runs with the admin token: only for a file the record
 * itself lists as inspected, with a Slack file id. A finding naming
 * another file (not listed, listed as not inspected, not an id) deletes
 * nothing; the message is still removed. */
static void test_only_the_records_files_removed(void **state)
{
        static const char *const stray[] = {
            "F0OTHER",   /* in no files[] of this record */
            "F0BIG",     /* listed, not inspected */
            "F0CSV&x=1", /* not an id */
            "f0csv",     /* not an id */
            "F",         /* not an id */
        };
        struct actions *a = actions_new(&cfg);
        json_t *ins = inspection("Ev11");
        json_t *fs = json_object_get(ins, "findings");

        (void)state;
        json_object_set_new(ins, "files",
                            json_pack("[{s:s,s:b},{s:s,s:b},{s:s,s:b}]", "id",
                                      "F0CSV", "inspected", 1, "id", "F0BIG",
                                      "inspected", 0, "id", "F0CSV&x=1",
                                      "inspected", 1));
        for (size_t i = 0; i < sizeof(stray) / sizeof(*stray); i++)
                json_array_append_new(
                    fs, json_pack("{s:s,s:s,s:s}", "info_type",
                                  "CREDIT_CARD_NUMBER", "likelihood", "LIKELY",
                                  "file_id", stray[i]));
        /* chat.delete only */
        assert_int_equal(actions_submit(a, ins, fs, ACTION_REMOVE, "r", NULL),
                         1);
        assert_int_equal(drop(a), 1);
        /* no files[] at all: nothing to delete either */
        json_decref(ins);
        ins = inspection("Ev12");
        fs = json_object_get(ins, "findings");
        json_array_append_new(fs, json_pack("{s:s,s:s,s:s}", "info_type",
                                            "CREDIT_CARD_NUMBER", "likelihood",
                                            "LIKELY", "file_id", "F0CSV"));
        assert_int_equal(actions_submit(a, ins, fs, ACTION_REMOVE, "r", NULL),
                         1);
        assert_int_equal(drop(a), 1);
        json_decref(ins);
        actions_free(a);
}

static void test_file_removal_record(void **state)
{
        struct action_task t = {0};
        json_t *rec, *ins = with_files("Ev10");

        (void)state;
        t.kind = ACT_REMOVE_FILE;
        t.ins = ins;
        t.findings = json_object_get(ins, "findings");
        t.event_id = "Ev10";
        t.ok = 1;
        snprintf(t.file_id, sizeof(t.file_id), "F0PDF");
        snprintf(t.method, sizeof(t.method), "files.delete");
        rec = actions_record(&t, NOTIFY_EPHEMERAL);
        assert_string_equal(json_string_value(json_object_get(rec, "action")),
                            "remove_file");
        assert_string_equal(json_string_value(json_object_get(rec, "file_id")),
                            "F0PDF");
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(rec, "slack"), "method")),
                            "files.delete");
        json_decref(rec);
        /* a message's removal names no file */
        t.kind = ACT_REMOVE;
        rec = actions_record(&t, NOTIFY_EPHEMERAL);
        assert_null(json_object_get(rec, "file_id"));
        json_decref(rec);
        json_decref(ins);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fresh_event_queues_each_action_once),
            cmocka_unit_test(test_learned_records_skip_what_is_done),
            cmocka_unit_test(test_records),
            cmocka_unit_test(test_files_removed_once),
            cmocka_unit_test(test_only_the_records_files_removed),
            cmocka_unit_test(test_file_removal_record),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
