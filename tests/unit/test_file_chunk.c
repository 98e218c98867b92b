/* test_file_chunk.c - cutting a text file into request-sized chunks
 * (file_chunk.h): chunks end on character boundaries and fit the budget,
 * a card number a cut splits is found exactly once (dlp-sim's real
 * detector runs on every chunk), and a finding maps back to its line and
 * byte in the file (a card on line 5000 of a 2 MiB CSV). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "err.h"
#include "file_chunk.h"
#include "gdlp.h"

#define CARD "4111 1111 1111 1111"

/* A finding, in file terms. */
struct hit {
        size_t start, end;
};

/* Runs the card detector on every chunk of text and keeps what each chunk
 * owns: what the inspector will do with the service's answers. Returns the
 * number of findings, the first ones in hits[]. */
static size_t detect_chunked(const char *text, size_t len, size_t budget,
                             size_t overlap, struct hit *hits, size_t max)
{
        struct file_chunks cs;
        size_t n = 0;

        assert_int_equal(file_chunk_plan(text, len, budget, overlap, NULL, &cs),
                         DLP_OK);
        for (size_t i = 0; i < cs.cnt; i++) {
                struct sim_matches m = {0};

                assert_int_equal(
                    sim_detect(text + cs.v[i].off, cs.v[i].len,
                               SIM_INFO_TYPE_BIT(SIM_CREDIT_CARD_NUMBER),
                               SIM_POSSIBLE, &m),
                    DLP_OK);
                for (size_t k = 0; k < m.cnt; k++) {
                        if (!file_chunk_owns(&cs.v[i], m.v[k].start))
                                continue;
                        if (n < max) {
                                hits[n].start = cs.v[i].off + m.v[k].start;
                                hits[n].end = cs.v[i].off + m.v[k].end;
                        }
                        n++;
                }
                sim_matches_free(&m);
        }
        file_chunks_free(&cs);
        return n;
}

static void test_bad_budgets_are_refused(void **state)
{
        struct file_chunks cs;

        (void)state;
        assert_int_equal(file_chunk_plan("abc", 3, 7, 0, NULL, &cs),
                         DLP_ERR_INVALID);
        assert_int_equal(file_chunk_plan("abc", 3, 100, 47, NULL, &cs),
                         DLP_ERR_INVALID);
        assert_int_equal(file_chunk_plan("", 0, 100, 10, NULL, &cs), DLP_OK);
        assert_int_equal(cs.cnt, 0);
        assert_int_equal(file_chunk_plan("short", 5, 100, 10, NULL, &cs),
                         DLP_OK);
        assert_int_equal(cs.cnt, 1);
        assert_int_equal(cs.v[0].len, 5);
        file_chunks_free(&cs);
}

/* Text of 2-, 3- and 4-byte characters: with any budget, every chunk fits,
 * starts and ends on a character, chunks overlap by at least the overlap
 * asked, and the owned ranges tile the file. */
static void test_chunks_fit_and_cut_at_characters(void **state)
{
        static const char *const pieces[] = {"é", "€", "😀", "a", "\n"};
        char text[6000];
        size_t len = 0;

        (void)state;
        for (unsigned i = 0; len + 4 < sizeof(text); i = i * 7 + 3) {
                const char *p = pieces[i % 5];

                memcpy(text + len, p, strlen(p));
                len += strlen(p);
        }
        for (size_t budget = 8; budget < 300; budget += 7) {
                size_t overlap = (budget - 8) / 2;
                struct file_chunks cs;

                assert_int_equal(
                    file_chunk_plan(text, len, budget, overlap, NULL, &cs),
                    DLP_OK);
                assert_true(cs.cnt >= 1);
                assert_int_equal(cs.v[0].off, 0);
                assert_int_equal(cs.v[0].own_lo, 0);
                assert_int_equal(cs.v[cs.cnt - 1].off + cs.v[cs.cnt - 1].len,
                                 len);
                assert_int_equal(cs.v[cs.cnt - 1].own_hi, len);
                for (size_t i = 0; i < cs.cnt; i++) {
                        const struct file_chunk *c = &cs.v[i];

                        assert_true(c->len <= budget);
                        assert_true(c->len > 0);
                        assert_true(((unsigned char)text[c->off] & 0xC0) !=
                                    0x80);
                        assert_true(c->off + c->len == len ||
                                    ((unsigned char)text[c->off + c->len] &
                                     0xC0) != 0x80);
                        assert_true(c->own_lo >= c->off);
                        assert_true(c->own_hi <= c->off + c->len);
                        if (i > 0) {
                                const struct file_chunk *p = &cs.v[i - 1];

                                assert_true(c->off > p->off);
                                assert_true(p->off + p->len >=
                                            c->off + overlap);
                                assert_int_equal(c->own_lo, p->own_hi);
                        }
                }
                file_chunks_free(&cs);
        }
}

/* The card moved across the first cut one byte at a time: found once,
 * whole, wherever the cut falls. Without an overlap the same cuts lose
 * it, which is what the overlap is for. */
static void test_card_split_across_chunks_found_once(void **state)
{
        const size_t budget = 100, overlap = 46;
        char text[400];
        struct hit hits[4];
        int lost_without_overlap = 0;

        (void)state;
        for (size_t at = budget - strlen(CARD) - 4; at <= budget + 4; at++) {
                memset(text, 'x', sizeof(text));
                for (size_t i = 0; i < sizeof(text); i += 10)
                        text[i] = ' ';
                text[at - 1] = ' ';
                memcpy(text + at, CARD, strlen(CARD));
                text[at + strlen(CARD)] = ' ';
                assert_int_equal(detect_chunked(text, sizeof(text), budget,
                                                overlap, hits, 4),
                                 1);
                assert_int_equal(hits[0].start, at);
                assert_int_equal(hits[0].end, at + strlen(CARD));
                if (detect_chunked(text, sizeof(text), budget, 0, hits, 4) == 0)
                        lost_without_overlap++;
        }
        assert_true(lost_without_overlap > 0);
}

/* A 2 MiB CSV with names in several scripts, one card on line 5000: one
 * finding, on line 5000, at the byte where the card sits. */
static void test_card_on_line_5000_of_a_large_csv(void **state)
{
        const size_t want = 2 * 1024 * 1024;
        char *csv = malloc(want + 256);
        size_t len = 0, line = 0, card_off = 0, card_col = 0;
        struct file_chunks cs;
        struct file_lines lines;
        struct hit hits[4];
        size_t found = 0;

        (void)state;
        assert_non_null(csv);
        len += (size_t)sprintf(csv, "id,name,note\n");
        line = 1;
        while (len < want) {
                line++;
                len +=
                    (size_t)sprintf(csv + len, "%zu,Zoë Ångström 山田,", line);
                if (line == 5000) {
                        card_off = len;
                        card_col = len - (size_t)(strrchr(csv, '\n') - csv);
                        len += (size_t)sprintf(csv + len, "card " CARD);
                } else
                        len += (size_t)sprintf(csv + len, "order %zu shipped",
                                               line * 7);
                csv[len++] = '\n';
        }
        assert_int_equal(detect_chunked(csv, len, 50000, 256, hits, 4), 1);
        assert_int_equal(hits[0].start, card_off + strlen("card "));

        /* the same, mapped to lines through the chunk that found it */
        assert_int_equal(file_chunk_plan(csv, len, 50000, 256, NULL, &cs),
                         DLP_OK);
        assert_true(cs.cnt > 40);
        assert_int_equal(file_lines_index(csv, len, &lines), DLP_OK);
        for (size_t i = 0; i < cs.cnt; i++) {
                const char *s = csv + cs.v[i].off;
                const char *c = memmem(s, cs.v[i].len, CARD, strlen(CARD));
                struct file_pos pos;

                if (!c || !file_chunk_owns(&cs.v[i], (size_t)(c - s)))
                        continue;
                pos = file_chunk_locate(&lines, &cs.v[i], (size_t)(c - s));
                assert_int_equal(pos.line, 5000);
                assert_int_equal(pos.offset, card_off + strlen("card "));
                assert_int_equal(pos.column, card_col + strlen("card "));
                found++;
        }
        assert_int_equal(found, 1);
        file_lines_free(&lines);
        file_chunks_free(&cs);
        free(csv);
}

/* Lines and columns from the checkpointed index agree with counting from
 * the start, at every offset, across checkpoints, on a long line, and on
 * a text of nothing but newlines (whose index once took 8 bytes a line). */
static void test_lines_match_counting(void **state)
{
        size_t len = 3 * FILE_LINES_STEP + 700;
        char *text = malloc(len);
        struct file_lines l;
        size_t line = 1, col = 1;
        uint32_t x = 12345;

        (void)state;
        assert_non_null(text);
        for (size_t i = 0; i < len; i++) {
                x = x * 1103515245u + 12345u;
                /* a long line across the first checkpoint, then short ones */
                text[i] = i > 5000 && (x >> 16) % 7 == 0 ? '\n' : 'a';
        }
        text[FILE_LINES_STEP * 2] = '\n';
        text[FILE_LINES_STEP * 2 - 1] = '\n';
        assert_int_equal(file_lines_index(text, len, &l), DLP_OK);
        for (size_t i = 0; i < len; i++) {
                struct file_chunk whole = {0, len, 0, len};
                struct file_pos p = file_chunk_locate(&l, &whole, i);

                assert_int_equal(p.offset, i);
                assert_int_equal(p.line, line);
                assert_int_equal(p.column, col);
                if (text[i] == '\n')
                        line++, col = 1;
                else
                        col++;
        }
        assert_int_equal(l.cnt, line);
        file_lines_free(&l);
        memset(text, '\n', len);
        assert_int_equal(file_lines_index(text, len, &l), DLP_OK);
        assert_int_equal(l.cnt, len + 1);
        {
                struct file_chunk whole = {0, len, 0, len};
                struct file_pos p = file_chunk_locate(&l, &whole, len - 1);

                assert_int_equal(p.line, len);
                assert_int_equal(p.column, 1);
        }
        file_lines_free(&l);
        free(text);
}

static void test_lines(void **state)
{
        static const char text[] = "a\nbc\n\nd";
        struct file_lines l;
        struct file_chunk whole = {0, sizeof(text) - 1, 0, sizeof(text) - 1};
        struct file_chunk tail = {3, 4, 3, 7};
        struct file_pos p;

        (void)state;
        assert_int_equal(file_lines_index(text, sizeof(text) - 1, &l), DLP_OK);
        assert_int_equal(l.cnt, 4);
        p = file_chunk_locate(&l, &whole, 0);
        assert_int_equal(p.line, 1);
        assert_int_equal(p.column, 1);
        p = file_chunk_locate(&l, &whole, 1); /* the '\n' ends line 1 */
        assert_int_equal(p.line, 1);
        assert_int_equal(p.column, 2);
        p = file_chunk_locate(&l, &tail, 0); /* 'c' */
        assert_int_equal(p.offset, 3);
        assert_int_equal(p.line, 2);
        assert_int_equal(p.column, 2);
        p = file_chunk_locate(&l, &tail, 3); /* 'd' */
        assert_int_equal(p.line, 4);
        assert_int_equal(p.column, 1);
        file_lines_free(&l);
        assert_int_equal(file_lines_index("", 0, &l), DLP_OK);
        assert_int_equal(l.cnt, 1);
        file_lines_free(&l);
}

/* With a cost (a request's JSON escaping, as for message texts and text
 * files in batches): every chunk's escaped size fits the budget, even
 * where characters cost six bytes each, and the chunks still tile the text
 * with overlaps, so the card a cut splits is found once. */
static void test_escaped_cost_fits_the_budget(void **state)
{
        char text[9000];
        size_t len = 0;
        struct file_chunks cs;

        (void)state;
        while (len + 40 < sizeof(text)) {
                /* quotes and newlines cost 2, control characters 6 */
                static const char piece[] = "ab\"c\n\x01\x02 d\\e\t\xc3\xa9"
                                            "fgh";
                memcpy(text + len, piece, sizeof(piece) - 1);
                len += sizeof(piece) - 1;
        }
        memcpy(text + 4000, CARD, strlen(CARD));
        for (size_t budget = 600; budget < 1400; budget += 97) {
                assert_int_equal(file_chunk_plan(text, len, budget, 256,
                                                 gdlp_escaped_len, &cs),
                                 DLP_OK);
                assert_int_equal(cs.v[0].own_lo, 0);
                assert_int_equal(cs.v[cs.cnt - 1].off + cs.v[cs.cnt - 1].len,
                                 len);
                for (size_t i = 0; i < cs.cnt; i++) {
                        assert_true(gdlp_escaped_len(text + cs.v[i].off,
                                                     cs.v[i].len) <= budget);
                        if (i > 0) {
                                assert_int_equal(cs.v[i].own_lo,
                                                 cs.v[i - 1].own_hi);
                                assert_true(cs.v[i].off > cs.v[i - 1].off);
                        }
                }
                file_chunks_free(&cs);
        }
        /* one character costing more than the budget: refused */
        assert_int_equal(
            file_chunk_plan("\x01\x01", 2, 5, 0, gdlp_escaped_len, &cs),
            DLP_ERR_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_escaped_cost_fits_the_budget),
            cmocka_unit_test(test_bad_budgets_are_refused),
            cmocka_unit_test(test_chunks_fit_and_cut_at_characters),
            cmocka_unit_test(test_card_split_across_chunks_found_once),
            cmocka_unit_test(test_card_on_line_5000_of_a_large_csv),
            cmocka_unit_test(test_lines),
            cmocka_unit_test(test_lines_match_counting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
