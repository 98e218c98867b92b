/* gdlp.c - Google DLP v2 request/response (see gdlp.h). */
#include "gdlp.h"
#include "err.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char req_head[] =
    "{\"item\":{\"table\":{\"headers\":[{\"name\":\"text\"}],\"rows\":[";
/* the request ends with the rows' close and the request members that say
 * what to look for, which the backend serializes once: the default
 * inspectConfig, or the members it was given */
static const char req_rows_end[] = "]}},";
static const char default_member[] = "\"inspectConfig\":";
static const char default_config[] =
    "{\"infoTypes\":["
    "{\"name\":\"CREDIT_CARD_NUMBER\"},"
    "{\"name\":\"US_SOCIAL_SECURITY_NUMBER\"},"
    "{\"name\":\"EMAIL_ADDRESS\"},"
    "{\"name\":\"AWS_CREDENTIALS\"}],"
    /* Google has no built-in Slack token detector: a custom regex */
    "\"customInfoTypes\":[{\"infoType\":{\"name\":\"SLACK_TOKEN\"},"
    "\"regex\":{\"pattern\":\"xox[abposr]-[A-Za-z0-9-]{10,}\"},"
    "\"likelihood\":\"VERY_LIKELY\"}],"
    "\"minLikelihood\":\"POSSIBLE\",\"includeQuote\":true,"
    "\"limits\":{\"maxFindingsPerRequest\":3000}}";
static const char row_head[] = "{\"values\":[{\"stringValue\":\"";
static const char row_tail[] = "\"}]}";

size_t gdlp_escaped_len(const char *text, size_t len)
{
        return dlp_json_escaped_len(text, len);
}

size_t gdlp_envelope_bytes(const struct backend *be)
{
        return sizeof(req_head) - 1 + be->envelope_tail_len;
}

size_t gdlp_row_bytes(const char *text, size_t len)
{
        /* every row but the first is preceded by a comma; counting it for
         * all rows over-estimates by one byte, which is the safe side */
        return 1 + sizeof(row_head) - 1 + gdlp_escaped_len(text, len) +
               sizeof(row_tail) - 1;
}

char *gdlp_request_build(const struct backend *be, const char *const *cells,
                         const size_t *lens, size_t n, size_t size,
                         size_t *out_len)
{
        size_t pos = 0;
        char *buf = malloc(size + 1);

        if (!buf)
                return NULL;
#define PUT(s, l)                                                              \
        do {                                                                   \
                memcpy(buf + pos, s, l);                                       \
                pos += l;                                                      \
        } while (0)
        PUT(req_head, sizeof(req_head) - 1);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        buf[pos++] = ',';
                PUT(row_head, sizeof(row_head) - 1);
                pos += dlp_json_escape_into(buf + pos, cells[i], lens[i]);
                PUT(row_tail, sizeof(row_tail) - 1);
        }
        PUT(be->envelope_tail, be->envelope_tail_len);
#undef PUT
        buf[pos] = '\0';
        if (out_len)
                *out_len = pos;
        return buf;
}

/* A byteItem request: the item, then the members the table request ends
 * with (the envelope tail past its "]}}", the rows' close). */
static const char byte_head[] = "{\"item\":{\"byteItem\":{\"type\":\"";
static const char byte_data[] = "\",\"data\":\"";
static const char byte_tail[] = "\"}}";

/* ByteContentItem type names are capitals and underscores: nothing to
 * escape, and anything else is not Google's. */
static int byte_type_ok(const char *type)
{
        if (!type || !*type)
                return 0;
        for (const char *p = type; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_'))
                        return 0;
        return 1;
}

size_t gdlp_bytes_request_bytes(const struct backend *be, const char *type,
                                size_t len)
{
        return sizeof(byte_head) - 1 + strlen(type) + sizeof(byte_data) - 1 +
               4 * ((len + 2) / 3) + sizeof(byte_tail) - 1 +
               be->envelope_tail_len - (sizeof(req_rows_end) - 2);
}

char *gdlp_bytes_request_build(const struct backend *be, const char *type,
                               const unsigned char *data, size_t len,
                               size_t *out_len)
{
        size_t total, n;
        char *b64, *buf;
        /* the members: the tail without the rows' close "]}}" */
        const char *members = be->envelope_tail + sizeof(req_rows_end) - 2;

        if (!byte_type_ok(type))
                return NULL;
        total = gdlp_bytes_request_bytes(be, type, len);
        b64 = dlp_base64(data, len);
        buf = b64 ? malloc(total + 1) : NULL;
        if (!buf) {
                free(b64);
                return NULL;
        }
        n = (size_t)snprintf(buf, total + 1, "%s%s%s%s%s%s", byte_head, type,
                             byte_data, b64, byte_tail, members);
        free(b64);
        if (out_len)
                *out_len = n;
        return buf;
}

/* proto3's JSON mapping: an int64 is written as a string ("12") but a
 * parser must accept a number too, and a zero value is omitted. Returns 0
 * when absent, 1 when read into *out, -1 when present but not an integer
 * ("1x", "", 1.5, true). */
static int int64_field(json_t *obj, const char *key, long long *out)
{
        json_t *v = json_object_get(obj, key);

        *out = 0;
        if (!v)
                return 0;
        if (json_is_integer(v)) {
                *out = json_integer_value(v);
                return 1;
        }
        if (json_is_real(v)) { /* 4.0 and 4e0 are 4; 4.5 is not an int64 */
                double d = json_real_value(v);
                if (d != (double)(long long)d)
                        return -1;
                *out = (long long)d;
                return 1;
        }
        if (json_is_string(v)) {
                const char *str = json_string_value(v);
                char *end;
                errno = 0;
                *out = strtoll(str, &end, 10);
                if (end == str || *end != '\0' || errno == ERANGE)
                        return -1;
                return 1;
        }
        return -1;
}

/* proto3 enums come as names or as numbers: Likelihood's numbers. */
static const char *likelihood_name(json_t *v)
{
        static const char *const names[] = {"LIKELIHOOD_UNSPECIFIED",
                                            "VERY_UNLIKELY",
                                            "UNLIKELY",
                                            "POSSIBLE",
                                            "LIKELY",
                                            "VERY_LIKELY"};

        if (json_is_string(v))
                return json_string_value(v);
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) < 6)
                return names[json_integer_value(v)];
        return "LIKELIHOOD_UNSPECIFIED";
}

int gdlp_parse_result(const char *body, size_t len, size_t nrows,
                      backend_finding_fn fn, void *ctx,
                      struct backend_answer *info, char *errstr,
                      size_t errstr_size)
{
        json_error_t jerr;
        json_t *root = json_loadb(body, len, 0, &jerr), *result, *findings, *f;
        size_t i;

        memset(info, 0, sizeof(*info));
        if (!root) {
                char jwhy[128];
                dlp_json_error(&jerr, jwhy, sizeof(jwhy));
                snprintf(errstr, errstr_size, "answer is not JSON: %s", jwhy);
                return DLP_ERR_PARSE;
        }
        result = json_object_get(root, "result");
        if (!json_is_object(result)) {
                snprintf(errstr, errstr_size, "answer has no result object");
                json_decref(root);
                return DLP_ERR_PARSE;
        }
        info->truncated =
            json_is_true(json_object_get(result, "findingsTruncated"));
        findings = json_object_get(result, "findings"); /* absent: none */
        if (findings && !json_is_array(findings)) {
                snprintf(errstr, errstr_size, "findings is not an array");
                json_decref(root);
                return DLP_ERR_PARSE;
        }
        /* first pass: every finding must be placed in a row sent, or the
         * answer is not ours to use (nothing is merged from it) */
        json_array_foreach(findings, i, f)
        {
                json_t *cl = json_array_get(
                    json_object_get(json_object_get(f, "location"),
                                    "contentLocations"),
                    0);
                json_t *table = json_object_get(
                    json_object_get(cl, "recordLocation"), "tableLocation");
                long long row;

                if (int64_field(table, "rowIndex", &row) < 0 || row < 0 ||
                    (unsigned long long)row >= nrows) {
                        snprintf(errstr, errstr_size,
                                 "finding %zu names no row of the %zu sent", i,
                                 nrows);
                        json_decref(root);
                        return DLP_ERR_PARSE;
                }
        }
        json_array_foreach(findings, i, f)
        {
                json_t *loc = json_object_get(f, "location");
                json_t *range = json_object_get(loc, "byteRange");
                json_t *cl =
                    json_array_get(json_object_get(loc, "contentLocations"), 0);
                json_t *table = json_object_get(
                    json_object_get(cl, "recordLocation"), "tableLocation");
                struct backend_finding gf = {0};
                long long row;

                int64_field(table, "rowIndex", &row);
                gf.info_type = json_string_value(
                    json_object_get(json_object_get(f, "infoType"), "name"));
                gf.likelihood =
                    likelihood_name(json_object_get(f, "likelihood"));
                gf.quote = json_string_value(json_object_get(f, "quote"));
                gf.quote_len = json_string_length(json_object_get(f, "quote"));
                /* a finding we cannot locate is dropped and counted: the
                 * rest of the answer is good */
                if (!gf.info_type ||
                    int64_field(range, "start", &gf.start) < 0 ||
                    int64_field(range, "end", &gf.end) < 0 || gf.start < 0 ||
                    gf.end < gf.start) {
                        info->dropped++;
                        continue;
                }
                gf.row = (size_t)row;
                fn(ctx, &gf);
        }
        json_decref(root);
        return DLP_OK;
}

void gdlp_error_message(const char *body, size_t len, char *out,
                        size_t out_size)
{
        json_t *root = json_loadb(body, len, 0, NULL);
        json_t *err = json_object_get(root, "error");
        const char *status = json_string_value(json_object_get(err, "status"));
        const char *msg = json_string_value(json_object_get(err, "message"));

        /* the message becomes a dead letter's reason: cut at whole
         * characters; a body that is not Google's error object is not
         * quoted (a proxy may echo the request, and the request holds the
         * texts being inspected) */
        if (msg)
                dlp_fmt(out, out_size, "%s: %s", status ? status : "ERROR",
                        msg);
        else
                dlp_fmt(out, out_size,
                        "an error answer of %zu bytes without "
                        "an error message",
                        len);
        json_decref(root);
}

/* Google's canonical codes: INVALID_ARGUMENT (400) names a row the service
 * refuses; RESOURCE_EXHAUSTED (429) and the 5xx are transient; the rest
 * (401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND) is set-up. */
static enum backend_error gdlp_classify(long status, const char *body,
                                        size_t len, char *msg, size_t msg_size)
{
        gdlp_error_message(body, len, msg, msg_size);
        if (status == 400)
                return BACKEND_INVALID;
        if (status == 429 || status >= 500)
                return BACKEND_LATER;
        return BACKEND_SETUP;
}

/* The rows' close, the members saying what to look for, the request's
 * close: "]}},<members>}". */
static int gdlp_init(struct backend *be, char *errstr, size_t errstr_size)
{
        char *members = NULL;
        size_t len;
        int n;

        if (be->inspect_config) {
                if (!json_is_object(be->inspect_config) ||
                    json_object_size(be->inspect_config) == 0) {
                        snprintf(errstr, errstr_size,
                                 "the request members (inspectConfig, "
                                 "inspectTemplateName) are not a non-empty "
                                 "JSON object");
                        return DLP_ERR_CONFIG;
                }
                members = json_dumps(be->inspect_config, JSON_COMPACT);
                if (!members) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return DLP_ERR_NOMEM;
                }
        }
        len =
            sizeof(req_rows_end) - 1 + 1 +
            (members ? strlen(members) - 2
                     : sizeof(default_member) - 1 + sizeof(default_config) - 1);
        be->envelope_tail = malloc(len + 1);
        if (!be->envelope_tail) {
                free(members);
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        if (members) /* the object without its braces */
                n = snprintf(be->envelope_tail, len + 1, "%s%.*s}",
                             req_rows_end, (int)(strlen(members) - 2),
                             members + 1);
        else
                n = snprintf(be->envelope_tail, len + 1, "%s%s%s}",
                             req_rows_end, default_member, default_config);
        be->envelope_tail_len = (size_t)n;
        free(members);
        return DLP_OK;
}

const struct backend_ops gdlp_backend_ops = {
    .name = "google-dlp-v2",
    .init = gdlp_init,
    .envelope_bytes = gdlp_envelope_bytes,
    .row_bytes = gdlp_row_bytes,
    .cell_bytes = gdlp_escaped_len,
    .request = gdlp_request_build,
    .bytes_request_bytes = gdlp_bytes_request_bytes,
    .bytes_request = gdlp_bytes_request_build,
    .parse = gdlp_parse_result,
    .classify = gdlp_classify,
};
