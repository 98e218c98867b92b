/* test_pace.c - slot ownership arithmetic: the fleet never starts more
 * than R requests in any one-second window. (The retry schedule is util.h's,
 * tested in test_util.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "pace.h"

static void test_slot_length_and_owner(void **state)
{
        struct pace p;

        pace_init(&p, 10, 0.97);
        assert_true(fabs(p.slot_len - 1.0 / 9.7) < 1e-12);
        pace_set_partitions(&p, 12);
        assert_int_equal(pace_slot_at(&p, 0.0), 0);
        assert_int_equal(pace_slot_at(&p, p.slot_len * 5 + 1e-9), 5);
        assert_int_equal(pace_slot_owner(&p, 5), 5);
        assert_int_equal(pace_slot_owner(&p, 12), 0);
        assert_int_equal(pace_slot_owner(&p, 12 * 1000 + 7), 7);
}

static void test_next_owned(void **state)
{
        struct pace p;

        pace_init(&p, 10, 0.97);
        pace_set_partitions(&p, 12);
        assert_int_equal(pace_next_owned(&p, 100), -1); /* owns nothing */
        pace_own(&p, 3, 1);
        pace_own(&p, 7, 1);
        assert_int_equal(pace_next_owned(&p, 96), 99);   /* 99 % 12 == 3 */
        assert_int_equal(pace_next_owned(&p, 100), 103); /* 103 % 12 == 7 */
        assert_int_equal(pace_next_owned(&p, 104), 111);
        /* a used slot is never offered again */
        pace_mark_used(&p, 111);
        assert_int_equal(pace_next_owned(&p, 104), 115);
        /* shrinking the topic forgets partitions that no longer exist */
        pace_set_partitions(&p, 6);
        assert_int_equal(pace_next_owned(&p, 120), 123); /* 123 % 6 == 3 */
}

static void test_may_start_window(void **state)
{
        struct pace p;
        double start;

        pace_init(&p, 10, 0.97);
        pace_set_partitions(&p, 12);
        pace_own(&p, 0, 1);
        start = pace_slot_start(&p, 1200);
        assert_false(pace_may_start(&p, 1200, start - 0.001)); /* early */
        assert_true(pace_may_start(&p, 1200, start));
        assert_true(pace_may_start(&p, 1200, start + p.late * 0.9));
        assert_false(pace_may_start(&p, 1200, start + p.late)); /* late */
        assert_false(pace_may_start(&p, 1201, pace_slot_start(&p, 1201)));
        pace_mark_used(&p, 1200);
        assert_false(pace_may_start(&p, 1200, start)); /* used */
}

/* At a high R a tenth of a slot is less than a busy host's wake-up
 * delay: the window is PACE_MIN_LATE there, still under half the slack. */
static void test_late_floor(void **state)
{
        struct pace p;

        pace_init(&p, 10, 0.97);
        assert_true(fabs(p.late - p.slot_len * 0.1) < 1e-12);
        pace_init(&p, 1000, 0.97);
        assert_true(fabs(p.late - PACE_MIN_LATE) < 1e-12);
        assert_true(p.late < (1 / 0.97 - 1) / 2);
        pace_init(&p, 1000, 0.999); /* little slack: half of it */
        assert_true(fabs(p.late - (1 / 0.999 - 1) / 2) < 1e-12);
}

/* After a late wake-up, the earliest owned slot whose window is still open
 * is used; used, foreign or closed slots never are. */
static void test_current_slot(void **state)
{
        struct pace p;
        double t;

        pace_init(&p, 1000, 0.97); /* L ~ 1.03 ms, late 5 ms */
        pace_set_partitions(&p, 12);
        for (int i = 0; i < 12; i++)
                pace_own(&p, i, i != 5);
        t = pace_slot_start(&p, 12000) + 0.0035; /* open: 11999-12003 */
        assert_int_equal(pace_current(&p, t), 11999);
        pace_mark_used(&p, 11999);
        assert_int_equal(pace_current(&p, t), 12000);
        pace_mark_used(&p, 12000);
        assert_int_equal(pace_current(&p, t), 12001);
        pace_mark_used(&p, 12001);
        pace_mark_used(&p, 12002);
        assert_int_equal(pace_current(&p, t), 12003);
        pace_mark_used(&p, 12003);
        assert_int_equal(pace_current(&p, t), -1); /* 12004 not started */
        /* 12005 is partition 5's: not ours */
        pace_mark_used(&p, 12004);
        assert_int_equal(pace_current(&p, pace_slot_start(&p, 12005) + 1e-5),
                         -1);
        /* a slot whose window closed is never offered */
        assert_int_equal(pace_current(&p, pace_slot_start(&p, 12006) + 0.006),
                         12007);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Several inspectors with disjoint partitions, each starting in every slot
 * it owns, as late as allowed: any one-second window holds at most R. */
static void test_fleet_never_exceeds_rate(void **state)
{
        const int rates[] = {1, 10, 50, 1000};

        for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
                struct pace fleet[5];
                double starts[20000];
                size_t n = 0;
                int P = 12;

                for (int i = 0; i < 5; i++) {
                        pace_init(&fleet[i], rates[r], 0.97);
                        pace_set_partitions(&fleet[i], P);
                }
                for (int part = 0; part < P; part++) /* 3,3,2,2,2 */
                        pace_own(&fleet[part % 5], part, 1);
                long long first = pace_slot_at(&fleet[0], 1.7e9);
                for (long long s = first; n < 20000 && s < first + 5000; s++)
                        for (int i = 0; i < 5; i++) {
                                /* alternately as late and as early as
                                 * allowed: the tightest spacing */
                                double late =
                                    pace_slot_start(&fleet[i], s) +
                                    (s % 2 ? fleet[i].late * 0.999 : 0);
                                if (pace_may_start(&fleet[i], s, late)) {
                                        pace_mark_used(&fleet[i], s);
                                        starts[n++] = late;
                                }
                        }
                assert_true(n > 1000);
                /* a window longer than a slot (high R) reorders starts */
                qsort(starts, n, sizeof(starts[0]), cmp_double);
                /* one start per slot: exactly */
                size_t j = 0;
                int worst = 0;
                for (size_t i = 0; i < n; i++) {
                        while (starts[i] - starts[j] >= 1.0)
                                j++;
                        if ((int)(i - j + 1) > worst)
                                worst = (int)(i - j + 1);
                }
                assert_true(worst <= rates[r]);
                assert_true(worst >= (int)(rates[r] * 0.97) - 1);
        }
}

/* A slot computed from a time at infinity stays defined (a Retry-After
 * of inf once reached it). */
static void test_slot_at_infinity(void **state)
{
        struct pace p;

        pace_init(&p, 10, 0.97);
        pace_set_partitions(&p, 12);
        assert_true(pace_slot_at(&p, INFINITY) > pace_slot_at(&p, 4e9));
        assert_true(pace_slot_at(&p, -INFINITY) < 0);
        assert_true(pace_slot_at(&p, NAN) > pace_slot_at(&p, 4e9));
}

/* The prefetch follows the rate within its bounds; a setting wins. */
static void test_prefetch(void **state)
{
        assert_int_equal(pace_prefetch_kbytes(0, 10), 4096);
        assert_int_equal(pace_prefetch_kbytes(0, 500), 4096);
        assert_int_equal(pace_prefetch_kbytes(0, 1000), 8000);
        assert_int_equal(pace_prefetch_kbytes(0, 3000), 24000);
        assert_int_equal(pace_prefetch_kbytes(0, 1e6), 32768);
        assert_int_equal(pace_prefetch_kbytes(0, NAN), 4096);
        assert_int_equal(pace_prefetch_kbytes(1024, 1000), 1024);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_slot_length_and_owner),
            cmocka_unit_test(test_next_owned),
            cmocka_unit_test(test_may_start_window),
            cmocka_unit_test(test_late_floor),
            cmocka_unit_test(test_current_slot),
            cmocka_unit_test(test_fleet_never_exceeds_rate),
            cmocka_unit_test(test_slot_at_infinity),
            cmocka_unit_test(test_prefetch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
