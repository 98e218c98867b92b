/* test_dedupe.c - the collector's memory of recent event_ids: only events
 * Kafka confirmed are deduplicated, within a window and a bounded size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "dedupe.h"

static void test_pending_then_done(void **state)
{
        struct dedupe *d = dedupe_new(100, 600);

        assert_int_equal(dedupe_claim(d, "Ev1", 0), DEDUPE_NEW);
        assert_int_equal(dedupe_claim(d, "Ev1", 1), DEDUPE_PENDING);
        dedupe_finish(d, "Ev1", 1);
        assert_int_equal(dedupe_claim(d, "Ev1", 2), DEDUPE_DONE);
        assert_int_equal(dedupe_claim(d, "Ev2", 2), DEDUPE_NEW);
        dedupe_free(d);
}

/* peek tells without recording: the reporter's ledger asks whether a
 * removal succeeded without claiming anything */
static void test_peek_records_nothing(void **state)
{
        struct dedupe *d = dedupe_new(100, 600);

        assert_int_equal(dedupe_peek(d, "Ev1"), DEDUPE_NEW);
        assert_int_equal(dedupe_peek(d, "Ev1"), DEDUPE_NEW);
        assert_int_equal(dedupe_size(d), 0);
        assert_int_equal(dedupe_claim(d, "Ev1", 0), DEDUPE_NEW);
        assert_int_equal(dedupe_peek(d, "Ev1"), DEDUPE_PENDING);
        dedupe_finish(d, "Ev1", 1);
        assert_int_equal(dedupe_peek(d, "Ev1"), DEDUPE_DONE);
        dedupe_free(d);
}

static void test_failed_produce_is_forgotten(void **state)
{
        struct dedupe *d = dedupe_new(100, 600);

        assert_int_equal(dedupe_claim(d, "Ev1", 0), DEDUPE_NEW);
        dedupe_finish(d, "Ev1", 0); /* 503: Slack will retry */
        assert_int_equal(dedupe_claim(d, "Ev1", 3), DEDUPE_NEW);
        dedupe_finish(d, "Ev1", 1);
        /* the first claim's record expires, the second's entry stays */
        assert_int_equal(dedupe_claim(d, "Ev1", 600.5), DEDUPE_DONE);
        assert_int_equal(dedupe_claim(d, "Ev1", 603.5), DEDUPE_NEW);
        dedupe_free(d);
}

static void test_window(void **state)
{
        struct dedupe *d = dedupe_new(100, 600);

        dedupe_claim(d, "Ev1", 0);
        dedupe_finish(d, "Ev1", 1);
        assert_int_equal(dedupe_claim(d, "Ev1", 599), DEDUPE_DONE);
        assert_int_equal(dedupe_claim(d, "Ev1", 600.5), DEDUPE_NEW);
        assert_int_equal(dedupe_early_evictions(d), 0);
        dedupe_free(d);
}

static void test_capacity_evicts_oldest(void **state)
{
        struct dedupe *d = dedupe_new(4, 600);
        char id[16];

        for (int i = 0; i < 5; i++) {
                snprintf(id, sizeof(id), "Ev%d", i);
                assert_int_equal(dedupe_claim(d, id, i), DEDUPE_NEW);
                dedupe_finish(d, id, 1);
        }
        assert_true(dedupe_size(d) <= 4);
        assert_int_equal(dedupe_early_evictions(d), 1);
        assert_int_equal(dedupe_claim(d, "Ev4", 10), DEDUPE_DONE);
        assert_int_equal(dedupe_claim(d, "Ev0", 10), DEDUPE_NEW);
        dedupe_free(d);
}

/* Many ids in a crowded table, half forgotten again: every lookup still
 * finds exactly what is there (backward-shift deletion keeps probe runs
 * whole). */
static void test_crowded_table(void **state)
{
        struct dedupe *d = dedupe_new(50000, 1e9); /* no eviction here */
        char id[32];

        for (int i = 0; i < 20000; i++) {
                snprintf(id, sizeof(id), "EvX%d", i);
                assert_int_equal(dedupe_claim(d, id, 0), DEDUPE_NEW);
                dedupe_finish(d, id, i % 2);
        }
        assert_int_equal(dedupe_size(d), 10000);
        for (int i = 0; i < 20000; i++) {
                snprintf(id, sizeof(id), "EvX%d", i);
                assert_int_equal(dedupe_claim(d, id, 1),
                                 i % 2 ? DEDUPE_DONE : DEDUPE_NEW);
        }
        dedupe_free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pending_then_done),
            cmocka_unit_test(test_peek_records_nothing),
            cmocka_unit_test(test_failed_produce_is_forgotten),
            cmocka_unit_test(test_window),
            cmocka_unit_test(test_capacity_evicts_oldest),
            cmocka_unit_test(test_crowded_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
