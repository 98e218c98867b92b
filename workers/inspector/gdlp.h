/* gdlp.h - the Google Cloud DLP v2 content:inspect wire format: the one
 * implementation of backend.h (gdlp_backend_ops); its functions are also
 * exported for the unit tests.
 *
 * A batch is sent as ONE table item, one row per text cell. The request is
 * written by our own serializer so that its size is known exactly before it
 * is built: gdlp_row_bytes() is what one more row adds, and the batch cutter
 * keeps the sum under the service's byte limit. */
#ifndef DLP_GDLP_H
#define DLP_GDLP_H

#include <stddef.h>

#include "backend.h"

/* Bytes of a request with zero rows (envelope and inspectConfig). */
size_t gdlp_envelope_bytes(const struct backend *be);
/* Bytes one row with cell \p text (\p len bytes of UTF-8) adds, including
 * the separating comma. */
size_t gdlp_row_bytes(const char *text, size_t len);
/* Bytes \p text takes once JSON-escaped, without quotes. */
size_t gdlp_escaped_len(const char *text, size_t len);

/* Builds the request for \p n cells (cells[i] has lens[i] bytes) in one
 * pass into a buffer of \p size bytes (and the NUL): gdlp_envelope_bytes()
 * + sum(gdlp_row_bytes()), which the caller computed when it measured the
 * cells. Returns a new NUL-terminated string (free()) of that size less
 * one (the first row has no comma), or NULL on allocation failure. */
char *gdlp_request_build(const struct backend *be, const char *const *cells,
                         const size_t *lens, size_t n, size_t size,
                         size_t *out_len);

/* Bytes of the request for one file as a byteItem of ByteContentItem
 * \p type ("PDF", "IMAGE_PNG", ...) holding \p len bytes (base64 in the
 * request), with the same members as the table requests. */
size_t gdlp_bytes_request_bytes(const struct backend *be, const char *type,
                                size_t len);
/* Builds that request: {"item":{"byteItem":{"type","data"}},<members>}, a
 * new string of exactly gdlp_bytes_request_bytes() bytes, or NULL (out of
 * memory, or a type that is not a ByteContentItem name). Its answer has no
 * tableLocation: gdlp_parse_result() reads it as one row, each finding's
 * byteRange in the service's text of the file. */
char *gdlp_bytes_request_build(const struct backend *be, const char *type,
                               const unsigned char *data, size_t len,
                               size_t *out_len);

/* Parses a 200 answer in proto3's JSON mapping (enums as names or numbers,
 * int64 as strings or numbers, zero values omitted), calling \p fn for each
 * finding; fills \p info. Returns DLP_OK, or DLP_ERR_PARSE with errstr
 * (and no call of fn) when the answer is not JSON, has no result object,
 * or a finding names no row < nrows ("1x", -1, 7 of 3). A finding without
 * info type or with a bad byte range is dropped and counted in
 * info->dropped. */
int gdlp_parse_result(const char *body, size_t len, size_t nrows,
                      backend_finding_fn fn, void *ctx,
                      struct backend_answer *info, char *errstr,
                      size_t errstr_size);

/* Extracts "error.status: error.message" of an error answer into \p out. */
void gdlp_error_message(const char *body, size_t len, char *out,
                        size_t out_size);

#endif
