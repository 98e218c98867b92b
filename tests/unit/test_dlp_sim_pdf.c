/* test_dlp_sim_pdf.c - dlp-sim's text of a PDF (pdf.c, poppler): an SSN on
 * page 2 is in the text after the page break and the detectors find it; a
 * PDF without one gives nothing; what poppler cannot read is refused. The
 * PDFs in tests/fixtures/files/ are written by tests/tools/make_pdf.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "err.h"
#include "sim.h"
#include "util.h"

static unsigned char *load(const char *name, size_t *len)
{
        char path[512], errstr[256];
        char *data;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
        data = dlp_read_file(path, len, errstr, sizeof(errstr));
        assert_non_null(data);
        return (unsigned char *)data;
}

/* The PDF's text and its SSN matches; the caller frees both. */
static char *text_of(const char *name, size_t *tlen, int *pages,
                     struct sim_matches *m)
{
        size_t len;
        unsigned char *pdf = load(name, &len);
        char *text = NULL, errstr[256];

        assert_int_equal(sim_pdf_text(pdf, len, 1 << 20, &text, tlen, pages,
                                      errstr, sizeof(errstr)),
                         DLP_OK);
        free(pdf);
        assert_int_equal(strlen(text), *tlen);
        assert_int_equal(
            sim_detect(text, *tlen,
                       SIM_INFO_TYPE_BIT(SIM_US_SOCIAL_SECURITY_NUMBER),
                       SIM_POSSIBLE, m),
            DLP_OK);
        return text;
}

static void test_ssn_on_page_two(void **state)
{
        struct sim_matches m = {0};
        size_t tlen;
        int pages;
        char *text = text_of("ssn-page2.pdf", &tlen, &pages, &m);
        const char *brk = strchr(text, '\f');

        (void)state;
        assert_int_equal(pages, 2);
        assert_non_null(brk); /* the page break, once */
        assert_null(strchr(brk + 1, '\f'));
        assert_non_null(strstr(text, "Quarterly report"));
        assert_int_equal(m.cnt, 1);
        assert_true(text + m.v[0].start > brk); /* on page 2 */
        assert_memory_equal(text + m.v[0].start, "838-35-4680", 11);
        assert_int_equal(m.v[0].end - m.v[0].start, 11);
        sim_matches_free(&m);
        free(text);
}

static void test_clean_pdf_has_none(void **state)
{
        struct sim_matches m = {0};
        size_t tlen;
        int pages;
        char *text = text_of("clean.pdf", &tlen, &pages, &m);

        (void)state;
        assert_int_equal(pages, 2);
        assert_non_null(strstr(text, "Still nothing sensitive here."));
        assert_int_equal(m.cnt, 0);
        sim_matches_free(&m);
        free(text);
}

static void test_refused(void **state)
{
        static const unsigned char junk[] = "%PDF-1.4\nnot really\n";
        size_t len;
        unsigned char *pdf = load("ssn-page2.pdf", &len);
        char *text = (char *)"untouched", errstr[256] = "";
        size_t tlen = 1;
        int pages = 1;

        (void)state;
        assert_int_equal(sim_pdf_text(junk, sizeof(junk) - 1, 1 << 20, &text,
                                      &tlen, &pages, errstr, sizeof(errstr)),
                         DLP_ERR_INVALID);
        assert_null(text);
        assert_true(strlen(errstr) > 0);
        /* more text than allowed: refused, not cut */
        assert_int_equal(sim_pdf_text(pdf, len, 16, &text, &tlen, &pages,
                                      errstr, sizeof(errstr)),
                         DLP_ERR_TOOBIG);
        assert_null(text);
        assert_non_null(strstr(errstr, "exceeds 16 bytes"));
        free(pdf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ssn_on_page_two),
            cmocka_unit_test(test_clean_pdf_has_none),
            cmocka_unit_test(test_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
