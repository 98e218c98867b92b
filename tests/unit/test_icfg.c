/* test_icfg.c - which InspectConfigs are refused, and how the refusal names
 * the bad part; and how a request's config merges into a template's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "icfg.h"

/* Parses \p text with \p flags; returns the error code, message in err. */
static int parse(const char *text, int flags, char *err, size_t size)
{
        json_error_t jerr;
        json_t *json = json_loads(text, 0, &jerr);
        struct dlp_icfg cfg = {0};
        int rc;

        if (!json)
                fail_msg("bad test JSON: %s", jerr.text);
        err[0] = '\0';
        rc = dlp_icfg_parse(json, flags, &cfg, err, size);
        dlp_icfg_free(&cfg);
        json_decref(json);
        return rc;
}

#define REFUSED(text, want)                                                    \
        do {                                                                   \
                char err_[512];                                                \
                assert_int_equal(parse(text, 0, err_, sizeof(err_)),           \
                                 DLP_ERR_INVALID);                             \
                if (!strstr(err_, want))                                       \
                        fail_msg("error \"%s\" lacks \"%s\"", err_, want);     \
        } while (0)

static void test_accepts_google_shapes(void **state)
{
        char err[512];

        /* lowerCamel and proto names, likelihood by name and number,
         * int64 as string */
        assert_int_equal(
            parse("{\"info_types\":[{\"name\":\"IBAN_CODE\"}],"
                  "\"minLikelihood\":3,\"includeQuote\":true,"
                  "\"limits\":{\"maxFindingsPerRequest\":\"100\"},"
                  "\"customInfoTypes\":[{\"info_type\":{\"name\":\"X-1\"},"
                  "\"likelihood\":\"LIKELY\",\"regex\":{\"pattern\":"
                  "\"x[0-9]+\",\"group_indexes\":[0]},"
                  "\"detectionRules\":[{\"hotwordRule\":{\"hotwordRegex\":"
                  "{\"pattern\":\"id\"},\"proximity\":{\"windowBefore\":5},"
                  "\"likelihoodAdjustment\":{\"relativeLikelihood\":1}}}]}],"
                  "\"ruleSet\":[{\"infoTypes\":[{\"name\":\"X-1\"},"
                  "{\"name\":\"EMAIL_ADDRESS\"}],\"rules\":[{\"exclusionRule\":"
                  "{\"dictionary\":{\"wordList\":{\"words\":[\"a b\"]}},"
                  "\"matchingType\":\"MATCHING_TYPE_PARTIAL_MATCH\"}}]}]}",
                  0, err, sizeof(err)),
            DLP_OK);
}

static void test_unknown_field_is_named(void **state)
{
        REFUSED("{\"infoTypes\":[],\"minLikelyhood\":\"LIKELY\"}",
                "unknown field \"minLikelyhood\"");
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"regex\":{\"pattern\":\"a\",\"flags\":\"i\"}}]}",
                "customInfoTypes[0].regex: unknown field \"flags\"");
}

static void test_bad_regex_is_named(void **state)
{
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"regex\":{\"pattern\":\"a\"}},{\"infoType\":{\"name\":"
                "\"B\"},\"regex\":{\"pattern\":\"(ab\"}}]}",
                "customInfoTypes[1].regex.pattern: bad regex \"(ab\"");
        /* PCRE2 takes these, RE2 (Google) does not */
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"regex\":{\"pattern\":\"a(?=b)\"}}]}",
                "a lookahead");
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"regex\":{\"pattern\":\"(a)\\\\1\"}}]}",
                "a backreference");
        /* a group the pattern does not have */
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"regex\":{\"pattern\":\"(a)\",\"groupIndexes\":[2]}}]}",
                "customInfoTypes[0].regex.groupIndexes: group 2");
        /* a hotword regex is checked the same way */
        REFUSED("{\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
                "\"rules\":[{\"hotwordRule\":{\"hotwordRegex\":{\"pattern\":"
                "\"[a\"},\"likelihoodAdjustment\":{\"fixedLikelihood\":"
                "\"LIKELY\"}}}]}]}",
                "ruleSet[0].rules[0].hotwordRule.hotwordRegex.pattern: bad "
                "regex");
}

static void test_unknown_info_type_is_named(void **state)
{
        REFUSED("{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"},"
                "{\"name\":\"CREDIT_CARD\"}]}",
                "infoTypes[1]: unknown built-in info type \"CREDIT_CARD\"");
        /* a rule set may name a custom type only if it is defined */
        REFUSED("{\"ruleSet\":[{\"infoTypes\":[{\"name\":\"MY_TYPE\"}],"
                "\"rules\":[{\"exclusionRule\":{\"regex\":{\"pattern\":"
                "\"x\"}}}]}]}",
                "ruleSet[0].infoTypes: unknown info type \"MY_TYPE\"");
}

static void test_open_refs_allow_template_types(void **state)
{
        char err[512];

        assert_int_equal(
            parse("{\"ruleSet\":[{\"infoTypes\":[{\"name\":\"MY_TYPE\"}],"
                  "\"rules\":[{\"exclusionRule\":{\"regex\":{\"pattern\":"
                  "\"x\"}}}]}]}",
                  ICFG_OPEN_REFS, err, sizeof(err)),
            DLP_OK);
}

static void test_shapes_refused(void **state)
{
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"}}]}",
                "needs exactly one of regex, dictionary");
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"dictionary\":{\"wordList\":{\"words\":[]}}}]}",
                "customInfoTypes[0].dictionary.wordList: a word list needs "
                "words");
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A\"},"
                "\"regex\":{\"pattern\":\"a\"}},{\"infoType\":{\"name\":"
                "\"A\"},\"regex\":{\"pattern\":\"b\"}}]}",
                "defined twice");
        REFUSED("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"A B\"},"
                "\"regex\":{\"pattern\":\"a\"}}]}",
                "bad custom info type name \"A B\"");
        REFUSED("{\"minLikelihood\":\"QUITE_LIKELY\"}",
                "minLikelihood: unknown likelihood \"QUITE_LIKELY\"");
        REFUSED("{\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
                "\"rules\":[{\"hotwordRule\":{\"hotwordRegex\":{\"pattern\":"
                "\"a\"}}}]}]}",
                "needs a likelihoodAdjustment");
        REFUSED("{\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
                "\"rules\":[{\"exclusionRule\":{\"regex\":{\"pattern\":\"a\"},"
                "\"matchingType\":\"MATCHING_TYPE_SOME\"}}]}]}",
                "unknown matchingType");
        REFUSED("[1]", "not an object");
}

/* Google merges a request's inspectConfig into the template's: objects
 * recursively, arrays appended, scalars replaced. */
static void test_merge_like_proto(void **state)
{
        json_t *base = json_loads("{\"infoTypes\":[{\"name\":\"A\"}],"
                                  "\"minLikelihood\":\"LIKELY\","
                                  "\"limits\":{\"maxFindingsPerItem\":5}}",
                                  0, NULL);
        json_t *over = json_loads("{\"infoTypes\":[{\"name\":\"B\"}],"
                                  "\"minLikelihood\":\"POSSIBLE\","
                                  "\"limits\":{\"maxFindingsPerRequest\":9},"
                                  "\"includeQuote\":true}",
                                  0, NULL);
        char *out;

        assert_int_equal(dlp_icfg_merge(base, over), DLP_OK);
        out = json_dumps(base, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(out,
                            "{\"includeQuote\":true,\"infoTypes\":[{\"name\":"
                            "\"A\"},{\"name\":\"B\"}],\"limits\":{"
                            "\"maxFindingsPerItem\":5,"
                            "\"maxFindingsPerRequest\":9},\"minLikelihood\":"
                            "\"POSSIBLE\"}");
        free(out);
        json_decref(base);
        json_decref(over);
}

static void test_builtin_names(void **state)
{
        assert_true(dlp_infotype_builtin("CREDIT_CARD_NUMBER"));
        assert_true(dlp_infotype_builtin("XSRF_TOKEN"));
        assert_true(dlp_infotype_builtin("ADVERTISING_ID"));
        assert_true(dlp_infotype_builtin("DOCUMENT_TYPE/R&D/SOURCE_CODE"));
        assert_false(dlp_infotype_builtin("SLACK_TOKEN"));
        assert_false(dlp_infotype_builtin("credit_card_number"));
        assert_true(dlp_infotype_name_ok("SLACK_TOKEN"));
        assert_false(dlp_infotype_name_ok(""));
        assert_false(dlp_infotype_name_ok("A/B"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_accepts_google_shapes),
            cmocka_unit_test(test_unknown_field_is_named),
            cmocka_unit_test(test_bad_regex_is_named),
            cmocka_unit_test(test_unknown_info_type_is_named),
            cmocka_unit_test(test_open_refs_allow_template_types),
            cmocka_unit_test(test_shapes_refused),
            cmocka_unit_test(test_merge_like_proto),
            cmocka_unit_test(test_builtin_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
