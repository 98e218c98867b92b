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

/* Fills \p ans with an error answer counted as \p outcome. Always
 * returns DLP_OK, so callers can `return reject(...)`. */
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
        return DLP_OK;
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
                        reject(ans, SIM_REJ_INVALID,
                               "Invalid built-in info type name \"%s\".",
                               name); /* name is eff's: decref after */
                        json_decref(eff);
                        return DLP_OK;
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
                           const struct sim_finding *m,
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
        if (m->builtin) {
                enum sim_info_type t = SIM_CREDIT_CARD_NUMBER;

                sim_info_type_parse(m->type, &t);
                json_object_set_new(f, "infoType",
                                    json_pack("{s:s, s:{s:s}}", "name", m->type,
                                              "sensitivityScore", "score",
                                              sim_info_type_sensitivity(t)));
        } else { /* a custom type has the sensitivity it was given */
                json_object_set_new(f, "infoType",
                                    json_pack("{s:s}", "name", m->type));
        }
        json_object_set_new(f, "likelihood",
                            json_string(dlp_likelihood_name(m->likelihood)));
        set_range(loc, "byteRange", m->start, m->end);
        if (rq->byte_type == SIM_BT_PDF) {
                /* not text: the byte range is into the textual
                 * representation, no codepointRange ("provided when the
                 * content is text"), and the document location is the
                 * offset of the finding's line (README, "PDF") */
                json_t *doc = json_object();
                size_t line = m->start;

                while (line > 0 && text[line - 1] != '\n' &&
                       text[line - 1] != '\f')
                        line--;
                if (line) {
                        char num[24];

                        snprintf(num, sizeof(num), "%zu", line);
                        json_object_set_new(doc, "fileOffset",
                                            json_string(num));
                }
                json_object_set_new(
                    loc, "contentLocations",
                    json_pack("[{s:o}]", "documentLocation", doc));
        } else {
                set_range(loc, "codepointRange",
                          sim_utf8_codepoints(text, m->start),
                          sim_utf8_codepoints(text, m->end));
        }
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
                        struct sim_findings *matches, json_t *findings,
                        int *truncated)
{
        int err;

        err = sim_engine_run(&rq->cfg, text, len, matches);
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
        struct sim_findings matches = {0};
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
                const struct sim_table *t = &rq->table;

                for (size_t i = 0; i < t->ncells && !truncated; i++) {
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
                                           &matches, findings, &truncated);
                        if (err)
                                goto out;
                }
                ans->rows = t->nrows;
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
        sim_findings_free(&matches);
        return err;
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
                return parse_config(lim, rq, rq->table.cfg, rq->table.tname,
                                    ans);
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
