/* test_files.c - the files of an event through the inspector (DESIGN §14):
 * file_job.h (an event's files to the record's "files"), the batch taking
 * them (a text file's chunks with file offsets and lines, a byte file's one
 * byteItem request, a file that cannot fit marked not inspected, a refused
 * file's row failing the file and not the event) and the fetch stage's
 * bookkeeping against a Slack that does not answer (no token, the memory
 * bound, revoked partitions). Downloads are e2e.files' job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "detect.h"
#include "err.h"
#include "file_job.h"
#include "files.h"
#include "gdlp.h"
#include "httpc.h"
#include "util.h"

#include "gdlp_fixture.h"

#define CARD "4111 1111 1111 1111"

/* An event with \p n files F0A, F0B, ... named a.txt, b.txt, ... */
static json_t *event_with_files(const char *text, int n)
{
        json_t *ev = json_pack("{s:s, s:s, s:s, s:[]}", "schema", "dlp.event/1",
                               "event_id", "EvFILES001", "text", text, "files");
        json_t *files = json_object_get(ev, "files");

        for (int i = 0; i < n; i++) {
                char id[8], name[8], url[64];

                snprintf(id, sizeof(id), "F0%c", 'A' + i);
                snprintf(name, sizeof(name), "%c.txt", 'a' + i);
                snprintf(url, sizeof(url), "https://files.example/%s", id);
                json_array_append_new(
                    files, json_pack("{s:s, s:s, s:s, s:i, s:s}", "id", id,
                                     "name", name, "mimetype", "text/plain",
                                     "size", 100 + i, "url_private", url));
        }
        return ev;
}

static unsigned char *copy(const char *s, size_t len)
{
        unsigned char *d = malloc(len ? len : 1);

        assert_non_null(d);
        memcpy(d, s, len);
        return d;
}

static void test_job_from_event_and_record(void **state)
{
        json_t *ev = event_with_files("hi", 3), *rec, *f;
        int err;
        struct file_job *job;

        (void)state;
        /* an entry without a valid id is not a file to fetch */
        json_array_append_new(json_object_get(ev, "files"),
                              json_pack("{s:s}", "id", "not-an-id"));
        job = file_job_new(ev, NULL, &err);
        assert_non_null(job);
        assert_int_equal(err, DLP_OK);
        assert_int_equal(job->n, 3);
        assert_string_equal(job->v[1].id, "F0B");
        assert_string_equal(job->v[1].link, "https://files.example/F0B");
        assert_int_equal(job->v[1].size, 101);
        assert_int_equal(file_item_keep(&job->v[0], copy("a\nb", 3), 3, NULL),
                         DLP_OK);
        assert_int_equal(job->v[0].lines.cnt, 2);
        assert_int_equal(file_item_keep(&job->v[1], copy("%PDF-", 5), 5, "PDF"),
                         DLP_OK);
        file_item_fail(&job->v[2], FILE_WHY_TOO_LARGE,
                       "too large: %d bytes, DLP_FILE_MAX_BYTES is %d", 12, 10);
        assert_null(job->v[2].data);
        rec = file_job_record(job);
        assert_int_equal(json_array_size(rec), 3);
        f = json_array_get(rec, 0);
        assert_true(json_is_true(json_object_get(f, "inspected")));
        assert_string_equal(json_string_value(json_object_get(f, "as")),
                            "text");
        assert_null(json_object_get(f, "reason"));
        f = json_array_get(rec, 1);
        assert_string_equal(json_string_value(json_object_get(f, "as")),
                            "bytes");
        f = json_array_get(rec, 2);
        assert_true(json_is_false(json_object_get(f, "inspected")));
        assert_string_equal(json_string_value(json_object_get(f, "reason")),
                            "too large: 12 bytes, DLP_FILE_MAX_BYTES is 10");
        assert_null(json_object_get(f, "as"));
        assert_string_equal(json_string_value(json_object_get(f, "name")),
                            "c.txt");
        assert_string_equal(file_why_label(FILE_WHY_TOO_LARGE), "too_large");
        json_decref(rec);
        file_job_free(job); /* the event is the job's until a batch takes it */
        /* no files: no job, no error */
        ev = event_with_files("hi", 0);
        assert_null(file_job_new(ev, NULL, &err));
        assert_int_equal(err, DLP_OK);
        json_decref(ev);
}

/* Runs dlp-sim's detector on every row of the batch, as the service
 * would, and feeds what it finds back through batch_on_finding. */
static void inspect_rows(struct batch *b)
{
        struct batch_sink sink = {b, 0};

        for (size_t r = 0; r < b->n_rows; r++) {
                const struct batch_row *row = &b->rows[r];
                struct sim_matches m = {0};

                if (row->byte_type)
                        continue;
                assert_int_equal(
                    sim_detect(row->src + row->base, row->len,
                               SIM_INFO_TYPE_BIT(SIM_CREDIT_CARD_NUMBER),
                               SIM_POSSIBLE, &m),
                    DLP_OK);
                for (size_t k = 0; k < m.cnt; k++) {
                        struct backend_finding f = {"CREDIT_CARD_NUMBER",
                                                    "VERY_LIKELY",
                                                    row->src + row->base +
                                                        m.v[k].start,
                                                    m.v[k].end - m.v[k].start,
                                                    r,
                                                    (long long)m.v[k].start,
                                                    (long long)m.v[k].end,
                                                    0};
                        batch_on_finding(&sink, &f);
                }
                sim_matches_free(&m);
        }
}

/* A text file larger than a request: chunks, each request within the
 * limit; a card placed across every possible cut is found once, at its
 * offset and line in the file, in the file's part. */
static void test_text_file_chunks_map_to_file_offsets_and_lines(void **state)
{
        const size_t lines = 400, width = 49; /* + '\n': 20,000 bytes */
        size_t len = lines * (width + 1);
        char *text = malloc(len);
        struct batch b;

        (void)state;
        for (size_t l = 0; l < lines; l++) {
                memset(text + l * (width + 1), 'x', width);
                text[l * (width + 1) + width] = '\n';
        }
        for (size_t at = 3900; at < 4300; at += 37) {
                json_t *ev = event_with_files("no secret here", 1);
                int err;
                struct file_job *job = file_job_new(ev, NULL, &err);
                size_t line = at / (width + 1) + 1;
                char *t = malloc(len);

                memcpy(t, text, len);
                memcpy(t + at, CARD, strlen(CARD));
                assert_int_equal(
                    file_item_keep(&job->v[0], (unsigned char *)t, len, NULL),
                    DLP_OK);
                batch_init(&b, &be, 100, 4096);
                assert_int_equal(batch_add_files(&b, job), DLP_OK);
                assert_true(b.n_rows > 4); /* the text, then the chunks */
                assert_int_equal(b.rows[1].file, 0);
                assert_int_equal(job->v[0].rows, b.n_rows - 1);
                for (size_t lo = 0; lo < b.n_rows;) {
                        size_t hi = batch_cut(&b, lo), rlen;
                        char *req = batch_request(&b, lo, hi, &rlen);

                        assert_true(rlen <= 4096);
                        free(req);
                        lo = hi;
                }
                inspect_rows(&b);
                json_t *fs = b.entries[0].findings, *f = json_array_get(fs, 0);
                assert_int_equal(json_array_size(fs), 1);
                assert_int_equal(
                    json_integer_value(json_object_get(f, "byte_start")), at);
                assert_int_equal(
                    json_integer_value(json_object_get(f, "byte_end")),
                    at + strlen(CARD));
                assert_int_equal(json_integer_value(json_object_get(f, "line")),
                                 line);
                assert_string_equal(
                    json_string_value(json_object_get(f, "file_id")), "F0A");
                assert_string_equal(
                    json_string_value(json_object_get(f, "part")),
                    "file a.txt");
                assert_null(json_object_get(f, "page"));
                assert_null(strstr(
                    json_string_value(json_object_get(f, "quote_masked")),
                    CARD));
                batch_clear(&b); /* frees the job */
        }
        free(text);
}

/* A job whose texts cannot share a request waits for the next batch
 * (taking nothing, planning nothing), and an empty batch then takes it in
 * chunks; a waiting job is offered again at every poll, so the answer must
 * not cost a cut of the whole file. */
static void test_big_file_waits_for_an_empty_batch(void **state)
{
        size_t len = 3 * 4096;
        char *t = malloc(len);
        json_t *ev = event_with_files("no secret here", 1);
        json_t *first = json_pack("{s:s, s:s}", "schema", "dlp.event/1", "text",
                                  "an earlier event");
        int err;
        struct file_job *job = file_job_new(ev, NULL, &err);
        struct batch b;

        (void)state;
        memset(t, 'x', len);
        assert_int_equal(
            file_item_keep(&job->v[0], (unsigned char *)t, len, NULL), DLP_OK);
        batch_init(&b, &be, 100, 4096);
        assert_int_equal(batch_add(&b, NULL, first), DLP_OK);
        for (int poll = 0; poll < 3; poll++) {
                assert_int_equal(batch_add_files(&b, job), DLP_ERR_TOOBIG);
                assert_int_equal(b.n_entries, 1);
                assert_int_equal(b.n_rows, 1);
                assert_ptr_equal(job->event, ev); /* still the caller's */
                assert_int_equal(job->v[0].why, FILE_WHY_NONE);
        }
        batch_clear(&b);
        assert_int_equal(batch_add_files(&b, job), DLP_OK);
        assert_true(b.n_rows > 3); /* the text, then the file's chunks */
        assert_int_equal(job->v[0].rows, b.n_rows - 1);
        batch_clear(&b); /* frees the job */
}

/* A byte file is one byteItem request of its own; one over the request
 * limit is not inspected (and says so), the event's text still is; a page
 * the service gives is kept. */
static void test_byte_file_goes_alone(void **state)
{
        json_t *ev = event_with_files("card " CARD, 3);
        int err;
        struct file_job *job = file_job_new(ev, NULL, &err);
        struct batch b;
        size_t len;
        char *req;
        static char big[8000];

        (void)state;
        memset(big, 'A', sizeof(big));
        assert_int_equal(
            file_item_keep(&job->v[0], copy("small text", 10), 10, NULL),
            DLP_OK);
        assert_int_equal(
            file_item_keep(&job->v[1], copy("%PDF-1.4", 8), 8, "PDF"), DLP_OK);
        assert_int_equal(file_item_keep(&job->v[2], copy(big, sizeof(big)),
                                        sizeof(big), "IMAGE_PNG"),
                         DLP_OK);
        batch_init(&b, &be, 100, 4096);
        assert_int_equal(batch_add_files(&b, job), DLP_OK);
        /* text, text file, then the PDF; the PNG did not fit */
        assert_int_equal(b.n_rows, 3);
        assert_int_equal(batch_cut(&b, 0), 2);
        assert_int_equal(batch_cut(&b, 2), 3);
        assert_non_null(b.rows[2].byte_type);
        req = batch_request(&b, 2, 3, &len);
        assert_non_null(strstr(req, "\"byteItem\":{\"type\":\"PDF\""));
        free(req);
        assert_int_equal(job->v[2].why, FILE_WHY_TOO_LARGE);
        assert_non_null(strstr(job->v[2].reason, "too large for one request"));
        /* nothing else joins a batch with a byte file */
        json_t *other =
            json_pack("{s:s, s:s}", "schema", "dlp.event/1", "text", "x");
        assert_int_equal(batch_add(&b, NULL, other), DLP_ERR_TOOBIG);
        json_decref(other);
        /* a finding in the PDF: the service's offsets, its page */
        struct batch_sink sink = {&b, 2};
        struct backend_finding f = {"US_SOCIAL_SECURITY_NUMBER",
                                    "LIKELY",
                                    "078-05-1120",
                                    11,
                                    0,
                                    9000,
                                    9011,
                                    2};
        batch_on_finding(&sink, &f);
        json_t *x = json_array_get(b.entries[0].findings, 0);
        assert_int_equal(json_integer_value(json_object_get(x, "byte_start")),
                         9000);
        assert_int_equal(json_integer_value(json_object_get(x, "page")), 2);
        assert_null(json_object_get(x, "line"));
        assert_string_equal(json_string_value(json_object_get(x, "file_id")),
                            "F0B");
        /* the service refuses the PDF alone: the file fails, not the event */
        batch_kill_rows(&b, 2, 3, "INVALID_ARGUMENT: bad document");
        assert_false(b.entries[0].dead);
        assert_int_equal(job->v[1].why, FILE_WHY_FAILED);
        assert_string_equal(job->v[1].reason, "refused by the DLP service: "
                                              "INVALID_ARGUMENT: bad document");
        json_t *rec = file_job_record(job);
        assert_true(
            json_is_true(json_object_get(json_array_get(rec, 0), "inspected")));
        assert_int_equal(json_integer_value(json_object_get(
                             json_array_get(rec, 0), "requests")),
                         1);
        assert_true(json_is_false(
            json_object_get(json_array_get(rec, 1), "inspected")));
        json_decref(rec);
        batch_clear(&b);
}

/* The next ready job, waiting up to 10 s for the stage's threads. */
static struct file_job *wait_ready(struct files *fs)
{
        struct file_job *job = NULL;

        for (int i = 0; i < 1000 && !(job = files_ready(fs)); i++)
                dlp_sleep_ms(10);
        return job;
}

/* The stage's bookkeeping against a Slack that is not there (nothing
 * listens on port 1): each file given up on after its one try, the memory
 * bound, revoked partitions, and no stage at all without a token. */
static void test_stage_memory_bound_and_failures(void **state)
{
        struct files_opts o = {
            "http://127.0.0.1:1/api", "xoxb-test", 1000, 2000, 1, 3, 2};
        char errstr[128];
        struct files *fs;
        struct file_job *a, *b2, *c;
        struct dlp_metric m[32];
        int err;

        (void)state;
        assert_int_equal(dlp_httpc_global_init(), DLP_OK);
        o.token = NULL; /* not enabled: nothing is taken */
        fs = files_new(&o, errstr, sizeof(errstr));
        assert_non_null(fs);
        assert_false(files_enabled(fs));
        a = file_job_new(event_with_files("a", 2), NULL, &err);
        assert_int_equal(files_submit(fs, a), DLP_ERR_INVALID);
        files_destroy(fs);

        o.token = "xoxb-test";
        fs = files_new(&o, errstr, sizeof(errstr));
        assert_non_null(fs);
        assert_true(files_enabled(fs));
        b2 = file_job_new(event_with_files("b", 2), NULL, &err);
        assert_int_equal(files_submit(fs, a), DLP_OK);
        /* 2 + 2 files over the bound of 3: it waits */
        assert_int_equal(files_submit(fs, b2), DLP_ERR_TOOBIG);
        assert_ptr_equal(wait_ready(fs), a);
        assert_int_equal(a->v[0].why, FILE_WHY_FAILED);
        assert_string_equal(a->v[1].reason, "files.info failed 1 times");
        files_pop(fs);
        assert_null(files_ready(fs));
        size_t n = files_metrics(fs, m, 32);
        assert_true(n >= 5 + FILE_WHY_COUNT);
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(m[i].name,
                            "dlp_inspector_files_not_inspected_failed_total"))
                        assert_int_equal(*m[i].value, 2);
                if (!strcmp(m[i].name, "dlp_inspector_files_in_flight"))
                        assert_int_equal(*m[i].value, 2);
        }
        /* the files leave memory with their job: room again */
        file_job_free(a);
        assert_int_equal(files_submit(fs, b2), DLP_OK);
        /* one job alone always fits: its first max_in_flight files, the
         * others not fetched (a record may list 10,000) */
        c = file_job_new(event_with_files("c", 5), NULL, &err);
        assert_int_equal(files_submit(fs, c), DLP_ERR_TOOBIG);
        files_drop_partitions(fs, "t", NULL); /* all: freed, never returned */
        for (int i = 0; i < 1000 && files_submit(fs, c) != DLP_OK; i++) {
                assert_null(files_ready(fs)); /* b2, once fetched, is freed */
                dlp_sleep_ms(10);
        }
        n = files_metrics(fs, m, 32);
        for (size_t i = 0; i < n; i++)
                if (!strcmp(m[i].name, "dlp_inspector_files_in_flight"))
                        assert_int_equal(*m[i].value, 3); /* c alone */
        for (int i = 3; i < 5; i++) {
                assert_true(c->v[i].done);
                assert_int_equal(c->v[i].why, FILE_WHY_FAILED);
                assert_non_null(strstr(c->v[i].reason, "too many files"));
        }
        files_destroy(fs); /* stops its threads, frees c */
}

/* The byte budget: files count by the size Slack states (the cap when it
 * states none), a job over the budget waits while others are held, and a
 * job alone always fits. */
static void test_stage_byte_budget(void **state)
{
        struct files_opts o = {
            "http://127.0.0.1:1/api", "xoxb-test", 1000, 2000, 1, 20, 1, 1500};
        char errstr[128];
        struct files *fs;
        json_t *ev, *f;
        size_t i;
        int err;

        (void)state;
        assert_int_equal(dlp_httpc_global_init(), DLP_OK);
        fs = files_new(&o, errstr, sizeof(errstr));
        assert_non_null(fs);
        /* stated 100 and 101 bytes */
        struct file_job *a = file_job_new(event_with_files("a", 2), NULL, &err);
        /* no size stated: 1000 each */
        ev = event_with_files("b", 2);
        json_array_foreach(json_object_get(ev, "files"), i, f)
            json_object_del(f, "size");
        struct file_job *b = file_job_new(ev, NULL, &err);
        struct file_job *c = file_job_new(event_with_files("c", 1), NULL, &err);

        assert_int_equal(files_submit(fs, a), DLP_OK);
        assert_int_equal(files_submit(fs, b), DLP_ERR_TOOBIG); /* 201+2000 */
        assert_ptr_equal(wait_ready(fs), a);
        files_pop(fs);
        file_job_free(a);
        assert_int_equal(files_submit(fs, b), DLP_OK);         /* alone: fits */
        assert_int_equal(files_submit(fs, c), DLP_ERR_TOOBIG); /* 2000+100 */
        assert_ptr_equal(wait_ready(fs), b);
        files_pop(fs);
        file_job_free(b);
        assert_int_equal(files_submit(fs, c), DLP_OK);
        assert_ptr_equal(wait_ready(fs), c);
        files_pop(fs);
        file_job_free(c);
        files_destroy(fs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_job_from_event_and_record),
            cmocka_unit_test(
                test_text_file_chunks_map_to_file_offsets_and_lines),
            cmocka_unit_test(test_big_file_waits_for_an_empty_batch),
            cmocka_unit_test(test_byte_file_goes_alone),
            cmocka_unit_test(test_stage_memory_bound_and_failures),
            cmocka_unit_test(test_stage_byte_budget),
        };
        return cmocka_run_group_tests(tests, gdlp_setup, gdlp_teardown);
}
