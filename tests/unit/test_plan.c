/* test_plan.c - a rejected batch is bisected until its poison rows stand
 * alone; only they are killed, everything else is inspected, at a bounded
 * cost in requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "err.h"
#include "plan.h"
#include "gdlp.h"
#include "oom.h"

#include "gdlp_fixture.h"

static void fill(struct batch *b, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char text[32];
                snprintf(text, sizeof(text), "message %zu", i);
                assert_int_equal(
                    batch_add(b, NULL, json_pack("{s:s}", "text", text)),
                    DLP_OK);
        }
}

/* Plays the service: a range is rejected iff it holds a poison row. */
static size_t run(struct batch *b, const int *poison, size_t *inspected)
{
        struct plan p = {0};
        size_t requests = 0;

        *inspected = 0;
        assert_int_equal(plan_make(&p, b), DLP_OK);
        while (!plan_empty(&p)) {
                struct plan_range r = plan_head(&p);
                int bad = 0;
                requests++;
                for (size_t i = r.lo; i < r.hi; i++)
                        bad |= poison[i];
                if (!bad) {
                        *inspected += r.hi - r.lo;
                        plan_done(&p);
                } else if (plan_head_alone(&p)) {
                        /* alone, it cannot be cut: said, and left as is */
                        assert_int_equal(plan_bisect(&p), DLP_ERR_INVALID);
                        assert_true(plan_head(&p).lo == r.lo &&
                                    plan_head(&p).hi == r.hi);
                        batch_kill_rows(b, r.lo, r.hi, "INVALID_ARGUMENT");
                        plan_done(&p);
                } else {
                        assert_int_equal(plan_bisect(&p), DLP_OK);
                        assert_true(plan_head(&p).lo == r.lo &&
                                    plan_head(&p).hi < r.hi);
                }
        }
        plan_free(&p);
        return requests;
}

static void test_clean_batch_is_one_request(void **state)
{
        struct batch b;
        int poison[100] = {0};
        size_t inspected;

        batch_init(&b, &be, 100, 524288);
        fill(&b, 100);
        assert_int_equal(run(&b, poison, &inspected), 1);
        assert_int_equal(inspected, 100);
        batch_clear(&b);
}

static void test_poison_isolated(void **state)
{
        const size_t cases[][3] = {
            {0, 0, 0}, {99, 99, 99}, {37, 37, 37}, {3, 64, 90}, {10, 11, 12}};

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct batch b;
                int poison[100] = {0};
                size_t inspected, requests, k = 0;

                for (int j = 0; j < 3; j++) {
                        k += !poison[cases[c][j]];
                        poison[cases[c][j]] = 1;
                }
                batch_init(&b, &be, 100, 524288);
                fill(&b, 100);
                requests = run(&b, poison, &inspected);
                for (size_t i = 0; i < 100; i++)
                        assert_int_equal(b.entries[i].dead, poison[i]);
                assert_int_equal(inspected, 100 - k);
                /* at most 2 requests per level of the tree per poison row */
                assert_true(requests <= 1 + 2 * k * (size_t)ceil(log2(100)));
                batch_clear(&b);
        }
}

static void test_all_poison(void **state)
{
        struct batch b;
        int poison[8];
        size_t inspected;

        for (int i = 0; i < 8; i++)
                poison[i] = 1;
        batch_init(&b, &be, 100, 524288);
        fill(&b, 8);
        assert_int_equal(run(&b, poison, &inspected), 15); /* full tree */
        assert_int_equal(inspected, 0);
        for (int i = 0; i < 8; i++)
                assert_true(b.entries[i].dead);
        batch_clear(&b);
}

static void test_long_text_planned_as_several_requests(void **state)
{
        char text[12000];
        struct batch b;
        struct plan p = {0};
        size_t covered = 0;

        memset(text, 'a', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        batch_init(&b, &be, 100, 4096);
        assert_int_equal(batch_add(&b, NULL, json_pack("{s:s}", "text", text)),
                         DLP_OK);
        assert_int_equal(plan_make(&p, &b), DLP_OK);
        assert_true(p.n >= 3);
        for (size_t i = 0; i < p.n; i++) {
                size_t len;
                char *req =
                    batch_request(&b, p.ranges[i].lo, p.ranges[i].hi, &len);
                assert_true(len <= 4096);
                assert_int_equal(p.ranges[i].lo, covered);
                covered = p.ranges[i].hi;
                free(req);
        }
        assert_int_equal(covered, b.n_rows);
        plan_free(&p);
        batch_clear(&b);
}

/* Out of memory while bisecting: said, and the plan is as it was. The
 * head is halved with every allocation failing until one was needed. */
static void test_bisect_out_of_memory(void **state)
{
        struct batch b;
        struct plan p = {0};
        int failed = 0;

        batch_init(&b, &be, 100, 524288);
        fill(&b, 100);
        assert_int_equal(plan_make(&p, &b), DLP_OK);
        while (!failed && !plan_head_alone(&p)) {
                struct plan_range head = plan_head(&p);
                size_t before = p.n;
                oom_fail_nth(1);
                int rc = plan_bisect(&p);
                failed = oom_failures();
                oom_off();
                if (!failed) {
                        assert_int_equal(rc, DLP_OK);
                        continue;
                }
                assert_int_equal(rc, DLP_ERR_NOMEM);
                assert_int_equal(p.n, before);
                assert_true(plan_head(&p).lo == head.lo &&
                            plan_head(&p).hi == head.hi);
                assert_int_equal(plan_bisect(&p), DLP_OK);
                assert_int_equal(p.n, before + 1);
        }
        assert_true(failed); /* the growth was reached */
        plan_free(&p);
        batch_clear(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_clean_batch_is_one_request),
            cmocka_unit_test(test_poison_isolated),
            cmocka_unit_test(test_all_poison),
            cmocka_unit_test(test_long_text_planned_as_several_requests),
            cmocka_unit_test(test_bisect_out_of_memory),
        };
        return cmocka_run_group_tests(tests, gdlp_setup, gdlp_teardown);
}
