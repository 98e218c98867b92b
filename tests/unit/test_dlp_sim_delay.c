/* test_dlp_sim_delay.c - dlp-sim's per-request latency: constant, or
 * lognormal around the median. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "sim.h"

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

static void test_constant_without_sigma(void **state)
{
        char errstr[128];
        struct sim_delay *d = sim_delay_start(400, 0, errstr, sizeof(errstr));

        (void)state;
        assert_non_null(d);
        for (int i = 0; i < 100; i++)
                assert_int_equal(sim_delay_draw_us(d), 400000);
        sim_delay_stop(d);
        sim_delay_free(d);
}

/* With sigma 0.5 the median stays at the setting, the middle half lies
 * within exp(+-0.674 * 0.5) = 0.71..1.40 of it and about 5 % exceed
 * exp(1.645 * 0.5) = 2.28 times it. 20,001 draws put the sample quantiles
 * well inside the bounds below (their standard errors are under 1 %). */
static void test_lognormal_quantiles(void **state)
{
        enum { N = 20001 };
        char errstr[128];
        struct sim_delay *d = sim_delay_start(400, 0.5, errstr, sizeof(errstr));
        int64_t *v = malloc(N * sizeof(*v));
        int over = 0, differ = 0;

        (void)state;
        assert_non_null(d);
        assert_non_null(v);
        for (int i = 0; i < N; i++) {
                v[i] = sim_delay_draw_us(d);
                assert_true(v[i] > 0);
                if (v[i] > 2.28 * 400000)
                        over++;
                if (i && v[i] != v[i - 1])
                        differ++;
        }
        qsort(v, N, sizeof(*v), cmp_i64);
        assert_in_range(v[N / 2], 380000, 420000);
        assert_in_range(v[N / 4], 270000, 300000);     /* 0.71 x 400 ms */
        assert_in_range(v[3 * N / 4], 535000, 585000); /* 1.40 x 400 ms */
        assert_in_range(over, N * 4 / 100, N * 6 / 100);
        assert_true(differ > N / 2);
        free(v);
        sim_delay_stop(d);
        sim_delay_free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_constant_without_sigma),
            cmocka_unit_test(test_lognormal_quantiles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
