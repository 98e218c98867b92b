/* inspect.c - one content:inspect request body in, Google's answer out.
 *
 * The answer follows Google's JSON mapping of the v2 protos: int64 values
 * are JSON strings, and fields holding their zero value are left out (a
 * finding at byte 0 has no "start"; a finding in row 0 has
 * "tableLocation":{}). The checks run in the order listed in sim.h. */
#define _GNU_SOURCE /* memmem */
#include "sim.h"
#include "detect.h"
#include "err.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 4096 /* Google cuts quotes at 4 KB */

/* A parsed request: the item and what inspectConfig asks for. json_t
 * pointers are borrowed from root. */
struct inspect_req {
        json_t *root;
        int is_table;    /* else item.value */
        json_t *headers; /* array or NULL */
        json_t *rows;    /* array or NULL (no rows) */
        const char *value;
        size_t value_len;
        unsigned types;
        enum sim_likelihood min;
        int include_quote;
        size_t max_findings;
};

json_t *sim_google_error(int code, const char *status, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return json_pack("{s:{s:i, s:s, s:s}}", "error", "code", code,
                         "message", msg, "status", status);
}

/* Fills \p ans with a 400 INVALID_ARGUMENT counted as \p outcome. Always
 * returns DLP_OK, so callers can `return reject(...)`. */
static int reject(struct sim_answer *ans, enum sim_outcome outcome,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int reject(struct sim_answer *ans, enum sim_outcome outcome,
                  const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_decref(ans->body);
        ans->status = 400;
        ans->outcome = outcome;
        ans->body = sim_google_error(400, "INVALID_ARGUMENT", "%s", msg);
        return DLP_OK;
}

/* A field by its lowerCamel JSON name or its proto name (Google's parser
 * accepts both). Borrowed or NULL. */
static json_t *get(const json_t *obj, const char *camel, const char *proto)
{
        json_t *v = json_object_get(obj, camel);

        return v ? v : json_object_get(obj, proto);
}

/* A proto3 int32 or int64 given as a JSON number or a decimal string. */
static int get_int(const json_t *v, long long *out)
{
        char *end;

        if (json_is_integer(v)) {
                *out = json_integer_value(v);
                return DLP_OK;
        }
        if (!json_is_string(v) || !*json_string_value(v))
                return DLP_ERR_INVALID;
        *out = strtoll(json_string_value(v), &end, 10);
        return *end ? DLP_ERR_INVALID : DLP_OK;
}

static const char *const top_level_fields[] = {
    "item",       "inspectConfig",       "inspect_config",
    "parent",     "inspectTemplateName", "inspect_template_name",
    "locationId", "location_id",         NULL,
};

/* The kinds of a table cell (google.privacy.dlp.v2.Value). */
static const char *const value_fields[] = {
    "stringValue",
    "integerValue",
    "floatValue",
    "booleanValue",
    "timestampValue",
    "timeValue",
    "dateValue",
    "dayOfWeekValue",
    "string_value",
    "integer_value",
    "float_value",
    "boolean_value",
    "timestamp_value",
    "time_value",
    "date_value",
    "day_of_week_value",
    NULL,
};

static int known(const char *const *names, const char *key)
{
        for (; *names; names++)
                if (!strcmp(*names, key))
                        return 1;
        return 0;
}

/* The text of a cell that dlp-sim inspects (string and integer values);
 * NULL for any other kind. \p buf holds a JSON-number integerValue. */
static const char *cell_text(const json_t *cell, size_t *len, char *buf,
                             size_t buf_size)
{
        json_t *v = get(cell, "stringValue", "string_value");

        if (json_is_string(v)) {
                *len = json_string_length(v);
                return json_string_value(v);
        }
        v = get(cell, "integerValue", "integer_value");
        if (json_is_string(v)) {
                *len = json_string_length(v);
                return json_string_value(v);
        }
        if (json_is_integer(v)) {
                snprintf(buf, buf_size, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
                *len = strlen(buf);
                return buf;
        }
        return NULL;
}

/* Checks one cell: an object with at most one known kind, of the right
 * JSON type. Returns NULL if fine, else what is wrong. */
static const char *cell_check(const json_t *cell)
{
        const char *key;
        json_t *v;
        int kinds = 0;
        long long n;

        if (!json_is_object(cell))
                return "a value is not an object";
        json_object_foreach((json_t *)cell, key, v)
        {
                if (!known(value_fields, key))
                        return "a value has an unknown field";
                kinds++;
        }
        if (kinds > 1)
                return "a value sets more than one kind";
        v = get(cell, "stringValue", "string_value");
        if (v && !json_is_string(v))
                return "stringValue is not a string";
        v = get(cell, "integerValue", "integer_value");
        if (v && get_int(v, &n) != DLP_OK)
                return "integerValue is not an integer";
        return NULL;
}

/* Reads item: a table (headers, rows) or a value; checks the row and value
 * limits and every cell's shape. Like every parse step here it returns
 * DLP_OK and, when the request is refused, leaves the 400 in ans->body. */
static int parse_item(const struct sim_limits *lim, struct inspect_req *rq,
                      struct sim_answer *ans)
{
        json_t *item = json_object_get(rq->root, "item"), *table, *value;
        size_t nvalues = 0, nheaders = 0;
        size_t r;
        json_t *row;

        if (!json_is_object(item))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid argument: item is required (a table "
                              "or a value)");
        table = json_object_get(item, "table");
        value = json_object_get(item, "value");
        if ((table != NULL) == (value != NULL) || json_object_size(item) != 1)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid argument: item must set exactly one "
                              "of table or value (dlp-sim supports no other "
                              "content item)");
        if (value) {
                if (!json_is_string(value))
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid value at 'item.value' "
                                      "(TYPE_STRING)");
                rq->value = json_string_value(value);
                rq->value_len = json_string_length(value);
                return DLP_OK;
        }
        if (!json_is_object(table))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'item.table' (type.googleapis"
                              ".com/google.privacy.dlp.v2.Table)");
        rq->is_table = 1;
        rq->headers = json_object_get(table, "headers");
        rq->rows = json_object_get(table, "rows");
        if (rq->headers && !json_is_array(rq->headers))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'item.table.headers'");
        if (rq->rows && !json_is_array(rq->rows))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'item.table.rows'");
        nheaders = json_array_size(rq->headers);
        for (size_t h = 0; h < nheaders; h++) {
                json_t *hd = json_array_get(rq->headers, h);
                json_t *name = json_object_get(hd, "name");

                if (!json_is_object(hd) || (name && !json_is_string(name)))
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid value at "
                                      "'item.table.headers[%zu]'",
                                      h);
        }
        if (json_array_size(rq->rows) > lim->max_rows)
                return reject(ans, SIM_REJ_TOO_MANY_ROWS,
                              "Too many rows in table: %zu exceeds the limit "
                              "of %zu",
                              json_array_size(rq->rows), lim->max_rows);
        json_array_foreach(rq->rows, r, row)
        {
                json_t *values = json_object_get(row, "values");

                if (!json_is_object(row) || (values && !json_is_array(values)))
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid value at "
                                      "'item.table.rows[%zu]'",
                                      r);
                nvalues += json_array_size(values);
        }
        if (nvalues > lim->max_values)
                return reject(ans, SIM_REJ_TOO_MANY_VALUES,
                              "Too many values in table: %zu exceeds the "
                              "limit of %zu",
                              nvalues, lim->max_values);
        json_array_foreach(rq->rows, r, row)
        {
                json_t *values = json_object_get(row, "values"), *cell;
                size_t c;

                if (rq->headers && json_array_size(values) != nheaders)
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid argument: table row %zu has "
                                      "%zu values but the table has %zu "
                                      "headers",
                                      r, json_array_size(values), nheaders);
                json_array_foreach(values, c, cell)
                {
                        const char *why = cell_check(cell);

                        if (why)
                                return reject(ans, SIM_REJ_INVALID,
                                              "Invalid value at "
                                              "'item.table.rows[%zu].values"
                                              "[%zu]': %s",
                                              r, c, why);
                }
        }
        return DLP_OK;
}

/* Adds the info type named by obj.name (an InfoType) to rq->types, or
 * fills a 400 in \p ans. */
static int add_info_type(struct inspect_req *rq, const json_t *obj,
                         const char *where, struct sim_answer *ans)
{
        json_t *name = json_object_get(obj, "name");
        enum sim_info_type t;

        if (!json_is_string(name))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid argument: %s needs a name", where);
        if (sim_info_type_parse(json_string_value(name), &t) != DLP_OK)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid built-in info type name \"%s\". "
                              "(dlp-sim knows CREDIT_CARD_NUMBER, "
                              "US_SOCIAL_SECURITY_NUMBER, EMAIL_ADDRESS, "
                              "AWS_CREDENTIALS, SLACK_TOKEN)",
                              json_string_value(name));
        rq->types |= SIM_INFO_TYPE_BIT(t);
        return DLP_OK;
}

/* Reads inspectConfig: infoTypes (all when absent or empty), custom info
 * types named like a dlp-sim detector (added to those; their pattern is not
 * evaluated: the detector stands in for it), minLikelihood, includeQuote
 * and limits. */
static int parse_config(const struct sim_limits *lim, struct inspect_req *rq,
                        struct sim_answer *ans)
{
        json_t *cfg = get(rq->root, "inspectConfig", "inspect_config");
        json_t *types, *custom, *min, *quote, *limits, *v;
        size_t i;
        long long n;

        rq->types = SIM_INFO_TYPES_ALL;
        rq->min = SIM_POSSIBLE;
        rq->max_findings = lim->max_findings;
        if (!cfg)
                return DLP_OK;
        if (!json_is_object(cfg))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'inspect_config'");
        rq->types = 0;
        types = get(cfg, "infoTypes", "info_types");
        if (types && !json_is_array(types))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'inspect_config.info_types'");
        json_array_foreach(types, i, v)
        {
                add_info_type(rq, v, "inspect_config.info_types[]", ans);
                if (ans->body)
                        return DLP_OK;
        }
        if (!rq->types) /* like Google: no built-ins named, the defaults */
                rq->types = SIM_INFO_TYPES_ALL;
        custom = get(cfg, "customInfoTypes", "custom_info_types");
        json_array_foreach(custom, i, v)
        {
                json_t *it = get(v, "infoType", "info_type");

                add_info_type(rq, it, "custom_info_types[].info_type", ans);
                if (ans->body)
                        return DLP_OK;
        }
        min = get(cfg, "minLikelihood", "min_likelihood");
        if (json_is_string(min)) {
                if (sim_likelihood_parse(json_string_value(min), &rq->min))
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid value at "
                                      "'inspect_config.min_likelihood' "
                                      "(type.googleapis.com/google.privacy."
                                      "dlp.v2.Likelihood), \"%s\"",
                                      json_string_value(min));
        } else if (json_is_integer(min) && json_integer_value(min) >= 0 &&
                   json_integer_value(min) <= SIM_VERY_LIKELY) {
                rq->min = (enum sim_likelihood)json_integer_value(min);
        } else if (min) {
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at "
                              "'inspect_config.min_likelihood'");
        }
        if (rq->min == SIM_LIKELIHOOD_UNSPECIFIED)
                rq->min = SIM_POSSIBLE;
        quote = get(cfg, "includeQuote", "include_quote");
        if (quote && !json_is_boolean(quote))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at "
                              "'inspect_config.include_quote' (TYPE_BOOL)");
        rq->include_quote = json_is_true(quote);
        limits = json_object_get(cfg, "limits");
        if (limits && !json_is_object(limits))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'inspect_config.limits'");
        /* one item per request, so per item and per request are the same;
         * like Google, values above the service's own cap are lowered */
        {
                static const char *const keys[][2] = {
                    {"maxFindingsPerRequest", "max_findings_per_request"},
                    {"maxFindingsPerItem", "max_findings_per_item"},
                };
                for (size_t k = 0; k < 2; k++) {
                        v = get(limits, keys[k][0], keys[k][1]);
                        if (!v)
                                continue;
                        if (get_int(v, &n) != DLP_OK || n < 0)
                                return reject(ans, SIM_REJ_INVALID,
                                              "Invalid value at "
                                              "'inspect_config.limits.%s'",
                                              keys[k][1]);
                        if (n > 0 && (unsigned long long)n < rq->max_findings)
                                rq->max_findings = (size_t)n;
                }
        }
        return DLP_OK;
}

/* Finds the poison marker; returns 1 and the row (or -1 for a value item)
 * when a cell holds it. */
static int find_poison(const struct sim_limits *lim,
                       const struct inspect_req *rq, long *row)
{
        size_t mlen = lim->poison ? strlen(lim->poison) : 0;
        size_t r;
        json_t *jrow;

        if (mlen == 0)
                return 0;
        if (!rq->is_table) {
                *row = -1;
                return memmem(rq->value, rq->value_len, lim->poison, mlen) !=
                       NULL;
        }
        json_array_foreach(rq->rows, r, jrow)
        {
                json_t *values = json_object_get(jrow, "values"), *cell;
                size_t c;

                json_array_foreach(values, c, cell)
                {
                        char buf[32];
                        size_t len;
                        const char *text =
                            cell_text(cell, &len, buf, sizeof(buf));

                        if (text && memmem(text, len, lim->poison, mlen)) {
                                *row = (long)r;
                                return 1;
                        }
                }
        }
        return 0;
}

/* Sets key to {"start":"N","end":"M"} with zero values left out. */
static void set_range(json_t *obj, const char *key, size_t start, size_t end)
{
        json_t *range = json_object();
        char num[24];

        if (start) {
                snprintf(num, sizeof(num), "%zu", start);
                json_object_set_new(range, "start", json_string(num));
        }
        if (end) {
                snprintf(num, sizeof(num), "%zu", end);
                json_object_set_new(range, "end", json_string(num));
        }
        json_object_set_new(obj, key, range);
}

/* Where a finding is: row and column of a table, or none for a value. */
struct cell_ref {
        int in_table;
        size_t row;
        const char *field; /* header name, or NULL without headers */
};

/* One finding in Google's shape; a new reference. */
static json_t *finding_new(const struct inspect_req *rq, const char *text,
                           const struct sim_match *m,
                           const struct cell_ref *ref, const char *created,
                           uint64_t serial, size_t index)
{
        json_t *f = json_object(), *loc = json_object();
        char id[64];

        if (rq->include_quote) {
                size_t qlen = m->end - m->start;

                if (qlen > QUOTE_MAX) { /* cut on a character boundary */
                        qlen = QUOTE_MAX;
                        while (qlen > 0 &&
                               ((unsigned char)text[m->start + qlen] & 0xC0) ==
                                   0x80)
                                qlen--;
                }
                json_object_set_new(f, "quote",
                                    json_stringn(text + m->start, qlen));
        }
        json_object_set_new(f, "infoType",
                            json_pack("{s:s, s:{s:s}}", "name",
                                      sim_info_type_name(m->type),
                                      "sensitivityScore", "score",
                                      sim_info_type_sensitivity(m->type)));
        json_object_set_new(f, "likelihood",
                            json_string(sim_likelihood_name(m->likelihood)));
        set_range(loc, "byteRange", m->start, m->end);
        set_range(loc, "codepointRange", sim_utf8_codepoints(text, m->start),
                  sim_utf8_codepoints(text, m->end));
        if (ref->in_table) {
                json_t *rec = json_object(), *tloc = json_object();

                if (ref->field)
                        json_object_set_new(
                            rec, "fieldId",
                            *ref->field ? json_pack("{s:s}", "name", ref->field)
                                        : json_object());
                if (ref->row) {
                        char num[24];

                        snprintf(num, sizeof(num), "%zu", ref->row);
                        json_object_set_new(tloc, "rowIndex", json_string(num));
                }
                json_object_set_new(rec, "tableLocation", tloc);
                json_object_set_new(
                    loc, "contentLocations",
                    json_pack("[{s:o}]", "recordLocation", rec));
        }
        json_object_set_new(f, "location", loc);
        json_object_set_new(f, "createTime", json_string(created));
        snprintf(id, sizeof(id), "%s-%" PRIu64 "-%zu", created, serial, index);
        json_object_set_new(f, "findingId", json_string(id));
        return f;
}

/* Runs the detectors over one cell and appends its findings, up to
 * rq->max_findings; sets *truncated when one more was found. */
static int inspect_cell(const struct inspect_req *rq, const char *text,
                        size_t len, const struct cell_ref *ref,
                        const char *created, uint64_t serial,
                        struct sim_matches *matches, json_t *findings,
                        int *truncated)
{
        int err;

        matches->cnt = 0;
        err = sim_detect(text, len, rq->types, rq->min, matches);
        if (err)
                return err;
        for (size_t i = 0; i < matches->cnt; i++) {
                size_t n = json_array_size(findings);

                if (n == rq->max_findings) {
                        *truncated = 1;
                        return DLP_OK;
                }
                if (json_array_append_new(findings,
                                          finding_new(rq, text, &matches->v[i],
                                                      ref, created, serial, n)))
                        return DLP_ERR_NOMEM;
        }
        return DLP_OK;
}

/* Inspects every cell in order and builds {"result":{...}}. */
static int inspect_all(const struct inspect_req *rq, uint64_t serial,
                       struct sim_answer *ans)
{
        struct sim_matches matches = {0};
        json_t *findings = json_array(), *result = json_object();
        char created[32];
        int err = DLP_OK, truncated = 0;

        if (!findings || !result) {
                err = DLP_ERR_NOMEM;
                goto out;
        }
        dlp_rfc3339_now(created, sizeof(created));
        if (!rq->is_table) {
                struct cell_ref ref = {0};

                err = inspect_cell(rq, rq->value, rq->value_len, &ref, created,
                                   serial, &matches, findings, &truncated);
                ans->rows = 1;
        } else {
                size_t r;
                json_t *row;

                json_array_foreach(rq->rows, r, row)
                {
                        json_t *values = json_object_get(row, "values");
                        json_t *cell;
                        size_t c;

                        json_array_foreach(values, c, cell)
                        {
                                json_t *hd = json_array_get(rq->headers, c);
                                json_t *name = json_object_get(hd, "name");
                                struct cell_ref ref = {
                                    .in_table = 1,
                                    .row = r,
                                    .field = !hd    ? NULL
                                             : name ? json_string_value(name)
                                                    : "",
                                };
                                char buf[32];
                                size_t len;
                                const char *text =
                                    cell_text(cell, &len, buf, sizeof(buf));

                                if (!text || truncated)
                                        continue;
                                err = inspect_cell(rq, text, len, &ref, created,
                                                   serial, &matches, findings,
                                                   &truncated);
                                if (err)
                                        goto out;
                        }
                }
                ans->rows = json_array_size(rq->rows);
        }
        if (err)
                goto out;
        ans->findings = json_array_size(findings);
        ans->truncated = truncated;
        if (ans->findings)
                json_object_set(result, "findings", findings);
        if (truncated)
                json_object_set_new(result, "findingsTruncated", json_true());
        ans->status = 200;
        ans->outcome = SIM_ACCEPTED;
        ans->body = json_pack("{s:O}", "result", result);
        if (!ans->body)
                err = DLP_ERR_NOMEM;
out:
        json_decref(findings);
        json_decref(result);
        sim_matches_free(&matches);
        return err;
}

int sim_inspect(const struct sim_limits *lim, const char *body, size_t len,
                uint64_t serial, struct sim_answer *ans)
{
        struct inspect_req rq = {0};
        json_error_t jerr;
        const char *key;
        json_t *v;
        long row;
        int err = DLP_OK;

        memset(ans, 0, sizeof(*ans));
        if (len > lim->max_bytes)
                return reject(ans, SIM_REJ_TOO_BIG,
                              "Content size %zu exceeds limit of %zu", len,
                              lim->max_bytes);
        rq.root = json_loadb(body, len, 0, &jerr);
        if (!rq.root)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid JSON payload received. %s (line %d, "
                              "column %d).",
                              jerr.text, jerr.line, jerr.column);
        if (!json_is_object(rq.root)) {
                reject(ans, SIM_REJ_INVALID,
                       "Invalid JSON payload received. Expected an object.");
                goto out;
        }
        json_object_foreach(rq.root, key, v)
        {
                if (!known(top_level_fields, key)) {
                        reject(ans, SIM_REJ_INVALID,
                               "Invalid JSON payload received. Unknown name "
                               "\"%s\": Cannot find field.",
                               key);
                        goto out;
                }
        }
        if ((err = parse_item(lim, &rq, ans)) || ans->body ||
            (err = parse_config(lim, &rq, ans)) || ans->body)
                goto out;
        if (find_poison(lim, &rq, &row)) {
                if (row < 0)
                        reject(ans, SIM_REJ_POISON,
                               "Invalid argument: the item value contains "
                               "the marker \"%s\" (dlp-sim poison)",
                               lim->poison);
                else
                        reject(ans, SIM_REJ_POISON,
                               "Invalid argument: table row %ld contains the "
                               "marker \"%s\" (dlp-sim poison)",
                               row, lim->poison);
                goto out;
        }
        err = inspect_all(&rq, serial, ans);
out:
        json_decref(rq.root);
        if (err) {
                json_decref(ans->body);
                ans->status = 500;
                ans->outcome = SIM_REJ_INVALID;
                ans->body = sim_google_error(500, "INTERNAL", "dlp-sim: %s",
                                             dlp_strerror(err));
        }
        return err;
}
