/* test_dlp_sim_stats.c - dlp-sim's strict limiter counts arrivals in the
 * order they reached the host, even when its threads admit them in
 * another order (DESIGN §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "sim.h"

/* inspect.c's, which the counters name byte items by (not tested here) */
const char *sim_byte_type_name(enum sim_byte_type t)
{
        (void)t;
        return "?";
}

static int64_t fake_now;
static int64_t fake_clock(void)
{
        return fake_now;
}

#define MS 1000LL

static int admit(struct sim_stats *st, int64_t arrival_ms, int64_t clock_ms)
{
        struct sim_admission adm;

        fake_now = clock_ms * MS;
        sim_stats_admit_at(st, arrival_ms * MS, &adm);
        return adm.admitted;
}

static uint64_t stat(struct sim_stats *st, const char *key)
{
        json_t *j = sim_stats_json(st);
        uint64_t v = (uint64_t)json_integer_value(json_object_get(j, key));

        json_decref(j);
        return v;
}

/* In order: fewer than R in (t - 1 s, t]. */
static void test_in_order(void **state)
{
        struct sim_stats *st = sim_stats_new(3, 100, 0);

        sim_stats_set_clock(st, fake_clock);
        assert_true(admit(st, 10000, 10000));
        assert_true(admit(st, 10100, 10100));
        assert_true(admit(st, 10200, 10200));
        assert_false(admit(st, 10500, 10500)); /* a fourth in 1 s */
        assert_true(admit(st, 11000, 11000));  /* 10000 left (t-1s, t] */
        assert_false(admit(st, 11050, 11050)); /* 10100 is still in it */
        assert_int_equal(stat(st, "max_requests_in_any_1s_window"), 3);
        sim_stats_free(st);
}

/* A request whose thread was slow is admitted after a later arrival: it
 * counts where it arrived. Counted at the later stamp (as dlp-sim once
 * did), the next request a full second after it would be refused. */
static void test_out_of_order(void **state)
{
        struct sim_stats *st = sim_stats_new(2, 100, 0);

        sim_stats_set_clock(st, fake_clock);
        assert_true(admit(st, 20500, 20500)); /* B, prompt */
        assert_true(admit(st, 20000, 20600)); /* A, its thread 600 ms late */
        assert_true(admit(st, 21020, 21020)); /* 1.02 s after A */
        /* 3 within 1 s around the late one: refused */
        assert_false(admit(st, 21400, 21400));
        assert_int_equal(stat(st, "max_requests_in_any_1s_window"), 2);
        sim_stats_free(st);
}

/* Out of order the other way: an arrival that would make R + 1 within a
 * second together with later ones is refused. */
static void test_out_of_order_refused(void **state)
{
        struct sim_stats *st = sim_stats_new(2, 100, 0);

        sim_stats_set_clock(st, fake_clock);
        assert_true(admit(st, 30000, 30000));
        assert_true(admit(st, 30900, 30900));
        assert_false(admit(st, 30500, 31000)); /* 30000, 30500, 30900 */
        assert_int_equal(stat(st, "max_requests_in_any_1s_window"), 2);
        assert_int_equal(stat(st, "max_offered_in_any_1s_window"), 3);
        sim_stats_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_in_order),
            cmocka_unit_test(test_out_of_order),
            cmocka_unit_test(test_out_of_order_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
