/* gdlp.c - Google DLP v2 request/response (see gdlp.h). */
#include "gdlp.h"
#include "err.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char req_head[] =
    "{\"item\":{\"table\":{\"headers\":[{\"name\":\"text\"}],\"rows\":[";
static const char req_tail[] =
    "]}},\"inspectConfig\":{\"infoTypes\":["
    "{\"name\":\"CREDIT_CARD_NUMBER\"},"
    "{\"name\":\"US_SOCIAL_SECURITY_NUMBER\"},"
    "{\"name\":\"EMAIL_ADDRESS\"},"
    "{\"name\":\"AWS_CREDENTIALS\"}],"
    /* Google has no built-in Slack token detector: a custom regex */
    "\"customInfoTypes\":[{\"infoType\":{\"name\":\"SLACK_TOKEN\"},"
    "\"regex\":{\"pattern\":\"xox[abposr]-[A-Za-z0-9-]{10,}\"},"
    "\"likelihood\":\"VERY_LIKELY\"}],"
    "\"minLikelihood\":\"POSSIBLE\",\"includeQuote\":true,"
    "\"limits\":{\"maxFindingsPerRequest\":3000}}}";
static const char row_head[] = "{\"values\":[{\"stringValue\":\"";
static const char row_tail[] = "\"}]}";

/* JSON escaping: the length function and the writer share this table. */
static size_t esc_one(unsigned char c, char *out)
{
        static const char hex[] = "0123456789abcdef";

        switch (c) {
        case '"':
        case '\\':
                if (out) {
                        out[0] = '\\';
                        out[1] = (char)c;
                }
                return 2;
        case '\n':
                if (out)
                        memcpy(out, "\\n", 2);
                return 2;
        case '\r':
                if (out)
                        memcpy(out, "\\r", 2);
                return 2;
        case '\t':
                if (out)
                        memcpy(out, "\\t", 2);
                return 2;
        }
        if (c < 0x20) {
                if (out) {
                        memcpy(out, "\\u00", 4);
                        out[4] = hex[c >> 4];
                        out[5] = hex[c & 0xf];
                }
                return 6;
        }
        if (out)
                out[0] = (char)c;
        return 1;
}

size_t gdlp_escaped_len(const char *text, size_t len)
{
        size_t n = 0;

        for (size_t i = 0; i < len; i++)
                n += esc_one((unsigned char)text[i], NULL);
        return n;
}

size_t gdlp_envelope_bytes(void)
{
        return sizeof(req_head) - 1 + sizeof(req_tail) - 1;
}

size_t gdlp_row_bytes(const char *text, size_t len)
{
        /* every row but the first is preceded by a comma; counting it for
         * all rows over-estimates by one byte, which is the safe side */
        return 1 + sizeof(row_head) - 1 + gdlp_escaped_len(text, len) +
               sizeof(row_tail) - 1;
}

char *gdlp_request_build(const char *const *cells, const size_t *lens, size_t n,
                         size_t *out_len)
{
        size_t cap = gdlp_envelope_bytes() + 1, pos = 0;
        char *buf;

        for (size_t i = 0; i < n; i++)
                cap += gdlp_row_bytes(cells[i], lens[i]);
        buf = malloc(cap);
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
                for (size_t j = 0; j < lens[i]; j++)
                        pos += esc_one((unsigned char)cells[i][j], buf + pos);
                PUT(row_tail, sizeof(row_tail) - 1);
        }
        PUT(req_tail, sizeof(req_tail) - 1);
#undef PUT
        buf[pos] = '\0';
        if (out_len)
                *out_len = pos;
        return buf;
}

/* Google encodes int64 as JSON strings and omits zero values. */
static long long int64_field(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        if (json_is_string(v))
                return strtoll(json_string_value(v), NULL, 10);
        if (json_is_integer(v))
                return json_integer_value(v);
        return 0;
}

int gdlp_parse_result(const char *body, size_t len, size_t nrows,
                      gdlp_finding_fn fn, void *ctx, int *truncated,
                      char *errstr, size_t errstr_size)
{
        json_error_t jerr;
        json_t *root = json_loadb(body, len, 0, &jerr), *result, *findings, *f;
        size_t i;

        *truncated = 0;
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
        *truncated = json_is_true(json_object_get(result, "findingsTruncated"));
        findings = json_object_get(result, "findings"); /* absent: none */
        json_array_foreach(findings, i, f)
        {
                json_t *loc = json_object_get(f, "location");
                json_t *range = json_object_get(loc, "byteRange");
                json_t *cl =
                    json_array_get(json_object_get(loc, "contentLocations"), 0);
                json_t *table = json_object_get(
                    json_object_get(cl, "recordLocation"), "tableLocation");
                struct gdlp_finding gf = {0};
                long long row = int64_field(table, "rowIndex");

                gf.info_type = json_string_value(
                    json_object_get(json_object_get(f, "infoType"), "name"));
                gf.likelihood =
                    json_string_value(json_object_get(f, "likelihood"));
                gf.quote = json_string_value(json_object_get(f, "quote"));
                gf.quote_len = json_string_length(json_object_get(f, "quote"));
                gf.start = int64_field(range, "start");
                gf.end = int64_field(range, "end");
                if (!gf.info_type || row < 0 || (size_t)row >= nrows ||
                    gf.start < 0 || gf.end < gf.start) {
                        snprintf(errstr, errstr_size,
                                 "finding %zu is malformed or names row %lld "
                                 "of %zu",
                                 i, row, nrows);
                        json_decref(root);
                        return DLP_ERR_PARSE;
                }
                if (!gf.likelihood)
                        gf.likelihood = "LIKELIHOOD_UNSPECIFIED";
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
                dlp_fmt(out, out_size, "an error answer of %zu bytes without "
                        "an error message", len);
        json_decref(root);
}
