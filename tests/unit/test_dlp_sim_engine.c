/* test_dlp_sim_engine.c - what dlp-sim finds for an InspectConfig: custom
 * regex and dictionary types, hotword and exclusion rules, likelihoods.
 * Every expectation is worked out by hand in the comment above it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "icfg.h"

/* Runs InspectConfig \p cfg_json over \p text and writes the findings as
 * "TYPE LIKELIHOOD start-end" joined by "; " into \p out. */
static void run(const char *cfg_json, const char *text, char *out, size_t size)
{
        json_error_t jerr;
        json_t *json = json_loads(cfg_json, 0, &jerr);
        struct dlp_icfg cfg = {0};
        struct sim_findings f = {0};
        char err[256];
        size_t n = 0;

        if (!json)
                fail_msg("bad test JSON: %s", jerr.text);
        if (dlp_icfg_parse(json, 0, &cfg, err, sizeof(err)))
                fail_msg("config refused: %s", err);
        assert_int_equal(sim_engine_run(&cfg, text, strlen(text), &f), DLP_OK);
        out[0] = '\0';
        for (size_t i = 0; i < f.cnt; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%s %s %zu-%zu",
                                      i ? "; " : "", f.v[i].type,
                                      dlp_likelihood_name(f.v[i].likelihood),
                                      f.v[i].start, f.v[i].end);
        sim_findings_free(&f);
        dlp_icfg_free(&cfg);
        json_decref(json);
}

#define EXPECT(cfg, text, want)                                                \
        do {                                                                   \
                char got_[1024];                                               \
                run(cfg, text, got_, sizeof(got_));                            \
                assert_string_equal(got_, want);                               \
        } while (0)

/* Only the built-ins named run: the e-mail at 9-22 is not reported when
 * only CREDIT_CARD_NUMBER is asked for. "card 4111111111111111" -> 5-21. */
static void test_builtins_named_only(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"CREDIT_CARD_NUMBER\"}]}",
               "card 4111111111111111 x@example.com",
               "CREDIT_CARD_NUMBER VERY_LIKELY 5-21");
        /* a Google built-in dlp-sim has no detector for finds nothing */
        EXPECT("{\"infoTypes\":[{\"name\":\"PHONE_NUMBER\"}]}",
               "call +1 650 253 0000", "");
}

/* "ticket ghp_" at 7: ghp_ + 36 characters -> 7-47; the custom type's
 * likelihood defaults to VERY_LIKELY. */
static void test_custom_regex_runs(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
               "\"customInfoTypes\":[{\"infoType\":{\"name\":\"GITHUB_TOKEN\"},"
               "\"regex\":{\"pattern\":\"ghp_[A-Za-z0-9]{36}\"}}]}",
               "ticket ghp_0123456789abcdefghijABCDEFGHIJ012345 ok",
               "GITHUB_TOKEN VERY_LIKELY 7-47");
        /* two matches, non-overlapping, left to right; likelihood given */
        EXPECT("{\"customInfoTypes\":[{\"infoType\":{\"name\":\"EMP\"},"
               "\"likelihood\":\"LIKELY\","
               "\"regex\":{\"pattern\":\"E-[0-9]{4}\"}}],"
               "\"infoTypes\":[{\"name\":\"PHONE_NUMBER\"}]}",
               "E-1234 and E-5678", "EMP LIKELY 0-6; EMP LIKELY 11-17");
}

/* groupIndexes: only group 1 ("order 12345" -> digits at 6-11). */
static void test_regex_group_index(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"PHONE_NUMBER\"}],"
               "\"customInfoTypes\":[{\"infoType\":{\"name\":\"ORDER\"},"
               "\"regex\":{\"pattern\":\"order ([0-9]+)\","
               "\"groupIndexes\":[1]}}]}",
               "order 12345", "ORDER VERY_LIKELY 6-11");
}

/* Dictionary: case-insensitive; punctuation is whitespace ("Project,
 * Falcon" is the phrase "project falcon", 4-19); "falconry" is no match
 * (letters next to letters); "jen" matches in "jen123" (0-3). */
static void test_dictionary(void **state)
{
        const char *cfg =
            "{\"infoTypes\":[{\"name\":\"PHONE_NUMBER\"}],"
            "\"customInfoTypes\":[{\"infoType\":{\"name\":\"CODENAME\"},"
            "\"dictionary\":{\"wordList\":{\"words\":[\"Project Falcon\","
            "\"jen\"]}}}]}";

        EXPECT(cfg, "see Project, Falcon now", "CODENAME VERY_LIKELY 4-19");
        EXPECT(cfg, "falconry project falconry", "");
        EXPECT(cfg, "jen123 jennifer", "CODENAME VERY_LIKELY 0-3");
}

/* Hotword rule in a rule set: "SSN" within 10 characters before raises the
 * SSN (LIKELY in dlp-sim) to VERY_LIKELY; the second SSN, 40 characters
 * away from any hotword, stays LIKELY.
 *   "SSN: 123-45-6789 ......................... 234-56-7890"
 *    0    5          16                         43          54 */
static void test_hotword_fixed(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"US_SOCIAL_SECURITY_NUMBER\"}],"
               "\"ruleSet\":[{\"infoTypes\":[{\"name\":"
               "\"US_SOCIAL_SECURITY_NUMBER\"}],\"rules\":[{\"hotwordRule\":{"
               "\"hotwordRegex\":{\"pattern\":\"SSN\"},"
               "\"proximity\":{\"windowBefore\":10},"
               "\"likelihoodAdjustment\":{\"fixedLikelihood\":"
               "\"VERY_LIKELY\"}}}]}]}",
               "SSN: 123-45-6789 ......................... 234-56-7890",
               "US_SOCIAL_SECURITY_NUMBER VERY_LIKELY 5-16; "
               "US_SOCIAL_SECURITY_NUMBER LIKELY 43-54");
}

/* A custom type at UNLIKELY is below minLikelihood POSSIBLE unless a
 * hotword after it ("... 4242 pin") lifts it by +2 to LIKELY. Windows are
 * characters, not bytes: in "4242 éé PIN" the N is the 7th character
 * after the card but its 9th byte, so windowAfter 7 reaches it only when
 * counted in characters. */
static void test_hotword_relative_and_min(void **state)
{
        const char *cfg =
            "{\"infoTypes\":[{\"name\":\"PHONE_NUMBER\"}],"
            "\"customInfoTypes\":[{\"infoType\":{\"name\":\"PIN\"},"
            "\"likelihood\":\"UNLIKELY\","
            "\"regex\":{\"pattern\":\"\\\\b[0-9]{4}\\\\b\"},"
            "\"detectionRules\":[{\"hotwordRule\":{"
            "\"hotwordRegex\":{\"pattern\":\"(?i)pin\"},"
            "\"proximity\":{\"windowAfter\":7},"
            "\"likelihoodAdjustment\":{\"relativeLikelihood\":2}}}]}]}";

        EXPECT(cfg, "code 4242 no hotword", "");
        /* "4242" at 0-4, then " éé PIN": all of "PIN" within 7 characters */
        EXPECT(cfg, "4242 \xc3\xa9\xc3\xa9 PIN", "PIN LIKELY 0-4");
        /* " éééé PIN": N is the 9th character, outside the window */
        EXPECT(cfg, "4242 \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 PIN", "");
}

/* minLikelihoodPerInfoType overrides minLikelihood for its type only:
 * SSN (LIKELY) is dropped at VERY_LIKELY, the card (VERY_LIKELY) stays,
 * and the e-mail (LIKELY) stays under the global POSSIBLE. */
static void test_min_likelihood_per_type(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"US_SOCIAL_SECURITY_NUMBER\"},"
               "{\"name\":\"CREDIT_CARD_NUMBER\"},{\"name\":"
               "\"EMAIL_ADDRESS\"}],"
               "\"minLikelihoodPerInfoType\":[{\"infoType\":{\"name\":"
               "\"US_SOCIAL_SECURITY_NUMBER\"},\"minLikelihood\":"
               "\"VERY_LIKELY\"}]}",
               "123-45-6789 4111111111111111 a@b.co",
               "CREDIT_CARD_NUMBER VERY_LIKELY 12-28; "
               "EMAIL_ADDRESS LIKELY 29-35");
        /* and a global minLikelihood VERY_LIKELY drops the e-mail too */
        EXPECT("{\"infoTypes\":[{\"name\":\"CREDIT_CARD_NUMBER\"},{\"name\":"
               "\"EMAIL_ADDRESS\"}],\"minLikelihood\":\"VERY_LIKELY\"}",
               "4111111111111111 a@b.co",
               "CREDIT_CARD_NUMBER VERY_LIKELY 0-16");
}

/* Exclusion by dictionary, full match: the listed test card is dropped,
 * another valid card (5555 5555 5555 4444 at 24-43) is kept. */
static void test_exclusion_dictionary_full(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"CREDIT_CARD_NUMBER\"}],"
               "\"ruleSet\":[{\"infoTypes\":[{\"name\":"
               "\"CREDIT_CARD_NUMBER\"}],\"rules\":[{\"exclusionRule\":{"
               "\"dictionary\":{\"wordList\":{\"words\":"
               "[\"4111 1111 1111 1111\"]}},"
               "\"matchingType\":\"MATCHING_TYPE_FULL_MATCH\"}}]}]}",
               "4111 1111 1111 1111 and 5555 5555 5555 4444",
               "CREDIT_CARD_NUMBER VERY_LIKELY 24-43");
}

/* Exclusion by regex: full match drops only e-mails wholly matching
 * @example\.com$-style; partial drops any containing "test"; inverse drops
 * those NOT containing "corp". Text: "a@example.com b@test.io c@corp.io"
 *                                      0           13 14      23 24     33 */
static void test_exclusion_regex_kinds(void **state)
{
        const char *text = "a@example.com b@test.io c@corp.io";
        char cfg[1024];
#define fmt                                                                    \
        "{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"                       \
        "\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"          \
        "\"rules\":[{\"exclusionRule\":{\"regex\":{\"pattern\":\"%s\"},"       \
        "\"matchingType\":\"%s\"}}]}]}"

        snprintf(cfg, sizeof(cfg), fmt, ".+@example\\\\.com",
                 "MATCHING_TYPE_FULL_MATCH");
        EXPECT(cfg, text,
               "EMAIL_ADDRESS LIKELY 14-23; EMAIL_ADDRESS LIKELY 24-33");
        /* full match needs all of it: "example" alone does not */
        snprintf(cfg, sizeof(cfg), fmt, "example", "MATCHING_TYPE_FULL_MATCH");
        EXPECT(cfg, text,
               "EMAIL_ADDRESS LIKELY 0-13; EMAIL_ADDRESS LIKELY 14-23; "
               "EMAIL_ADDRESS LIKELY 24-33");
        snprintf(cfg, sizeof(cfg), fmt, "test", "MATCHING_TYPE_PARTIAL_MATCH");
        EXPECT(cfg, text,
               "EMAIL_ADDRESS LIKELY 0-13; EMAIL_ADDRESS LIKELY 24-33");
        snprintf(cfg, sizeof(cfg), fmt, "corp", "MATCHING_TYPE_INVERSE_MATCH");
        EXPECT(cfg, text, "EMAIL_ADDRESS LIKELY 24-33");
#undef fmt
}

/* excludeInfoTypes: an e-mail inside a custom URL-ish type is dropped when
 * the URL covers it; the URL itself stays. "https://h/u?m=a@b.co" 0-20,
 * e-mail 14-20. */
static void test_exclude_info_types(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
               "\"customInfoTypes\":[{\"infoType\":{\"name\":\"LINK\"},"
               "\"regex\":{\"pattern\":\"https://\\\\S+\"}}],"
               "\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
               "\"rules\":[{\"exclusionRule\":{\"excludeInfoTypes\":{"
               "\"infoTypes\":[{\"name\":\"LINK\"}]},"
               "\"matchingType\":\"MATCHING_TYPE_PARTIAL_MATCH\"}}]}]}",
               "https://h/u?m=a@b.co and x@y.org",
               "LINK VERY_LIKELY 0-20; EMAIL_ADDRESS LIKELY 25-32");
}

/* excludeByHotword: a card with "test" within 5 characters before is
 * dropped ("test 4111111111111111" 5-21); the other stays (26-42). */
static void test_exclude_by_hotword(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"CREDIT_CARD_NUMBER\"}],"
               "\"ruleSet\":[{\"infoTypes\":[{\"name\":"
               "\"CREDIT_CARD_NUMBER\"}],\"rules\":[{\"exclusionRule\":{"
               "\"excludeByHotword\":{\"hotwordRegex\":{\"pattern\":"
               "\"test\"},\"proximity\":{\"windowBefore\":5}}}}]}]}",
               "test 4111111111111111 and 5555555555554444",
               "CREDIT_CARD_NUMBER VERY_LIKELY 26-42");
}

/* An exclusion-only custom type is never reported but still excludes. */
static void test_exclusion_type_exclude(void **state)
{
        EXPECT("{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
               "\"customInfoTypes\":[{\"infoType\":{\"name\":\"BOTS\"},"
               "\"exclusionType\":\"EXCLUSION_TYPE_EXCLUDE\","
               "\"regex\":{\"pattern\":\"bot@[a-z.]+\"}}],"
               "\"ruleSet\":[{\"infoTypes\":[{\"name\":\"EMAIL_ADDRESS\"}],"
               "\"rules\":[{\"exclusionRule\":{\"excludeInfoTypes\":{"
               "\"infoTypes\":[{\"name\":\"BOTS\"}]}}}]}]}",
               "bot@corp.io me@corp.io", "EMAIL_ADDRESS LIKELY 12-22");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_builtins_named_only),
            cmocka_unit_test(test_custom_regex_runs),
            cmocka_unit_test(test_regex_group_index),
            cmocka_unit_test(test_dictionary),
            cmocka_unit_test(test_hotword_fixed),
            cmocka_unit_test(test_hotword_relative_and_min),
            cmocka_unit_test(test_min_likelihood_per_type),
            cmocka_unit_test(test_exclusion_dictionary_full),
            cmocka_unit_test(test_exclusion_regex_kinds),
            cmocka_unit_test(test_exclude_info_types),
            cmocka_unit_test(test_exclude_by_hotword),
            cmocka_unit_test(test_exclusion_type_exclude),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
