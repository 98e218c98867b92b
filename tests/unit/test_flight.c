/* test_flight.c - batches in flight: answers in any order, commits only up
 * to the first batch not done (the watermark), retries, poison bisection,
 * truncated answers split, unusable answers bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "flight.h"
#include "watermark.h"
#include "gdlp.h"

#include "gdlp_fixture.h"

static json_t *event(const char *text)
{
        return json_pack("{s:s, s:s}", "schema", "dlp.event/1", "text", text);
}

/* A flight of \p n events "a", "b", ... */
static struct flight *start(struct flights *fs, int n, long long seq)
{
        struct batch b;
        static const char *const texts[] = {"a", "b", "c", "d", "e", "f"};

        batch_init(&b, &be, 100, 524288);
        for (int i = 0; i < n; i++)
                assert_int_equal(batch_add(&b, NULL, event(texts[i])), DLP_OK);
        struct flight *f = flights_start(fs, &b, seq);
        assert_non_null(f);
        assert_true(batch_empty(&b));
        return f;
}

static struct dlp_http_result answer(long status, const char *body)
{
        struct dlp_http_result r = {0};

        r.status = status;
        r.body = (char *)body;
        r.body_len = strlen(body);
        r.retry_after = -1;
        return r;
}

static enum flight_outcome send_and_answer(struct flights *fs, struct flight *f,
                                           long status, const char *body)
{
        struct plan_range r;
        struct backend_answer info;
        size_t len;
        char msg[512];
        char *req = flight_request(f, 0, &len, &r);
        struct dlp_http_result res = answer(status, body);

        assert_non_null(req);
        free(req);
        return flight_answer(fs, f, DLP_OK, &res, 1000, &info, msg,
                             sizeof(msg));
}

/* Three batches of two events each, offsets 0-1, 2-3, 4-5 of one
 * partition, all requests out at once; answers come back 3rd, 1st, 2nd.
 * The partition's commit point moves only over batches that are done and
 * have no unfinished batch before them. */
static void test_out_of_order_answers_commit_contiguously(void **state)
{
        struct flights fs;
        struct flight *f[3];
        struct plan_range r;
        size_t len;
        struct watermark *w = watermark_new();
        struct backend_answer info;
        char msg[256];
        struct dlp_http_result ok = answer(200, "{\"result\":{}}");

        (void)state;
        flights_init(&fs, 8, 3, 1);
        for (int i = 0; i < 3; i++) {
                f[i] = start(&fs, 2, i + 1);
                watermark_add(w, 2 * i);
                watermark_add(w, 2 * i + 1);
                free(flight_request(f[i], 0, &len, &r));
        }
        assert_int_equal(flights_out(&fs), 3);
        assert_null(flights_ready(&fs, 1e12)); /* one request out each */

        static const int order[] = {2, 0, 1};
        static const int64_t expect[] = {-1, 2, 6};
        for (int k = 0; k < 3; k++) {
                struct flight *done;
                int i = order[k];
                assert_int_equal(flight_answer(&fs, f[i], DLP_OK, &ok, 1000,
                                               &info, msg, sizeof(msg)),
                                 FLIGHT_ANSWERED);
                done = flights_finished(&fs);
                assert_ptr_equal(done, f[i]);
                watermark_done(w, 2 * i);
                watermark_done(w, 2 * i + 1);
                flights_remove(&fs, done);
                assert_int_equal(watermark_commit_point(w), expect[k]);
        }
        assert_int_equal(fs.n, 0);
        flights_term(&fs);
        watermark_free(w);
}

static void test_retry_keeps_rows_and_waits(void **state)
{
        struct flights fs;
        struct flight *f;

        (void)state;
        flights_init(&fs, 8, 3, 30);
        f = start(&fs, 2, 1);
        assert_int_equal(send_and_answer(&fs, f, 429,
                                         "{\"error\":{\"code\":429,\"status\":"
                                         "\"RESOURCE_EXHAUSTED\",\"message\":"
                                         "\"quota\"}}"),
                         FLIGHT_RETRY);
        assert_true(f->retry_at > 1000);
        assert_null(flights_ready(&fs, 1000));
        assert_ptr_equal(flights_ready(&fs, f->retry_at), f);
        assert_null(flights_finished(&fs));
        assert_int_equal(send_and_answer(&fs, f, 401, "{}"), FLIGHT_REFUSED);
        assert_null(flights_finished(&fs)); /* never dropped */
        flights_term(&fs);
}

static void test_poison_bisected_to_one_row(void **state)
{
        struct flights fs;
        struct flight *f;
        const char *bad = "{\"error\":{\"code\":400,\"status\":"
                          "\"INVALID_ARGUMENT\",\"message\":\"bad row\"}}";

        (void)state;
        flights_init(&fs, 8, 3, 1);
        f = start(&fs, 2, 1);
        assert_int_equal(send_and_answer(&fs, f, 400, bad), FLIGHT_BISECTED);
        assert_int_equal(send_and_answer(&fs, f, 400, bad), FLIGHT_POISON);
        assert_true(f->batch.entries[0].dead);
        assert_non_null(strstr(f->batch.entries[0].reason, "INVALID_ARGUMENT"));
        assert_int_equal(send_and_answer(&fs, f, 200, "{\"result\":{}}"),
                         FLIGHT_ANSWERED);
        assert_false(f->batch.entries[1].dead);
        assert_ptr_equal(flights_finished(&fs), f);
        flights_term(&fs);
}

/* findingsTruncated on several rows: nothing merged, the rows go again in
 * halves; on one row the answer is taken and marked truncated. */
static void test_truncated_split_then_marked(void **state)
{
        struct flights fs;
        struct flight *f;
        const char *trunc = "{\"result\":{\"findingsTruncated\":true,"
                            "\"findings\":[{\"infoType\":{\"name\":"
                            "\"EMAIL_ADDRESS\"},\"likelihood\":4,"
                            "\"location\":{\"byteRange\":{\"end\":1}}}]}}";

        (void)state;
        flights_init(&fs, 8, 3, 1);
        f = start(&fs, 2, 1);
        assert_int_equal(send_and_answer(&fs, f, 200, trunc), FLIGHT_SPLIT);
        assert_int_equal(json_array_size(f->batch.entries[0].findings), 0);
        assert_int_equal(send_and_answer(&fs, f, 200, trunc), FLIGHT_ANSWERED);
        assert_int_equal(json_array_size(f->batch.entries[0].findings), 1);
        assert_true(f->batch.entries[0].truncated);
        assert_int_equal(send_and_answer(&fs, f, 200, "{\"result\":{}}"),
                         FLIGHT_ANSWERED);
        assert_false(f->batch.entries[1].truncated);
        assert_ptr_equal(flights_finished(&fs), f);
        flights_term(&fs);
}

/* An answer that can never be used is retried max_tries times, then its
 * rows are dead letters with the reason: never retried forever. */
static void test_unusable_answers_bounded(void **state)
{
        struct flights fs;
        struct flight *f;

        (void)state;
        flights_init(&fs, 8, 3, 1);
        f = start(&fs, 2, 1);
        assert_int_equal(send_and_answer(&fs, f, 200, "{}"), FLIGHT_UNUSABLE);
        assert_int_equal(send_and_answer(&fs, f, 200, "not json"),
                         FLIGHT_UNUSABLE);
        assert_null(flights_finished(&fs));
        assert_int_equal(send_and_answer(&fs, f, 200, "{}"), FLIGHT_GAVE_UP);
        assert_ptr_equal(flights_finished(&fs), f);
        for (int i = 0; i < 2; i++) {
                assert_true(f->batch.entries[i].dead);
                assert_non_null(
                    strstr(f->batch.entries[i].reason, "unusable 3 times"));
        }
        flights_term(&fs);
}

static void test_full_and_oldest_first(void **state)
{
        struct flights fs;
        struct flight *a, *b;

        (void)state;
        flights_init(&fs, 2, 3, 1);
        a = start(&fs, 1, 1);
        b = start(&fs, 1, 2);
        assert_true(flights_full(&fs));
        assert_ptr_equal(flights_ready(&fs, 0), a);
        flights_remove(&fs, a);
        assert_false(flights_full(&fs));
        assert_ptr_equal(flights_ready(&fs, 0), b);
        flights_term(&fs);
}

/* Entry \p i of \p f was read at \p part / \p off: what a message leaves
 * in its entry (batch.h), which is all the offsets' bookkeeping uses. */
static void read_at(struct flight *f, size_t i, int part, int64_t off)
{
        f->batch.entries[i].partition = part;
        f->batch.entries[i].offset = off;
}

/* Exactly-once: a finished batch whose events sit in two partitions, one
 * of them behind an unfinished batch, is left out of the transaction, and
 * its other partition is not committed past it either (the event would be
 * lost: its offset committed, its record never written); leaving one out
 * can leave out another. */
static void test_txn_takes_only_what_it_commits(void **state)
{
        struct flights fs;
        static const int part[] = {8, 3, 3, 1, 2, 2, 5};
        static const int64_t off[] = {0, 50, 49, 10, 20, 19, 7};
        struct flight *f1, *f2, *f3, *f4;
        int64_t cap[12];

        (void)state;
        flights_init(&fs, 8, 3, 1);
        f1 = start(&fs, 2, 1); /* p8:0 and p3:50, finished */
        f2 = start(&fs, 1, 2); /* p3:49, not finished */
        read_at(f1, 0, part[0], off[0]);
        read_at(f1, 1, part[1], off[1]);
        read_at(f2, 0, part[2], off[2]);
        f1->held = 1;
        for (int p = 0; p < 12; p++)
                cap[p] = -1;
        cap[8] = 1;  /* p8:0 marked done by f1 */
        cap[3] = 49; /* stops at f2's p3:49 */
        assert_int_equal(flights_txn_select(&fs, cap, 12), 0);
        assert_int_equal(f1->held, 1);
        assert_int_equal(cap[8], 0); /* not past f1's event */
        assert_int_equal(cap[3], 49);

        /* f2 finishes: both go in, both partitions move */
        f2->held = 1;
        cap[8] = 1;
        cap[3] = 51;
        assert_int_equal(flights_txn_select(&fs, cap, 12), 2);
        assert_int_equal(f1->held, 2);
        assert_int_equal(f2->held, 2);
        assert_int_equal(cap[8], 1);
        assert_int_equal(cap[3], 51);
        flights_remove(&fs, f1);
        flights_remove(&fs, f2);

        /* a chain: f4 waits behind p5:6, so p2 stops at 19, which leaves
         * out f3 (p2:20), which stops p1 at 10 */
        f3 = start(&fs, 2, 3);
        f4 = start(&fs, 2, 4);
        read_at(f3, 0, part[3], off[3]);
        read_at(f3, 1, part[4], off[4]);
        read_at(f4, 0, part[5], off[5]);
        read_at(f4, 1, part[6], off[6]);
        f3->held = f4->held = 1;
        for (int p = 0; p < 12; p++)
                cap[p] = -1;
        cap[1] = 11;
        cap[2] = 21;
        cap[5] = 6;
        assert_int_equal(flights_txn_select(&fs, cap, 12), 0);
        assert_int_equal(f3->held, 1);
        assert_int_equal(f4->held, 1);
        assert_int_equal(cap[1], 10);
        assert_int_equal(cap[2], 19);
        assert_int_equal(cap[5], 6);
        flights_term(&fs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_out_of_order_answers_commit_contiguously),
            cmocka_unit_test(test_retry_keeps_rows_and_waits),
            cmocka_unit_test(test_poison_bisected_to_one_row),
            cmocka_unit_test(test_truncated_split_then_marked),
            cmocka_unit_test(test_unusable_answers_bounded),
            cmocka_unit_test(test_full_and_oldest_first),
            cmocka_unit_test(test_txn_takes_only_what_it_commits),
        };
        return cmocka_run_group_tests(tests, gdlp_setup, gdlp_teardown);
}
