/* test_detect_config.c - the inspector's detection settings: what they
 * send, and how a bad one stops start-up naming the bad part. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect_config.h"
#include "err.h"
#include "icfg.h"

/* Writes \p text to a new temporary file; returns its path (free()). */
static char *temp_file(const char *text)
{
        char *path = strdup("/tmp/test_detect_config.XXXXXX");
        int fd = mkstemp(path);
        FILE *fp = fdopen(fd, "w");

        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
        return path;
}

/* Runs detect_config_init with a file holding \p file_text (NULL: no
 * file); returns the error and fills \p err. */
static int init(struct detect_config *dc, const char *types, const char *tpl,
                const char *file_text, char *err, size_t size)
{
        char *path = file_text ? temp_file(file_text) : NULL;
        int rc = detect_config_init(dc, types, tpl, path, err, size);

        if (path) {
                unlink(path);
                free(path);
        }
        return rc;
}

static void assert_refused(const char *types, const char *tpl,
                           const char *file_text, const char *want)
{
        struct detect_config dc;
        char err[512];

        assert_int_equal(init(&dc, types, tpl, file_text, err, sizeof(err)),
                         DLP_ERR_CONFIG);
        if (!strstr(err, want))
                fail_msg("error \"%s\" lacks \"%s\"", err, want);
        detect_config_free(&dc);
}

/* With nothing set, the request says exactly what it said before these
 * settings existed. */
static void test_defaults_unchanged(void **state)
{
        struct detect_config dc;
        char err[256];

        assert_int_equal(
            init(&dc, DETECT_DEFAULT_INFO_TYPES, NULL, NULL, err, sizeof(err)),
            DLP_OK);
        assert_string_equal(
            dc.fragment,
            "\"inspectConfig\":{\"infoTypes\":[{\"name\":\"CREDIT_CARD_"
            "NUMBER\"},"
            "{\"name\":\"US_SOCIAL_SECURITY_NUMBER\"},{\"name\":"
            "\"EMAIL_ADDRESS\"},{\"name\":\"AWS_CREDENTIALS\"}],"
            "\"customInfoTypes\":[{\"infoType\":{\"name\":\"SLACK_TOKEN\"},"
            "\"regex\":{\"pattern\":\"xox[abposr]-[A-Za-z0-9-]{10,}\"},"
            "\"likelihood\":\"VERY_LIKELY\"}],\"includeQuote\":true,"
            "\"minLikelihood\":\"POSSIBLE\",\"limits\":{"
            "\"maxFindingsPerRequest\":3000}}");
        assert_int_equal(dc.fragment_len, strlen(dc.fragment));
        assert_int_equal(dc.info_types, 4);
        assert_int_equal(dc.custom_types, 1);
        detect_config_free(&dc);
}

/* The file comes first, the listed built-ins it lacks after it (no
 * duplicates), its own SLACK_TOKEN replaces ours, its settings stay. */
static void test_file_merged_with_settings(void **state)
{
        struct detect_config dc;
        char err[256];

        assert_int_equal(
            init(&dc, "EMAIL_ADDRESS, IBAN_CODE", NULL,
                 "{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
                 "\"minLikelihood\":\"LIKELY\",\"customInfoTypes\":[{"
                 "\"infoType\":{\"name\":\"SLACK_TOKEN\"},\"regex\":{"
                 "\"pattern\":\"xoxb-[0-9]+\"}}]}",
                 err, sizeof(err)),
            DLP_OK);
        assert_string_equal(
            dc.fragment,
            "\"inspectConfig\":{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"},"
            "{\"name\":\"IBAN_CODE\"}],\"minLikelihood\":\"LIKELY\","
            "\"customInfoTypes\":[{\"infoType\":{\"name\":\"SLACK_TOKEN\"},"
            "\"regex\":{\"pattern\":\"xoxb-[0-9]+\"}}],\"includeQuote\":true,"
            "\"limits\":{\"maxFindingsPerRequest\":3000}}");
        detect_config_free(&dc);
        /* an empty list sends none of ours */
        assert_int_equal(init(&dc, "", NULL, NULL, err, sizeof(err)), DLP_OK);
        assert_non_null(strstr(dc.fragment, "\"infoTypes\":[]"));
        detect_config_free(&dc);
}

static void test_template(void **state)
{
        struct detect_config dc;
        char err[256];

        assert_true(detect_template_name_ok("projects/p-1/inspectTemplates/t"));
        assert_true(detect_template_name_ok(
            "projects/p/locations/europe-west1/inspectTemplates/chat_2"));
        assert_true(
            detect_template_name_ok("organizations/123/inspectTemplates/t"));
        assert_false(detect_template_name_ok("projects/p/inspectTemplates/"));
        assert_false(detect_template_name_ok("projects//inspectTemplates/t"));
        assert_false(detect_template_name_ok("p/inspectTemplates/t"));
        assert_false(
            detect_template_name_ok("projects/p/deidentifyTemplates/t"));
        assert_false(
            detect_template_name_ok("projects/p/inspectTemplates/t/x"));
        assert_false(
            detect_template_name_ok("projects/p\"/inspectTemplates/t"));
        assert_refused(NULL, "projects/p/templates/t", NULL,
                       "DLP_INSPECT_TEMPLATE: \"projects/p/templates/t\"");
        /* with a template, rules may name types the template defines */
        assert_int_equal(
            init(&dc, "", "projects/p/locations/global/inspectTemplates/t",
                 "{\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMPLOYEE_ID\"}],"
                 "\"rules\":[{\"exclusionRule\":{\"regex\":{\"pattern\":"
                 "\"E-0+\"}}}]}]}",
                 err, sizeof(err)),
            DLP_OK);
        assert_memory_equal(dc.fragment,
                            "\"inspectTemplateName\":\"projects/p/locations/"
                            "global/inspectTemplates/t\",\"inspectConfig\":{",
                            80);
        detect_config_free(&dc);
}

/* Each bad file stops start-up with the file and the bad part named. */
static void test_bad_file_named(void **state)
{
        assert_refused(NULL, NULL, "{\"infoTypes\":[],\"minLikelyhood\":1}",
                       "DLP_INSPECT_CONFIG_FILE /tmp/test_detect_config.");
        assert_refused(NULL, NULL, "{\"infoTypes\":[],\"minLikelyhood\":1}",
                       ": unknown field \"minLikelyhood\"");
        assert_refused(NULL, NULL,
                       "{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                       "\"regex\":{\"pattern\":\"a\"}},{\"infoType\":{\"name\":"
                       "\"B\"},\"regex\":{\"pattern\":\"[b\"}}]}",
                       ": customInfoTypes[1].regex.pattern: bad regex \"[b\"");
        assert_refused(NULL, NULL,
                       "{\"infoTypes\":[{\"name\":\"PHONE_NUMBER\"},{\"name\":"
                       "\"PHONE\"}]}",
                       ": infoTypes[1]: unknown built-in info type \"PHONE\"");
        assert_refused(NULL, NULL, "{\"infoTypes\":", "line 1");
        assert_refused(NULL, NULL, "[]", "not a JSON object");
        assert_refused(NULL, NULL, "{\"includeQuote\":false}",
                       "includeQuote: must not be false");
        assert_refused("CREDIT_CARD_NUMBER,CREDIT_CARD", NULL, NULL,
                       "DLP_INFO_TYPES: \"CREDIT_CARD\" is not a Google "
                       "built-in");
}

/* The shipped example finds the secrets it is named for, and not their
 * near misses. */
static void test_shipped_chat_secrets(void **state)
{
        static const struct {
                const char *type, *hit, *miss;
        } cases[] = {
            {"GITHUB_TOKEN", "ghp_0123456789abcdefghijABCDEFGHIJ012345",
             "ghp_0123456789abcdefghij"},
            {"GITLAB_TOKEN", "glpat-abcdEFGH1234_-xyZ012", "glpat-short"},
            {"STRIPE_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_short"},
            {"PRIVATE_KEY_BLOCK", "-----BEGIN RSA PRIVATE KEY-----",
             "-----BEGIN PUBLIC KEY-----"},
            {"JWT",
             "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
             "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
             "eyJhbGciOiJIUzI1NiJ9"},
            {"GOOGLE_API_KEY", "AIzaSyA-1234567890abcdefghijklmnopqrstu",
             "AIzaSyA-123"},
        };
        json_t *json = json_load_file(DLP_CHAT_SECRETS, 0, NULL);
        struct dlp_icfg cfg = {0};
        struct detect_config dc;
        char err[256];

        assert_non_null(json);
        assert_int_equal(dlp_icfg_parse(json, 0, &cfg, err, sizeof(err)),
                         DLP_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct dlp_icfg_custom *c = NULL;
                char text[256];
                size_t ms, me;

                for (size_t k = 0; k < cfg.ncustoms; k++)
                        if (!strcmp(cfg.customs[k].name, cases[i].type))
                                c = &cfg.customs[k];
                if (!c)
                        fail_msg("%s missing from the example", cases[i].type);
                snprintf(text, sizeof(text), "see %s now", cases[i].hit);
                assert_int_equal(dlp_regex_find(&c->regex, text, strlen(text),
                                                0, strlen(text), 0, &ms, &me),
                                 1);
                assert_int_equal(ms, 4);
                assert_int_equal(me, 4 + strlen(cases[i].hit));
                snprintf(text, sizeof(text), "see %s now", cases[i].miss);
                if (dlp_regex_find(&c->regex, text, strlen(text), 0,
                                   strlen(text), 0, &ms, &me))
                        fail_msg("%s matches \"%s\"", cases[i].type, text);
        }
        dlp_icfg_free(&cfg);
        json_decref(json);
        /* and the inspector accepts it as DLP_INSPECT_CONFIG_FILE */
        assert_int_equal(detect_config_init(&dc, DETECT_DEFAULT_INFO_TYPES,
                                            NULL, DLP_CHAT_SECRETS, err,
                                            sizeof(err)),
                         DLP_OK);
        assert_int_equal(dc.custom_types, 7); /* 6 + SLACK_TOKEN */
        detect_config_free(&dc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults_unchanged),
            cmocka_unit_test(test_file_merged_with_settings),
            cmocka_unit_test(test_template),
            cmocka_unit_test(test_bad_file_named),
            cmocka_unit_test(test_shipped_chat_secrets),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
