/* gdlp.h - the Google Cloud DLP v2 content:inspect wire format.
 *
 * A batch is sent as ONE table item, one row per text cell. The request is
 * written by our own serializer so that its size is known exactly before it
 * is built: gdlp_row_bytes() is what one more row adds, and the batch cutter
 * keeps the sum under the service's byte limit. */
#ifndef DLP_GDLP_H
#define DLP_GDLP_H

#include <stddef.h>

/* Bytes of a request with zero rows (envelope and inspectConfig). */
size_t gdlp_envelope_bytes(void);
/* Bytes one row with cell \p text (\p len bytes of UTF-8) adds, including
 * the separating comma. */
size_t gdlp_row_bytes(const char *text, size_t len);
/* Bytes \p text takes once JSON-escaped, without quotes. */
size_t gdlp_escaped_len(const char *text, size_t len);

/* Builds the request for \p n cells (cells[i] has lens[i] bytes). Returns a
 * new NUL-terminated string (free()) of exactly gdlp_envelope_bytes() +
 * sum(gdlp_row_bytes()) bytes, or NULL on allocation failure. */
char *gdlp_request_build(const char *const *cells, const size_t *lens, size_t n,
                         size_t *out_len);

struct gdlp_finding {
        const char *info_type;
        const char *likelihood;
        const char *quote; /* raw: never store or log it */
        size_t quote_len;
        size_t row;      /* rowIndex; absent in JSON means 0 */
        long long start; /* byte offsets within the cell; absent means 0 */
        long long end;
};

typedef void (*gdlp_finding_fn)(void *ctx, const struct gdlp_finding *f);

/* Parses a 200 answer, calling \p fn for each finding. Returns DLP_OK,
 * or DLP_ERR_PARSE with errstr when the answer is malformed or names a row
 * >= nrows. *truncated is set from findingsTruncated. */
int gdlp_parse_result(const char *body, size_t len, size_t nrows,
                      gdlp_finding_fn fn, void *ctx, int *truncated,
                      char *errstr, size_t errstr_size);

/* Extracts "error.status: error.message" of an error answer into \p out. */
void gdlp_error_message(const char *body, size_t len, char *out,
                        size_t out_size);

#endif
