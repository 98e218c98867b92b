/* test_refill.c - when the refill thread wakes librdkafka's fetch: only
 * while the worker takes messages, and only for a queue that drains faster
 * than librdkafka 2.0's own look once a second would keep up with. One look
 * every 20 ms, as the inspector runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "refill.h"

#define LOOK_MS 20

/* Drains a full queue of \p full messages by \p per_look a look while the
 * worker takes them, librdkafka filling it again on its own once a second;
 * the look at which the first wake comes (0: none in \p looks). */
static int first_wake(size_t full, size_t per_look, int looks)
{
        struct dlp_refill_gauge g;
        unsigned long taken = 0;
        int64_t now = 5000;
        size_t len = full;

        dlp_refill_gauge_init(&g, taken, now);
        assert_false(dlp_refill_due(&g, len, taken, now)); /* full */
        for (int i = 1; i <= looks; i++) {
                now += LOOK_MS;
                len = len > per_look ? len - per_look : 0;
                if (i % (1000 / LOOK_MS) == 0)
                        len = full;
                taken += per_look;
                if (dlp_refill_due(&g, len, taken, now))
                        return i;
        }
        return 0;
}

/* R = 1,000: ~65,000 events/s drain a 10,000-message prefetch by 1,300 a
 * look; woken before it is half gone, not at once. */
static void test_fast_drain_is_woken(void **state)
{
        int at = first_wake(10000, 1300, 20);

        (void)state;
        assert_true(at >= 2);
        assert_true(at <= 4);
}

/* R = 10: ~1,000 events/s drain a 8,700-message prefetch by 20 a look: its
 * high mark follows it down, and librdkafka's own look once a second is
 * enough: never woken, over ten seconds. */
static void test_slow_drain_is_left_alone(void **state)
{
        (void)state;
        assert_int_equal(first_wake(8700, 20, 500), 0);
}

/* A worker that takes nothing (idle, or its batches full) is never woken
 * for, however low its queue; once it takes again, it is. */
static void test_only_while_taking(void **state)
{
        struct dlp_refill_gauge g;
        int64_t now = 1000;

        (void)state;
        dlp_refill_gauge_init(&g, 7, now);
        assert_false(dlp_refill_due(&g, 10000, 7, now));
        for (int i = 0; i < 100; i++) { /* drained, nothing taken since */
                now += LOOK_MS;
                assert_false(dlp_refill_due(&g, 0, 7, now));
        }
        now += LOOK_MS;
        assert_true(dlp_refill_due(&g, 0, 8, now)); /* taking again */
        /* a second without taking anything: no more */
        now += 999;
        assert_true(dlp_refill_due(&g, 0, 8, now));
        now += 1;
        assert_false(dlp_refill_due(&g, 0, 8, now));
}

/* A worker that has caught up takes each event as it comes: its queue
 * holds a few messages at a time, librdkafka is fetching already, and
 * nothing is woken, however often it takes. */
static void test_trickle_is_left_alone(void **state)
{
        struct dlp_refill_gauge g;
        int64_t now = 1000;
        unsigned long taken = 0;

        (void)state;
        dlp_refill_gauge_init(&g, taken, now);
        for (int i = 0; i < 500; i++) {
                now += LOOK_MS;
                taken += i % 3;
                assert_false(dlp_refill_due(&g, (size_t)(i % 5), taken, now));
        }
        /* a burst that filled the queue once makes it a queue to refill */
        now += LOOK_MS;
        assert_false(dlp_refill_due(&g, 5000, ++taken, now));
        now += LOOK_MS;
        assert_true(dlp_refill_due(&g, 0, ++taken, now));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fast_drain_is_woken),
            cmocka_unit_test(test_slow_drain_is_left_alone),
            cmocka_unit_test(test_only_while_taking),
            cmocka_unit_test(test_trickle_is_left_alone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
