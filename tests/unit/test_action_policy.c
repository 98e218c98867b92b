/* test_action_policy.c - the response policy file: what it accepts, how
 * each kind of mistake is named, and which rule a finding takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "action_policy.h"
#include "err.h"
#include "oom.h"

#define HEAD "{\"schema\":\"dlp.action-policy/1\","

static int parse(struct action_policy *ap, const char *text, char *err,
                 size_t size)
{
        return action_policy_parse(ap, text, strlen(text), "test.json", err,
                                   size);
}

static void test_sample_file_loads(void **state)
{
        struct action_policy ap;
        char err[512];

        (void)state;
        assert_int_equal(
            action_policy_load(&ap, DLP_SAMPLE_POLICY, err, sizeof(err)),
            DLP_OK);
        assert_int_equal(ap.n_rules, 4);
        assert_int_equal(ap.notify_via, NOTIFY_EPHEMERAL);
        assert_string_equal(ap.rules[1].name, "cards in public channels");
        assert_int_equal(ap.rules[1].actions,
                         ACTION_ALERT | ACTION_NOTIFY | ACTION_REMOVE);
        assert_string_equal(ap.rules[1].channels[1], "C0RANDOM");
        assert_null(ap.rules[1].channels[2]);
        assert_int_equal(ap.rules[2].actions, 0);
        assert_true(ap.rules[3].any_type);
        action_policy_free(&ap);
}

static void test_default_is_alert_only(void **state)
{
        struct action_policy ap;
        char err[256];

        (void)state;
        assert_int_equal(action_policy_load(&ap, NULL, err, sizeof(err)),
                         DLP_OK);
        assert_int_equal(ap.n_rules, 1);
        assert_int_equal(
            action_policy_match(&ap, "ANYTHING", "VERY_UNLIKELY", "C1")
                ->actions,
            ACTION_ALERT);
        action_policy_free(&ap);
}

/* Info type names as Google gives them, built-in and custom. */
static void test_google_info_type_names(void **state)
{
        struct action_policy ap;
        char err[256];

        (void)state;
        assert_int_equal(
            parse(&ap,
                  HEAD "\"rules\":[{\"info_types\":[\"DOCUMENT_TYPE/R&D/"
                       "SOURCE_CODE\",\"my-custom_type\"],\"actions\":["
                       "\"alert\"]}]}",
                  err, sizeof(err)),
            DLP_OK);
        assert_non_null(action_policy_match(
            &ap, "DOCUMENT_TYPE/R&D/SOURCE_CODE", "LIKELY", "C1"));
        assert_null(action_policy_match(&ap, "EMAIL_ADDRESS", "LIKELY", "C1"));
        action_policy_free(&ap);
}

static void test_dm_and_minimal_rule(void **state)
{
        struct action_policy ap;
        char err[256];

        (void)state;
        assert_int_equal(parse(&ap,
                               HEAD "\"notify\":{\"via\":\"dm\"},\"rules\":"
                                    "[{\"info_types\":[\"*\"],\"actions\":["
                                    "\"notify\"]}]}",
                               err, sizeof(err)),
                         DLP_OK);
        assert_int_equal(ap.notify_via, NOTIFY_DM);
        assert_string_equal(ap.rules[0].name, "");
        assert_null(ap.rules[0].channels);
        action_policy_free(&ap);
}

/* Each kind of invalid file, with what the error must name. */
static void test_each_invalid_kind_is_named(void **state)
{
        static const struct {
                const char *text, *want1, *want2;
        } cases[] = {
            {"{\"schema\":", "not JSON: line 1", "test.json"},
            {"[]", "must be a JSON object", "DLP_ACTIONS_FILE"},
            {"{\"rules\":[]}", "'schema' must be", NULL},
            {"{\"schema\":\"dlp.action-policy/2\",\"rules\":[]}",
             "'schema' must be", NULL},
            {HEAD "\"rules\":[]}", "'rules' must be a non-empty array", NULL},
            {HEAD "\"rulez\":[]}", "unknown key 'rulez' in the policy", NULL},
            {HEAD "\"notify\":{\"via\":\"sms\"},\"rules\":[{\"info_types\":"
                  "[\"*\"],\"actions\":[]}]}",
             "notify.via", NULL},
            {HEAD "\"rules\":[{\"info_types\":[\"*\"],\"actions\":[]},42]}",
             "rules[1]: a rule must be an object", NULL},
            {HEAD "\"rules\":[{\"name\":\"cards\",\"info_types\":[\"*\"],"
                  "\"acton\":[]}]}",
             "rules[0] (\"cards\"): unknown key 'acton'", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"actions\":[]}]}",
             "rules[0] (\"x\"): 'info_types' is required", NULL},
            {HEAD
             "\"rules\":[{\"name\":\"x\",\"info_types\":[],\"actions\":[]}]}",
             "'info_types' must be a non-empty array", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"credit card\"],"
                  "\"actions\":[]}]}",
             "info_types[0] 'credit card' is not an info type", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"A\",\"A\"],"
                  "\"actions\":[]}]}",
             "info_types lists 'A' twice", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"*\"],"
                  "\"min_likelihood\":\"SURE\",\"actions\":[]}]}",
             "'min_likelihood' must be one of", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"*\"],"
                  "\"channels\":[\"#general\"],\"actions\":[]}]}",
             "channels[0] '#general' is not a channel id", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"*\"]}]}",
             "'actions' is required", NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"*\"],"
                  "\"actions\":[\"alert\",\"delete\"]}]}",
             "rules[0] (\"x\"): actions[1] must be alert, notify or remove",
             NULL},
            {HEAD "\"rules\":[{\"name\":\"x\",\"info_types\":[\"*\"],"
                  "\"actions\":[\"alert\",\"alert\"]}]}",
             "actions lists 'alert' twice", NULL},
            {HEAD "\"rules\":[{\"name\":\"\",\"info_types\":[\"*\"],"
                  "\"actions\":[]}]}",
             "rules[0]: 'name' must be a non-empty string", NULL},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct action_policy ap;
                char err[512] = "";
                int rc = parse(&ap, cases[i].text, err, sizeof(err));

                if (rc != DLP_ERR_CONFIG || !strstr(err, cases[i].want1) ||
                    (cases[i].want2 && !strstr(err, cases[i].want2)))
                        fail_msg("case %zu: rc %d, error '%s', want '%s'", i,
                                 rc, err, cases[i].want1);
                assert_null(ap.rules); /* freed on failure */
        }
}

static void test_unreadable_file_named(void **state)
{
        struct action_policy ap;
        char err[256];

        (void)state;
        assert_int_equal(action_policy_load(&ap, "/nonexistent/actions.json",
                                            err, sizeof(err)),
                         DLP_ERR_CONFIG);
        assert_non_null(
            strstr(err, "DLP_ACTIONS_FILE /nonexistent/actions.json"));
}

/* Named info types before "*", each group in file order; likelihood and
 * channels must match too, else the next rule is tried. */
static void test_matching_order(void **state)
{
        struct action_policy ap;
        char err[256];
        const struct action_rule *r;

        (void)state;
        assert_int_equal(
            parse(&ap,
                  HEAD "\"rules\":["
                       "{\"name\":\"star first\",\"info_types\":[\"*\"],"
                       "\"channels\":[\"C0GENERAL\"],\"actions\":[\"alert\"]},"
                       "{\"name\":\"cards likely\",\"info_types\":["
                       "\"CREDIT_CARD_NUMBER\"],\"min_likelihood\":\"LIKELY\","
                       "\"actions\":[\"alert\",\"remove\"]},"
                       "{\"name\":\"cards in general\",\"info_types\":["
                       "\"CREDIT_CARD_NUMBER\"],\"channels\":[\"C0GENERAL\"],"
                       "\"actions\":[\"alert\",\"notify\"]},"
                       "{\"name\":\"star\",\"info_types\":[\"*\"],"
                       "\"actions\":[\"alert\"]}]}",
                  err, sizeof(err)),
            DLP_OK);
        /* a named rule wins over an earlier "*" rule */
        r = action_policy_match(&ap, "CREDIT_CARD_NUMBER", "VERY_LIKELY",
                                "C0GENERAL");
        assert_string_equal(r->name, "cards likely");
        /* first named rule too unlikely: the next named rule */
        r = action_policy_match(&ap, "CREDIT_CARD_NUMBER", "POSSIBLE",
                                "C0GENERAL");
        assert_string_equal(r->name, "cards in general");
        /* no named rule matches: the "*" rules in file order */
        r = action_policy_match(&ap, "CREDIT_CARD_NUMBER", "POSSIBLE",
                                "C0OTHER");
        assert_string_equal(r->name, "star");
        r = action_policy_match(&ap, "EMAIL_ADDRESS", "POSSIBLE", "C0GENERAL");
        assert_string_equal(r->name, "star first");
        action_policy_free(&ap);
}

static void test_decide_unions_findings(void **state)
{
        struct action_policy ap;
        char err[512];
        json_t *ins, *alerted, *acted;
        const char *rule;

        (void)state;
        assert_int_equal(
            action_policy_load(&ap, DLP_SAMPLE_POLICY, err, sizeof(err)),
            DLP_OK);
        ins = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "channel", "C0GENERAL",
                        "findings", "info_type", "EMAIL_ADDRESS", "likelihood",
                        "VERY_LIKELY", "info_type", "CREDIT_CARD_NUMBER",
                        "likelihood", "LIKELY");
        assert_int_equal(action_policy_decide(&ap, ins,
                                              json_object_get(ins, "findings"),
                                              &alerted, &acted, &rule),
                         ACTION_ALERT | ACTION_NOTIFY | ACTION_REMOVE);
        assert_string_equal(rule, "cards in public channels");
        assert_int_equal(json_array_size(alerted), 1); /* not the e-mail */
        assert_int_equal(json_array_size(acted), 1);
        json_decref(alerted);
        json_decref(acted);
        /* elsewhere the card is only alerted */
        json_object_set_new(ins, "channel", json_string("C0SECRET"));
        assert_int_equal(action_policy_decide(&ap, ins,
                                              json_object_get(ins, "findings"),
                                              &alerted, &acted, &rule),
                         ACTION_ALERT);
        assert_string_equal(rule, "everything else");
        json_decref(alerted);
        json_decref(acted);
        json_decref(ins);
        action_policy_free(&ap);
}

/* Every allocation of a load failing in turn: an error, never a crash or
 * a half-built policy (ASan checks nothing leaks). */
static void test_out_of_memory(void **state)
{
        (void)state;
        for (int n = 1;; n++) {
                struct action_policy ap;
                char err[512];
                int rc;

                oom_fail_nth(n);
                rc = action_policy_load(&ap, DLP_SAMPLE_POLICY, err,
                                        sizeof(err));
                if (!oom_failures()) {
                        oom_off();
                        assert_int_equal(rc, DLP_OK);
                        assert_int_equal(ap.n_rules, 4);
                        assert_true(n > 10); /* it did reach the rules */
                        action_policy_free(&ap);
                        break;
                }
                oom_off();
                if (rc != DLP_ERR_CONFIG)
                        fail_msg("allocation %d failed: rc %d", n, rc);
                assert_null(ap.rules);
        }
}

static void test_describe(void **state)
{
        char s[64];

        (void)state;
        action_policy_describe(ACTION_ALERT | ACTION_REMOVE, s, sizeof(s));
        assert_string_equal(s, "alert,remove");
        action_policy_describe(0, s, sizeof(s));
        assert_string_equal(s, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sample_file_loads),
            cmocka_unit_test(test_default_is_alert_only),
            cmocka_unit_test(test_dm_and_minimal_rule),
            cmocka_unit_test(test_google_info_type_names),
            cmocka_unit_test(test_each_invalid_kind_is_named),
            cmocka_unit_test(test_unreadable_file_named),
            cmocka_unit_test(test_matching_order),
            cmocka_unit_test(test_decide_unions_findings),
            cmocka_unit_test(test_out_of_memory),
            cmocka_unit_test(test_describe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
