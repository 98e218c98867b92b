/* test_watermark.c - the reporter's commit point never passes a record that
 * is not finished, whatever order records finish in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "watermark.h"

static void test_in_order(void **state)
{
        struct watermark *w = watermark_new();

        for (int64_t o = 10; o < 13; o++)
                watermark_add(w, o);
        assert_int_equal(watermark_commit_point(w), -1);
        watermark_done(w, 10);
        assert_int_equal(watermark_commit_point(w), 11);
        assert_int_equal(watermark_commit_point(w), -1); /* nothing new */
        watermark_done(w, 11);
        watermark_done(w, 12);
        assert_int_equal(watermark_commit_point(w), 13);
        assert_int_equal(watermark_pending(w), 0);
        watermark_free(w);
}

static void test_out_of_order_never_skips(void **state)
{
        struct watermark *w = watermark_new();

        for (int64_t o = 0; o < 5; o++)
                watermark_add(w, o);
        watermark_done(w, 3);
        watermark_done(w, 1);
        watermark_done(w, 4);
        assert_int_equal(watermark_commit_point(w), -1); /* 0 is slow */
        watermark_done(w, 0);
        assert_int_equal(watermark_commit_point(w), 2); /* 2 still open */
        watermark_done(w, 2);
        assert_int_equal(watermark_commit_point(w), 5);
        watermark_free(w);
}

static void test_gaps_in_offsets(void **state)
{
        struct watermark *w = watermark_new();

        watermark_add(w, 100);
        watermark_add(w, 104); /* e.g. a transaction marker between */
        watermark_add(w, 105);
        watermark_done(w, 104);
        assert_int_equal(watermark_commit_point(w), -1);
        watermark_done(w, 100);
        assert_int_equal(watermark_commit_point(w), 105);
        watermark_done(w, 105);
        assert_int_equal(watermark_commit_point(w), 106);
        watermark_free(w);
}

/* Random completion order over many records, with the ring growing and
 * wrapping: after each completion the commit point is exactly the first
 * unfinished offset. */
static void test_random_order(void **state)
{
        enum { N = 5000 };
        struct watermark *w = watermark_new();
        int *order = malloc(N * sizeof(*order));
        char *done = calloc(N, 1);
        int64_t expect = 0;

        srand(42);
        for (int i = 0; i < N; i++) {
                order[i] = i;
                watermark_add(w, i * 2); /* even offsets only */
        }
        for (int i = N - 1; i > 0; i--) {
                int j = rand() % (i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
        }
        for (int i = 0; i < N; i++) {
                int64_t cp;
                done[order[i]] = 1;
                watermark_done(w, order[i] * 2);
                while (expect < N && done[expect])
                        expect++;
                cp = watermark_commit_point(w);
                if (cp >= 0)
                        assert_int_equal(cp, (expect - 1) * 2 + 1);
                assert_true(watermark_pending(w) == (size_t)(N - expect));
        }
        free(order);
        free(done);
        watermark_free(w);
}

static void test_reset(void **state)
{
        struct watermark *w = watermark_new();

        watermark_add(w, 7);
        watermark_reset(w);
        assert_int_equal(watermark_pending(w), 0);
        assert_int_equal(watermark_commit_point(w), -1);
        watermark_add(w, 50);
        watermark_done(w, 50);
        assert_int_equal(watermark_commit_point(w), 51);
        watermark_free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_in_order),
            cmocka_unit_test(test_out_of_order_never_skips),
            cmocka_unit_test(test_gaps_in_offsets),
            cmocka_unit_test(test_random_order),
            cmocka_unit_test(test_reset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
