/* sim.h - dlp-sim, a strict simulator of Google Cloud DLP v2
 * content:inspect. One internal header, sectioned per source file:
 *
 *   settings.c the settings table
 *   main.c     start-up, the stop sequence
 *   server.c   HTTP routes: content:inspect, /_sim/stats, /_sim/reset,
 *              /healthz, and the admin routes
 *   inspect.c  one content:inspect body -> Google's answer (no HTTP, no
 *              shared state)
 *   table.c    a table's cells; the one-pass reader of the usual request
 *   pdf.c      the text of a PDF byteItem (poppler), one PDF at a time
 *   engine.c   an InspectConfig run over one text (engine.h; pure)
 *   detect.c   the built-in detectors (detect.h; pure functions)
 *   stats.c    the strict sliding-window rate limiter and the counters
 *   delay.c    the added service latency, without holding a thread
 *
 * Threads: requests are judged on the HTTP server's threads, several at
 * once; the shared state is the rate window and counters (stats.c, under
 * its lock) and the delay queue (delay.c: its own thread sends answers that
 * are due, the queue under its lock). inspect.c and detect.c have no state.
 *
 * How a content:inspect request is judged, in order:
 *   1. DLP_SIM_TOKEN set and no matching credential -> 401 UNAUTHENTICATED.
 *      Google checks credentials before quota, so such a request spends no
 *      quota.
 *   2. Rate limit -> 429 RESOURCE_EXHAUSTED. Admitted iff fewer than R
 *      requests were admitted in the last 1000 ms (monotonic clock, in
 *      microseconds). A 429 is not admitted and does not enter the window.
 *   3. Every admitted request spends quota, whatever happens to it next,
 *      as it does at Google: the window and max_requests_in_any_1s_window
 *      count admitted requests, including those answered 400 or 503 below.
 *   4. DLP_SIM_FAIL_EVERY: every Nth admitted request -> 503 UNAVAILABLE.
 *   5. Raw request body bytes > DLP_SIM_MAX_BYTES -> 400 "Content size N
 *      exceeds limit of M". (Google measures the content item; we measure
 *      the whole body, which is larger, so a request we accept Google
 *      accepts too.)
 *   6. Malformed JSON, no item -> 400; rows > max -> 400; values > max ->
 *      400; an inspectTemplateName not in DLP_SIM_TEMPLATES -> 404; a bad
 *      inspectConfig (once merged into the template) -> 400 naming the bad
 *      part; a cell holding the poison marker -> 400 naming the row.
 *   7. Otherwise 200 with the findings.
 * Answers to admitted requests leave a latency after the request was
 * judged (median DLP_SIM_LATENCY_MS, lognormal spread DLP_SIM_LATENCY_SIGMA);
 * 401 and 429 leave at once. */
#ifndef DLP_SIM_H
#define DLP_SIM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "httpd.h"

/* ---- main.c ------------------------------------------------------------ */

struct sim_config {
        struct dlp_common_config common; /* first: the loader needs it */
        char *listen_addr;
        long rate_limit;
        long max_rows;
        long max_bytes;
        long max_values;
        long max_findings;
        char *token;
        long latency_ms;
        double latency_sigma;
        long threads;
        long fail_every;
        char *poison;
        char *templates;
};

/* ---- stats.c ----------------------------------------------------------- */

/* Why a content:inspect request was not answered 200; the second column is
 * its key in /_sim/stats and its label in /metrics. */
#define SIM_REJECTS(X)                                                         \
        X(RATE_LIMITED, "rate_limited")                                        \
        X(TOO_BIG, "too_big")                                                  \
        X(TOO_MANY_ROWS, "too_many_rows")                                      \
        X(TOO_MANY_VALUES, "too_many_values")                                  \
        X(INVALID, "invalid")                                                  \
        X(UNAUTHENTICATED, "unauthenticated")                                  \
        X(INJECTED_FAULT, "injected_fault")                                    \
        X(POISON, "poison")

enum sim_outcome {
        SIM_ACCEPTED = 0,
#define SIM_REJECT_ENUM(name, key) SIM_REJ_##name,
        SIM_REJECTS(SIM_REJECT_ENUM)
#undef SIM_REJECT_ENUM
            SIM_OUTCOME_CNT
};

struct sim_stats;

/* What the limiter decided about one request. */
struct sim_admission {
        int admitted;
        uint64_t serial;     /* admitted requests since start, 1-based */
        int fault;           /* answer 503 (DLP_SIM_FAIL_EVERY) */
        int64_t retry_in_us; /* when not admitted: until a place frees up */
};

/* Limiter and counters for rate \p rate_limit requests per second, a rows
 * histogram up to \p max_rows and a fault every \p fail_every admitted
 * requests (0: never). NULL when out of memory. */
struct sim_stats *sim_stats_new(long rate_limit, long max_rows,
                                long fail_every);
void sim_stats_free(struct sim_stats *st);
/* Replaces the monotonic microsecond clock (for tests). */
void sim_stats_set_clock(struct sim_stats *st, int64_t (*clock_us)(void));
/* Decides on one authenticated request and, when admitted, enters it in
 * the window. The clock is read under the lock so the window's timestamps
 * are in order. */
void sim_stats_admit(struct sim_stats *st, struct sim_admission *adm);
/* The same for a request that arrived at \p arrival_us (the stats clock's
 * microseconds; dlp_http_req's arrival_us): the window counts arrivals,
 * not the moment a server thread got to the request. */
void sim_stats_admit_at(struct sim_stats *st, int64_t arrival_us,
                        struct sim_admission *adm);
/* Counts the final outcome of a request; \p rows and \p findings only
 * matter for SIM_ACCEPTED. */
void sim_stats_count(struct sim_stats *st, enum sim_outcome outcome,
                     size_t rows, size_t findings, int truncated);
/* Zeroes every counter. The limiter keeps its window: a reset never lets
 * more than R requests into any one second. */
void sim_stats_reset(struct sim_stats *st);
/* The counters as a new JSON object (see server.c for the shape). */
json_t *sim_stats_json(struct sim_stats *st);
/* The counters in the Prometheus text format; a new string (free()) or
 * NULL. */
char *sim_stats_metrics(struct sim_stats *st);
const char *sim_outcome_key(enum sim_outcome o);

/* The ByteContentItem types dlp-sim accepts and how it reads each: as
 * UTF-8 text, as a PDF's text (pdf.c), or not at all (accepted, counted in
 * /_sim/stats "byte_items_by_type", answered with no findings). The second
 * column is Google's name (ByteContentItem.BytesType). */
#define SIM_BYTE_TYPES(X)                                                      \
        X(UNSPECIFIED, "BYTES_TYPE_UNSPECIFIED", SIM_READ_NONE)                \
        X(IMAGE, "IMAGE", SIM_READ_NONE)                                       \
        X(IMAGE_JPEG, "IMAGE_JPEG", SIM_READ_NONE)                             \
        X(IMAGE_BMP, "IMAGE_BMP", SIM_READ_NONE)                               \
        X(IMAGE_PNG, "IMAGE_PNG", SIM_READ_NONE)                               \
        X(IMAGE_SVG, "IMAGE_SVG", SIM_READ_NONE)                               \
        X(TEXT_UTF8, "TEXT_UTF8", SIM_READ_TEXT)                               \
        X(WORD_DOCUMENT, "WORD_DOCUMENT", SIM_READ_NONE)                       \
        X(PDF, "PDF", SIM_READ_PDF)                                            \
        X(POWERPOINT_DOCUMENT, "POWERPOINT_DOCUMENT", SIM_READ_NONE)           \
        X(EXCEL_DOCUMENT, "EXCEL_DOCUMENT", SIM_READ_NONE)                     \
        X(AVRO, "AVRO", SIM_READ_NONE)                                         \
        X(CSV, "CSV", SIM_READ_TEXT)                                           \
        X(TSV, "TSV", SIM_READ_TEXT)                                           \
        X(AUDIO, "AUDIO", SIM_READ_NONE)                                       \
        X(VIDEO, "VIDEO", SIM_READ_NONE)                                       \
        X(EXECUTABLE, "EXECUTABLE", SIM_READ_NONE)

enum sim_read { SIM_READ_NONE, SIM_READ_TEXT, SIM_READ_PDF };

enum sim_byte_type {
        SIM_BT_NOT_BYTES = 0, /* the item is a table or a value */
#define SIM_BYTE_TYPE_ENUM(name, key, read) SIM_BT_##name,
        SIM_BYTE_TYPES(SIM_BYTE_TYPE_ENUM)
#undef SIM_BYTE_TYPE_ENUM
            SIM_BYTE_TYPE_CNT
};

/* Google's name of \p t ("?" for SIM_BT_NOT_BYTES). */
const char *sim_byte_type_name(enum sim_byte_type t);

/* Counts one accepted byteItem of type \p t. */
void sim_stats_count_byte_item(struct sim_stats *st, enum sim_byte_type t);

/* ---- pdf.c ------------------------------------------------------------- */

/* The textual representation of the PDF \p data (\p len bytes): each
 * page's text, pages joined by '\f'. On DLP_OK *text is a new
 * NUL-terminated string (free()) of *text_len bytes and *pages the page
 * count. DLP_ERR_INVALID when poppler cannot read it, DLP_ERR_TOOBIG when
 * the text exceeds \p max_text bytes (a small compressed PDF can hold a
 * great deal of text), DLP_ERR_NOMEM, DLP_ERR_CONFIG when dlp-sim was built
 * without poppler; errstr says which. Thread-safe (one PDF at a time). */
int sim_pdf_text(const unsigned char *data, size_t len, size_t max_text,
                 char **text, size_t *text_len, int *pages, char *errstr,
                 size_t errstr_size);
/* 1 when dlp-sim was built with poppler, else 0 (PDFs get no findings). */
int sim_pdf_available(void);

/* ---- delay.c ----------------------------------------------------------- */

struct sim_delay;

/* A queue that sends each answer a drawn latency after it was handed
 * over: \p latency_ms times exp(\p sigma * N(0, 1)), i.e. lognormal with
 * that median (constant when sigma is 0). NULL and errstr filled on
 * failure. */
struct sim_delay *sim_delay_start(long latency_ms, double sigma, char *errstr,
                                  size_t errstr_size);
/* One latency drawn as above, in microseconds (at most 600 s). Not
 * thread-safe: sim_delay_respond() calls it under the queue's lock. */
int64_t sim_delay_draw_us(struct sim_delay *d);
/* From a handler: takes over \p resp and returns DLP_HTTP_PENDING, or,
 * with no latency or once stopping, leaves resp to the caller and returns
 * DLP_OK. The handler returns what this returns. */
int sim_delay_respond(struct sim_delay *d, struct dlp_http_req *req,
                      struct dlp_http_resp *resp);
/* Sends every queued answer now and ends the thread; from then on
 * sim_delay_respond() leaves every answer to the handler. Call before
 * dlp_httpd_stop() (which needs every suspended request completed), and
 * sim_delay_free() after it. */
void sim_delay_stop(struct sim_delay *d);
void sim_delay_free(struct sim_delay *d);

/* ---- table.c ----------------------------------------------------------- */

/* One cell dlp-sim inspects: a stringValue, or an integerValue (a string,
 * or a JSON number: text NULL, num). */
struct sim_cell {
        const char *text; /* borrowed: the body, the arena or jansson's */
        size_t len;
        json_int_t num;
        size_t row, col;
};

/* A table request's item as inspect.c uses it, whichever reader read it.
 * Zero-initialise; free with sim_table_free(). */
struct sim_table {
        struct sim_cell *cells; /* the inspected cells, row by row */
        size_t ncells, cells_cap;
        size_t nrows;
        int has_headers;     /* else a finding has no fieldId */
        const char **fields; /* per column: its header's name, "" if none */
        size_t nfields, fields_cap;
        char *arena; /* sim_table_read(): strings that had escapes */
        size_t arena_len;
        /* sim_table_read(): the spans of the request's inspectConfig and
         * inspectTemplateName in the body (NULL: not given), unchecked;
         * sim_table_members(): their values, new references or NULL */
        const char *cfg_raw, *tname_raw;
        size_t cfg_raw_len, tname_raw_len;
        json_t *cfg, *tname;
};

/* Appends a cell or a column's field name (borrowed); DLP_OK or
 * DLP_ERR_NOMEM. */
int sim_table_add_cell(struct sim_table *t, const char *text, size_t len,
                       json_int_t num, size_t row, size_t col);
int sim_table_add_field(struct sim_table *t, const char *name);
void sim_table_free(struct sim_table *t);
/* Reads the request \p body as the inspector sends it (a table of
 * stringValue cells) in one pass, its strings borrowed from body: 1 and \p t
 * filled, or 0 (t empty) for anything else, which the general reader must
 * judge. Reads only what jansson reads alike and what the general reader
 * finds no fault in: at most \p max_rows rows and \p max_values values, as
 * many values in each row as there are headers. inspectConfig and
 * inspectTemplateName are only spanned (cfg_raw, tname_raw): the whole body
 * is what jansson reads alike once sim_table_members() returns 1, or once
 * the same bytes were read so before. Thread-safe. */
int sim_table_read(const char *body, size_t len, size_t max_rows,
                   size_t max_values, struct sim_table *t);
/* Parses the spans of \p t into t->cfg and t->tname: 1, or 0 when jansson
 * refuses one (the general reader must then judge the request). */
int sim_table_members(struct sim_table *t);

/* ---- inspect.c --------------------------------------------------------- */

struct sim_cfg_cache;

struct sim_limits {
        size_t max_bytes;
        size_t max_rows;
        size_t max_values;
        size_t max_findings;
        const char *poison; /* NULL or "": off */
        /* inspect template name -> its InspectConfig (DLP_SIM_TEMPLATES);
         * read-only once serving, so shared by the threads unlocked */
        const json_t *templates;
        /* tests: every request through the general reader (jansson), none
         * through sim_table_read() */
        int general_only;
        /* the configs the one-pass reader accepted, by their bytes; NULL:
         * none kept. Shared by the threads (its own lock). */
        struct sim_cfg_cache *cfg_cache;
};

/* An empty cache of accepted configs, or NULL when out of memory. */
struct sim_cfg_cache *sim_cfg_cache_new(void);
void sim_cfg_cache_free(struct sim_cfg_cache *c);

/* One answer: HTTP status and body, and what to count. The body is JSON
 * text when accepted (text, malloc'd), else Google's error object (body, a
 * new reference). */
struct sim_answer {
        int status;
        json_t *body;
        char *text;
        size_t text_len;
        enum sim_outcome outcome;
        size_t rows;
        size_t findings;
        int truncated;
        enum sim_byte_type byte_type; /* SIM_BT_NOT_BYTES unless a byteItem */
};

/* Answers the content:inspect request \p body (\p len bytes) under \p lim.
 * \p serial makes the finding ids unique. Fills \p ans; returns DLP_OK, or
 * DLP_ERR_NOMEM (ans then holds a 500). */
int sim_inspect(const struct sim_limits *lim, const char *body, size_t len,
                uint64_t serial, struct sim_answer *ans);
/* Reads a templates file, {"inspectTemplates": [{"name": N,
 * "inspectConfig": C}, ...]} (the shape of Google's
 * inspectTemplates.list), checking every C; returns a new object N -> C, or
 * NULL with errstr naming the file and the bad part. */
json_t *sim_templates_load(const char *path, char *errstr, size_t errstr_size);
/* Google's error body {"error":{"code","message","status"}}; a new
 * reference. */
json_t *sim_google_error(int code, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- server.c ---------------------------------------------------------- */

struct sim {
        const struct sim_config *conf;
        struct sim_limits limits;
        struct sim_stats *stats;
        struct sim_delay *delay;
};

/* The dlp_http_handler of the simulator's listener; opaque is struct sim. */
int sim_handle(void *opaque, struct dlp_http_req *req,
               struct dlp_http_resp *resp);
/* The handler of DLP_ADMIN_ADDR: /healthz, /readyz, /metrics. */
int sim_handle_admin(void *opaque, struct dlp_http_req *req,
                     struct dlp_http_resp *resp);

#endif
