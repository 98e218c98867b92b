/* inspect.c - one content:inspect request body in, Google's answer out.
 *
 * The answer follows Google's JSON mapping of the v2 protos: int64 values
 * are JSON strings, and fields holding their zero value are left out (a
 * finding at byte 0 has no "start"; a finding in row 0 has
 * "tableLocation":{}). The checks run in the order listed in sim.h. */
#define _GNU_SOURCE /* memmem */
#include "sim.h"
#include "detect.h"
#include "engine.h"
#include "icfg.h"
#include "err.h"
#include "util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX    4096        /* Google cuts quotes at 4 KB */
#define PDF_TEXT_MAX (16u << 20) /* a PDF's text dlp-sim reads, at most */

/* A parsed request: the item and what inspectConfig asks for. json_t
 * pointers are borrowed from root. */
struct inspect_req {
        json_t *root;    /* the general reader's; NULL after sim_table_read */
        int is_table;    /* else item.value */
        json_t *headers; /* the general reader's: array or NULL */
        json_t *rows;    /* the general reader's: array or NULL (no rows) */
        struct sim_table table; /* the cells inspected, from either reader */
        const char *value;
        size_t value_len;
        unsigned char *decoded;       /* a byteItem's bytes or a PDF's text
                                       * (value points here) */
        enum sim_byte_type byte_type; /* SIM_BT_NOT_BYTES: table or value */
        struct dlp_icfg cfg;          /* the effective InspectConfig */
        const struct dlp_icfg *icfg;  /* the one run: &cfg or cached */
        int include_quote;
        size_t max_findings;
};

json_t *sim_google_error(int code, const char *status, const char *fmt, ...)
{
        char raw[1024], msg[1024];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        /* the message may quote the request (jansson's error context, a
         * member's name) and be cut: jansson takes only UTF-8, and a
         * refusal without a body was taken for no refusal at all */
        dlp_utf8_sanitize(msg, sizeof(msg), raw,
                          n < 0                      ? 0
                          : (size_t)n >= sizeof(raw) ? sizeof(raw) - 1
                                                     : (size_t)n);
        return json_pack("{s:{s:i, s:s, s:s}}", "error", "code", code,
                         "message", msg, "status", status);
}

/* Fills \p ans with an error answer counted as \p outcome. Returns
 * DLP_OK (DLP_ERR_NOMEM without memory for it), so callers can `return
 * reject(...)`. */
static int reject_as(struct sim_answer *ans, int code, const char *status,
                     enum sim_outcome outcome, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int reject_as(struct sim_answer *ans, int code, const char *status,
                     enum sim_outcome outcome, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_decref(ans->body);
        ans->status = code;
        ans->outcome = outcome;
        ans->body = sim_google_error(code, status, "%s", msg);
        return ans->body ? DLP_OK : DLP_ERR_NOMEM;
}

/* A 400 INVALID_ARGUMENT (see reject_as()). */
#define reject(ans, outcome, ...)                                              \
        reject_as(ans, 400, "INVALID_ARGUMENT", outcome, __VA_ARGS__)

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

/* Adds the (checked) cell \p cell at \p row, \p col to the cells
 * dlp-sim inspects if it is one: string and integer values. */
static int cell_add(struct sim_table *t, const json_t *cell, size_t row,
                    size_t col)
{
        json_t *v = get(cell, "stringValue", "string_value");

        if (json_is_string(v))
                return sim_table_add_cell(t, json_string_value(v),
                                          json_string_length(v), 0, row, col);
        v = get(cell, "integerValue", "integer_value");
        if (json_is_string(v))
                return sim_table_add_cell(t, json_string_value(v),
                                          json_string_length(v), 0, row, col);
        if (json_is_integer(v))
                return sim_table_add_cell(t, NULL, 0, json_integer_value(v),
                                          row, col);
        return DLP_OK;
}

/* The text of an inspected cell; \p buf holds a JSON-number
 * integerValue. */
static const char *cell_text(const struct sim_cell *c, size_t *len, char *buf,
                             size_t buf_size)
{
        if (c->text) {
                *len = c->len;
                return c->text;
        }
        snprintf(buf, buf_size, "%" JSON_INTEGER_FORMAT, c->num);
        *len = strlen(buf);
        return buf;
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

static const struct {
        const char *name;
        enum sim_read read;
} byte_types[SIM_BYTE_TYPE_CNT] = {[SIM_BT_NOT_BYTES] = {"?", SIM_READ_NONE},
#define SIM_BYTE_TYPE_ROW(id, key, how) [SIM_BT_##id] = {key, how},
                                   SIM_BYTE_TYPES(SIM_BYTE_TYPE_ROW)
#undef SIM_BYTE_TYPE_ROW
};

const char *sim_byte_type_name(enum sim_byte_type t)
{
        return (unsigned)t < SIM_BYTE_TYPE_CNT ? byte_types[t].name : "?";
}

static enum sim_byte_type byte_type_parse(const char *name)
{
        for (int t = SIM_BT_NOT_BYTES + 1; t < SIM_BYTE_TYPE_CNT; t++)
                if (!strcmp(byte_types[t].name, name))
                        return (enum sim_byte_type)t;
        return SIM_BT_NOT_BYTES;
}

/* item.byteItem {"type","data" (base64)}: the text types become the
 * item's value, a PDF its text (pdf.c), the other types an empty value
 * (accepted, no findings). A PDF poppler cannot read is a 400: what Google
 * answers for one is not documented, and a test should see it. */
static int parse_byte_item(const json_t *bi, struct inspect_req *rq,
                           struct sim_answer *ans)
{
        const char *type = json_string_value(json_object_get(bi, "type"));
        const char *data = json_string_value(json_object_get(bi, "data"));
        size_t len = 0, text_len = 0;
        char *text = NULL, why[256];
        int pages, err;

        if (!type)
                type = "BYTES_TYPE_UNSPECIFIED";
        if (!json_is_object(bi) || (json_object_get(bi, "data") && !data))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'item.byte_item' "
                              "(type.googleapis.com/google.privacy.dlp.v2."
                              "ByteContentItem)");
        rq->byte_type = byte_type_parse(type);
        if (rq->byte_type == SIM_BT_NOT_BYTES)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'item.byte_item.type' "
                              "(type.googleapis.com/google.privacy.dlp.v2."
                              "ByteContentItem.BytesType), \"%.64s\"",
                              type);
        rq->decoded = dlp_base64_decode(data ? data : "", &len);
        if (!rq->decoded)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'item.byte_item.data' "
                              "(TYPE_BYTES), Base64 decoding failed");
        rq->value = (const char *)rq->decoded;
        switch (byte_types[rq->byte_type].read) {
        case SIM_READ_TEXT:
                rq->value_len = len;
                break;
        case SIM_READ_NONE:
                rq->value_len = 0;
                break;
        case SIM_READ_PDF:
                err = sim_pdf_text(rq->decoded, len, PDF_TEXT_MAX, &text,
                                   &text_len, &pages, why, sizeof(why));
                if (err == DLP_ERR_NOMEM)
                        return err;
                if (err == DLP_ERR_CONFIG) { /* built without poppler */
                        rq->value_len = 0;
                        break;
                }
                if (err)
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid argument: dlp-sim could not "
                                      "read the PDF: %s",
                                      why);
                free(rq->decoded);
                rq->decoded = (unsigned char *)text;
                rq->value = text;
                rq->value_len = text_len;
                break;
        }
        return DLP_OK;
}

/* The general reader's checked table as cells and field names. */
static int table_fill(struct inspect_req *rq)
{
        struct sim_table *t = &rq->table;
        size_t r, h;
        json_t *row, *hd;

        t->has_headers = rq->headers != NULL;
        json_array_foreach(rq->headers, h, hd)
        {
                json_t *name = json_object_get(hd, "name");

                if (sim_table_add_field(t, name ? json_string_value(name)
                                                : "") != DLP_OK)
                        return DLP_ERR_NOMEM;
        }
        t->nrows = json_array_size(rq->rows);
        json_array_foreach(rq->rows, r, row)
        {
                json_t *values = json_object_get(row, "values"), *cell;
                size_t c;

                json_array_foreach(values, c, cell)
                {
                        if (cell_add(t, cell, r, c) != DLP_OK)
                                return DLP_ERR_NOMEM;
                }
        }
        return DLP_OK;
}

/* Reads item: a table (headers, rows), a value or a byteItem; checks the row
 * and value limits and every cell's shape. Like every parse step here it
 * returns DLP_OK and, when the request is refused, leaves the 400 in ans->body.
 */
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
        if (json_object_size(item) == 1 && get(item, "byteItem", "byte_item"))
                return parse_byte_item(get(item, "byteItem", "byte_item"), rq,
                                       ans);
        if ((table != NULL) == (value != NULL) || json_object_size(item) != 1)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid argument: item must set exactly one "
                              "of table, value or byteItem");
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
        return table_fill(rq);
}

/* Reads the effective InspectConfig: the template named by
 * inspectTemplateName (from the templates file) with the request's
 * inspectConfig merged into it as Google merges them, then checked and
 * compiled by icfg.c. An unknown template is 404 NOT_FOUND, an unknown
 * built-in info type 400 with Google's wording, anything else wrong 400
 * naming the bad part. */
static int parse_config(const struct sim_limits *lim, struct inspect_req *rq,
                        const json_t *cfg, const json_t *tname,
                        struct sim_answer *ans)
{
        json_t *eff = NULL, *types, *v;
        char why[512];
        const char *unsupported;
        size_t i;
        int err;

        rq->max_findings = lim->max_findings;
        if (cfg && !json_is_object(cfg))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'inspect_config'");
        if (tname && (!json_is_string(tname) || !*json_string_value(tname)))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid value at 'inspect_template_name' "
                              "(TYPE_STRING)");
        if (tname) {
                json_t *tpl =
                    json_object_get(lim->templates, json_string_value(tname));

                if (!tpl)
                        return reject_as(ans, 404, "NOT_FOUND", SIM_REJ_INVALID,
                                         "Inspect template not found: %s "
                                         "(dlp-sim knows the templates of "
                                         "DLP_SIM_TEMPLATES)",
                                         json_string_value(tname));
                eff = json_deep_copy(tpl);
        } else {
                eff = json_object();
        }
        if (!eff || (cfg && dlp_icfg_merge(eff, (json_t *)cfg))) {
                json_decref(eff);
                return DLP_ERR_NOMEM;
        }
        types = get(eff, "infoTypes", "info_types");
        json_array_foreach(types, i, v)
        {
                const char *name =
                    json_string_value(json_object_get(v, "name"));

                if (name && !dlp_infotype_builtin(name)) {
                        err = reject(ans, SIM_REJ_INVALID,
                                     "Invalid built-in info type name "
                                     "\"%s\".",
                                     name); /* name is eff's: decref after */
                        json_decref(eff);
                        return err;
                }
        }
        err = dlp_icfg_parse(eff, 0, &rq->cfg, why, sizeof(why));
        json_decref(eff);
        if (err == DLP_ERR_INVALID)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid argument: inspect_config.%s", why);
        if (err)
                return err;
        unsupported = sim_engine_unsupported(&rq->cfg);
        if (unsupported)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid argument: dlp-sim cannot run %s",
                              unsupported);
        rq->icfg = &rq->cfg;
        rq->include_quote = rq->cfg.include_quote;
        /* one item per request, so per item and per request are the same;
         * like Google, values above the service's own cap are lowered */
        if (rq->cfg.max_findings_per_request > 0 &&
            (size_t)rq->cfg.max_findings_per_request < rq->max_findings)
                rq->max_findings = (size_t)rq->cfg.max_findings_per_request;
        if (rq->cfg.max_findings_per_item > 0 &&
            (size_t)rq->cfg.max_findings_per_item < rq->max_findings)
                rq->max_findings = (size_t)rq->cfg.max_findings_per_item;
        return DLP_OK;
}

json_t *sim_templates_load(const char *path, char *errstr, size_t errstr_size)
{
        json_error_t jerr;
        json_t *root = json_load_file(path, 0, &jerr), *list, *t;
        json_t *out = json_object();
        size_t i;

        if (!root || !out) {
                snprintf(errstr, errstr_size, "%s: %s (line %d)", path,
                         root ? "out of memory" : jerr.text, jerr.line);
                goto fail;
        }
        list = json_object_get(root, "inspectTemplates");
        if (!json_is_array(list)) {
                snprintf(errstr, errstr_size,
                         "%s: expected {\"inspectTemplates\": [{\"name\", "
                         "\"inspectConfig\"}, ...]}",
                         path);
                goto fail;
        }
        json_array_foreach(list, i, t)
        {
                const char *name =
                    json_string_value(json_object_get(t, "name"));
                json_t *cfg = json_object_get(t, "inspectConfig");
                struct dlp_icfg parsed = {0};
                char why[512];
                int err;

                if (!name || !json_is_object(cfg)) {
                        snprintf(errstr, errstr_size,
                                 "%s: inspectTemplates[%zu] needs a name and "
                                 "an inspectConfig",
                                 path, i);
                        goto fail;
                }
                err = dlp_icfg_parse(cfg, 0, &parsed, why, sizeof(why));
                dlp_icfg_free(&parsed);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "%s: template %s: inspectConfig.%s", path,
                                 name, why);
                        goto fail;
                }
                if (json_object_set(out, name, cfg)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto fail;
                }
        }
        json_decref(root);
        return out;
fail:
        json_decref(root);
        json_decref(out);
        return NULL;
}

/* Finds the poison marker; returns 1 and the row (or -1 for a value item)
 * when a cell holds it. */
static int find_poison(const struct sim_limits *lim,
                       const struct inspect_req *rq, long *row)
{
        size_t mlen = lim->poison ? strlen(lim->poison) : 0;

        if (mlen == 0)
                return 0;
        if (!rq->is_table) {
                *row = -1;
                return memmem(rq->value, rq->value_len, lim->poison, mlen) !=
                       NULL;
        }
        for (size_t i = 0; i < rq->table.ncells; i++) {
                const struct sim_cell *cell = &rq->table.cells[i];
                char buf[32];
                size_t len;
                const char *text = cell_text(cell, &len, buf, sizeof(buf));

                if (memmem(text, len, lim->poison, mlen)) {
                        *row = (long)cell->row;
                        return 1;
                }
        }
        return 0;
}

/* The answer's text, written as it grows. A write that finds no memory
 * marks it failed, and the rest are skipped. */
struct out {
        char *buf;
        size_t len, cap;
        int failed;
};

static void put(struct out *o, const char *s, size_t n)
{
        if (o->failed)
                return;
        if (dlp_grow(&o->buf, &o->cap, o->len + n + 1, 1) != DLP_OK) {
                o->failed = 1;
                return;
        }
        memcpy(o->buf + o->len, s, n);
        o->len += n;
        o->buf[o->len] = '\0';
}

/* \p lit: a string literal */
#define PUT(o, lit) put(o, "" lit, sizeof(lit) - 1)

/* A JSON string, escaped as jansson escapes it. */
static void put_str(struct out *o, const char *s, size_t n)
{
        size_t esc = dlp_json_escaped_len(s, n);

        if (o->failed ||
            dlp_grow(&o->buf, &o->cap, o->len + esc + 3, 1) != DLP_OK) {
                o->failed = 1;
                return;
        }
        o->buf[o->len++] = '"';
        o->len += dlp_json_escape_into(o->buf + o->len, s, n);
        o->buf[o->len++] = '"';
        o->buf[o->len] = '\0';
}

/* An int64 in Google's JSON mapping: a decimal string. */
static void put_int64(struct out *o, size_t v)
{
        char num[24];
        int n = snprintf(num, sizeof(num), "\"%zu\"", v);

        put(o, num, (size_t)n);
}

/* {"start":"N","end":"M"} with zero values left out. */
static void put_range(struct out *o, size_t start, size_t end)
{
        PUT(o, "{");
        if (start) {
                PUT(o, "\"start\":");
                put_int64(o, start);
        }
        if (end) {
                if (start)
                        PUT(o, ",");
                PUT(o, "\"end\":");
                put_int64(o, end);
        }
        PUT(o, "}");
}

/* 1 if s[0, n) is UTF-8 that jansson takes in a string. */
static int utf8_ok(const char *s, size_t n)
{
        json_t *j;
        int ok;

        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] >= 0x80)
                        goto check;
        return 1;
check:
        j = json_stringn(s, n);
        ok = j != NULL;
        json_decref(j);
        return ok;
}

/* Where a finding is: row and column of a table, or none for a value. */
struct cell_ref {
        int in_table;
        size_t row;
        const char *field; /* header name, or NULL without headers */
};

/* One finding in Google's shape, its members in the order Google's
 * answers have them. A quote that is not UTF-8 (a byteItem's text may not
 * be) is left out, as jansson would not hold it. */
static void put_finding(struct out *o, const struct inspect_req *rq,
                        const char *text, const struct sim_finding *m,
                        const struct cell_ref *ref, const char *created,
                        uint64_t serial, size_t index)
{
        char id[96];
        int n;

        PUT(o, "{");
        if (rq->include_quote) {
                size_t qlen = m->end - m->start;

                if (qlen > QUOTE_MAX) { /* cut on a character boundary */
                        qlen = QUOTE_MAX;
                        while (qlen > 0 &&
                               ((unsigned char)text[m->start + qlen] & 0xC0) ==
                                   0x80)
                                qlen--;
                }
                if (utf8_ok(text + m->start, qlen)) {
                        PUT(o, "\"quote\":");
                        put_str(o, text + m->start, qlen);
                        PUT(o, ",");
                }
        }
        PUT(o, "\"infoType\":{\"name\":");
        put_str(o, m->type, strlen(m->type));
        if (m->builtin) {
                enum sim_info_type t = SIM_CREDIT_CARD_NUMBER;
                const char *score;

                sim_info_type_parse(m->type, &t);
                score = sim_info_type_sensitivity(t);
                PUT(o, ",\"sensitivityScore\":{\"score\":");
                put_str(o, score, strlen(score));
                PUT(o, "}");
        } /* a custom type has the sensitivity it was given */
        PUT(o, "},\"likelihood\":");
        put_str(o, dlp_likelihood_name(m->likelihood),
                strlen(dlp_likelihood_name(m->likelihood)));
        PUT(o, ",\"location\":{\"byteRange\":");
        put_range(o, m->start, m->end);
        if (rq->byte_type == SIM_BT_PDF) {
                /* not text: the byte range is into the textual
                 * representation, no codepointRange ("provided when the
                 * content is text"), and the document location is the
                 * offset of the finding's line (README, "PDF") */
                size_t line = m->start;

                while (line > 0 && text[line - 1] != '\n' &&
                       text[line - 1] != '\f')
                        line--;
                PUT(o, ",\"contentLocations\":[{\"documentLocation\":{");
                if (line) {
                        PUT(o, "\"fileOffset\":");
                        put_int64(o, line);
                }
                PUT(o, "}}]");
        } else {
                PUT(o, ",\"codepointRange\":");
                put_range(o, sim_utf8_codepoints(text, m->start),
                          sim_utf8_codepoints(text, m->end));
        }
        if (ref->in_table) {
                PUT(o, ",\"contentLocations\":[{\"recordLocation\":{");
                if (ref->field) {
                        PUT(o, "\"fieldId\":{");
                        if (*ref->field) {
                                PUT(o, "\"name\":");
                                put_str(o, ref->field, strlen(ref->field));
                        }
                        PUT(o, "},");
                }
                PUT(o, "\"tableLocation\":{");
                if (ref->row) {
                        PUT(o, "\"rowIndex\":");
                        put_int64(o, ref->row);
                }
                PUT(o, "}}}]");
        }
        PUT(o, "},\"createTime\":");
        put_str(o, created, strlen(created));
        n = snprintf(id, sizeof(id), "%s-%" PRIu64 "-%zu", created, serial,
                     index);
        PUT(o, ",\"findingId\":");
        put_str(o, id, (size_t)n);
        PUT(o, "}");
}

/* Runs the detectors over one cell and writes its findings, up to
 * rq->max_findings (*nfindings so far); sets *truncated when one more was
 * found. */
static int inspect_cell(const struct inspect_req *rq, const char *text,
                        size_t len, const struct cell_ref *ref,
                        const char *created, uint64_t serial,
                        struct sim_findings *matches, struct out *o,
                        size_t *nfindings, int *truncated)
{
        int err;

        err = sim_engine_run(rq->icfg, text, len, matches);
        if (err)
                return err;
        for (size_t i = 0; i < matches->cnt; i++) {
                if (*nfindings == rq->max_findings) {
                        *truncated = 1;
                        return DLP_OK;
                }
                if (*nfindings)
                        PUT(o, ",");
                else
                        PUT(o, "{\"result\":{\"findings\":[");
                put_finding(o, rq, text, &matches->v[i], ref, created, serial,
                            *nfindings);
                ++*nfindings;
        }
        return o->failed ? DLP_ERR_NOMEM : DLP_OK;
}

/* Inspects every cell in order and writes {"result":{...}}: the text that
 * json_dumps(JSON_COMPACT) made of the jansson tree this once built, a
 * sixth of dlp-sim's CPU. */
static int inspect_all(const struct inspect_req *rq, uint64_t serial,
                       struct sim_answer *ans)
{
        struct sim_findings matches = {0};
        struct out o = {0};
        char created[32];
        size_t n = 0;
        int err = DLP_OK, truncated = 0;

        dlp_rfc3339_now(created, sizeof(created));
        if (!rq->is_table) {
                struct cell_ref ref = {0};

                err = inspect_cell(rq, rq->value, rq->value_len, &ref, created,
                                   serial, &matches, &o, &n, &truncated);
                ans->rows = 1;
        } else {
                const struct sim_table *t = &rq->table;

                for (size_t i = 0; i < t->ncells && !truncated && !err; i++) {
                        const struct sim_cell *cell = &t->cells[i];
                        struct cell_ref ref = {
                            .in_table = 1,
                            .row = cell->row,
                            .field =
                                t->has_headers ? t->fields[cell->col] : NULL,
                        };
                        char buf[32];
                        size_t len;
                        const char *text =
                            cell_text(cell, &len, buf, sizeof(buf));

                        err = inspect_cell(rq, text, len, &ref, created, serial,
                                           &matches, &o, &n, &truncated);
                }
                ans->rows = t->nrows;
        }
        sim_findings_free(&matches);
        if (err) {
                free(o.buf);
                return err;
        }
        if (n)
                PUT(&o, "]");
        else
                PUT(&o, "{\"result\":{");
        if (truncated) {
                if (n)
                        PUT(&o, ",");
                PUT(&o, "\"findingsTruncated\":true");
        }
        PUT(&o, "}}");
        if (o.failed) {
                free(o.buf);
                return DLP_ERR_NOMEM;
        }
        ans->findings = n;
        ans->truncated = truncated;
        ans->status = 200;
        ans->outcome = SIM_ACCEPTED;
        ans->text = o.buf; /* now owned by ans */
        ans->text_len = o.len;
        return DLP_OK;
}

/* ---- the configs of the one-pass reader ----------------------------------
 *
 * The inspector sends the same inspectConfig in every request; merging,
 * checking and compiling it (jansson, PCRE2) was a tenth of dlp-sim's CPU
 * once the rows were read in one pass. An accepted config is kept here
 * under the exact bytes of the request's inspectConfig and
 * inspectTemplateName (their spans in the body): the same bytes are the
 * same values, and with the same templates and limits the same config. A
 * refused config is never kept: its refusal is judged again each time. */

#define CFG_CACHE_MAX 16 /* configs kept; later ones are not */

struct cfg_entry {
        char *cfg_raw, *tname_raw; /* NULL: not given */
        size_t cfg_raw_len, tname_raw_len;
        struct dlp_icfg cfg;
        int include_quote;
        size_t max_findings;
};

/* Entries are only added, and never change once added: a reader holds
 * one without the lock. */
struct sim_cfg_cache {
        pthread_mutex_t lock;
        struct cfg_entry v[CFG_CACHE_MAX];
        size_t n;
};

struct sim_cfg_cache *sim_cfg_cache_new(void)
{
        struct sim_cfg_cache *c = calloc(1, sizeof(*c));

        if (c)
                pthread_mutex_init(&c->lock, NULL);
        return c;
}

void sim_cfg_cache_free(struct sim_cfg_cache *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].cfg_raw);
                free(c->v[i].tname_raw);
                dlp_icfg_free(&c->v[i].cfg);
        }
        pthread_mutex_destroy(&c->lock);
        free(c);
}

/* 1 if span \p a (NULL: absent) holds the same bytes as \p b. */
static int same_span(const char *a, size_t alen, const char *b, size_t blen)
{
        if (!a || !b)
                return !a && !b;
        return alen == blen && !memcmp(a, b, alen);
}

/* The entry of \p c for members \p cfg_raw, \p tname_raw, or NULL. The
 * caller holds the lock. */
static const struct cfg_entry *
cfg_cache_find(const struct sim_cfg_cache *c, const char *cfg_raw,
               size_t cfg_raw_len, const char *tname_raw, size_t tname_raw_len)
{
        for (size_t i = 0; i < c->n; i++)
                if (same_span(c->v[i].cfg_raw, c->v[i].cfg_raw_len, cfg_raw,
                              cfg_raw_len) &&
                    same_span(c->v[i].tname_raw, c->v[i].tname_raw_len,
                              tname_raw, tname_raw_len))
                        return &c->v[i];
        return NULL;
}

static char *span_dup(const char *s, size_t n)
{
        char *d;

        if (!s)
                return NULL;
        d = malloc(n + 1);
        if (d) {
                memcpy(d, s, n);
                d[n] = '\0';
        }
        return d;
}

/* Keeps \p rq's accepted config under \p t's members, taking it over
 * (rq->icfg then points at the kept one), if there is room and it is not
 * kept yet. Out of memory only means it is not kept. */
static void cfg_cache_put(struct sim_cfg_cache *c, const struct sim_table *t,
                          struct inspect_req *rq)
{
        struct cfg_entry e = {
            .cfg_raw = span_dup(t->cfg_raw, t->cfg_raw_len),
            .tname_raw = span_dup(t->tname_raw, t->tname_raw_len),
            .cfg_raw_len = t->cfg_raw_len,
            .tname_raw_len = t->tname_raw_len,
            .include_quote = rq->include_quote,
            .max_findings = rq->max_findings,
        };

        if ((t->cfg_raw && !e.cfg_raw) || (t->tname_raw && !e.tname_raw))
                goto drop;
        pthread_mutex_lock(&c->lock);
        if (c->n == CFG_CACHE_MAX ||
            cfg_cache_find(c, t->cfg_raw, t->cfg_raw_len, t->tname_raw,
                           t->tname_raw_len)) { /* full, or another thread's */
                pthread_mutex_unlock(&c->lock);
                goto drop;
        }
        e.cfg = rq->cfg;
        memset(&rq->cfg, 0, sizeof(rq->cfg)); /* now owned by the cache */
        c->v[c->n] = e;
        rq->icfg = &c->v[c->n].cfg;
        c->n++;
        pthread_mutex_unlock(&c->lock);
        return;
drop:
        free(e.cfg_raw);
        free(e.tname_raw);
}

/* The one-pass reader's config for \p rq: kept, or read, judged and kept.
 * 0 when jansson refuses a member (the general reader must judge the
 * request), else 1 with parse_config()'s result in *err and ans. */
static int table_config(const struct sim_limits *lim, struct inspect_req *rq,
                        struct sim_answer *ans, int *err)
{
        struct sim_table *t = &rq->table;
        const struct cfg_entry *e = NULL;

        if (lim->cfg_cache) {
                pthread_mutex_lock(&lim->cfg_cache->lock);
                e = cfg_cache_find(lim->cfg_cache, t->cfg_raw, t->cfg_raw_len,
                                   t->tname_raw, t->tname_raw_len);
                pthread_mutex_unlock(&lim->cfg_cache->lock);
        }
        if (e) {
                rq->icfg = &e->cfg;
                rq->include_quote = e->include_quote;
                rq->max_findings = e->max_findings;
                *err = DLP_OK;
                return 1;
        }
        if (!sim_table_members(t))
                return 0;
        *err = parse_config(lim, rq, t->cfg, t->tname, ans);
        if (!*err && !ans->body && lim->cfg_cache)
                cfg_cache_put(lim->cfg_cache, t, rq);
        return 1;
}

/* Reads the request \p body (its item and its InspectConfig) into \p rq:
 * the inspector's usual table in one pass (table.c), anything else with
 * jansson and the checks above. DLP_OK, with the refusal in ans->body if
 * the request is refused. */
static int read_request(const struct sim_limits *lim, const char *body,
                        size_t len, struct inspect_req *rq,
                        struct sim_answer *ans)
{
        json_error_t jerr;
        const char *key;
        json_t *v;
        int err;

        if (!lim->general_only && sim_table_read(body, len, lim->max_rows,
                                                 lim->max_values, &rq->table)) {
                rq->is_table = 1;
                if (table_config(lim, rq, ans, &err))
                        return err;
                rq->is_table = 0; /* a member jansson refuses: its turn */
                sim_table_free(&rq->table);
        }
        rq->root = json_loadb(body, len, 0, &jerr);
        if (!rq->root)
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid JSON payload received. %s (line %d, "
                              "column %d).",
                              jerr.text, jerr.line, jerr.column);
        if (!json_is_object(rq->root))
                return reject(ans, SIM_REJ_INVALID,
                              "Invalid JSON payload received. Expected an "
                              "object.");
        json_object_foreach(rq->root, key, v)
        {
                if (!known(top_level_fields, key))
                        return reject(ans, SIM_REJ_INVALID,
                                      "Invalid JSON payload received. "
                                      "Unknown name \"%s\": Cannot find "
                                      "field.",
                                      key);
        }
        if ((err = parse_item(lim, rq, ans)) || ans->body)
                return err;
        return parse_config(
            lim, rq, get(rq->root, "inspectConfig", "inspect_config"),
            get(rq->root, "inspectTemplateName", "inspect_template_name"), ans);
}

int sim_inspect(const struct sim_limits *lim, const char *body, size_t len,
                uint64_t serial, struct sim_answer *ans)
{
        struct inspect_req rq = {0};
        long row;
        int err = DLP_OK;

        memset(ans, 0, sizeof(*ans));
        if (len > lim->max_bytes)
                return reject(ans, SIM_REJ_TOO_BIG,
                              "Content size %zu exceeds limit of %zu", len,
                              lim->max_bytes);
        if ((err = read_request(lim, body, len, &rq, ans)) || ans->body)
                goto out;
        if (find_poison(lim, &rq, &row)) {
                if (row < 0)
                        err = reject(ans, SIM_REJ_POISON,
                                     "Invalid argument: the item value "
                                     "contains the marker \"%s\" (dlp-sim "
                                     "poison)",
                                     lim->poison);
                else
                        err = reject(ans, SIM_REJ_POISON,
                                     "Invalid argument: table row %ld "
                                     "contains the marker \"%s\" (dlp-sim "
                                     "poison)",
                                     row, lim->poison);
                goto out;
        }
        err = inspect_all(&rq, serial, ans);
        ans->byte_type = rq.byte_type;
out:
        json_decref(rq.root);
        sim_table_free(&rq.table);
        free(rq.decoded);
        dlp_icfg_free(&rq.cfg);
        if (err) {
                json_decref(ans->body);
                ans->status = 500;
                ans->outcome = SIM_REJ_INVALID;
                ans->body = sim_google_error(500, "INTERNAL", "dlp-sim: %s",
                                             dlp_strerror(err));
        }
        return err;
}
