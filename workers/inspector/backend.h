/* backend.h - a DLP service behind one small table of functions.
 *
 * What a service's wire format decides lives in one implementation file:
 * how many bytes a request will take before it is built (batches are cut by
 * it), the request for a run of rows, the findings per row in an answer,
 * and what an error answer means. Google Cloud DLP v2 (gdlp.c) is the one
 * implementation today; a second service is one new file with its ops
 * table, plus its settings. Nothing outside the implementation knows the
 * format. A backend is immutable once made, so batches share it. */
#ifndef DLP_BACKEND_H
#define DLP_BACKEND_H

#include <jansson.h>
#include <stddef.h>

/* One finding, located in the rows of the request it answers. */
struct backend_finding {
        const char *info_type;
        const char *likelihood; /* a name: "LIKELY" */
        const char *quote;      /* raw: never store or log it */
        size_t quote_len;
        size_t row;      /* index into the request's rows */
        long long start; /* byte offsets within the row's cell (a byteItem:
                            within the service's text of the file) */
        long long end;
        long long page; /* 1-based, when the service said; 0: it did not */
};

typedef void (*backend_finding_fn)(void *ctx, const struct backend_finding *f);

/* What an answer said besides its findings. */
struct backend_answer {
        int truncated;         /* the service cut the findings short */
        unsigned long dropped; /* findings without a usable location */
};

/* What an error answer (not 200) means for the request. */
enum backend_error {
        BACKEND_INVALID, /* a row is refused: bisect to find it (400) */
        BACKEND_LATER,   /* the service's word to come back (429, 5xx) */
        BACKEND_SETUP    /* credentials, project, URL: retried, and loud */
};

struct backend;

struct backend_ops {
        const char *name; /* in every inspection record: "google-dlp-v2" */
        /* Serializes be->inspect_config (or the default) into
         * be->envelope_tail. DLP_OK or DLP_ERR_* with errstr. */
        int (*init)(struct backend *be, char *errstr, size_t errstr_size);
        /* Bytes of a request with zero rows. */
        size_t (*envelope_bytes)(const struct backend *be);
        /* Bytes one row with cell \p text (\p len bytes of UTF-8) adds. */
        size_t (*row_bytes)(const char *text, size_t len);
        /* Bytes \p text takes once escaped in a cell (chunking). */
        size_t (*cell_bytes)(const char *text, size_t len);
        /* The request for \p n cells: a new string of
         * envelope_bytes + sum(row_bytes) bytes (free()), or NULL. \p size
         * is that sum, as the caller computed it when it measured the
         * rows: the request is written in one pass into a buffer of that
         * size, the cells are not measured again. */
        char *(*request)(const struct backend *be, const char *const *cells,
                         const size_t *lens, size_t n, size_t size,
                         size_t *out_len);
        /* Bytes of the request for one file's \p len bytes as a
         * byteItem of type \p type (Google's ByteContentItem type name:
         * "PDF", "IMAGE_PNG", ...): the request holds that item alone. */
        size_t (*bytes_request_bytes)(const struct backend *be,
                                      const char *type, size_t len);
        /* That request: a new string of exactly bytes_request_bytes()
         * bytes (free()), or NULL. Its answer is parsed with parse() as
         * one row. */
        char *(*bytes_request)(const struct backend *be, const char *type,
                               const unsigned char *data, size_t len,
                               size_t *out_len);
        /* Parses a 200 answer to \p nrows rows, calling \p fn per finding.
         * DLP_OK, or DLP_ERR_PARSE (nothing reported to fn) when the
         * answer cannot be used at all. */
        int (*parse)(const char *body, size_t len, size_t nrows,
                     backend_finding_fn fn, void *ctx,
                     struct backend_answer *info, char *errstr,
                     size_t errstr_size);
        /* What an error answer means; \p msg gets the service's reason,
         * safe to log and to put in a dead letter (never a quote). */
        enum backend_error (*classify)(long status, const char *body,
                                       size_t len, char *msg, size_t msg_size);
};

struct backend {
        const struct backend_ops *ops;
        /* the service's inspection settings: a JSON object whose members
         * go into every request, owned; NULL: the implementation's
         * default. Google: {"inspectConfig": {...}} and/or
         * {"inspectTemplateName": "..."} (detect_config.h's fragment,
         * wrapped in braces, parses to exactly that). */
        json_t *inspect_config;
        char *envelope_tail; /* the implementation's serialized settings */
        size_t envelope_tail_len;
};

/* Makes \p be for \p ops with \p inspect_config (stolen; NULL for the
 * default). DLP_OK, or DLP_ERR_CONFIG / DLP_ERR_NOMEM with errstr. */
int backend_init(struct backend *be, const struct backend_ops *ops,
                 json_t *inspect_config, char *errstr, size_t errstr_size);
void backend_term(struct backend *be);

/* Google Cloud DLP v2 content:inspect (gdlp.c). */
extern const struct backend_ops gdlp_backend_ops;

#endif
