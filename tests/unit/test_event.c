/* test_event.c - which Slack events become event records, and how each
 * message subtype maps onto one (DESIGN §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "util.h"

static const struct event_opts opts = {"events-api", "2026-11-23T00:00:00.000Z",
                                       1};

static enum event_verdict map(const char *json, json_t **rec, char *why)
{
        json_t *env = json_loads(json, 0, NULL);
        const char *id;
        enum event_verdict v;

        assert_non_null(env);
        v = event_from_envelope(env, &opts, rec, &id, NULL, why, 256);
        json_decref(env);
        return v;
}

static const char *field(json_t *rec, const char *k)
{
        return json_string_value(json_object_get(rec, k));
}

static void test_plain_message(void **state)
{
        json_t *rec;
        char why[256];

        assert_int_equal(
            map("{\"type\":\"event_callback\",\"event_id\":\"Ev1\","
                "\"team_id\":\"T1\",\"event_time\":1700000000,\"event\":{"
                "\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\","
                "\"text\":\"hi\",\"ts\":\"1700000000.000100\"}}",
                &rec, why),
            EVENT_PRODUCE);
        assert_string_equal(field(rec, "schema"), "dlp.event/1");
        assert_string_equal(field(rec, "event_id"), "Ev1");
        assert_string_equal(field(rec, "kind"), "message");
        assert_string_equal(field(rec, "text"), "hi");
        assert_string_equal(field(rec, "user"), "U1");
        assert_string_equal(field(rec, "source"), "events-api");
        assert_int_equal(json_integer_value(json_object_get(rec, "event_time")),
                         1700000000);
        json_decref(rec);
}

static void test_message_changed_takes_new_text(void **state)
{
        json_t *rec;
        char why[256];

        assert_int_equal(
            map("{\"type\":\"event_callback\",\"event_id\":\"Ev2\","
                "\"team_id\":\"T1\",\"event_time\":1,\"event\":{"
                "\"type\":\"message\",\"subtype\":\"message_changed\","
                "\"channel\":\"C1\",\"ts\":\"2.000001\",\"message\":{"
                "\"user\":\"U2\",\"text\":\"new\",\"ts\":\"1.000001\"},"
                "\"previous_message\":{\"text\":\"old 4111111111111111\"}}}",
                &rec, why),
            EVENT_PRODUCE);
        assert_string_equal(field(rec, "kind"), "message_changed");
        assert_string_equal(field(rec, "text"), "new");
        assert_string_equal(field(rec, "ts"), "1.000001");
        assert_string_equal(field(rec, "user"), "U2");
        json_decref(rec);
}

static void test_file_share_keeps_file_metadata(void **state)
{
        json_t *rec, *files;
        char why[256];

        assert_int_equal(
            map("{\"type\":\"event_callback\",\"event_id\":\"Ev3\","
                "\"team_id\":\"T1\",\"event_time\":1,\"event\":{"
                "\"type\":\"message\",\"subtype\":\"file_share\","
                "\"channel\":\"C1\",\"user\":\"U1\",\"text\":\"see\","
                "\"ts\":\"1.1\",\"files\":[{\"id\":\"F1\",\"name\":\"a.txt\","
                "\"mimetype\":\"text/plain\",\"size\":12,\"url_private\":"
                "\"https://files.slack.com/a.txt\",\"mode\":\"hosted\"}]}}",
                &rec, why),
            EVENT_PRODUCE);
        files = json_object_get(rec, "files");
        assert_int_equal(json_array_size(files), 1);
        assert_string_equal(field(json_array_get(files, 0), "name"), "a.txt");
        assert_null(json_object_get(json_array_get(files, 0), "mode"));
        json_decref(rec);
}

static void test_skipped_events(void **state)
{
        json_t *rec;
        char why[256];

        assert_int_equal(
            map("{\"type\":\"event_callback\",\"event_id\":\"Ev4\","
                "\"team_id\":\"T1\",\"event\":{\"type\":\"message\","
                "\"subtype\":\"message_deleted\",\"channel\":\"C1\","
                "\"ts\":\"1.1\",\"deleted_ts\":\"1.0\"}}",
                &rec, why),
            EVENT_SKIP);
        assert_null(rec);
        assert_non_null(strstr(why, "message_deleted"));
        assert_int_equal(
            map("{\"type\":\"event_callback\",\"event_id\":\"Ev5\","
                "\"team_id\":\"T1\",\"event\":{\"type\":\"reaction_added\"}}",
                &rec, why),
            EVENT_SKIP);
}

static void test_bots_follow_the_setting(void **state)
{
        const char *bot = "{\"type\":\"event_callback\",\"event_id\":\"Ev6\","
                          "\"team_id\":\"T1\",\"event\":{\"type\":\"message\","
                          "\"subtype\":\"bot_message\",\"channel\":\"C1\","
                          "\"bot_id\":\"B1\",\"text\":\"x\",\"ts\":\"1.1\"}}";
        struct event_opts no_bots = opts;
        json_t *env = json_loads(bot, 0, NULL), *rec;
        const char *id;
        char why[256];

        assert_int_equal(
            event_from_envelope(env, &opts, &rec, &id, NULL, why, 256),
            EVENT_PRODUCE);
        assert_string_equal(field(rec, "bot_id"), "B1");
        json_decref(rec);
        no_bots.include_bots = 0;
        assert_int_equal(
            event_from_envelope(env, &no_bots, &rec, &id, NULL, why, 256),
            EVENT_SKIP);
        json_decref(env);
}

static void test_invalid_events(void **state)
{
        json_t *rec;
        char why[256];

        assert_int_equal(map("{\"type\":\"event_callback\",\"team_id\":\"T1\","
                             "\"event\":{\"type\":\"message\",\"channel\":"
                             "\"C1\",\"ts\":\"1.1\"}}",
                             &rec, why),
                         EVENT_INVALID);
        assert_non_null(strstr(why, "event_id"));
        assert_int_equal(map("{\"type\":\"event_callback\",\"event_id\":"
                             "\"Ev7\",\"team_id\":\"T1\",\"event\":{\"type\":"
                             "\"message\",\"ts\":\"1.1\"}}",
                             &rec, why),
                         EVENT_INVALID);
        assert_non_null(strstr(why, "channel"));
        assert_int_equal(map("{\"type\":\"event_callback\",\"event_id\":"
                             "\"Ev8\",\"team_id\":\"T1\",\"event\":{\"type\":"
                             "\"message\",\"channel\":\"C1\",\"ts\":\"1.1\","
                             "\"text\":42}}",
                             &rec, why),
                         EVENT_INVALID);
}

static void test_bare_event_for_replay_gets_derived_id(void **state)
{
        json_t *rec;
        char why[256];

        assert_int_equal(map("{\"type\":\"message\",\"team\":\"T1\","
                             "\"channel\":\"C9\",\"user\":\"U1\",\"text\":"
                             "\"x\",\"ts\":\"1700000000.000200\"}",
                             &rec, why),
                         EVENT_PRODUCE);
        assert_string_equal(field(rec, "event_id"), "EvRC91700000000000200");
        json_decref(rec);
}

/* A bare message event with a long channel: the derived id used to be
 * written past char[160] at an offset the sender chose (issue 9). */
static void test_derived_id_of_a_long_channel_stays_bounded(void **state)
{
        static const size_t lens[] = {156, 157, 158, 159, 160, 255, 256, 30000};

        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
                char *channel = malloc(lens[k] + 1);
                json_t *env, *rec;
                const char *id;
                char why[256];

                memset(channel, 'C', lens[k]);
                channel[lens[k]] = '\0';
                env = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message",
                                "team", "T1", "channel", channel, "text", "x",
                                "ts", "1700000000.000200");
                if (lens[k] > DLP_ID_MAX) { /* refused, by name */
                        assert_int_equal(event_from_envelope(env, &opts, &rec,
                                                             &id, NULL, why,
                                                             sizeof(why)),
                                         EVENT_INVALID);
                        assert_string_equal(why, "channel over 255 bytes");
                        json_decref(env);
                        free(channel);
                        continue;
                }
                assert_int_equal(event_from_envelope(env, &opts, &rec, &id,
                                                     NULL, why, sizeof(why)),
                                 EVENT_PRODUCE);
                assert_true(strlen(id) < 160);
                assert_memory_equal(id, "EvRCCC", 6);
                json_decref(rec);
                json_decref(env);
                free(channel);
        }
}

static void test_empty_event_id_is_refused(void **state)
{
        json_t *rec;
        char why[256];

        assert_int_equal(map("{\"type\":\"event_callback\",\"event_id\":\"\","
                             "\"team_id\":\"T1\",\"event\":{\"type\":"
                             "\"message\",\"channel\":\"C1\",\"ts\":\"1.1\"}}",
                             &rec, why),
                         EVENT_INVALID);
        assert_non_null(strstr(why, "event_id"));
        /* ids are Slack's dozen bytes: a huge one is refused, not carried
         * into keys and records of every later stage */
        char *big = malloc(300);
        memset(big, 'E', 299);
        big[299] = '\0';
        json_t *env =
            json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "type",
                      "event_callback", "event_id", big, "team_id", "T1",
                      "event", "type", "message", "channel", "C1", "ts", "1.1");
        const char *id;
        assert_int_equal(
            event_from_envelope(env, &opts, &rec, &id, NULL, why, sizeof(why)),
            EVENT_INVALID);
        assert_string_equal(why, "event_id over 255 bytes");
        json_decref(env);
        free(big);
}

/* Reasons quote an attacker's type names: cut, never mid-character. */
static void test_reasons_cut_at_character_boundaries(void **state)
{
        char type[400] = "", why[256];
        json_t *env, *rec;
        const char *id;

        for (int i = 0; i < 100; i++)
                strcat(type, "\xc3\xa9"); /* é */
        env = json_pack("{s:s, s:{s:s}}", "type", "event_callback", "event",
                        "type", type);
        json_object_set_new(env, "event_id", json_string("Ev1"));
        assert_int_equal(
            event_from_envelope(env, &opts, &rec, &id, NULL, why, sizeof(why)),
            EVENT_SKIP);
        json_t *s = json_string(why); /* NULL if why is not valid UTF-8 */
        assert_non_null(s);
        json_decref(s);
        json_decref(env);
}

/* ---- real payload shapes (tests/fixtures/slack-events/, written from
 * Slack's documented examples) ---------------------------------------- */

struct shape_case {
        const char *file;
        enum event_verdict verdict;
        enum event_reason reason; /* when not produced */
        const char *kind, *channel_type;
        const char *parts; /* event_parts() of the (new) message: wheres */
};

static json_t *load_fixture(const char *file)
{
        char path[512];
        json_error_t jerr;
        json_t *env;

        snprintf(path, sizeof(path), "%s/%s", DLP_EVENT_FIXTURES, file);
        env = json_load_file(path, 0, &jerr);
        if (!env)
                fail_msg("%s: %s", path, jerr.text);
        return env;
}

/* The wheres of event_parts(msg) joined by "|". */
static void parts_of(json_t *msg, char *out, size_t size)
{
        json_t *parts = event_parts(msg), *p;
        size_t i, n = 0;

        assert_non_null(parts);
        out[0] = '\0';
        json_array_foreach(parts, i, p) n += (size_t)snprintf(
            out + n, size - n, "%s%s", i ? "|" : "", field(p, "where"));
        json_decref(parts);
}

/* An edit's record carries only what changed (DESIGN §11): a bot that
 * rewrites an attachment is inspected even though the text stayed (only
 * the new attachment, with an empty text), and a text edit does not bring
 * back the attachment that was already inspected. */
static void edit_case(const char *file, const char *text, const char *wheres)
{
        json_t *env = load_fixture(file), *rec, *parts, *p;
        enum event_reason reason = EVENT_REASON_CNT;
        const char *id;
        char why[256], got[512];
        size_t i, n = 0;

        assert_int_equal(event_from_envelope(env, &opts, &rec, &id, &reason,
                                             why, sizeof(why)),
                         EVENT_PRODUCE);
        assert_string_equal(field(rec, "text"), text);
        parts = json_object_get(rec, "parts");
        got[0] = '\0';
        json_array_foreach(parts, i, p) n += (size_t)snprintf(
            got + n, sizeof(got) - n, "%s%s", i ? "|" : "", field(p, "where"));
        assert_string_equal(got, wheres);
        json_decref(rec);
        json_decref(env);
}

static void test_edit_carries_what_changed(void **state)
{
        (void)state;
        edit_case("attachment_edit.json", "",
                  "attachment 1 title|attachment 1 text|attachment 1 fallback");
        edit_case("text_edit_same_attachment.json",
                  "see report, ssn 123-45-6789", "");
}

static void test_real_payload_shapes(void **state)
{
        static const struct shape_case cases[] = {
            {"attachments.json", EVENT_PRODUCE, 0, "bot_message", "channel",
             "text|attachment 1 pretext|attachment 1 author_name|"
             "attachment 1 title|attachment 1 text|attachment 1 field 1 "
             "title|attachment 1 field 1 value|attachment 1 footer|"
             "attachment 1 fallback|attachment 2 text|attachment 2 field 1 "
             "title|attachment 2 field 1 value"},
            /* the rich_text block mirrors the text: only the section and
             * the context are new */
            {"blocks.json", EVENT_PRODUCE, 0, "message", "channel",
             "text|block 2|block 3"},
            {"file_share.json", EVENT_PRODUCE, 0, "file_share", "channel",
             "the file title of report.csv|the file name report.csv|the "
             "preview of report.csv"},
            {"real_edit.json", EVENT_PRODUCE, 0, "message_changed", "channel",
             "text"},
            {"unfurl_edit.json", EVENT_SKIP, EVENT_R_UNCHANGED_EDIT, NULL, NULL,
             "text|attachment 1 title|attachment 1 text|attachment 1 "
             "fallback"},
            {"tombstone.json", EVENT_SKIP, EVENT_R_TOMBSTONE, NULL, NULL,
             "text"},
            {"im.json", EVENT_PRODUCE, 0, "message", "im", "text"},
            {"mpim.json", EVENT_PRODUCE, 0, "message", "mpim", "text"},
            {"group.json", EVENT_PRODUCE, 0, "message", "group", "text"},
            {"enterprise.json", EVENT_PRODUCE, 0, "message", "channel", "text"},
            /* Slack's own bot_message example has no channel */
            {"bot_message_no_channel.json", EVENT_INVALID,
             EVENT_R_UNKNOWN_SHAPE, NULL, NULL, "text"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct shape_case *c = &cases[i];
                json_t *env = load_fixture(c->file), *ev, *msg, *rec;
                enum event_reason reason = EVENT_REASON_CNT;
                const char *id;
                char why[256], parts[1024];
                enum event_verdict v = event_from_envelope(
                    env, &opts, &rec, &id, &reason, why, sizeof(why));

                if (v != c->verdict)
                        fail_msg("%s: verdict %d, want %d (%s)", c->file, v,
                                 c->verdict, why);
                ev = json_object_get(env, "event");
                msg = json_object_get(ev, "message");
                parts_of(msg ? msg : ev, parts, sizeof(parts));
                if (strcmp(parts, c->parts))
                        fail_msg("%s: parts %s, want %s", c->file, parts,
                                 c->parts);
                if (v == EVENT_PRODUCE) {
                        /* the record carries every part but the text */
                        json_t *rp = json_object_get(rec, "parts");
                        size_t want = 1;

                        for (const char *q = c->parts; *q; q++)
                                want += *q == '|';
                        if (!strncmp(c->parts, "text", 4))
                                want--;
                        assert_int_equal(json_array_size(rp), want);
                        if (want == 0)
                                assert_null(rp);
                        assert_string_equal(field(rec, "kind"), c->kind);
                        assert_string_equal(field(rec, "channel_type"),
                                            c->channel_type);
                        assert_string_equal(field(rec, "event_id"),
                                            field(env, "event_id"));
                        json_decref(rec);
                } else {
                        assert_null(rec);
                        if (reason != c->reason)
                                fail_msg("%s: reason %s, want %s", c->file,
                                         event_reason_key(reason),
                                         event_reason_key(c->reason));
                }
                json_decref(env);
        }
}

/* The parts' texts, exactly: offsets into them stay exact. */
static void test_parts_texts(void **state)
{
        json_t *env = load_fixture("attachments.json");
        json_t *parts = event_parts(json_object_get(env, "event")), *p;

        p = json_array_get(parts, 9);
        assert_string_equal(field(p, "where"), "attachment 2 text");
        assert_string_equal(field(p, "text"), "card 4111 1111 1111 1111");
        p = json_array_get(parts, 11);
        assert_string_equal(field(p, "text"), "ssn 123-45-6789");
        json_decref(parts);
        json_decref(env);
        env = load_fixture("blocks.json");
        parts = event_parts(json_object_get(env, "event"));
        assert_string_equal(field(json_array_get(parts, 1), "text"),
                            "*Summary*: key AKIAIOSFODNN7EXAMPLE");
        assert_string_equal(field(json_array_get(parts, 2), "text"),
                            "posted by ops@example.com");
        json_decref(parts);
        json_decref(env);
}

/* An edit to the same parts is skipped; reasons have stable keys. */
static void test_identical_edit_skipped(void **state)
{
        json_t *rec;
        char why[256];
        enum event_reason reason;
        json_t *env = json_loads(
            "{\"type\":\"event_callback\",\"event_id\":\"Ev9\","
            "\"team_id\":\"T1\",\"event\":{\"type\":\"message\","
            "\"subtype\":\"message_changed\",\"channel\":\"C1\","
            "\"ts\":\"2.0\",\"message\":{\"text\":\"a\",\"ts\":\"1.0\"},"
            "\"previous_message\":{\"text\":\"a\",\"ts\":\"1.0\"}}}",
            0, NULL);
        const char *id;

        assert_int_equal(event_from_envelope(env, &opts, &rec, &id, &reason,
                                             why, sizeof(why)),
                         EVENT_SKIP);
        assert_int_equal(reason, EVENT_R_UNCHANGED_EDIT);
        assert_string_equal(why, "edit changed nothing inspectable");
        assert_string_equal(event_reason_key(reason), "unchanged_edit");
        json_decref(env);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plain_message),
            cmocka_unit_test(test_message_changed_takes_new_text),
            cmocka_unit_test(test_file_share_keeps_file_metadata),
            cmocka_unit_test(test_skipped_events),
            cmocka_unit_test(test_bots_follow_the_setting),
            cmocka_unit_test(test_invalid_events),
            cmocka_unit_test(test_bare_event_for_replay_gets_derived_id),
            cmocka_unit_test(test_derived_id_of_a_long_channel_stays_bounded),
            cmocka_unit_test(test_empty_event_id_is_refused),
            cmocka_unit_test(test_reasons_cut_at_character_boundaries),
            cmocka_unit_test(test_real_payload_shapes),
            cmocka_unit_test(test_edit_carries_what_changed),
            cmocka_unit_test(test_parts_texts),
            cmocka_unit_test(test_identical_edit_skipped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
