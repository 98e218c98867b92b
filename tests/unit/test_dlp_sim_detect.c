/* test_dlp_sim_detect.c - what dlp-sim's detectors find, and where. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "detect.h"
#include "err.h"

/* Runs every detector at POSSIBLE over \p text; the caller frees. */
static struct sim_matches scan(const char *text)
{
        struct sim_matches m = {0};

        assert_int_equal(sim_detect(text, strlen(text), SIM_INFO_TYPES_ALL,
                                    SIM_POSSIBLE, &m),
                         DLP_OK);
        return m;
}

/* \p text holds exactly one match, of \p type, covering \p quote. */
static void assert_one(const char *text, enum sim_info_type type,
                       const char *quote)
{
        struct sim_matches m = scan(text);
        const char *at = strstr(text, quote);

        assert_non_null(at);
        assert_int_equal(m.cnt, 1);
        assert_string_equal(sim_info_type_name(m.v[0].type),
                            sim_info_type_name(type));
        assert_int_equal(m.v[0].start, (size_t)(at - text));
        assert_int_equal(m.v[0].end, (size_t)(at - text) + strlen(quote));
        sim_matches_free(&m);
}

static void assert_none(const char *text)
{
        struct sim_matches m = scan(text);

        if (m.cnt)
                fail_msg("'%s': unexpected %s at [%zu, %zu)", text,
                         sim_info_type_name(m.v[0].type), m.v[0].start,
                         m.v[0].end);
        sim_matches_free(&m);
}

static void test_luhn(void **state)
{
        assert_true(sim_luhn_valid("4111111111111111", 16));
        assert_true(sim_luhn_valid("79927398713", 11));
        assert_true(sim_luhn_valid("378282246310005", 15));
        assert_false(sim_luhn_valid("4111111111111112", 16));
        assert_false(sim_luhn_valid("1234567812345678", 16));
        assert_false(sim_luhn_valid("41111x1111111111", 16));
        assert_false(sim_luhn_valid("", 0));
}

static void test_card_plain_is_very_likely(void **state)
{
        struct sim_matches m = scan("card 4111111111111111 exp 12/29");

        assert_int_equal(m.cnt, 1);
        assert_int_equal(m.v[0].type, SIM_CREDIT_CARD_NUMBER);
        assert_int_equal(m.v[0].likelihood, SIM_VERY_LIKELY);
        assert_int_equal(m.v[0].start, 5);
        assert_int_equal(m.v[0].end, 21);
        sim_matches_free(&m);
}

static void test_card_spaced_and_dashed(void **state)
{
        assert_one("4111 1111 1111 1111", SIM_CREDIT_CARD_NUMBER,
                   "4111 1111 1111 1111");
        assert_one("pay with 5500-0000-0000-0004 today", SIM_CREDIT_CARD_NUMBER,
                   "5500-0000-0000-0004");
        /* Amex grouping 4-6-5 */
        assert_one("amex 3782 822463 10005.", SIM_CREDIT_CARD_NUMBER,
                   "3782 822463 10005");
        /* a trailing group that would break Luhn is not swallowed */
        assert_one("4111 1111 1111 1111 0", SIM_CREDIT_CARD_NUMBER,
                   "4111 1111 1111 1111");
}

static void test_card_separators_are_single_and_one_kind(void **state)
{
        assert_none("4111  1111  1111  1111"); /* double spaces */
        assert_none("4111 1111-1111 1111");    /* mixed separators */
        assert_none("4111--1111--1111--1111");
}

static void test_card_not_luhn_order_number(void **state)
{
        /* 16 digits that look like a card but fail Luhn */
        assert_none("order 1234567812345678 shipped");
        assert_none("4111111111111112");
}

static void test_card_not_inside_longer_digit_run(void **state)
{
        /* each holds the valid 4111111111111111, inside a longer run */
        assert_none("ref 941111111111111111");
        assert_none("41111111111111119");
        assert_none("id=00004111111111111111");
        assert_none("41111111111111114111111111111111");
}

static void test_card_leading_zero_and_lengths(void **state)
{
        assert_none("0000 0000 0000 0000"); /* Luhn-valid, never a card */
        assert_none("411111111111");        /* 12 digits */
        assert_one("6011111111111117", SIM_CREDIT_CARD_NUMBER,
                   "6011111111111117");
}

static void test_ssn_valid_is_likely(void **state)
{
        struct sim_matches m = scan("my ssn is 123-45-6789.");

        assert_int_equal(m.cnt, 1);
        assert_int_equal(m.v[0].type, SIM_US_SOCIAL_SECURITY_NUMBER);
        assert_int_equal(m.v[0].likelihood, SIM_LIKELY);
        assert_int_equal(m.v[0].start, 10);
        assert_int_equal(m.v[0].end, 21);
        sim_matches_free(&m);
        assert_one("(078-05-1121)", SIM_US_SOCIAL_SECURITY_NUMBER,
                   "078-05-1121");
        assert_one("899-99-9999", SIM_US_SOCIAL_SECURITY_NUMBER, "899-99-9999");
}

static void test_ssn_never_issued_numbers(void **state)
{
        assert_none("000-12-3456"); /* area 000 */
        assert_none("666-12-3456"); /* area 666 */
        assert_none("900-12-3456"); /* area 9xx */
        assert_none("999-12-3456");
        assert_none("123-00-4567"); /* group 00 */
        assert_none("123-45-0000"); /* serial 0000 */
}

static void test_ssn_word_boundaries(void **state)
{
        assert_none("a123-45-6789");
        assert_none("123-45-6789b");
        assert_none("1123-45-6789");
        assert_none("123-45-67890");
        assert_none("1-123-45-6789"); /* glued to more digits */
        assert_none("123-45-6789-1");
        assert_none("123456789"); /* only the dashed form */
        assert_one("ssn:123-45-6789;", SIM_US_SOCIAL_SECURITY_NUMBER,
                   "123-45-6789");
}

static void test_email(void **state)
{
        struct sim_matches m;

        assert_one("write to jane.doe+dlp@example.co.uk, thanks",
                   SIM_EMAIL_ADDRESS, "jane.doe+dlp@example.co.uk");
        assert_one("mail a.b@corp.io.", SIM_EMAIL_ADDRESS, "a.b@corp.io");
        assert_none("user@localhost");
        assert_none("a@b.c");
        assert_none("@example.com");
        assert_none("x@-bad.com");
        /* Slack's mailto markup holds the address twice */
        m = scan("<mailto:bob@corp.io|bob@corp.io>");
        assert_int_equal(m.cnt, 2);
        assert_int_equal(m.v[0].type, SIM_EMAIL_ADDRESS);
        assert_int_equal(m.v[0].likelihood, SIM_LIKELY);
        assert_int_equal(m.v[0].start, 8);
        assert_int_equal(m.v[0].end, 19);
        assert_int_equal(m.v[1].start, 20);
        assert_int_equal(m.v[1].end, 31);
        sim_matches_free(&m);
}

static void test_aws_key(void **state)
{
        assert_one("aws_access_key_id=AKIAIOSFODNN7EXAMPLE\n",
                   SIM_AWS_CREDENTIALS, "AKIAIOSFODNN7EXAMPLE");
        assert_one("temp ASIAY34FZKBOKMUTVV7A ok", SIM_AWS_CREDENTIALS,
                   "ASIAY34FZKBOKMUTVV7A");
        assert_none("AKIAIOSFODNN7EXAMPL");   /* 15 after AKIA */
        assert_none("AKIAIOSFODNN7EXAMPLEX"); /* 17 after AKIA */
        assert_none("xAKIAIOSFODNN7EXAMPLE");
        assert_none("AKIAiosfodnn7example"); /* lower case */
}

static void test_offsets_after_multibyte_utf8(void **state)
{
        /* "café ☕ ": é is 2 bytes, ☕ is 3: the card starts at byte 10,
         * which is code point 7 */
        const char *text = "caf\xc3\xa9 \xe2\x98\x95 4111111111111111 \xc3\xa9";
        struct sim_matches m = scan(text);

        assert_int_equal(m.cnt, 1);
        assert_int_equal(m.v[0].start, 10);
        assert_int_equal(m.v[0].end, 26);
        assert_int_equal(sim_utf8_codepoints(text, m.v[0].start), 7);
        assert_int_equal(sim_utf8_codepoints(text, m.v[0].end), 23);
        sim_matches_free(&m);
        /* a multi-byte character is a word boundary, not a letter */
        assert_one("\xc3\xa9"
                   "123-45-6789",
                   SIM_US_SOCIAL_SECURITY_NUMBER, "123-45-6789");
}

static void test_sorted_by_position_across_types(void **state)
{
        struct sim_matches m =
            scan("ssn 123-45-6789, mail a@b.io, card 4111111111111111, "
                 "key AKIAIOSFODNN7EXAMPLE");

        assert_int_equal(m.cnt, 4);
        assert_int_equal(m.v[0].type, SIM_US_SOCIAL_SECURITY_NUMBER);
        assert_int_equal(m.v[1].type, SIM_EMAIL_ADDRESS);
        assert_int_equal(m.v[2].type, SIM_CREDIT_CARD_NUMBER);
        assert_int_equal(m.v[3].type, SIM_AWS_CREDENTIALS);
        for (size_t i = 1; i < m.cnt; i++)
                assert_true(m.v[i - 1].start < m.v[i].start);
        sim_matches_free(&m);
}

static void test_types_and_min_likelihood_filter(void **state)
{
        const char *text = "a@b.io 123-45-6789 4111111111111111";
        struct sim_matches m = {0};

        assert_int_equal(sim_detect(text, strlen(text),
                                    SIM_INFO_TYPE_BIT(SIM_EMAIL_ADDRESS),
                                    SIM_POSSIBLE, &m),
                         DLP_OK);
        assert_int_equal(m.cnt, 1);
        assert_int_equal(m.v[0].type, SIM_EMAIL_ADDRESS);
        m.cnt = 0;
        /* LIKELY findings (email, SSN) are below VERY_LIKELY */
        assert_int_equal(sim_detect(text, strlen(text), SIM_INFO_TYPES_ALL,
                                    SIM_VERY_LIKELY, &m),
                         DLP_OK);
        assert_int_equal(m.cnt, 1);
        assert_int_equal(m.v[0].type, SIM_CREDIT_CARD_NUMBER);
        sim_matches_free(&m);
}

static void test_names(void **state)
{
        enum sim_info_type t;
        enum sim_likelihood l;

        assert_int_equal(sim_info_type_parse("US_SOCIAL_SECURITY_NUMBER", &t),
                         DLP_OK);
        assert_int_equal(t, SIM_US_SOCIAL_SECURITY_NUMBER);
        assert_int_equal(sim_info_type_parse("PHONE_NUMBER", &t),
                         DLP_ERR_INVALID);
        assert_string_equal(sim_info_type_sensitivity(SIM_EMAIL_ADDRESS),
                            "SENSITIVITY_MODERATE");
        assert_int_equal(sim_likelihood_parse("LIKELY", &l), DLP_OK);
        assert_int_equal(l, SIM_LIKELY);
        assert_int_equal(sim_likelihood_parse("likely", &l), DLP_ERR_INVALID);
        assert_string_equal(sim_likelihood_name(SIM_VERY_LIKELY),
                            "VERY_LIKELY");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_luhn),
            cmocka_unit_test(test_card_plain_is_very_likely),
            cmocka_unit_test(test_card_spaced_and_dashed),
            cmocka_unit_test(test_card_separators_are_single_and_one_kind),
            cmocka_unit_test(test_card_not_luhn_order_number),
            cmocka_unit_test(test_card_not_inside_longer_digit_run),
            cmocka_unit_test(test_card_leading_zero_and_lengths),
            cmocka_unit_test(test_ssn_valid_is_likely),
            cmocka_unit_test(test_ssn_never_issued_numbers),
            cmocka_unit_test(test_ssn_word_boundaries),
            cmocka_unit_test(test_email),
            cmocka_unit_test(test_aws_key),
            cmocka_unit_test(test_offsets_after_multibyte_utf8),
            cmocka_unit_test(test_sorted_by_position_across_types),
            cmocka_unit_test(test_types_and_min_likelihood_filter),
            cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
